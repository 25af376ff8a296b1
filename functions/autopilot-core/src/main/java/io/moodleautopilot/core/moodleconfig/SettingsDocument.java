package io.moodleautopilot.core.moodleconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Moodle settings the operator declares for the stack: a JSON object of {@code name: value}
 * (core settings) and {@code plugin/name: value} (plugin settings), as Moodle's set_config takes
 * them. Validated whole before anything is applied: one bad entry rejects the document.
 */
public record SettingsDocument(Map<String, String> settings) {
    /** Moodle's config names: lower case, digits and underscores. */
    static final Pattern CORE_NAME = Pattern.compile("[a-z0-9_]{1,100}");
    /** Frankenstyle component, a slash, a config name (e.g. auth_ldap/host_url). */
    static final Pattern PLUGIN_NAME = Pattern.compile("[a-z][a-z0-9_]{0,99}/[a-z0-9_]{1,100}");
    /** Moodle's config_plugins.value and config.value are TEXT; a sane bound for a declared setting. */
    static final int MAX_VALUE_LENGTH = 65_536;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public SettingsDocument {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    public static SettingsDocument empty() {
        return new SettingsDocument(Map.of());
    }

    /**
     * @throws ConfigurationException naming the first bad entry; the document is then not applied
     */
    public static SettingsDocument parse(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("the Moodle settings document is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigurationException("the Moodle settings document must be a JSON object of name: value");
        }
        Map<String, String> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (!CORE_NAME.matcher(name).matches() && !PLUGIN_NAME.matcher(name).matches()) {
                throw new ConfigurationException("Moodle setting '" + shorten(name)
                        + "' is not a valid name (name, or plugin/name, in lower case)");
            }
            out.put(name, value(name, e.getValue()));
        }
        return new SettingsDocument(out);
    }

    private static String value(String name, JsonNode v) {
        String text;
        if (v.isTextual()) {
            text = v.asText();
        } else if (v.isBoolean()) {
            // Moodle stores checkboxes as "1" and "0".
            text = v.asBoolean() ? "1" : "0";
        } else if (v.isIntegralNumber() || v.isFloatingPointNumber()) {
            text = v.asText();
        } else {
            throw new ConfigurationException("Moodle setting '" + name
                    + "' must be a string, number or boolean (to unset a setting, do it in Moodle)");
        }
        if (text.length() > MAX_VALUE_LENGTH) {
            throw new ConfigurationException("Moodle setting '" + name + "' is longer than " + MAX_VALUE_LENGTH);
        }
        return text;
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
