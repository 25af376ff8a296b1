package io.moodleautopilot.core.alarm;

public enum AlarmKind {
    /** Drives the scale-out policy; the reactor guards it (install mode, capacity ceiling). */
    WEB_CPU_HIGH,
    /** Drives the scale-in policy; the reactor only uses it to restore a raised maximum. */
    WEB_CPU_LOW,
    /** Tells an operator, with what is needed to act. */
    NOTIFY
}
