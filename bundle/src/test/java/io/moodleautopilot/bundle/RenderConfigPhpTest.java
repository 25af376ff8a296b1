package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * config/render-config.php with the real PHP: every rendered config.php is linted, then loaded
 * (with a stub lib/setup.php) and its $CFG compared value by value with the inputs.
 */
class RenderConfigPhpTest {
    /** Everything that could end a PHP string literal or start code, plus non-ASCII and a NUL byte. */
    static final String HOSTILE = "p'\"\\$(id)`id`${x}{$y}\n?>\r\n<?php é漢\u0000'; file_put_contents('PWNED', 'x'); //";
    static final String SECRET = Bundle.json(Map.of("username", "moodle_admin", "password", "S3cr3t!pass"));

    @TempDir
    Path tmp;

    private Path renderer() {
        return Bundle.files().resolve("config/render-config.php");
    }

    Bundle.Result render(JsonNode site, String session, String secret) {
        Path siteFile = tmp.resolve("site.json");
        Bundle.write(siteFile, site.toString());
        List<String> cmd = command(Bundle.php(), renderer().toString(), "--site=" + siteFile);
        if (session != null) {
            Path sessionFile = tmp.resolve("session.json");
            Bundle.write(sessionFile, session);
            cmd.add("--session=" + sessionFile);
        }
        return Bundle.run(cmd, Map.of(), secret, tmp);
    }

    /** Lints the rendered file, loads it with a stub lib/setup.php and returns $CFG as JSON. */
    JsonNode load(String configPhp) {
        Path site = tmp.resolve("moodle");
        Bundle.write(site.resolve("config.php"), configPhp);
        JsonNode cfg = Bundle.loadConfig(site);
        assertThat(site.resolve("PWNED")).as("no value may run code").doesNotExist();
        return cfg;
    }

    JsonNode renderAndLoad(JsonNode site, String session, String secret) {
        Bundle.Result r = render(site, session, secret);
        assertThat(r.exit()).as("render-config.php: %s", r.stderr()).isZero();
        assertThat(r.stdout()).endsWith("require_once(__DIR__ . '/lib/setup.php');\n\n"
                + "// There is no php closing tag in this file,\n"
                + "// it is intentional because it prevents trailing whitespace problems!\n");
        return load(r.stdout());
    }

    @Test
    void thePhpHelpersLint() {
        for (String f : List.of("render-config.php", "install-state.php", "install-database.php")) {
            Bundle.Result r = Bundle.run(command(Bundle.php(), "-l", Bundle.files().resolve("config/" + f).toString()));
            assertThat(r.exit()).as("php -l %s: %s", f, r.all()).isZero();
        }
    }

    @Test
    void hostileValuesRoundTripExactly() {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("wwwroot", "https://moodle.example.edu/" + HOSTILE.replace("\u0000", "") + "x/");
        site.put("dbhost", "w" + HOSTILE);
        site.put("dbname", "m" + HOSTILE);
        site.put("prefix", "x" + HOSTILE);
        site.put("dataroot", "/mnt/" + HOSTILE);
        site.put("localcachedir", "/var/cache/" + HOSTILE);
        String secret = Bundle.json(Map.of("username", "u" + HOSTILE, "password", HOSTILE));
        String session = Bundle.json(Map.of("session_redis_host", "h" + HOSTILE,
                "session_redis_encrypt", Map.of("peer_name", HOSTILE, "verify_peer", true)));

        JsonNode cfg = renderAndLoad(site, session, secret);

        assertThat(cfg.path("dbpass").asText()).isEqualTo(HOSTILE);
        assertThat(cfg.path("dbuser").asText()).isEqualTo("u" + HOSTILE);
        assertThat(cfg.path("dbhost").asText()).isEqualTo("w" + HOSTILE);
        assertThat(cfg.path("dbname").asText()).isEqualTo("m" + HOSTILE);
        assertThat(cfg.path("prefix").asText()).isEqualTo("x" + HOSTILE);
        assertThat(cfg.path("dataroot").asText()).isEqualTo("/mnt/" + HOSTILE);
        assertThat(cfg.path("localcachedir").asText()).isEqualTo("/var/cache/" + HOSTILE);
        // Moodle wants no trailing slash; everything else is kept.
        assertThat(cfg.path("wwwroot").asText()).isEqualTo("https://moodle.example.edu/" + HOSTILE.replace("\u0000", "") + "x");
        assertThat(cfg.path("session_redis_host").asText()).isEqualTo("h" + HOSTILE);
        assertThat(cfg.path("session_redis_encrypt")).isEqualTo(Bundle.parse(session).path("session_redis_encrypt"));
    }

