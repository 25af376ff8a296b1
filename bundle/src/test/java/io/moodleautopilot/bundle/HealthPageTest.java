package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/health.php, the load balancer's health check, served over HTTP by PHP's built-in web
 * server (PHP-FPM's stand-in: real headers and status codes) with the document root as Apache's
 * (dirroot). config.php is rendered by the bundle's own render-config.php; lib/setup.php and what it
 * loads before ABORT_AFTER_CONFIG are Moodle 4.5.6's own, from the release archive in
 * ../shared/moodle/; the databases are a real PostgreSQL (embedded) and a real MariaDB.
 */
@ExtendWith({EmbeddedPostgresExtension.class})
class HealthPageTest {
    static final String DB_PASSWORD = "Health-check-pw-'\"\\ $x";
    static final String DB_USER = "moodle_health";
    /** What lib/setup.php loads before it returns for ABORT_AFTER_CONFIG. */
    static final String[] MOODLE_FILES = {"moodle/lib/setup.php", "moodle/lib/classes/component.php",
            "moodle/lib/configonlylib.php", "moodle/version.php"};

    static Path moodle;

    @TempDir
    Path tmp;

    Path dirroot;
    Path dataroot;
    Process server;
    Path serverLog;
    int port;

    /** Moodle's own setup files, from the release archive (see ../shared/moodle/README.md). */
    @BeforeAll
    static void unpackMoodlesSetup(@TempDir Path shared) {
        moodle = unpackSetupFiles(shared);
    }

    /** Unpacks MOODLE_FILES from the release archive; skips the test when the archive is not here. */
    static Path unpackSetupFiles(Path shared) {
        Path archive = releaseArchive();
        assumeTrue(archive != null, "no Moodle release archive here (MOODLE_RELEASE_TGZ, ../shared/moodle or ~/.cache/moodle-autopilot)");
        java.util.List<String> tar = command("tar", "-xzf", archive.toString(), "-C", shared.toString());
        tar.addAll(java.util.List.of(MOODLE_FILES));
        Bundle.Result r = Bundle.run(tar);
        assertThat(r.exit()).as(r.all()).isZero();
        return shared.resolve("moodle");
    }

    /** A dirroot holding Moodle's setup files (MOODLE_FILES) from an unpacked release. */
    static void copySetupFiles(Path moodle, Path dirroot) throws IOException {
        for (String f : MOODLE_FILES) {
            Path target = dirroot.resolve(f.substring("moodle/".length()));
            Files.createDirectories(target.getParent());
            Files.copy(moodle.resolve(f.substring("moodle/".length())), target);
        }
    }

    /**
     * The release the tests run: $MOODLE_RELEASE_TGZ (scripts/test sets it from scripts/local_site.py
     * release, which verifies the archive's SHA-256), else ../shared/moodle/moodle-4.5.6.tgz, else the
     * verified copy scripts/local_site.py keeps in ~/.cache/moodle-autopilot; null when none is here.
     */
    static Path releaseArchive() {
        String env = System.getenv("MOODLE_RELEASE_TGZ");
        if (env != null && !env.isBlank() && Files.isRegularFile(Path.of(env))) {
            return Path.of(env);
        }
        for (Path p = Bundle.files().toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/moodle/moodle-4.5.6.tgz");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Path cached = Path.of(System.getProperty("user.home"), ".cache", "moodle-autopilot", "moodle-4.5.6.tgz");
        return Files.isRegularFile(cached) && Files.isRegularFile(Path.of(cached + ".sha256")) ? cached : null;
    }

    @BeforeEach
    void setUp() throws IOException {
        dirroot = tmp.resolve("www/moodle");
        dataroot = tmp.resolve("moodledata");
        Files.createDirectories(dataroot);
        copySetupFiles(moodle, dirroot);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** config.php as install-release.sh renders it, for this database. */
    void renderConfig(String dbtype, int dbport, String dbTls, String user, String password) {
        renderConfig(tmp, dirroot, dbtype, dbport, dbtype.equals("pgsql") ? "postgres" : MariaDbServer.DATABASE, dbTls,
                user, password);
    }

    /** config.php rendered by the bundle's render-config.php into dirroot; dataroot is tmp/moodledata. */
    static void renderConfig(Path tmp, Path dirroot, String dbtype, int dbport, String dbname, String dbTls, String user,
                             String password) {
        ObjectNode site = Bundle.siteConfig("autopilot-test");
        site.put("dbtype", dbtype);
        site.put("dbhost", "127.0.0.1");
        site.put("dbport", String.valueOf(dbport));
        site.put("dbname", dbname);
        site.put("db_tls", dbTls);
        site.put("dataroot", tmp.resolve("moodledata").toString());
        site.put("localcachedir", tmp.resolve("localcache").toString());
        Path siteFile = tmp.resolve("site.json");
        Bundle.write(siteFile, site.toString());
        Bundle.Result r = Bundle.run(command(Bundle.php(), Bundle.files().resolve("config/render-config.php").toString(),
                "--site=" + siteFile), Map.of(), Bundle.json(Map.of("username", user, "password", password)), tmp);
        assertThat(r.exit()).as(r.all()).isZero();
        Bundle.write(dirroot.resolve("config.php"), r.stdout());
    }

    /** GET /autopilot-health as the load balancer does; returns "status body". */
    String check() throws Exception {
        if (server == null) {
            port = freePort();
            serverLog = tmp.resolve("php-server.log");
            // Errors to stderr, as PHP-FPM sends them to its pool's log.
            server = new ProcessBuilder(Bundle.php(), "-d", "log_errors=1", "-d", "display_errors=0", "-d", "error_log=",
                    "-S", "127.0.0.1:" + port, "-t", dirroot.toString(), Bundle.files().resolve("config/health.php").toString())
                    .redirectErrorStream(true).redirectOutput(serverLog.toFile()).start();
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/autopilot-health"))
                .timeout(Duration.ofSeconds(10)).build();
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
                return r.statusCode() + " " + r.body().strip();
            } catch (java.net.ConnectException e) {
                if (attempt > 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    String serverLog() {
        return Files.exists(serverLog) ? Bundle.read(serverLog) : "";
    }

    void createUser(EmbeddedPostgres pg) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("DROP ROLE IF EXISTS " + DB_USER);
            c.createStatement().execute("CREATE ROLE " + DB_USER + " LOGIN PASSWORD '" + DB_PASSWORD.replace("'", "''") + "'");
        }
    }

    @Test
    void anEmptyDatabaseBeforeTheInstallIsHealthy(EmbeddedPostgres pg) throws Exception {
        createUser(pg);
        renderConfig("pgsql", pg.getPort(), "false", DB_USER, DB_PASSWORD);

        assertThat(check()).isEqualTo("200 ok");
        try (Connection c = pg.getPostgresDatabase().getConnection();
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the health page creates nothing").isZero();
        }
    }

    @Test
    void aDatabaseThatRefusesTheLoginIsUnhealthyAndThePasswordStaysOutOfTheLog(EmbeddedPostgres pg) throws Exception {
        // The embedded server trusts local logins: an unknown role is what it refuses.
        renderConfig("pgsql", pg.getPort(), "false", "no_such_role", DB_PASSWORD);

        assertThat(check()).isEqualTo("503 database");
        assertThat(serverLog()).contains("autopilot health: database:").contains("no_such_role")
                .doesNotContain(DB_PASSWORD);
    }

    @Test
    @ExtendWith(MariaDbExtension.class)
    void aWrongMySqlPasswordIsUnhealthyAndStaysOutOfTheLog(MariaDbServer maria) throws Exception {
        renderConfig("auroramysql", maria.port(), "false", MariaDbServer.USER, DB_PASSWORD);

        assertThat(check()).isEqualTo("503 database");
        assertThat(serverLog()).contains("autopilot health: database:").contains("Access denied")
                .doesNotContain(DB_PASSWORD);
    }

    @Test
    void theConfiguredTlsModeIsUsedNeverDowngraded(EmbeddedPostgres pg) throws Exception {
        createUser(pg);
        // db_tls true: sslmode=require, which this server (no TLS) cannot give.
        renderConfig("pgsql", pg.getPort(), "true", DB_USER, DB_PASSWORD);

        assertThat(check()).isEqualTo("503 database");
        assertThat(serverLog()).containsIgnoringCase("SSL");
    }

    @Test
    void withoutConfigPhpTheNodeIsUnhealthy() throws Exception {
        assertThat(check()).isEqualTo("503 config");
    }

    @Test
    void withoutMoodledataTheNodeIsUnhealthy(EmbeddedPostgres pg) throws Exception {
        createUser(pg);
        renderConfig("pgsql", pg.getPort(), "false", DB_USER, DB_PASSWORD);
        Files.delete(dataroot);

        assertThat(check()).isEqualTo("503 config");
        assertThat(serverLog()).contains("dataroot");
    }

    @Test
    void moodlesCliMaintenanceKeepsTheNodeInService(EmbeddedPostgres pg) throws Exception {
        createUser(pg);
        renderConfig("pgsql", pg.getPort(), "false", DB_USER, DB_PASSWORD);
        Bundle.write(dataroot.resolve("climaintenance.html"), "<h1>Upgrading</h1>");

        assertThat(check()).isEqualTo("200 maintenance");
    }

    @Test
    void anUnreachableMySqlDatabaseIsUnhealthyWithinTheCheckTimeout() throws Exception {
        renderConfig("auroramysql", freePort(), "false", DB_USER, DB_PASSWORD);

        long started = System.nanoTime();
        assertThat(check()).isEqualTo("503 database");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    @ExtendWith(MariaDbExtension.class)
    void aMariaDbDatabaseIsHealthyWithTheMysqliDriver(MariaDbServer maria) throws Exception {
        renderConfig("mariadb", maria.port(), "false", MariaDbServer.USER, MariaDbServer.PASSWORD);

        assertThat(check()).isEqualTo("200 ok");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
