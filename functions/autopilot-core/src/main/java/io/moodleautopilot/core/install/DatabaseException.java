package io.moodleautopilot.core.install;

/** Reading Moodle's database failed; the message never contains a credential. */
public class DatabaseException extends RuntimeException {
    public enum Kind { UNREACHABLE, AUTHENTICATION, QUERY }

    private final Kind kind;

    public DatabaseException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
