package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.alarm.AlarmState;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlarmEventsTest {
    @Test
    void theSampleEventIsReadAsCloudWatchWritesIt() throws Exception {
        byte[] e = Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events/cloudwatch-alarm-state-change.json"));
        var parsed = (AlarmEvents.Parsed.Transition) AlarmEvents.parse(e, Instant.parse("2026-11-22T10:15:05Z"));
        assertThat(parsed.transition().alarmName()).isEqualTo("moodle-alb-5xx");
        assertThat(parsed.transition().state()).isEqualTo(AlarmState.ALARM);
        assertThat(parsed.transition().previousState()).isEqualTo(AlarmState.OK);
        assertThat(parsed.transition().stateTimestamp()).isEqualTo(Instant.parse("2026-11-22T10:15:03.017Z"));
        assertThat(parsed.transition().reasonData()).contains("recentDatapoints");
    }

    private static final Instant NOW = Instant.parse("2026-11-30T20:00:00Z");

    private static AlarmEvents.Parsed withTimes(String stateTimestamp, String eventTime) {
        String time = eventTime == null ? "" : "\"time\":\"" + eventTime + "\",";
        return AlarmEvents.parse(("{\"detail-type\":\"CloudWatch Alarm State Change\",\"source\":\"aws.cloudwatch\"," + time
                + "\"detail\":{\"alarmName\":\"moodle-db-cpu\",\"state\":{\"value\":\"ALARM\",\"timestamp\":\""
                + stateTimestamp + "\"}}}").getBytes(), NOW);
    }

    /** Timestamps outside the window are bad input, refused with a reason instead of thrown or stored. */
    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "2100-01-01T00:00:00.000+0000, null, in the future",
            "+999999999-12-31T23:59:59.999Z, null, in the future",
            "2026-11-30T20:05:01.000+0000, null, in the future",
            "2009-12-31T23:59:59.999+0000, null, before 2010",
            "-999999999-01-01T00:00:00Z, null, before 2010",
            "2026-11-30T19:50:00.000+0000, 2026-11-30T19:40:00Z, after the event's time",
            "2026-11-29T19:00:00.000+0000, 2026-11-30T19:40:00Z, h before the event's time"})
    void aTimestampOutsideTheWindowIsRejected(String stateTimestamp, String eventTime, String reason) {
        assertThat(withTimes(stateTimestamp, eventTime)).isInstanceOfSatisfying(AlarmEvents.Parsed.Rejected.class,
                r -> assertThat(r.reason()).contains("moodle-db-cpu").contains(reason));
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "+1000000001-01-01T00:00:00Z, null", "2026-13-01T00:00:00.000+0000, null", "yesterday, null", "'', null"})
    void anUnreadableTimestampIsRejected(String stateTimestamp, String eventTime) {
        assertThat(withTimes(stateTimestamp, eventTime)).isInstanceOf(AlarmEvents.Parsed.Rejected.class);
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "2026-11-30T20:04:59.000+0000, null", "2010-01-01T00:00:00.000+0000, null", "2026-11-22T10:15:03.017+0000, null",
            "2026-11-30T19:39:58.000+0000, 2026-11-30T19:40:00Z", "2026-11-29T19:40:00.000+0000, 2026-11-30T19:40:00Z",
            "2026-11-30T19:39:58.000+0000, not a time"})
    void aPlausibleTimestampIsAccepted(String stateTimestamp, String eventTime) {
        assertThat(withTimes(stateTimestamp, eventTime)).isInstanceOf(AlarmEvents.Parsed.Transition.class);
    }
}
