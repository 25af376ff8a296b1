package io.moodleautopilot.core.moodleconfig;

import java.util.List;

/**
 * How a run of the Moodle-side scripts ended.
 *
 * @param changes one line per changed setting or cache action, as the scripts reported them
 */
public record MoodleConfigOutcome(Status status, String instanceId, String commandId, List<String> changes,
                                  String detail) {
    public enum Status { APPLIED, NO_INSTANCE, FAILED, TIMED_OUT }

    public MoodleConfigOutcome {
        changes = List.copyOf(changes);
    }

    public boolean applied() {
        return status == Status.APPLIED;
    }
}
