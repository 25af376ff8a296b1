package io.moodleautopilot.core.lifecycle;

/**
 * The web tier's limits once Moodle is installed, from the stack's parameters.
 *
 * @param ceiling how far the AlarmReactor may raise the maximum when the tier is at capacity
 *                (WebAsgMaxCeiling); equal to max means raising is off
 */
public record ProductionLimits(int min, int max, int ceiling) {
    public ProductionLimits(int min, int max) {
        this(min, max, max);
    }

    public ProductionLimits {
        if (min < 1) {
            throw new ConfigurationException("production minimum size must be at least 1, got " + min);
        }
        if (max < min) {
            throw new ConfigurationException(
                    "production limits make no sense: minimum " + min + " is above maximum " + max);
        }
        if (ceiling < max) {
            throw new ConfigurationException("WebAsgMaxCeiling " + ceiling + " is below the production maximum " + max);
        }
    }
}
