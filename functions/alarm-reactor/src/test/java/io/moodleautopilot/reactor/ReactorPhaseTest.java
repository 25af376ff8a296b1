package io.moodleautopilot.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.ReactorStack;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The phase the reactor acts on is the setup flag's, not the converger's status record, which a
 * superseded converge can leave behind (reliability probe 3.4: a stale PRODUCTION status let the
 * reactor raise the maximum of an install-mode group).
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class ReactorPhaseTest {
    private ReactorStack stack;
    private List<RecordedCall> calls = List.of();

    @BeforeEach
    void create() {
        stack = new ReactorStack("moodle", Map.of("WebAsgMaxCeiling", "6")).create();
    }

    private FunctionRun.Outcome react(byte[] event) {
        var run = AwsCallRecorder.record(() -> FunctionRun.invoke(
                new AlarmReactorHandler(stack.functionEnvironment(), new AwsClients()), event, "moodle-alarm-reactor",
                30_000));
        calls = run.calls();
        return run.value();
    }

    @Test
    void inInstallModeAStaleProductionStatusDoesNotRaiseTheMaximum() {
        stack.converger.setFlag("No");
        stack.setStatusOnly("PRODUCTION");
        stack.converger.setLimits(1, 1, 1);

        var r = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "installer busy"));

        assertThat(r.outcome()).isEqualTo("SUPPRESSED");
        assertThat(stack.converger.limits()).isEqualTo("1/1/1");
        assertThat(stack.messages()).isEmpty();
        // Flag and status in one read.
        assertThat(calls).extracting(RecordedCall::action).containsOnlyOnce("ssm:GetParameters")
                .doesNotContain("ssm:GetParameter");
    }

    @Test
    void aYesActsAsProductionBeforeTheConvergerRecordedIt() {
        stack.converger.setFlag("Yes");
        stack.setStatusOnly("INSTALL");
        stack.converger.setLimits(2, 4, 4);

        var r = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "busy"));

        assertThat(r.outcome()).isEqualTo("RAISED");
        assertThat(stack.converger.limits()).isEqualTo("2/5/4");
    }

    @Test
    void anInvalidFlagFallsBackToTheStatusRecord() {
        stack.converger.setFlag("maybe");
        stack.setStatusOnly("PRODUCTION");
        stack.converger.setLimits(2, 4, 4);

        var r = react(stack.transition(stack.converger.cpuHighAlarm, "ALARM", "busy"));

        assertThat(r.outcome()).isEqualTo("RAISED");
        assertThat(stack.converger.limits()).isEqualTo("2/5/4");
    }
}
