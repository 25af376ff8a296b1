package io.moodleautopilot.function;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.testbed.EmbeddedMetricFormat;
import org.junit.jupiter.api.Test;

class TelemetryTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aCountIsAValidEmbeddedMetricWithTheStackDimension() throws Exception {
        JsonNode n = MAPPER.readTree(Telemetry.line("MoodleAutopilot", "moodle", "ConvergeApplied", null, null, 1_796_000_000_000L));
        assertThat(EmbeddedMetricFormat.violations(n)).isEmpty();
        assertThat(n.toString()).isEqualTo("{\"_aws\":{\"Timestamp\":1796000000000,\"CloudWatchMetrics\":[{\"Namespace\":"
                + "\"MoodleAutopilot\",\"Metrics\":[{\"Name\":\"ConvergeApplied\",\"Unit\":\"Count\"}],\"Dimensions\":"
                + "[[\"Stack\"]]}]},\"ConvergeApplied\":1.0,\"Stack\":\"moodle\"}");
    }

    @Test
    void aSecondDimensionJoinsTheStackInOneDimensionSet() throws Exception {
        JsonNode n = MAPPER.readTree(Telemetry.line(null, "", "InstallPhase", "Phase", "INSTALLING", 1L));
        assertThat(EmbeddedMetricFormat.violations(n)).isEmpty();
        assertThat(n.path("_aws").path("CloudWatchMetrics").path(0).path("Namespace").asText()).isEqualTo("MoodleAutopilot");
        assertThat(n.path("_aws").path("CloudWatchMetrics").path(0).path("Dimensions").toString())
                .isEqualTo("[[\"Stack\",\"Phase\"]]");
        assertThat(n.path("Stack").asText()).isEqualTo("unknown");
        assertThat(n.path("Phase").asText()).isEqualTo("INSTALLING");
    }

    @Test
    void theValidatorRefusesWhatCloudWatchWouldDrop() throws Exception {
        assertThat(EmbeddedMetricFormat.violations(MAPPER.readTree(
                "{\"_aws\":{\"Timestamp\":1,\"CloudWatchMetrics\":[{\"Namespace\":\"N\",\"Metrics\":[{\"Name\":\"M\","
                        + "\"Unit\":\"Things\"}],\"Dimensions\":[[\"Stack\"]]}]},\"M\":\"one\"}")))
                .hasSize(3); // an unknown unit, a metric that is not a number, a dimension that is not there
        assertThat(EmbeddedMetricFormat.violations(MAPPER.readTree("{\"_aws\":{\"CloudWatchMetrics\":[]}}")))
                .containsExactly("_aws.Timestamp is not a number of milliseconds since the epoch");
    }
}
