package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The bundle's manifest, the appspec and the configuration files hang together. */
class BundleLayoutTest {
    static final List<String> HOOKS = List.of("BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService");

    static Path files() {
        return Bundle.files();
    }

    static List<String> bundlePaths() {
        return Bundle.listFiles(files()).stream()
                .map(p -> files().relativize(p).toString())
                .filter(p -> !p.equals("FILES"))
                .sorted()
                .toList();
    }

    static List<String> scripts() {
        return bundlePaths().stream().filter(p -> p.startsWith("scripts/") && p.endsWith(".sh")).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> appspec() {
        return (Map<String, Object>) new Yaml().load(Bundle.read(files().resolve("appspec.yml")));
    }

    @Test
    void filesListsEveryBundlePathSorted() {
        List<String> listed = Bundle.read(files().resolve("FILES")).lines().toList();
        assertThat(listed).as("FILES (regenerate: cd bundle/files && find . -type f ! -name FILES -printf '%%P\\n' | LC_ALL=C sort > FILES)")
                .isEqualTo(bundlePaths());
    }

    @Test
    @SuppressWarnings("unchecked")
    void appspecDeploysTheBundleAndItsHooksExist() {
        Map<String, Object> appspec = appspec();
        assertThat(appspec.get("os")).isEqualTo("linux");
        assertThat(String.valueOf(appspec.get("version"))).isEqualTo("0.0");
        assertThat(appspec.get("file_exists_behavior")).isEqualTo("OVERWRITE");
        List<Map<String, Object>> fileMappings = (List<Map<String, Object>>) appspec.get("files");
        assertThat(fileMappings).containsExactly(Map.of("source", "/", "destination", "/opt/moodle-autopilot/bundle"));

        Map<String, Object> hooks = (Map<String, Object>) appspec.get("hooks");
        assertThat(hooks.keySet()).containsExactlyElementsOf(HOOKS);
        for (String hook : HOOKS) {
            List<Map<String, Object>> steps = (List<Map<String, Object>>) hooks.get(hook);
            assertThat(steps).as(hook).isNotEmpty();
            int total = 0;
            for (Map<String, Object> step : steps) {
                String location = (String) step.get("location");
                assertThat(files().resolve(location)).as("%s's script", hook).isRegularFile();
                assertThat(Files.isExecutable(files().resolve(location))).as("%s is executable", location).isTrue();
                assertThat((Integer) step.get("timeout")).as("%s timeout", hook).isBetween(60, 3600);
                assertThat(step.get("runas")).isEqualTo("root");
                total += (Integer) step.get("timeout");
            }
            // CodeDeploy allows one hour for all the scripts of a lifecycle event together.
            assertThat(total).as("%s's scripts' timeouts together", hook).isLessThanOrEqualTo(3600);
        }
        // The database upgrade runs once the new release serves (after start.sh), before ValidateService.
        assertThat(((List<Map<String, Object>>) hooks.get("ApplicationStart")).stream().map(s -> s.get("location")))
                .containsExactly("scripts/start.sh", "scripts/upgrade-moodle.sh");
    }

    /** Scripts started from outside the bundle, which no file of the bundle names. */
    static final Map<String, String> ENTRY_POINTS = Map.of(
            // the launch template's UserData entry point
            "scripts/bootstrap.sh", "launch template UserData",
            // run by the <stack>-moodle-config SSM document (template.yaml), as
            // bash /opt/moodle-autopilot/bundle/scripts/apply-moodle-config.sh '{{ Payload }}'
            "scripts/apply-moodle-config.sh", "run by the <stack>-moodle-config SSM document");

    @Test
    void everyScriptIsUsed() {
        // Every script but the entry points is named by the appspec, the bootstrap or another script.
        String appspec = Bundle.read(files().resolve("appspec.yml"));
        for (String script : scripts()) {
            if (ENTRY_POINTS.containsKey(script)) {
                continue;
            }
            String name = script.substring("scripts/".length());
            boolean used = appspec.contains(script) || scripts().stream()
                    .filter(other -> !other.equals(script))
                    .anyMatch(other -> Bundle.read(files().resolve(other)).contains(name));
            assertThat(used).as("%s is referenced from appspec.yml or another script", script).isTrue();
        }
    }

    @Test
    void everyConfigFileIsUsedByAScript() {
        String allScripts = scripts().stream().map(s -> Bundle.read(files().resolve(s))).collect(Collectors.joining("\n"));
        for (String path : bundlePaths()) {
            if (path.equals("config/autopilot-db.php")) {
                // A library: the two pages that read the database require it beside themselves.
                for (String user : List.of("config/health.php", "config/install-state.php")) {
                    assertThat(Bundle.read(files().resolve(user))).contains("require_once(__DIR__ . '/autopilot-db.php');");
                }
            } else if (path.startsWith("config/")) {
                assertThat(allScripts).as("%s is installed or run by a script", path).contains(path);
            }
        }
    }

    @Test
    void everyMoodleSideScriptIsRunOrRequired() {
        // moodle/*.php run inside Moodle (as the web server's user): the driver runs the two scripts,
        // and they require the library.
        String driver = Bundle.read(files().resolve("scripts/apply-moodle-config.sh"));
        List<String> moodleFiles = bundlePaths().stream().filter(p -> p.startsWith("moodle/")).toList();
        assertThat(moodleFiles).containsExactly("moodle/apply-settings.php", "moodle/autopilot-lib.php", "moodle/configure-muc.php",
                "moodle/settings-rules.json");
        // The library reads the rules beside itself (the converger reads the same file from its package).
        assertThat(Bundle.read(files().resolve("moodle/autopilot-lib.php"))).contains("__DIR__ . '/settings-rules.json'");
        assertThat(driver).contains("$BUNDLE_DIR/moodle/apply-settings.php", "$BUNDLE_DIR/moodle/configure-muc.php");
        for (String script : List.of("moodle/apply-settings.php", "moodle/configure-muc.php")) {
            assertThat(Bundle.read(files().resolve(script))).contains("require_once(__DIR__ . '/autopilot-lib.php');");
        }
    }

    @Test
    void theBootstrapRunsTheHooksStepsInOrder() {
        String bootstrap = Bundle.read(files().resolve("scripts/bootstrap.sh"));
        List<Integer> positions = new ArrayList<>();
        for (String step : List.of("scripts/before-install.sh", "scripts/install-release.sh",
                "unattended_install\n", "scripts/start.sh", "scripts/validate.sh", "/bootstrapped\"")) {
            int at = bootstrap.lastIndexOf(step);
            assertThat(at).as(step).isPositive();
            positions.add(at);
        }
        assertThat(positions).isSorted();
    }

    @Test
    void phpSettingsFollowMoodlesRecommendations() {
        Bundle.Result r = Bundle.run(command(Bundle.php(), "-r",
                "echo json_encode(parse_ini_file($argv[1], false, INI_SCANNER_TYPED));",
                files().resolve("config/php-moodle.ini").toString()));
        assertThat(r.exit()).as(r.all()).isZero();
        JsonNode ini = Bundle.parse(r.stdout());
        assertThat(ini.path("max_input_vars").asInt()).isGreaterThanOrEqualTo(5000);
        assertThat(ini.path("opcache.enable").asBoolean()).isTrue();
        assertThat(ini.path("opcache.max_accelerated_files").asInt()).isGreaterThanOrEqualTo(10000);
        assertThat(ini.path("opcache.memory_consumption").asInt()).isGreaterThanOrEqualTo(128);
        assertThat(ini.path("opcache.revalidate_freq").asInt()).isEqualTo(60);
        // "Required for Moodle" (docs.moodle.org, OPcache).
        assertThat(ini.path("opcache.use_cwd").asBoolean()).isTrue();
        assertThat(ini.path("opcache.validate_timestamps").asBoolean()).isTrue();
        assertThat(ini.path("opcache.save_comments").asBoolean()).isTrue();
        assertThat(ini.path("opcache.enable_file_override").asBoolean(true)).isFalse();
    }

    @Test
    void cloudWatchAgentCollectsMemoryDiskAndTheWebLogs() {
        JsonNode agent = Bundle.parse(Bundle.read(files().resolve("config/amazon-cloudwatch-agent.json")));
        JsonNode metrics = agent.path("metrics").path("metrics_collected");
        assertThat(metrics.path("mem").path("measurement").toString()).contains("mem_used_percent");
        assertThat(metrics.path("disk").path("measurement").toString()).contains("used_percent");
        List<String> files = new ArrayList<>();
        agent.path("logs").path("logs_collected").path("files").path("collect_list").forEach(f -> {
            files.add(f.path("file_path").asText());
            assertThat(f.path("log_group_name").asText()).as("bootstrap.sh puts the site's log_group here")
                    .isEqualTo("@LOG_GROUP@");
        });
        assertThat(files).contains("/var/log/httpd/error_log", "/var/log/php-fpm/www-error.log",
                "/var/log/php-fpm/error.log");
    }

    @Test
    void cronRunsMoodlesCronEveryMinuteAsTheWebServer() {
        String cron = Bundle.read(files().resolve("config/moodle-cron"));
        assertThat(cron.lines().filter(l -> l.startsWith("* ")).toList())
                .containsExactly("* * * * * apache /usr/bin/php @CRON_SCRIPT@ >>/var/log/moodle/cron.log 2>&1");
        // lib.sh's render_cron puts the release's admin/cli/cron.php there (ReleaseLayoutTest).
        assertThat(Bundle.read(files().resolve("scripts/lib.sh"))).contains("sed \"s#@CRON_SCRIPT@#$script#g\"");
    }

    @Test
    void theHealthPageIsServedFromTheBundleToTheLoadBalancersAddressesOnly() {
        String vhost = Bundle.read(files().resolve("config/httpd-moodle.conf"));
        assertThat(vhost).contains("Alias /autopilot-health @HEALTH_PAGE@")
                .containsPattern("<Location /autopilot-health>\\s+Require ip 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10\\s+</Location>");
        // The trusted proxies of mod_remoteip are the same ranges: a forwarded request has its client's address.
        assertThat(vhost).contains("RemoteIPInternalProxy 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10");
        assertThat(Bundle.read(files().resolve("scripts/bootstrap.sh")))
                .contains("render_vhost \"$BUNDLE_DIR/config/httpd-moodle.conf\" \"$DIRROOT\" \"$BUNDLE_DIR/config/health.php\"");
        assertThat(Bundle.read(files().resolve("scripts/lib.sh"))).contains("-e \"s#@HEALTH_PAGE@#$3#\"");
    }

    @Test
    void theVirtualHostServesMoodleThroughPhpFpm() {
        String vhost = Bundle.read(files().resolve("config/httpd-moodle.conf"));
        // The document root follows the release's layout (lib.sh render_vhost; ReleaseLayoutTest).
        assertThat(vhost).contains("DocumentRoot @DOCUMENT_ROOT@", "<Directory @DOCUMENT_ROOT@>", "DirectoryIndex index.php", "AcceptPathInfo On",
                "LimitRequestBody", "proxy:unix:/run/php-fpm/www.sock|fcgi://localhost", "RedirectMatch 404 \"/\\.\"");
        String pool = Bundle.read(files().resolve("config/php-fpm-www.conf"));
        assertThat(pool).contains("listen = /run/php-fpm/www.sock", "user = apache", "pm.max_children = @PM_MAX_CHILDREN@");
    }
}
