package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.AutopilotLibTest.cache;
import static io.moodleautopilot.bundle.AutopilotLibTest.payload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * scripts/apply-moodle-config.sh, as the stack's SSM document runs it, on a fake instance (fake
 * aws, recording php shim) with a FAKE Moodle dirroot (FakeMoodle: stubs standing in for Moodle's
 * API, since Moodle cannot be downloaded here).
 */
class ApplyMoodleConfigScriptTest {
    @TempDir
    Path tmp;

    FakeInstance instance;
    FakeMoodle moodle;
    Path marker;
    Path scratch;

    @BeforeEach
    void setUp() throws IOException {
        instance = new FakeInstance(tmp);
        Path release = tmp.resolve("www/moodle-releases/0123456789abcdef");
        moodle = new FakeMoodle(release);
        Path dirroot = tmp.resolve("www/moodle");
        Files.createSymbolicLink(dirroot, release);
        ObjectNode site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        instance.putSiteConfig(site);
        marker = tmp.resolve("MARKER");
        scratch = Files.createDirectories(tmp.resolve("scratch"));
    }

    Path script() {
        return Bundle.files().resolve("scripts/apply-moodle-config.sh");
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>(instance.env());
        // Where mktemp puts the decoded payload: checked to be empty afterwards.
        env.put("TMPDIR", scratch.toString());
        // Any readable file stands for the OS's CA bundle (without one, TLS to the cache is refused).
        env.put("CA_BUNDLE", "/etc/hostname");
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
        assertThat(moodle.calls()).isEmpty();
        assertThat(marker).doesNotExist();
        assertThat(tmp.resolve("MARKER")).doesNotExist();
        assertThat(Path.of("/MARKER")).doesNotExist();
        assertThat(Path.of("/tmp/autopilot-pwned")).doesNotExist();
        assertThat(scratchLeftovers()).isEmpty();
    }

    @Test
    void appliesSettingsAndApplicationCacheAndPrintsOneJsonLine() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("forcelogin", "1");
        settings.put("auth_ldap/host_url", "ldaps://ldap.example.edu");
        String arg = base64(payload(settings, cache("redis", "cache.example.com", 6379, true)));

        Bundle.Result r = run(arg);

        JsonNode result = result(r);
        assertThat(r.stdout().lines().count()).as("stdout is the result line alone").isEqualTo(1);
        assertThat(result.path("settings").toString()).isEqualTo("{\"changed\":["
                + "{\"name\":\"forcelogin\",\"plugin\":null},{\"name\":\"host_url\",\"plugin\":\"auth_ldap\"}"
                + "],\"unchanged\":0}");
        assertThat(r.stdout()).as("no value in Run Command's output").doesNotContain("ldap.example.edu");
        assertThat(result.path("applicationCache").toString()).isEqualTo("{\"changed\":true,\"store\":\"autopilot_application\","
                + "\"plugin\":\"redis\",\"actions\":[\"added store instance\",\"mapped application mode\",\"purged store\"]}");
        assertThat(moodle.store(FakeMoodle.STORE).path("configuration").path("server").asText()).isEqualTo("cache.example.com:6379");
        assertThat(moodle.store(FakeMoodle.STORE).path("configuration").path("encryption").asBoolean()).isTrue();

