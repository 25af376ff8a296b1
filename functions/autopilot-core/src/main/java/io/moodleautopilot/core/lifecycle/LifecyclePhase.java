package io.moodleautopilot.core.lifecycle;

/** The two states the converger drives the stack between. */
public enum LifecyclePhase {
    /** Moodle's installer is running: one instance, no scaling, database sessions. */
    INSTALL,
    /** Installation complete: production limits, scaling on, session cache published. */
    PRODUCTION
}
