package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;

/**
 * The pipeline's Deploy stage: the template creates it closed (its inbound transition disabled), so
 * the execution CodePipeline starts by itself when it creates the pipeline stops before Deploy and
 * never deploys to the install-mode instance. The converger opens it (EnableStageTransition,
 * Inbound) before every execution it starts, and never in install mode.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class DeployStageTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;
    private String onCreation;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        // What CodePipeline does when CloudFormation creates the pipeline: one execution, by itself.
        try (CodePipelineClient cp = AwsCallRecorder.unrecorded(CodePipelineClient.builder())) {
            onCreation = cp.startPipelineExecution(r -> r.name(stack.pipeline)).pipelineExecutionId();
        }
    }

    @Test
    void installModeLeavesTheDeployStageClosed() {
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        var converged = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json")));

        assertThat(converged.value().outcome()).isEqualTo("APPLIED");
        assertThat(converged.calls()).extracting(RecordedCall::action).noneMatch(a -> a.startsWith("codepipeline:"));
        assertThat(pipelines.deployStageOpen(stack.pipeline)).isFalse();
        assertThat(pipelines.deployedExecutions()).as("nothing reached the install-mode instance").isEmpty();
    }

    @Test
    void enteringProductionOpensTheDeployStageBeforeItStartsTheFirstDeployment() throws Exception {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");

        var entered = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(entered.value().outcome()).isEqualTo("APPLIED");
        assertThat(entered.calls()).extracting(RecordedCall::action).filteredOn(a -> a.startsWith("codepipeline:"))
                .containsExactly("codepipeline:GetPipeline", "codepipeline:EnableStageTransition",
                        "codepipeline:StartPipelineExecution");
        assertThat(pipelines.calls()).containsExactly(
                "StartPipelineExecution " + stack.pipeline,
                "GetPipeline " + stack.pipeline,
                "EnableStageTransition " + stack.pipeline + "/Deploy/Inbound",
                "StartPipelineExecution " + stack.pipeline);
        String started = status().path("pipelineExecutionId").asText();
        assertThat(started).isNotEqualTo(onCreation);
        // Opening the stage lets the creation's run through (as CodePipeline does with the latest
        // revision held at a transition); the converger's own execution follows it into Deploy.
        assertThat(pipelines.deployedExecutions()).endsWith(stack.pipeline + ":" + started);

        var replay = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(replay.value().outcome()).isEqualTo("ALREADY_APPLIED");
        assertThat(replay.calls()).extracting(RecordedCall::action).noneMatch(a -> a.startsWith("codepipeline:"));
    }

    @Test
    void aDeployStageClosedAgainByAStackUpdateIsOpenedBeforeTheNextRelease() throws Exception {
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        pipelines.closeDeployStage(stack.pipeline);
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("RELEASE_VERSION", "release-v2");

        var upgraded = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(upgraded.result().path("actions").toString()).contains("started for release release-v2");
        assertThat(pipelines.deployStageOpen(stack.pipeline)).isTrue();
        assertThat(pipelines.calls().subList(pipelines.calls().size() - 2, pipelines.calls().size())).containsExactly(
                "EnableStageTransition " + stack.pipeline + "/Deploy/Inbound", "StartPipelineExecution " + stack.pipeline);
        assertThat(pipelines.deployedExecutions()).endsWith(stack.pipeline + ":" + status().path("pipelineExecutionId").asText());
    }

    private JsonNode status() throws Exception {
        return Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
    }
}
