package io.moodleautopilot.converger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.PresignedS3;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The custom resource: every stack create and update converges, and CloudFormation always gets an answer. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class StackDeploymentTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;
    private WireMockServer cloudFormation;
    private String responseUrl;

    @BeforeEach
    void setUp(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        // Receives the PUT to the pre-signed S3 URL, as S3 would.
        // Over TLS, for the S3 name: the function answers nothing else (PresignedS3).
        cloudFormation = new WireMockServer(PresignedS3.wireMockOptions());
        cloudFormation.start();
        cloudFormation.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(200)));
        responseUrl = PresignedS3.responseUrl(cloudFormation.httpsPort(), "/cfn-response");
    }

    @AfterEach
    void stop() {
        cloudFormation.stop();
    }

    private JsonNode answer() throws Exception {
        List<LoggedRequest> puts = cloudFormation.findAll(
                com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor(urlPathEqualTo("/cfn-response")));
        assertThat(puts).hasSize(1);
        assertThat(puts.get(0).getHeader("Content-Type")).isNullOrEmpty();
        return Invocations.MAPPER.readTree(puts.get(0).getBodyAsString());
    }

    @Test
    void stackCreateConvergesInstallModeAndAnswersSuccess() throws Exception {
        var result = Invocations.invoke(Invocations.handler(stack),
                Invocations.stackEvent("stack-create.json", responseUrl));

        assertThat(result.outcome()).isEqualTo("APPLIED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-lifecycle-converger");
        assertThat(answer.path("RequestId").asText()).isEqualTo("0f8c1e52-7d3a-4c8e-9f7b-2a6d5c4b3e21");
        assertThat(answer.path("LogicalResourceId").asText()).isEqualTo("LifecycleConvergence");
        assertThat(answer.path("Data").path("Phase").asText()).isEqualTo("INSTALL");
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.parameter(stack.statusParameter())).contains("INSTALL");
    }

    @Test
    void aStackUpdateThatResetTheGroupPutsProductionLimitsBack() throws Exception {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        stack.setLimits(1, 1, 1); // what CloudFormation does when it updates the group's properties

        var result = Invocations.invoke(handler, Invocations.stackEvent("stack-update.json", responseUrl));

        assertThat(result.outcome()).isEqualTo("APPLIED");
        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void aStackUpdateInInstallModeNeverScalesTheInstaller() throws Exception {
        var result = Invocations.invoke(Invocations.handler(stack), Invocations.stackEvent("stack-update.json", responseUrl));

        assertThat(result.result().path("phase").asText()).isEqualTo("INSTALL");
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.alarmActions()).containsValues(false, false);
    }

    @Test
    void badSettingsAnswerFailedWithTheReason() throws Exception {
        ConvergerStack inverted = new ConvergerStack("moodle", Map.of("ProductionMinSize", "6", "ProductionMaxSize", "3"));
        var result = Invocations.invoke(Invocations.handler(inverted), Invocations.stackEvent("stack-update.json", responseUrl));

        assertThat(result.outcome()).isEqualTo("CONFIGURATION_ERROR");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("minimum 6 is above maximum 3");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-lifecycle-converger");
    }

    @Test
    void aMissingGroupAnswersFailed() throws Exception {
        ConvergerStack other = new ConvergerStack("moodle");
        java.util.Map<String, String> env = new java.util.HashMap<>(other.functionEnvironment());
        env.put("WEB_ASG_NAME", "gone");
        var result = Invocations.invoke(Invocations.handler(env), Invocations.stackEvent("stack-create.json", responseUrl));

        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("'gone' does not exist");
        assertThat(result.metrics()).containsExactly("ConfigurationError");
    }

    @Test
    void aConvergeSlowerThanTheFunctionsTimeIsAnsweredBeforeTheTimeoutEvenWhenTheAnswerIsSlow(AwsGateway gateway)
            throws Exception {
        gateway.delay("DescribeAutoScalingGroups", 6_000, 1);
        // S3 takes 8 s to take the answer: inside the responder's read timeout (10 s) and so inside
        // the answer's worst case, which the margin covers.
        cloudFormation.stubFor(put(urlPathEqualTo("/cfn-response"))
                .willReturn(aResponse().withStatus(200).withFixedDelay(8_000)));
        long timeout = CustomResourceProtocol.ANSWER_MARGIN_MILLIS + 3_000;
        long started = System.nanoTime();
        var result = Invocations.invoke(Invocations.handler(stack),
                Invocations.stackEvent("stack-create.json", responseUrl), timeout);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(result.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("did not finish");
        assertThat(result.metrics()).containsExactly("ConvergeFailed");
        // The work's 3 s plus the answer's 8 s, both inside the function's time.
        assertThat(tookMillis).isGreaterThanOrEqualTo(11_000).isLessThan(timeout);
    }

    @Test
    void aDeleteOfAResourceThatIsNotThisOneTouchesNothing() throws Exception {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        com.fasterxml.jackson.databind.node.ObjectNode delete = (com.fasterxml.jackson.databind.node.ObjectNode)
                Invocations.MAPPER.readTree(Invocations.stackEvent("stack-delete.json", responseUrl));
        delete.put("PhysicalResourceId", "other-stack-lifecycle-converger");

        var result = Invocations.invoke(handler, Invocations.MAPPER.writeValueAsBytes(delete));

        assertThat(result.outcome()).isEqualTo("REMOVED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("other-stack-lifecycle-converger");
        assertThat(stack.parameter(stack.statusParameter())).isNotNull();
        assertThat(stack.parameter(stack.sessionParameter())).isNotNull();
    }

    @Test
    void stackDeleteRemovesOwnedParametersAndSucceedsTwice() throws Exception {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        assertThat(stack.parameter(stack.statusParameter())).isNotNull();

        Invocations.invoke(handler, Invocations.stackEvent("stack-delete.json", responseUrl));
        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(stack.parameter(stack.statusParameter())).isNull();
        assertThat(stack.parameter(stack.sessionParameter())).isNull();

        cloudFormation.resetRequests();
        Invocations.invoke(handler, Invocations.stackEvent("stack-delete.json", responseUrl));
        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
    }

    @Test
    void stackDeleteAlsoRemovesTheInstallDetectorsRecordsAndNothingOfAnotherStack() throws Exception {
        String automation = "/Moodle/moodle/Automation/";
        stack.putParameter(automation + "InstallPhase", "{\"phase\":\"COMPLETE\"}");
        // More claims than one DeleteParameters call takes (10), as after many reinstalls.
        for (int i = 1; i <= 12; i++) {
            stack.putParameter(automation + "InstallCompleteClaim/v" + i + "-1796000000", "claimed");
        }
        String otherStacks = "/Moodle/moodle-app/Automation/InstallCompleteClaim/v1-1796000000";
        stack.putParameter(otherStacks, "claimed");

        Invocations.invoke(Invocations.handler(stack), Invocations.stackEvent("stack-delete.json", responseUrl));

        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(stack.parameter(automation + "InstallPhase")).isNull();
        for (int i = 1; i <= 12; i++) {
            assertThat(stack.parameter(automation + "InstallCompleteClaim/v" + i + "-1796000000")).isNull();
        }
        assertThat(stack.parameter(otherStacks)).isEqualTo("claimed");
    }
}
