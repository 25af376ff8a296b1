package io.moodleautopilot.core.moodleconfig;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Moodle settings the operator declares for the stack: a JSON object of {@code name: value}
 * (core settings) and {@code plugin/name: value} (plugin settings), as Moodle's set_config takes
 * them. Validated whole before anything is applied, by the rules the instance applies too
 * ({@link SettingsRules}): one bad entry rejects the document. No message quotes a value.
 */
public record SettingsDocument(Map<String, String> settings) {
    private static final JsonFactory JSON = new JsonFactory();

    public SettingsDocument {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    public static SettingsDocument empty() {
        return new SettingsDocument(Map.of());
    }

    /**
     * This document laid over the stack's own settings (e-mail, LDAP sign-in: from its parameters):
     * a name in both keeps the document's value. The operator's document is the later, explicit
     * choice (for example an 'auth' list with more plugins than the stack's 'ldap').
     */
    public SettingsDocument over(SettingsDocument stack) {
        Map<String, String> merged = new TreeMap<>(stack.settings());
        merged.putAll(settings);
        return new SettingsDocument(merged);
    }

    /**
     * Read token by token rather than as a tree: a tree keeps numbers as doubles or big integers, so
     * {@code 1e400} came out as "Infinity" and {@code 1.0E2} as "100.0". The parser's text of a
     * number token is what the operator wrote, and that is what Moodle gets, character for character.
     *
     * @throws SettingsRefused naming the first bad entry; the document is then not applied
     */
    public static SettingsDocument parse(String json) {
        return parse(json, SettingsRules.bundled());
    }

    static SettingsDocument parse(String json, SettingsRules rules) {
        Map<String, String> out = new TreeMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SettingsRefused("json", "the Moodle settings document must be a JSON object of name: value");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                checkName(name, rules);
                out.put(name, value(name, p, p.nextToken(), rules));
            }
            // A tree reader stops after the first value; text after the object is a mistake, not a comment.
            if (p.nextToken() != null) {
                throw new SettingsRefused("json", "the Moodle settings document has text after its closing brace");
            }
        } catch (JsonProcessingException e) {
            // Jackson's own message quotes the offending token, which may be a secret typed without
            // quotes: only the place is reported.
            JsonLocation at = e.getLocation();
            throw new SettingsRefused("json", "the Moodle settings document is not JSON"
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            // Reading from a String does no I/O; kept as a refusal rather than an unchecked surprise.
            throw new SettingsRefused("json", "the Moodle settings document could not be read");
        }
        return new SettingsDocument(out);
    }

    /** The same checks, in the same order, as autopilot_split_setting_name() in autopilot-lib.php. */
    private static void checkName(String key, SettingsRules rules) {
        String name = key;
        if (!rules.corePattern().matcher(key).matches()) {
            if (!rules.pluginPattern().matcher(key).matches()) {
                throw new SettingsRefused("name", "Moodle setting '" + shorten(key)
                        + "' is not a valid name (name, or plugin/name, in lower case)");
            }
            String plugin = key.substring(0, key.indexOf('/'));
            name = key.substring(key.indexOf('/') + 1);
            if (rules.reservedPlugins().contains(plugin)) {
                throw new SettingsRefused("name", "Moodle setting '" + key
                        + "': core settings are named without a plugin");
            }
            if (plugin.length() > rules.maxPluginLength()) {
                throw new SettingsRefused("name", "Moodle setting '" + shorten(key)
                        + "' has a plugin name longer than " + rules.maxPluginLength());
            }
        }
        if (name.length() > rules.maxNameLength()) {
            throw new SettingsRefused("name", "Moodle setting '" + shorten(key) + "' has a name longer than "
                    + rules.maxNameLength());
        }
        rules.refusalFor(key).ifPresent(r -> {
            throw new SettingsRefused(r.kind(), "Moodle setting '" + key + "' " + r.message());
        });
    }

    private static String value(String name, JsonParser p, JsonToken t, SettingsRules rules) throws IOException {
        String text;
        if (t == JsonToken.VALUE_STRING) {
            text = p.getText();
            if (hasLoneSurrogate(text)) {
                // An escaped half of a surrogate pair (e.g. backslash-ud800) is no character: encoding it for
                // Run Command would silently turn it into '?', so refuse it instead.
                throw new SettingsRefused("value", "Moodle setting '" + name
                        + "' has a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which is not a character");
            }
        } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            // Moodle stores checkboxes as "1" and "0".
            text = t == JsonToken.VALUE_TRUE ? "1" : "0";
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            // The number as written (Jackson has already checked its JSON syntax and length).
            text = p.getText();
        } else {
            throw new SettingsRefused("type", "Moodle setting '" + name
                    + "' must be a string, number or boolean (to unset a setting, do it in Moodle)");
        }
        if (text.indexOf('\0') >= 0) {
            // PostgreSQL refuses NUL in text columns: refused here rather than half applied there.
            throw new SettingsRefused("value", "Moodle setting '" + name + "' has a NUL character in its value");
        }
        if (text.length() > rules.maxValueLength()) {
            throw new SettingsRefused("value", "Moodle setting '" + name + "' is longer than " + rules.maxValueLength());
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
