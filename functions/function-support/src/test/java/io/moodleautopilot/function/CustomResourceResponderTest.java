package io.moodleautopilot.function;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.moodleautopilot.testbed.PresignedS3;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The responder: the answer over TLS to the S3 name, nothing else contacted, one exception type, no redirect followed. */
class CustomResourceResponderTest {
    private WireMockServer s3;
    private String url;

    private record Req(String responseUrl) implements CustomResourceResponder.Request {
        public String stackId() {
            return "arn:aws:cloudformation:us-east-1:123456789012:stack/moodle/x";
        }

        public String requestId() {
            return "r-1";
        }

        public String logicalResourceId() {
            return "LifecycleConvergence";
        }
    }

    @BeforeEach
    void start() {
        s3 = new WireMockServer(PresignedS3.wireMockOptions());
        s3.start();
        url = PresignedS3.responseUrl(s3.httpsPort(), "/cfn-response");
        PresignedS3.clearTunnelled();
    }

    @AfterEach
    void stop() {
        s3.stop();
    }

    @Test
    void theAnswerGoesOverTlsToTheS3NameWithoutAContentType() throws Exception {
        s3.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(200)));

        new CustomResourceResponder().respond(new Req(url), true, "id-1", "done", Map.of("Phase", "INSTALL"));

        var puts = s3.findAll(anyRequestedFor(anyUrl()));
        assertThat(puts).hasSize(1);
        assertThat(puts.get(0).isBrowserProxyRequest()).isFalse();
        assertThat(puts.get(0).getHeader("Content-Type")).isNullOrEmpty();
        assertThat(puts.get(0).queryParameter("X-Amz-Signature").isPresent()).isTrue();
        var body = new ObjectMapper().readTree(puts.get(0).getBodyAsString());
        assertThat(body.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(body.path("Data").path("Phase").asText()).isEqualTo("INSTALL");
        assertThat(PresignedS3.tunnelled()).containsExactly("CONNECT " + PresignedS3.HOST + ":443");
    }

    @Test
    void everyAnswerOpensItsOwnConnection() {
        s3.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(200)));

        new CustomResourceResponder().respond(new Req(url), true, "id-1", "one", Map.of());
        new CustomResourceResponder().respond(new Req(url), true, "id-1", "two", Map.of());

        assertThat(s3.findAll(anyRequestedFor(anyUrl()))).hasSize(2);
        assertThat(PresignedS3.tunnelled()).as("no pooled connection that S3 may have closed meanwhile").hasSize(2);
    }

    @Test
    void aRedirectIsNotFollowed() {
        s3.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(307)
                .withHeader("Location", "https://" + PresignedS3.HOST + "/elsewhere?" + PresignedS3.SIGNED_QUERY)));

        assertThatThrownBy(() -> new CustomResourceResponder().respond(new Req(url), true, "id", "r", Map.of()))
                .isExactlyInstanceOf(UncheckedIOException.class)
                .hasRootCauseMessage("CloudFormation response URL answered HTTP 307");
        assertThat(s3.findAll(anyRequestedFor(anyUrl()))).hasSize(1);
        assertThat(PresignedS3.tunnelled()).hasSize(1);
    }

    @Test
    void anErrorStatusIsTheDocumentedException() {
        s3.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(403)));

        assertThatThrownBy(() -> new CustomResourceResponder().respond(new Req(url), false, "id", "r", Map.of()))
                .isExactlyInstanceOf(UncheckedIOException.class)
                .hasRootCauseMessage("CloudFormation response URL answered HTTP 403");
    }

    static Stream<Arguments> refused() {
        return PresignedS3.refusedUrls().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    /** Probe cases 1.18 and 1.19: a ClassCastException for file:, jar:, ftp:, and a PUT to the metadata address. */
    @ParameterizedTest
    @MethodSource("refused")
    void aUrlOutsideTheRuleIsNeverContactedAndFailsOnlyWithTheDocumentedException(String bad, String reason) {
        assertThatThrownBy(() -> new CustomResourceResponder().respond(new Req(bad), true, "id", "r", Map.of()))
                .isExactlyInstanceOf(UncheckedIOException.class)
                .hasMessage("could not deliver the custom resource response")
                .rootCause().hasMessageContaining("refused to answer").hasMessageContaining(reason);
        assertThat(PresignedS3.tunnelled()).as("no connection through the JVM's https proxy").isEmpty();
        assertThat(s3.findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }
}
