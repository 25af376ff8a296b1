package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the last stdout line of bundle/files/scripts/apply-moodle-config.sh:
 * {@code {"settings": {"changed": [{"name","plugin"}], "unchanged": N},
 * "applicationCache": null | {"changed": bool, "store", "plugin", "actions": [...]}}}.
 * Changes are named, never valued: the lines go to the status record (a plain parameter), the log
 * and the result. Any value a script might still print is ignored.
 */
public final class ScriptReport {

    private ScriptReport() {
    }

    /** @return one line per change, or empty when the output holds no report */
    public static Optional<List<String>> changes(String stdout) {
        if (stdout == null || stdout.isBlank()) {
            return Optional.empty();
        }
        String[] lines = stdout.strip().split("\n");
        JsonValue report;
        try {
            report = Json.parse(lines[lines.length - 1]);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (report == null || !report.isObject() || !report.has("settings")) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (JsonValue c : report.path("settings").path("changed")) {
            String plugin = c.path("plugin").asText("");
            String name = (plugin.isEmpty() || plugin.equals("core") ? "" : plugin + "/") + c.path("name").asText();
            out.add("set " + name);
        }
        JsonValue cache = report.path("applicationCache");
        if (cache.path("changed").asBoolean(false)) {
            List<String> actions = new ArrayList<>();
            cache.path("actions").forEach(a -> actions.add(a.asText()));
            out.add("application cache " + cache.path("store").asText() + " (" + cache.path("plugin").asText() + "): "
                    + String.join("; ", actions));
        }
        return Optional.of(out);
    }
}
