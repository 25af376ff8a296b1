package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.codepipeline.model.CodePipelineException;
import software.amazon.awssdk.services.codepipeline.model.PipelineNotFoundException;
import software.amazon.awssdk.services.codepipeline.model.StageNotFoundException;
import software.amazon.awssdk.services.codepipeline.model.StageTransitionType;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** The parts themselves: each speaks the real protocol to the real SDK. */
@ExtendWith({MotoExtension.class, WireMockExtension.class, EmbeddedPostgresExtension.class})
class TestBedTest {

    @Test
    void embeddedPostgresIsARealServer(EmbeddedPostgres pg) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             ResultSet rs = c.createStatement().executeQuery("select current_setting('server_version_num')::int")) {
            rs.next();
            assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(100000);
        }
    }

    @Test
    void codePipelineStandInIsIdempotentPerTokenAndKnowsMissingPipelines(CodePipelineStandIn pipelines) {
        pipelines.createPipeline("p");
        try (CodePipelineClient cp = CodePipelineClient.create()) {
            String a = cp.startPipelineExecution(r -> r.name("p").clientRequestToken("t-1")).pipelineExecutionId();
            String b = cp.startPipelineExecution(r -> r.name("p").clientRequestToken("t-1")).pipelineExecutionId();
            String c = cp.startPipelineExecution(r -> r.name("p").clientRequestToken("t-2")).pipelineExecutionId();
            assertThat(a).isEqualTo(b).isNotEqualTo(c);
            assertThat(pipelines.executions()).hasSize(2);
            assertThatThrownBy(() -> cp.startPipelineExecution(r -> r.name("nope")))
                    .isInstanceOf(PipelineNotFoundException.class).hasMessageContaining("nope");
        }
    }

    @Test
    void codePipelineStandInHoldsExecutionsAtTheDisabledDeployTransitionUntilItIsEnabled(CodePipelineStandIn pipelines) {
        pipelines.createPipeline("p");
        try (CodePipelineClient cp = CodePipelineClient.create()) {
            // As template.yaml creates it: the run CodePipeline starts on creation stops before Deploy.
            String onCreation = cp.startPipelineExecution(r -> r.name("p").clientRequestToken("creation"))
                    .pipelineExecutionId();
            assertThat(pipelines.deployStageOpen("p")).isFalse();
            assertThat(pipelines.deployedExecutions()).isEmpty();

            // The real SDK accepts the API's empty 200 answer; enabling twice is harmless.
            cp.enableStageTransition(r -> r.pipelineName("p").stageName("Deploy").transitionType(StageTransitionType.INBOUND));
            cp.enableStageTransition(r -> r.pipelineName("p").stageName("Deploy").transitionType(StageTransitionType.INBOUND));
            assertThat(pipelines.deployStageOpen("p")).isTrue();
            assertThat(pipelines.deployedExecutions()).containsExactly("p:" + onCreation);

            String next = cp.startPipelineExecution(r -> r.name("p").clientRequestToken("next")).pipelineExecutionId();
            assertThat(pipelines.deployedExecutions()).containsExactly("p:" + onCreation, "p:" + next);
            assertThat(pipelines.calls()).containsExactly("StartPipelineExecution p", "EnableStageTransition p/Deploy/Inbound",
                    "EnableStageTransition p/Deploy/Inbound", "StartPipelineExecution p");

            assertThatThrownBy(() -> cp.enableStageTransition(r -> r.pipelineName("nope").stageName("Deploy")
                    .transitionType(StageTransitionType.INBOUND)))
                    .isInstanceOf(PipelineNotFoundException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> cp.enableStageTransition(r -> r.pipelineName("p").stageName("Build")
                    .transitionType(StageTransitionType.INBOUND)))
                    .isInstanceOf(StageNotFoundException.class).hasMessageContaining("Build");
            assertThatThrownBy(() -> cp.enableStageTransition(r -> r.pipelineName("p").stageName("Deploy")
                    .transitionType("Sideways")))
                    .isInstanceOf(CodePipelineException.class).hasMessageContaining("transitionType");
        }
    }

    @Test
    void alarmActionsStandInChangesMotosAlarm() {
        ConvergerStack stack = new ConvergerStack("bed").create();
        try (CloudWatchClient cw = CloudWatchClient.create()) {
            cw.enableAlarmActions(r -> r.alarmNames(stack.cpuHighAlarm));
        }
        assertThat(stack.alarmActions()).containsEntry(stack.cpuHighAlarm, true).containsEntry(stack.cpuLowAlarm, false);
    }

    @Test
    void gatewayInjectsThrottlingThatTheSdkRetries(AwsGateway gateway) {
        gateway.inject("GetParameter", AwsGateway.Fault.THROTTLE, 2);
        try (SsmClient ssm = SsmClient.create()) {
            ssm.putParameter(r -> r.name("/x").value("1").type("String"));
            assertThat(ssm.getParameter(r -> r.name("/x")).parameter().value()).isEqualTo("1");
        }
        assertThat(gateway.attempts("GetParameter")).isEqualTo(3);
    }

    @Test
    void gatewayInjectsServerErrorsBeyondTheRetries(AwsGateway gateway) {
        gateway.inject("GetParameter", AwsGateway.Fault.SERVER_ERROR, 5);
        try (SsmClient ssm = SsmClient.create()) {
            assertThatThrownBy(() -> ssm.getParameter(r -> r.name("/x")))
                    .isInstanceOf(SsmException.class).hasMessageContaining("500");
        }
    }
}
