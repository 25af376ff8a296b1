package io.moodleautopilot.source;

import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.mail.SesSmtpPassword;
import io.moodleautopilot.function.Telemetry;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceProtocol.Answer;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.JsonEventHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * {@value #TYPE}: Moodle's SMTP credentials for Amazon SES. Create and Update read the IAM key the
 * template keeps in {@code KeySecretArn} ({"access_key_id", "secret_access_key"}), derive the
 * Region's SES SMTP password from it ({@link SesSmtpPassword}) and write {"username", "password"}
 * to {@code SmtpSecretArn}, the only copy the web instances read. A new key (the template's
 * MailSmtpKeySerial raised) changes {@code AccessKeyId}, so CloudFormation sends an Update after
 * it has rewritten the key's secret. Delete does nothing: both secrets are the template's.
 *
 * <p>Neither the key nor the password appears in the answer, a log line or the result: the answer's
 * Data is the user name (the access key id, which is not a secret) and the SMTP endpoint.
 */
final class SmtpCredentialsResource implements CustomResourceProtocol.Resource {
    static final String TYPE = "Custom::SesSmtpCredentials";
    private static final Logger LOG = LoggerFactory.getLogger(SmtpCredentialsResource.class);
    private static final Pattern SECRET_ARN =
            Pattern.compile("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$");
    private static final Pattern ACCESS_KEY_ID = Pattern.compile("^[A-Z0-9]{16,128}$");

    private final Supplier<SecretsManagerClient> secrets;
    private final Telemetry telemetry;
    private final String stack;
    private final String namespace;

    SmtpCredentialsResource(Supplier<SecretsManagerClient> secrets, Telemetry telemetry, String stack, String namespace) {
        this.secrets = secrets;
        this.telemetry = telemetry;
        this.stack = stack;
        this.namespace = namespace;
    }

    static String physicalId(String stack) {
        return stack + "-ses-smtp-credentials";
    }

    @Override
    public String physicalId() {
        return physicalId(stack);
    }

    @Override
    public Answer apply(CustomResourceRequest request, Deadline deadline) {
        String keySecret = request.property("KeySecretArn");
        String smtpSecret = request.property("SmtpSecretArn");
        String region = request.property("Region");
        String keyId = request.property("AccessKeyId");
        String problem = !SECRET_ARN.matcher(keySecret).matches() ? "KeySecretArn is not a Secrets Manager secret ARN"
                : !SECRET_ARN.matcher(smtpSecret).matches() ? "SmtpSecretArn is not a Secrets Manager secret ARN"
                : !ACCESS_KEY_ID.matcher(keyId).matches() ? "AccessKeyId is not an IAM access key id"
                : null;
        if (problem != null) {
            telemetry.count(namespace, stack, "InvalidRequest");
            return Answer.failed(problem + "; nothing changed", "FAILED");
        }
        JsonValue key;
        try {
            key = Json.parse(secrets.get().getSecretValue(r -> r.secretId(keySecret)).secretString());
        } catch (RuntimeException e) {
            // The SDK's messages name the secret, never its value; Jackson's could quote it, so not those.
            String why = e instanceof JsonException ? "it is not JSON" : e.getMessage();
            return failed("cannot read the SMTP user's key from " + keySecret + ": " + why);
        }
        if (!keyId.equals(key.path("access_key_id").asText())) {
            return failed(keySecret + " holds another key than AccessKeyId " + keyId
                    + " (the template writes both from the same AWS::IAM::AccessKey)");
        }
        String password;
        try {
            password = SesSmtpPassword.derive(key.path("secret_access_key").asText(), region);
        } catch (IllegalArgumentException e) {
            return failed("cannot derive the SMTP password: " + e.getMessage());
        }
        JsonObject credentials = new JsonObject().put("username", keyId).put("password", password);
        try {
            // The same key, Region and secret give the same token: Secrets Manager then ignores a
            // repeated request (a retried Update) instead of stacking identical versions.
            secrets.get().putSecretValue(r -> r.secretId(smtpSecret).secretString(credentials.toString())
                    .clientRequestToken(token(keyId, region, smtpSecret)));
        } catch (RuntimeException e) {
            return failed("cannot write the SMTP credentials to " + smtpSecret + ": " + e.getMessage());
        }
        String endpoint = SesSmtpPassword.endpoint(region);
        String reason = "SMTP credentials of " + keyId + " for " + endpoint + ":587 written to " + smtpSecret;
        LOG.info(reason);
        telemetry.count(namespace, stack, "SmtpCredentialsWritten");
        JsonObject result = JsonEventHandler.outcome("WRITTEN", reason);
        return new Answer(true, reason, Map.of("Username", keyId, "Endpoint", endpoint), result);
    }

    @Override
    public Answer delete(CustomResourceRequest request, Deadline deadline) {
        String reason = "nothing to delete: CloudFormation deletes the two secrets and the key";
        return new Answer(true, reason, Map.of(), JsonEventHandler.outcome("DELETED", reason));
    }

    @Override
    public void failed(String requestType, String reason) {
        telemetry.count(namespace, stack, "SmtpCredentialsFailed");
    }

    @Override
    public void refused(String reason) {
        telemetry.count(namespace, stack, "RejectedEvent");
    }

    private Answer failed(String reason) {
        LOG.error(reason);
        telemetry.count(namespace, stack, "SmtpCredentialsFailed");
        return Answer.failed(reason, "FAILED");
    }

    /** A UUID-shaped idempotency token (Secrets Manager asks for 32 to 64 characters). */
    static String token(String keyId, String region, String secretArn) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((keyId + "\n" + region + "\n" + secretArn).getBytes(StandardCharsets.UTF_8));
            String h = HexFormat.of().formatHex(d, 0, 16);
            return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                    + "-" + h.substring(20, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
