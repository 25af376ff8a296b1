package io.moodleautopilot.core.json;

/** JSON that cannot be read; its message says where, never what the text was. */
public final class JsonException extends RuntimeException {
    public JsonException(String message, Throwable cause) {
        super(message, cause);
    }
}
