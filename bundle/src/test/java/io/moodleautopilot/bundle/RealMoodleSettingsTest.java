package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.AutopilotLibTest.cache;
import static io.moodleautopilot.bundle.AutopilotLibTest.payload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * moodle/apply-settings.php against a REAL, installed Moodle 4.5.6 (InstalledMoodle: the release,
 * PostgreSQL, config.php from render-config.php, installed by install-database.php), reset to the
 * freshly installed site before each test. What the script did is read back where Moodle keeps it:
 * mdl_config, mdl_config_plugins and mdl_config_log, and get_config() with Moodle loaded (its
 * config cache).
 */
@ExtendWith(EmbeddedPostgresExtension.class)
class RealMoodleSettingsTest {
    static final String HOSTILE = "v'\"\\$(touch /tmp/autopilot-pwned)`id`\n?><?php echo 1; ?>é漢";

    static InstalledMoodle moodle;

    @TempDir
    Path tmp;

    /** Appended to when config.php is loaded (InstalledMoodle.probe()). */
    Path loaded;

    @BeforeAll
    static void installed(EmbeddedPostgres pg) {
        moodle = InstalledMoodle.get(pg);
    }

    @BeforeEach
    void freshlyInstalled() {
        moodle.restore();
        loaded = tmp.resolve("config-php-loaded");
    }

    Bundle.Result applySettings(Object payload) {
        return run(List.of("--payload=-", "--dirroot=" + moodle.dirroot), payload instanceof String s ? s : Bundle.json(payload));
    }

    Bundle.Result run(List<String> options, String stdin) {
        List<String> args = new ArrayList<>(List.of(Bundle.files().resolve("moodle/apply-settings.php").toString()));
        args.addAll(options);
        return moodle.php(args, stdin, Map.of("AUTOPILOT_TEST_CONFIG_LOADED", loaded.toString()));
    }

    Bundle.Result applySettings(Map<String, String> settings) {
        return applySettings(payload(settings, null));
    }

    static JsonNode resultLine(Bundle.Result r) {
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).as("exactly one line on stdout").endsWith("\n");
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

    /** The config log's rows after the one with id afterId, as "userid|plugin|name|oldvalue|value". */
    static List<String> logRowsAfter(long afterId) {
        return moodle.queryAll("SELECT userid, plugin, name, oldvalue, value FROM mdl_config_log WHERE id > CAST(? AS bigint)"
                + " ORDER BY id", String.valueOf(afterId));
    }

