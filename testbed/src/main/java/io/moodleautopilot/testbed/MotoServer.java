package io.moodleautopilot.testbed;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real moto_server process on a free loopback port. The executable is taken from
 * {@code -Dmoto.server=...}, {@code $MOTO_SERVER}, or the PATH (the project's virtual environment
 * puts the pinned moto first on it).
 */
public final class MotoServer implements AutoCloseable {
    public static final String REGION = "us-east-1";
    public static final String ACCOUNT = "123456789012";

    private final Process process;
    private final int port;
    private final Path log;

    private MotoServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static MotoServer start() {
        String exe = executable();
        int port = freePort();
        try {
            Path log = Files.createTempFile("moto-server-", ".log");
            Process p = new ProcessBuilder(exe, "-H", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            MotoServer server = new MotoServer(p, port, log);
            // The test JVM may end without closing the extension's store; moto_server ignores
            // SIGTERM, so it would outlive the run. Killed at JVM exit whatever happens before.
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "moto-server-stop"));
            server.awaitReady(Duration.ofSeconds(60));
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + exe + ": " + e.getMessage()
                    + " (run scripts/test, which installs the pinned moto into .venv)", e);
        }
    }

    static String executable() {
        String configured = System.getProperty("moto.server", System.getenv("MOTO_SERVER"));
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File candidate = new File(dir, "moto_server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        throw new IllegalStateException("moto_server not found: set MOTO_SERVER or run scripts/test, "
                + "which installs the pinned moto into .venv");
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited: " + tail());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/moto-api/").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            sleep(100);
        }
        throw new IllegalStateException("moto_server did not answer within " + timeout + ": " + tail());
    }

    /** Clears every emulated resource, so each test starts from an empty account. */
    public void reset() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/moto-api/reset").toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.getOutputStream().close();
            if (c.getResponseCode() != 200) {
                throw new IllegalStateException("moto reset answered " + c.getResponseCode());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
