package io.moodleautopilot.core.alarm;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Env;
import java.util.Map;

/**
 * @param configuredMax the production maximum from the stack's parameters (the converger's)
 * @param ceiling       how far the reactor may raise the maximum; equal to configuredMax means off
 * @param setupFlagParameter the setup flag, which decides the phase the reactor acts on
 * @param statusParameter the converger's status record, the phase when the flag is unreadable
 */
public record ReactorSettings(String stack, int configuredMax, int ceiling, String webGroupName,
                              String setupFlagParameter, String statusParameter, String ledgerTable,
                              String topicArn) {

    /** From the environment template.yaml sets for the AlarmReactor. */
    public static ReactorSettings load(Map<String, String> env) {
        String stack = Env.required(env, "STACK_NAME");
        int max = Env.integer(env, "PRODUCTION_MAX_SIZE");
        return new ReactorSettings(stack, max, Env.ceiling(env, max), Env.required(env, "WEB_ASG_NAME"),
                env.getOrDefault("SETUP_FLAG_PARAMETER", "/Moodle/" + stack + "/IsMoodleSetupCompleted"),
                env.getOrDefault("STATUS_PARAMETER", "/Moodle/" + stack + "/Automation/Status"),
                Env.required(env, "LEDGER_TABLE"), Env.required(env, "ALARM_TOPIC_ARN"));
    }

    public ReactorSettings {
        if (ceiling < configuredMax) {
            throw new ConfigurationException("WebAsgMaxCeiling " + ceiling + " is below the production maximum "
                    + configuredMax + " (set it equal to the maximum to turn raising off)");
        }
    }
}
