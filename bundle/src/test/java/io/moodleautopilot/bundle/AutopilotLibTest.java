package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * moodle/autopilot-lib.php's pure functions, on the real PHP without Moodle: a small harness calls
 * one function with arguments decoded from JSON (on stdin) and prints {"ok": result} or
 * {"error": message} for the input it refuses.
 */
class AutopilotLibTest {
    /** The one store instance the scripts own in Moodle's cache configuration (AUTOPILOT_STORE_NAME). */
    static final String STORE = "autopilot_application";

    /** Values that must reach Moodle byte for byte: quotes, backslash, command substitution, newline, PHP tag, non-ASCII. */
    static final List<String> HOSTILE = List.of("it's", "say \"hi\"", "C:\\path\\", "$(touch /tmp/autopilot-pwned)",
            "`id`", "line1\nline2\r\n", "?><?php echo 1; ?>", "é", "漢字", "${HOME} $$ %s %n {{ Payload }}", "", " ",
            "' OR '1'='1", "\t\u00a0\u2028");

    static final String HARNESS = """
            require $argv[1];
            $args = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
            try {
                $result = ['ok' => $argv[2](...$args)];
            } catch (autopilot_bad_input $e) {
                $result = ['error' => $e->getMessage()];
            }
            echo json_encode($result, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
            """;

    static JsonNode call(String function, Object... args) {
        Bundle.Result r = Bundle.run(command(Bundle.php(), "-r", HARNESS,
                Bundle.files().resolve("moodle/autopilot-lib.php").toString(), function), Map.of(),
                Bundle.json(java.util.Arrays.asList(args)), null);
        assertThat(r.exit()).as("%s: %s", function, r.all()).isZero();
        assertThat(r.stderr()).as("no warning or notice").isEmpty();
        return Bundle.parse(r.stdout());
    }

    static JsonNode ok(String function, Object... args) {
        JsonNode r = call(function, args);
        assertThat(r.has("error")).as("%s refused: %s", function, r.path("error").asText()).isFalse();
        return r.path("ok");
    }

    static String error(String function, Object... args) {
        JsonNode r = call(function, args);
        assertThat(r.has("error")).as("%s should refuse its input, returned %s", function, r.path("ok")).isTrue();
        return r.path("error").asText();
    }

