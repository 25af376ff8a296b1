package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.LocalLambdaContext;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.WireMockExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The flag changes while a converge of its older value is still running (reliability probe 3.3 and
 * 3.4): the older converge stops before its next write (SUPERSEDED) and the newer value wins.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class FlagRaceTest {
    private ConvergerStack stack;
    private CodePipelineStandIn pipelines;
    private AwsGateway gateway;

    @BeforeEach
    void createStack(CodePipelineStandIn pipelines, AwsGateway gateway) {
        this.pipelines = pipelines;
        this.gateway = gateway;
        stack = new ConvergerStack("moodle").create();
        pipelines.createPipeline(stack.pipeline);
    }

    /** The older converge, in the background; its printed metrics are captured with its result. */
    private CompletableFuture<FunctionRun.Outcome> startOlder(String eventFile) {
        LifecycleConvergerHandler older = Invocations.handler(stack);
        return CompletableFuture.supplyAsync(() -> Invocations.invoke(older, Invocations.event(eventFile)));
    }

    /** The newer converge runs beside it: straight through the handler (the older holds FunctionRun). */
    private JsonNode runNewer() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Invocations.handler(stack).handleRequest(new ByteArrayInputStream(Invocations.event("parameter-store-change.json")),
                out, new LocalLambdaContext("moodle-lifecycle-converger", 60_000));
        return Invocations.MAPPER.readTree(out.toByteArray());
    }

    private void awaitAttempt(String operation, int before) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gateway.attempts(operation) == before && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(gateway.attempts(operation)).as(operation + " attempted").isGreaterThan(before);
    }

    @Test
    void aSlowWriteOfTheOldYesStopsOnceNoIsWrittenAndNoWins() throws Exception {
        stack.setFlag("Yes");
        // The group's update reaches moto at once; its answer takes 3 s (probe 3.3: 6 s).
        gateway.delay("UpdateAutoScalingGroup", 3000, 1);
        int before = gateway.attempts("UpdateAutoScalingGroup");
        var older = startOlder("parameter-store-change.json");
        awaitAttempt("UpdateAutoScalingGroup", before);

        long no = stack.setFlag("No");
        JsonNode newer = runNewer();
        var stopped = older.get(60, TimeUnit.SECONDS);

        assertThat(newer.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(stopped.outcome()).isEqualTo("SUPERSEDED");
        assertThat(stopped.result().path("message").asText()).contains("to " + no);
        assertThat(stopped.metrics()).contains("ConvergeSuperseded");
        // Nothing of Yes after its group write: alarms, session settings and status are No's.
        assertThat(stack.limits()).isEqualTo("1/1/1");
        assertThat(stack.alarmActions()).containsOnly(
                Map.entry(stack.cpuHighAlarm, false), Map.entry(stack.cpuLowAlarm, false));
        JsonNode session = Invocations.MAPPER.readTree(stack.parameter(stack.sessionParameter()));
        assertThat(session.path("session_handler_class").asText()).isNotEqualTo("\\core\\session\\redis");
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("phase").asText()).isEqualTo("INSTALL");
        assertThat(status.path("flagVersion").asLong()).isEqualTo(no);
    }

    @Test
    void aRunCommandWaitOfTheOldYesDoesNotOverwriteTheNewerStatusAndTheNextYesDeploysAgain() throws Exception {
        stack.setFlag("Yes");
        Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        assertThat(pipelines.executions()).hasSize(1);
        // A changed settings document: the next converge applies it by Run Command, which takes 3 s
        // to answer (probe 3.4: a 40 s wait for the command's result).
        stack.setSettings("{\"forcelogin\": \"1\"}");
        gateway.delay("SendCommand", 3000, 1);
        int before = gateway.attempts("SendCommand");
        var older = startOlder("moodle-settings-change.json");
        awaitAttempt("SendCommand", before);

        long no = stack.setFlag("No");
        JsonNode newer = runNewer();
        var stopped = older.get(60, TimeUnit.SECONDS);

        assertThat(newer.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(stopped.outcome()).isEqualTo("SUPERSEDED");
        JsonNode status = Invocations.MAPPER.readTree(stack.parameter(stack.statusParameter()));
        assertThat(status.path("phase").asText()).isEqualTo("INSTALL");
        assertThat(status.path("flagVersion").asLong()).isEqualTo(no);
        assertThat(stack.limits()).isEqualTo("1/1/1");

        // Production again: a transition, so a new execution (a stale PRODUCTION status would have hidden it).
        stack.setFlag("Yes");
        var again = Invocations.invoke(Invocations.handler(stack), Invocations.event("parameter-store-change.json"));
        assertThat(again.outcome()).isEqualTo("APPLIED");
        assertThat(pipelines.executions()).hasSize(2);
    }
}
