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
 * @param moodle                  the Moodle release and version the database has, from the instances'
 *                                upgrade record; null while no record has said
 * @param upgrade                 the last database upgrade as the upgrade record tells it; null while
 *                                the record says nothing (NONE, or a stack without one)
 * @param upgradeNotified         the failed upgrade attempt the operators were told about (one
 *                                notification per attempt); null when none
 * @param upgradeResumeCommandId  the Run Command a stack deployment last sent to resume a failed or
 *                                abandoned upgrade; null when never
 */
public record StatusRecord(LifecyclePhase phase, long flagVersion, String pipelineExecutionId,
                           List<String> actions, String trigger, Instant transitionedAt, Instant updatedAt,
                           String releaseVersion, String configRenderedFor, String moodleConfigAppliedFor,
                           UpgradeRecord.Moodle moodle, Upgrade upgrade, String upgradeNotified,
                           String upgradeResumeCommandId) {
    public StatusRecord {
        actions = List.copyOf(actions);
    }

    /** A record without anything of the database upgrade (as written before upgrades were tracked). */
    public StatusRecord(LifecyclePhase phase, long flagVersion, String pipelineExecutionId,
                        List<String> actions, String trigger, Instant transitionedAt, Instant updatedAt,
                        String releaseVersion, String configRenderedFor, String moodleConfigAppliedFor) {
        this(phase, flagVersion, pipelineExecutionId, actions, trigger, transitionedAt, updatedAt, releaseVersion,
                configRenderedFor, moodleConfigAppliedFor, null, null, null, null);
    }

    /**
     * The upgrade as the status shows it.
     *
     * @param reason  only for FAILED
     * @param warning why the stored record was read as NONE (malformed, unknown state); null otherwise
     */
    public record Upgrade(String state, String attempt, String owner, Double seconds, String reason, String warning) {

        /** Null when the record has nothing to show: no record, or a plain NONE. */
        public static Upgrade of(UpgradeRecord r) {
            if (r.state() == UpgradeRecord.State.NONE && r.warning() == null) {
                return null;
            }
            return new Upgrade(r.state().name(), r.attempt(), r.owner(), r.seconds(),
                    r.state() == UpgradeRecord.State.FAILED ? r.reason() : null, r.warning());
        }
    }
}