    static Map<String, Object> payload(Map<String, ?> settings, Map<String, ?> cache) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("settings", settings);
        p.put("applicationCache", cache);
        return p;
    }

    static Map<String, Object> cache(String engine, String host, Object port, Object tls) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("engine", engine);
        c.put("host", host);
        c.put("port", port);
        c.put("tls", tls);
        return c;
    }

    @Test
    void theLibraryParses() {
        Bundle.Result r = Bundle.run(command(Bundle.php(), "-l", Bundle.files().resolve("moodle/autopilot-lib.php").toString()));
        assertThat(r.exit()).as(r.all()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"forcelogin", "debug", "theme", "a", "0", "x_1", "auth_ldap/host_url", "enrol_manual/expirynotify",
            "tool_mobile/minimumversion", "cachestore_redis/test_server", "block_html/allowcssclasses", "mod_forum/maxbytes",
            "a/b", "local_x9/setting_2"})
    void acceptsCoreAndFrankenstyleNames(String key) {
        JsonNode split = ok("autopilot_split_setting_name", key);
        if (key.contains("/")) {
            assertThat(split.get(0).asText() + "/" + split.get(1).asText()).isEqualTo(key);
        } else {
            assertThat(split.get(0).isNull()).isTrue();
            assertThat(split.get(1).asText()).isEqualTo(key);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Forcelogin", "force-login", "force login", "forcelogin\n", "\nforcelogin", "é", "x;id",
            "$(id)", "`id`", "../x", "/x", "x/", "a/b/c", "1auth/x", "_auth/x", "Auth_ldap/x", "auth-ldap/x", "auth_ldap/",
            "core/forcelogin", "moodle/forcelogin", "auth_ldap/host-url", "auth_ldap/host url", "x\u0000"})
    void refusesAnyOtherName(String key) {
        assertThat(error("autopilot_split_setting_name", key)).doesNotContain("\n");
    }

    @Test
    void refusesNamesLongerThanMoodlesColumns() {
        String hundred = "a".repeat(100);
        ok("autopilot_split_setting_name", hundred);
        ok("autopilot_split_setting_name", "p" + "a".repeat(99) + "/" + hundred);
        assertThat(error("autopilot_split_setting_name", hundred + "a")).contains("longer than 100");
        assertThat(error("autopilot_split_setting_name", "p" + "a".repeat(100) + "/x")).contains("longer than 100");
    }

    static List<String> hostile() {
        return HOSTILE;
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void keepsEveryValueByteForByte(String value) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("forcelogin", value);
        settings.put("auth_ldap/host_url", value);
        JsonNode parsed = ok("autopilot_parse_payload", Bundle.json(payload(settings, null)));

        assertThat(parsed.path("applicationCache").isNull()).isTrue();
        JsonNode list = parsed.path("settings");
        assertThat(list).hasSize(2);
        assertThat(list.get(0).path("name").asText()).isEqualTo("forcelogin");
        assertThat(list.get(0).path("plugin").isNull()).isTrue();
        assertThat(list.get(0).path("value").asText()).isEqualTo(value);
        assertThat(list.get(1).path("plugin").asText()).isEqualTo("auth_ldap");
        assertThat(list.get(1).path("name").asText()).isEqualTo("host_url");
        assertThat(list.get(1).path("value").asText()).isEqualTo(value);
    }

    @Test
    void anEmptySettingsObjectIsNoSetting() {
        JsonNode parsed = ok("autopilot_parse_payload", "{\"settings\":{},\"applicationCache\":null}");
        assertThat(parsed.path("settings")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[]", "[1]", "null", "\"x\"", "{\"settings\":{}}", "{\"applicationCache\":null}",
            "{\"settings\":{},\"applicationCache\":null,\"extra\":1}", "{\"settings\":[\"a\"],\"applicationCache\":null}",
            "{\"settings\":\"x\",\"applicationCache\":null}", "{\"settings\":{\"a\":1},\"applicationCache\":null}",
            "{\"settings\":{\"a\":null},\"applicationCache\":null}", "{\"settings\":{\"a\":true},\"applicationCache\":null}",
            "{\"settings\":{\"a\":[\"x\"]},\"applicationCache\":null}", "{\"settings\":{\"a\":\"x\\u0000y\"},\"applicationCache\":null}",
            "{\"settings\":{\"Bad\":\"x\"},\"applicationCache\":null}", "{\"settings\":{},\"applicationCache\":\"redis\"}",
            "{\"settings\":{},\"applicationCache\":[]}", "{\"settings\":{\"a\":\"\\ud800\"},\"applicationCache\":null}"})
    void refusesABadPayloadWhole(String json) {
        assertThat(error("autopilot_parse_payload", json)).isNotBlank();
    }

    @Test
    void refusesInvalidUtf8() {
        // A lone continuation byte: json_decode refuses it (the payload must be UTF-8).
        Bundle.Result r = Bundle.run(command(Bundle.php(), "-r", "require $argv[1];"
                + "try { autopilot_parse_payload(\"{\\\"settings\\\":{\\\"a\\\":\\\"\\x80\\\"},\\\"applicationCache\\\":null}\"); echo 'accepted'; }"
                + " catch (autopilot_bad_input $e) { echo $e->getMessage(); }",
                Bundle.files().resolve("moodle/autopilot-lib.php").toString()));
        assertThat(r.stdout()).contains("not valid JSON");
    }

    @Test
    void acceptsTheCachesTheStackRuns() {
        JsonNode redis = ok("autopilot_parse_application_cache",
                cache("redis", "autopilot-cache-abc123.serverless.euw1.cache.amazonaws.com", 6379, true));
        assertThat(redis.toString()).isEqualTo("{\"engine\":\"redis\",\"host\":"
                + "\"autopilot-cache-abc123.serverless.euw1.cache.amazonaws.com\",\"port\":6379,\"tls\":true}");
        ok("autopilot_parse_application_cache", cache("redis", "10.0.12.7", 6380, false));
        ok("autopilot_parse_application_cache", cache("redis", "localhost", 1, false));
        assertThat(ok("autopilot_parse_application_cache", (Object) null).isNull()).isTrue();
    }

    static List<Object[]> badCaches() {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {cache("valkey", "h", 6379, false)});
        cases.add(new Object[] {cache(null, "h", 6379, false)});
        cases.add(new Object[] {cache("redis", "", 6379, false)});
        cases.add(new Object[] {cache("redis", "h h", 6379, false)});
        cases.add(new Object[] {cache("redis", "h:6380", 6379, false)});
        cases.add(new Object[] {cache("redis", "::1", 6379, false)});
        cases.add(new Object[] {cache("redis", "[::1]", 6379, false)});
        cases.add(new Object[] {cache("redis", "-h.example.com", 6379, false)});
        cases.add(new Object[] {cache("redis", "a..b", 6379, false)});
        cases.add(new Object[] {cache("redis", "h.example.com.", 6379, false)});
        cases.add(new Object[] {cache("redis", "300.1.1.1", 6379, false)});
        cases.add(new Object[] {cache("redis", "h$(id)", 6379, false)});
        cases.add(new Object[] {cache("redis", "h\n", 6379, false)});
        cases.add(new Object[] {cache("redis", "a".repeat(64) + ".example.com", 6379, false)});
        cases.add(new Object[] {cache("redis", "h", 0, false)});
        cases.add(new Object[] {cache("redis", "h", 65536, false)});
        cases.add(new Object[] {cache("redis", "h", "6379", false)});
        cases.add(new Object[] {cache("redis", "h", 6379.5, false)});
        cases.add(new Object[] {cache("redis", "h", 6379, "true")});
        cases.add(new Object[] {cache("redis", "h", 6379, 1)});
        cases.add(new Object[] {cache("memcached", "h", 11211, true)});
        cases.add(new Object[] {cache("memcached", "cfg.abc.cfg.euw1.cache.amazonaws.com", 11211, false)});
        Map<String, Object> extra = cache("redis", "h", 6379, false);
        extra.put("password", "x");
        cases.add(new Object[] {extra});
        Map<String, Object> missing = cache("redis", "h", 6379, false);
        missing.remove("tls");
        cases.add(new Object[] {missing});
        return cases;
    }

    @ParameterizedTest
    @MethodSource("badCaches")
    void refusesAnyOtherCache(Map<String, Object> cache) {
        assertThat(error("autopilot_parse_application_cache", cache)).isNotBlank();
        assertThat(error("autopilot_parse_payload", Bundle.json(payload(Map.of("forcelogin", "1"), cache))))
                .as("a bad cache refuses the whole payload, settings included").isNotBlank();
    }

    @Test
    void memcachedIsRefusedBecauseMoodleRemovedItsStore() {
        assertThat(error("autopilot_parse_application_cache", cache("memcached", "h", 11211, false)))
                .contains("removed its memcached cache store in 4.2").contains("session cache option");
    }

    @Test
    void redisWithTlsVerifiesAgainstTheCaBundle() {
        JsonNode c = ok("autopilot_store_configuration", cache("redis", "cache.example.com", 6379, true),
                "/etc/pki/tls/certs/ca-bundle.crt");
        assertThat(c.path("plugin").asText()).isEqualTo("redis");
        assertThat(c.path("configuration").toString()).isEqualTo("{\"server\":\"cache.example.com:6379\",\"prefix\":\"muc_\","
                + "\"password\":\"\",\"serializer\":1,\"compressor\":0,\"encryption\":true,"
                + "\"cafile\":\"/etc/pki/tls/certs/ca-bundle.crt\"}");
    }

    @Test
    void redisWithoutTlsHasNoCaFile() {
        JsonNode c = ok("autopilot_store_configuration", cache("redis", "10.0.0.5", 6380, false), "/etc/pki/tls/certs/ca-bundle.crt");
        assertThat(c.path("configuration").path("server").asText()).isEqualTo("10.0.0.5:6380");
        assertThat(c.path("configuration").path("encryption").isBoolean()).isTrue();
        assertThat(c.path("configuration").path("encryption").asBoolean()).isFalse();
        assertThat(c.path("configuration").path("cafile").asText()).isEmpty();
    }

    /** An empty cafile makes Moodle's redis store skip the certificate check: TLS without one is refused. */
    @Test
    void redisWithTlsAndNoCaBundleIsRefused() {
        assertThat(error("autopilot_store_configuration", cache("redis", "h", 6379, true), "")).contains("CA bundle");
    }

    static Map<String, Object> redisConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("server", "h:6379");
        c.put("prefix", "muc_");
        c.put("password", "");
        c.put("serializer", 1);
        c.put("compressor", 0);
        c.put("encryption", true);
        c.put("cafile", "");
        return c;
    }

    static Map<String, Object> existing(String plugin, Object configuration) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", STORE);
        s.put("plugin", plugin);
        s.put("configuration", configuration);
        s.put("class", "cachestore_" + plugin);
        s.put("default", false);
        return s;
    }

    @Test
    void aStoreThatIsNotThereDiffers() {
        assertThat(ok("autopilot_store_differs", null, "redis", redisConfig()).asBoolean()).isTrue();
    }

    @Test
    void theSameStoreInAnotherKeyOrderDoesNotDiffer() {
        Map<String, Object> reordered = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(redisConfig().keySet());
        java.util.Collections.reverse(keys);
        keys.forEach(k -> reordered.put(k, redisConfig().get(k)));
        assertThat(ok("autopilot_store_differs", existing("redis", reordered), "redis", redisConfig()).asBoolean()).isFalse();
    }

    @Test
    void anotherValueTypeKeyOrPluginDiffers() {
        Map<String, Object> stringSerializer = redisConfig();
        stringSerializer.put("serializer", "1");
        Map<String, Object> otherHost = redisConfig();
        otherHost.put("server", "other:6379");
        Map<String, Object> adminAddedKey = redisConfig();
        adminAddedKey.put("clustermode", false);
        Map<String, Object> missingKey = redisConfig();
        missingKey.remove("cafile");
        for (Object conf : List.of(stringSerializer, otherHost, adminAddedKey, missingKey, "not an array")) {
            assertThat(ok("autopilot_store_differs", existing("redis", conf), "redis", redisConfig()).asBoolean())
                    .as("%s", conf).isTrue();
        }
        assertThat(ok("autopilot_store_differs", existing("memcached", redisConfig()), "redis", redisConfig()).asBoolean())
                .isTrue();
    }

    static Map<String, Object> mapping(String store, int mode, int sort) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", store);
        m.put("mode", mode);
        m.put("sort", sort);
        return m;
    }

    @Test
    void mapsTheApplicationModeAndKeepsSessionAndRequestInTheirOrder() {
        // As cache_config::load() returns them: highest sort first.
        List<Object> current = List.of(mapping("default_application", 1, 0), mapping("redis_sessions", 2, 1),
                mapping("default_session", 2, 0), mapping("default_request", 4, 0));
        JsonNode m = ok("autopilot_mode_mappings", current, STORE);
        assertThat(m.toString()).isEqualTo("{\"1\":[\"autopilot_application\"],\"2\":[\"default_session\",\"redis_sessions\"],"
                + "\"4\":[\"default_request\"]}");
    }

    @Test
    void theApplicationModeIsMappedOnlyWhenItsOnlyStoreIsOurs() {
        assertThat(ok("autopilot_application_mapped_to", List.of(mapping(STORE, 1, 0),
                mapping("default_session", 2, 0)), STORE).asBoolean()).isTrue();
        assertThat(ok("autopilot_application_mapped_to", List.of(mapping("default_application", 1, 0)), STORE)
                .asBoolean()).isFalse();
        assertThat(ok("autopilot_application_mapped_to", List.of(mapping(STORE, 1, 1),
                mapping("default_application", 1, 0)), STORE).asBoolean()).isFalse();
        assertThat(ok("autopilot_application_mapped_to", List.of(mapping(STORE, 2, 0)), STORE)
                .asBoolean()).as("mapped for sessions only").isFalse();
        assertThat(ok("autopilot_application_mapped_to", List.of(), STORE).asBoolean()).isFalse();
    }

    @Test
    void aSettingDiffersUnlessItIsTheSameString() {
        assertThat(ok("autopilot_setting_differs", false, "").asBoolean()).as("never set vs empty").isTrue();
        assertThat(ok("autopilot_setting_differs", "", "").asBoolean()).isFalse();
        assertThat(ok("autopilot_setting_differs", "1", "1").asBoolean()).isFalse();
        assertThat(ok("autopilot_setting_differs", "1", "1 ").asBoolean()).isTrue();
        assertThat(ok("autopilot_setting_differs", "0", "").asBoolean()).isTrue();
        assertThat(ok("autopilot_setting_differs", "é", "e\u0301").asBoolean()).as("no Unicode normalisation").isTrue();
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
