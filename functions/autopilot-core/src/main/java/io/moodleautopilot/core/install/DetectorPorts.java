package io.moodleautopilot.core.install;

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
        /** @return the flag's raw value, or null when it does not exist */
        String read();

        void setYes(String description);
    }

    public interface PhaseRecord {
        /** Records what this run saw; writes only when it differs from the last record. */
        void record(InstallPhase phase, String probe);
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
