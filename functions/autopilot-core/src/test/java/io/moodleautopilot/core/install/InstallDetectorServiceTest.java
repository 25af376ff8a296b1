package io.moodleautopilot.core.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.lifecycle.FlagReading;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The claim on the flag's change to Yes and the settle time before it, with the ports as plain
 * fakes. The claim tests run with no settle time; the settle tests with the default.
 */
class InstallDetectorServiceTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant FLAG_WRITTEN = Instant.parse("2026-03-01T10:00:00Z");
    private static final MoodleSnapshot COMPLETE = new MoodleSnapshot(true, "2024100700", "1", false, false, 0, 1, "MAU");

    private final List<String> flagWrites = new ArrayList<>();
    private final Map<String, Instant> claims = new LinkedHashMap<>();
    private boolean scheduleDisabled;
    private FlagReading flag = new FlagReading("No", 3, FLAG_WRITTEN);
    /** The phase record's No under which the site was seen incomplete: by default the flag's own (an installation ran). */
    private String incompleteUnder = "v3-" + FLAG_WRITTEN.getEpochSecond();
    private final List<String> recorded = new ArrayList<>();
    /** The phase record's completeSince. */
    private Instant completeSince;
    private Duration settle = Duration.ZERO;
    private Instant now = NOW;

    private DetectionResult detect(MoodleSnapshot snapshot) {
        DetectorPorts.SetupFlag setupFlag = new DetectorPorts.SetupFlag() {
            @Override
            public FlagReading read() {
                return flag;
            }

            @Override
            public void setYes(String description) {
                flagWrites.add("Yes");
            }
        };
        DetectorPorts.TransitionClaims claimStore = new DetectorPorts.TransitionClaims() {
            @Override
            public boolean create(String key) {
                return claims.putIfAbsent(key, NOW) == null;
            }

            @Override
            public Instant createdAt(String key) {
                return claims.get(key);
            }
        };
        DetectorPorts.CredentialsSource credentials = new DetectorPorts.CredentialsSource() {
            @Override
            public Credentials get() {
                return new Credentials("moodle", "pw");
            }

            @Override
            public void invalidate() {
            }
        };
        DetectorPorts.PhaseRecord phaseRecord = new DetectorPorts.PhaseRecord() {
            @Override
            public void record(InstallPhase phase, String probe, String under, Instant since) {
                recorded.add(phase + " " + under);
                incompleteUnder = under;
                completeSince = since;
            }

            @Override
            public Last last() {
                return new Last(incompleteUnder, completeSince);
            }
        };
        return new InstallDetectorService(setupFlag, () -> "available", credentials, c -> snapshot,
                phaseRecord, () -> "not configured", () -> scheduleDisabled = true, claimStore,
                Clock.fixed(now, ZoneOffset.UTC), settle).detect();
    }

    @Test
    void theDetectorThatCreatesTheClaimWritesYes() {
        DetectionResult r = detect(COMPLETE);

        assertThat(r.flagSet()).isTrue();
        assertThat(r.claimedElsewhere()).isNull();
        assertThat(flagWrites).containsExactly("Yes");
        assertThat(claims).containsOnlyKeys("v3-" + FLAG_WRITTEN.getEpochSecond());
        assertThat(scheduleDisabled).isTrue();
    }

    @Test
    void aClaimAnotherDetectorHoldsLeavesTheFlagAndTheScheduleToIt() {
        claims.put("v3-" + FLAG_WRITTEN.getEpochSecond(), NOW.minusSeconds(2));

        DetectionResult r = detect(COMPLETE);

        assertThat(r.flagSet()).isFalse();
        assertThat(r.claimedElsewhere()).isEqualTo("v3-" + FLAG_WRITTEN.getEpochSecond());
        assertThat(flagWrites).isEmpty();
        assertThat(scheduleDisabled).as("the schedule keeps running in case the winner died").isFalse();
    }

    @Test
    void aStaleClaimWhoseWinnerNeverWroteIsClaimedAgainUnderTheNextName() {
        String key = "v3-" + FLAG_WRITTEN.getEpochSecond();
        claims.put(key, NOW.minus(InstallDetectorService.STALE_CLAIM).minusSeconds(1));

        DetectionResult r = detect(COMPLETE);

        assertThat(r.flagSet()).isTrue();
        assertThat(flagWrites).containsExactly("Yes");
        assertThat(claims).containsOnlyKeys(key, key + "-2");
    }

    @Test
    void aClaimJustYoungerThanStaleStillBelongsToItsWinner() {
        String key = "v3-" + FLAG_WRITTEN.getEpochSecond();
        claims.put(key, NOW.minus(InstallDetectorService.STALE_CLAIM).plusSeconds(1));

        assertThat(detect(COMPLETE).claimedElsewhere()).isEqualTo(key);
        assertThat(flagWrites).isEmpty();
    }

    @Test
    void afterTheLastStaleClaimItGivesUpWithoutWriting() {
        String key = "v3-" + FLAG_WRITTEN.getEpochSecond();
        Instant stale = NOW.minus(Duration.ofHours(1));
        claims.put(key, stale);
        for (int n = 2; n <= InstallDetectorService.MAX_CLAIMS; n++) {
            claims.put(key + "-" + n, stale);
        }

        DetectionResult r = detect(COMPLETE);

        assertThat(r.flagSet()).isFalse();
        assertThat(r.claimedElsewhere()).isEqualTo(key + "-" + InstallDetectorService.MAX_CLAIMS);
        assertThat(claims).hasSize(InstallDetectorService.MAX_CLAIMS);
    }

    @Test
    void aNewNoVersionIsANewTransitionWithItsOwnClaim() {
        claims.put("v3-" + FLAG_WRITTEN.getEpochSecond(), NOW);
        flag = new FlagReading("No", 5, NOW.minusSeconds(30));
        incompleteUnder = "v5-" + NOW.minusSeconds(30).getEpochSecond(); // a reinstall ran under it

        assertThat(detect(COMPLETE).flagSet()).isTrue();
        assertThat(claims).containsKey("v5-" + NOW.minusSeconds(30).getEpochSecond());
    }

    @Test
    void aFlagCreatedAgainAtVersionOneIsNotTakenForTheOldStacksClaim() {
        // A stack deleted and created under the same name: its old claims stay behind.
        claims.put("v1-" + FLAG_WRITTEN.getEpochSecond(), FLAG_WRITTEN);
        flag = new FlagReading("No", 1, NOW.minusSeconds(600));

        assertThat(detect(COMPLETE).flagSet()).isTrue();
    }

    @Test
    void noClaimWhenTheFlagIsNotExactlyNoOrTheSiteIsNotComplete() {
        flag = new FlagReading("Yes", 4, FLAG_WRITTEN);
        assertThat(detect(COMPLETE).flagSet()).isFalse();
        flag = new FlagReading("maybe", 4, FLAG_WRITTEN);
        assertThat(detect(COMPLETE).flagSet()).isFalse();
        flag = new FlagReading("No", 4, FLAG_WRITTEN);
        assertThat(detect(new MoodleSnapshot(true, "2024100700", "1", false, false, 0, 1, "")).flagSet()).isFalse();

        assertThat(claims).isEmpty();
        assertThat(flagWrites).isEmpty();
    }

    @Test
    void anOperatorsNoOnACompleteSiteIsKept() {
        // Probe 3.5: the site went to production (the detector's record says nothing about this No),
        // then an operator set No (version 5) on the installed site.
        incompleteUnder = null;
        flag = new FlagReading("No", 5, NOW.minusSeconds(30));

        DetectionResult r = detect(COMPLETE);

        assertThat(r.noKept()).isTrue();
        assertThat(r.flagSet()).isFalse();
        assertThat(flagWrites).isEmpty();
        assertThat(claims).isEmpty();
        assertThat(scheduleDisabled).as("keeps watching for a reinstall").isFalse();
        // Minutes later, still complete: still kept.
        assertThat(detect(COMPLETE).flagSet()).isFalse();
        assertThat(flagWrites).isEmpty();
    }

    @Test
    void aNoSeenWithAnEarlierNoIsNotThisNo() {
        // The record names the No of the first installation (v3); the operator's No is v5.
        flag = new FlagReading("No", 5, NOW.minusSeconds(30));

        assertThat(detect(COMPLETE).noKept()).isTrue();
        assertThat(flagWrites).isEmpty();
    }

    @Test
    void afterAReinstallUnderTheOperatorsNoTheDetectorSetsYes() {
        incompleteUnder = null;
        flag = new FlagReading("No", 5, NOW.minusSeconds(30));
        assertThat(detect(COMPLETE).noKept()).isTrue();

        // The operator reinstalls: the tables go away and are created again, then complete.
        assertThat(detect(MoodleSnapshot.emptyDatabase()).phase()).isEqualTo(InstallPhase.NOT_INSTALLED);
        assertThat(detect(MoodleSnapshot.tablesBeingCreated()).phase()).isEqualTo(InstallPhase.INSTALLING);
        assertThat(flagWrites).isEmpty();
        DetectionResult done = detect(COMPLETE);

        assertThat(done.flagSet()).isTrue();
        assertThat(flagWrites).containsExactly("Yes");
        assertThat(recorded).contains("NOT_INSTALLED v5-" + NOW.minusSeconds(30).getEpochSecond(),
                "COMPLETE v5-" + NOW.minusSeconds(30).getEpochSecond());
    }

    @Test
    void theTemplatesFirstNoFlipsWithoutARecord() {
        // A new stack whose database was restored complete: version 1 is the No the stack created.
        incompleteUnder = null;
        flag = new FlagReading("No", 1, NOW.minusSeconds(600));

        assertThat(detect(COMPLETE).flagSet()).isTrue();
    }

    // --- the settle time: complete for a while before the flag turns Yes ------------------------

    @Test
    void theFirstCompleteOnlyStartsTheSettleTime() {
        settle = InstallDetectorService.DEFAULT_SETTLE;

        DetectionResult r = detect(COMPLETE);

        assertThat(r.settling()).isTrue();
        assertThat(r.flagSet()).isFalse();
        assertThat(flagWrites).isEmpty();
        assertThat(claims).as("nothing claimed while settling").isEmpty();
        assertThat(scheduleDisabled).isFalse();
        assertThat(completeSince).isEqualTo(NOW);
    }

    @Test
    void stillCompleteAfterTheSettleTimeTheFlagTurnsYes() {
        settle = InstallDetectorService.DEFAULT_SETTLE;
        detect(COMPLETE);
        now = NOW.plus(settle).minusSeconds(1);
        assertThat(detect(COMPLETE).settling()).as("a second early").isTrue();

        now = NOW.plus(settle);
        DetectionResult r = detect(COMPLETE);

        assertThat(r.settling()).isFalse();
        assertThat(r.flagSet()).isTrue();
        assertThat(flagWrites).containsExactly("Yes");
        assertThat(completeSince).as("the run of COMPLETE observations keeps its start").isEqualTo(NOW);
    }

    /** The installer wrote the site's names, then something it did after undid COMPLETE: start again. */
    @Test
    void anIncompleteObservationInBetweenStartsTheSettleTimeAgain() {
        settle = InstallDetectorService.DEFAULT_SETTLE;
        detect(COMPLETE);
        now = NOW.plusSeconds(20);
        detect(new MoodleSnapshot(true, "2024100700", "1", true, false, 0, 1, "MAU"));
        assertThat(completeSince).isNull();

        now = NOW.plusSeconds(40);
        assertThat(detect(COMPLETE).settling()).isTrue();
        now = NOW.plusSeconds(69);
        assertThat(detect(COMPLETE).flagSet()).isFalse();
        now = NOW.plusSeconds(70);
        assertThat(detect(COMPLETE).flagSet()).isTrue();
    }
}
