package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.AutopilotLibTest.cache;
import static io.moodleautopilot.bundle.AutopilotLibTest.payload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * moodle/configure-muc.php against a REAL, installed Moodle 4.5.6 (InstalledMoodle, reset to the
 * freshly installed site before each test) and a REAL Redis that speaks TLS only (TlsRedis, one for
 * the class, its certificate from a CA made for the test and passed as --cafile). What the script
 * did is read where Moodle keeps it (dataroot/muc/config.php, through Moodle's cache_config), and
 * the cache is shown to live in that Redis.
 */
@ExtendWith(EmbeddedPostgresExtension.class)
class RealMoodleCacheTest {
    static final String STORE = "autopilot_application";

    static InstalledMoodle moodle;
    static TlsRedis redis;

    @TempDir
    Path tmp;

    Path loaded;

    @BeforeAll
    static void installedAndRedis(EmbeddedPostgres pg, @TempDir Path redisDir) {
        moodle = InstalledMoodle.get(pg);
        redis = TlsRedis.start(redisDir);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
        if (moodle != null) {
            // The next class finds Moodle's default cache configuration, not a store on a stopped Redis.
            moodle.restore();
        }
    }

    @BeforeEach
    void freshlyInstalled() {
        moodle.restore();
        assertThat(redis.cli("FLUSHALL").exit()).isZero();
        loaded = tmp.resolve("config-php-loaded");
    }

    Map<String, Object> tlsCache() {
        return cache("redis", "localhost", redis.port, true);
    }

    Bundle.Result configureMuc(Map<String, Object> cache, String... options) {
        return configureMuc(Map.of(), cache, options);
    }

    Bundle.Result configureMuc(Map<String, String> env, Map<String, Object> cache, String... options) {
        List<String> args = new ArrayList<>(List.of(Bundle.files().resolve("moodle/configure-muc.php").toString(),
                "--payload=-", "--dirroot=" + moodle.dirroot));
        args.addAll(List.of(options));
        Map<String, String> all = new java.util.LinkedHashMap<>(Map.of("AUTOPILOT_TEST_CONFIG_LOADED", loaded.toString()));
        all.putAll(env);
        return moodle.php(args, Bundle.json(payload(Map.of(), cache)), all);
    }

    String cafile() {
        return "--cafile=" + redis.ca;
    }

    static JsonNode resultLine(Bundle.Result r) {
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).as("exactly one line on stdout").endsWith("\n");
        assertThat(r.stdout().strip()).doesNotContain("\n");
        return Bundle.parse(r.stdout());
    }

    /** Moodle's cache configuration as Moodle reads it: {"stores": {name: {plugin, configuration}}, "mappings": [...]}. */
    static JsonNode moodlesCacheConfig() {
        String out = moodle.withMoodle("""
                $config = cache_config::instance();
                $stores = [];
                foreach ($config->get_all_stores() as $name => $store) {
                    $stores[$name] = ['plugin' => $store['plugin'], 'configuration' => $store['configuration'] ?? []];
                }
                echo json_encode(['stores' => $stores, 'mappings' => array_values($config->get_mode_mappings())]);
                """).stdout();
        return Bundle.parse(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    /** One mode's mappings as "store:sort", in Moodle's order (highest sort first: the first is the store used). */
    static List<String> mappings(JsonNode config, int mode) {
        List<String> out = new ArrayList<>();
        config.path("mappings").forEach(m -> {
            if (m.path("mode").asInt() == mode) {
                out.add(m.path("store").asText() + ":" + m.path("sort").asInt());
            }
        });
        return out;
    }

    static List<String> storesOf(List<String> mappings) {
        return mappings.stream().map(m -> m.substring(0, m.indexOf(':'))).toList();
    }

    /** The mode mappings as "mode:store:sort", in Moodle's order. */
    static List<String> mappings(JsonNode config) {
        List<String> out = new ArrayList<>();
        config.path("mappings").forEach(m -> out.add(m.path("mode").asInt() + ":" + m.path("store").asText() + ":"
                + m.path("sort").asInt()));
        return out;
    }

    /** A value through Moodle's application cache core/config, set and read back in a new Moodle process. */
    static String cacheRoundTrip(String set) {
        String php = (set == null ? "" : "cache::make('core', 'config')->set('autopilot_probe', '" + set + "');\n")
                + "echo json_encode(cache::make('core', 'config')->get('autopilot_probe'));";
        return moodle.withMoodle(php).stdout().strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void aNullApplicationCacheChangesNothingAndLoadsNothing() {
        String muc = moodle.mucConfigFile();

        Bundle.Result r = configureMuc(null);

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).isEqualTo("null\n");
        assertThat(loaded).as("config.php not even loaded").doesNotExist();
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    @Test
    void addsTheTlsRedisStoreMapsTheApplicationModeAndTheCacheLivesInRedis() {
        JsonNode before = moodlesCacheConfig();
        // Moodle's default configuration (cache_config_writer::create_default_configuration) maps with sort -1.
        assertThat(mappings(before)).containsExactly("1:default_application:-1", "2:default_session:-1", "4:default_request:-1");

        JsonNode result = resultLine(configureMuc(tlsCache(), cafile()));

        assertThat(result.toString()).isEqualTo("{\"changed\":true,\"store\":\"autopilot_application\",\"plugin\":\"redis\","
                + "\"actions\":[\"added store instance\",\"mapped application mode\",\"purged store\"]}");
        assertThat(moodle.mucConfigFile()).contains("'" + STORE + "'");
        assertThat(redis.keys("*")).as("the store was purged, and configure-muc.php stores nothing in it").isEmpty();
        JsonNode after = moodlesCacheConfig();
        JsonNode store = after.path("stores").path(STORE);
        assertThat(store.path("plugin").asText()).isEqualTo("redis");
        assertThat(store.path("configuration").toString()).isEqualTo("{\"server\":\"localhost:" + redis.port + "\","
                + "\"prefix\":\"muc_\",\"password\":\"\",\"serializer\":1,\"compressor\":0,\"encryption\":true,"
                + "\"cafile\":\"" + redis.ca + "\"}");
        assertThat(mappings(after)).containsExactly("1:autopilot_application:0", "2:default_session:0", "4:default_request:0");
        assertThat(after.path("stores").has("default_application")).as("Moodle's default stores stay").isTrue();

        // The application cache now lives in that Redis, over TLS: Moodle fills it, a new Moodle
        // process reads from it, and without Redis's copy the value is gone.
        assertThat(redis.keys("muc_*")).as("Moodle, loaded to read its cache configuration above, cached in Redis").isNotEmpty();
        assertThat(redis.cli("FLUSHALL").exit()).isZero();
        assertThat(cacheRoundTrip("from-the-test")).isEqualTo("\"from-the-test\"");
        assertThat(redis.keys("muc_*")).isNotEmpty();
        assertThat(redis.keys("*")).allMatch(k -> k.startsWith("muc_"));
        assertThat(cacheRoundTrip(null)).isEqualTo("\"from-the-test\"");
        assertThat(redis.cli("FLUSHALL").exit()).isZero();
        assertThat(cacheRoundTrip(null)).isEqualTo("false");
        // Moodle's own CLI runs on it too.
        Bundle.Result purge = moodle.php(List.of(moodle.dirroot.resolve("admin/cli/purge_caches.php").toString()), null, Map.of());
        assertThat(purge.exit()).as(purge.all()).isZero();
        moodle.withMoodle("get_config('core');");
        assertThat(redis.keys("muc_*")).as("core/config cached in Redis").isNotEmpty();
    }

    @Test
    void aSecondRunFindsNothingToDo() {
        resultLine(configureMuc(tlsCache(), cafile()));
        String muc = moodle.mucConfigFile();
        assertThat(cacheRoundTrip("kept")).isEqualTo("\"kept\"");

        JsonNode again = resultLine(configureMuc(tlsCache(), cafile()));

        assertThat(again.toString()).isEqualTo("{\"changed\":false,\"store\":\"autopilot_application\",\"plugin\":\"redis\","
                + "\"actions\":[]}");
        assertThat(moodle.mucConfigFile()).as("the cache configuration file is not even rewritten").isEqualTo(muc);
        assertThat(cacheRoundTrip(null)).as("no purge").isEqualTo("\"kept\"");
    }

    @Test
    void aServerThatDoesNotAnswerChangesNothing() {
        String muc = moodle.mucConfigFile();

        Bundle.Result r = configureMuc(cache("redis", "localhost", HealthPageTest.freePort(), true), cafile());

        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("the redis server does not answer");
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    /** TLS is verified: a CA bundle that does not hold the server's CA (the OS's) gets no connection. */
    @Test
    void aServerCertificateTheCaBundleDoesNotVouchForChangesNothing() throws IOException {
        Path other = tmp.resolve("other-ca.crt");
        Bundle.Result ca = Bundle.run(Bundle.command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", tmp.resolve("other-ca.key").toString(), "-out", other.toString(), "-subj", "/CN=Another CA"));
        assertThat(ca.exit()).as(ca.all()).isZero();
        String muc = moodle.mucConfigFile();

        Bundle.Result r = configureMuc(tlsCache(), "--cafile=" + other);

        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.stderr()).contains("the redis server does not answer");
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    @Test
    void tlsWithoutAReadableCaBundleFailsClosedBeforeMoodleLoads() {
        String muc = moodle.mucConfigFile();

        Bundle.Result r = configureMuc(tlsCache(), "--cafile=" + tmp.resolve("none.crt"));

        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("never used unverified");
        assertThat(loaded).as("config.php not even loaded").doesNotExist();
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    @Test
    void aChangedEndpointEditsTheStoreAndPurgesIt() {
        resultLine(configureMuc(tlsCache(), cafile()));
        assertThat(cacheRoundTrip("before-the-change")).isEqualTo("\"before-the-change\"");

        JsonNode result = resultLine(configureMuc(cache("redis", "127.0.0.1", redis.port, true), cafile()));

        assertThat(result.path("actions").toString()).isEqualTo("[\"updated store instance\",\"purged store\"]");
        assertThat(moodlesCacheConfig().path("stores").path(STORE).path("configuration").path("server").asText())
                .isEqualTo("127.0.0.1:" + redis.port);
        assertThat(cacheRoundTrip(null)).as("what the store held was purged").isEqualTo("false");
    }

    @Test
    void anApplicationModeMappedElsewhereIsMappedBack() {
        resultLine(configureMuc(tlsCache(), cafile()));
        moodle.withMoodle("cache_config_writer::instance()->set_mode_mappings([1 => ['default_application'],"
                + " 2 => ['default_session'], 4 => ['default_request']]);");

        JsonNode result = resultLine(configureMuc(tlsCache(), cafile()));

        assertThat(result.path("actions").toString()).isEqualTo("[\"mapped application mode\",\"purged store\"]");
        assertThat(mappings(moodlesCacheConfig())).first().isEqualTo("1:autopilot_application:0");
    }

    @Test
    void theSessionAndRequestMappingsStayAsTheyAre() {
        moodle.withMoodle("""
                $writer = cache_config_writer::instance();
                $writer->add_store_instance('extra_files', 'file', []);
                $writer->set_mode_mappings([1 => ['default_application'], 2 => ['extra_files', 'default_session'],
                    4 => ['default_request']]);
                """);
        JsonNode before = moodlesCacheConfig();
        assertThat(mappings(before, 2)).containsExactly("default_session:1", "extra_files:0");

        resultLine(configureMuc(tlsCache(), cafile()));

        JsonNode after = moodlesCacheConfig();
        assertThat(mappings(after, 1)).containsExactly("autopilot_application:0");
        // The same stores in the same order for the other two modes. set_mode_mappings() numbers each
        // mode's stores 0, 1, ... again, so the defaults' sort -1 becomes 0: only the order within a
        // mode matters to Moodle (config::get_stores_for_definition() filters by mode).
        assertThat(mappings(after, 2)).containsExactly("default_session:1", "extra_files:0");
        assertThat(storesOf(mappings(after, 4))).isEqualTo(storesOf(mappings(before, 4))).containsExactly("default_request");
    }

    /** The PHP without its redis extension (the package's ini files, redis's left out). */
    @Test
    void aMissingPhpExtensionChangesNothing() throws IOException {
        Bundle.Result ini = Bundle.run(Bundle.command(Bundle.php(), "-r", "echo PHP_CONFIG_FILE_SCAN_DIR;"));
        Path scanDir = Path.of(ini.stdout().strip());
        Path without = Files.createDirectories(tmp.resolve("conf.d"));
        try (Stream<Path> files = Files.list(scanDir)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().contains("redis")).toList()) {
                Files.copy(f, without.resolve(f.getFileName()));
            }
        }
        Files.copy(moodle.iniDir.resolve("90-moodle.ini"), without.resolve("90-moodle.ini"));
        assertThat(Bundle.run(Bundle.command("env", "PHP_INI_SCAN_DIR=" + without, Bundle.php(), "-m")).stdout())
                .doesNotContain("redis").contains("pgsql");
        String muc = moodle.mucConfigFile();

        Bundle.Result r = configureMuc(Map.of("PHP_INI_SCAN_DIR", without.toString()), tlsCache(), cafile());

        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.stderr()).contains("PHP extension");
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    @Test
    void notInstalledMeansNoCacheChange() {
        String muc = moodle.mucConfigFile();
        moodle.pointAtAnEmptyDatabase();

        Bundle.Result r = configureMuc(tlsCache(), cafile());

        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.stderr()).contains("Moodle is not installed yet");
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    /** Moodle 4.2 removed its memcached cache store: refused before Moodle is loaded, not a fatal error half way. */
    @Test
    void memcachedIsRefusedBeforeMoodleIsLoaded() {
        Bundle.Result r = configureMuc(cache("memcached", "mc.example.com", 11211, false));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("removed its memcached cache store in 4.2");
        assertThat(loaded).doesNotExist();
    }

    @Test
    void aBadCacheIsRefusedBeforeMoodleLoads() {
        Bundle.Result r = configureMuc(cache("redis", "cache.example.com:6379", 6379, false));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(loaded).doesNotExist();
    }
}
