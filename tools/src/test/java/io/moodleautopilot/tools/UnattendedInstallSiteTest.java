package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The bootstrap's Unattended install for real: bundle/files/scripts/unattended-install.sh, as the
 * bootstrap runs it on every new instance, on a real web tier (scripts/local_site.py up
 * --no-install: PostgreSQL with TLS, an empty database, config.php rendered) with the site
 * configuration and the admin secret in moto, read by the AWS CLI. Two instances booting at once
 * run it together: the lock on the shared dataroot lets one install while the other waits, then
 * finds Moodle installed. The admin password appears in no output and no log.
 *
 * <p>It runs through the same runner as the local stack's Run Command (local_site.py
 * run-document), which gives the script the instance's environment.
 */
@ExtendWith(MotoExtension.class)
class UnattendedInstallSiteTest {
    private static final Path ROOT = CfnTemplate.repositoryRoot();
    private static final String STACK = "unattended";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCUMENT = "{\"schemaVersion\": \"2.2\", \"mainSteps\": [{\"action\": \"aws:runShellScript\","
            + " \"name\": \"install\", \"inputs\": {\"runCommand\": [\"bash /opt/moodle-autopilot/bundle/scripts/unattended-install.sh\"]}}]}";

    private Path siteDir;

    private record Run(int exit, String output) {
    }

    private Run site(MotoServer moto, String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", ROOT.resolve("scripts/local_site.py").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("AUTOPILOT_SITE_DIR", siteDir.toString());
        pb.environment().put("STACK_NAME", STACK);
        pb.environment().put("AWS_ENDPOINT_URL", moto.url());
        Process p = pb.start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    @AfterEach
    void down() throws Exception {
        if (siteDir != null) {
            ProcessBuilder pb = new ProcessBuilder("python3", ROOT.resolve("scripts/local_site.py").toString(), "down", "--purge")
                    .inheritIO();
            pb.environment().put("AUTOPILOT_SITE_DIR", siteDir.toString()); // never the default site
            pb.start().waitFor();
            siteDir = null;
        }
    }

    @Test
    void twoInstancesBootingAtOnceInstallMoodleOnce(MotoServer moto) throws Exception {
        assumeTrue(Files.isExecutable(ROOT.resolve(".venv-awscli/bin/aws")), "no .venv-awscli (scripts/test installs it)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/apache2")), "no apache2 (scripts/test installs it: lib.sh ensure_site_packages)");
        // Not a JUnit temporary directory: PostgreSQL, Redis and the web user must traverse it.
        siteDir = ROOT.resolve(".local/test-site-" + UUID.randomUUID().toString().substring(0, 8));
        Run up = site(moto, null, "up", "--no-install", "--database-sessions", "--no-cache");
        assertThat(up.exit()).as(up.output()).isZero();
        assertThat(up.output()).contains("install state: empty", "SITE_URL=http://127.0.0.1:");

        ObjectNode config = (ObjectNode) JSON.readTree(siteDir.resolve("state.json").toFile()).path("site");
        String admin = Files.readString(siteDir.resolve("admin-secret.json"));
        String password = JSON.readTree(admin).path("password").asText();
        try (SecretsManagerClient sm = SecretsManagerClient.builder().endpointOverride(URI.create(moto.url()))
                .region(Region.US_EAST_1).credentialsProvider(credentials()).build();
             SsmClient ssm = SsmClient.builder().endpointOverride(URI.create(moto.url()))
                     .region(Region.US_EAST_1).credentialsProvider(credentials()).build()) {
            String arn = sm.createSecret(r -> r.name("/Moodle/" + STACK + "/AdminUser").secretString(admin)).arn();
            config.put("install_mode", "Unattended").put("admin_secret_arn", arn);
            ssm.putParameter(r -> r.name("/Moodle/" + STACK + "/Site/Config").type(ParameterType.STRING)
                    .value(config.toString()));
        }
        String job = JSON.createObjectNode().put("content", DOCUMENT).set("parameters", JSON.createObjectNode()).toString();

        CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> runQuietly(moto, job));
        CompletableFuture<Run> second = CompletableFuture.supplyAsync(() -> runQuietly(moto, job));
        List<Run> runs = List.of(first.get(), second.get());

        for (Run r : runs) {
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("waiting for the install lock on the shared dataroot");
        }
        String both = runs.get(0).output() + runs.get(1).output();
        assertThat(count(both, "installing Moodle's database with the CLI installer")).as(both).isEqualTo(1);
        assertThat(count(both, "Moodle's database is installed")).isEqualTo(1);
        assertThat(count(both, "Moodle is already installed")).as("the other instance waited, then found it").isEqualTo(1);
        assertThat(Path.of(config.path("dataroot").asText(), ".autopilot-install.lock")).exists();
        // A third boot, later: nothing to do.
        Run again = runQuietly(moto, job);
        assertThat(again.output()).contains("Moodle is already installed").doesNotContain("installing Moodle's database");
        String log = Files.readString(siteDir.resolve("log/autopilot.log"));
        assertThat(log).contains("Installation completed successfully");
        assertThat(both + again.output() + log + up.output()).doesNotContain(password);
    }

    private Run runQuietly(MotoServer moto, String job) {
        try {
            return site(moto, job, "run-document");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    }
}
