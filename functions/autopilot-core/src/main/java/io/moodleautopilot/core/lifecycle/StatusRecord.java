package io.moodleautopilot.core.lifecycle;

import java.time.Instant;
import java.util.List;

/**
 * What the converger last applied, kept beside the flag so an operator (and the next converge)
 * can see it.
 *
 * @param flagVersion             the setup flag's Parameter Store version this record reflects
 * @param pipelineExecutionId     the execution started for the last transition to production, or null
 * @param actions                 what the converge that wrote this record changed
 * @param transitionedAt          when the phase last changed
 * @param updatedAt               when this record was written
 * @param releaseVersion          the staged release the stack held (and, in production, the pipeline
 *                                deployed) when this record was written; null when unknown
 * @param configRenderedFor       fingerprint of the session settings the web instances were last
 *                                asked to render into config.php; null when never
 * @param moodleConfigAppliedFor  fingerprint of the Moodle settings and application cache last
 *                                applied in Moodle (or of a rejected settings document); null when never
 */
public record StatusRecord(LifecyclePhase phase, long flagVersion, String pipelineExecutionId,
                           List<String> actions, String trigger, Instant transitionedAt, Instant updatedAt,
                           String releaseVersion, String configRenderedFor, String moodleConfigAppliedFor) {
    public StatusRecord {
        actions = List.copyOf(actions);
    }
}
