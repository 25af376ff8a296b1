package io.moodleautopilot.core.moodleconfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the last stdout line of bundle/files/scripts/apply-moodle-config.sh:
 * {@code {"settings": {"changed": [{"name","plugin","old","new"}], "unchanged": N},
 * "applicationCache": null | {"changed": bool, "store", "plugin", "actions": [...]}}}.
 */
public final class ScriptReport {
    /** Setting values are operator input shown in a status record: long ones are cut. */
    static final int VALUE_LIMIT = 40;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ScriptReport() {
    }

    /** @return one line per change, or empty when the output holds no report */
    public static Optional<List<String>> changes(String stdout) {
        if (stdout == null || stdout.isBlank()) {
            return Optional.empty();
        }
        String[] lines = stdout.strip().split("\n");
        JsonNode report;
        try {
            report = MAPPER.readTree(lines[lines.length - 1]);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (report == null || !report.isObject() || !report.has("settings")) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode c : report.path("settings").path("changed")) {
            String plugin = c.path("plugin").asText("");
            String name = (plugin.isEmpty() || plugin.equals("core") ? "" : plugin + "/") + c.path("name").asText();
            out.add("set " + name + ": " + shown(c.path("old")) + " -> " + shown(c.path("new")));
        }
        JsonNode cache = report.path("applicationCache");
        if (cache.path("changed").asBoolean(false)) {
            List<String> actions = new ArrayList<>();
            cache.path("actions").forEach(a -> actions.add(a.asText()));
            out.add("application cache " + cache.path("store").asText() + " (" + cache.path("plugin").asText() + "): "
                    + String.join("; ", actions));
        }
        return Optional.of(out);
    }

    private static String shown(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "(unset)";
        }
        String s = v.asText();
        return "'" + (s.length() > VALUE_LIMIT ? s.substring(0, VALUE_LIMIT) + "..." : s) + "'";
    }
}