    @Test
    void theFixedSettingsAreMoodles() {
        JsonNode cfg = renderAndLoad(Bundle.siteConfig("s1"), null, SECRET);

        assertThat(cfg.path("dbtype").asText()).isEqualTo("pgsql");
        assertThat(cfg.path("dblibrary").asText()).isEqualTo("native");
        assertThat(cfg.path("dbuser").asText()).isEqualTo("moodle_admin");
        assertThat(cfg.path("dbpass").asText()).isEqualTo("S3cr3t!pass");
        assertThat(cfg.path("prefix").asText()).isEqualTo("mdl_");
        assertThat(cfg.path("wwwroot").asText()).isEqualTo("https://moodle.example.edu");
        assertThat(cfg.path("sslproxy").isBoolean()).isTrue();
        assertThat(cfg.path("sslproxy").asBoolean()).isTrue();
        assertThat(cfg.path("reverseproxy").asBoolean(true)).isFalse();
        assertThat(cfg.path("dataroot").asText()).isEqualTo("/mnt/moodledata");
        assertThat(cfg.path("localcachedir").asText()).isEqualTo("/var/cache/moodle");
        assertThat(cfg.path("admin").asText()).isEqualTo("admin");
        assertThat(cfg.path("directorypermissions").asInt()).isEqualTo(02770);
        // tempdir and cachedir must stay shared (Moodle's defaults under dataroot).
        assertThat(cfg.has("tempdir")).isFalse();
        assertThat(cfg.has("cachedir")).isFalse();
        assertThat(cfg.has("dirroot")).isFalse();

        JsonNode dboptions = cfg.path("dboptions");
        assertThat(dboptions.path("dbport").isInt()).isTrue();
        assertThat(dboptions.path("dbport").asInt()).isEqualTo(5432);
        assertThat(dboptions.path("dbpersist").asBoolean(true)).isFalse();
        assertThat(dboptions.path("ssl").asText()).isEqualTo("require");
        assertThat(dboptions.has("dbcollation")).isFalse();
    }

    @Test
    void sslproxyFalseAndReverseproxyTrueAreHonoured() {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("sslproxy", "false");
        site.put("reverseproxy", "true");
        JsonNode cfg = renderAndLoad(site, null, SECRET);
        assertThat(cfg.path("sslproxy").asBoolean(true)).isFalse();
        assertThat(cfg.path("reverseproxy").asBoolean()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"true,require", "require,require", "verify-full,verify-full", "false,", "disable,"})
    void databaseTlsBecomesMoodlesSslOption(String dbTls, String expected) {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("db_tls", dbTls);
        JsonNode dboptions = renderAndLoad(site, null, SECRET).path("dboptions");
        if (expected == null) {
            assertThat(dboptions.has("ssl")).isFalse();
        } else {
            assertThat(dboptions.path("ssl").asText()).isEqualTo(expected);
        }
    }

    @Test
    void mysqlFamilyGetsItsCollation() {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("dbtype", "auroramysql");
        site.put("dbport", "3306");
        site.put("db_tls", "verify-full");
        JsonNode cfg = renderAndLoad(site, null, SECRET);
        assertThat(cfg.path("dbtype").asText()).isEqualTo("auroramysql");
        assertThat(cfg.path("dboptions").path("dbcollation").asText()).isEqualTo("utf8mb4_unicode_ci");
        assertThat(cfg.path("dboptions").path("dbport").asInt()).isEqualTo(3306);
        assertThat(cfg.path("dboptions").path("ssl").asText()).isEqualTo("verify-full");
    }

    @Test
    void readerEndpointAddsMoodlesReadonlyBlock() {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("dbreader", "reader.cluster-ro-abc.eu-west-1.rds.amazonaws.com");
        JsonNode readonly = renderAndLoad(site, null, SECRET).path("dboptions").path("readonly");
        assertThat(readonly.path("instance")).hasSize(1);
        assertThat(readonly.path("instance").path(0).path("dbhost").asText())
                .isEqualTo("reader.cluster-ro-abc.eu-west-1.rds.amazonaws.com");
        assertThat(readonly.path("instance").path(0).path("dbport").asInt()).isEqualTo(5432);
        assertThat(readonly.path("connecttimeout").asInt()).isEqualTo(2);
        assertThat(readonly.path("latency").asDouble()).isEqualTo(0.5);
    }

