package io.moodleautopilot.converger;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.CloudFormationCustomResourceEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import io.moodleautopilot.testbed.CfnTemplate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The files in events/ are what `sam local invoke -e` and scripts/local send; here they are read by
 * aws-lambda-java-tests, which deserialises them as the Lambda Java runtime does, so a file that
 * drifted from AWS's shape fails.
 */
class EventFilesTest {
    private static String path(String file) {
        return CfnTemplate.repositoryRoot().resolve("events").resolve(file).toString();
    }

    @Test
    void parameterStoreChangeHasEventBridgesShape() {
        ScheduledEvent e = EventLoader.loadScheduledEvent(path("parameter-store-change.json"));
        assertThat(e.getSource()).isEqualTo("aws.ssm");
        assertThat(e.getDetailType()).isEqualTo("Parameter Store Change");
        assertThat(e.getAccount()).isEqualTo("123456789012");
        assertThat(e.getTime()).isNotNull();
        assertThat(e.getDetail()).containsEntry("name", "/Moodle/moodle/IsMoodleSetupCompleted")
                .containsEntry("operation", "Update").containsEntry("type", "String");
        assertThat(e.getResources()).containsExactly(
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/IsMoodleSetupCompleted");
    }

    @Test
    void upgradeRecordChangeHasEventBridgesShape() {
        ScheduledEvent e = EventLoader.loadScheduledEvent(path("upgrade-record-change.json"));
        assertThat(e.getSource()).isEqualTo("aws.ssm");
        assertThat(e.getDetailType()).isEqualTo("Parameter Store Change");
        assertThat(e.getDetail()).containsEntry("name", "/Moodle/moodle/Automation/Upgrade")
                .containsEntry("operation", "Update").containsEntry("type", "String");
        assertThat(e.getResources()).containsExactly(
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Automation/Upgrade");
        // The rule that delivers it matches the record by the template's own name for it.
        assertThat(String.valueOf(CfnTemplate.load().properties("LifecycleConvergerFunction").get("Events")))
                .contains("UpgradeRecordParameter");
    }

    @Test
    void safetyNetIsAScheduledEvent() {
        ScheduledEvent e = EventLoader.loadScheduledEvent(path("scheduled-safety-net.json"));
        assertThat(e.getSource()).isEqualTo("aws.events");
        assertThat(e.getDetailType()).isEqualTo("Scheduled Event");
        assertThat(e.getResources()).singleElement().asString().startsWith("arn:aws:events:us-east-1:123456789012:rule/");
    }

    @Test
    void stackEventsAreCloudFormationCustomResourceRequests() {
        for (String type : new String[] {"Create", "Update", "Delete"}) {
            CloudFormationCustomResourceEvent e = EventLoader.loadEvent(
                    path("stack-" + type.toLowerCase() + ".json"), CloudFormationCustomResourceEvent.class);
            assertThat(e.getRequestType()).isEqualTo(type);
            assertThat(e.getResponseUrl()).startsWith("https://");
            assertThat(e.getResourceType()).isEqualTo("Custom::LifecycleConvergence");
            assertThat(e.getLogicalResourceId()).isEqualTo("LifecycleConvergence");
            Map<String, Object> props = e.getResourceProperties();
            assertThat(props).containsKeys("ServiceToken", "ProductionMinSize", "ProductionMaxSize", "LaunchTemplateVersion");
            if (!type.equals("Create")) {
                assertThat(e.getPhysicalResourceId()).isEqualTo("moodle-lifecycle-converger");
            }
        }
    }

    @Test
    void theCustomResourceInTheTemplateCarriesTheSamePropertiesAsTheEvents() {
        Map<String, Object> templateProps = CfnTemplate.load().properties("LifecycleConvergence");
        CloudFormationCustomResourceEvent e = EventLoader.loadEvent(path("stack-create.json"),
                CloudFormationCustomResourceEvent.class);
        assertThat(e.getResourceProperties().keySet()).containsExactlyInAnyOrderElementsOf(templateProps.keySet());
    }
}
