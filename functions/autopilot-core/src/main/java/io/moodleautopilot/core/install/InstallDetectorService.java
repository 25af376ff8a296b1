package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.SetupFlag;
import java.util.Optional;

/**
 * Reads Moodle's own tables and, when the site is really installed, sets the setup flag to Yes,
 * which starts the LifecycleConverger. It never sets No and never touches a Yes (or anything that is
 * not exactly No in the converger's reading).
 */
public final class InstallDetectorService {
    static final String FLAG_DESCRIPTION =
            "Yes once Moodle's installation is complete; set to Yes by the InstallDetector, which read it from Moodle's tables.";

    private final DetectorPorts.SetupFlag flag;
    private final DetectorPorts.Cluster cluster;
    private final DetectorPorts.CredentialsSource credentials;
    private final DetectorPorts.Database database;
    private final DetectorPorts.PhaseRecord record;
    private final DetectorPorts.SiteProbe probe;
    private final DetectorPorts.Schedule schedule;

    public InstallDetectorService(DetectorPorts.SetupFlag flag, DetectorPorts.Cluster cluster,
                                  DetectorPorts.CredentialsSource credentials, DetectorPorts.Database database,
                                  DetectorPorts.PhaseRecord record, DetectorPorts.SiteProbe probe,
                                  DetectorPorts.Schedule schedule) {
        this.flag = flag;
        this.cluster = cluster;
        this.credentials = credentials;
        this.database = database;
        this.record = record;
        this.probe = probe;
        this.schedule = schedule;
    }

    /**
     * @throws DatabaseNotReadyException when the cluster is not available (nothing read, no flip)
     * @throws DatabaseException         when the database cannot be read
     */
    public DetectionResult detect() {
        String status = cluster.status();
        if (!"available".equals(status)) {
            throw new DatabaseNotReadyException(status);
        }
        Optional<SetupFlag> current = SetupFlag.parse(flag.read());
        MoodleSnapshot snapshot = readWithFreshCredentialsOnce();
        InstallPhase phase = PhaseClassifier.classify(snapshot, current.orElse(null) == SetupFlag.YES);
        String probed = probe.probe();
        record.record(phase, probed);

        boolean flagSet = false;
        if (phase == InstallPhase.COMPLETE && current.orElse(null) == SetupFlag.NO) {
            flag.setYes(FLAG_DESCRIPTION);
            flagSet = true;
        }
        boolean disabled = false;
        if (phase == InstallPhase.COMPLETE && (flagSet || current.orElse(null) == SetupFlag.YES)) {
            schedule.disable();
            disabled = true;
        }
        return new DetectionResult(phase, status, probed, flagSet, disabled);
    }

    /** The managed secret rotates: one authentication failure re-reads it before giving up. */
    private MoodleSnapshot readWithFreshCredentialsOnce() {
        try {
            return database.read(credentials.get());
        } catch (DatabaseException e) {
            if (e.kind() != DatabaseException.Kind.AUTHENTICATION) {
                throw e;
            }
            credentials.invalidate();
            return database.read(credentials.get());
        }
    }

    /** The cluster exists but is not 'available' (creating, modifying, backing-up, ...). */
    public static final class DatabaseNotReadyException extends RuntimeException {
        private final String status;

        public DatabaseNotReadyException(String status) {
            super("database cluster is '" + status + "', not 'available': not connecting");
            this.status = status;
        }

        public String status() {
            return status;
        }
    }
}
