package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.IamPolicy;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.ReactorStack;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The AlarmReactor end to end: real alarms and states in moto, the topic read through SQS. */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class AlarmReactorTest {
    private ReactorStack stack;
    private AwsGateway gateway;
    private final List<RecordedCall> allCalls = new ArrayList<>();

    @BeforeEach
    void create(AwsGateway gateway) {
        this.gateway = gateway;
        stack = new ReactorStack("moodle", Map.of("WebAsgMaxCeiling", "6")).create();
    }

    private FunctionRun.Outcome react(byte[] event) {
        try {
            return AwsCallRecorder.record(() -> FunctionRun.invoke(
                    new AlarmReactorHandler(stack.functionEnvironment(), new AwsClients()), event, "moodle-alarm-reactor",
                    30_000)).value();
        } finally {
            lastCalls = AwsCallRecorder.lastRecorded();
            allCalls.addAll(lastCalls);
        }
    }

    private List<RecordedCall> lastCalls = List.of();

    @Test
    void aLoadBalancerAlarmTellsTheOperatorWhatToDoOnceAndResolvesOnce() {
        stack.setPhase("PRODUCTION");
        String alarm = stack.createAlarm("alb-5xx");
        byte[] alarmEvent = stack.transition(alarm, "ALARM", "Threshold Crossed: 3 datapoints were greater than 10.0");

        var first = react(alarmEvent);

        assertThat(first.outcome()).isEqualTo("NOTIFIED");
        assertThat(lastCalls).hasSizeLessThanOrEqualTo(4);
        List<Map<String, String>> messages = stack.messages();
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).get("subject")).isEqualTo("[moodle] ALARM: Load balancer 5xx errors (moodle-alb-5xx)");
        assertThat(messages.get(0).get("message"))
                .contains("Threshold Crossed").contains("recentDatapoints").contains("Moodle phase: PRODUCTION")
                .contains("Web group: min 1, max 1, desired 1, in service").contains("docs/runbook.md#load-balancer-5xx");

        var duplicate = react(alarmEvent);
        assertThat(duplicate.outcome()).isEqualTo("DUPLICATE");
        assertThat(lastCalls).hasSizeLessThanOrEqualTo(1);
        assertThat(stack.messages()).isEmpty();

        var ok = react(stack.transition(alarm, "OK", "Threshold Crossed: 1 datapoint was not greater than 10.0"));
        assertThat(ok.outcome()).isEqualTo("NOTIFIED");
        assertThat(stack.messages()).singleElement().satisfies(m ->
                assertThat(m.get("subject")).startsWith("[moodle] RESOLVED: Load balancer 5xx errors"));
        assertThat(react(stack.transition(alarm, "OK", "still fine")).outcome()).isEqualTo("RECORDED");
        assertThat(stack.messages()).isEmpty();
    }

    @Test
    void anOlderTransitionArrivingAfterANewerOneDoesNothing() {
        String alarm = stack.createAlarm("db-cpu");
        byte[] older = stack.transition(alarm, "ALARM", "older");
        byte[] newer = stack.transition(alarm, "OK", "newer");
        react(newer);
        stack.messages();

        var late = react(older);

        assertThat(late.outcome()).isEqualTo("DUPLICATE");
        assertThat(stack.messages()).isEmpty();
    }

    /**
     * A timestamp far in the future used to be stored as the alarm's newest transition, so every real
     * one after it was DUPLICATE; one beyond the millisecond range threw into EventBridge's retries.
     */
    @Test
    void aTransitionFromTheFutureIsRejectedAndTheNextRealOneActs() throws Exception {
        stack.setPhase("PRODUCTION");
        String alarm = stack.createAlarm("db-cpu");
        for (String ts : List.of("2100-01-01T00:00:00.000+0000", "+999999999-12-31T23:59:59.999Z")) {
            var poisoned = react(withStateTimestamp(stack.transition(alarm, "ALARM", "from the future"), ts));
            assertThat(poisoned.outcome()).isEqualTo("REJECTED");
            assertThat(poisoned.metrics()).containsExactly("RejectedEvent");
            assertThat(poisoned.errorLogs()).hasSize(1);
            assertThat(lastCalls).isEmpty();
        }

        var real = react(stack.transition(alarm, "OK", "back to normal"));
        assertThat(real.outcome()).isEqualTo("RECORDED");
        var alarmNow = react(stack.transition(alarm, "ALARM", "really high"));
        assertThat(alarmNow.outcome()).isEqualTo("NOTIFIED");
        assertThat(stack.messages()).hasSize(1);
    }

    private static byte[] withStateTimestamp(byte[] event, String timestamp) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var e = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(event);
        ((com.fasterxml.jackson.databind.node.ObjectNode) e.path("detail").path("state")).put("timestamp", timestamp);
        return mapper.writeValueAsBytes(e);
    }

    @Test
    void concurrentDeliveriesOfOneTransitionNotifyOnce() throws Exception {
        String alarm = stack.createAlarm("cache-evictions");
        byte[] event = stack.transition(alarm, "ALARM", "evicting");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AlarmReactorHandler h = new AlarmReactorHandler(stack.functionEnvironment(), new AwsClients());
            results.add(pool.submit(() -> {
                go.await();
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                h.handleRequest(new java.io.ByteArrayInputStream(event), out,
                        new io.moodleautopilot.testbed.LocalLambdaContext("f", 30_000));
                return out.toString();
            }));
        }
        go.countDown();
        int notified = 0;
        for (Future<String> f : results) {
            if (f.get(30, TimeUnit.SECONDS).contains("\"NOTIFIED\"")) {
                notified++;
            }
        }
        pool.shutdown();
        assertThat(notified).isEqualTo(1);
        assertThat(stack.messages()).hasSize(1);
    }

    @Test
    void cpuHighWhileMoodleInstallsIsSuppressed() {
        var r = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "installer busy"));
        assertThat(r.outcome()).isEqualTo("SUPPRESSED");
        assertThat(stack.messages()).isEmpty();
        assertThat(stack.converger.limits()).isEqualTo("1/1/1");
    }

    @Test
    void atCapacityRaisesTheMaximumOneStepToTheCeilingAndRestoresItWhenBack() {
        stack.setPhase("PRODUCTION");
        stack.converger.setLimits(2, 4, 4);

        var raised = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "busy"));
        assertThat(raised.outcome()).isEqualTo("RAISED");
        assertThat(stack.converger.limits()).isEqualTo("2/5/4");
        assertThat(stack.messages()).singleElement().satisfies(m -> {
            assertThat(m.get("subject")).startsWith("[moodle] AT CAPACITY: Web tier CPU high");
            assertThat(m.get("message")).contains("maximum raised 4 -> 5 (ceiling 6)");
        });

        stack.converger.setLimits(2, 5, 3); // the scaling policy brought the group back inside 4
        var ok = react(stack.transition(stack.converger.cpuHighAlarm, "OK", "calm"));
        assertThat(ok.outcome()).isEqualTo("RESTORED");
        assertThat(stack.converger.limits()).isEqualTo("2/4/3");
        assertThat(stack.messages()).singleElement().satisfies(m ->
                assertThat(m.get("subject")).startsWith("[moodle] RESOLVED: Web tier CPU high"));
    }

    @Test
    void neverAboveTheCeiling() {
        stack.setPhase("PRODUCTION");
        stack.converger.setLimits(2, 6, 6);
        var r = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "busy"));
        assertThat(r.outcome()).isEqualTo("NOTIFIED");
        assertThat(stack.converger.limits()).isEqualTo("2/6/6");
        assertThat(stack.messages().get(0).get("message")).contains("ceiling 6 reached");
    }

    @Test
    void aFloodIsBoundedAndDigested() {
        stack.setPhase("PRODUCTION");
        String alarm = stack.createAlarm("alb-unhealthy-hosts");
        for (int i = 0; i < 25; i++) {
            react(stack.transition(alarm, "ALARM", "unhealthy " + i));
            react(stack.transition(alarm, "OK", "healthy " + i));
        }
        List<Map<String, String>> messages = stack.messages();
        // 50 transitions in well under a minute: one alarm message, its resolution, the rest folded.
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("subject")).contains("ALARM");
        assertThat(messages.get(1).get("subject")).contains("RESOLVED");
    }

    @Test
    void anotherStacksAlarmAndMalformedEventsAreRejectedWithoutWork() {
        var foreign = react(("{\"detail-type\":\"CloudWatch Alarm State Change\",\"source\":\"aws.cloudwatch\",\"detail\":"
                + "{\"alarmName\":\"other-alb-5xx\",\"state\":{\"value\":\"ALARM\",\"timestamp\":\"2026-11-22T10:15:03.017+0000\"}}}").getBytes());
        assertThat(foreign.outcome()).isEqualTo("REJECTED");
        assertThat(foreign.metrics()).containsExactly("RejectedEvent");
        assertThat(lastCalls).isEmpty();
        for (String bad : List.of("{nope", "{\"detail-type\":\"CloudWatch Alarm State Change\",\"source\":\"aws.cloudwatch\",\"detail\":{}}",
                "{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\"}")) {
            assertThat(react(bad.getBytes()).outcome()).isEqualTo("REJECTED");
            assertThat(lastCalls).isEmpty();
        }
    }

    @Test
    void throttledSnsIsRetriedAndAFailingOneReleasesTheClaimSoTheRetryNotifiesOnce() {
        stack.setPhase("PRODUCTION");
        String alarm = stack.createAlarm("efs-throughput");
        gateway.inject("Publish", AwsGateway.Fault.THROTTLE, 2);
        assertThat(react(stack.transition(alarm, "ALARM", "busy")).outcome()).isEqualTo("NOTIFIED");
        assertThat(stack.messages()).hasSize(1);

        String other = stack.createAlarm("db-connections");
        byte[] event = stack.transition(other, "ALARM", "many");
        gateway.inject("Publish", AwsGateway.Fault.SERVER_ERROR, 10);
        assertThatThrownBy(() -> react(event)).hasMessageContaining("500");
        assertThat(stack.messages()).isEmpty();
        gateway.clear();
        assertThat(react(event).outcome()).isEqualTo("NOTIFIED"); // EventBridge's retry
        assertThat(stack.messages()).hasSize(1);
    }

    @Test
    void autoScalingFailingLeavesTheTransitionForTheRetry() {
        stack.setPhase("PRODUCTION");
        stack.converger.setLimits(2, 4, 4);
        byte[] event = stack.transition(stack.converger.cpuHighAlarm, "ALARM", "busy");
        gateway.inject("UpdateAutoScalingGroup", AwsGateway.Fault.SERVER_ERROR, 10);
        assertThatThrownBy(() -> react(event)).hasMessageContaining("500");
        assertThat(stack.converger.limits()).isEqualTo("2/4/4");
        gateway.clear();
        assertThat(react(event).outcome()).isEqualTo("RAISED");
        assertThat(stack.converger.limits()).isEqualTo("2/5/4");
        assertThat(stack.messages()).hasSize(1);
    }

    @Test
    void everyCallIsAllowedAndEveryGrantIsUsed() {
        atCapacityRaisesTheMaximumOneStepToTheCeilingAndRestoresItWhenBack();
        throttledSnsIsRetriedAndAFailingOneReleasesTheClaimSoTheRetryNotifiesOnce();
        // A release of an alarm that had a record before: PutItem restores it.
        String alarm = stack.converger.cpuHighAlarm;
        stack.converger.setLimits(2, 4, 4);
        byte[] event = stack.transition(alarm, "ALARM", "again");
        gateway.inject("Publish", AwsGateway.Fault.SERVER_ERROR, 10);
        assertThatThrownBy(() -> react(event)).isInstanceOf(RuntimeException.class);
        gateway.clear();
        // The raise was rolled back with the claim: the retry raises and notifies, once.
        assertThat(stack.converger.limits()).isEqualTo("2/4/4");
        assertThat(react(event).outcome()).isEqualTo("RAISED");
        assertThat(stack.converger.limits()).isEqualTo("2/5/4");

        IamPolicy policy = stack.functionPolicy();
        assertThat(allCalls).extracting(RecordedCall::action).contains("dynamodb:PutItem", "dynamodb:DeleteItem");
        assertThat(policy.violations(allCalls)).as("calls the policy does not allow").isEmpty();
        assertThat(policy.unusedActions(allCalls)).as("granted actions never used").isEmpty();
        assertThat(policy.actionsOnAnyResource()).containsExactly("autoscaling:DescribeAutoScalingGroups");
        assertThat(new ReactorStack("other", Map.of()).functionPolicy().violations(allCalls)).isNotEmpty();
    }
}
