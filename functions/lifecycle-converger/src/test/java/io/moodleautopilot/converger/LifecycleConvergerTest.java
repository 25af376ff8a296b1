package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The converger end to end: the real handler, moto for AWS, the CodePipeline stand-in. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class LifecycleConvergerTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
    }

    @Test
    void yesTakesTheStackToProductionAndReplayChangesNothing() throws Exception {
        stack.setFlag("Yes");
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        var first = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(first.value().outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, true), Map.entry(stack.cpuLowAlarm, true));
        JsonNode session = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(session.path("session_handler_class").asText()).isEqualTo("\\core\\session\\database");
        assertThat(pipelines.executions()).hasSize(1);
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("phase").asText()).isEqualTo("PRODUCTION");
        assertThat(status.path("flagVersion").asLong()).isEqualTo(2);
        assertThat(status.path("pipelineExecutionId").asText()).isEqualTo(pipelines.executions().get(0).split(":")[1]);
        assertThat(status.path("actions")).hasSize(4);
        assertThat(first.calls()).hasSizeLessThanOrEqualTo(8);
        assertThat(first.value().metrics()).contains("ConvergeApplied");

        var replay = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(replay.value().outcome()).isEqualTo("ALREADY_APPLIED");
        assertThat(replay.calls()).hasSizeLessThanOrEqualTo(2);
        assertThat(replay.writes()).isZero();
        assertThat(pipelines.executions()).hasSize(1);
    }
}
