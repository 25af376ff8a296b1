package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsGateway;
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
 * config.php on the running web instances follows the session settings the converger publishes:
 * through the stack's render document, by Run Command on the group's tag, unless a deployment
 * (which renders config.php on every instance) was started by the same converge.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class InstanceConfigTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
    }

    @Test
    void theFirstConvergeAsksTheInstancesToRenderTheInstallSettings() throws Exception {
        var first = Invocations.invoke(Invocations.handler(stack), Invocations.event("scheduled-safety-net.json"));

        assertThat(first.result().path("actions").toString()).contains("config.php re-render sent");
        assertThat(stack.renderCommands()).containsExactly(
                "[Target(Key=tag:aws:autoscaling:groupName, Values=[moodle-web])]");
        assertThat(status().path("configRenderedFor").asText()).isNotEmpty();
    }

    @Test
    void enteringProductionLeavesTheRenderToTheDeployment() throws Exception {
        Invocations.invoke(Invocations.handler(stack), Invocations.event("scheduled-safety-net.json"));
        String installSettings = status().path("configRenderedFor").asText();
        stack.setFlag("Yes");

        var entered = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));

        assertThat(entered.result().path("actions").toString()).contains("started").doesNotContain("re-render");
        assertThat(stack.renderCommands()).hasSize(1);
        assertThat(status().path("configRenderedFor").asText()).isNotEqualTo(installSettings);
    }

    @Test
    void backToInstallModeRendersOnceAndAReplayRendersNothing() {
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        stack.setFlag("No");

        var back = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        var schedule = Invocations.invoke(Invocations.handler(stack), Invocations.event("scheduled-safety-net.json"));

        assertThat(back.result().path("actions").toString()).contains("config.php re-render sent");
        assertThat(schedule.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.renderCommands()).hasSize(1);
    }

    @Test
    void aFailedSendIsRetriedByTheNextConverge(AwsGateway gateway) {
        gateway.inject("SendCommand", AwsGateway.Fault.SERVER_ERROR, 10);
        assertThatThrownBy(() -> Invocations.invoke(Invocations.handler(stack),
                Invocations.event("scheduled-safety-net.json"))).hasMessageContaining("500");
        assertThat(stack.parameter(stack.statusParameter())).isNull();

        gateway.clear();
        var retried = Invocations.invoke(Invocations.handler(stack), Invocations.event("scheduled-safety-net.json"));

        assertThat(retried.result().path("actions").toString()).contains("config.php re-render sent");
        assertThat(stack.renderCommands()).hasSize(1);
    }

    @Test
    void aMissingDocumentIsAConfigurationError(AwsGateway gateway) {
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("CONFIG_RENDER_DOCUMENT", "moodle-no-such-document");
        // moto runs any document name; SSM answers an unknown one with InvalidDocument, in its JSON protocol.
        gateway.respond("SendCommand", 400, "application/x-amz-json-1.1",
                "{\"__type\":\"InvalidDocument\",\"Message\":\"Document moodle-no-such-document does not exist\"}", 1);

        var result = Invocations.invoke(Invocations.handler(env), Invocations.event("scheduled-safety-net.json"));

        assertThat(result.outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(result.result().path("message").asText()).contains("moodle-no-such-document");
    }

    private JsonNode status() throws Exception {
        return Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
    }
}
