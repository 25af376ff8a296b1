package io.moodleautopilot.core.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The detector's JDBC URLs really encrypt: a real PostgreSQL with TLS on (a certificate made here
 * with openssl), connected to with exactly the URL DatabaseTarget builds.
 */
class DatabaseTlsTest {
    private static Path dir;
    private static EmbeddedPostgres pg;

    @BeforeAll
    static void startWithTls() throws Exception {
        dir = Files.createTempDirectory("pg-tls-");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-keyout", dir.resolve("server.key").toString(), "-out", dir.resolve("server.crt").toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("openssl made a certificate").isTrue();
        Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
        pg = EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", dir.resolve("server.crt").toString())
                .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static boolean encrypted(DatabaseTarget target) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", "x");
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), props);
             ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Test
    void requireEncrypts() throws Exception {
        assertThat(encrypted(new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1", pg.getPort(), "postgres", "mdl_",
                "require", ""))).isTrue();
    }

    @Test
    void verifyFullEncryptsAndChecksTheCertificateAndTheHostName() throws Exception {
        String ca = dir.resolve("server.crt").toString();
        assertThat(encrypted(new DatabaseTarget(DatabaseEngine.POSTGRESQL, "localhost", pg.getPort(), "postgres", "mdl_",
                "verify-full", ca))).isTrue();
        // The certificate names localhost, not 127.0.0.1: verify-full refuses the mismatch.
        assertThatThrownBy(() -> encrypted(new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1", pg.getPort(),
                "postgres", "mdl_", "verify-full", ca))).hasMessageContaining("127.0.0.1");
    }

    @Test
    void theReaderWorksOverTls() {
        MoodleSnapshot s = new MoodleDatabaseReader().read(new DatabaseTarget(DatabaseEngine.POSTGRESQL, "127.0.0.1",
                pg.getPort(), "postgres", "mdl_", "require", ""), new Credentials("postgres", "x"));
        assertThat(PhaseClassifier.classify(s, false)).isEqualTo(InstallPhase.NOT_INSTALLED);
    }

    @Test
    void verifyFullWithoutABundleIsAConfigurationError() {
        assertThatThrownBy(() -> new DatabaseTarget(DatabaseEngine.MYSQL, "h", 3306, "moodle", "mdl_", "verify-full", ""))
                .hasMessageContaining("CA bundle");
        assertThat(new DatabaseTarget(DatabaseEngine.MYSQL, "h", 3306, "moodle", "mdl_", "require", "").jdbcUrl())
                .contains("sslMode=trust").doesNotContain("password");
    }
}
