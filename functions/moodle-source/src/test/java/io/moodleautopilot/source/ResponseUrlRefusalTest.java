package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.PresignedS3;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Probe cases 1.18 and 1.21 through MoodleSource (both its resources): a request whose ResponseURL
 * is not CloudFormation's is refused before any work: no download, no S3 call, nothing staged or
 * deleted, nothing contacted, one error line, REJECTED.
 */
@ExtendWith(MotoExtension.class)
class ResponseUrlRefusalTest {
    private static final String RELEASE = "/stable405/moodle-4.5.7.tgz";
    private SourceStack stack;
    private LocalHttp http;
    private String releaseUrl;

    @BeforeEach
    void setUp() {
        stack = new SourceStack("moodle").create();
        http = new LocalHttp();
        http.serve(RELEASE, Archives.tinyMoodleRelease("4.5.7 (Build: 20250915)"));
        releaseUrl = http.url(RELEASE);
        stack.pinned(new PinnedFixture(http).properties());
    }

    @AfterEach
    void stop() {
        http.close();
        stack.close();
    }

    static Stream<Arguments> refused() {
        return PresignedS3.refusedUrls().entrySet().stream().flatMap(e -> Stream.of(
                Arguments.of("Create", e.getKey(), e.getValue()),
                Arguments.of("Delete", e.getKey(), e.getValue())));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("refused")
    void aRequestThatCannotBeCloudFormationsIsRefusedBeforeAnyWork(String type, String url, String reason) {
        if (type.equals("Delete")) {
            stack.invoke(stack.handler(), stack.event("Create", http.responseUrl(), Map.of("ReleaseUrl", releaseUrl)));
            assertThat(stack.versions()).hasSize(1);
            http.clearAnswers();
        }
        int downloads = http.hits(RELEASE);
        int versions = stack.versions().size();
        MoodleSourceHandler handler = stack.handler();
        PresignedS3.clearTunnelled();

        var recorded = AwsCallRecorder.record(() ->
                stack.invoke(handler, stack.event(type, url, Map.of("ReleaseUrl", releaseUrl))));

        FunctionRun.Outcome run = recorded.value();
        assertThat(run.outcome()).isEqualTo("REJECTED");
        assertThat(run.result().path("message").asText()).contains(reason).contains("nothing done")
                .doesNotContain("5d672d79").doesNotContain("secret");
        assertThat(recorded.calls()).as("no AWS call at all").isEmpty();
        assertThat(http.hits(RELEASE)).as("nothing downloaded").isEqualTo(downloads);
        assertThat(stack.versions()).as("nothing staged or deleted").hasSize(versions);
        assertThat(http.answers()).isEmpty();
        assertThat(PresignedS3.tunnelled()).as("nothing contacted").isEmpty();
        assertThat(run.metrics()).containsExactly("RejectedEvent");
        assertThat(run.errorLogs()).hasSize(1);
    }

    @Test
    void theEmptyBucketsResourceRefusesTooAndEmptiesNothing() {
        stack.invoke(stack.handler(), stack.event("Create", http.responseUrl(), Map.of("ReleaseUrl", releaseUrl)));
        PresignedS3.clearTunnelled();

        var recorded = AwsCallRecorder.record(() -> stack.invoke(stack.handler(), EmptyBucketsOnDeleteTest.event(stack,
                "Delete", "file:///etc/passwd", EmptyBucketsOnDeleteTest.templateBuckets(stack),
                EmptyBucketsResource.physicalId("moodle"))));

        assertThat(recorded.value().outcome()).isEqualTo("REJECTED");
        assertThat(recorded.calls()).isEmpty();
        assertThat(stack.versions()).hasSize(1);
        assertThat(PresignedS3.tunnelled()).isEmpty();
        assertThat(recorded.value().metrics()).containsExactly("RejectedEvent");
    }

    @Test
    void aBadConfigurationWithARefusedUrlIsNotAnswered() {
        Map<String, String> env = new java.util.HashMap<>(stack.testEnvironment());
        env.put("SOURCE_BUCKET", "");
        PresignedS3.clearTunnelled();

        var run = stack.invoke(stack.handler(env, TestBundle.supplier()),
                stack.event("Create", "ftp://127.0.0.1:9/x", Map.of("ReleaseUrl", releaseUrl)));

        assertThat(run.outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(run.allOutput()).contains("scheme is 'ftp', not https");
        assertThat(PresignedS3.tunnelled()).isEmpty();
    }
}
