package io.moodleautopilot.core.json;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one parsed JSON value (a map, a list, a string, a number, a boolean, null) or
 * of a member that is not there. {@link #path} never fails, so a reader walks a document without a
 * null check at every step and decides once, at the end, whether the value has the type it needs.
 */
public final class JsonValue implements Iterable<JsonValue> {
    private static final Object ABSENT = new Object();
    static final JsonValue MISSING = new JsonValue(ABSENT);

    private final Object value;

    private JsonValue(Object value) {
        this.value = value;
    }

    static JsonValue of(Object raw) {
        return new JsonValue(raw);
    }

    /** The member {@code name} of an object; missing for anything else. */
    public JsonValue path(String name) {
        if (value instanceof Map<?, ?> m && m.containsKey(name)) {
            return of(m.get(name));
        }
        return MISSING;
    }

    /** The element {@code index} of an array; missing for anything else. */
    public JsonValue path(int index) {
        if (value instanceof List<?> l && index >= 0 && index < l.size()) {
            return of(l.get(index));
        }
        return MISSING;
    }

    public boolean has(String name) {
        return value instanceof Map<?, ?> m && m.containsKey(name);
    }

    /** The member is there and is not null. */
    public boolean hasNonNull(String name) {
        return value instanceof Map<?, ?> m && m.get(name) != null;
    }

    public boolean isMissingNode() {
        return value == ABSENT;
    }

    public boolean isNull() {
        return value == null;
    }

    public boolean isTextual() {
        return value instanceof String;
    }

    public boolean isObject() {
        return value instanceof Map;
    }

    public boolean isArray() {
        return value instanceof List;
    }

    /** The string itself, a number or boolean as written; "" for a missing member, an object or an array. */
    public String asText() {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        return value == null ? "null" : "";
    }

    /** {@link #asText()}, or {@code fallback} when the member is missing or null. */
    public String asText(String fallback) {
        return value == ABSENT || value == null ? fallback : asText();
    }
    public long asLong() {
        return asLong(0);
    }

    public long asLong(long fallback) {
        if (value instanceof Number n) {
            return n.longValue();
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (value instanceof String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    public int asInt() {
        return (int) asLong(0);
    }

    public double asDouble() {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    public boolean asBoolean() {
        return asBoolean(false);
    }

    /** A boolean, "true"/"false" or a number as a boolean; {@code fallback} for anything else. */
    public boolean asBoolean(boolean fallback) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String s && (s.strip().equalsIgnoreCase("true") || s.strip().equalsIgnoreCase("false"))) {
            return s.strip().equalsIgnoreCase("true");
        }
        if (value instanceof Number n) {
            return n.doubleValue() != 0;
        }
        return fallback;
    }

    /** An array or object with nothing in it (anything else is not empty, as in Jackson). */
    public boolean isEmpty() {
        return (value instanceof List<?> l && l.isEmpty()) || (value instanceof Map<?, ?> m && m.isEmpty());
    }

    /** Elements of an array, or member values of an object; nothing for anything else. */
    public int size() {
        if (value instanceof List<?> l) {
            return l.size();
        }
        return value instanceof Map<?, ?> m ? m.size() : 0;
    }

    @Override
    public Iterator<JsonValue> iterator() {
        if (value instanceof List<?> l) {
            return l.stream().map(JsonValue::of).iterator();
        }
        if (value instanceof Map<?, ?> m) {
            return m.values().stream().map(JsonValue::of).iterator();
        }
        return Collections.emptyIterator();
    }

    /** A string, number, boolean or null: not an object, an array or a missing member. */
    public boolean isValueNode() {
        return value != ABSENT && !(value instanceof Map) && !(value instanceof List);
    }

    /** The members of an object with their values, in document order; nothing for anything else. */
    private Iterator<Map.Entry<String, JsonValue>> fields() {
        if (value instanceof Map<?, ?> m) {
            return m.entrySet().stream()
                    .map(e -> Map.entry(String.valueOf(e.getKey()), of(e.getValue())))
                    .iterator();
        }
        return Collections.emptyIterator();
    }

    /** {@link #fields()} as a collection. */
    public List<Map.Entry<String, JsonValue>> properties() {
        List<Map.Entry<String, JsonValue>> out = new java.util.ArrayList<>();
        fields().forEachRemaining(out::add);
        return out;
    }

    /** The members of an object in document order; nothing for anything else. */
    public Iterable<String> fieldNames() {
        if (value instanceof Map<?, ?> m) {
            return m.keySet().stream().map(String::valueOf).toList();
        }
        return List.of();
    }
    /** The parsed Java value: a map, a list, a string, a number, a boolean or null. */
    public Object raw() {
        return value == ABSENT ? null : value;
    }

    @Override
    public String toString() {
        return value == ABSENT ? "" : Json.write(value);
    }
}
