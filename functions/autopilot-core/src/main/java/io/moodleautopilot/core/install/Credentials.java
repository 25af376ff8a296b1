package io.moodleautopilot.core.install;

/** A database login. {@link #toString} never shows the password, so a stray log line cannot leak it. */
public record Credentials(String username, String password) {
    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=***]";
    }
}
