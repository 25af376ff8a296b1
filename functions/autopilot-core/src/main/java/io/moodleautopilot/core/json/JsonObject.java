package io.moodleautopilot.core.json;

import java.util.LinkedHashMap;
import java.util.Map;

/** A JSON object being built, members in the order they are put. */
public final class JsonObject {
    private final Map<String, Object> members;

    public JsonObject() {
        this(new LinkedHashMap<>());
    }

    JsonObject(Map<String, Object> members) {
        this.members = members;
    }

    public JsonObject put(String name, String value) {
        members.put(name, value);
        return this;
    }

    public JsonObject put(String name, long value) {
        members.put(name, value);
        return this;
    }

    public JsonObject put(String name, int value) {
        members.put(name, value);
        return this;
    }

    public JsonObject put(String name, double value) {
        members.put(name, value);
        return this;
    }

    public JsonObject put(String name, boolean value) {
        members.put(name, value);
        return this;
    }

    /** Another object, an array or a parsed value, as this member. */
    public JsonObject set(String name, Object value) {
        members.put(name, Json.unwrap(value));
        return this;
    }

    public JsonObject putNull(String name) {
        members.put(name, null);
        return this;
    }

    public JsonObject putObject(String name) {
        JsonObject child = new JsonObject();
        members.put(name, child.raw());
        return child;
    }

    public JsonArray putArray(String name) {
        JsonArray child = new JsonArray();
        members.put(name, child.raw());
        return child;
    }

    /** A member as it would read back after writing. */
    public JsonValue path(String name) {
        return asValue().path(name);
    }

    public JsonValue asValue() {
        return JsonValue.of(members);
    }

    Map<String, Object> raw() {
        return members;
    }

    @Override
    public String toString() {
        return Json.write(members);
    }
}
