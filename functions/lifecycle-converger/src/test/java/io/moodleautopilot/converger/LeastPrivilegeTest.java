package io.moodleautopilot.converger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CodePipelineStandIn;
import io.moodleautopilot.testbed.ConvergerStack;
import io.moodleautopilot.testbed.IamPolicy;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The least-privilege proof for the converger: run every path it has (all three triggers, both
 * directions, replay, stack delete), record each AWS call with its resources, and hold them against
 * the policy template.yaml gives the function: nothing outside it, nothing in it unused.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class})
class LeastPrivilegeTest {

    private static List<RecordedCall> everyPath(ConvergerStack stack, CodePipelineStandIn pipelines) {
        pipelines.createPipeline(stack.pipeline);
        WireMockServer cfn = new WireMockServer(io.moodleautopilot.testbed.PresignedS3.wireMockOptions());
        cfn.start();
        cfn.stubFor(put(urlPathEqualTo("/r")).willReturn(aResponse().withStatus(200)));
        String url = io.moodleautopilot.testbed.PresignedS3.responseUrl(cfn.httpsPort(), "/r");
        try {
            LifecycleConvergerHandler handler = Invocations.handler(stack);
            return AwsCallRecorder.record(() -> {
                Invocations.invoke(handler, Invocations.stackEvent("stack-create.json", url));
                Invocations.invoke(handler, Invocations.event("scheduled-safety-net.json"));
                stack.setFlag("Yes");
                Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
                Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
                // A failed Moodle upgrade: told on the topic, then resumed by a stack update.
                stack.setUpgradeRecord("{\"state\":\"FAILED\",\"attempt\":\"a-1\",\"reason\":\"step failed\"}");
                Invocations.invoke(handler, Invocations.event("upgrade-record-change.json"));
                Invocations.invoke(handler, Invocations.stackEvent("stack-update.json", url));
                stack.setUpgradeRecord("{\"state\":\"DONE\",\"attempt\":\"a-2\"}");
                Invocations.invoke(handler, Invocations.event("upgrade-record-change.json"));
                stack.setFlag("No");
                Invocations.invoke(handler, Invocations.event("parameter-store-change.json"));
                Invocations.invoke(handler, Invocations.stackEvent("stack-update.json", url));
                // The detector's records, which the stack's delete removes too.
                stack.putParameter("/Moodle/" + stack.name + "/Automation/InstallPhase", "{}");
                stack.putParameter("/Moodle/" + stack.name + "/Automation/InstallCompleteClaim/v1-0", "claimed");
                Invocations.invoke(handler, Invocations.stackEvent("stack-delete.json", url));
            }).calls();
        } finally {
            cfn.stop();
        }
    }

    @Test
    void everyCallIsAllowedAndEveryGrantIsUsed(CodePipelineStandIn pipelines) {
        ConvergerStack stack = new ConvergerStack("moodle").create().withNotifications();
        IamPolicy policy = stack.functionPolicy();

        List<RecordedCall> calls = everyPath(stack, pipelines);

        assertThat(calls).extracting(RecordedCall::action).contains("events:EnableRule",
                "ssm:GetParameters", "ssm:PutParameter", "ssm:DeleteParameters",
                "autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup",
                "cloudwatch:DescribeAlarms", "cloudwatch:EnableAlarmActions", "cloudwatch:DisableAlarmActions",
                "codepipeline:GetPipeline", "codepipeline:EnableStageTransition", "codepipeline:StartPipelineExecution", "ssm:SendCommand",
                "ssm:GetParametersByPath", "sns:Publish");
        // The upgrade document went to one instance, like Moodle's configuration document.
        assertThat(calls).filteredOn(c -> c.action().equals("ssm:SendCommand")
                && c.resources().get(0).endsWith(":document/" + stack.upgradeDocument())).hasSize(1);
        assertThat(policy.violations(calls)).as("calls the policy does not allow").isEmpty();
        assertThat(policy.unusedActions(calls)).as("granted actions never used").isEmpty();
        // "*" only where IAM has no resource-level permission for the action.
        assertThat(policy.actionsOnAnyResource()).containsExactlyInAnyOrder("autoscaling:DescribeAutoScalingGroups",
                "ssm:GetCommandInvocation");
    }

