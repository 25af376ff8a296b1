package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.AutopilotLibTest.cache;
import static io.moodleautopilot.bundle.AutopilotLibTest.payload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * scripts/apply-moodle-config.sh, as the stack's SSM document runs it, on a fake instance
 * (FakeInstance: a fake aws answering the site configuration, a php shim that records each call)
 * with a REAL Moodle: the installed Moodle 4.5.6 of InstalledMoodle (reset to the freshly
 * installed site for each test that uses it; dirroot a symlink to it, as /var/www/moodle is to the
 * release) and, for the application cache, a real Redis with TLS (TlsRedis, started by the first
 * test that needs it). The tests that refuse an argument before anything runs need neither.
 */
@ExtendWith(EmbeddedPostgresExtension.class)
class ApplyMoodleConfigScriptTest {
    static TlsRedis redis;

    @TempDir
    static Path redisDir;

    @TempDir
    Path tmp;

    FakeInstance instance;
    InstalledMoodle moodle;
    Path dirroot;
    Path marker;
    Path scratch;

    @BeforeEach
    void setUp() throws IOException {
        instance = new FakeInstance(tmp);
        dirroot = tmp.resolve("www/moodle");
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        instance.putSiteConfig(site);
        marker = tmp.resolve("MARKER");
        scratch = Files.createDirectories(tmp.resolve("scratch"));
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
            redis = null;
            // No store on a stopped Redis for the next class.
            InstalledMoodle.restoreIfInstalled();
        }
    }

    /** The installed Moodle, freshly installed again, at dirroot (a symlink, as on the instances). */
    InstalledMoodle realMoodle(EmbeddedPostgres pg) throws IOException {
        moodle = InstalledMoodle.get(pg);
        moodle.restore();
        Files.createDirectories(dirroot.getParent());
        Files.createSymbolicLink(dirroot, moodle.dirroot);
        return moodle;
    }

    static TlsRedis redis() {
        if (redis == null) {
            redis = TlsRedis.start(redisDir);
        }
        assertThat(redis.cli("FLUSHALL").exit()).isZero();
        return redis;
    }

    Path script() {
        return Bundle.files().resolve("scripts/apply-moodle-config.sh");
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>(instance.env());
        // Where mktemp puts the decoded payload: checked to be empty afterwards.
        env.put("TMPDIR", scratch.toString());
        // The OS's CA bundle: the test CA that signed the Redis server's certificate.
        env.put("CA_BUNDLE", redis != null ? redis.ca.toString() : "/etc/hostname");
        if (moodle != null) {
            env.putAll(moodle.phpEnv());
        }
        return env;
    }

    Bundle.Result run(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", script().toString()));
        cmd.addAll(List.of(args));
        return Bundle.run(cmd, env(), null, tmp);
    }

    static String base64(Object payload) {
        return Base64.getEncoder().encodeToString(Bundle.json(payload).getBytes(StandardCharsets.UTF_8));
    }

    /** The script's result: the last line of its stdout. */
    static JsonNode result(Bundle.Result r) {
        assertThat(r.exit()).as(r.all()).isZero();
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines).isNotEmpty();
        return Bundle.parse(lines.get(lines.size() - 1));
    }

    String hostile() {
        return "x$(touch " + marker + ")`touch " + marker + "`'\"\\\n?>é漢 $(touch MARKER) ;touch " + marker;
    }

    List<String> scratchLeftovers() throws IOException {
        try (Stream<Path> s = Files.list(scratch)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    static Stream<List<String>> badArguments() {
        return Stream.of(
                List.of("$(touch MARKER)"),
                List.of("$(touch /tmp/autopilot-pwned)"),
                List.of("`touch MARKER`"),
                List.of("abc'def"),
                List.of("abc\"def"),
                List.of("eyJh\nfQ=="),
                List.of("eyJh fQ=="),
                List.of("eyJhIjoxfQ==="),
                List.of("eyJh;touch MARKER"),
                List.of("-n"),
                List.of(""),
                List.of("abc"),
                List.of(),
                List.of("eyJhIjoxfQ==", "eyJhIjoxfQ=="));
    }

    @ParameterizedTest
    @MethodSource("badArguments")
    void refusesAnArgumentThatIsNotOneBase64StringWithoutRunningAnything(List<String> args) throws IOException {
        Bundle.Result r = run(args.toArray(String[]::new));

        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("ERROR: ");
        assertThat(tmp.resolve("aws/calls.log")).as("no aws call").doesNotExist();
        assertThat(instance.phpCalls).as("no php").doesNotExist();
        assertThat(marker).doesNotExist();
        assertThat(tmp.resolve("MARKER")).doesNotExist();
        assertThat(Path.of("/MARKER")).doesNotExist();
        assertThat(Path.of("/tmp/autopilot-pwned")).doesNotExist();
        assertThat(scratchLeftovers()).isEmpty();
    }

    @Test
    void appliesSettingsAndApplicationCacheAndPrintsOneJsonLine(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        TlsRedis cache = redis();
        long lastLog = moodle.lastConfigLogId();
        // NULL without PHP's ldap extension, '' with it (auth_ldap's defaults stored by the install).
        String hostBefore = moodle.pluginConfig("auth_ldap", "host_url");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("forcelogin", "1");
        settings.put("auth_ldap/host_url", "ldaps://ldap.example.edu");
        String arg = base64(payload(settings, cache("redis", "localhost", cache.port, true)));

        Bundle.Result r = run(arg);

        JsonNode result = result(r);
        assertThat(r.stdout().lines().count()).as("stdout is the result line alone").isEqualTo(1);
        assertThat(result.path("settings").toString()).isEqualTo("{\"changed\":["
                + "{\"name\":\"forcelogin\",\"plugin\":null},{\"name\":\"host_url\",\"plugin\":\"auth_ldap\"}"
                + "],\"unchanged\":0,\"callbacks\":[]}");
        assertThat(r.stdout()).as("no value in Run Command's output").doesNotContain("ldap.example.edu");
        assertThat(result.path("applicationCache").toString()).isEqualTo("{\"changed\":true,\"store\":\"autopilot_application\","
                + "\"plugin\":\"redis\",\"actions\":[\"added store instance\",\"mapped application mode\",\"purged store\"]}");
        // In Moodle: the settings and their log, the store in Moodle's cache configuration file.
        assertThat(moodle.config("forcelogin")).isEqualTo("1");
        assertThat(moodle.pluginConfig("auth_ldap", "host_url")).isEqualTo("ldaps://ldap.example.edu");
        assertThat(moodle.queryAll("SELECT plugin, name, oldvalue, value FROM mdl_config_log WHERE id > CAST(? AS bigint)"
                + " ORDER BY id", String.valueOf(lastLog)))
                .containsExactly("null|forcelogin|0|1", "auth_ldap|host_url|" + hostBefore + "|ldaps://ldap.example.edu");
        assertThat(moodle.mucConfigFile()).contains("'server' => 'localhost:" + cache.port + "'")
                .contains("'encryption' => true").contains("'cafile' => '" + cache.ca + "'");
        moodle.withMoodle("cache::make('core', 'config')->set('autopilot_probe', 'x');");
        assertThat(cache.keys("muc_*")).as("Moodle's application cache is in Redis").isNotEmpty();

        String log = Bundle.read(instance.log);
        assertThat(log).contains("applying the Moodle settings and the application cache configuration to " + dirroot)
                .contains("settings: 2 changed (forcelogin, auth_ldap/host_url), 0 unchanged")
                .contains("application cache: redis store autopilot_application: added store instance, mapped application mode, purged store")
                .doesNotContain("ldaps://ldap.example.edu");
        List<String> argv = Bundle.read(instance.phpCalls).lines().filter(l -> l.startsWith("argv: ")).toList();
        assertThat(argv).containsExactly(
                "argv: " + Bundle.files().resolve("moodle/apply-settings.php") + " --payload=- --dirroot=" + dirroot,
                "argv: " + Bundle.files().resolve("moodle/configure-muc.php") + " --payload=- --dirroot=" + dirroot
                        + " --cafile=" + cache.ca);
        assertThat(scratchLeftovers()).as("the decoded payload is removed").isEmpty();
    }

    /**
     * LDAP sign-in as the stack sets it up: the operator's document (here the payload) enables
     * auth_ldap through Moodle's own API and sets its settings; the bind password comes from the
     * secret the site configuration names, read on the instance, and reaches Moodle through a
     * descriptor: never in the payload, the output, the log or Moodle's config log (masked there as
     * Moodle masks its password settings).
     */
    @Test
    void ldapIsEnabledThroughMoodlesApiWithTheBindPasswordFromItsSecret(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        String password = "Bind-pw-" + java.util.UUID.randomUUID();
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        site.put("ldap_bind_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/Moodle/s/LdapBind-AbCdEf");
        instance.putSiteConfig(site);
        instance.putSecret(site.path("ldap_bind_secret_arn").asText(), Bundle.json(Map.of("password", password)));
        long lastLog = moodle.lastConfigLogId();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("auth", "ldap");
        settings.put("auth_ldap/host_url", "ldap://127.0.0.1:3389");
        settings.put("auth_ldap/bind_dn", "cn=moodle-bind,dc=example,dc=edu");

        Bundle.Result r = run(base64(payload(settings, null)));

        JsonNode result = result(r);
        assertThat(result.path("settings").path("changed").toString()).isEqualTo("["
                + "{\"name\":\"auth\",\"plugin\":null},{\"name\":\"host_url\",\"plugin\":\"auth_ldap\"},"
                + "{\"name\":\"bind_dn\",\"plugin\":\"auth_ldap\"},{\"name\":\"bind_pw\",\"plugin\":\"auth_ldap\"}]");
        assertThat(moodle.pluginConfig("auth_ldap", "bind_pw")).isEqualTo(password);
        // Enabled the way admin/auth.php enables it: Moodle's list of enabled plugins has it.
        assertThat(moodle.withMoodle("echo implode(',', get_enabled_auth_plugins()), \"\\n\";").stdout())
                .contains("ldap");
        assertThat(moodle.queryAll("SELECT plugin, name, oldvalue, value FROM mdl_config_log WHERE id > CAST(? AS bigint)"
                + " ORDER BY id", String.valueOf(lastLog)))
                .contains("core|auth||ldap")
                .anyMatch(row -> row.matches("auth_ldap\\|bind_pw\\|(null)?\\|\\*{8}"));
        assertThat(r.all() + Bundle.read(instance.log) + String.join("\n", moodle.queryAll("SELECT value FROM mdl_config_log")))
                .doesNotContain(password);
        assertThat(Bundle.read(instance.awsDir.resolve("calls.log"))).contains("secretsmanager get-secret-value --secret-id "
                + site.path("ldap_bind_secret_arn").asText());

        JsonNode again = result(run(base64(payload(settings, null))));
        assertThat(again.path("settings").toString()).as("a second run changes nothing")
                .isEqualTo("{\"changed\":[],\"unchanged\":4}");
    }

    /**
     * Moodle's mail through SES's SMTP interface: the payload carries the SMTP settings and the user
     * (the access key id), while the SMTP password comes from the secret the site configuration
     * names ({"username", "password"}, as the stack stores SES's SMTP credentials), read on the
     * instance beside the LDAP bind password's secret: both reach Moodle in the one secrets file,
     * and neither appears in the output, the log or Moodle's config log (masked there).
     */
    @Test
    void theSmtpPasswordComesFromItsSecretBesideTheLdapBindPassword(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        String smtpPassword = "Smtp-pw-" + java.util.UUID.randomUUID();
        String bindPassword = "Bind-pw-" + java.util.UUID.randomUUID();
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        site.put("smtp_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/Moodle/s/Smtp-AbCdEf");
        site.put("ldap_bind_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/Moodle/s/LdapBind-AbCdEf");
        instance.putSiteConfig(site);
        instance.putSecret(site.path("smtp_secret_arn").asText(),
                Bundle.json(Map.of("username", "AKIAEXAMPLESMTPUSER1", "password", smtpPassword)));
        instance.putSecret(site.path("ldap_bind_secret_arn").asText(), Bundle.json(Map.of("password", bindPassword)));
        long lastLog = moodle.lastConfigLogId();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("smtphosts", "email-smtp.eu-west-1.amazonaws.com:587");
        settings.put("smtpsecure", "tls");
        settings.put("smtpauthtype", "LOGIN");
        settings.put("smtpuser", "AKIAEXAMPLESMTPUSER1");

        Bundle.Result r = run(base64(payload(settings, null)));

        JsonNode changed = result(r).path("settings").path("changed");
        assertThat(changed.toString()).contains("{\"name\":\"smtppass\",\"plugin\":null}")
                .contains("{\"name\":\"bind_pw\",\"plugin\":\"auth_ldap\"}")
                .contains("{\"name\":\"smtpuser\",\"plugin\":null}");
        assertThat(moodle.config("smtppass")).isEqualTo(smtpPassword);
        assertThat(moodle.config("smtpuser")).isEqualTo("AKIAEXAMPLESMTPUSER1");
        assertThat(moodle.pluginConfig("auth_ldap", "bind_pw")).isEqualTo(bindPassword);
        assertThat(moodle.queryAll("SELECT plugin, name, oldvalue, value FROM mdl_config_log WHERE id > CAST(? AS bigint)"
                + " ORDER BY id", String.valueOf(lastLog)))
                .anyMatch(row -> row.matches("null\\|smtppass\\|(null)?\\|\\*{8}"));
        String everything = r.all() + Bundle.read(instance.log)
                + String.join("\n", moodle.queryAll("SELECT value FROM mdl_config_log"))
                + String.join("\n", moodle.queryAll("SELECT oldvalue FROM mdl_config_log"));
        assertThat(everything).doesNotContain(smtpPassword).doesNotContain(bindPassword);
        assertThat(Bundle.read(instance.awsDir.resolve("calls.log"))).contains("secretsmanager get-secret-value --secret-id "
                + site.path("smtp_secret_arn").asText());

        // A rotated password (the same secret, a new value): the next run changes only smtppass.
        String rotated = "Smtp-pw-" + java.util.UUID.randomUUID();
        instance.putSecret(site.path("smtp_secret_arn").asText(),
                Bundle.json(Map.of("username", "AKIAEXAMPLESMTPUSER1", "password", rotated)));
        JsonNode again = result(run(base64(payload(settings, null))));
        assertThat(again.path("settings").path("changed").toString()).isEqualTo("[{\"name\":\"smtppass\",\"plugin\":null}]");
        assertThat(again.path("settings").path("unchanged").asInt()).isEqualTo(5);
        assertThat(moodle.config("smtppass")).isEqualTo(rotated);
    }

    /** An authentication plugin Moodle does not have is refused before any write. */
    @Test
    void anUnknownAuthenticationPluginIsRefused(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        long logCount = moodle.configLogCount();

        Bundle.Result r = run(base64(payload(Map.of("auth", "ldap,nosuchauth", "forcelogin", "1"), null)));

        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.stderr()).contains("REFUSED: ").contains("authentication plugin 'nosuchauth' is not installed");
        assertThat(moodle.configLogCount()).isEqualTo(logCount);
        assertThat(moodle.config("forcelogin")).isEqualTo("0");
    }

    @Test
    void aSecondRunReportsNoChange(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        TlsRedis cache = redis();
        String arg = base64(payload(Map.of("forcelogin", "1"), cache("redis", "localhost", cache.port, true)));
        result(run(arg));
        long logCount = moodle.configLogCount();
        String muc = moodle.mucConfigFile();

        JsonNode again = result(run(arg));

        assertThat(again.toString()).isEqualTo("{\"settings\":{\"changed\":[],\"unchanged\":1},\"applicationCache\":"
                + "{\"changed\":false,\"store\":\"autopilot_application\",\"plugin\":\"redis\",\"actions\":[]}}");
        assertThat(moodle.configLogCount()).isEqualTo(logCount);
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
        assertThat(Bundle.read(instance.log)).contains("settings: 0 changed, 1 unchanged")
                .contains("application cache: redis store autopilot_application: unchanged");
    }

    @Test
    void withoutApplicationCacheItIsNull(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        String muc = moodle.mucConfigFile();

        JsonNode result = result(run(base64(payload(Map.of("forcelogin", "1"), null))));

        assertThat(result.path("applicationCache").isNull()).isTrue();
        assertThat(result.has("applicationCache")).isTrue();
        assertThat(moodle.config("forcelogin")).isEqualTo("1");
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
        assertThat(Bundle.read(instance.log)).contains("application cache: not configured by the stack (left as it is)");
    }

    @Test
    void hostileValuesNeverReachAShellAndAreStoredByteForByte(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        String value = hostile();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("supportname", value);
        settings.put("auth_ldap/contexts", value);

        JsonNode result = result(run(base64(payload(settings, null))));

        assertThat(marker).doesNotExist();
        assertThat(tmp.resolve("MARKER")).doesNotExist();
        assertThat(Path.of("/MARKER")).doesNotExist();
        assertThat(result.path("settings").path("changed").get(0).path("name").asText()).isEqualTo("supportname");
        assertThat(moodle.config("supportname")).isEqualTo(value);
        assertThat(moodle.pluginConfig("auth_ldap", "contexts")).isEqualTo(value);
        assertThat(instance.traces()).as("aws calls, php argv and environment, the log file").doesNotContain("漢")
                .doesNotContain("touch");
    }

    @Test
    void aBadPayloadIsRefusedByPhpBeforeAnyChange(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        long logCount = moodle.configLogCount();
        String notJson = Base64.getEncoder().encodeToString("{not json".getBytes(StandardCharsets.UTF_8));
        Bundle.Result r = run(notJson);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("apply-settings: the payload is not valid JSON");

        Bundle.Result badName = run(base64(payload(Map.of("forcelogin", "1", "Bad Name", "x"), null)));
        assertThat(badName.exit()).isEqualTo(2);
        assertThat(badName.stdout()).isEmpty();

        // A secret: refused by name, the reason on the last line ("REFUSED: ..."), which the converger
        // records; the value appears nowhere.
        Bundle.Result secret = run(base64(payload(Map.of("forcelogin", "1", "smtppass", "hunter2-smtp"), null)));
        assertThat(secret.exit()).isEqualTo(2);
        assertThat(secret.stderr().strip().lines().reduce((x, y) -> y).orElseThrow())
                .contains("REFUSED: apply-settings: Moodle setting 'smtppass' is a secret");
        assertThat(secret.all() + Bundle.read(instance.log)).doesNotContain("hunter2");

        assertThat(moodle.config("forcelogin")).isEqualTo("0");
        assertThat(moodle.config("smtppass")).isEmpty();
        assertThat(moodle.configLogCount()).isEqualTo(logCount);
    }

    @Test
    void theExitCodeSaysWhyMoodleWasNotChanged(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        moodle.pointAtAnEmptyDatabase();
        Bundle.Result r = run(base64(payload(Map.of("forcelogin", "1"), null)));
        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.stderr()).contains("Moodle is not installed yet").contains("settings failed (exit 3)");

        moodle.restore();
        String muc = moodle.mucConfigFile();
        Bundle.Result unreachable = run(base64(payload(Map.of(), cache("redis", "localhost", HealthPageTest.freePort(), false))));
        assertThat(unreachable.exit()).as(unreachable.all()).isEqualTo(4);
        assertThat(unreachable.stderr()).contains("the redis server does not answer");
        assertThat(unreachable.stdout()).isEmpty();
        assertThat(moodle.mucConfigFile()).isEqualTo(muc);
    }

    @Test
    void anUnreadableSiteConfigurationFallsBackToTheDefaultDirroot(EmbeddedPostgres pg) throws IOException {
        realMoodle(pg);
        instance.denyParameter("/Moodle/" + FakeInstance.STACK + "/Site/Config");
        Map<String, String> env = env();
        env.put("DEFAULT_DIRROOT", dirroot.toString());

        Bundle.Result r = Bundle.run(List.of("bash", script().toString(), base64(payload(Map.of("forcelogin", "1"), null))),
                env, null, tmp);

        assertThat(result(r).path("settings").path("changed")).hasSize(1);
        assertThat(r.stderr()).contains("WARNING: cannot read the site configuration").contains("AccessDeniedException");
        assertThat(moodle.config("forcelogin")).isEqualTo("1");
    }

    @Test
    void aDirrootWithoutConfigPhpStops() {
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", tmp.resolve("nowhere").toString());
        instance.putSiteConfig(site);

        Bundle.Result r = run(base64(payload(Map.of("forcelogin", "1"), null)));

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains("Moodle's config.php is not in");
        assertThat(instance.phpCalls).doesNotExist();
    }
}
