package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PipelineTokenTest {
    @Test
    void oneTransitionOneTokenWithinCodePipelinesPattern() {
        FlagReading v2 = new FlagReading("Yes", 2, Instant.parse("2026-11-22T10:15:03Z"));
        String token = ConvergeService.pipelineToken(v2);
        assertThat(token).isEqualTo(ConvergeService.pipelineToken(new FlagReading("yes", 2, v2.lastModified())));
        assertThat(token).matches("^[a-zA-Z0-9-]{1,128}$");
    }

    @Test
    void aRecreatedFlagWhoseVersionRestartsGetsANewToken() {
        FlagReading before = new FlagReading("Yes", 1, Instant.parse("2026-01-01T00:00:00Z"));
        FlagReading recreated = new FlagReading("Yes", 1, Instant.parse("2026-11-22T10:15:03Z"));
        assertThat(ConvergeService.pipelineToken(before)).isNotEqualTo(ConvergeService.pipelineToken(recreated));
    }
}
