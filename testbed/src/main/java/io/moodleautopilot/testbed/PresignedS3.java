package io.moodleautopilot.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Makes a loopback TLS receiver be, for the JVM under test, CloudFormation's pre-signed S3 URL
 * ({@code https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/...?X-Amz-Signature=...}),
 * which is all the functions answer to (ResponseUrlPolicy). Only standard JDK mechanisms, no switch
 * in the functions:
 *
 * <ul>
 *   <li>a test CA and a certificate for {@link #HOST} (and {@code *.s3.amazonaws.com}), made with
 *       keytool once per JVM; the JVM trusts the CA through {@code javax.net.ssl.trustStore};</li>
 *   <li>the JVM's https proxy ({@code https.proxyHost}/{@code https.proxyPort}) is a local tunnel: for
 *       {@code CONNECT <host>:443} it opens a TCP tunnel to the receiver of the running test. TLS runs
 *       end to end between the function and the receiver, and the function checks the certificate
 *       against the S3 name, as against S3. Loopback stays direct (the JDK's default
 *       {@code http.nonProxyHosts}), so moto and WireMock's plain http are unaffected.</li>
 * </ul>
 *
 * Every CONNECT the tunnel sees is recorded ({@link #tunnelled()}): a test asserts that a refused
 * request opened none. {@link #install()} must run before the JVM's first TLS use (the default
 * SSLContext reads the trust store once: it is made again here, see trustFromNowOn); every method
 * here calls it.
 */
public final class PresignedS3 {
    /** CloudFormation's response bucket in us-east-1, virtual-hosted style. */
    public static final String HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";
    /** A SigV4 pre-signed query as CloudFormation sends it (the signature is not checked by the receiver). */
    public static final String SIGNED_QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261130T000000Z"
            + "&X-Amz-SignedHeaders=host&X-Amz-Expires=7200"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261130%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    public static final String PASSWORD = "autopilot-test";

    private static Material material;
    private static volatile int target = -1;
    private static final List<String> TUNNELLED = new CopyOnWriteArrayList<>();

    /** The generated files: the CA-only trust store and the receiver's key store (both PKCS12, {@link #PASSWORD}). */
    public record Material(Path dir, Path trustStore, Path receiverKeyStore, Path caPem, int tunnelPort) {
    }

    private PresignedS3() {
    }

    /** Generates the certificates, starts the tunnel, and points this JVM's trust store and https proxy at them. */
    public static synchronized Material install() {
        if (material == null) {
            Path dir = generate();
            int port = startTunnel();
            material = new Material(dir, dir.resolve("truststore.p12"), dir.resolve("receiver.p12"),
                    dir.resolve("ca.pem"), port);
            System.setProperty("javax.net.ssl.trustStore", material.trustStore().toString());
            System.setProperty("javax.net.ssl.trustStorePassword", PASSWORD);
            System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
            System.setProperty("https.proxyHost", "127.0.0.1");
            System.setProperty("https.proxyPort", Integer.toString(port));
            trustFromNowOn();
        }
        return material;
    }

    /**
     * The default SSLContext reads the trust store once, and the SDK or WireMock may have made it
     * before the first test asked for this: a context from the trust store just set becomes the
     * default, and HttpsURLConnection's (which it caches) too. A separate JVM (the local runner's)
     * gets the same properties on its command line instead.
     */
    private static void trustFromNowOn() {
        try {
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null); // reads javax.net.ssl.trustStore as set above
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            SSLContext.setDefault(context);
            javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(context.getSocketFactory());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The pre-signed URL CloudFormation would send, answered by the TLS receiver on {@code tlsPort}
     * (the latest routed receiver takes every answer: the tests of one JVM run one at a time).
     */
    public static String responseUrl(int tlsPort, String path) {
        install();
        target = tlsPort;
        return "https://" + HOST + path + "?" + SIGNED_QUERY;
    }

    /** A WireMock receiver for the answers: https only, on a free loopback port, with the certificate for {@link #HOST}. */
    public static com.github.tomakehurst.wiremock.core.WireMockConfiguration wireMockOptions() {
        Material m = install();
        return com.github.tomakehurst.wiremock.core.WireMockConfiguration.options()
                .bindAddress("127.0.0.1").httpDisabled(true).dynamicHttpsPort()
                .keystorePath(m.receiverKeyStore().toString()).keystoreType("PKCS12")
                .keystorePassword(PASSWORD).keyManagerPassword(PASSWORD);
    }

    /**
     * ResponseURLs a function must refuse before any work, each with a fragment of the reason it
     * must give: what the probe sent (file:, jar:, ftp:, http:, the instance metadata address) and
     * every way an https URL can miss the rule.
     */
    public static java.util.Map<String, String> refusedUrls() {
        java.util.Map<String, String> urls = new java.util.LinkedHashMap<>();
        urls.put("file:///etc/passwd", "scheme is 'file'");
        urls.put("jar:file:///etc/passwd!/", "scheme is 'jar'");
        urls.put("ftp://127.0.0.1:9/x", "scheme is 'ftp'");
        urls.put("http://" + HOST + "/cfn-response?" + SIGNED_QUERY, "scheme is 'http'");
        urls.put("http://169.254.169.254/latest/meta-data/", "scheme is 'http'");
        urls.put("https://169.254.169.254/latest/meta-data/?X-Amz-Signature=abc", "is an IP address");
        urls.put("https://127.0.0.1/cfn-response?X-Amz-Signature=abc", "is an IP address");
        urls.put("https://[::1]/cfn-response?X-Amz-Signature=abc", "is an IP address");
        urls.put("https://example.com/cfn-response?" + SIGNED_QUERY, "host 'example.com' is not an S3 endpoint");
        urls.put("https://" + HOST + ".example.com/cfn-response?" + SIGNED_QUERY, "is not an S3 endpoint");
        urls.put("https://s3.amazonaws.com.example.com/b/k?" + SIGNED_QUERY, "is not an S3 endpoint");
        urls.put("https://ec2.us-east-1.amazonaws.com/k?" + SIGNED_QUERY, "is not an S3 endpoint");
        urls.put("https://" + HOST + "/cfn-response", "not pre-signed");
        urls.put("https://" + HOST + "/cfn-response?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=", "not pre-signed");
        urls.put("https://user:secret@" + HOST + "/cfn-response?" + SIGNED_QUERY, "user-info");
        urls.put("https://" + HOST + ":8443/cfn-response?" + SIGNED_QUERY, "port is 8443");
        urls.put("https://" + HOST + ":80/cfn-response?" + SIGNED_QUERY, "port is 80");
        urls.put("https://" + HOST + "?" + SIGNED_QUERY, "names no object");
        urls.put("https:/cfn-response?X-Amz-Signature=abc", "has no host");
        urls.put("not a url", "not a valid URL");
        return urls;
    }

    /** Key material for a receiver: a JDK HttpsServer's context, with the certificate for {@link #HOST}. */
    public static SSLContext serverContext() {
        Material m = install();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(m.receiverKeyStore())) {
                ks.load(in, PASSWORD.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every {@code host:port} the JVM asked the tunnel for, in order (whatever the tunnel did with it). */
    public static List<String> tunnelled() {
        return List.copyOf(TUNNELLED);
    }

    public static void clearTunnelled() {
        TUNNELLED.clear();
    }

    private static Path generate() {
        try {
            Path dir = Files.createTempDirectory("autopilot-presigned-s3-");
            dir.toFile().deleteOnExit();
            String ca = dir.resolve("ca.p12").toString();
            String receiver = dir.resolve("receiver.p12").toString();
            String pw = PASSWORD;
            keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=Moodle Autopilot test CA", "-ext", "bc:c", "-validity", "3",
                    "-keystore", ca, "-storetype", "PKCS12", "-storepass", pw);
            keytool(dir, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", pw,
                    "-file", dir.resolve("ca.pem").toString());
            keytool(dir, "-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=" + HOST, "-validity", "3",
                    "-keystore", receiver, "-storetype", "PKCS12", "-storepass", pw);
            keytool(dir, "-certreq", "-alias", "receiver", "-keystore", receiver, "-storepass", pw,
                    "-file", dir.resolve("receiver.csr").toString());
            keytool(dir, "-gencert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", pw, "-validity", "3",
                    "-ext", "san=dns:" + HOST + ",dns:*.s3.amazonaws.com", "-ext", "eku=serverAuth",
                    "-infile", dir.resolve("receiver.csr").toString(), "-outfile", dir.resolve("receiver.pem").toString());
            keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.pem").toString(),
                    "-keystore", receiver, "-storepass", pw);
            keytool(dir, "-importcert", "-noprompt", "-alias", "receiver", "-file", dir.resolve("receiver.pem").toString(),
                    "-keystore", receiver, "-storepass", pw);
            keytool(dir, "-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.pem").toString(),
                    "-keystore", dir.resolve("truststore.p12").toString(), "-storetype", "PKCS12", "-storepass", pw);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static int startTunnel() {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            daemon("presigned-s3-tunnel", () -> {
                while (true) {
                    Socket client = server.accept();
                    daemon("presigned-s3-tunnel-conn", () -> tunnel(client));
                }
            });
            return server.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CONNECT: to {@link #HOST}:443 or another {@code *.s3.amazonaws.com}:443, a tunnel to the receiver; anything else 403. */
    private static void tunnel(Socket client) throws IOException {
        try (client) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            String[] line = head.split("\r\n", 2)[0].split(" ");
            String authority = line.length > 1 ? line[1] : "";
            TUNNELLED.add(line[0] + " " + authority);
            OutputStream out = client.getOutputStream();
            int port = target;
            if (!line[0].equals("CONNECT") || !authority.endsWith(".s3.amazonaws.com:443") || port < 0) {
                out.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return;
            }
            try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port)) {
                out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread back = daemon("presigned-s3-tunnel-back", () -> {
                    try {
                        upstream.getInputStream().transferTo(out);
                    } finally {
                        client.close(); // the receiver closed: so does the connection, as a direct one would
                    }
                });
                try {
                    in.transferTo(upstream.getOutputStream());
                    upstream.shutdownOutput();
                } catch (IOException ignored) {
                    // the other side closed first
                }
                try {
                    back.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) != -1 && head.size() < 16_384) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private interface IoRunnable {
        void run() throws IOException;
    }

    private static Thread daemon(String name, IoRunnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (IOException ignored) {
                // a closed connection ends its thread
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
