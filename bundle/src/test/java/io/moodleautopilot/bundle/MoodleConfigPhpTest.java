package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.AutopilotLibTest.cache;
import static io.moodleautopilot.bundle.AutopilotLibTest.payload;
import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * moodle/apply-settings.php and moodle/configure-muc.php on the real PHP against a FAKE Moodle
 * (FakeMoodle: stubs standing in for Moodle's API, since Moodle itself cannot be downloaded here).
 * The recorded calls show which Moodle API the scripts call, in which order, only when something
 * differs, and that a second run with the same payload calls nothing that writes.
 */
class MoodleConfigPhpTest {
    static final String HOSTILE = "v'\"\\$(touch /tmp/autopilot-pwned)`id`\n?><?php echo 1; ?>é漢";

    @TempDir
    Path tmp;

    FakeMoodle moodle;

    @BeforeEach
    void setUp() {
        moodle = new FakeMoodle(tmp.resolve("moodle"));
    }

    Bundle.Result run(String script, Object payload, String... options) {
        List<String> cmd = new ArrayList<>(command(Bundle.php(), Bundle.files().resolve("moodle/" + script).toString(),
                "--payload=-", "--dirroot=" + moodle.dirroot));
        cmd.addAll(List.of(options));
        String stdin = payload instanceof String s ? s : Bundle.json(payload);
        return Bundle.run(cmd, Map.of(), stdin, tmp);
    }

    Bundle.Result applySettings(Map<String, String> settings) {
        return run("apply-settings.php", payload(settings, null));
    }

    Bundle.Result configureMuc(Map<String, Object> cache, String... options) {
        return run("configure-muc.php", payload(Map.of(), cache), options);
    }

    static JsonNode resultLine(Bundle.Result r) {
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).as("exactly one line on stdout").endsWith("\n").doesNotContain("Debug info");
        assertThat(r.stdout().strip()).doesNotContain("\n");
        return Bundle.parse(r.stdout());
    }

    static Map<String, String> settings(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    // ---- apply-settings.php ----

    @Test
    void writesAndLogsOnlyTheSettingsThatDiffer() {
        Bundle.Result r = applySettings(settings("forcelogin", "1", "sitename", "Example University",
                "auth_ldap/host_url", "ldaps://ldap.example.edu", "enrol_manual/expirynotify", "2"));

        JsonNode result = resultLine(r);
        assertThat(result.path("unchanged").asInt()).isEqualTo(1);
        // Names only: the line travels in Run Command's output and into the status record.
        assertThat(result.path("changed").toString()).isEqualTo("["
                + "{\"name\":\"forcelogin\",\"plugin\":null},"
                + "{\"name\":\"host_url\",\"plugin\":\"auth_ldap\"},"
                + "{\"name\":\"expirynotify\",\"plugin\":\"enrol_manual\"}]");
        assertThat(r.stdout()).doesNotContain("ldaps://ldap.example.edu");

        List<String> writes = moodle.writes().stream().map(JsonNode::toString).toList();
        assertThat(writes).containsExactly(
                "{\"fn\":\"set_config\",\"args\":[\"forcelogin\",\"1\",null]}",
                "{\"fn\":\"add_to_config_log\",\"args\":[\"forcelogin\",\"0\",\"1\",null]}",
                "{\"fn\":\"set_config\",\"args\":[\"host_url\",\"ldaps://ldap.example.edu\",\"auth_ldap\"]}",
                "{\"fn\":\"add_to_config_log\",\"args\":[\"host_url\",\"ldap://old.example.edu\",\"ldaps://ldap.example.edu\",\"auth_ldap\"]}",
                "{\"fn\":\"set_config\",\"args\":[\"expirynotify\",\"2\",\"enrol_manual\"]}",
                "{\"fn\":\"add_to_config_log\",\"args\":[\"expirynotify\",null,\"2\",\"enrol_manual\"]}");
        assertThat(moodle.calls().stream().filter(c -> c.path("fn").asText().equals("get_config")).map(c -> c.path("args").toString()))
                .as("core settings are read as get_config('core', name)")
                .containsExactly("[\"core\",\"forcelogin\"]", "[\"core\",\"sitename\"]", "[\"auth_ldap\",\"host_url\"]",
                        "[\"enrol_manual\",\"expirynotify\"]");
        assertThat(moodle.callNames().indexOf("get_config")).as("every value is read before the first write")
                .isLessThan(moodle.callNames().indexOf("set_config"));
        assertThat(moodle.callNames().lastIndexOf("get_config")).isLessThan(moodle.callNames().indexOf("set_config"));
        assertThat(moodle.setting("core", "forcelogin").asText()).isEqualTo("1");
        assertThat(moodle.setting("enrol_manual", "expirynotify").asText()).isEqualTo("2");
        assertThat(moodle.state().path("config_log")).hasSize(3);
    }

    @Test
    void aSecondRunChangesNothing() {
        Map<String, String> s = settings("forcelogin", "1", "auth_ldap/host_url", "ldaps://x", "enrol_manual/expirynotify", "");
        resultLine(applySettings(s));
        moodle.forgetCalls();

        JsonNode again = resultLine(applySettings(s));

        assertThat(again.toString()).isEqualTo("{\"changed\":[],\"unchanged\":3}");
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void hostileValuesAreStoredAndLoggedByteForByte() {
        JsonNode result = resultLine(applySettings(settings("sitename", HOSTILE, "auth_ldap/contexts", HOSTILE)));

        assertThat(result.path("changed").get(0).path("name").asText()).isEqualTo("sitename");
        assertThat(moodle.setting("core", "sitename").asText()).isEqualTo(HOSTILE);
        assertThat(moodle.setting("auth_ldap", "contexts").asText()).isEqualTo(HOSTILE);
        assertThat(moodle.state().path("config_log").get(0).path("value").asText()).isEqualTo(HOSTILE);
        assertThat(Path.of("/tmp/autopilot-pwned")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad", "core/forcelogin", "auth_ldap/host-url", "a/b/c", "x;id"})
    void aBadNameRefusesTheWholePayloadBeforeMoodleLoads(String bad) {
        Bundle.Result r = applySettings(settings("forcelogin", "1", bad, "x"));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("apply-settings: ");
        assertThat(moodle.calls()).isEmpty();
        assertThat(moodle.setting("core", "forcelogin").asText()).isEqualTo("0");
    }

    @Test
    void aBadApplicationCacheRefusesTheSettingsToo() {
        Bundle.Result r = run("apply-settings.php", payload(settings("forcelogin", "1"), cache("memcached", "h", 11211, true)));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(moodle.calls()).isEmpty();
    }

    @Test
    void aSettingForcedByConfigPhpRefusesThePayloadBeforeAnyWrite() {
        moodle.edit(s -> s.putObject("forced").putObject("plugins").putObject("auth_ldap").put("host_url", "ldap://forced"));

        Bundle.Result r = applySettings(settings("forcelogin", "1", "auth_ldap/host_url", "ldaps://x"));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("'auth_ldap/host_url' is forced by config.php");
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void aCoreSettingForcedByConfigPhpIsRefusedToo() {
        moodle.edit(s -> s.putObject("forced").putObject("core").put("forcelogin", "1"));

        Bundle.Result r = applySettings(settings("forcelogin", "1"));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void refusesToRunBeforeMoodleIsInstalled() {
        moodle.edit(s -> s.put("installed", false));
        Bundle.Result r = applySettings(settings("forcelogin", "1"));
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.stderr()).contains("Moodle is not installed yet");
        assertThat(moodle.writes()).isEmpty();

        moodle.edit(s -> s.put("installed", true).put("during_initial_install", true));
        assertThat(applySettings(settings("forcelogin", "1")).exit()).isEqualTo(3);
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void whatMoodlePrintsGoesToStderr() {
        moodle.edit(s -> s.put("noise", true));

        Bundle.Result r = applySettings(settings("forcelogin", "1"));

        resultLine(r);
        assertThat(r.stderr()).contains("Debug info: something Moodle printed");
    }

    @Test
    void aMoodleFailureStopsWithTheChangesBeforeItKept() {
        moodle.edit(s -> s.put("fail_set_config", "sitename"));

        Bundle.Result r = applySettings(settings("forcelogin", "1", "sitename", "New", "theme", "classic"));

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("Moodle failed after 1 change(s)").doesNotContain("New");
        assertThat(moodle.setting("core", "forcelogin").asText()).isEqualTo("1");
        assertThat(moodle.setting("core", "theme").isMissingNode()).isTrue();
    }

    @Test
    void withoutPayloadOrDirrootItRefuses() {
        Bundle.Result noPayload = Bundle.run(command(Bundle.php(), Bundle.files().resolve("moodle/apply-settings.php").toString(),
                "--dirroot=" + moodle.dirroot));
        assertThat(noPayload.exit()).isEqualTo(2);
        Bundle.Result noMoodle = Bundle.run(command(Bundle.php(), Bundle.files().resolve("moodle/apply-settings.php").toString(),
                "--payload=-", "--dirroot=" + tmp.resolve("nowhere")), Map.of(), Bundle.json(payload(Map.of(), null)), tmp);
        assertThat(noMoodle.exit()).isEqualTo(2);
        assertThat(noMoodle.stderr()).contains("no config.php");
    }

    // ---- configure-muc.php ----

    @Test
    void aNullApplicationCacheChangesNothingAndLoadsNothing() {
        Bundle.Result r = configureMuc(null);

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).isEqualTo("null\n");
        assertThat(moodle.calls()).isEmpty();
    }

    @Test
    void addsTheRedisStoreMapsTheApplicationModeThenPurgesIt() {
        List<String> before = moodle.modeMappings();

        JsonNode result = resultLine(configureMuc(cache("redis", "cache.example.com", 6379, false)));

        assertThat(result.toString()).isEqualTo("{\"changed\":true,\"store\":\"autopilot_application\",\"plugin\":\"redis\","
                + "\"actions\":[\"added store instance\",\"mapped application mode\",\"purged store\"]}");
        assertThat(moodle.callNames()).containsExactly("setup", "cache_config_writer::instance", "cachestore_redis::__construct",
                "cache_config_writer::add_store_instance", "cache_config_writer::set_mode_mappings", "cache_helper::purge_store");
        List<JsonNode> calls = moodle.calls();
        assertThat(calls.get(3).path("args").toString()).isEqualTo("[\"autopilot_application\",\"redis\","
                + "{\"server\":\"cache.example.com:6379\",\"prefix\":\"muc_\",\"password\":\"\",\"serializer\":1,"
                + "\"compressor\":0,\"encryption\":false,\"cafile\":\"\"}]");
        assertThat(calls.get(4).path("args").toString()).isEqualTo(
                "[{\"1\":[\"autopilot_application\"],\"2\":[\"default_session\"],\"4\":[\"default_request\"]}]");
        assertThat(calls.get(5).path("args").toString()).as("purged through the configuration just written")
                .isEqualTo("[\"autopilot_application\",\"cache_config_writer\"]");
        assertThat(moodle.callNames()).doesNotContain("cache_helper::purge_all");

        assertThat(moodle.modeMappings()).containsExactly("1:autopilot_application:0", "2:default_session:0", "4:default_request:0");
        assertThat(before).containsExactly("1:default_application:0", "2:default_session:0", "4:default_request:0");
        assertThat(moodle.store("default_application").isMissingNode()).as("Moodle's default stores stay").isFalse();
    }

    @Test
    void aSecondRunFindsNothingToDo() {
        Map<String, Object> c = cache("redis", "cache.example.com", 6379, true);
        resultLine(configureMuc(c, "--cafile=/etc/hostname"));
        moodle.forgetCalls();

        JsonNode again = resultLine(configureMuc(c, "--cafile=/etc/hostname"));

        assertThat(again.toString()).isEqualTo("{\"changed\":false,\"store\":\"autopilot_application\",\"plugin\":\"redis\","
                + "\"actions\":[]}");
        assertThat(moodle.callNames()).as("no write, no purge, not even a connection")
                .containsExactly("setup", "cache_config_writer::instance");
    }

    @Test
    void tlsUsesTheGivenCaBundle() {
        resultLine(configureMuc(cache("redis", "cache.example.com", 6379, true), "--cafile=/etc/hostname"));

        JsonNode conf = moodle.store(FakeMoodle.STORE).path("configuration");
        assertThat(conf.path("encryption").asBoolean()).isTrue();
        assertThat(conf.path("cafile").asText()).isEqualTo("/etc/hostname");
    }

    @Test
    void tlsWithoutAReadableCaBundleFailsClosed() {
        Bundle.Result r = configureMuc(cache("redis", "cache.example.com", 6379, true), "--cafile=" + tmp.resolve("none.crt"));

        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("never used unverified");
        assertThat(moodle.calls()).as("Moodle not even loaded").isEmpty();
        assertThat(moodle.store(FakeMoodle.STORE).isMissingNode()).isTrue();
    }

    @Test
    void theSessionAndRequestMappingsStayAsTheyAre() {
        moodle.edit(s -> {
            ObjectNode stores = (ObjectNode) s.path("muc").path("stores");
            stores.putObject("sessions_redis").put("name", "sessions_redis").put("plugin", "redis").put("default", false)
                    .putObject("configuration").put("server", "s:6379");
            ArrayNode mappings = ((ObjectNode) s.path("muc")).putArray("modemappings");
            mappings.addObject().put("store", "default_application").put("mode", 1).put("sort", 0);
            mappings.addObject().put("store", "sessions_redis").put("mode", 2).put("sort", 1);
            mappings.addObject().put("store", "default_session").put("mode", 2).put("sort", 0);
            mappings.addObject().put("store", "default_request").put("mode", 4).put("sort", 0);
        });

        resultLine(configureMuc(cache("redis", "cache.example.com", 6379, false)));

        assertThat(moodle.modeMappings()).containsExactly("1:autopilot_application:0", "2:default_session:0",
                "2:sessions_redis:1", "4:default_request:0");
    }

    @Test
    void aChangedEndpointEditsTheStoreAndPurgesIt() {
        resultLine(configureMuc(cache("redis", "old.example.com", 6379, false)));
        moodle.forgetCalls();

        JsonNode result = resultLine(configureMuc(cache("redis", "new.example.com", 6380, false)));

        assertThat(result.path("actions").toString()).isEqualTo("[\"updated store instance\",\"purged store\"]");
        assertThat(moodle.callNames()).containsExactly("setup", "cache_config_writer::instance", "cachestore_redis::__construct",
                "cache_config_writer::edit_store_instance", "cache_helper::purge_store");
        assertThat(moodle.store(FakeMoodle.STORE).path("configuration").path("server").asText()).isEqualTo("new.example.com:6380");
    }

    /** Moodle 4.2 removed its memcached cache store: refused before Moodle is loaded, not a fatal error half way. */
    @Test
    void memcachedIsRefusedBeforeMoodleIsLoaded() {
        Bundle.Result r = configureMuc(cache("memcached", "mc.example.com", 11211, false));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("removed its memcached cache store in 4.2");
        assertThat(moodle.calls()).isEmpty();
    }

    @Test
    void anApplicationModeMappedElsewhereIsMappedBack() {
        Map<String, Object> c = cache("redis", "cache.example.com", 6379, false);
        resultLine(configureMuc(c));
        moodle.edit(s -> ((ObjectNode) s.path("muc").path("modemappings").get(0)).put("store", "default_application"));
        moodle.forgetCalls();

        JsonNode result = resultLine(configureMuc(c));

        assertThat(result.path("actions").toString()).isEqualTo("[\"mapped application mode\",\"purged store\"]");
        assertThat(moodle.callNames()).doesNotContain("cache_config_writer::add_store_instance",
                "cache_config_writer::edit_store_instance");
        assertThat(moodle.modeMappings()).first().isEqualTo("1:autopilot_application:0");
    }

    @Test
    void aServerThatDoesNotAnswerChangesNothing() {
        moodle.edit(s -> s.put("ready", false));

        Bundle.Result r = configureMuc(cache("redis", "cache.example.com", 6379, false));

        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("the redis server does not answer");
        assertThat(moodle.writes()).isEmpty();
        assertThat(moodle.modeMappings()).first().isEqualTo("1:default_application:0");
    }

    @Test
    void aMissingPhpExtensionChangesNothing() {
        moodle.edit(s -> s.putObject("requirements_met").put("redis", false));

        Bundle.Result r = configureMuc(cache("redis", "cache.example.com", 6379, false));

        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.stderr()).contains("PHP extension");
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void notInstalledMeansNoCacheChange() {
        moodle.edit(s -> s.put("installed", false));

        Bundle.Result r = configureMuc(cache("redis", "cache.example.com", 6379, false));

        assertThat(r.exit()).isEqualTo(3);
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void aBadCacheIsRefusedBeforeMoodleLoads() {
        Bundle.Result r = configureMuc(cache("redis", "cache.example.com:6379", 6379, false));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(moodle.calls()).isEmpty();
    }

    @Test
    void everyMoodleScriptParsesAndIsACliScript() {
        for (String script : List.of("apply-settings.php", "configure-muc.php", "autopilot-lib.php")) {
            Bundle.Result r = Bundle.run(command(Bundle.php(), "-l", Bundle.files().resolve("moodle/" + script).toString()));
            assertThat(r.exit()).as("php -l %s: %s", script, r.all()).isZero();
        }
        for (String script : List.of("apply-settings.php", "configure-muc.php")) {
            assertThat(Bundle.read(Bundle.files().resolve("moodle/" + script))).contains("define('CLI_SCRIPT', true);")
                    .doesNotContain("eval(").doesNotContain("$DB->execute").doesNotContain("$DB->set_field");
        }
    }
}
