package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.mail.SesSmtpPassword;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.IamPolicy;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Custom::SesSmtpCredentials end to end: the real handler (MoodleSource's function), the two
 * secrets in moto's Secrets Manager as template.yaml creates them (the IAM key as the template
 * writes it; a placeholder for the credentials), the resource's properties as template.yaml
 * declares them, and CloudFormation's response URL on a local receiver. The IAM key itself is the
 * test's (moto's IAM is not needed: the resource only reads what the template wrote).
 */
@ExtendWith(MotoExtension.class)
class SmtpCredentialsTest {
    private static final String KEY_ID = "AKIAEXAMPLESMTP00001";
    private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private SourceStack stack;
    private LocalHttp http;
    private SecretsManagerClient sm;
    private String keySecret;
    private String smtpSecret;
    private CfnTemplate.Resolver resolver;

    @BeforeEach
    void setUp() {
        stack = new SourceStack("moodle").create();
        http = new LocalHttp();
        sm = AwsCallRecorder.unrecorded(SecretsManagerClient.builder());
        keySecret = sm.createSecret(r -> r.name("MailSmtpKeySecret-x").secretString(key(KEY_ID, SECRET_KEY))).arn();
        smtpSecret = sm.createSecret(r -> r.name("MailSmtpSecret-x")
                .secretString("{\"username\": \"\", \"password\": \"placeholder0placeholder0placeho\"}")).arn();
        Map<String, String> names = new HashMap<>(Map.of("MailSmtpKeySecret", keySecret, "MailSmtpSecret", smtpSecret,
                "MailSmtpAccessKey", KEY_ID, "MoodleSourceFunctionAliaslive",
                "arn:aws:lambda:us-east-1:123456789012:function:moodle-moodle-source:live",
                "SourceBucket.Arn", "arn:aws:s3:::" + stack.bucket, "ArtifactBucket.Arn", "arn:aws:s3:::" + stack.artifactBucket));
        resolver = new CfnTemplate.Resolver(stack.template, "moodle", Map.of("MailDomain", "example.edu"), names);
    }

    @AfterEach
    void stop() {
        sm.close();
        http.close();
        stack.close();
    }

    /** The key secret as template.yaml's MailSmtpKeySecret writes it. */
    private static String key(String id, String secret) {
        return "{\"access_key_id\": \"" + id + "\", \"secret_access_key\": \"" + secret + "\"}";
    }