    /** get_config() with Moodle loaded: what Moodle itself now reads (through its config cache). */
    JsonNode moodleSees(String... pluginNames) {
        StringBuilder php = new StringBuilder("echo json_encode([");
        for (int i = 0; i < pluginNames.length; i += 2) {
            php.append("get_config('").append(pluginNames[i]).append("', '").append(pluginNames[i + 1]).append("'),");
        }
        php.append("], JSON_UNESCAPED_UNICODE);");
        return Bundle.parse(moodle.withMoodle(php.toString()).stdout().strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void writesThroughSetConfigAndLogsOnlyTheSettingsThatDiffer() {
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
        assertThat(moodle.config("lang")).isEqualTo("en");
        // Absent (NULL) without PHP's ldap extension, '' with it (the install then stores auth_ldap's defaults).
        String hostBefore = moodle.pluginConfig("auth_ldap", "host_url");
        assertThat(hostBefore).isIn(null, "");
        assertThat(moodle.pluginConfig("enrol_manual", "expirynotify")).isEqualTo("0");
        long lastLog = moodle.lastConfigLogId();

        Bundle.Result r = applySettings(settings("forcelogin", "1", "lang", "en",
                "auth_ldap/host_url", "ldaps://ldap.example.edu", "enrol_manual/expirynotify", "2"));

        JsonNode result = resultLine(r);
        assertThat(result.path("unchanged").asInt()).isEqualTo(1);
        // Names only: the line travels in Run Command's output and into the status record.
        assertThat(result.path("changed").toString()).isEqualTo("["
                + "{\"name\":\"forcelogin\",\"plugin\":null},"
                + "{\"name\":\"host_url\",\"plugin\":\"auth_ldap\"},"
                + "{\"name\":\"expirynotify\",\"plugin\":\"enrol_manual\"}]");
        assertThat(r.all()).doesNotContain("ldaps://ldap.example.edu");

        assertThat(moodle.config("forcelogin")).isEqualTo("1");
        assertThat(moodle.pluginConfig("auth_ldap", "host_url")).isEqualTo("ldaps://ldap.example.edu");
        assertThat(moodle.pluginConfig("enrol_manual", "expirynotify")).isEqualTo("2");
        assertThat(moodle.queryAll("SELECT count(*) FROM mdl_config_plugins WHERE plugin = 'core'"))
                .as("core settings go to mdl_config, never to mdl_config_plugins as plugin 'core'").containsExactly("0");
        // Moodle's own log: userid 0 ("CLI or install"), old and new values; a new setting's old value is NULL.
        assertThat(logRowsAfter(lastLog)).containsExactly(
                "0|null|forcelogin|0|1",
                "0|auth_ldap|host_url|" + hostBefore + "|ldaps://ldap.example.edu",
                "0|enrol_manual|expirynotify|0|2");
        // set_config() invalidated Moodle's config cache: a new Moodle process reads the new values.
        assertThat(moodleSees("core", "forcelogin", "auth_ldap", "host_url", "enrol_manual", "expirynotify").toString())
                .isEqualTo("[\"1\",\"ldaps://ldap.example.edu\",\"2\"]");
    }

    /**
     * A setting whose admin page runs an update callback (theme_boost/brandcolor resets the theme
     * caches): set_config() alone stored the colour but the site kept serving the old CSS until
     * someone purged caches. The callback runs as on the admin page; the log still says "CLI or install".
     */
    @Test
    void aSettingsUpdateCallbackRunsAsOnItsAdminPage() {
        String themerev = moodle.config("themerev");
        long lastLog = moodle.lastConfigLogId();

        JsonNode result = resultLine(applySettings(settings("theme_boost/brandcolor", "#0f6cbf", "forcelogin", "1")));

        assertThat(result.path("callbacks").toString()).isEqualTo("[\"theme_boost/brandcolor\"]");
        assertThat(moodle.pluginConfig("theme_boost", "brandcolor")).isEqualTo("#0f6cbf");
        assertThat(Long.parseLong(moodle.config("themerev"))).as("theme_reset_all_caches() ran")
                .isGreaterThan(Long.parseLong(themerev));
        assertThat(logRowsAfter(lastLog)).contains("0|theme_boost|brandcolor||#0f6cbf", "0|null|forcelogin|0|1");
    }

    @Test
    void aSecondRunChangesNothing() {
        Map<String, String> s = settings("forcelogin", "1", "auth_ldap/host_url", "ldaps://x", "enrol_manual/expirynotify", "");
        resultLine(applySettings(s));
        long logAfterFirst = moodle.configLogCount();
        List<String> config = moodle.queryAll("SELECT name, value FROM mdl_config ORDER BY name");
        List<String> plugins = moodle.queryAll("SELECT plugin, name, value FROM mdl_config_plugins ORDER BY plugin, name");

        JsonNode again = resultLine(applySettings(s));

        assertThat(again.toString()).isEqualTo("{\"changed\":[],\"unchanged\":3}");
        assertThat(moodle.configLogCount()).isEqualTo(logAfterFirst);
        assertThat(moodle.queryAll("SELECT name, value FROM mdl_config ORDER BY name")).isEqualTo(config);
        assertThat(moodle.queryAll("SELECT plugin, name, value FROM mdl_config_plugins ORDER BY plugin, name")).isEqualTo(plugins);
    }

    @Test
    void hostileValuesAreStoredAndLoggedByteForByte() {
        long lastLog = moodle.lastConfigLogId();

        Bundle.Result r = applySettings(settings("supportname", HOSTILE, "auth_ldap/contexts", HOSTILE));

        JsonNode result = resultLine(r);
        assertThat(result.path("changed").get(0).path("name").asText()).isEqualTo("supportname");
        assertThat(r.stdout()).doesNotContain("touch").doesNotContain("漢");
        assertThat(moodle.config("supportname")).isEqualTo(HOSTILE);
        assertThat(moodle.pluginConfig("auth_ldap", "contexts")).isEqualTo(HOSTILE);
        assertThat(moodle.queryAll("SELECT value FROM mdl_config_log WHERE id > CAST(? AS bigint) ORDER BY id",
                String.valueOf(lastLog))).containsExactly(HOSTILE, HOSTILE);
        assertThat(moodleSees("core", "supportname", "auth_ldap", "contexts").toString())
                .isEqualTo(Bundle.json(List.of(HOSTILE, HOSTILE)));
        assertThat(Path.of("/tmp/autopilot-pwned")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad", "core/forcelogin", "auth_ldap/host-url", "a/b/c", "x;id"})
    void aBadNameRefusesTheWholePayloadBeforeMoodleLoads(String bad) {
        Bundle.Result r = applySettings(settings("forcelogin", "1", bad, "x"));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("apply-settings: ");
        assertThat(loaded).as("config.php not even loaded").doesNotExist();
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
    }

    @Test
    void aBadApplicationCacheRefusesTheSettingsToo() {
        Bundle.Result r = applySettings(payload(settings("forcelogin", "1"), cache("memcached", "h", 11211, true)));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(loaded).doesNotExist();
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
    }

    @Test
    void aPluginSettingForcedByConfigPhpRefusesThePayloadBeforeAnyWrite() {
        moodle.addToConfigPhp("$CFG->forced_plugin_settings = ['auth_ldap' => ['host_url' => 'ldap://forced']];");
        long logBefore = moodle.configLogCount();
        String hostBefore = moodle.pluginConfig("auth_ldap", "host_url");

        Bundle.Result r = applySettings(settings("forcelogin", "1", "auth_ldap/host_url", "ldaps://x"));

        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("'auth_ldap/host_url' is forced by config.php");
        assertThat(moodle.config("forcelogin")).as("the setting before it is not written either").isEqualTo("0");
        assertThat(moodle.pluginConfig("auth_ldap", "host_url")).isEqualTo(hostBefore);
        assertThat(moodle.configLogCount()).isEqualTo(logBefore);
    }

    @Test
    void aCoreSettingForcedByConfigPhpIsRefusedToo() {
        moodle.addToConfigPhp("$CFG->forcelogin = '1';");
        long logBefore = moodle.configLogCount();

        Bundle.Result r = applySettings(settings("lang", "en", "forcelogin", "1"));

        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.stderr()).contains("'forcelogin' is forced by config.php");
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
        assertThat(moodle.configLogCount()).isEqualTo(logBefore);
    }

    /** config.php for a database Moodle has not been installed into (a second, empty database). */
    @Test
    void refusesToRunBeforeMoodleIsInstalled() {
        moodle.pointAtAnEmptyDatabase();

        Bundle.Result r = applySettings(settings("forcelogin", "1"));

        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("Moodle is not installed yet");
        assertThat(tables(InstalledMoodle.EMPTY_DB)).as("nothing created in the empty database").isZero();
    }

    /**
     * An installer still at work: the tables exist but Moodle's rolesactive is not set yet, which
     * is what during_initial_install() looks at (the installer sets it once the roles exist).
     */
    @Test
    void refusesToRunWhileTheInstallerStillRuns() {
        moodle.withMoodle("unset_config('rolesactive');");
        long logBefore = moodle.configLogCount();

        Bundle.Result r = applySettings(settings("forcelogin", "1"));

        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.stderr()).contains("Moodle is not installed yet");
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
        assertThat(moodle.configLogCount()).isEqualTo(logBefore);
    }

    int tables(String database) {
        try (var c = moodle.pg.getDatabase(InstalledMoodle.DB_USER, database).getConnection();
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void whatMoodlePrintsWhileItLoadsGoesToStderr() {
        moodle.addToConfigPhp("echo \"Debug info: something config.php printed\\n\";");

        Bundle.Result r = applySettings(settings("forcelogin", "1"));

        assertThat(resultLine(r).path("changed")).hasSize(1);
        assertThat(r.stderr()).contains("Debug info: something config.php printed");
    }

    /**
     * PostgreSQL refuses the second write (a trigger on mdl_config, as a database that fails half
     * way would): the change before it stays applied and logged, the one after it is not made, and
     * the script says so without a setting's value.
     */
    @Test
    void aDatabaseFailureStopsWithTheChangesBeforeItKept() {
        moodle.execute("""
                CREATE FUNCTION autopilot_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF NEW.name = 'supportname' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                  RETURN NEW;
                END $$""",
                "CREATE TRIGGER autopilot_test_refuse BEFORE INSERT OR UPDATE ON mdl_config FOR EACH ROW"
                        + " EXECUTE FUNCTION autopilot_test_refuse()");
        long logBefore = moodle.configLogCount();
        String theme = moodle.config("theme");
        String supportname = moodle.config("supportname");

        Bundle.Result r = applySettings(settings("forcelogin", "1", "supportname", "New support name", "theme", "classic"));

        assertThat(r.exit()).as(r.all()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("Moodle failed after 1 change(s)").doesNotContain("New support name");
        assertThat(moodle.config("forcelogin")).isEqualTo("1");
        assertThat(moodle.config("supportname")).isEqualTo(supportname);
        assertThat(moodle.config("theme")).isEqualTo(theme).isNotEqualTo("classic");
        assertThat(moodle.configLogCount()).isEqualTo(logBefore + 1);
    }

    @Test
    void withoutPayloadOrDirrootItRefuses() {
        Bundle.Result noPayload = run(List.of("--dirroot=" + moodle.dirroot), null);
        assertThat(noPayload.exit()).isEqualTo(2);
        assertThat(noPayload.stderr()).contains("--payload");

        Bundle.Result noMoodle = run(List.of("--payload=-", "--dirroot=" + tmp.resolve("nowhere")),
                Bundle.json(payload(Map.of(), null)));
        assertThat(noMoodle.exit()).isEqualTo(2);
        assertThat(noMoodle.stderr()).contains("no config.php");

        Bundle.Result notJson = run(List.of("--payload=-", "--dirroot=" + moodle.dirroot), "{not json");
        assertThat(notJson.exit()).isEqualTo(2);
        assertThat(notJson.stderr()).contains("not valid JSON");
        assertThat(loaded).doesNotExist();
    }
}
