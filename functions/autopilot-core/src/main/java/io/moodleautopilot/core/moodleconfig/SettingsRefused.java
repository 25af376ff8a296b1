package io.moodleautopilot.core.moodleconfig;

import io.moodleautopilot.core.lifecycle.ConfigurationException;

/**
 * The settings document broke one of its rules. The message names the setting, never its value:
 * it goes to the status record, the log and the result.
 *
 * @see SettingsRules
 */
public final class SettingsRefused extends ConfigurationException {
    /** json, name, type, value, or the kind of a refused family (secret, executable, config.php). */
    private final String kind;

    public SettingsRefused(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
