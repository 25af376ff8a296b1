package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.CloudFormationCustomResourceEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import io.moodleautopilot.testbed.CfnTemplate;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * events/cloudformation-moodle-source-create.json is what `sam local invoke -e` sends; here it is read
 * by aws-lambda-java-tests, which deserialises it as the Lambda Java runtime does, so a file that
 * drifted from CloudFormation's shape fails. The other tests send this same file.
 */
class EventFilesTest {
    private static String path() {
        return CfnTemplate.repositoryRoot().resolve("events").resolve(SourceStack.EVENT).toString();
    }

    @Test
    void theCreateEventIsACloudFormationCustomResourceRequest() {
        CloudFormationCustomResourceEvent e = EventLoader.loadEvent(path(), CloudFormationCustomResourceEvent.class);
        assertThat(e.getRequestType()).isEqualTo("Create");
        assertThat(e.getResponseUrl()).startsWith("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/");
        assertThat(e.getStackId()).startsWith("arn:aws:cloudformation:us-east-1:123456789012:stack/moodle/");
        assertThat(e.getRequestId()).isNotBlank();
        assertThat(e.getResourceType()).isEqualTo("Custom::MoodleSource");
        assertThat(e.getLogicalResourceId()).isEqualTo("MoodleSource");
        assertThat(e.getPhysicalResourceId()).as("CloudFormation sends none on Create").isNull();
        assertThat(e.getServiceToken()).isEqualTo("arn:aws:lambda:us-east-1:123456789012:function:moodle-moodle-source:live");
        assertThat(e.getResourceProperties()).containsEntry("ServiceToken", e.getServiceToken())
                .containsEntry("ReleaseVersion", "4.5.7").containsEntry("ReleaseUrl", "");
    }

    @Test
    void theEventCarriesExactlyThePropertiesTheTemplateGivesTheResource() {
        CfnTemplate template = CfnTemplate.load();
        assertThat(template.resource("MoodleSource").get("Type")).isEqualTo("Custom::MoodleSource");
        Map<String, Object> templateProps = template.properties("MoodleSource");
        CloudFormationCustomResourceEvent e = EventLoader.loadEvent(path(), CloudFormationCustomResourceEvent.class);
        assertThat(e.getResourceProperties().keySet()).containsExactlyInAnyOrderElementsOf(templateProps.keySet());
        assertThat(templateProps.get("ServiceToken")).isEqualTo(Map.of("Ref", "MoodleSourceFunctionAliaslive"));
    }

    @Test
    void theTemplatesHandlerIsThisClass() {
        Map<String, Object> fn = CfnTemplate.load().properties(SourceStack.FUNCTION);
        assertThat(fn.get("Handler")).isEqualTo(MoodleSourceHandler.class.getName() + "::handleRequest");
        assertThat(fn.get("CodeUri")).isEqualTo("functions/moodle-source");
    }

    /** events/cloudformation-ses-smtp-credentials-create.json: MailSmtpCredentials as the template declares it. */
    @Test
    void theSmtpCredentialsEventCarriesThePropertiesTheTemplateGivesTheResource() {
        CfnTemplate template = CfnTemplate.load();
        CloudFormationCustomResourceEvent e = EventLoader.loadEvent(CfnTemplate.repositoryRoot()
                .resolve("events/cloudformation-ses-smtp-credentials-create.json").toString(), CloudFormationCustomResourceEvent.class);
        assertThat(template.resource("MailSmtpCredentials").get("Type")).isEqualTo(SmtpCredentialsResource.TYPE)
                .isEqualTo(e.getResourceType());
        assertThat(e.getResourceProperties().keySet())
                .containsExactlyInAnyOrderElementsOf(template.properties("MailSmtpCredentials").keySet());
        assertThat(e.getRequestType()).isEqualTo("Create");
    }
}
