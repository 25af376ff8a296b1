package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.core.alarm.AlarmState;
import io.moodleautopilot.testbed.CfnTemplate;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AlarmEventsTest {
    @Test
    void theSampleEventIsReadAsCloudWatchWritesIt() throws Exception {
        byte[] e = Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events/cloudwatch-alarm-state-change.json"));
        var parsed = (AlarmEvents.Parsed.Transition) AlarmEvents.parse(e);
        assertThat(parsed.transition().alarmName()).isEqualTo("moodle-alb-5xx");
        assertThat(parsed.transition().state()).isEqualTo(AlarmState.ALARM);
        assertThat(parsed.transition().previousState()).isEqualTo(AlarmState.OK);
        assertThat(parsed.transition().stateTimestamp()).isEqualTo(Instant.parse("2026-11-22T10:15:03.017Z"));
        assertThat(parsed.transition().reasonData()).contains("recentDatapoints");
    }
}
