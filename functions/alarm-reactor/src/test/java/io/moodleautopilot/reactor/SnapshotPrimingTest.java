package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.ReactorStack;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** SnapStart's hooks in Lambda's order, then a reaction: priming only reads, within the policy. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class SnapshotPrimingTest {

    @Test
    void checkpointThenRestoreThenAReaction() {
        ReactorStack stack = new ReactorStack("moodle", Map.of("WebAsgMaxCeiling", "6")).create();
        stack.setPhase("PRODUCTION");
        String alarm = stack.createAlarm("alb-5xx");
        AlarmReactorHandler handler = new AlarmReactorHandler(stack.functionEnvironment(), new AwsClients());

        var primed = AwsCallRecorder.record(() -> {
            handler.beforeCheckpoint(null);
            handler.afterRestore(null);
        });

        assertThat(primed.calls()).extracting(RecordedCall::action)
                .containsExactlyInAnyOrder("ssm:GetParameters", "autoscaling:DescribeAutoScalingGroups");
        assertThat(stack.functionPolicy().violations(primed.calls())).isEmpty();
        assertThat(stack.messages()).isEmpty();

        var first = FunctionRun.invoke(handler, stack.transition(alarm, "ALARM", "Threshold Crossed: 3 datapoints"),
                "moodle-alarm-reactor", 30_000);

        assertThat(first.outcome()).isEqualTo("NOTIFIED");
        assertThat(stack.messages()).hasSize(1);
    }
}
