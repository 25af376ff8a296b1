package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.AwsGateway.Fault;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Throttling, 5xx and slow answers injected by the WireMock gateway in front of moto. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class TransientFailureTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;
    private AwsGateway gateway;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines, AwsGateway gateway) {
        this.pipelines = pipelines;
        this.gateway = gateway;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        stack.setFlag("Yes");
    }

    @Test
    void throttlingIsAbsorbedByTheSdkRetries() {
        gateway.inject("PutParameter", Fault.THROTTLE, 2);
        gateway.inject("UpdateAutoScalingGroup", Fault.THROTTLE, 1);
        int putsBefore = gateway.attempts("PutParameter");

        var result = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));

        assertThat(result.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(gateway.attempts("UpdateAutoScalingGroup")).isEqualTo(2);
        assertThat(gateway.attempts("PutParameter") - putsBefore).isEqualTo(4); // 2 throttled + session + status
    }

    /**
     * Throttling that outlasts the SDK's retries on UpdateAutoScalingGroup: nothing may be deployed
     * while the group still has its install limits (a pipeline had been started first and was left
     * running against the one install-mode instance). The retry then does both.
     */
    @Test
    void aGroupUpdateThrottledBeyondTheRetriesStartsNoDeployment() {
        gateway.inject("UpdateAutoScalingGroup", Fault.THROTTLE, 10);
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        assertThatThrownBy(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")))
                .hasMessageContaining("Rate exceeded");
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(pipelines.executions()).isEmpty();
        assertThat(stack.parameter(stack.statusParameter())).isNull();

        gateway.clear();
        var retry = Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));

        assertThat(retry.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void aPersistentServerErrorThrowsForEventBridgeAndTheNextConvergeFinishesTheJob() {
        gateway.inject("EnableAlarmActions", Fault.SERVER_ERROR, 10);
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        assertThatThrownBy(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")))
                .hasMessageContaining("500");
        // The pipeline and the group were done; the status was not written, so nothing claims success.
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(stack.parameter(stack.statusParameter())).isNull();
        assertThat(pipelines.executions()).hasSize(1);

        gateway.clear();
        var retry = Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));

        assertThat(retry.outcome()).isEqualTo("APPLIED");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, true), Map.entry(stack.cpuLowAlarm, true));
        assertThat(stack.parameter(stack.statusParameter())).contains("PRODUCTION");
        // Same transition, same clientRequestToken: still one execution.
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void aFailureCountsAMetricBeforeItIsRethrown() {
        gateway.inject("GetParameters", Fault.SERVER_ERROR, 10);
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true));
        try {
            assertThatThrownBy(() -> handler.handleRequest(
                    new java.io.ByteArrayInputStream(Invocations.event("parameter-store-change.json")),
                    new java.io.ByteArrayOutputStream(), new io.moodleautopilot.testbed.LocalLambdaContext("f", 60_000)))
                    .isInstanceOf(RuntimeException.class);
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString()).contains("\"ConvergeFailed\"");
        assertThat(stack.limits()).isEqualTo("1/1/1");
    }

    @Test
    void slowAnswersWithinTheBoundStillConverge() {
        gateway.delay("DescribeAlarms", 1500, 1);
        gateway.delay("DescribeAutoScalingGroups", 1500, 1);

        var result = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));

        assertThat(result.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
    }
}
