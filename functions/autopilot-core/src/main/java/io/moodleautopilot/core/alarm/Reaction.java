package io.moodleautopilot.core.alarm;

import java.util.List;

/** What the reactor did with one transition. */
public record Reaction(Outcome outcome, String alarmName, List<String> actions) {
    public enum Outcome {
        /** An operator was told (alarm, at capacity, or resolution). */
        NOTIFIED,
        /** The maximum was raised (and an operator told). */
        RAISED,
        /** A raised maximum was put back (and the resolution sent if the alarm had notified). */
        RESTORED,
        /** A web CPU alarm while Moodle installs: deliberately nothing. */
        SUPPRESSED,
        /** Within the rate window: counted for the next message of this alarm. */
        FOLDED,
        /** Recorded; nothing to do for this state. */
        RECORDED,
        /** The same or a newer transition was already handled. */
        DUPLICATE
    }

    public Reaction {
        actions = List.copyOf(actions);
    }
}
