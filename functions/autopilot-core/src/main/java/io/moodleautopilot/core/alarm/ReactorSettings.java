package io.moodleautopilot.core.alarm;

import io.moodleautopilot.core.lifecycle.ConfigurationException;

/**
 * @param configuredMax the production maximum from the stack's parameters (the converger's)
 * @param ceiling       how far the reactor may raise the maximum; equal to configuredMax means off
 */
public record ReactorSettings(String stack, int configuredMax, int ceiling) {
    public ReactorSettings {
        if (ceiling < configuredMax) {
            throw new ConfigurationException("WebAsgMaxCeiling " + ceiling + " is below the production maximum "
                    + configuredMax + " (set it equal to the maximum to turn raising off)");
        }
    }
}
