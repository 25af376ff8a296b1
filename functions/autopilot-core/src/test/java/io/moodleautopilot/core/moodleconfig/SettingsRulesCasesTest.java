package io.moodleautopilot.core.moodleconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The converger's half of the shared settings rules: every case of the bundle's settings-cases.json,
 * which SettingsRulesPhpTest runs through the instance's autopilot-lib.php as well. Both halves
 * must give the same verdict and kind, or a document could pass here and be refused there.
 */
class SettingsRulesCasesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final Path CASES = Path.of("../../bundle/src/test/resources/settings-cases.json");

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : MAPPER.readTree(Files.readString(CASES)).path("cases")) {
            out.add(Arguments.of(c.path("case").asText(), expand(c.path("settings")),
                    c.path("refuse").isNull() ? null : c.path("refuse").asText()));
        }
        return out.stream();
    }

    /** {"repeat": s, "times": n, "then": t} stands for a long value (the file stays small). */
    static ObjectNode expand(JsonNode settings) {
        ObjectNode out = MAPPER.createObjectNode();
        settings.properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (v.isObject() && v.has("repeat")) {
                out.put(e.getKey(), v.path("repeat").asText().repeat(v.path("times").asInt()) + v.path("then").asText());
            } else {
                out.set(e.getKey(), v);
            }
        });
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theConvergerGivesTheSharedVerdict(String name, ObjectNode settings, String refuse) {
        String document = settings.toString();
        if (refuse == null) {
            Map<String, String> expected = new TreeMap<>();
            settings.properties().forEach(e -> expected.put(e.getKey(), e.getValue().asText()));
            assertThat(SettingsDocument.parse(document).settings()).isEqualTo(expected);
            return;
        }
        SettingsRefused refused = catchThrowableOfType(SettingsRefused.class, () -> SettingsDocument.parse(document));
        assertThat(refused).as("%s must be refused", name).isNotNull();
        assertThat(refused.kind()).isEqualTo(refuse);
        assertNamesOnly(refused.getMessage(), settings, refuse);
    }

    /** The message names the refused setting (unless the name itself is the problem) and quotes no value. */
    static void assertNamesOnly(String message, JsonNode settings, String kind) {
        settings.properties().forEach(e -> {
            String value = e.getValue().isTextual() ? e.getValue().asText() : "";
            if (value.length() >= 4) {
                assertThat(message).doesNotContain(value.length() > 40 ? value.substring(0, 40) : value);
            }
        });
        if (!kind.equals("name") && !kind.equals("json")) {
            assertThat(settings.properties().stream().anyMatch(e -> message.contains("'" + e.getKey() + "'")))
                    .as("names the setting: %s", message).isTrue();
        }
    }

    @Test
    void theRulesFileIsTheBundlesOwn() throws IOException {
        // One file: the packaged copy the converger reads is byte for byte the one the instance gets.
        try (var in = SettingsRules.class.getResourceAsStream("settings-rules.json")) {
            assertThat(in).isNotNull();
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(Files.readString(Path.of("../../bundle/files/moodle/settings-rules.json")));
        }
        assertThat(SettingsRules.bundled().refusalFor("smtppass")).map(SettingsRules.Refusal::kind).hasValue("secret");
        assertThat(SettingsRules.bundled().refusalFor("session_redis_auth")).map(SettingsRules.Refusal::kind)
                .hasValue("config.php");
        assertThat(SettingsRules.bundled().refusalFor("sessiontimeout")).isEmpty();
    }

    /** Jackson's own message quotes the bad token; a password typed without quotes must not be echoed. */
    @Test
    void aSyntaxErrorGivesItsPlaceNotItsText() {
        for (String bad : List.of("{\"smtpuser\": hunter2secret}", "{\"a\": \"1\", hunter2secret: \"x\"}",
                "{\"a\": \"1\"} hunter2secret")) {
            SettingsRefused refused = catchThrowableOfType(SettingsRefused.class, () -> SettingsDocument.parse(bad));
            assertThat(refused.getMessage()).doesNotContain("hunter2").contains("not JSON", "line 1, column");
        }
    }
}
