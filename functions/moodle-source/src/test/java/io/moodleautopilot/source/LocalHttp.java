package io.moodleautopilot.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.moodleautopilot.testbed.PresignedS3;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two HTTP parties of a custom resource run, on loopback: the release download site (files,
 * redirects, slow answers, 404 for anything else) and CloudFormation's pre-signed response URL
 * (every PUT captured, answered 200 as S3 does). The response URL is served over TLS for the S3 name
 * ({@link PresignedS3}), the only kind of URL the function answers to.
 */
final class LocalHttp implements AutoCloseable {
    record Captured(String contentType, String body) {
    }

    private final HttpServer server;
    private final HttpsServer s3;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, Long> delays = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final List<Captured> answers = new CopyOnWriteArrayList<>();

    LocalHttp() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "local-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::serve);
        server.start();
        try {
            s3 = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        s3.setHttpsConfigurator(new HttpsConfigurator(PresignedS3.serverContext()));
        s3.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "local-s3");
            t.setDaemon(true);
            return t;
        }));
        s3.createContext("/", this::serve);
        s3.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The pre-signed URL CloudFormation would send. */
    String responseUrl() {
        return PresignedS3.responseUrl(s3.getAddress().getPort(), "/cfn-response");
    }

    LocalHttp serve(String path, byte[] body) {
        files.put(path, body);
        return this;
    }

    LocalHttp redirect(String path, String location) {
        redirects.put(path, location);
        return this;
    }

    LocalHttp delay(String path, long millis) {
        delays.put(path, millis);
        return this;
    }

    int hits(String path) {
        return hits.getOrDefault(path, new AtomicInteger()).get();
    }

    List<Captured> answers() {
        return List.copyOf(answers);
    }

    void clearAnswers() {
        answers.clear();
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
        try (exchange) {
            if (path.equals("/cfn-response") && exchange.getRequestMethod().equals("PUT")) {
                answers.add(new Captured(exchange.getRequestHeaders().getFirst("Content-Type"),
                        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            Long delay = delays.get(path);
            if (delay != null) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (redirects.containsKey(path)) {
                exchange.getResponseHeaders().add("Location", redirects.get(path));
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            byte[] body = files.get(path);
            if (body == null) {
                byte[] notFound = "<html><body>Not Found</body></html>".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, notFound.length);
                exchange.getResponseBody().write(notFound);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-gzip");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        s3.stop(0);
    }
}
