package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SnapStart's runtime hooks as Lambda runs them on a published version: beforeCheckpoint (priming)
 * in the init phase, afterRestore when an execution environment starts from the snapshot, then the
 * first event. Priming reads and never writes, within the function's own policy, and what follows
 * is a full transition on the same clients.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class SnapshotPrimingTest {

    @Test
    void checkpointThenRestoreThenATransition(CodePipelineStandIn pipelines) {
        ConvergerStack stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        stack.setFlag("Yes");
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        var primed = AwsCallRecorder.record(() -> {
            String out = captured(() -> handler.beforeCheckpoint(null));
            handler.afterRestore(null);
            return out;
        });

        assertThat(primed.calls()).extracting(RecordedCall::action).containsExactlyInAnyOrder(
                "ssm:GetParameters", "autoscaling:DescribeAutoScalingGroups", "cloudwatch:DescribeAlarms",
                "codepipeline:GetPipeline");
        assertThat(primed.calls()).noneMatch(RecordedCall::isWrite);
        // The upgrade record is read with the flag and the status, in the same call.
        assertThat(primed.calls()).filteredOn(c -> c.action().equals("ssm:GetParameters"))
                .flatExtracting(RecordedCall::resources).anyMatch(r -> r.endsWith(":parameter" + stack.upgradeParameter()));
        assertThat(stack.functionPolicy().violations(primed.calls())).isEmpty();
        assertThat(primed.value()).contains("primed for the snapshot in");
        assertThat(stack.limits()).as("nothing changed by priming").isEqualTo("1/1/1");

        var first = Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));

        assertThat(first.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void primingThatCannotReadAnythingStillLetsTheSnapshotBeTaken() {
        // As when the version is published before the stack's other resources exist.
        ConvergerStack stack = new ConvergerStack("early").create();
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("WEB_ASG_NAME", "not-created-yet");
        env.put("PIPELINE_NAME", "not-created-yet");
        LifecycleConvergerHandler handler = new LifecycleConvergerHandler(env, new AwsClients());

        String out = captured(() -> handler.beforeCheckpoint(null));

        assertThat(out).contains("primed for the snapshot in").contains("priming: pipeline not read");
    }

    @Test
    void aConfigurationErrorStopsPrimingButNotTheSnapshot() {
        LifecycleConvergerHandler handler = new LifecycleConvergerHandler(Map.of("STACK_NAME", "broken"), new AwsClients());

        List<RecordedCall> calls = AwsCallRecorder.record(() -> captured(() -> handler.beforeCheckpoint(null))).calls();

        assertThat(calls).isEmpty();
    }

    private static String captured(Runnable r) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(original);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }
}
