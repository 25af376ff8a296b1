package io.moodleautopilot.core.json;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The functions' JSON: jackson-jr over jackson-core, parsed into plain maps and lists and read
 * through {@link JsonValue}. jackson-databind is not used on the functions' path: its reflection and
 * type machinery were the largest part of a cold start that only ever needs trees (docs/benchmarks.md).
 */
public final class Json {
    /** Null members are written, as jackson-databind did: the status record and the payload keep their shape. */
    private static final JSON STD = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private Json() {
    }

    /** Any JSON text; a syntax error is a {@link JsonException} that never quotes the input. */
    public static JsonValue parse(String text) {
        if (text == null) {
            throw new JsonException("no JSON text", null);
        }
        return parse(text.getBytes(StandardCharsets.UTF_8));
    }

    public static JsonValue parse(byte[] utf8) {
        try {
            Object raw = STD.anyFrom(utf8);
            if (raw == null && !isLiteralNull(utf8)) {
                throw new JsonException("no JSON text", null);
            }
            return JsonValue.of(raw);
        } catch (IOException e) {
            // jackson's own message quotes the offending token, which may be a secret typed in the
            // wrong place: say only where it is.
            throw new JsonException("not valid JSON" + location(e), e);
        }
    }

    /** The JSON text of a parsed value, a {@link JsonObject}, a {@link JsonArray} or a plain value. */
    public static String write(Object value) {
        try {
            return STD.asString(unwrap(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Indented UTF-8, for files a person reads (the staged manifests). */
    public static byte[] writePretty(Object value) {
        try {
            return STD.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asBytes(unwrap(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getClass().getSimpleName(), e);
        }
    }

    /** A string as a JSON string literal, quotes and escapes included. */
    public static String quote(String text) {
        return write(text);
    }

    static Object unwrap(Object value) {
        if (value instanceof JsonObject o) {
            return o.raw();
        }
        if (value instanceof JsonArray a) {
            return a.raw();
        }
        if (value instanceof JsonValue v) {
            return v.raw();
        }
        return value;
    }

    private static boolean isLiteralNull(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8).strip().equals("null");
    }

    private static String location(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException p && p.getLocation() != null) {
            return " (line " + p.getLocation().getLineNr() + ", column " + p.getLocation().getColumnNr() + ")";
        }
        return "";
    }
}
