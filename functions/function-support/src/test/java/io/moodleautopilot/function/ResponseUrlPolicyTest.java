package io.moodleautopilot.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.PresignedS3;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rule itself: what CloudFormation sends passes, everything else is refused with a reason that keeps the signature out. */
class ResponseUrlPolicyTest {
    private static final String ARN_KEY = "/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack"
            + "/moodle/9d0b1c70-5a3e-11f0-8f2b-0affd3a1c2e5%7CLifecycleConvergence%7C0f8c1e52-7d3a-4c8e-9f7b-2a6d5c4b3e21";
    private static final String SIGV4 = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T120000Z"
            + "&X-Amz-SignedHeaders=host&X-Amz-Expires=7200"
            + "&X-Amz-Credential=AKIA6ODU5DHT7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Signature=3f8a0f1c9b0e6a2d4c5b7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b";
    private static final String SIGV2 = "?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1767279600"
            + "&Signature=Zm9vYmFyYmF6cXV4%2B%2Fabc%3D";

    @ParameterizedTest
    @ValueSource(strings = {
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com",
        "https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com",
        "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com",
        "https://cloudformation-custom-resource-response-apsoutheast5.s3.dualstack.ap-southeast-5.amazonaws.com",
        "https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com",
        "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com",
        "https://cloudformation-custom-resource-response-usgoveast1.s3-fips.us-gov-east-1.amazonaws.com",
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn",
        "https://cloudformation-custom-resource-response-cnnorthwest1.s3.cn-northwest-1.amazonaws.com.cn",
        "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1",
        "https://s3.us-east-1.amazonaws.com/cloudformation-custom-resource-response-useast1",
        "https://s3-external-1.amazonaws.com/cloudformation-custom-resource-response-useast1",
        "https://CloudFormation-Custom-Resource-Response-UsEast1.S3.AmazonAWS.com",
        "HTTPS://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:443",
    })
    void cloudFormationsUrlsInEveryPartitionAndStyleAreAccepted(String endpoint) {
        assertThat(ResponseUrlPolicy.refusal(endpoint + ARN_KEY + SIGV4)).isEmpty();
        assertThat(ResponseUrlPolicy.refusal(endpoint + ARN_KEY + SIGV2)).as("the older SigV2 form").isEmpty();
    }

    @Test
    void theTestReceiversUrlIsWhatCloudFormationSends() {
        assertThat(ResponseUrlPolicy.refusal("https://" + PresignedS3.HOST + "/cfn-response?" + PresignedS3.SIGNED_QUERY))
                .isEmpty();
    }

    static Stream<Arguments> refused() {
        return PresignedS3.refusedUrls().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void everythingElseIsRefusedWithItsReason(String url, String reason) {
        assertThat(ResponseUrlPolicy.refusal(url)).hasValueSatisfying(r -> {
            assertThat(r).contains(reason).doesNotContain("\n");
            assertThat(r).as("never the signature or a password").doesNotContain("5d672d79").doesNotContain("secret")
                    .doesNotContain("X-Amz-Credential");
        });
    }

    @Test
    void missingAndBlankAreRefused() {
        assertThat(ResponseUrlPolicy.refusal(null)).hasValue("ResponseURL is missing");
        assertThat(ResponseUrlPolicy.refusal("  ")).hasValue("ResponseURL is missing");
    }

    @Test
    void lookalikesOfS3Labels() {
        Map.of("https://evils3.amazonaws.com/k" + SIGV4, "not an S3 endpoint",
                "https://s3-website-us-east-1.amazonaws.com/k" + SIGV4, "not an S3 endpoint",
                "https://bucket.s3.amazonaws.com.cn.example.net/k" + SIGV4, "not an S3 endpoint",
                "https://bucket.s3.amazonaws.com./k" + SIGV4, "not an S3 endpoint",
                "https://bucket.s3.amazonaws.com/k?x=Signature%3Dabc", "not pre-signed",
                "https://bucket.s3.amazonaws.com/k?NotX-Amz-Signature=abc", "not pre-signed")
                .forEach((url, reason) -> assertThat(ResponseUrlPolicy.refusal(url)).as(url)
                        .hasValueSatisfying(r -> assertThat(r).contains(reason)));
    }
}
