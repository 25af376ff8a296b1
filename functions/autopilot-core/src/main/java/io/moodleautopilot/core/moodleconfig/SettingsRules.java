package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The rules of the settings document, from the bundle's {@code moodle/settings-rules.json}: the same
 * file moodle/autopilot-lib.php reads on the instances, so that the converger refuses exactly what
 * the instance would, before anything is sent.
 */
public record SettingsRules(Pattern corePattern, Pattern pluginPattern, Set<String> reservedPlugins,
                            int maxNameLength, int maxPluginLength, int maxValueLength, List<Refusal> refused) {

    /** One refused family of settings (secrets, executables, config.php's own). */
    public record Refusal(String kind, String message, Set<String> names, List<String> prefixes) {
        boolean matches(String key) {
            return names.contains(key) || prefixes.stream().anyMatch(key::startsWith);
        }
    }

    private static final String RESOURCE = "settings-rules.json";
    private static final SettingsRules BUNDLED = load();

    public static SettingsRules bundled() {
        return BUNDLED;
    }

    /** The refusal that covers this setting name ("name" or "plugin/name"), if any. */
    public Optional<Refusal> refusalFor(String key) {
        return refused.stream().filter(r -> r.matches(key)).findFirst();
    }

    static SettingsRules parse(JsonValue root) {
        List<Refusal> refused = new ArrayList<>();
        for (JsonValue r : root.path("refused")) {
            refused.add(new Refusal(r.path("kind").asText(), r.path("message").asText(), strings(r.path("names")),
                    List.copyOf(strings(r.path("prefixes")))));
        }
        return new SettingsRules(Pattern.compile(root.path("corePattern").asText()),
                Pattern.compile(root.path("pluginPattern").asText()), strings(root.path("reservedPlugins")),
                root.path("maxNameLength").asInt(), root.path("maxPluginLength").asInt(),
                root.path("maxValueLength").asInt(), List.copyOf(refused));
    }

    private static Set<String> strings(JsonValue array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return java.util.Collections.unmodifiableSet(out);
    }

    private static SettingsRules load() {
        try (InputStream in = SettingsRules.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the package (a build problem)");
            }
            return parse(Json.parse(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
