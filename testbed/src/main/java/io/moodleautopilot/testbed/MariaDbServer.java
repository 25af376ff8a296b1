package io.moodleautopilot.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real MariaDB server (Debian's mariadb-server, installed by scripts/test) in a temporary data
 * directory on a free loopback port, with a 'moodle' database and user.
 */
public final class MariaDbServer implements AutoCloseable {
    public static final String DATABASE = "moodle";
    public static final String USER = "moodle";
    public static final String PASSWORD = "S3cret-Moodle-DB-pw";

    private final Process process;
    private final int port;
    private final Path dir;

    private MariaDbServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    static String binary(String name) {
        for (String d : List.of("/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin")) {
            File f = new File(d, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        throw new IllegalStateException(name + " not found: install Debian's mariadb-server (scripts/test does)");
    }

    public static MariaDbServer start() {
        try {
            Path dir = Files.createTempDirectory("mariadb-test-");
            Path data = dir.resolve("data");
            String socket = dir.resolve("mysqld.sock").toString();
            int port = MotoServer.freePort();
            Process init = new ProcessBuilder(binary("mariadb-install-db"), "--no-defaults", "--user=root",
                    "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("install.log").toFile()).start();
            if (!init.waitFor(120, TimeUnit.SECONDS) || init.exitValue() != 0) {
                throw new IllegalStateException("mariadb-install-db failed: " + Files.readString(dir.resolve("install.log")));
            }
            Process p = new ProcessBuilder(binary("mariadbd"), "--no-defaults", "--user=root", "--datadir=" + data,
                    "--socket=" + socket, "--port=" + port, "--bind-address=127.0.0.1", "--skip-name-resolve",
                    "--pid-file=" + dir.resolve("mysqld.pid"), "--innodb-buffer-pool-size=32M")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            MariaDbServer server = new MariaDbServer(p, port, dir);
            server.awaitReady();
            server.admin("DROP USER IF EXISTS ''@'localhost'"); // no anonymous login to hide a wrong password
            server.admin("CREATE DATABASE " + DATABASE + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
            server.admin("CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'");
            server.admin("GRANT ALL ON " + DATABASE + ".* TO '" + USER + "'@'%'");
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start MariaDB: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mariadbd exited: " + Files.readString(dir.resolve("server.log")));
            }
            try (Connection c = DriverManager.getConnection(rootUrl(), "root", "")) {
                return;
            } catch (SQLException notYet) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        throw new IllegalStateException("mariadbd did not accept connections: " + Files.readString(dir.resolve("server.log")));
    }

    private String rootUrl() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/";
    }

    public void admin(String sql) {
        MoodleSite.run(() -> {
            try {
                return DriverManager.getConnection(rootUrl(), "root", "");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, sql);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/" + DATABASE;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
