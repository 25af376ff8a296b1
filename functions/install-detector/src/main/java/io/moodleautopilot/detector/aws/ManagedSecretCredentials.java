package io.moodleautopilot.detector.aws;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.install.Credentials;
import io.moodleautopilot.core.install.DetectorPorts;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.function.Supplier;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * The database login from Aurora's managed master secret ({"username": ..., "password": ...}),
 * read once per container and again only after an authentication failure. Error messages name the
 * secret, never its value.
 */
public final class ManagedSecretCredentials implements DetectorPorts.CredentialsSource {
    private final Supplier<SecretsManagerClient> secrets;
    private final String secretId;
    private volatile Credentials cached;

    public ManagedSecretCredentials(Supplier<SecretsManagerClient> secrets, String secretId) {
        this.secrets = secrets;
        this.secretId = secretId;
    }

    @Override
    public Credentials get() {
        Credentials c = cached;
        if (c == null) {
            c = fetch();
            cached = c;
        }
        return c;
    }

    @Override
    public void invalidate() {
        cached = null;
    }

    private Credentials fetch() {
        String json;
        try {
            json = secrets.get().getSecretValue(r -> r.secretId(secretId)).secretString();
        } catch (ResourceNotFoundException e) {
            throw new ConfigurationException("database secret '" + secretId + "' does not exist");
        }
        try {
            JsonValue n = Json.parse(json == null ? "" : json);
            String user = n.path("username").asText("");
            String password = n.path("password").asText("");
            if (user.isEmpty() || password.isEmpty()) {
                throw new ConfigurationException("database secret '" + secretId + "' has no username or password");
            }
            return new Credentials(user, password);
        } catch (JsonException e) {
            throw new ConfigurationException("database secret '" + secretId + "' is not JSON");
        }
    }
}
