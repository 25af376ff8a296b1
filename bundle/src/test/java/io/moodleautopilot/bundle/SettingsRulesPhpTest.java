package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The instance's half of the shared settings rules: every case of settings-cases.json through
 * autopilot-lib.php on the real PHP, with the verdict and the kind the converger gives
 * (SettingsRulesCasesTest in autopilot-core runs the same file through SettingsDocument).
 */
class SettingsRulesPhpTest {
    static final Path CASES = Path.of("src/test/resources/settings-cases.json");

    /** Prints {"ok": parsed settings} or {"refused": kind, "message": ...}. */
    static final String HARNESS = """
            require $argv[1];
            try {
                $result = ['ok' => autopilot_parse_settings(json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR))];
            } catch (autopilot_bad_input $e) {
                $result = ['refused' => $e->kind, 'message' => $e->getMessage()];
            }
            echo json_encode($result, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
            """;

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : Bundle.JSON.readTree(Files.readString(CASES)).path("cases")) {
            out.add(Arguments.of(c.path("case").asText(), expand(c.path("settings")),
                    c.path("refuse").isNull() ? null : c.path("refuse").asText()));
        }
        return out.stream();
    }

    /** {"repeat": s, "times": n, "then": t} stands for a long value (the file stays small). */
    static ObjectNode expand(JsonNode settings) {
        ObjectNode out = Bundle.JSON.createObjectNode();
        settings.properties().forEach(e -> {
            JsonNode v = e.getValue();
            out.set(e.getKey(), v.isObject() && v.has("repeat")
                    ? out.textNode(v.path("repeat").asText().repeat(v.path("times").asInt()) + v.path("then").asText())
                    : v);
        });
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theInstanceGivesTheSharedVerdict(String name, ObjectNode settings, String refuse) {
        Bundle.Result r = Bundle.run(Bundle.command(Bundle.php(), "-r", HARNESS,
                Bundle.files().resolve("moodle/autopilot-lib.php").toString()), Map.of(), settings.toString(), null);
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).as("no warning or notice").isEmpty();
        JsonNode result = Bundle.parse(r.stdout());
        if (refuse == null) {
            assertThat(result.has("ok")).as("%s accepted: %s", name, result.path("message").asText()).isTrue();
            List<String> parsed = new ArrayList<>();
            result.path("ok").forEach(s -> parsed.add((s.path("plugin").isNull() ? "" : s.path("plugin").asText() + "/")
                    + s.path("name").asText() + "=" + s.path("value").asText()));
            List<String> expected = new ArrayList<>();
            settings.properties().forEach(e -> expected.add(e.getKey() + "=" + e.getValue().asText()));
            assertThat(parsed).containsExactlyElementsOf(expected);
            return;
        }
        assertThat(result.path("refused").asText()).as("%s: %s", name, result).isEqualTo(refuse);
        String message = result.path("message").asText();
        settings.properties().forEach(e -> {
            String value = e.getValue().isTextual() ? e.getValue().asText() : "";
            if (value.length() >= 4) {
                assertThat(message).doesNotContain(value.length() > 40 ? value.substring(0, 40) : value);
            }
        });
        if (!refuse.equals("name") && !refuse.equals("json")) {
            assertThat(settings.properties().stream().anyMatch(e -> message.contains("'" + e.getKey() + "'")))
                    .as("names the setting: %s", message).isTrue();
        }
    }
}
