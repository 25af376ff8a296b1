package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * RDS rotates the managed master password (every 7 days by default). The web tier follows with no
 * window: the instance scripts run for real (install-release.sh with ensure-app-user.sh and
 * render-config.sh, the fake aws answering from moto_server's Secrets Manager and SSM), against a
 * real PostgreSQL that checks passwords; the rotation is a new secret value in moto plus ALTER ROLE
 * of the master in PostgreSQL, as RDS does it.
 */
@ExtendWith(MotoExtension.class)
class DatabaseRotationTest {
    static final String APP_PASSWORD = "Zq7AppPasswordFromTheStackSecret0123456";
    static final String MASTER_PASSWORD_1 = "master-password-before-rotation";
    static final String MASTER_PASSWORD_2 = "master-password-after-rotation";

    static PasswordPostgres pg;

    @BeforeAll
    static void start() {
        pg = PasswordPostgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    @TempDir
    Path tmp;

    FakeInstance instance;
    Path bundle;
    Path dirroot;
    PasswordPostgres.Site db;
    String masterArn;
    String appArn;
    /** Roles are the server's, not the database's: one per test. */
    String appUser;
    final List<String> configs = new ArrayList<>();

    @BeforeEach
    void setUp(MotoServer moto) {
        db = pg.newSite(MASTER_PASSWORD_1);
        appUser = "moodle_app_" + db.database();
        try (SecretsManagerClient sm = SecretsManagerClient.create(); SsmClient ssm = SsmClient.create()) {
            masterArn = sm.createSecret(b -> b.name("rds!cluster-" + db.database())
                    .secretString(master(MASTER_PASSWORD_1))).arn();
            appArn = sm.createSecret(b -> b.name("/Moodle/" + FakeInstance.STACK + "/DatabaseAppUser")
                    .secretString(Bundle.json(Map.of("username", appUser, "password", APP_PASSWORD)))).arn();
            dirroot = tmp.resolve("www/moodle");
            ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
            site.put("dbhost", "127.0.0.1");
            site.put("dbport", String.valueOf(db.port()));
            site.put("dbname", db.database());
            site.put("db_tls", "false");
            site.put("db_secret_arn", masterArn);
            site.put("db_app_secret_arn", appArn);
            site.put("dirroot", dirroot.toString());
            ssm.putParameter(b -> b.name("/Moodle/" + FakeInstance.STACK + "/Site/Config").type(ParameterType.STRING)
                    .value(site.toString()));
        }
        instance = new FakeInstance(tmp);
        instance.extraEnv.put("FAKE_AWS_ENDPOINT", moto.url());
        instance.extraEnv.put("AWS_REGION", MotoServer.REGION);
        bundle = tmp.resolve("bundle");
        Bundle.copyBundle(bundle);
    }

    String master(String password) {
        return Bundle.json(Map.of("engine", "postgres", "username", db.master(), "password", password));
    }

    /** A small Moodle-shaped release in the bundle copy, as the pipeline stages one. */
    void stageRelease(String tag) {
        Path src = tmp.resolve("src-" + tag);
        Bundle.write(src.resolve("moodle/version.php"), "<?php\n$release = '" + tag + "';\n");
        Bundle.write(src.resolve("moodle/lib/setup.php"), "<?php\n$GLOBALS['stub_setup_loaded'] = true;\n");
        Bundle.Result tar = Bundle.run(List.of("tar", "-czf", bundle.resolve("moodle-release.tgz").toString(),
                "-C", src.toString(), "moodle"));
        assertThat(tar.exit()).as(tar.all()).isZero();
    }

    /** config.php as Moodle would load it; every version is kept to check none ever held the master's password. */
    JsonNode liveConfig() throws Exception {
        Path live = dirroot.toRealPath();
        configs.add(Files.readString(live.resolve("config.php")));
        return Bundle.loadConfig(live);
    }

    Connection connectAs(JsonNode cfg) throws SQLException {
        return pg.login(cfg.path("dbname").asText(), cfg.path("dbuser").asText(), cfg.path("dbpass").asText());
    }

    @Test
    void theWebConfigurationFollowsARotationOfTheMasterPasswordWithNoWindow() throws Exception {
        // Deployment (the bootstrap's release step): the application user, then config.php with it.
        stageRelease("4.5.6");
        Bundle.Result first = instance.run(bundle.resolve("scripts/install-release.sh"));
        assertThat(first.exit()).as(first.all()).isZero();
        assertThat(first.stderr()).contains("database role " + appUser + ": created");
        JsonNode before = liveConfig();
        assertThat(before.path("dbuser").asText()).isEqualTo(appUser);
        assertThat(before.path("dbpass").asText()).isEqualTo(APP_PASSWORD);
        // Moodle's installer, through config.php's login, creates its tables.
        try (Connection c = connectAs(before); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE mdl_config (id BIGSERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL, value TEXT)");
            s.execute("INSERT INTO mdl_config (name, value) VALUES ('rolesactive', '1')");
        }

        // RDS rotates the master: a new AWSCURRENT value, and the database's password changes with it.
        try (SecretsManagerClient sm = SecretsManagerClient.create()) {
            sm.putSecretValue(b -> b.secretId(masterArn).secretString(master(MASTER_PASSWORD_2)));
        }
        pg.admin("postgres", "ALTER ROLE " + db.master() + " PASSWORD " + PasswordPostgres.literal(MASTER_PASSWORD_2));
        assertThatThrownBy(() -> pg.login(db.database(), db.master(), MASTER_PASSWORD_1).close())
                .as("the rotation is real: the old master password no longer logs in")
                .hasMessageContaining("password authentication failed");

        // No window: the config.php rendered before the rotation still logs in, with nothing re-rendered.
        try (Connection c = connectAs(before);
             ResultSet rs = c.createStatement().executeQuery("SELECT value FROM mdl_config WHERE name = 'rolesactive'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("1");
        }

        // A re-render (the <stack>-render-config Run Command document) reads the application secret only.
        Files.deleteIfExists(tmp.resolve("aws/calls.log"));
        Bundle.Result render = instance.run(bundle.resolve("scripts/render-config.sh"));
        assertThat(render.exit()).as(render.all()).isZero();
        assertThat(Bundle.read(tmp.resolve("aws/calls.log"))).contains(appArn).doesNotContain(masterArn);
        try (Connection c = connectAs(liveConfig())) {
            assertThat(c.isValid(5)).isTrue();
        }

        // The next deployment (or a new instance) after the rotation: the step that uses the master
        // reads the rotated value, and config.php keeps the application user.
        stageRelease("4.5.7");
        Bundle.Result next = instance.run(bundle.resolve("scripts/install-release.sh"));
        assertThat(next.exit()).as(next.all()).isZero();
        assertThat(next.stderr()).contains("database role " + appUser + ": password set");
        JsonNode after = liveConfig();
        assertThat(after.path("dbuser").asText()).isEqualTo(appUser);
        try (Connection c = connectAs(after);
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM mdl_config")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }

        // The master's password was never in config.php; no password in any aws call, php argv or
        // environment, or the log.
        assertThat(configs).hasSize(3).allSatisfy(cfg -> assertThat(cfg)
                .doesNotContain(MASTER_PASSWORD_1).doesNotContain(MASTER_PASSWORD_2).doesNotContain(db.master()));
        assertThat(instance.traces()).contains("argv: ").contains("env: ")
                .doesNotContain(MASTER_PASSWORD_1).doesNotContain(MASTER_PASSWORD_2).doesNotContain(APP_PASSWORD);
        for (Bundle.Result r : List.of(first, render, next)) {
            assertThat(r.all()).doesNotContain(MASTER_PASSWORD_1).doesNotContain(MASTER_PASSWORD_2).doesNotContain(APP_PASSWORD);
        }
    }

    /**
     * Mid-rotation, Secrets Manager may still hand out the previous value for about a minute while
     * the database already has the new password: the step reads the secret again and succeeds.
     */
    @Test
    void aDeploymentDuringTheRotationWaitsForTheNewSecretValue() throws Exception {
        instance.extraEnv.put("APP_USER_RETRY_SECONDS", "2");
        pg.admin("postgres", "ALTER ROLE " + db.master() + " PASSWORD " + PasswordPostgres.literal(MASTER_PASSWORD_2));
        // Its own thread: Bundle.run reads the scripts' output on the common pool.
        ExecutorService watcher = Executors.newSingleThreadExecutor();
        CompletableFuture<Void> rotationFinishes = CompletableFuture.runAsync(() -> {
            Path log = tmp.resolve("log/moodle-autopilot.log");
            for (int i = 0; i < 600; i++) {
                if (Files.exists(log) && Bundle.read(log).contains("retrying in 2s")) {
                    try (SecretsManagerClient sm = SecretsManagerClient.create()) {
                        sm.putSecretValue(b -> b.secretId(masterArn).secretString(master(MASTER_PASSWORD_2)));
                    }
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            throw new AssertionError("ensure-app-user.sh never retried");
        }, watcher);
        watcher.shutdown();
        stageRelease("4.5.6");

        Bundle.Result r = instance.run(bundle.resolve("scripts/install-release.sh"));

        assertThat(r.exit()).as(r.all()).isZero();
        rotationFinishes.get(30, TimeUnit.SECONDS);
        assertThat(r.stderr()).contains("password authentication failed").contains("attempt 2 of 4")
                .contains("database role " + appUser + ": created").doesNotContain(MASTER_PASSWORD_2);
        try (Connection c = connectAs(liveConfig())) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void withoutTheMastersLoginNoConfigIsRenderedAndThePreviousReleaseStaysLive() throws Exception {
        instance.extraEnv.put("APP_USER_RETRY_SECONDS", "0");
        stageRelease("4.5.6");
        assertThat(instance.run(bundle.resolve("scripts/install-release.sh")).exit()).isZero();
        Path live = dirroot.toRealPath();
        // The secret and the database disagree (a rotation half done): the step stops the deployment.
        try (SecretsManagerClient sm = SecretsManagerClient.create()) {
            sm.putSecretValue(b -> b.secretId(masterArn).secretString(master("not-what-the-database-has")));
        }

        stageRelease("4.5.7");
        Bundle.Result r = instance.run(bundle.resolve("scripts/install-release.sh"));

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("password authentication failed").contains("attempt 4 of 4")
                .contains("the database's application user was not ensured").doesNotContain("not-what-the-database-has");
        assertThat(dirroot.toRealPath()).as("dirroot still on the previous release").isEqualTo(live);
        try (Connection c = connectAs(Bundle.loadConfig(live))) {
            assertThat(c.isValid(5)).isTrue();
        }
    }
}
