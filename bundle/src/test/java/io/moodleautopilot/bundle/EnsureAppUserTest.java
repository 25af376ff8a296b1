package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/ensure-app-user.php against real servers: the application user it makes can do what
 * Moodle's installer and upgrades do in the site's database, running it again (or from several
 * instances at once) is harmless and sets the secret's password again, and no password reaches a
 * log, an argv or an error line.
 */
class EnsureAppUserTest {
    // Printable ASCII with everything a connection string, SQL or a shell treats specially.
    static final String APP_PASSWORD = "App'\"\\$(x)`;%_ -- pw1";
    static final String APP_PASSWORD_2 = "Second-App-Password-2";
    static final String MASTER_PASSWORD = "Master'\\pw \"1";
    static final AtomicInteger MARIADB_SITES = new AtomicInteger();

    @TempDir
    Path tmp;

    Bundle.Result ensure(ObjectNode site, String masterJson, String appJson) {
        Path siteFile = tmp.resolve("site-" + System.nanoTime() + ".json");
        Bundle.write(siteFile, site.toString());
        return Bundle.run(List.of(Bundle.php(), Bundle.files().resolve("config/ensure-app-user.php").toString(),
                "--site=" + siteFile), Map.of(), masterJson + "\0" + appJson, tmp);
    }

    static String secret(String user, String password) {
        return Bundle.json(Map.of("username", user, "password", password, "engine", "unused"));
    }

    static ObjectNode site(String dbtype, int port, String database) {
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dbtype", dbtype);
        site.put("dbhost", "127.0.0.1");
        site.put("dbport", String.valueOf(port));
        site.put("dbname", database);
        site.put("db_tls", "false");
        return site;
    }

    static void assertNoPassword(Bundle.Result r, String... passwords) {
        for (String p : passwords) {
            assertThat(r.all()).doesNotContain(p);
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class PostgreSql {
        final AtomicInteger apps = new AtomicInteger();
        PasswordPostgres pg;

        @BeforeAll
        void start() {
            pg = PasswordPostgres.start();
        }

        @AfterAll
        void stop() throws Exception {
            pg.close();
        }

        PasswordPostgres.Site siteDb;
        String app;
        ObjectNode site;

        void newSite() {
            siteDb = pg.newSite(MASTER_PASSWORD);
            app = "moodle_app_" + apps.incrementAndGet();
            site = site("pgsql", siteDb.port(), siteDb.database());
        }

        String master() {
            return secret(siteDb.master(), MASTER_PASSWORD);
        }

        /** What Moodle's installer and its upgrades do: tables with serial ids, indexes, changes, temp tables, drops. */
        void actLikeMoodle(String password) throws SQLException {
            try (Connection c = pg.login(siteDb.database(), app, password); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE mdl_config (id BIGSERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL, value TEXT)");
                s.execute("CREATE UNIQUE INDEX mdl_conf_nam_uix ON mdl_config (name)");
                s.execute("INSERT INTO mdl_config (name, value) VALUES ('version', '2024100706.00')");
                s.execute("ALTER TABLE mdl_config ADD COLUMN extra TEXT");
                s.execute("CREATE TEMPORARY TABLE mdl_temp_x (id BIGINT)");
                s.execute("CREATE TABLE mdl_scratch (id BIGSERIAL PRIMARY KEY)");
                s.execute("DROP TABLE mdl_scratch");
            }
        }

        @Test
        void createsALoginThatCanBuildMoodlesTablesAndTheMasterStillReadsThem() throws Exception {
            newSite();
            Bundle.Result r = ensure(site, master(), secret(app, APP_PASSWORD));

            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(r.stdout()).contains("database role " + app + ": created");
            actLikeMoodle(APP_PASSWORD);
            // The InstallDetector logs in as the master and reads Moodle's tables.
            try (Connection c = pg.login(siteDb.database(), siteDb.master(), MASTER_PASSWORD);
                 ResultSet rs = c.createStatement().executeQuery("SELECT value FROM mdl_config WHERE name = 'version'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("2024100706.00");
            }
            // Nothing more than Moodle needs.
            try (Connection c = pg.login(siteDb.database(), app, APP_PASSWORD);
                 ResultSet rs = c.createStatement().executeQuery(
                         "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")) {
                rs.next();
                assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3))).containsOnly(false);
            }
            assertNoPassword(r, APP_PASSWORD, MASTER_PASSWORD);
        }

        @Test
        void runningAgainIsHarmlessAndSetsTheSecretsPasswordAgain() throws Exception {
            newSite();
            assertThat(ensure(site, master(), secret(app, APP_PASSWORD)).exit()).isZero();
            actLikeMoodle(APP_PASSWORD);

            Bundle.Result same = ensure(site, master(), secret(app, APP_PASSWORD));
            assertThat(same.exit()).as(same.all()).isZero();
            assertThat(same.stdout()).contains("database role " + app + ": password set").doesNotContain("handed");
            pg.login(siteDb.database(), app, APP_PASSWORD).close();

            Bundle.Result changed = ensure(site, master(), secret(app, APP_PASSWORD_2));
            assertThat(changed.exit()).as(changed.all()).isZero();
            try (Connection c = pg.login(siteDb.database(), app, APP_PASSWORD_2);
                 ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM mdl_config")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the tables are untouched").isEqualTo(1);
            }
            assertThatThrownBy(() -> pg.login(siteDb.database(), app, APP_PASSWORD).close())
                    .hasMessageContaining("password authentication failed");
        }

