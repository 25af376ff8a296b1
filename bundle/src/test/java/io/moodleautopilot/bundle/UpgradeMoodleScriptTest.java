package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/upgrade-moodle.sh (CodeDeploy ApplicationStart, and the converger's resume command) on a
 * fake instance with a REAL Moodle 4.5.6 (InstalledMoodle, reset for each test) and a real add-on
 * plugin written here: local_autopilottest, with a version, an install step and an upgrade step
 * that count their runs in Moodle's config_plugins, and can be made to fail or to take a while.
 * The plugin arrives as install-release.sh leaves a declared one: its directory in the code and
 * the release's .autopilot-plugins.json naming it.
 */
@ExtendWith(EmbeddedPostgresExtension.class)
class UpgradeMoodleScriptTest {
    static final String COMPONENT = "local_autopilottest";
    static final String RECORD = "/Moodle/" + FakeInstance.STACK + "/Automation/Upgrade";

    @TempDir
    Path tmp;

    FakeInstance instance;
    InstalledMoodle moodle;
    Path dirroot;
    Path plugin;

    @BeforeEach
    void setUp(EmbeddedPostgres pg) throws IOException {
        moodle = InstalledMoodle.get(pg);
        moodle.restore();
        instance = new FakeInstance(tmp);
        dirroot = tmp.resolve("www/moodle");
        Files.createDirectories(dirroot.getParent());
        Files.createSymbolicLink(dirroot, moodle.dirroot);
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        site.put("dataroot", moodle.dataroot.toString());
        instance.putSiteConfig(site);
        instance.extraEnv.putAll(moodle.phpEnv());
        instance.extraEnv.put("INSTANCE_ID", "i-0aaaaaaaaaaaaaaa1");
        plugin = moodle.dirroot.resolve("local/autopilottest");
    }

    @AfterEach
    void removeThePlugin() throws IOException {
        Bundle.run(Bundle.command("rm", "-rf", plugin.toString(), moodle.dirroot.resolve(".autopilot-plugins.json").toString()));
        moodle.restore();
    }

    /** The test plugin at VERSION; its upgrade step (to VERSION) fails when told to, or sleeps. */
    void writePlugin(long version, boolean failingUpgrade, int upgradeSeconds) {
        Bundle.write(plugin.resolve("version.php"), """
                <?php
                defined('MOODLE_INTERNAL') || die();
                $plugin->component = 'local_autopilottest';
                $plugin->version = %d;
                $plugin->requires = 2024100700;
                $plugin->maturity = MATURITY_STABLE;
                """.formatted(version));
        Bundle.write(plugin.resolve("lang/en/local_autopilottest.php"), """
                <?php
                $string['pluginname'] = 'Autopilot test plugin';
                """);
        Bundle.write(plugin.resolve("db/install.php"), """
                <?php
                function xmldb_local_autopilottest_install() {
                    set_config('installruns', (int) get_config('local_autopilottest', 'installruns') + 1, 'local_autopilottest');
                    return true;
                }
                """);
        Bundle.write(plugin.resolve("db/upgrade.php"), """
                <?php
                function xmldb_local_autopilottest_upgrade($oldversion) {
                    if ($oldversion < %1$d) {
                        set_config('upgraderuns', (int) get_config('local_autopilottest', 'upgraderuns') + 1, 'local_autopilottest');
                        sleep(%2$d);
                        if (%3$s) {
                            throw new coding_exception('the test plugin upgrade step to %1$d fails on purpose');
                        }
                        upgrade_plugin_savepoint(true, %1$d, 'local', 'autopilottest');
                    }
                    return true;
                }
                """.formatted(version, upgradeSeconds, failingUpgrade ? "true" : "false"));
        declare(COMPONENT);
    }

    /** The release's manifest, as install-release.sh copies it beside the code. */
    void declare(String... components) {
        List<Map<String, String>> plugins = new ArrayList<>();
        for (String c : components) {
            plugins.add(Map.of("component", c, "path", "local/" + c.substring("local_".length())));
        }
        Bundle.write(moodle.dirroot.resolve(".autopilot-plugins.json"), Bundle.json(Map.of("plugins", plugins)));
    }

    Bundle.Result upgrade() {
        return instance.run(Bundle.files().resolve("scripts/upgrade-moodle.sh"));
    }

    JsonNode record() {
        return Bundle.parse(Bundle.read(instance.awsDir.resolve("ssm").resolve(FakeInstance.key(RECORD))));
    }

    String pluginConfig(String name) {
        return moodle.queryOne("SELECT value FROM mdl_config_plugins WHERE plugin = ? AND name = ?", COMPONENT, name);
    }

    boolean inMaintenance() {
        return Files.exists(moodle.dataroot.resolve("climaintenance.html"));
    }

    @Test
    void aDeclaredPluginIsInstalledOnceAndItsUpgradeStepRunsOnce() {
        Bundle.Result nothing = upgrade();
        assertThat(nothing.exit()).as(nothing.all()).isZero();
        assertThat(nothing.stderr()).contains("nothing to upgrade");
        assertThat(record().path("state").asText()).isEqualTo("CURRENT");
        assertThat(record().path("database").path("release").asText()).startsWith("4.5.6");

        writePlugin(2025010100L, false, 0);
        Bundle.Result install = upgrade();
        assertThat(install.exit()).as(install.all()).isZero();
        assertThat(pluginConfig("version")).isEqualTo("2025010100");
        assertThat(pluginConfig("installruns")).isEqualTo("1");
        assertThat(inMaintenance()).as("maintenance mode is off after the upgrade").isFalse();
        JsonNode done = record();
        assertThat(done.path("state").asText()).isEqualTo("DONE");
        assertThat(done.path("plugins").path(COMPONENT).asText()).isEqualTo("2025010100");
        assertThat(done.path("owner").asText()).isEqualTo("i-0aaaaaaaaaaaaaaa1");
        assertThat(done.path("code").path("version").asText()).isEqualTo(done.path("database").path("version").asText());
        assertThat(moodle.queryOne("SELECT value FROM mdl_config WHERE name = 'upgraderunning'")).isNull();

        writePlugin(2025010101L, false, 0);
        Bundle.Result raised = upgrade();
        assertThat(raised.exit()).as(raised.all()).isZero();
        assertThat(pluginConfig("version")).isEqualTo("2025010101");
        assertThat(pluginConfig("upgraderuns")).isEqualTo("1");
        assertThat(pluginConfig("installruns")).isEqualTo("1");

        // The next deployment of the same code: nothing runs again.
        Bundle.Result again = upgrade();
        assertThat(again.exit()).as(again.all()).isZero();
        assertThat(again.stderr()).contains("nothing to upgrade");
        assertThat(pluginConfig("upgraderuns")).isEqualTo("1");
        assertThat(record().path("state").asText()).isEqualTo("CURRENT");
    }

    @Test
    void aPluginNoLongerDeclaredIsUninstalledByMoodlesCli() throws IOException {
        writePlugin(2025010100L, false, 0);
        assertThat(upgrade().exit()).isZero();
        assertThat(pluginConfig("version")).isEqualTo("2025010100");

        // The next release without it: its directory is not in the code, the manifest names nothing.
        Bundle.run(Bundle.command("rm", "-rf", plugin.toString()));
        declare();
        Bundle.Result removed = upgrade();
        assertThat(removed.exit()).as(removed.all()).isZero();
        assertThat(removed.stderr()).contains("uninstalling the plugins no longer declared: " + COMPONENT);
        assertThat(Bundle.read(instance.log)).contains("Uninstalling: " + COMPONENT);
        assertThat(moodle.queryAll("SELECT name FROM mdl_config_plugins WHERE plugin = ?", COMPONENT)).isEmpty();
        assertThat(record().path("state").asText()).isEqualTo("DONE");
        assertThat(record().path("plugins").size()).isZero();
        assertThat(inMaintenance()).isFalse();
    }

    @Test
    void aFailingUpgradeStepLeavesMaintenanceOnWithItsReasonAndTheFixResumesIt() {
        writePlugin(2025010100L, false, 0);
        assertThat(upgrade().exit()).isZero();

        writePlugin(2025010101L, true, 0);
        Bundle.Result failed = upgrade();
        assertThat(failed.exit()).as(failed.all()).isEqualTo(1);
        assertThat(inMaintenance()).as("maintenance mode stays on").isTrue();
        JsonNode record = record();
        assertThat(record.path("state").asText()).isEqualTo("FAILED");
        assertThat(record.path("reason").asText()).contains("admin/cli/upgrade.php failed")
                .contains("fails on purpose");
        assertThat(record.path("runbook").asText()).isEqualTo("docs/runbook.md#moodle-upgrade-failed");
        assertThat(Bundle.read(moodle.dataroot.resolve(".autopilot/maintenance"))).contains("fails on purpose");
        assertThat(pluginConfig("version")).isEqualTo("2025010100");

        // Running the same broken code again does not lift maintenance.
        Bundle.Result stillBroken = upgrade();
        assertThat(stillBroken.exit()).isEqualTo(1);
        assertThat(inMaintenance()).isTrue();

        // The fix: the next deployment's code; the upgrade resumes and the site is back.
        writePlugin(2025010101L, false, 0);
        Bundle.Result fixed = upgrade();
        assertThat(fixed.exit()).as(fixed.all()).isZero();
        assertThat(pluginConfig("version")).isEqualTo("2025010101");
        assertThat(inMaintenance()).isFalse();
        assertThat(record().path("state").asText()).isEqualTo("DONE");
        assertThat(Files.exists(moodle.dataroot.resolve(".autopilot/maintenance"))).isFalse();
    }

    @Test
    void aRollbackToOlderCodeAfterAFailureKeepsMaintenanceOn() {
        writePlugin(2025010100L, false, 0);
        assertThat(upgrade().exit()).isZero();
        writePlugin(2025010101L, true, 0);
        assertThat(upgrade().exit()).isEqualTo(1);

        // CodeDeploy's automatic rollback puts the previous revision back: the database matches it.
        writePlugin(2025010100L, false, 0);
        Bundle.Result rollback = upgrade();
        assertThat(rollback.exit()).as(rollback.all()).isZero();
        assertThat(rollback.stderr()).contains("stays on until an upgrade succeeds");
        assertThat(inMaintenance()).isTrue();
        assertThat(record().path("state").asText()).isEqualTo("FAILED");
    }

    @Test
    void codeOlderThanTheDatabaseIsRefusedAndNothingIsWritten() {
        writePlugin(2025010105L, false, 0);
        assertThat(upgrade().exit()).isZero();
        String before = Bundle.read(instance.awsDir.resolve("ssm").resolve(FakeInstance.key(RECORD)));

        writePlugin(2025010100L, false, 0);
        Bundle.Result down = upgrade();
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.stderr()).contains("declared plugins older than the database: " + COMPONENT + " 2025010100 < 2025010105");
        assertThat(pluginConfig("version")).isEqualTo("2025010105");
        assertThat(inMaintenance()).isFalse();
        assertThat(Bundle.read(instance.awsDir.resolve("ssm").resolve(FakeInstance.key(RECORD)))).isEqualTo(before);

        // Core older than the database: the database says a later build than the code's version.php.
        moodle.execute("UPDATE mdl_config SET value = '2099010100.00' WHERE name = 'version'");
        Bundle.Result core = upgrade();
        assertThat(core.exit()).isEqualTo(1);
        assertThat(core.stderr()).contains("is older than the database (2099010100.00)");
        assertThat(inMaintenance()).isFalse();
    }

    @Test
    void twoInstancesRacingRunTheUpgradeOnceAndTheOtherServesTheMaintenancePage() throws Exception {
        writePlugin(2025010100L, false, 0);
        assertThat(upgrade().exit()).isZero();
        writePlugin(2025010101L, false, 6);

        // The other instance's web server: PHP's own server on the same code, database and dataroot.
        int port = HealthPageTest.freePort();
        Process web = startWebServer(port, moodle.phpEnv());
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            waitForAnswer(http, port);

            FakeInstance second = new FakeInstance(tmp.resolve("second"));
            second.extraEnv.putAll(instance.extraEnv);
            second.extraEnv.put("INSTANCE_ID", "i-0bbbbbbbbbbbbbbb2");
            second.extraEnv.put("FAKE_AWS_DIR", instance.awsDir.toString());
            long started = System.nanoTime();
            CompletableFuture<Bundle.Result> a = CompletableFuture.supplyAsync(this::upgrade);
            CompletableFuture<Bundle.Result> b = CompletableFuture.supplyAsync(
                    () -> second.run(Bundle.files().resolve("scripts/upgrade-moodle.sh")));
            Map<Integer, Integer> served = new TreeMap<>();
            boolean sawMaintenancePage = false;
            while (!(a.isDone() && b.isDone())) {
                HttpResponse<String> r = get(http, port, "/login/index.php");
                served.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 503 && r.body().contains("maintenance")) {
                    sawMaintenancePage = true;
                }
                Thread.sleep(200);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Bundle.Result ra = a.get();
            Bundle.Result rb = b.get();
            assertThat(ra.exit()).as(ra.all()).isZero();
            assertThat(rb.exit()).as(rb.all()).isZero();
            assertThat(pluginConfig("upgraderuns")).as("the upgrade step ran once").isEqualTo("1");
            assertThat(List.of(ra.stderr(), rb.stderr())).filteredOn(s -> s.contains("upgrading Moodle's database")).hasSize(1);
            assertThat(List.of(ra.stderr(), rb.stderr())).filteredOn(s -> s.contains("nothing to upgrade")).hasSize(1);
            assertThat(sawMaintenancePage).as("the other instance served Moodle's maintenance page: %s", served).isTrue();
            assertThat(served.keySet()).as("only the maintenance page (503) or Moodle's own answers (200, 303): %s", served)
                    .isSubsetOf(200, 303, 503);
            HttpResponse<String> after = get(http, port, "/login/index.php");
            assertThat(after.statusCode()).isIn(200, 303);
            System.out.printf("UpgradeMoodleScriptTest: plugin upgrade with two instances racing: %.1f s; the other"
                    + " instance served %s (status: requests)%n", seconds, served);
        } finally {
            web.destroy();
        }
    }

    Process startWebServer(int port, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Bundle.php(), "-S", "127.0.0.1:" + port, "-t", moodle.dirroot.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("php-server.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static void waitForAnswer(HttpClient http, int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                get(http, port, "/login/index.php");
                return;
            } catch (RuntimeException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("PHP's server on port " + port + " did not answer");
    }

    static HttpResponse<String> get(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RuntimeException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }
}
