package io.moodleautopilot.core.moodleconfig;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.io.IOException;
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
     * Read token by token rather than as a tree: a tree keeps numbers as doubles or big integers, so
     * {@code 1e400} came out as "Infinity" and {@code 1.0E2} as "100.0". The parser's text of a
     * number token is what the operator wrote, and that is what Moodle gets, character for character.
     *
     * @throws ConfigurationException naming the first bad entry; the document is then not applied
     */
    public static SettingsDocument parse(String json) {
        Map<String, String> out = new TreeMap<>();
        try (JsonParser p = MAPPER.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ConfigurationException("the Moodle settings document must be a JSON object of name: value");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (!CORE_NAME.matcher(name).matches() && !PLUGIN_NAME.matcher(name).matches()) {
                    throw new ConfigurationException("Moodle setting '" + shorten(name)
                            + "' is not a valid name (name, or plugin/name, in lower case)");
                }
                out.put(name, value(name, p, p.nextToken()));
            }
            // A tree reader stops after the first value; text after the object is a mistake, not a comment.
            if (p.nextToken() != null) {
                throw new ConfigurationException("the Moodle settings document has text after its closing brace");
            }
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("the Moodle settings document is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // Reading from a String does no I/O; kept as a refusal rather than an unchecked surprise.
            throw new ConfigurationException("the Moodle settings document could not be read: " + e.getMessage());
        }
        return new SettingsDocument(out);
    }

    private static String value(String name, JsonParser p, JsonToken t) throws IOException {
        String text;
        if (t == JsonToken.VALUE_STRING) {
            text = p.getText();
            if (hasLoneSurrogate(text)) {
                // An escaped half of a surrogate pair (e.g. backslash-ud800) is no character: encoding it for
                // Run Command would silently turn it into '?', so refuse it instead.
                throw new ConfigurationException("Moodle setting '" + name
                        + "' has a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which is not a character");
            }
        } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            // Moodle stores checkboxes as "1" and "0".
            text = t == JsonToken.VALUE_TRUE ? "1" : "0";
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            // The number as written (Jackson has already checked its JSON syntax and length).
            text = p.getText();
        } else {
            throw new ConfigurationException("Moodle setting '" + name
                    + "' must be a string, number or boolean (to unset a setting, do it in Moodle)");
        }
        if (text.length() > MAX_VALUE_LENGTH) {
            throw new ConfigurationException("Moodle setting '" + name + "' is longer than " + MAX_VALUE_LENGTH);
        }
        return text;
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