        @Test
        void aSiteInstalledWithTheMastersLoginHasItsTablesHandedOver() throws Exception {
            newSite();
            try (Connection c = pg.login(siteDb.database(), siteDb.master(), MASTER_PASSWORD); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE mdl_config (id BIGSERIAL PRIMARY KEY, name VARCHAR(255))");
                s.execute("CREATE TABLE mdl_user (id BIGSERIAL PRIMARY KEY)");
                s.execute("CREATE SEQUENCE mdl_own_seq");
                s.execute("CREATE TABLE unrelated (id INT)");
            }

            Bundle.Result r = ensure(site, master(), secret(app, APP_PASSWORD));

            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(r.stdout()).contains("handed 3 table(s) and sequence(s) with prefix mdl_");
            try (Connection c = pg.login(siteDb.database(), siteDb.master(), MASTER_PASSWORD);
                 ResultSet rs = c.createStatement().executeQuery(
                         "SELECT c.relname, r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                                 + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                                 + "AND c.relkind IN ('r', 'S') ORDER BY 1")) {
                Map<String, String> owners = new java.util.TreeMap<>();
                while (rs.next()) {
                    owners.put(rs.getString(1), rs.getString(2));
                }
                assertThat(owners).containsEntry("mdl_config", app).containsEntry("mdl_config_id_seq", app)
                        .containsEntry("mdl_user", app).containsEntry("mdl_user_id_seq", app)
                        .containsEntry("mdl_own_seq", app).containsEntry("unrelated", siteDb.master());
            }
            // An upgrade's ALTER TABLE needs the owner.
            try (Connection c = pg.login(siteDb.database(), app, APP_PASSWORD); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE mdl_config ADD COLUMN value TEXT");
                s.execute("INSERT INTO mdl_config (name, value) VALUES ('a', 'b')");
            }
        }

        @Test
        void theServerReceivesAVerifierNeverThePassword() throws Exception {
            newSite();
            Bundle.Result r = ensure(site, master(), secret(app, APP_PASSWORD_2));
            assertThat(r.exit()).as(r.all()).isZero();
            pg.login(siteDb.database(), app, APP_PASSWORD_2).close();

            String log = "";
            for (int i = 0; i < 50 && !log.contains("CREATE ROLE \"" + app + "\""); i++) {
                Thread.sleep(100);
                log = pg.serverLog();
            }
            assertThat(log).as("log_statement = all saw the statement").contains("CREATE ROLE \"" + app + "\"")
                    .contains("PASSWORD 'SCRAM-SHA-256$4096:");
            assertThat(log).doesNotContain(APP_PASSWORD_2).doesNotContain(MASTER_PASSWORD);
        }

        @Test
        void severalInstancesAtOnceAllSucceed() throws Exception {
            newSite();
            List<CompletableFuture<Bundle.Result>> runs = IntStream.range(0, 4)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> ensure(site, master(), secret(app, APP_PASSWORD))))
                    .toList();
            for (CompletableFuture<Bundle.Result> run : runs) {
                Bundle.Result r = run.get();
                assertThat(r.exit()).as(r.all()).isZero();
            }
            actLikeMoodle(APP_PASSWORD);
        }

        @Test
        void aWrongMasterPasswordFailsWithoutChangingAnythingOrShowingAPassword() {
            newSite();
            Bundle.Result r = ensure(site, secret(siteDb.master(), "not-the-master-password"), secret(app, APP_PASSWORD));

            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stderr()).contains("cannot connect to PostgreSQL as the master user")
                    .contains("password authentication failed");
            assertNoPassword(r, "not-the-master-password", APP_PASSWORD);
            assertThatThrownBy(() -> pg.login(siteDb.database(), app, APP_PASSWORD).close()).isInstanceOf(SQLException.class);
        }

        @Test
        void tlsAsksTheServerForIt() {
            newSite();
            site.put("db_tls", "true");
            Bundle.Result r = ensure(site, master(), secret(app, APP_PASSWORD));

            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stderr()).as("this server has no TLS; require must not fall back to plain text")
                    .contains("SSL");
        }
    }

    @Nested
    @ExtendWith(MariaDbExtension.class)
    class MariaDb {

        String database;
        String master;
        String app;
        ObjectNode site;

        /** A database and a master with the privileges RDS gives its MySQL master user (docs/decisions.md). */
        void newSite(MariaDbServer db) {
            int n = MARIADB_SITES.incrementAndGet();
            database = "site_" + n;
            master = "master_" + n;
            app = "moodle_app_" + n;
            db.admin("CREATE DATABASE " + database + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
            db.admin("CREATE USER '" + master + "'@'%' IDENTIFIED BY '" + MASTER_PASSWORD.replace("\\", "\\\\").replace("'", "''") + "'");
            db.admin("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, "
                    + "SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, "
                    + "CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER ON *.* TO '"
                    + master + "'@'%' WITH GRANT OPTION");
            site = site("mariadb", db.port(), database);
        }

        Connection login(MariaDbServer db, String name, String user, String password) throws SQLException {
            return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + db.port() + "/" + name, user, password);
        }

        @Test
        void createsAUserWhoCanBuildMoodlesTablesInItsDatabaseOnly(MariaDbServer db) throws Exception {
            newSite(db);
            Bundle.Result r = ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD));

            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(r.stdout()).contains("database user " + app + ": created");
            try (Connection c = login(db, database, app, APP_PASSWORD); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE mdl_config (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL)");
                s.execute("CREATE UNIQUE INDEX mdl_conf_nam_uix ON mdl_config (name)");
                s.execute("ALTER TABLE mdl_config ADD COLUMN value LONGTEXT");
                s.execute("INSERT INTO mdl_config (name, value) VALUES ('version', '2024100706.00')");
                s.execute("CREATE TEMPORARY TABLE mdl_temp_x (id BIGINT)");
                s.execute("TRUNCATE TABLE mdl_temp_x");
                s.execute("DROP TABLE mdl_temp_x");
            }
            assertThatThrownBy(() -> login(db, MariaDbServer.DATABASE, app, APP_PASSWORD).close())
                    .as("no other database").hasMessageContaining("denied");
            assertNoPassword(r, APP_PASSWORD, MASTER_PASSWORD);
        }

        @Test
        void runningAgainIsHarmlessAndSetsTheSecretsPasswordAgain(MariaDbServer db) throws Exception {
            newSite(db);
            assertThat(ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD)).exit()).isZero();
            try (Connection c = login(db, database, app, APP_PASSWORD)) {
                c.createStatement().execute("CREATE TABLE mdl_config (id BIGINT PRIMARY KEY)");
            }

            Bundle.Result same = ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD));
            assertThat(same.exit()).as(same.all()).isZero();
            assertThat(same.stdout()).contains("database user " + app + ": password set");
            login(db, database, app, APP_PASSWORD).close();

            Bundle.Result changed = ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD_2));
            assertThat(changed.exit()).as(changed.all()).isZero();
            try (Connection c = login(db, database, app, APP_PASSWORD_2);
                 ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM mdl_config")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
            assertThatThrownBy(() -> login(db, database, app, APP_PASSWORD).close()).hasMessageContaining("denied");
        }

        @Test
        void severalInstancesAtOnceAllSucceed(MariaDbServer db) throws Exception {
            newSite(db);
            List<CompletableFuture<Bundle.Result>> runs = IntStream.range(0, 4)
                    .mapToObj(i -> CompletableFuture.supplyAsync(
                            () -> ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD))))
                    .toList();
            for (CompletableFuture<Bundle.Result> run : runs) {
                Bundle.Result r = run.get();
                assertThat(r.exit()).as(r.all()).isZero();
            }
            login(db, database, app, APP_PASSWORD).close();
        }

        @Test
        void tlsAsksTheServerForIt(MariaDbServer db) {
            newSite(db);
            site.put("db_tls", "true");
            Bundle.Result r = ensure(site, secret(master, MASTER_PASSWORD), secret(app, APP_PASSWORD));

            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stderr()).contains("cannot connect to MySQL as the master user");
            assertNoPassword(r, APP_PASSWORD, MASTER_PASSWORD);
        }
    }

    @Test
    void refusesBadInputBeforeConnecting() {
        ObjectNode site = site("pgsql", 1, "moodle");
        String master = secret("moodle", "m");
        List<List<String>> cases = List.of(
                List.of(secret("moodle", "pw"), "the application secret's username must not be the master user's"),
                List.of(secret("moodle_app; DROP", "pw"), "'username' must be a letter or _"),
                List.of(Bundle.json(Map.of("username", "moodle_app")), "has no non-empty string 'password'"),
                List.of(secret("moodle_app", "pässwort"), "password must be printable ASCII"),
                List.of("not json", "the application secret is not valid JSON"));
        for (List<String> c : cases) {
            Bundle.Result r = ensure(site, master, c.get(0));
            assertThat(r.exit()).as(c.get(1)).isEqualTo(2);
            assertThat(r.stderr()).contains(c.get(1)).doesNotContain("pässwort").doesNotContain("cannot connect");
        }
        Bundle.Result noNul = Bundle.run(List.of(Bundle.php(), Bundle.files().resolve("config/ensure-app-user.php").toString(),
                "--site=" + writeSite(site)), Map.of(), master, tmp);
        assertThat(noNul.exit()).isEqualTo(2);
        assertThat(noNul.stderr()).contains("one NUL byte");
    }

    private Path writeSite(ObjectNode site) {
        Path f = tmp.resolve("site.json");
        Bundle.write(f, site.toString());
        return f;
    }
}