    /** A request for MailSmtpCredentials as template.yaml declares it, its references resolved. */
    private byte[] event(String requestType, Map<String, String> overrides) {
        try {
            ObjectNode n = (ObjectNode) SourceStack.MAPPER.readTree(stack.event(requestType, http.responseUrl(), Map.of()));
            n.put("ResourceType", SmtpCredentialsResource.TYPE);
            n.put("LogicalResourceId", "MailSmtpCredentials");
            if (requestType.equals("Create")) {
                n.remove("PhysicalResourceId");
            } else {
                n.put("PhysicalResourceId", SmtpCredentialsResource.physicalId("moodle"));
            }
            ObjectNode props = n.putObject("ResourceProperties");
            stack.template.properties("MailSmtpCredentials").forEach((k, v) -> props.put(k, resolver.string(v)));
            overrides.forEach(props::put);
            if (requestType.equals("Update")) {
                n.set("OldResourceProperties", props.deepCopy());
            }
            return SourceStack.MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode lastAnswer() throws IOException {
        return SourceStack.MAPPER.readTree(http.answers().get(http.answers().size() - 1).body());
    }

    private JsonNode smtpCredentials() throws IOException {
        return SourceStack.MAPPER.readTree(sm.getSecretValue(r -> r.secretId(smtpSecret)).secretString());
    }

    private int smtpVersions() {
        return sm.listSecretVersionIds(r -> r.secretId(smtpSecret)).versions().size();
    }

    @Test
    void createWritesTheDocumentedSmtpPasswordAndAnswersOnlyTheUserName() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Create", Map.of()));

        JsonNode answer = lastAnswer();
        assertThat(answer.path("Status").asText()).as(answer.toString()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-ses-smtp-credentials");
        assertThat(answer.path("Data").path("Username").asText()).isEqualTo(KEY_ID);
        assertThat(answer.path("Data").path("Endpoint").asText()).isEqualTo("email-smtp.us-east-1.amazonaws.com");
        String password = SesSmtpPassword.derive(SECRET_KEY, "us-east-1");
        assertThat(smtpCredentials().path("username").asText()).isEqualTo(KEY_ID);
        assertThat(smtpCredentials().path("password").asText()).isEqualTo(password);
        assertThat(run.outcome()).isEqualTo("WRITTEN");
        assertThat(run.metrics()).containsExactly("SmtpCredentialsWritten");
        // Neither the key nor the password in the answer, the result or any log line.
        assertThat(answer + run.allOutput()).doesNotContain(password).doesNotContain(SECRET_KEY);
    }

    @Test
    void aRepeatedUpdateAddsNoVersionAndARotatedKeyWritesItsNewPassword() throws Exception {
        stack.invoke(stack.handler(), event("Create", Map.of()));
        int versions = smtpVersions();

        stack.invoke(stack.handler(), event("Update", Map.of()));
        assertThat(lastAnswer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(smtpVersions()).as("same key, Region and secret: the same idempotency token").isEqualTo(versions);

        // MailSmtpKeySerial raised: CloudFormation makes a new key and rewrites its secret, then updates this.
        String newSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
        sm.putSecretValue(r -> r.secretId(keySecret).secretString(key("AKIAEXAMPLESMTP00002", newSecret)));
        stack.invoke(stack.handler(), event("Update", Map.of("AccessKeyId", "AKIAEXAMPLESMTP00002")));

        assertThat(lastAnswer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(smtpCredentials().path("username").asText()).isEqualTo("AKIAEXAMPLESMTP00002");
        assertThat(smtpCredentials().path("password").asText()).isEqualTo(SesSmtpPassword.derive(newSecret, "us-east-1"));
    }

    @Test
    void aKeySecretThatHoldsAnotherKeyFailsAndChangesNothing() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Create", Map.of("AccessKeyId", "AKIAEXAMPLEOTHER0001")));

        assertThat(lastAnswer().path("Status").asText()).isEqualTo("FAILED");
        assertThat(lastAnswer().path("Reason").asText()).contains("holds another key than AccessKeyId AKIAEXAMPLEOTHER0001");
        assertThat(smtpCredentials().path("username").asText()).isEmpty();
        assertThat(run.allOutput()).doesNotContain(SECRET_KEY);
    }

    @Test
    void aKeySecretThatIsNotJsonFailsWithoutQuotingIt() throws Exception {
        sm.putSecretValue(r -> r.secretId(keySecret).secretString("hunter2-not-json " + SECRET_KEY));

        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Create", Map.of()));

        assertThat(lastAnswer().path("Status").asText()).isEqualTo("FAILED");
        assertThat(lastAnswer().path("Reason").asText()).contains("it is not JSON");
        assertThat(lastAnswer() + run.allOutput()).doesNotContain("hunter2").doesNotContain(SECRET_KEY);
        assertThat(run.metrics()).contains("SmtpCredentialsFailed");
    }

    @Test
    void deleteLeavesTheSecretsToCloudFormation() throws Exception {
        stack.invoke(stack.handler(), event("Create", Map.of()));
        int versions = smtpVersions();

        stack.invoke(stack.handler(), event("Delete", Map.of()));

        assertThat(lastAnswer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(smtpVersions()).isEqualTo(versions);
        assertThat(sm.getSecretValue(r -> r.secretId(keySecret)).secretString()).contains(KEY_ID);
    }

    /** Least privilege for this resource: its calls are the two grants the template adds with MailDomain. */
    @Test
    void itReadsOnlyTheKeySecretAndWritesOnlyTheCredentialsSecret() {
        List<RecordedCall> calls = AwsCallRecorder.record(() -> {
            stack.invoke(stack.handler(), event("Create", Map.of()));
            stack.invoke(stack.handler(), event("Update", Map.of()));
            stack.invoke(stack.handler(), event("Delete", Map.of()));
        }).calls();
        IamPolicy withMail = stack.template.functionPolicy("MoodleSourceFunction", resolver);
        IamPolicy withoutMail = stack.functionPolicy();

        assertThat(calls).extracting(c -> c.action() + " " + c.resources()).containsOnly(
                "secretsmanager:GetSecretValue [" + keySecret + "]", "secretsmanager:PutSecretValue [" + smtpSecret + "]");
        assertThat(withMail.violations(calls)).isEmpty();
        assertThat(withMail.allows("secretsmanager:GetSecretValue", smtpSecret)).isFalse();
        assertThat(withMail.allows("secretsmanager:PutSecretValue", keySecret)).isFalse();
        assertThat(withoutMail.violations(calls)).as("no mail: no secret grants").hasSize(calls.size());
    }
}
