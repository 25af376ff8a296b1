package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server (Debian's package, built with TLS) that speaks TLS only (--port 0
 * --tls-port N), as ElastiCache/Valkey with in-transit encryption does, with a server certificate
 * for localhost and 127.0.0.1 from a CA generated here by the openssl CLI. Clients are not asked for
 * a certificate (--tls-auth-clients no). Nothing is persisted. One per test class: {@link #close()}
 * stops it.
 */
final class TlsRedis implements AutoCloseable {
    final Path dir;
    final Path ca;
    final int port;
    private final Process server;

    private TlsRedis(Path dir, Path ca, int port, Process server) {
        this.dir = dir;
        this.ca = ca;
        this.port = port;
        this.server = server;
    }

    static TlsRedis start(Path dir) {
        String redis = Bundle.which("redis-server");
        assertThat(redis).as("redis-server (Debian's redis-server: scripts/lib.sh ensure_test_packages installs it)")
                .isNotNull();
        Path ca = certificates(dir);
        int port = HealthPageTest.freePort();
        Path log = dir.resolve("redis.log");
        Process p;
        try {
            p = new ProcessBuilder(redis, "--bind", "127.0.0.1", "--port", "0", "--tls-port", String.valueOf(port),
                    "--tls-cert-file", dir.resolve("server.crt").toString(), "--tls-key-file", dir.resolve("server.key").toString(),
                    "--tls-ca-cert-file", ca.toString(), "--tls-auth-clients", "no", "--dir", dir.toString(), "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TlsRedis r = new TlsRedis(dir, ca, port, p);
        for (int attempt = 0; ; attempt++) {
            if (!p.isAlive()) {
                throw new AssertionError("redis-server exited: " + Bundle.read(log));
            }
            Bundle.Result ping = r.cli("PING");
            if (ping.exit() == 0 && ping.stdout().strip().equals("PONG")) {
                return r;
            }
            if (attempt > 100) {
                r.close();
                throw new AssertionError("redis-server did not answer over TLS: " + ping.all() + Bundle.read(log));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** scripts/local_site.py's certificates: a CA, and a server certificate for localhost and 127.0.0.1 it signed. */
    private static Path certificates(Path dir) {
        Bundle.write(dir.resolve("server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
        for (List<String> step : List.of(
                List.of("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key", "-out", "ca.crt",
                        "-subj", "/CN=Moodle Autopilot test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"),
                List.of("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"),
                List.of("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                        "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.crt"))) {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(step);
            Bundle.Result r = Bundle.run(cmd, java.util.Map.of(), null, dir);
            assertThat(r.exit()).as("openssl %s: %s", step.get(0), r.all()).isZero();
        }
        return dir.resolve("ca.crt");
    }

    /** redis-cli over TLS, verifying the server against the CA. */
    Bundle.Result cli(String... args) {
        List<String> cmd = command("redis-cli", "--tls", "--cacert", ca.toString(), "-h", "localhost", "-p", String.valueOf(port));
        cmd.addAll(List.of(args));
        return Bundle.run(cmd);
    }

    /** The keys matching a pattern (KEYS: fine for a test's few hundred keys). */
    List<String> keys(String pattern) {
        Bundle.Result r = cli("--raw", "KEYS", pattern);
        assertThat(r.exit()).as(r.all()).isZero();
        return r.stdout().lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    @Override
    public void close() {
        server.destroy();
        try {
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
