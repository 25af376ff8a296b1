package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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
    private static final String STACK = "unattended";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCUMENT = "{\"schemaVersion\": \"2.2\", \"mainSteps\": [{\"action\": \"aws:runShellScript\","
            + " \"name\": \"install\", \"inputs\": {\"runCommand\": [\"bash /opt/moodle-autopilot/bundle/scripts/unattended-install.sh\"]}}]}";

    private TestSite site;

    @AfterEach
    void down() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    @Test
    void twoInstancesBootingAtOnceInstallMoodleOnce(MotoServer moto) throws Exception {
        assumeTrue(TestSite.runnable(), "no .venv-awscli or apache2 (scripts/test installs them)");
        site = new TestSite(STACK, moto.url(), Map.of());
        TestSite.Run up = site.run(null, "up", "--no-install", "--database-sessions", "--no-cache");
        assertThat(up.exit()).as(up.output()).isZero();
        assertThat(up.output()).contains("install state: empty", "SITE_URL=http://127.0.0.1:");

        ObjectNode config = (ObjectNode) JSON.readTree(site.dir.resolve("state.json").toFile()).path("site");
        String admin = Files.readString(site.dir.resolve("admin-secret.json"));
        String password = JSON.readTree(admin).path("password").asText();
        try (SecretsManagerClient sm = SecretsManagerClient.builder().endpointOverride(URI.create(moto.url()))
                .region(Region.US_EAST_1).credentialsProvider(TestSite.credentials()).build();
             SsmClient ssm = SsmClient.builder().endpointOverride(URI.create(moto.url()))
                     .region(Region.US_EAST_1).credentialsProvider(TestSite.credentials()).build()) {
            String arn = sm.createSecret(r -> r.name("/Moodle/" + STACK + "/AdminUser").secretString(admin)).arn();
            config.put("install_mode", "Unattended").put("admin_secret_arn", arn);
            ssm.putParameter(r -> r.name("/Moodle/" + STACK + "/Site/Config").type(ParameterType.STRING)
                    .value(config.toString()));
        }
        String job = JSON.createObjectNode().put("content", DOCUMENT).set("parameters", JSON.createObjectNode()).toString();

        CompletableFuture<TestSite.Run> first = CompletableFuture.supplyAsync(() -> site.runDocument(job));
        CompletableFuture<TestSite.Run> second = CompletableFuture.supplyAsync(() -> site.runDocument(job));
        List<TestSite.Run> runs = List.of(first.get(), second.get());

        for (TestSite.Run r : runs) {
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("waiting for the install lock on the shared dataroot");
        }
        String both = runs.get(0).output() + runs.get(1).output();
        assertThat(count(both, "installing Moodle's database with the CLI installer")).as(both).isEqualTo(1);
        assertThat(count(both, "Moodle's database is installed")).isEqualTo(1);
        assertThat(count(both, "Moodle is already installed")).as("the other instance waited, then found it").isEqualTo(1);
        assertThat(Path.of(config.path("dataroot").asText(), ".autopilot-install.lock")).exists();
        // A third boot, later: nothing to do.
        TestSite.Run again = site.runDocument(job);
        assertThat(again.output()).contains("Moodle is already installed").doesNotContain("installing Moodle's database");
        String log = Files.readString(site.dir.resolve("log/autopilot.log"));
        assertThat(log).contains("Installation completed successfully");
        assertThat(both + again.output() + log + up.output()).doesNotContain(password);
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
