package io.moodleautopilot.core.lifecycle;

/** The web tier's limits once Moodle is installed, from the stack's parameters. */
public record ProductionLimits(int min, int max) {
    public ProductionLimits {
        if (min < 1) {
            throw new ConfigurationException("production minimum size must be at least 1, got " + min);
        }
        if (max < min) {
            throw new ConfigurationException(
                    "production limits make no sense: minimum " + min + " is above maximum " + max);
        }
    }
}
