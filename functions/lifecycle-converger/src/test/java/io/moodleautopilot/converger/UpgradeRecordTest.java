package io.moodleautopilot.converger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
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
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.PresignedS3;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The instances' upgrade record (issue 13) as the converger sees it: shown in the status, a failure
 * told once per attempt on the stack's topic, and resumed only by a stack deployment, never by the
 * safety net or the record's own change event. moto runs no script: the record is written here as
 * upgrade-moodle.sh writes it, and its change event is the one EventBridge delivers.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class UpgradeRecordTest {
    private static final String DB = "{\"version\":\"2024100700.00\",\"release\":\"4.5 (Build: 20241007)\",\"branch\":\"405\"}";
    private static final String CODE = "{\"version\":\"2024100706.00\",\"release\":\"4.5.6 (Build: 20250811)\","
            + "\"branch\":\"405\",\"releaseId\":\"0123456789abcdef\"}";

    private ConvergerStack stack;
    private Map<String, String> env;
    private WireMockServer cloudFormation;
    private String responseUrl;

    @BeforeEach
    void setUp(CodePipelineStandIn pipelines) {
        stack = new ConvergerStack("moodle").create().withNotifications();
        pipelines.createPipeline(stack.pipeline);
        env = new HashMap<>(stack.functionEnvironment());
        env.put("MOODLE_CONFIG_WAIT_SECONDS", "3");
        cloudFormation = new WireMockServer(PresignedS3.wireMockOptions());
        cloudFormation.start();
        cloudFormation.stubFor(put(urlPathEqualTo("/cfn-response")).willReturn(aResponse().withStatus(200)));
        responseUrl = PresignedS3.responseUrl(cloudFormation.httpsPort(), "/cfn-response");
    }

    @AfterEach
    void stop() {
        cloudFormation.stop();
    }

    private FunctionRun.Outcome invoke(String event) {
        return Invocations.invoke(Invocations.handler(env), Invocations.event(event));
    }

    private FunctionRun.Outcome stackUpdate() {
        return Invocations.invoke(Invocations.handler(env), Invocations.stackEvent("stack-update.json", responseUrl));
    }

    private void production() {
        stack.setFlag("Yes");
        assertThat(invoke("parameter-store-change.json").outcome()).isEqualTo("APPLIED");
    }

    private JsonNode status() throws Exception {
        return Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
    }

    private static String failed(String attempt, String reason) {
        return "{\"state\":\"FAILED\",\"attempt\":\"" + attempt + "\",\"owner\":\"i-0abc\",\"database\":" + DB
                + ",\"code\":" + CODE + ",\"startedAt\":\"2026-12-01T12:00:00Z\",\"finishedAt\":\"2026-12-01T12:01:00Z\","
                + "\"seconds\":60.5,\"reason\":\"" + reason + "\",\"runbook\":\"docs/runbook.md#moodle-upgrade-failed\"}";
    }

    private static String running(Instant startedAt) {
        return "{\"state\":\"RUNNING\",\"attempt\":\"a-run\",\"owner\":\"i-0dead\",\"database\":" + DB + ",\"code\":" + CODE
                + ",\"startedAt\":\"" + startedAt.truncatedTo(ChronoUnit.SECONDS) + "\"}";
    }

    @Test
    void anAbsentOrNoneRecordAddsNothingToTheStatus() throws Exception {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.deleteParameter(r -> r.name(stack.upgradeParameter()));
        }
        production();
        assertThat(status().has("moodle")).isFalse();
        assertThat(status().has("upgrade")).isFalse();

        stack.setUpgradeRecord("{\"state\":\"NONE\"}");
        var none = invoke("upgrade-record-change.json");

        assertThat(none.outcome()).isEqualTo("NO_CHANGE");
        assertThat(status().has("moodle")).isFalse();
        assertThat(status().has("upgrade")).isFalse();
        assertThat(status().has("upgradeNotified")).isFalse();
        assertThat(stack.notifications()).isEmpty();
    }

    @Test
    void currentAndDoneShowWhatTheDatabaseHas() throws Exception {
        production();
        stack.setUpgradeRecord("{\"state\":\"CURRENT\",\"attempt\":\"a-1\",\"owner\":\"i-0abc\",\"database\":" + DB + "}");

        var current = invoke("upgrade-record-change.json");

        assertThat(current.outcome()).isEqualTo("NO_CHANGE");
        JsonNode s = status();
        assertThat(s.path("trigger").asText()).isEqualTo("UPGRADE_CHANGE");
        assertThat(s.path("moodle").path("release").asText()).isEqualTo("4.5 (Build: 20241007)");
        assertThat(s.path("moodle").path("version").asText()).isEqualTo("2024100700.00");
        assertThat(s.path("upgrade").path("state").asText()).isEqualTo("CURRENT");

        stack.setUpgradeRecord("{\"state\":\"DONE\",\"attempt\":\"a-2\",\"owner\":\"i-0abc\",\"database\":" + CODE
                + ",\"code\":" + CODE + ",\"seconds\":42.5,\"startedAt\":\"2026-12-01T12:00:00Z\"}");
        invoke("upgrade-record-change.json");

        s = status();
        assertThat(s.path("moodle").path("release").asText()).isEqualTo("4.5.6 (Build: 20250811)");
        assertThat(s.path("moodle").path("version").asText()).isEqualTo("2024100706.00");
        assertThat(s.path("upgrade").path("state").asText()).isEqualTo("DONE");
        assertThat(s.path("upgrade").path("attempt").asText()).isEqualTo("a-2");
        assertThat(s.path("upgrade").path("owner").asText()).isEqualTo("i-0abc");
        assertThat(s.path("upgrade").path("seconds").asDouble()).isEqualTo(42.5);
        assertThat(s.path("upgrade").has("reason")).isFalse();
        // The lifecycle's own fields are as before.
        assertThat(s.path("phase").asText()).isEqualTo("PRODUCTION");
        assertThat(s.path("releaseVersion").asText()).isEqualTo("release-v1");
        assertThat(stack.notifications()).isEmpty();
        assertThat(stack.upgradeCommands()).isEmpty();

        // Nothing changed since: the safety net writes nothing.
        var net = AwsCallRecorder.record(() -> invoke("scheduled-safety-net.json"));
        assertThat(net.value().outcome()).isEqualTo("NO_CHANGE");
        assertThat(net.calls()).noneMatch(c -> c.action().equals("ssm:PutParameter"));
    }

    @Test
    void aFailedAttemptIsToldOnceWhateverTriggersFollowAndANewAttemptAgain() throws Exception {
        production();
        stack.setUpgradeRecord(failed("a-1", "Database upgrade step 2025010100 of local_autopilottest failed"));

        var told = invoke("upgrade-record-change.json");

        List<Map<String, String>> messages = stack.notifications();
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).get("subject")).isEqualTo("Moodle upgrade failed on moodle: site in maintenance mode");
        assertThat(messages.get(0).get("message"))
                .contains("maintenance mode")
                .contains("Reason: Database upgrade step 2025010100 of local_autopilottest failed")
                .contains("The database has: release 4.5 (Build: 20241007), version 2024100700.00")
                .contains("The code wanted:  release 4.5.6 (Build: 20250811), version 2024100706.00")
                .contains("docs/runbook.md#moodle-upgrade-failed");
        assertThat(told.result().path("actions").toString()).contains("operators notified: Moodle upgrade attempt a-1 failed");
        JsonNode s = status();
        assertThat(s.path("upgrade").path("state").asText()).isEqualTo("FAILED");
        assertThat(s.path("upgrade").path("reason").asText()).contains("local_autopilottest");
        assertThat(s.path("upgradeNotified").asText()).isEqualTo("a-1");

        // The same event again (EventBridge delivers at least once), the safety net, a flag replay.
        invoke("upgrade-record-change.json");
        invoke("scheduled-safety-net.json");
        invoke("parameter-store-change.json");
        assertThat(stack.notifications()).isEmpty();
        // Neither the record's event nor the schedule runs the upgrade again.
        assertThat(stack.upgradeCommands()).isEmpty();

        // A deployment resumes it and does not tell the same attempt again; its new failure is told.
        stackUpdate();
        assertThat(stack.notifications()).isEmpty();
        stack.setUpgradeRecord(failed("a-2", "still failing"));
        invoke("upgrade-record-change.json");
        assertThat(stack.notifications()).singleElement().extracting(m -> m.get("message")).asString()
                .contains("Reason: still failing").contains("Attempt: a-2");
        assertThat(status().path("upgradeNotified").asText()).isEqualTo("a-2");
    }

    /** A topic that refuses the message (deleted, say) delays the message; the converge goes on. */
    @Test
    void aPublishThatFailsIsToldByTheNextConverge() throws Exception {
        production();
        stack.setUpgradeRecord(failed("a-1", "boom"));
        env.put("NOTIFICATION_TOPIC", "arn:aws:sns:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":moodle-gone");

        var refused = invoke("upgrade-record-change.json");

        assertThat(refused.outcome()).isEqualTo("APPLIED");
        assertThat(refused.result().path("actions").toString())
                .contains("operators not yet notified of failed Moodle upgrade attempt a-1");
        assertThat(status().has("upgradeNotified")).isFalse();
        assertThat(status().path("upgrade").path("state").asText()).isEqualTo("FAILED");

        env.putAll(stack.functionEnvironment());
        invoke("scheduled-safety-net.json");
        invoke("scheduled-safety-net.json");

        assertThat(stack.notifications()).hasSize(1);
        assertThat(status().path("upgradeNotified").asText()).isEqualTo("a-1");
    }

    @Test
    void aStackUpdateResumesAFailedUpgradeOnOneInstanceWithoutWaiting() throws Exception {
        production();
        stack.setUpgradeRecord(failed("a-1", "boom"));
        invoke("scheduled-safety-net.json");
        assertThat(stack.upgradeCommands()).as("the safety net does not resume").isEmpty();
        String instance = stack.instances().get(0);

        var update = AwsCallRecorder.record(this::stackUpdate);

        assertThat(stack.upgradeCommands()).hasSize(1);
        String command = stack.upgradeCommands().get(0);
        assertThat(update.calls()).filteredOn(c -> c.action().equals("ssm:SendCommand")
                        && c.resources().get(0).endsWith(":document/" + stack.upgradeDocument()))
                .singleElement().extracting(c -> c.resources().subList(1, c.resources().size()))
                .isEqualTo(List.of("arn:aws:ec2:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":instance/" + instance));
        // Sent, not awaited: the instance's record brings the outcome.
        assertThat(update.calls()).extracting(RecordedCall::action).doesNotContain("ssm:GetCommandInvocation");
        assertThat(update.value().result().path("actions").toString())
                .contains("failed Moodle upgrade (attempt a-1) resumed on " + instance + ": command " + command);
        assertThat(status().path("upgradeResumeCommandId").asText()).isEqualTo(command);
        assertThat(status().path("trigger").asText()).isEqualTo("STACK_DEPLOYMENT");

        // The instance writes RUNNING, then DONE: the status follows, nothing is sent again.
        stack.setUpgradeRecord(running(Instant.now()));
        invoke("upgrade-record-change.json");
        stack.setUpgradeRecord("{\"state\":\"DONE\",\"attempt\":\"a-3\",\"database\":" + CODE + "}");
        invoke("upgrade-record-change.json");
        assertThat(status().path("upgrade").path("state").asText()).isEqualTo("DONE");
        assertThat(status().path("moodle").path("version").asText()).isEqualTo("2024100706.00");
        assertThat(stack.upgradeCommands()).hasSize(1);
    }

    @Test
    void anUpgradeHeldByADeadInstanceIsResumedButARecentOneIsLeftToItsOwner() throws Exception {
        production();
        stack.setUpgradeRecord(running(Instant.now().minus(30, ChronoUnit.MINUTES)));
        stackUpdate();
        assertThat(stack.upgradeCommands()).as("held for 30 minutes: still running").isEmpty();
        assertThat(status().path("upgrade").path("state").asText()).isEqualTo("RUNNING");

        stack.setUpgradeRecord(running(Instant.now().minus(3, ChronoUnit.HOURS)));
        invoke("upgrade-record-change.json");
        invoke("scheduled-safety-net.json");
        assertThat(stack.upgradeCommands()).as("only a deployment resumes").isEmpty();

        var update = stackUpdate();

        assertThat(stack.upgradeCommands()).hasSize(1);
        assertThat(update.result().path("actions").toString()).contains("abandoned by i-0dead").contains("resumed on");
        assertThat(stack.notifications()).as("RUNNING is not a failure").isEmpty();
    }

    /** A deployment of a new release, started by this same update, runs the upgrade in its own hook on the new code. */
    @Test
    void aStackUpdateThatStagedANewReleaseLeavesTheUpgradeToItsDeployment(CodePipelineStandIn pipelines) throws Exception {
        production();
        stack.setUpgradeRecord(failed("a-1", "boom"));
        env.put("RELEASE_VERSION", "release-v2");

        var update = stackUpdate();

        assertThat(pipelines.executions()).hasSize(2);
        assertThat(stack.upgradeCommands()).isEmpty();
        assertThat(update.result().path("actions").toString())
                .contains("failed Moodle upgrade (attempt a-1) left to the deployment just started");
    }

    /** Another stack's record (same rule shape, other name) is refused like any other parameter. */
    @Test
    void anotherStacksRecordIsRejected() {
        byte[] other = new String(Invocations.event("upgrade-record-change.json"))
                .replace("/Moodle/moodle/Automation/Upgrade", "/Moodle/moodle-app/Automation/Upgrade").getBytes();

        var result = Invocations.invoke(Invocations.handler(env), other);

        assertThat(result.outcome()).isEqualTo("REJECTED");
        assertThat(stack.notifications()).isEmpty();
    }

    @Test
    void inInstallModeNothingIsResumed() throws Exception {
        stack.setUpgradeRecord(failed("a-1", "boom"));

        var update = stackUpdate();

        assertThat(update.result().path("phase").asText()).isEqualTo("INSTALL");
        assertThat(stack.upgradeCommands()).isEmpty();
        assertThat(status().path("upgrade").path("state").asText()).isEqualTo("FAILED");
    }

    @Test
    void aBrokenRecordIsReadAsNoneWithAWarningAndNeverStopsTheConverge() throws Exception {
        stack.setUpgradeRecord("{\"state\": FAILED");
        stack.setFlag("Yes");

        var entered = invoke("parameter-store-change.json");

        assertThat(entered.outcome()).isEqualTo("APPLIED");
        assertThat(stack.limits()).isEqualTo("2/4/2");
        assertThat(status().path("upgrade").path("state").asText()).isEqualTo("NONE");
        assertThat(status().path("upgrade").path("warning").asText()).contains("not JSON");
        assertThat(stack.notifications()).isEmpty();

        stack.setUpgradeRecord("{\"state\":\"EXPLODED\"}");
        invoke("upgrade-record-change.json");
        assertThat(status().path("upgrade").path("warning").asText()).contains("unknown state");

        stack.setUpgradeRecord("{\"state\":\"FAILED\"}");
        invoke("upgrade-record-change.json");
        assertThat(stack.notifications()).singleElement().extracting(m -> m.get("message")).asString()
                .contains("Reason: unknown").contains("The database has: unknown");
        assertThat(status().path("upgradeNotified").asText()).isEqualTo("unknown");
    }
}