    @Test
    void noReaderEndpointNoReadonlyBlock() {
        JsonNode dboptions = renderAndLoad(Bundle.siteConfig("s1"), null, SECRET).path("dboptions");
        assertThat(dboptions.has("readonly")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n"})
    void noSessionConfigurationMeansDatabaseSessions(String session) {
        JsonNode cfg = renderAndLoad(Bundle.siteConfig("s1"), session, SECRET);
        assertThat(cfg.path("session_handler_class").asText()).isEqualTo("\\core\\session\\database");
        assertThat(cfg.path("session_database_acquire_lock_timeout").asInt()).isEqualTo(120);
    }

    @Test
    void databaseSessionsAsPublished() {
        String session = "{\"session_handler_class\":\"\\\\core\\\\session\\\\database\","
                + "\"session_database_acquire_lock_timeout\":120}";
        assertSessionRoundTrips(session);
    }

    @Test
    void redisSessionsWithTlsAsPublished() {
        String session = "{\"session_handler_class\":\"\\\\core\\\\session\\\\redis\","
                + "\"session_redis_host\":\"sessions.abc123.cache.amazonaws.com\",\"session_redis_port\":6379,"
                + "\"session_redis_database\":0,\"session_redis_prefix\":\"sess_\","
                + "\"session_redis_acquire_lock_timeout\":120,\"session_redis_lock_expire\":7200,"
                + "\"session_redis_encrypt\":{\"verify_peer\":true,\"verify_peer_name\":true}}";
        JsonNode cfg = assertSessionRoundTrips(session);
        assertThat(cfg.path("session_redis_encrypt").isObject()).as("a PHP array of stream SSL options").isTrue();
        assertThat(cfg.path("session_redis_port").isInt()).isTrue();
    }

    @Test
    void memcachedSessionsAsPublished() {
        String session = "{\"session_handler_class\":\"\\\\core\\\\session\\\\memcached\","
                + "\"session_memcached_save_path\":\"m.cfg.cache.amazonaws.com:11211\","
                + "\"session_memcached_prefix\":\"memc.sess.key.\","
                + "\"session_memcached_acquire_lock_timeout\":120,\"session_memcached_lock_expire\":7200}";
        assertSessionRoundTrips(session);
    }

    private JsonNode assertSessionRoundTrips(String session) {
        JsonNode cfg = renderAndLoad(Bundle.siteConfig("s1"), session, SECRET);
        JsonNode expected = Bundle.parse(session);
        expected.fieldNames().forEachRemaining(k -> assertThat(cfg.path(k)).as(k).isEqualTo(expected.path(k)));
        cfg.fieldNames().forEachRemaining(k -> {
            if (k.startsWith("session_")) {
                assertThat(expected.has(k)).as("only the published session keys: %s", k).isTrue();
            }
        });
        return cfg;
    }

    @ParameterizedTest
    @ValueSource(strings = {"wwwroot", "sslproxy", "dbtype", "dbhost", "dbreader", "dbport", "dbname", "prefix",
            "db_tls", "dataroot", "localcachedir"})
    void aMissingRequiredKeyIsAClearErrorAndWritesNothing(String key) {
        ObjectNode site = Bundle.siteConfig("s1");
        site.remove(key);
        Bundle.Result r = render(site, null, Bundle.json(Map.of("username", "u", "password", HOSTILE)));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("'" + key + "'").doesNotContain("PWNED");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dbtype|oracle", "dbport|54x32", "dbport|70000", "sslproxy|yes", "db_tls|maybe",
        "wwwroot|moodle.example.edu", "dataroot|relative/path", "dbhost|", "prefix|"})
    void badValuesAreRejected(String key, String value) {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put(key, value == null ? "" : value);
        Bundle.Result r = render(site, null, SECRET);
        assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains(key);
    }

    @Test
    void nonStringSiteValuesAreRejected() {
        ObjectNode site = Bundle.siteConfig("s1");
        site.put("dbport", 5432);
        Bundle.Result r = render(site, null, SECRET);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("'dbport' must be a JSON string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"username\":\"u\"}", "{\"username\":\"u\",\"password\":\"\"}",
            "{\"password\":\"p\"}", "not json", "[\"u\",\"p\"]", ""})
    void aBadSecretIsRejectedWithoutEchoingIt(String secret) {
        Bundle.Result r = render(Bundle.siteConfig("s1"), null, secret);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("database secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"dbhost\":\"evil.example\"}", "{\"session_ok\":1,\"wwwroot\":\"https://evil\"}",
            "{\"session_x; system('id'); //\":1}", "[1,2]", "{broken"})
    void theSessionConfigurationCanOnlySetSessionSettings(String session) {
        Bundle.Result r = render(Bundle.siteConfig("s1"), session, SECRET);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("session configuration");
    }

    @Test
    void theSiteConfigurationFileIsRequired() {
        Bundle.Result r = Bundle.run(command(Bundle.php(), renderer().toString()), Map.of(), SECRET, tmp);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("--site=FILE");
        assertThat(Files.exists(tmp.resolve("config.php"))).isFalse();
    }
}
