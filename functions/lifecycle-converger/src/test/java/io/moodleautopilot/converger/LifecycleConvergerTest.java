package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import io.moodleautopilot.testbed.LocalLambdaContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The converger end to end: the real handler, moto for AWS, the CodePipeline stand-in. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class LifecycleConvergerTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines) {
        this.pipelines = pipelines;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
    }

    @Test
    void yesTakesTheStackToProductionAndReplayChangesNothing() throws Exception {
        stack.setFlag("Yes");
        LifecycleConvergerHandler handler = Invocations.handler(stack);

        var first = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(first.value().outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, true), Map.entry(stack.cpuLowAlarm, true));
        JsonNode session = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        // The template's default session cache: Valkey, with TLS.
        assertThat(session.path("session_handler_class").asText()).isEqualTo("\\core\\session\\redis");
        assertThat(pipelines.executions()).hasSize(1);
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("phase").asText()).isEqualTo("PRODUCTION");
        assertThat(status.path("flagVersion").asLong()).isEqualTo(2);
        assertThat(status.path("pipelineExecutionId").asText()).isEqualTo(pipelines.executions().get(0).split(":")[1]);
        // Pipeline, group, alarms, session settings, and Moodle's own configuration on one instance.
        assertThat(status.path("actions")).hasSize(5);
        // 15 for the lifecycle (4 reads: the pipeline checked before the group changes; 6 writes: the
        // Deploy stage opened, then the pipeline started; 5 flag re-reads, one before each
        // phase-dependent write step: group, pipeline, alarms, session settings, status) and 3 for
        // Moodle's configuration (its flag re-read, command, result; MoodleConfigTest), the command
        // having ended at the first look.
        assertThat(first.calls()).hasSizeLessThanOrEqualTo(18);
        assertThat(first.calls()).filteredOn(c -> c.action().equals("ssm:GetParameters")).hasSize(7);
        assertThat(first.value().metrics()).contains("ConvergeApplied");

        var replay = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("parameter-store-change.json")));

        assertThat(replay.value().outcome()).isEqualTo("ALREADY_APPLIED");
        assertThat(replay.calls()).hasSizeLessThanOrEqualTo(2);
        assertThat(replay.writes()).isZero();
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void noReturnsTheStackToInstallModeWithoutANewPipelineExecution() throws Exception {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        assertThat(stack.limits()).isEqualTo("2/4/2");

        stack.setFlag("No");
        var back = Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));

        assertThat(back.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, false), Map.entry(stack.cpuLowAlarm, false));
        JsonNode session = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(session.path("session_handler_class").asText()).isEqualTo("\\core\\session\\database");
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("phase").asText()).isEqualTo("INSTALL");
        assertThat(status.path("flagVersion").asLong()).isEqualTo(3);
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void goingBackToInstallModeResumesTheInstallDetectorsSchedule() {
        ConvergerStack withDetector = new ConvergerStack("moodle");
        ConvergerStack fresh = new ConvergerStack("moodle2").create();
        pipelines.createPipeline(fresh.pipeline);
        LifecycleConvergerHandler handler = Invocations.handler(fresh);
        fresh.setFlag("Yes");
        byte[] event = Invocations.event("parameter-store-change.json");
        String forFresh = new String(event).replace("/Moodle/moodle/", "/Moodle/moodle2/");
        Invocations.invoke(handler, forFresh.getBytes());
        assertThat(fresh.detectorRuleEnabled()).isFalse();

        fresh.setFlag("No");
        var back = AwsCallRecorder.record(() -> Invocations.invoke(handler, forFresh.getBytes()));

        assertThat(back.value().result().path("actions").toString()).contains("install detector schedule resumed");
        assertThat(fresh.detectorRuleEnabled()).isTrue();
        // Reads 3, then group, alarms, detector schedule, session settings, config.php render, status,
        // each after a re-read of the flag (6).
        assertThat(back.calls()).hasSizeLessThanOrEqualTo(15);
        assertThat(withDetector.functionEnvironment()).containsEntry("INSTALL_DETECTOR_RULE", "moodle-install-detector");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "YES", " Yes ", "yEs\n"})
    void yesIsReadTrimmedInAnyCase(String value) {
        stack.setFlag(value);
        var result = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        assertThat(result.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "1", "garbage", "Yes please", "-"})
    void anyOtherValueChangesNothingAndIsCounted(String value) {
        stack.setFlag(value);
        var recorded = AwsCallRecorder.record(() ->
                Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json")));

        assertThat(recorded.value().outcome()).isEqualTo("INVALID_FLAG");
        assertThat(recorded.value().metrics()).containsExactly("InvalidSetupFlag");
        assertThat(recorded.value().errorLogs()).hasSize(1);
        assertThat(recorded.writes()).isZero();
        assertUntouched();
    }

    @Test
    void aFlagDeletedBetweenEventAndReadChangesNothing() {
        stack.deleteFlag();
        var result = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        assertThat(result.outcome()).isEqualTo("INVALID_FLAG");
        assertThat(result.result().path("message").asText()).contains("does not exist");
        assertThat(result.metrics()).containsExactly("InvalidSetupFlag");
        assertUntouched();
    }

    @Test
    void productionKeepsTheScalingPolicysDesiredCapacityInsideTheLimits() {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        stack.setLimits(2, 4, 3);

        var scheduled = Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json"));

        assertThat(scheduled.outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.limits()).isEqualTo("2/4/3");
    }

    @Test
    void aMaximumTheAlarmReactorRaisedUpToTheCeilingIsNotUndone() {
        ConvergerStack withCeiling = new ConvergerStack("moodle", Map.of("WebAsgMaxCeiling", "6"));
        LifecycleConvergerHandler handler = Invocations.handler(withCeiling);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        stack.setLimits(2, 5, 5); // raised by the AlarmReactor at capacity

        assertThat(Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json")).outcome()).isEqualTo("NO_CHANGE");
        assertThat(stack.limits()).isEqualTo("2/5/5");

        stack.setLimits(2, 7, 7); // above the ceiling: not the reactor's doing
        Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json"));
        assertThat(stack.limits()).isEqualTo("2/4/4");
    }

    @Test
    void theScheduleRepairsDriftWithoutStartingAnotherExecution() {
        LifecycleConvergerHandler handler = Invocations.handler(stack);
        stack.setFlag("Yes");
        Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
        stack.setLimits(1, 1, 1);

        var recorded = AwsCallRecorder.record(() -> Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json")));

        assertThat(recorded.value().outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
        assertThat(recorded.calls()).extracting(c -> c.operation())
                .doesNotContain("StartPipelineExecution", "EnableAlarmActions");
    }

    @Test
    void theScheduleFindsAMissedEvent() {
        stack.setFlag("Yes"); // the Parameter Store Change event never arrived
        var result = Invocations.invoke(Invocations.handler(stack), Invocations.event("scheduled-safety-net.json"));
        assertThat(result.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
    }

    @Test
    void concurrentDeliveriesEndInOneStateWithOneExecution() throws Exception {
        stack.setFlag("Yes");
        LifecycleConvergerHandler a = Invocations.handler(stack);
        LifecycleConvergerHandler b = Invocations.handler(stack);
        byte[] event = Invocations.event("parameter-store-change.json");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<JsonNode>> results = new ArrayList<>();
        for (LifecycleConvergerHandler h : List.of(a, b)) {
            results.add(pool.submit(() -> {
                start.await();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                h.handleRequest(new ByteArrayInputStream(event), out, new LocalLambdaContext("f", 60_000));
                return Invocations.MAPPER.readTree(out.toByteArray());
            }));
        }
        start.countDown();
        for (Future<JsonNode> f : results) {
            assertThat(f.get(60, TimeUnit.SECONDS).path("outcome").asText()).isIn("APPLIED", "NO_CHANGE", "ALREADY_APPLIED");
        }
        pool.shutdown();

        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(pipelines.executions()).hasSize(1);
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("pipelineExecutionId").asText()).isEqualTo(pipelines.executions().get(0).split(":")[1]);
    }

    @Test
    void redisSessionCacheIsPublishedWithTls() throws Exception {
        ConvergerStack redis = new ConvergerStack("moodle", Map.of("SessionCacheEngine", "valkey"));
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(redis), Invocations.event("parameter-store-change.json"));

        JsonNode s = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(s.path("session_handler_class").asText()).isEqualTo("\\core\\session\\redis");
        assertThat(s.path("session_redis_host").asText()).isEqualTo("sessions.abc123.cache.amazonaws.com");
        assertThat(s.path("session_redis_port").asInt()).isEqualTo(6379);
        assertThat(s.path("session_redis_encrypt").path("verify_peer").asBoolean()).isTrue();
        assertThat(s.path("session_redis_encrypt").path("verify_peer_name").asBoolean()).isTrue();
    }

    @Test
    void serverlessCacheAlwaysGetsTls() throws Exception {
        ConvergerStack serverless = new ConvergerStack("moodle", Map.of("SessionCacheEngine", "serverless"));
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(serverless), Invocations.event("parameter-store-change.json"));

        JsonNode s = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(s.path("session_redis_encrypt").isObject()).isTrue();
    }

    @Test
    void memcachedSessionsArePublishedWithTheirSavePath() throws Exception {
        ConvergerStack memcached = new ConvergerStack("moodle", Map.of("SessionCacheEngine", "memcached"));
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(memcached), Invocations.event("parameter-store-change.json"));

        JsonNode s = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(s.path("session_handler_class").asText()).isEqualTo("\\core\\session\\memcached");
        assertThat(s.path("session_memcached_save_path").asText())
                .isEqualTo("sessions.abc123.cfg.use1.cache.amazonaws.com:11211");
    }

    private void assertUntouched() {
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, false), Map.entry(stack.cpuLowAlarm, false));
        assertThat(stack.parameter(stack.sessionParameter())).isNull();
        assertThat(stack.parameter(stack.statusParameter())).isNull();
        assertThat(pipelines.executions()).isEmpty();
    }
}
