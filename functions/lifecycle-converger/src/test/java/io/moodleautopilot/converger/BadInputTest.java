package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every kind of bad input gets a clear log line, a metric, no change, and no retry storm. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class BadInputTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
        stack.setFlag("Yes");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{not json",
            "[]",
            "\"Parameter Store Change\"",
            "{}",
            "{\"detail-type\":\"Parameter Store Change\",\"source\":\"aws.ssm\",\"detail\":{}}",
            "{\"detail-type\":\"Parameter Store Change\",\"source\":\"aws.ssm\",\"detail\":{\"name\":\"/Moodle/moodle/IsMoodleSetupCompleted\"}}",
            "{\"detail-type\":\"Parameter Store Change\",\"source\":\"aws.ssm\",\"detail\":{\"name\":\"/Moodle/other/IsMoodleSetupCompleted\",\"operation\":\"Update\"}}",
            "{\"detail-type\":\"Parameter Store Change\",\"source\":\"aws.ssm\",\"detail\":{\"name\":\"/Moodle/moodle/SomethingElse\",\"operation\":\"Update\"}}",
            "{\"detail-type\":\"Parameter Store Change\",\"source\":\"my.app\",\"detail\":{\"name\":\"/Moodle/moodle/IsMoodleSetupCompleted\",\"operation\":\"Update\"}}",
            "{\"detail-type\":\"EC2 Instance State-change Notification\",\"source\":\"aws.ec2\",\"detail\":{}}",
            "{\"RequestType\":\"Explode\",\"ResponseURL\":\"http://127.0.0.1:9/x\"}"
    })
    void malformedOrForeignEventsAreRejectedWithoutAnyAwsCall(String event) {
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(stack), event.getBytes(StandardCharsets.UTF_8)));

        assertThat(recorded.value().outcome()).isEqualTo("REJECTED");
        assertThat(recorded.value().metrics()).containsExactly("RejectedEvent");
        assertThat(recorded.value().errorLogs()).hasSize(1);
        assertThat(recorded.calls()).isEmpty();
        assertThat(stack.limits()).isEqualTo("1/1/1");
    }

    @Test
    void aMissingWebGroupIsAConfigurationErrorWithNoWrite() {
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("WEB_ASG_NAME", "moodle-web-gone");
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json")));

        assertThat(recorded.value().outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(recorded.value().result().path("message").asText()).contains("moodle-web-gone", "does not exist");
        assertThat(recorded.value().metrics()).containsExactly("ConfigurationError");
        assertThat(recorded.writes()).isZero();
        assertThat(pipelines.executions()).isEmpty();
    }

    @Test
    void aMissingPipelineIsAConfigurationErrorWithNoPartialChange() {
        ConvergerStack noPipeline = new ConvergerStack("moodle", Map.of("DeploymentPipeline", "moodle-nope"));
        var result = Invocations.invoke(Invocations.handler(noPipeline), Invocations.event("parameter-store-change.json"));

        assertThat(result.outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(result.result().path("message").asText()).contains("moodle-nope");
        assertThat(result.metrics()).containsExactly("ConfigurationError");
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.parameter(stack.sessionParameter())).isNull();
        assertThat(stack.parameter(stack.statusParameter())).isNull();
    }

    @Test
    void aMissingScalingAlarmIsAConfigurationErrorWithNoWrite() {
        Map<String, String> env = new HashMap<>(stack.functionEnvironment());
        env.put("SCALING_ALARM_NAMES", stack.cpuHighAlarm + ",moodle-web-cpu-gone");
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json")));

        assertThat(recorded.value().outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(recorded.value().result().path("message").asText()).contains("moodle-web-cpu-gone");
        assertThat(recorded.writes()).isZero();
    }

    @Test
    void limitsThatMakeNoSenseAreRefusedBeforeAnyAwsCall() {
        ConvergerStack inverted = new ConvergerStack("moodle",
                Map.of("ProductionMinSize", "5", "ProductionMaxSize", "2"));
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(inverted), Invocations.event("parameter-store-change.json")));

        assertThat(recorded.value().outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(recorded.value().result().path("message").asText()).contains("minimum 5 is above maximum 2");
        assertThat(recorded.value().metrics()).containsExactly("ConfigurationError");
        assertThat(recorded.value().errorLogs()).hasSize(1);
        assertThat(recorded.calls()).isEmpty();
    }

    @Test
    void memcachedWithTlsIsRefusedRatherThanPublishedInClearText() {
        // The template never pairs memcached with TLS; an environment edited by hand might.
        Map<String, String> env = new HashMap<>(new ConvergerStack("moodle", Map.of("SessionCacheEngine", "memcached"))
                .functionEnvironment());
        env.put("SESSION_CACHE_TLS", "true");
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(env), Invocations.event("parameter-store-change.json")));

        assertThat(recorded.value().outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(recorded.value().result().path("message").asText()).contains("cannot use TLS");
        assertThat(recorded.writes()).isZero();
    }
}
