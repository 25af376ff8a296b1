package io.moodleautopilot.core.lifecycle;

public enum ConvergeOutcome {
    /** Something was out of place and has been changed. */
    APPLIED,
    /** Everything already matched the desired state: no write. */
    NO_CHANGE,
    /** An event for a flag version the status record already shows as applied: no further reads. */
    ALREADY_APPLIED,
    /** The flag is missing or holds neither Yes nor No: nothing changed. */
    INVALID_FLAG,
    /**
     * The flag changed while this converge ran: it stopped before its next write and left the stack
     * to the converge of the newer value (the event that value raised, or the safety net).
     */
    SUPERSEDED
}
