package io.moodleautopilot.core.lifecycle;

import java.util.List;

/** What one converge saw and did. */
public record ConvergeResult(ConvergeOutcome outcome, LifecyclePhase phase, long flagVersion,
                             List<String> actions, String pipelineExecutionId, String message) {
    public ConvergeResult {
        actions = List.copyOf(actions);
    }
}
