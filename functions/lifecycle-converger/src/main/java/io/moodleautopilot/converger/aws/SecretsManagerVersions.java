package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.Ports;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * The current version of each secret the instances read for Moodle, by DescribeSecret: the
 * version ids and their stages, never a value (GetSecretValue is the instances' alone).
 */
public final class SecretsManagerVersions implements Ports.InstanceSecrets {
    private final Supplier<SecretsManagerClient> secrets;
    private final List<String> arns;

    public SecretsManagerVersions(Supplier<SecretsManagerClient> secrets, List<String> arns) {
        this.secrets = secrets;
        this.arns = List.copyOf(arns);
    }

    @Override
    public String currentVersions() {
        StringBuilder out = new StringBuilder();
        for (String arn : arns) {
            Map<String, List<String>> stages = secrets.get().describeSecret(r -> r.secretId(arn)).versionIdsToStages();
            String current = stages.entrySet().stream().filter(e -> e.getValue().contains("AWSCURRENT"))
                    .map(Map.Entry::getKey).findFirst()
                    .orElseThrow(() -> new IllegalStateException(arn + " has no AWSCURRENT version"));
            out.append(arn).append('=').append(current).append(';');
        }
        return out.toString();
    }
}