        String log = Bundle.read(instance.log);
        assertThat(log).contains("applying the Moodle settings and the application cache configuration to "
                + tmp.resolve("www/moodle"))
                .contains("settings: 2 changed (forcelogin, auth_ldap/host_url), 0 unchanged")
                .contains("application cache: redis store autopilot_application: added store instance, mapped application mode, purged store")
                .doesNotContain("ldaps://ldap.example.edu");
        List<String> argv = Bundle.read(instance.phpCalls).lines().filter(l -> l.startsWith("argv: ")).toList();
        assertThat(argv).containsExactly(
                "argv: " + Bundle.files().resolve("moodle/apply-settings.php") + " --payload=- --dirroot=" + tmp.resolve("www/moodle"),
                "argv: " + Bundle.files().resolve("moodle/configure-muc.php") + " --payload=- --dirroot=" + tmp.resolve("www/moodle")
                        + " --cafile=/etc/hostname");
        assertThat(scratchLeftovers()).as("the decoded payload is removed").isEmpty();
    }

    @Test
    void aSecondRunReportsNoChange() {
        String arg = base64(payload(Map.of("forcelogin", "1"), cache("redis", "cache.example.com", 6379, false)));
        result(run(arg));
        moodle.forgetCalls();

        JsonNode again = result(run(arg));

        assertThat(again.toString()).isEqualTo("{\"settings\":{\"changed\":[],\"unchanged\":1},\"applicationCache\":"
                + "{\"changed\":false,\"store\":\"autopilot_application\",\"plugin\":\"redis\",\"actions\":[]}}");
        assertThat(moodle.writes()).isEmpty();
        assertThat(Bundle.read(instance.log)).contains("settings: 0 changed, 1 unchanged")
                .contains("application cache: redis store autopilot_application: unchanged");
    }

    @Test
    void withoutApplicationCacheItIsNull() {
        JsonNode result = result(run(base64(payload(Map.of("forcelogin", "1"), null))));

        assertThat(result.path("applicationCache").isNull()).isTrue();
        assertThat(result.has("applicationCache")).isTrue();
        assertThat(moodle.modeMappings()).first().isEqualTo("1:default_application:0");
    }

    @Test
    void hostileValuesNeverReachAShellAndAreStoredByteForByte() {
        String value = hostile();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("sitename", value);
        settings.put("auth_ldap/contexts", value);

        JsonNode result = result(run(base64(payload(settings, null))));

        assertThat(marker).doesNotExist();
        assertThat(tmp.resolve("MARKER")).doesNotExist();
        assertThat(Path.of("/MARKER")).doesNotExist();
        assertThat(result.path("settings").path("changed").get(0).path("name").asText()).isEqualTo("sitename");
        assertThat(moodle.setting("core", "sitename").asText()).isEqualTo(value);
        assertThat(moodle.setting("auth_ldap", "contexts").asText()).isEqualTo(value);
        assertThat(instance.traces()).as("aws calls, php argv and environment, the log file").doesNotContain("漢")
                .doesNotContain("touch");
    }

    @Test
    void aBadPayloadIsRefusedByPhpBeforeAnyChange() {
        String notJson = Base64.getEncoder().encodeToString("{not json".getBytes(StandardCharsets.UTF_8));
        Bundle.Result r = run(notJson);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("apply-settings: the payload is not valid JSON");
        assertThat(moodle.writes()).isEmpty();

        Bundle.Result badName = run(base64(payload(Map.of("forcelogin", "1", "Bad Name", "x"), null)));
        assertThat(badName.exit()).isEqualTo(2);
        assertThat(badName.stdout()).isEmpty();
        assertThat(moodle.writes()).isEmpty();

        // A secret: refused by name, the reason on the last line ("REFUSED: ..."), which the converger
        // records; the value appears nowhere.
        Bundle.Result secret = run(base64(payload(Map.of("forcelogin", "1", "smtppass", "hunter2-smtp"), null)));
        assertThat(secret.exit()).isEqualTo(2);
        assertThat(secret.stderr().strip().lines().reduce((x, y) -> y).orElseThrow())
                .contains("REFUSED: apply-settings: Moodle setting 'smtppass' is a secret");
        assertThat(secret.all() + Bundle.read(instance.log)).doesNotContain("hunter2");
        assertThat(moodle.writes()).isEmpty();
    }

    @Test
    void theExitCodeSaysWhyMoodleWasNotChanged() {
        moodle.edit(s -> s.put("installed", false));
        Bundle.Result r = run(base64(payload(Map.of("forcelogin", "1"), null)));
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.stderr()).contains("Moodle is not installed yet").contains("settings failed (exit 3)");

        moodle.edit(s -> s.put("installed", true).put("ready", false));
        Bundle.Result unreachable = run(base64(payload(Map.of(), cache("redis", "cache.example.com", 6379, false))));
        assertThat(unreachable.exit()).isEqualTo(4);
        assertThat(unreachable.stderr()).contains("the redis server does not answer");
        assertThat(unreachable.stdout()).isEmpty();
    }

    @Test
    void anUnreadableSiteConfigurationFallsBackToTheDefaultDirroot() {
        instance.denyParameter("/Moodle/" + FakeInstance.STACK + "/Site/Config");
        Map<String, String> env = env();
        env.put("DEFAULT_DIRROOT", tmp.resolve("www/moodle").toString());

        Bundle.Result r = Bundle.run(List.of("bash", script().toString(), base64(payload(Map.of("forcelogin", "1"), null))),
                env, null, tmp);

        assertThat(result(r).path("settings").path("changed")).hasSize(1);
        assertThat(r.stderr()).contains("WARNING: cannot read the site configuration").contains("AccessDeniedException");
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
