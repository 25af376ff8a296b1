package io.moodleautopilot.core.moodleconfig;

import java.util.List;

/**
 * How a run of the Moodle-side scripts ended.
 *
 * @param changes one line per changed setting or cache action, as the scripts reported them
 */
public record MoodleConfigOutcome(Status status, String instanceId, String commandId, List<String> changes,
                                  String detail) {
    /** REFUSED: the instance's scripts refused the payload itself; sending it again cannot help. */
    public enum Status { APPLIED, NO_INSTANCE, REFUSED, FAILED, TIMED_OUT }

    public MoodleConfigOutcome {
        changes = List.copyOf(changes);
    }

    public boolean applied() {
        return status == Status.APPLIED;
    }
}
