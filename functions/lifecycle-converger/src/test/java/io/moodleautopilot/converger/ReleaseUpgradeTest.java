package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An upgrade: the operator changes the release, MoodleSource stages a new version of the source
 * object, and the stack update hands its version to the converger (RELEASE_VERSION). In production
 * that is one pipeline execution; in install mode nothing (new instances bootstrap from it).
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class ReleaseUpgradeTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;

    @BeforeEach
    void productionOnTheFirstRelease(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        stack.setFlag("Yes");
        var entered = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        assertThat(entered.outcome()).isEqualTo("APPLIED");
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void enteringProductionRecordsTheReleaseItDeploys() throws Exception {
        assertThat(status().path("releaseVersion").asText()).isEqualTo("release-v1");
    }

    @Test
    void aNewReleaseInProductionStartsOneExecutionAndNoMore() throws Exception {
        LifecycleConvergerHandler upgraded = Invocations.handler(withRelease("release-v2"));

        var first = Invocations.invoke(upgraded, Invocations.event("scheduled-safety-net.json"));
        var again = Invocations.invoke(upgraded, Invocations.event("scheduled-safety-net.json"));

        assertThat(first.outcome()).isEqualTo("APPLIED");
        assertThat(first.result().path("actions").toString()).contains("started for release release-v2");
        assertThat(again.outcome()).isEqualTo("NO_CHANGE");
        assertThat(pipelines.executions()).hasSize(2);
        assertThat(status().path("releaseVersion").asText()).isEqualTo("release-v2");
        assertThat(status().path("pipelineExecutionId").asText())
                .isEqualTo(pipelines.executions().get(1).split(":")[1]);
        assertThat(stack.limits()).isEqualTo("2/4/2");
    }

    @Test
    void concurrentConvergesOfOneReleaseShareOneExecution() {
        LifecycleConvergerHandler upgraded = Invocations.handler(withRelease("release-v2"));
        // Both read the old status before either writes: the token makes CodePipeline answer the
        // second start with the first one's execution.
        var a = Invocations.invoke(upgraded, Invocations.event("scheduled-safety-net.json"));
        stack.setStatusRelease("release-v1");
        var b = Invocations.invoke(upgraded, Invocations.event("scheduled-safety-net.json"));

        assertThat(a.result().path("pipelineExecutionId").asText())
                .isEqualTo(b.result().path("pipelineExecutionId").asText());
        assertThat(pipelines.executions()).hasSize(2);
    }

    @Test
    void aNewReleaseInInstallModeStartsNothing() throws Exception {
        stack.setFlag("No");
        Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));

        var converged = Invocations.invoke(Invocations.handler(withRelease("release-v2")),
                Invocations.event("scheduled-safety-net.json"));

        assertThat(converged.result().path("actions").toString()).doesNotContain("started");
        assertThat(pipelines.executions()).hasSize(1);
        assertThat(status().path("releaseVersion").asText()).isEqualTo("release-v2");
    }

    @Test
    void aRecordWithoutAReleaseIsCompletedWithoutADeployment() throws Exception {
        stack.setStatusRelease(null);

        var converged = Invocations.invoke(Invocations.handler(withRelease("release-v2")),
                Invocations.event("scheduled-safety-net.json"));

        assertThat(converged.result().path("actions").toString()).doesNotContain("started");
        assertThat(pipelines.executions()).hasSize(1);
        assertThat(status().path("releaseVersion").asText()).isEqualTo("release-v2");
    }

    private Map<String, String> withRelease(String release) {
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("RELEASE_VERSION", release);
        return env;
    }

    private JsonNode status() throws Exception {
        return Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
    }
}
