package io.moodleautopilot.core.moodleconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MoodleConfigDomainTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aDocumentTakesCoreAndPluginSettingsWithStringsNumbersAndBooleans() {
        SettingsDocument d = SettingsDocument.parse(
                "{\"cronclionly\": true, \"maxbytes\": 1048576, \"auth_ldap/host_url\": \"ldaps://x\", \"debug\": \"0\"}");

        assertThat(d.settings()).containsExactly(Map.entry("auth_ldap/host_url", "ldaps://x"),
                Map.entry("cronclionly", "1"), Map.entry("debug", "0"), Map.entry("maxbytes", "1048576"));
    }

    /** Numbers reach Moodle as the operator wrote them: a tree reader had turned 1e400 into "Infinity". */
    @Test
    void numbersAreKeptExactlyAsWritten() {
        SettingsDocument d = SettingsDocument.parse("{\"maxbytes\": 1e400, \"sessiontimeout\": 12345678901234567890123,"
                + " \"x\": -0.0, \"y\": 1.0E2, \"z\": 0.10, \"n\": -7}");

        assertThat(d.settings()).containsExactly(Map.entry("maxbytes", "1e400"), Map.entry("n", "-7"),
                Map.entry("sessiontimeout", "12345678901234567890123"), Map.entry("x", "-0.0"), Map.entry("y", "1.0E2"),
                Map.entry("z", "0.10"));
    }

    /** An unpaired surrogate escape is no character; it used to reach Moodle as '?'. A real pair is kept. */
    @Test
    void aLoneSurrogateIsRefusedWithAReasonAndAPairIsKept() {
        for (String bad : List.of("{\"sitename\": \"a\\ud800b\"}", "{\"sitename\": \"a\\udc00\"}",
                "{\"sitename\": \"\\udbff\\ud800\"}")) {
            assertThatThrownBy(() -> SettingsDocument.parse(bad)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("sitename").hasMessageContaining("lone UTF-16 surrogate");
        }
        assertThat(SettingsDocument.parse("{\"sitename\": \"a\\ud83d\\ude00b\"}").settings())
                .containsEntry("sitename", "a\ud83d\ude00b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"Upper\": \"x\"}", "{\"a/b/c\": \"x\"}", "{\"x; rm -rf\": \"x\"}", "{\"/name\": \"x\"}",
            "{\"name\": null}", "{\"name\": [1]}", "{\"name\": {\"a\": 1}}", "[]", "not json", "\"text\"", "", "{\"a\": \"1\"} {}", "{\"a\": NaN}",
            "{\"a\": 01}", "{\"a\": \"1\""})
    void aBadDocumentIsRejectedWhole(String json) {
        assertThatThrownBy(() -> SettingsDocument.parse(json)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void thePayloadCarriesEveryValueByteForByteInBase64Only() throws Exception {
        String hostile = "it's \"q\" $(touch x) `id` \\ \n ?> é 漢";
        ConfigPayload p = ConfigPayload.of(new SettingsDocument(Map.of("note", hostile)),
                new ApplicationCache("redis", "app.cache.amazonaws.com", 6379, true));

        assertThat(p.base64()).matches("[A-Za-z0-9+/]*={0,2}");
        var decoded = MAPPER.readTree(new String(Base64.getDecoder().decode(p.base64()), StandardCharsets.UTF_8));
        assertThat(decoded.path("settings").path("note").asText()).isEqualTo(hostile);
        assertThat(decoded.path("applicationCache").path("tls").asBoolean()).isTrue();
    }

    @Test
    void theFingerprintFollowsTheContent() {
        SettingsDocument a = new SettingsDocument(Map.of("x", "1"));
        ApplicationCache cache = new ApplicationCache("redis", "h", 6379, true);
        assertThat(ConfigPayload.of(a, cache).fingerprint()).isEqualTo(ConfigPayload.of(a, cache).fingerprint());
        assertThat(ConfigPayload.of(a, cache).fingerprint())
                .isNotEqualTo(ConfigPayload.of(new SettingsDocument(Map.of("x", "2")), cache).fingerprint())
                .isNotEqualTo(ConfigPayload.of(a, null).fingerprint());
    }

    @Test
    void theStacksCacheEnginesMapToMoodlesStorePlugins() {
        assertThat(ApplicationCache.fromStack("none", "", "", "true")).isNull();
        assertThat(ApplicationCache.fromStack("valkey", "h", "6379", "true"))
                .isEqualTo(new ApplicationCache("redis", "h", 6379, true));
        assertThat(ApplicationCache.fromStack("serverless", "h", "", "false"))
                .isEqualTo(new ApplicationCache("redis", "h", 6379, true));
        assertThat(ApplicationCache.fromStack("valkey", "h", "6379", "true").refusal()).isEmpty();
        // Moodle removed its memcached cache store in 4.2: a stack that still says memcached is told why.
        assertThat(ApplicationCache.fromStack("memcached", "h", "", "false").refusal()).hasValueSatisfying(r ->
                assertThat(r).contains("removed its memcached cache store in 4.2").contains("redis, valkey or serverless"));
        assertThatThrownBy(() -> ApplicationCache.fromStack("redis", "", "6379", "true"))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void theScriptsReportBecomesOneLinePerChangeByNameOnly() {
        String out = "applying\n{\"settings\":{\"changed\":[{\"name\":\"forcelogin\",\"plugin\":null,\"old\":\"0\",\"new\":\"1\"},"
                + "{\"name\":\"host_url\",\"plugin\":\"auth_ldap\",\"old\":null,\"new\":\"" + "x".repeat(60) + "\"}],"
                + "\"unchanged\":3},\"applicationCache\":{\"changed\":true,\"store\":\"autopilot_application\","
                + "\"plugin\":\"redis\",\"actions\":[\"store added\",\"application mode mapped\"]}}\n";

        assertThat(ScriptReport.changes(out)).contains(List.of(
                // Values an older script still printed never reach the status record, the log or the result.
                "set forcelogin",
                "set auth_ldap/host_url",
                "application cache autopilot_application (redis): store added; application mode mapped"));
        assertThat(ScriptReport.changes("")).isEmpty();
        assertThat(ScriptReport.changes("PHP Warning: something\n")).isEmpty();
    }

    @Test
    void theServiceReportsEachWayARunCanEnd() {
        List<String> sent = new ArrayList<>();
        MoodleConfigPorts.WebInstances one = () -> Optional.of("i-1");
        ConfigPayload payload = ConfigPayload.of(SettingsDocument.empty(), null);

        assertThat(new MoodleConfigService(Optional::empty, (i, p, b) -> {
            sent.add(i);
            return null;
        }, Duration.ofSeconds(1)).apply(payload).status()).isEqualTo(MoodleConfigOutcome.Status.NO_INSTANCE);
        assertThat(sent).isEmpty();

        assertThat(service(one, new MoodleConfigPorts.CommandResult("c", "Waiting", -1, "", "")).apply(payload).status())
                .isEqualTo(MoodleConfigOutcome.Status.TIMED_OUT);
        MoodleConfigOutcome failed = service(one, new MoodleConfigPorts.CommandResult("c", "Failed", 3, "", "a\nexit 3: not installed"))
                .apply(payload);
        assertThat(failed.status()).isEqualTo(MoodleConfigOutcome.Status.FAILED);
        assertThat(failed.detail()).isEqualTo("Failed: exit 3: not installed");
        assertThat(service(one, new MoodleConfigPorts.CommandResult("c", "Success", 0, "no json", "")).apply(payload).detail())
                .isEqualTo("the scripts printed no report");
        MoodleConfigOutcome ok = service(one, new MoodleConfigPorts.CommandResult("c", "Success", 0,
                "{\"settings\":{\"changed\":[],\"unchanged\":2},\"applicationCache\":null}", "")).apply(payload);
        assertThat(ok.applied()).isTrue();
        assertThat(ok.changes()).isEmpty();
        assertThat(ok.instanceId()).isEqualTo("i-1");

        // Exit 2 is the scripts refusing the payload: its reason is the "REFUSED: " line, not the last line.
        MoodleConfigOutcome refused = service(one, new MoodleConfigPorts.CommandResult("c", "Failed", 2, "",
                "2026-01-01T00:00:00Z apply-moodle-config.sh[7]: settings: apply-settings: Moodle setting 'x' is forced\n"
                        + "2026-01-01T00:00:00Z apply-moodle-config.sh[7]: REFUSED: apply-settings: Moodle setting 'x' is"
                        + " forced by config.php: no setting was changed\n")).apply(payload);
        assertThat(refused.status()).isEqualTo(MoodleConfigOutcome.Status.REFUSED);
        assertThat(refused.detail()).isEqualTo("apply-settings: Moodle setting 'x' is forced by config.php: no setting was changed");
        // Exit 2 that is not Run Command's Failed (a cancelled command) is no refusal.
        assertThat(service(one, new MoodleConfigPorts.CommandResult("c", "Cancelled", 2, "", "x")).apply(payload).status())
                .isEqualTo(MoodleConfigOutcome.Status.FAILED);
    }

    private static MoodleConfigService service(MoodleConfigPorts.WebInstances instances,
                                               MoodleConfigPorts.CommandResult result) {
        return new MoodleConfigService(instances, (i, p, b) -> result, Duration.ofSeconds(1));
    }
}
