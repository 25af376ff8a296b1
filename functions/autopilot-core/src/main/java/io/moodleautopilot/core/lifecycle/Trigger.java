package io.moodleautopilot.core.lifecycle;

/**
 * Why a converge runs; recorded in the status and the logs. UPGRADE_CHANGE: the instances wrote the
 * upgrade record (its Parameter Store Change event).
 */
public enum Trigger {
    PARAMETER_CHANGE, SETTINGS_CHANGE, SCHEDULE, STACK_DEPLOYMENT, UPGRADE_CHANGE
}
