package io.moodleautopilot.core.json;

import java.util.ArrayList;
import java.util.List;

/** A JSON array being built. */
public final class JsonArray {
    private final List<Object> elements = new ArrayList<>();

    public JsonArray add(String value) {
        elements.add(value);
        return this;
    }

    public JsonArray add(long value) {
        elements.add(value);
        return this;
    }

    public JsonObject addObject() {
        JsonObject child = new JsonObject();
        elements.add(child.raw());
        return child;
    }

    public int size() {
        return elements.size();
    }

    List<Object> raw() {
        return elements;
    }

    @Override
    public String toString() {
        return Json.write(elements);
    }
}
