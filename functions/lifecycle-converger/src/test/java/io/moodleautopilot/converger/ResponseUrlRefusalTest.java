package io.moodleautopilot.converger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.PresignedS3;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probe cases 1.16 to 1.19 through the handler: a request whose ResponseURL is not CloudFormation's
 * (an https pre-signed S3 URL) is refused before any work: no AWS call, no converge or release,
 * nothing contacted, one error line, REJECTED.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class ResponseUrlRefusalTest {
    private ConvergerStack stack;
    private WireMockServer s3;

    @BeforeEach
    void setUp(CodePipelineStandIn pipelines) {
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        s3 = new WireMockServer(PresignedS3.wireMockOptions());
        s3.start();
        s3.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(200)));
        PresignedS3.responseUrl(s3.httpsPort(), "/cfn-response"); // routes the S3 name to this receiver
    }

    @AfterEach
    void stop() {
        s3.stop();
    }

    static Stream<Arguments> refused() {
        return PresignedS3.refusedUrls().entrySet().stream().flatMap(e -> Stream.of(
                Arguments.of("stack-create.json", e.getKey(), e.getValue()),
                Arguments.of("stack-delete.json", e.getKey(), e.getValue())));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("refused")
    void aRequestThatCannotBeCloudFormationsIsRefusedBeforeAnyWork(String event, String url, String reason) {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        stack.setLimits(1, 1, 1); // what a converge would put back
        String statusBefore = stack.parameter(stack.statusParameter());
        assertThat(statusBefore).as("a Delete would remove it").isNotNull();
        PresignedS3.clearTunnelled();

        var recorded = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.stackEvent(event, url)));

        FunctionRun.Outcome run = recorded.value();
        assertThat(run.outcome()).isEqualTo("REJECTED");
        assertThat(run.result().path("message").asText()).contains(reason).contains("nothing done")
                .doesNotContain("5d672d79").doesNotContain("secret");
        assertThat(recorded.calls()).as("no AWS call at all").isEmpty();
        assertThat(PresignedS3.tunnelled()).as("nothing contacted").isEmpty();
        assertThat(s3.findAll(anyRequestedFor(anyUrl()))).isEmpty();
        assertThat(run.metrics()).containsExactly("RejectedEvent");
        assertThat(run.errorLogs()).hasSize(1);
        assertThat(run.errorLogs().get(0).path("message").asText()).contains(reason);
        assertThat(stack.parameter(stack.statusParameter())).isEqualTo(statusBefore);
        assertThat(stack.limits()).as("no converge").isEqualTo("1/1/1");
    }

    @Test
    void aRefusedUrlWithBadSettingsIsNotAnsweredEither() {
        ConvergerStack inverted = new ConvergerStack("moodle", java.util.Map.of("ProductionMinSize", "6",
                "ProductionMaxSize", "3"));
        PresignedS3.clearTunnelled();

        var run = Invocations.invoke(Invocations.handler(inverted),
                Invocations.stackEvent("stack-update.json", "http://169.254.169.254/latest/meta-data/"));

        assertThat(run.outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(PresignedS3.tunnelled()).isEmpty();
        assertThat(run.allOutput()).contains("scheme is 'http', not https");
    }

    @Test
    void theOlderSignatureVersionTwoUrlIsAnswered() throws Exception {
        String sigV2 = "https://" + PresignedS3.HOST + "/cfn-response?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
                + "&Expires=1767279600&Signature=Zm9vYmFyYmF6cXV4%2B%2Fabc%3D";

        var run = Invocations.invoke(Invocations.handler(stack), Invocations.stackEvent("stack-create.json", sigV2));

        assertThat(run.outcome()).isEqualTo("APPLIED");
        var puts = s3.findAll(anyRequestedFor(anyUrl()));
        assertThat(puts).hasSize(1);
        JsonNode answer = Invocations.MAPPER.readTree(puts.get(0).getBodyAsString());
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
    }
}
