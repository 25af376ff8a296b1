package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The instances' upgrade record as the converger reads it: whatever is stored, never an exception. */
class UpgradeRecordTest {
    private static final String FULL = "{\"state\":\"FAILED\",\"attempt\":\"a-1\",\"owner\":\"i-0abc\","
            + "\"database\":{\"version\":\"2024100700.00\",\"release\":\"4.5 (Build: 20241007)\",\"branch\":\"405\"},"
            + "\"code\":{\"version\":\"2024100706.00\",\"release\":\"4.5.6 (Build: 20250811)\",\"branch\":\"405\","
            + "\"releaseId\":\"0123456789abcdef\"},\"plugins\":{\"local_autopilottest\":\"2025010101\"},"
            + "\"startedAt\":\"2026-12-01T12:00:00Z\",\"finishedAt\":\"2026-12-01T12:01:00Z\",\"seconds\":60.0,"
            + "\"reason\":\"upgrade step failed\\nsecond line\",\"runbook\":\"docs/runbook.md#moodle-upgrade-failed\"}";

    @Test
    void theContractsFullRecordIsRead() {
        UpgradeRecord r = UpgradeRecord.parse(FULL);

        assertThat(r.state()).isEqualTo(UpgradeRecord.State.FAILED);
        assertThat(r.attempt()).isEqualTo("a-1");
        assertThat(r.owner()).isEqualTo("i-0abc");
        assertThat(r.database()).isEqualTo(new UpgradeRecord.Moodle("4.5 (Build: 20241007)", "2024100700.00"));
        assertThat(r.code()).isEqualTo(new UpgradeRecord.Moodle("4.5.6 (Build: 20250811)", "2024100706.00"));
        assertThat(r.startedAt()).isEqualTo(Instant.parse("2026-12-01T12:00:00Z"));
        assertThat(r.seconds()).isEqualTo(60.0);
        assertThat(r.reason()).isEqualTo("upgrade step failed second line");
        assertThat(r.warning()).isNull();
        assertThat(r.needsResume(Instant.parse("2026-12-01T12:02:00Z"))).isTrue();
    }

    @Test
    void anAbsentRecordOrNoneIsNoneWithoutAWarning() {
        assertThat(UpgradeRecord.parse(Optional.empty())).isEqualTo(UpgradeRecord.none());
        assertThat(UpgradeRecord.parse("{\"state\":\"NONE\"}")).isEqualTo(UpgradeRecord.none());
        assertThat(UpgradeRecord.parse("{}")).isEqualTo(UpgradeRecord.none());
        assertThat(StatusRecord.Upgrade.of(UpgradeRecord.none())).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "{\"state\": FAILED", "[]", "null", "\"FAILED\"", "{\"state\":\"failed!\"}",
            "{\"state\":{\"x\":1}}"})
    void anythingElseIsNoneWithAWarning(String stored) {
        UpgradeRecord r = UpgradeRecord.parse(stored);

        assertThat(r.state()).isEqualTo(UpgradeRecord.State.NONE);
        assertThat(r.warning()).isNotBlank();
        assertThat(StatusRecord.Upgrade.of(r).warning()).isEqualTo(r.warning());
        // A warning never quotes the stored text.
        assertThat(r.warning()).doesNotContain("failed!");
    }

    @Test
    void missingAndMistypedFieldsAreAbsent() {
        UpgradeRecord r = UpgradeRecord.parse("{\"state\":\"DONE\",\"attempt\":7,\"database\":\"4.5\",\"code\":{},"
                + "\"startedAt\":\"yesterday\",\"seconds\":{\"a\":1},\"reason\":\"only with FAILED\"}");

        assertThat(r.state()).isEqualTo(UpgradeRecord.State.DONE);
        assertThat(r.attempt()).isEqualTo("7");
        assertThat(r.database()).isNull();
        assertThat(r.code()).isNull();
        assertThat(r.startedAt()).isNull();
        assertThat(r.seconds()).isNull();
        assertThat(r.reason()).isNull();
    }

    @Test
    void aRunningRecordIsStaleAfterTwoHoursAndOnlyWithAKnownStart() {
        Instant start = Instant.parse("2026-12-01T12:00:00Z");
        UpgradeRecord running = UpgradeRecord.parse("{\"state\":\"RUNNING\",\"startedAt\":\"" + start + "\"}");

        assertThat(running.needsResume(start.plusSeconds(7199))).isFalse();
        assertThat(running.needsResume(start.plusSeconds(7201))).isTrue();
        assertThat(UpgradeRecord.parse("{\"state\":\"RUNNING\"}").needsResume(start.plusSeconds(86400))).isFalse();
        assertThat(UpgradeRecord.parse("{\"state\":\"DONE\",\"startedAt\":\"" + start + "\"}")
                .needsResume(start.plusSeconds(86400))).isFalse();
    }

    @Test
    void aLongReasonIsCutSoItFitsTheStatusAndTheMessage() {
        UpgradeRecord r = UpgradeRecord.parse("{\"state\":\"FAILED\",\"reason\":\"" + "x".repeat(5000) + "\"}");

        assertThat(r.reason()).hasSize(UpgradeRecord.REASON_LIMIT + 3).endsWith("...");
        assertThat(r.attemptKey()).isEqualTo("unknown");
    }

    @Test
    void theNoticeSaysMaintenanceTheReasonBothVersionsAndTheRunbook() {
        UpgradeNotice n = UpgradeNotice.failed("moodle", UpgradeRecord.parse(FULL));

        assertThat(n.subject()).isEqualTo("Moodle upgrade failed on moodle: site in maintenance mode");
        assertThat(n.message()).contains("maintenance mode").contains("Reason: upgrade step failed second line")
                .contains("The database has: release 4.5 (Build: 20241007), version 2024100700.00")
                .contains("The code wanted:  release 4.5.6 (Build: 20250811), version 2024100706.00")
                .contains("docs/runbook.md#moodle-upgrade-failed").contains("sam deploy");
        assertThat(UpgradeNotice.failed("s".repeat(128), UpgradeRecord.parse(FULL)).subject())
                .hasSize(UpgradeNotice.SUBJECT_LIMIT);
    }
}
