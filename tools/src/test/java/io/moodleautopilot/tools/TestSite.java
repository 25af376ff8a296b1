package io.moodleautopilot.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.CfnTemplate;
import java.io.IOException;
import java.net.URI;
import java.util.Base64;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * A real web tier of a test's own (scripts/local_site.py with AUTOPILOT_SITE_DIR), never the
 * checkout's .local/site: its commands run with the instance scripts' view of AWS (the stack's name,
 * an endpoint), and {@link #close()} stops it and deletes its data. The directory is under .local/,
 * not a JUnit temporary directory: PostgreSQL, Redis and the web user must traverse it.
 */
final class TestSite implements AutoCloseable {
    static final Path ROOT = CfnTemplate.repositoryRoot();

    record Run(int exit, String output) {
    }

    final Path dir = ROOT.resolve(".local/test-site-" + UUID.randomUUID().toString().substring(0, 8));
    private final Map<String, String> env = new LinkedHashMap<>();
    private final String stack;
    private final String awsEndpoint;
    /** The stack's moodle-config document as template.yaml declares it: its command, its Payload pattern. */
    private static final String MOODLE_CONFIG_DOCUMENT = "{\"schemaVersion\": \"2.2\", \"parameters\": {\"Payload\":"
            + " {\"type\": \"String\", \"allowedPattern\": \"^[A-Za-z0-9+/]*={0,2}$\"}}, \"mainSteps\": [{\"action\":"
            + " \"aws:runShellScript\", \"name\": \"apply\", \"inputs\": {\"runCommand\": [\"bash"
            + " /opt/moodle-autopilot/bundle/scripts/apply-moodle-config.sh '{{ Payload }}'\"]}}]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param extraEnv added to every command's environment (e.g. LDAPTLS_CACERT for up) */
    TestSite(String stack, String awsEndpoint, Map<String, String> extraEnv) {
        this.stack = stack;
        this.awsEndpoint = awsEndpoint;
        env.put("AUTOPILOT_SITE_DIR", dir.toString());
        env.put("STACK_NAME", stack);
        env.put("AWS_ENDPOINT_URL", awsEndpoint);
        env.putAll(extraEnv);
    }

    static boolean runnable() {
        return Files.isExecutable(ROOT.resolve(".venv-awscli/bin/aws")) && Files.isExecutable(Path.of("/usr/sbin/apache2"));
    }

    /** local_site.py with these arguments, {@code input} on its stdin; stdout and stderr together. */
    Run run(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", ROOT.resolve("scripts/local_site.py").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    /** A document run on the site as the local stack's Run Command runs it. */
    Run runDocument(String job) {
        try {
            return run(job, "run-document");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A moodle-config run (local_site.py run-document's job) applying these settings, no application cache. */
    static String moodleConfigJob(Map<String, String> settings) {
        ObjectNode payload = JSON.createObjectNode();
        payload.set("settings", JSON.valueToTree(settings));
        payload.putNull("applicationCache");
        String base64 = Base64.getEncoder().encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8));
        ObjectNode job = JSON.createObjectNode().put("content", MOODLE_CONFIG_DOCUMENT);
        job.set("parameters", JSON.createObjectNode().set("Payload", JSON.createArrayNode().add(base64)));
        return job.toString();
    }

    /** Secrets Manager in the test's emulator. */
    SecretsManagerClient secretsManager() {
        return SecretsManagerClient.builder().endpointOverride(URI.create(awsEndpoint)).region(Region.US_EAST_1)
                .credentialsProvider(credentials()).build();
    }

    /**
     * A secret in the emulator, named by the site configuration under {@code configKey}, as the
     * stack's site configuration names its secrets (after {@code up}, which wrote the configuration).
     *
     * @return the secret's ARN
     */
    String secretInSiteConfig(String configKey, String secretName, String secretString) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("state.json").toFile()).path("site");
        try (SecretsManagerClient sm = secretsManager();
             SsmClient ssm = SsmClient.builder().endpointOverride(URI.create(awsEndpoint)).region(Region.US_EAST_1)
                     .credentialsProvider(credentials()).build()) {
            String arn = sm.createSecret(r -> r.name("/Moodle/" + stack + "/" + secretName).secretString(secretString)).arn();
            config.put(configKey, arn);
            ssm.putParameter(r -> r.name("/Moodle/" + stack + "/Site/Config").type(ParameterType.STRING)
                    .value(config.toString()).overwrite(true));
            return arn;
        }
    }

    @Override
    public void close() throws Exception {
        run(null, "down", "--purge");
    }

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    }
}
