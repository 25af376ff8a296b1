package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.FlagReading;
import java.time.Instant;

/** The InstallDetector's view of the outside world; the aws package implements these with the SDK. */
public final class DetectorPorts {
    private DetectorPorts() {
    }

    public interface Cluster {
        /** @return the cluster's status, e.g. "available" or "modifying" */
        String status();
    }

    public interface CredentialsSource {
        Credentials get();

        /** Forget the cached login, so the next get() reads the secret again (after a rotation). */
        void invalidate();
    }

    public interface Database {
        MoodleSnapshot read(Credentials credentials);
    }

    public interface SetupFlag {
        /** @return the flag's value with its version, or {@link FlagReading#absent()} when it does not exist */
        FlagReading read();

        void setYes(String description);
    }

    /**
     * Create-only markers: the one conditional write Parameter Store offers (PutParameter without
     * overwrite fails when the name exists), so that of several detectors that read the same No,
     * exactly one writes Yes.
     */
    public interface TransitionClaims {
        /** @return true when this call created the claim, false when it existed already */
        boolean create(String key);

        /** @return when the claim was created, or null when it does not exist (any more) */
        Instant createdAt(String key);
    }

    public interface PhaseRecord {
        /**
         * Records what this run saw; writes only when it differs from the last record.
         *
         * @param incompleteUnder the setup flag's No (its claim key) under which the site was last
         *                        seen not COMPLETE, or null when there is none
         * @param completeSince   when the site was first seen COMPLETE in the run of COMPLETE
         *                        observations this one belongs to, or null when it is not COMPLETE
         */
        void record(InstallPhase phase, String probe, String incompleteUnder, java.time.Instant completeSince);

        /** @return the last record's incompleteUnder and completeSince (nulls: no record, or none in it) */
        Last last();

        record Last(String incompleteUnder, java.time.Instant completeSince) {
            public static final Last NONE = new Last(null, null);
        }
    }

    public interface SiteProbe {
        /** A non-deciding look at the site's login page, e.g. "HTTP 200", or why it failed. */
        String probe();
    }

    public interface Schedule {
        /** Stops the minute schedule: once installed, the detector has nothing left to watch. */
        void disable();
    }
}
