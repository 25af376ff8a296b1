package io.moodleautopilot.core.release;

import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the site's database has, as the web instances' upgrade runner last recorded it in the upgrade
 * record ({@code /Moodle/<stack>/Automation/Upgrade}, written only by upgrade-moodle.sh): Moodle's
 * version and release, and the version of each declared plugin. MoodleSource only reads it, to refuse
 * a release the database cannot take. Any field may be missing from an older record.
 *
 * @param state   NONE, CURRENT, RUNNING, DONE or FAILED
 * @param version the database's core version ({@code config.version}), empty when unknown
 * @param release the database's release string ({@code config.release}), empty when unknown
 * @param plugins component to the version the database has for it
 */
public record DatabaseRecord(String state, String version, String release, Map<String, String> plugins) {
    public DatabaseRecord {
        plugins = Map.copyOf(plugins);
    }

    /** No record, or {@code {"state":"NONE"}}: a site not installed yet. */
    public static DatabaseRecord none() {
        return new DatabaseRecord("NONE", "", "", Map.of());
    }

    /**
     * @param text the parameter's value; empty when the parameter does not exist
     * @throws StagingException when the record is not a JSON object (nothing can be checked against it)
     */
    public static DatabaseRecord parse(Optional<String> text, String parameterName) {
        if (text.isEmpty() || text.get().isBlank()) {
            return none();
        }
        JsonValue root;
        try {
            root = Json.parse(text.get());
        } catch (JsonException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new StagingException("the upgrade record " + parameterName + " is not a JSON object, so the release"
                    + " cannot be checked against the database; nothing was staged");
        }
        JsonValue db = root.path("database");
        Map<String, String> plugins = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> e : root.path("plugins").properties()) {
            String v = text(e.getValue());
            if (!v.isEmpty()) {
                plugins.put(e.getKey(), v);
            }
        }
        return new DatabaseRecord(root.path("state").asText("NONE"), text(db.path("version")), text(db.path("release")),
                plugins);
    }

    /** A site whose database holds Moodle: only then can a release be a downgrade or an unsupported jump. */
    public boolean hasDatabase() {
        return !state.equals("NONE") && !version.isEmpty();
    }

    /** The record writes versions as strings; a number is read as written, never as 2.0241007E9. */
    private static String text(JsonValue v) {
        if (v.raw() instanceof Number n) {
            return new java.math.BigDecimal(n.toString()).toPlainString();
        }
        return v.isValueNode() && !v.isNull() ? v.asText().trim() : "";
    }
}
