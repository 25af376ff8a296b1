package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.FlagReading;
import io.moodleautopilot.core.lifecycle.SetupFlag;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Reads Moodle's own tables and, when the site is really installed, sets the setup flag to Yes,
 * which starts the LifecycleConverger. It never sets No and never touches a Yes (or anything that is
 * not exactly No in the converger's reading). It only turns a No into Yes that it has seen with the
 * site not yet complete (an installation, or a reinstall, happened under it): a No an operator
 * writes on an installed site stays (see {@link #mayFlip}). Several detectors may run at once (the function has
 * no reserved concurrency by default), so the change to Yes is claimed first: only the detector
 * that creates the claim writes Yes.
 */
public final class InstallDetectorService {
    static final String FLAG_DESCRIPTION =
            "Yes once Moodle's installation is complete; set to Yes by the InstallDetector, which read it from Moodle's tables.";
    /**
     * A claim this old whose flag still reads No was won by a detector that died between claim and
     * write (or whose write failed): far longer than an invocation can live (its timeout is 30 s),
     * so its winner can no longer write, and a later detector claims the change again.
     */
    static final Duration STALE_CLAIM = Duration.ofMinutes(5);
    /** Each further claim needs another stale one: more than a few means something else is wrong. */
    static final int MAX_CLAIMS = 5;
    /**
     * How long the site must have been seen complete before the flag turns Yes. Moodle's CLI
     * installer writes the last of what the classifier reads (the site's names) and then still
     * builds the themes' CSS for a few seconds (admin/cli/install_database.php: upgrade_themes()
     * after install_cli_database()): a flip at the first COMPLETE started production while the
     * installer still ran. With the minute schedule the second COMPLETE comes a minute later.
     */
    public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(30);

    private final DetectorPorts.SetupFlag flag;
    private final DetectorPorts.Cluster cluster;
    private final DetectorPorts.CredentialsSource credentials;
    private final DetectorPorts.Database database;
    private final DetectorPorts.PhaseRecord record;
    private final DetectorPorts.SiteProbe probe;
    private final DetectorPorts.Schedule schedule;
    private final DetectorPorts.TransitionClaims claims;
    private final Clock clock;
    private final Duration settle;

    public InstallDetectorService(DetectorPorts.SetupFlag flag, DetectorPorts.Cluster cluster,
                                  DetectorPorts.CredentialsSource credentials, DetectorPorts.Database database,
                                  DetectorPorts.PhaseRecord record, DetectorPorts.SiteProbe probe,
                                  DetectorPorts.Schedule schedule, DetectorPorts.TransitionClaims claims,
                                  Clock clock, Duration settle) {
        this.flag = flag;
        this.cluster = cluster;
        this.credentials = credentials;
        this.database = database;
        this.record = record;
        this.probe = probe;
        this.schedule = schedule;
        this.claims = claims;
        this.clock = clock;
        this.settle = settle;
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
        FlagReading reading = flag.read();
        Optional<SetupFlag> current = SetupFlag.parse(reading.rawValue());
        MoodleSnapshot snapshot = readWithFreshCredentialsOnce();
        InstallPhase phase = PhaseClassifier.classify(snapshot, current.orElse(null) == SetupFlag.YES);
        String probed = probe.probe();
        boolean flagIsNo = current.orElse(null) == SetupFlag.NO;
        String incompleteUnder;
        Instant completeSince = null;
        if (!flagIsNo) {
            incompleteUnder = null;
        } else if (phase != InstallPhase.COMPLETE) {
            incompleteUnder = claimKey(reading);
        } else {
            // Only here is the record read: a complete site under a No (one call, not every minute
            // of an installation).
            DetectorPorts.PhaseRecord.Last last = record.last();
            incompleteUnder = last.incompleteUnder();
            completeSince = last.completeSince() != null ? last.completeSince() : clock.instant();
        }
        record.record(phase, probed, incompleteUnder, completeSince);

        boolean flagSet = false;
        boolean noKept = false;
        boolean settling = false;
        String claimedElsewhere = null;
        if (phase == InstallPhase.COMPLETE && flagIsNo && !mayFlip(reading, incompleteUnder)) {
            noKept = true;
        } else if (phase == InstallPhase.COMPLETE && flagIsNo && completeSince.plus(settle).isAfter(clock.instant())) {
            settling = true;
        } else if (phase == InstallPhase.COMPLETE && flagIsNo) {
            Claim claim = claim(reading);
            if (claim.won()) {
                flag.setYes(FLAG_DESCRIPTION);
                flagSet = true;
            } else {
                // The winner writes Yes and stops the schedule; this run leaves both to it (and the
                // schedule running, so a winner that died is replaced once its claim is stale).
                claimedElsewhere = claim.key();
            }
        }
        boolean disabled = false;
        if (phase == InstallPhase.COMPLETE && (flagSet || current.orElse(null) == SetupFlag.YES)) {
            schedule.disable();
            disabled = true;
        }
        return new DetectionResult(phase, status, probed, flagSet, disabled, claimedElsewhere, noKept, settling);
    }

    /**
     * Whether this No may become Yes: the detector saw the site not COMPLETE while the flag held
     * exactly this No (same version, same write time), so an installation or a reinstall ran under
     * it. Also the flag's first version, the No the template creates with the stack (a database
     * restored complete into a new stack goes to production by itself, as before). A No an operator
     * writes on a complete site was never seen incomplete: it stays until the operator sets Yes.
     */
    static boolean mayFlip(FlagReading no, String incompleteUnder) {
        return no.version() == 1 || claimKey(no).equals(incompleteUnder);
    }

    private record Claim(String key, boolean won) {
    }

    /**
     * Claims this version's change to Yes. A claim older than {@link #STALE_CLAIM} (the flag still
     * reads No, so its winner never wrote) is followed by the next one, "-2", "-3": each is again
     * create-only, so of several detectors that find the same stale claim one wins the next.
     */
    private Claim claim(FlagReading reading) {
        String key = claimKey(reading);
        for (int n = 1; ; n++) {
            String name = n == 1 ? key : key + "-" + n;
            if (claims.create(name)) {
                return new Claim(name, true);
            }
            Instant created = claims.createdAt(name);
            boolean stale = created == null || created.plus(STALE_CLAIM).isBefore(clock.instant());
            if (!stale || n == MAX_CLAIMS) {
                return new Claim(name, false);
            }
        }
    }

    /**
     * Names one transition: the version of the No that was read, and when it was written, because a
     * flag deleted and created again (a stack deleted and created under the same name, whose old
     * claims stay behind) restarts its versions at 1.
     */
    static String claimKey(FlagReading reading) {
        long modified = reading.lastModified() == null ? 0 : reading.lastModified().getEpochSecond();
        return "v" + reading.version() + "-" + modified;
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
