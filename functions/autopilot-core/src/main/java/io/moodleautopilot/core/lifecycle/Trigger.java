package io.moodleautopilot.core.lifecycle;

/** Why a converge runs; recorded in the status and the logs. */
public enum Trigger {
    PARAMETER_CHANGE, SETTINGS_CHANGE, SCHEDULE, STACK_DEPLOYMENT
}
