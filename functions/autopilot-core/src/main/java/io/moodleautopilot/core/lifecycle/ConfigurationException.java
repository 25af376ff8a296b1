package io.moodleautopilot.core.lifecycle;

/**
 * A permanent problem: the stack's settings or resources are wrong, and retrying the same event
 * cannot fix it. Handlers log and count it instead of throwing it into EventBridge's retries.
 */
public class ConfigurationException extends RuntimeException {
    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
