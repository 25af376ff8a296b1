package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import java.io.IOException;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * MoodleSource against the site's upgrade record (SSM in moto, at the name template.yaml gives the
 * function) and with declared plugins (from a local HTTPS stand-in and from the source bucket): the
 * refusals stage nothing, the plugins land under plugins/ with the manifest the instances read.
 */
@ExtendWith(MotoExtension.class)
class UpgradeAndPluginsTest {
    private static final String RELEASE_457 = "4.5.7 (Build: 20250915)";
    private SourceStack stack;
    private LocalHttp http;
    private String releaseUrl;
    private final SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder());

    @BeforeEach
    void setUp() {
        stack = new SourceStack("moodle").create();
        http = new LocalHttp();
        http.serve("/stable405/moodle-4.5.7.tgz", Archives.tinyMoodleRelease(RELEASE_457));
        releaseUrl = http.url("/stable405/moodle-4.5.7.tgz");
        stack.pinned(new PinnedFixture(http).properties());
    }

    @AfterEach
    void stop() {
        http.close();
        stack.close();
        ssm.close();
    }

    private String recordName() {
        return stack.templateEnvironment().get("UPGRADE_PARAMETER");
    }

    private void record(String json) {
        ssm.putParameter(r -> r.name(recordName()).type(ParameterType.STRING).value(json).overwrite(true));
    }

    private FunctionRun.Outcome stage(String type, Map<String, ?> props) {
        http.clearAnswers();
        return stack.invoke(stack.handler(), stack.event(type, http.responseUrl(), props));
    }

    private JsonNode answer() throws IOException {
        assertThat(http.answers()).hasSize(1);
        return SourceStack.MAPPER.readTree(http.answers().get(0).body());
    }

    private static String plugins(String... entries) {
        return "[" + String.join(",", entries) + "]";
    }

    private static String byUrl(String component, String url, byte[] zip) {
        return "{\"component\":\"" + component + "\",\"url\":\"" + url + "\",\"sha256\":\"" + Archives.sha256(zip) + "\"}";
    }

    @Test
    void theRecordsNameIsTheOneTheContractGives() {
        assertThat(recordName()).isEqualTo("/Moodle/moodle/Automation/Upgrade");
    }

    @Test
    void aDowngradeIsRefusedWithBothVersionsAndNothingIsStaged() throws Exception {
        record("{\"state\":\"DONE\",\"database\":{\"version\":\"2024100708.00\",\"release\":\"4.5.8 (Build: 20251110)\","
                + "\"branch\":\"405\"}}");

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl));

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("refused").contains("4.5.7 (Build: 20250915) (2024100707.00)")
                .contains("4.5.8 (Build: 20251110) (2024100708.00)").contains("downgrade").contains("nothing was staged");
        assertThat(stack.versions()).isEmpty();
        assertThat(run.metrics()).containsExactly("SourceFailed");
        assertThat(stack.workRootIsEmpty()).isTrue();
    }

    @Test
    void aJumpMoodleDoesNotSupportIsRefusedAndNothingIsStaged() throws Exception {
        record("{\"state\":\"CURRENT\",\"database\":{\"version\":\"2021051718.00\",\"release\":\"3.11.18 (Build: 20231211)\","
                + "\"branch\":\"311\"}}");

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl));

        assertThat(run.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("requires a site at 4.1.2 or later")
                .contains("3.11.18 (Build: 20231211)");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void anUpgradeFromASupportedReleaseStagesAndAnswersWhatWasStaged() throws Exception {
        record("{\"state\":\"DONE\",\"database\":{\"version\":\"2024100706.00\",\"release\":\"4.5.6 (Build: 20250811)\"}}");

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl));

        assertThat(run.outcome()).isEqualTo("STAGED");
        JsonNode data = answer().path("Data");
        assertThat(data.path("MoodleRelease").asText()).isEqualTo(RELEASE_457);
        assertThat(data.path("MoodleBuild").asText()).isEqualTo("2024100707.00");
        assertThat(stack.metadata()).containsEntry("moodle-version", "2024100707.00")
                .doesNotContainKey("plugins-digest");
        assertThat(Archives.unzip(stack.object(stack.versions().get(0).versionId())).keySet())
                .as("no plugin declared: no plugins/ at all").noneMatch(k -> k.startsWith("plugins/"));

        // Repeated: nothing staged, the same release and build answered from the object's metadata.
        assertThat(stage("Update", Map.of("ReleaseUrl", releaseUrl)).outcome()).isEqualTo("UNCHANGED");
        assertThat(answer().path("Data").path("MoodleBuild").asText()).isEqualTo("2024100707.00");
    }

    @Test
    void aPhpTheReleaseDoesNotSupportIsRefused() throws Exception {
        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl, "InstancePhpVersion", "8.4"));

        assertThat(run.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("does not support PHP 8.4 or later");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void aPluginFromAUrlIsStagedAtItsTypesPathWithTheManifest() throws Exception {
        byte[] plugin = Archives.plugin("local_autopilottest", "2025010100", "2024100700");
        http.serve("/plugins/local_autopilottest.zip", plugin);
        String declared = plugins(byUrl("local_autopilottest", http.url("/plugins/local_autopilottest.zip"), plugin));

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl, "Plugins", declared));

        assertThat(run.outcome()).isEqualTo("STAGED");
        assertThat(answer().path("Reason").asText()).contains("plugins local_autopilottest 2025010100 at local/autopilottest");
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(stack.versions().get(0).versionId()));
        assertThat(zip.get("plugins/local_autopilottest.zip").content()).as("the archive exactly as declared")
                .isEqualTo(plugin);
        JsonNode manifest = SourceStack.MAPPER.readTree(zip.get("plugins/manifest.json").content());
        assertThat(manifest.path("plugins")).hasSize(1);
        JsonNode entry = manifest.path("plugins").path(0);
        assertThat(entry.path("component").asText()).isEqualTo("local_autopilottest");
        assertThat(entry.path("path").asText()).isEqualTo("local/autopilottest");
        assertThat(entry.path("archive").asText()).isEqualTo("plugins/local_autopilottest.zip");
        assertThat(entry.path("sha256").asText()).isEqualTo(Archives.sha256(plugin));
        assertThat(entry.path("version").asText()).isEqualTo("2025010100");
        assertThat(stack.metadata()).containsKey("plugins-digest");

        // The same declaration again stages nothing; a raised version (new zip, new checksum) does.
        assertThat(stage("Update", Map.of("ReleaseUrl", releaseUrl, "Plugins", declared)).outcome()).isEqualTo("UNCHANGED");
        byte[] raised = Archives.plugin("local_autopilottest", "2025010101", "2024100700");
        http.serve("/plugins/local_autopilottest-2.zip", raised);
        FunctionRun.Outcome again = stage("Update", Map.of("ReleaseUrl", releaseUrl, "Plugins",
                plugins(byUrl("local_autopilottest", http.url("/plugins/local_autopilottest-2.zip"), raised))));
        assertThat(again.outcome()).isEqualTo("STAGED");
        assertThat(answer().path("Reason").asText()).contains("the declared plugins changed");
        assertThat(stack.versions()).hasSize(2);
    }

    @Test
    void aPluginFromTheSourceBucketIsStaged() throws Exception {
        byte[] plugin = Archives.plugin("mod_autopilotmod", "2025020300", "2024100700");
        stack.s3.putObject(r -> r.bucket(stack.bucket).key("plugins/mod_autopilotmod.zip"), RequestBody.fromBytes(plugin));
        String declared = "[{\"component\":\"mod_autopilotmod\",\"s3Key\":\"plugins/mod_autopilotmod.zip\",\"sha256\":\""
                + Archives.sha256(plugin) + "\"}]";

        assertThat(stage("Create", Map.of("ReleaseUrl", releaseUrl, "Plugins", declared)).outcome()).isEqualTo("STAGED");

        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(stack.versions().get(0).versionId()));
        assertThat(zip.get("plugins/mod_autopilotmod.zip").content()).isEqualTo(plugin);
        assertThat(SourceStack.MAPPER.readTree(zip.get("plugins/manifest.json").content()).path("plugins").path(0)
                .path("path").asText()).isEqualTo("mod/autopilotmod");
    }

    @Test
    void aMissingBucketPluginFailsClearly() throws Exception {
        String declared = "[{\"component\":\"mod_gone\",\"s3Key\":\"plugins/mod_gone.zip\",\"sha256\":\"" + "a".repeat(64) + "\"}]";

        assertThat(stage("Create", Map.of("ReleaseUrl", releaseUrl, "Plugins", declared)).outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("plugins/mod_gone.zip does not exist");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void aPluginWithAnotherChecksumOrAnUnknownTypeOrALayoutMoodleCannotInstallIsRefused() throws Exception {
        byte[] plugin = Archives.plugin("local_autopilottest", "2025010100", "2024100700");
        http.serve("/p.zip", plugin);
        byte[] qtype = Archives.plugin("qtype_autopilot", "2025010100", "2024100700");
        http.serve("/q.zip", qtype);
        byte[] flat = Archives.zip(Map.of("version.php", "<?php\n$plugin->version = 1;\n"));
        http.serve("/flat.zip", flat);
        Map<String, String> cases = Map.of(
                "[{\"component\":\"local_autopilottest\",\"url\":\"" + http.url("/p.zip") + "\",\"sha256\":\""
                        + "0".repeat(64) + "\"}]", "has SHA-256 " + Archives.sha256(plugin) + ", expected " + "0".repeat(64),
                plugins(byUrl("qtype_autopilot", http.url("/q.zip"), qtype)), "no plugin type 'qtype'",
                plugins(byUrl("local_flat", http.url("/flat.zip"), flat)), "exactly one top-level directory, flat/",
                "[{\"component\":\"local_bad\"}]", "exactly one of url");
        for (var c : cases.entrySet()) {
            assertThat(stage("Create", Map.of("ReleaseUrl", releaseUrl, "Plugins", c.getKey())).outcome())
                    .as(c.getKey()).isIn("FAILED");
            assertThat(answer().path("Reason").asText()).as(c.getKey()).contains(c.getValue());
        }
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void aPluginOlderThanTheDatabasesIsRefused() throws Exception {
        record("{\"state\":\"DONE\",\"database\":{\"version\":\"2024100707.00\",\"release\":\"" + RELEASE_457 + "\"},"
                + "\"plugins\":{\"local_autopilottest\":\"2025010102\"}}");
        byte[] plugin = Archives.plugin("local_autopilottest", "2025010100", "2024100700");
        http.serve("/p.zip", plugin);

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", releaseUrl, "Plugins",
                plugins(byUrl("local_autopilottest", http.url("/p.zip"), plugin))));

        assertThat(run.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText())
                .contains("plugin local_autopilottest 2025010100 is older than the 2025010102 the database has");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void a51ReleaseWithItsTopInPublicPlacesPluginsRelativeToPublic() throws Exception {
        Map<String, String> files = Archives.moodleFiles("5.1 (Build: 20251006)", "2025100600.00", "moodle/public/");
        files.put("moodle/public/version.php", files.get("moodle/public/version.php").replace("'405'", "'501'"));
        files.put("moodle/public/admin/environment.xml", """
                <?xml version="1.0" encoding="UTF-8" ?>
                <COMPATIBILITY_MATRIX>
                  <MOODLE version="5.1" requires="4.2.3">
                    <DATABASE level="required"><VENDOR name="postgres" version="15" /><VENDOR name="mysql" version="8.4" /></DATABASE>
                    <PHP version="8.2.0" level="required" />
                  </MOODLE>
                </COMPATIBILITY_MATRIX>
                """);
        files.put("moodle/composer.json", "{}");
        http.serve("/stable501/moodle-5.1.tgz", Archives.tarGz(files));
        record("{\"state\":\"DONE\",\"database\":{\"version\":\"2024100707.00\",\"release\":\"" + RELEASE_457 + "\"}}");
        byte[] plugin = Archives.plugin("local_autopilottest", "2025010100", "2024100700");
        http.serve("/p.zip", plugin);

        FunctionRun.Outcome run = stage("Create", Map.of("ReleaseUrl", http.url("/stable501/moodle-5.1.tgz"),
                "Plugins", plugins(byUrl("local_autopilottest", http.url("/p.zip"), plugin))));

        assertThat(run.outcome()).isEqualTo("STAGED");
        JsonNode answer = answer();
        assertThat(answer.path("Data").path("MoodleRelease").asText()).isEqualTo("5.1 (Build: 20251006)");
        assertThat(answer.path("Data").path("MoodleBuild").asText()).isEqualTo("2025100600.00");
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(stack.versions().get(0).versionId()));
        assertThat(SourceStack.MAPPER.readTree(zip.get("plugins/manifest.json").content()).path("plugins").path(0)
                .path("path").asText()).as("relative to moodle/public/, which holds version.php").isEqualTo("local/autopilottest");

        // The same 5.1 on Aurora MySQL 3 (MySQL 8.0) is refused: 5.1 lists mysql 8.4.
        assertThat(stage("Update", Map.of("ReleaseUrl", http.url("/stable501/moodle-5.1.tgz"), "DatabaseEngine",
                "aurora-mysql", "DatabaseEngineVersion", "8.0.mysql_aurora.3.10.4")).outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("requires mysql 8.4 or later")
                .contains("aurora-mysql 8.0");
        assertThat(stack.versions()).hasSize(1);
    }

    @Test
    void aMissingPlatformPropertyIsRefusedBeforeAnyDownload() throws Exception {
        assertThat(stage("Create", Map.of("ReleaseUrl", releaseUrl, "InstancePhpVersion", "")).outcome())
                .isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("InstancePhpVersion");
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
        assertThat(stack.versions()).isEmpty();
    }

}