    @Test
    void thePolicyOfOneStackDoesNotCoverAnotherStacksResources(CodePipelineStandIn pipelines) {
        ConvergerStack other = new ConvergerStack("other").create();
        IamPolicy moodlePolicy = new ConvergerStack("moodle").functionPolicy();

        List<RecordedCall> calls = AwsCallRecorder.record(() -> {
            pipelines.createPipeline(other.pipeline);
            other.setFlag("Yes");
            Invocations.invoke(Invocations.handler(other),
                    "{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"detail\":{}}".getBytes());
        }).calls();

        assertThat(moodlePolicy.violations(calls))
                .contains("autoscaling:UpdateAutoScalingGroup on arn:aws:autoscaling:us-east-1:123456789012:"
                        + "autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/other-web")
                .anyMatch(v -> v.startsWith("ssm:GetParameters on arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/other/"))
                .anyMatch(v -> v.startsWith("codepipeline:EnableStageTransition"))
                .anyMatch(v -> v.startsWith("codepipeline:StartPipelineExecution"));
    }

    /** Issue 13's grants: this stack's upgrade record (read), upgrade document and operator topic, nothing more. */
    @Test
    void theUpgradeGrantsNameOnlyThisStacksRecordDocumentAndTopic() {
        ConvergerStack stack = new ConvergerStack("moodle");
        String arn = "arn:aws:%s:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":%s";
        String record = arn.formatted("ssm", "parameter/Moodle/moodle/Automation/Upgrade");
        IamPolicy policy = stack.functionPolicy();

        assertThat(policy.statements()).filteredOn(s -> s.resources().contains(record))
                .flatExtracting(IamPolicy.Statement::actions).containsExactly("ssm:GetParameters");
        assertThat(policy.statements()).filteredOn(s -> s.actions().contains("sns:Publish"))
                .singleElement().satisfies(s -> {
                    assertThat(s.actions()).containsExactly("sns:Publish");
                    assertThat(s.resources()).containsExactly(arn.formatted("sns", "moodle-alarms"));
                });
        assertThat(policy.statements()).filteredOn(s -> s.resources().contains(
                        arn.formatted("ssm", "document/moodle-moodle-upgrade")))
                .flatExtracting(IamPolicy.Statement::actions).containsExactly("ssm:SendCommand");
        assertThat(stack.functionEnvironment()).containsEntry("NOTIFICATION_TOPIC", arn.formatted("sns", "moodle-alarms"));
        // The record and the document are named after the stack; the function derives both.
        var settings = io.moodleautopilot.core.lifecycle.StackSettingsLoader.load(stack.functionEnvironment());
        assertThat(settings.upgradeParameter()).isEqualTo("/Moodle/moodle/Automation/Upgrade");
        assertThat(settings.upgradeDocument()).isEqualTo("moodle-moodle-upgrade");
    }

    @Test
    void thePipelineGrantNamesOnlyThisStacksPipeline() {
        ConvergerStack stack = new ConvergerStack("moodle");
        assertThat(stack.functionPolicy().statements())
                .filteredOn(s -> s.actions().contains("codepipeline:StartPipelineExecution"))
                .flatExtracting(IamPolicy.Statement::resources)
                .containsExactly("arn:aws:codepipeline:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":moodle-deploy");
        // A transition is authorised on its stage: only this pipeline's Deploy stage.
        assertThat(stack.functionPolicy().statements())
                .filteredOn(s -> s.actions().contains("codepipeline:EnableStageTransition"))
                .flatExtracting(IamPolicy.Statement::resources)
                .containsExactly("arn:aws:codepipeline:" + MotoServer.REGION + ":" + MotoServer.ACCOUNT + ":moodle-deploy/Deploy");
    }
}
