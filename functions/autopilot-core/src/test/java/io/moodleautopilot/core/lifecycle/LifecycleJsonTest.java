package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import io.moodleautopilot.core.lifecycle.StatusRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LifecycleJsonTest {
    private static StatusRecord record(List<String> actions) {
        Instant at = Instant.parse("2026-03-01T12:00:00Z");
        return new StatusRecord(LifecyclePhase.PRODUCTION, 7, "3f1c2a9e-5b7d-4c11-9a0e-2d6f8b4c1e55", actions,
                "MOODLE_SETTINGS_CHANGE", at, at, "dT9dQ2jv3mLyXk0Ugj1yJ0mS8f4Qo7a_", "a".repeat(64), "b".repeat(64));
    }

    @Test
    void aRecordWithFewActionsIsStoredWhole() {
        StatusRecord r = record(List.of("web group 1/1/1 -> 2/4/2", "session handler published"));

        assertThat(LifecycleJson.parseStatus(LifecycleJson.status(r))).contains(r);
    }

    @Test
    void theUpgradesFieldsAreStoredWhenSetAndAbsentOtherwise() {
        Instant at = Instant.parse("2026-03-01T12:00:00Z");
        StatusRecord r = new StatusRecord(LifecyclePhase.PRODUCTION, 7, null, List.of(), "UPGRADE_CHANGE", at, at,
                "v1", null, null, new UpgradeRecord.Moodle("4.5.6 (Build: 20250811)", "2024100706.00"),
                new StatusRecord.Upgrade("FAILED", "a-1", "i-0abc", 61.5, "step failed", null), "a-1", "cmd-1");

        String json = LifecycleJson.status(r);

        assertThat(LifecycleJson.parseStatus(json)).contains(r);
        assertThat(json).contains("\"moodle\":{\"release\":\"4.5.6 (Build: 20250811)\",\"version\":\"2024100706.00\"}")
                .contains("\"upgrade\":{\"state\":\"FAILED\",\"attempt\":\"a-1\",\"owner\":\"i-0abc\",\"seconds\":61.5,"
                        + "\"reason\":\"step failed\"}")
                .contains("\"upgradeNotified\":\"a-1\"").contains("\"upgradeResumeCommandId\":\"cmd-1\"");
        assertThat(LifecycleJson.status(record(List.of()))).doesNotContain("moodle\"").doesNotContain("upgrade");
    }

    @Test
    void hundredsOfActionsWithCharactersThatEscapeStayWithinTheParameterLimit() {
        // Quotes, backslashes and control characters grow when escaped; accents and emoji take
        // more than one UTF-8 byte.
        List<String> actions = IntStream.rangeClosed(1, 200)
                .mapToObj(i -> "set note" + i + ": '' -> 'it's \"quoted\" \\ back\nline\t\u0001 é 漢 \uD83D\uDE00 " + "y".repeat(i % 50) + "'")
                .toList();

        String json = LifecycleJson.status(record(actions));

        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(LifecycleJson.STATUS_LIMIT);
        StatusRecord stored = LifecycleJson.parseStatus(json).orElseThrow();
        List<String> kept = stored.actions();
        int listed = kept.size() - 1;
        assertThat(listed).isPositive();
        assertThat(kept.subList(0, listed)).isEqualTo(actions.subList(0, listed));
        assertThat(kept.get(listed)).isEqualTo("... and " + (200 - listed) + " more");
        assertThat(stored.moodleConfigAppliedFor()).isEqualTo("b".repeat(64));
    }
}
