package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.moodleautopilot.core.release.BundleFiles;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * The custom resource end to end: the real handler, S3 in moto (a versioned bucket), the release
 * served over HTTP from the test, and CloudFormation's response URL on a local receiver.
 */
@ExtendWith(MotoExtension.class)
class MoodleSourceTest {
    private SourceStack stack;
    private LocalHttp http;
    private byte[] release;
    private String releaseUrl;
    private PinnedFixture pinned;

    @BeforeEach
    void setUp() {
        stack = new SourceStack("moodle").create();
        http = new LocalHttp();
        release = Archives.tinyMoodleRelease("4.5.7 (Build: 20250915)");
        http.serve("/stable405/moodle-4.5.7.tgz", release);
        releaseUrl = http.url("/stable405/moodle-4.5.7.tgz");
        pinned = new PinnedFixture(http);
        stack.pinned(pinned.properties());
    }

    @AfterEach
    void stop() {
        http.close();
        stack.close();
    }

    private byte[] event(String type, Map<String, ?> props) {
        return stack.event(type, http.responseUrl(), props);
    }

    private byte[] create() {
        return event("Create", Map.of("ReleaseUrl", releaseUrl));
    }

    /** The one answer CloudFormation got, read as it would read it. */
    private JsonNode answer() throws IOException {
        assertThat(http.answers()).hasSize(1);
        LocalHttp.Captured put = http.answers().get(0);
        assertThat(put.contentType()).as("the pre-signed URL is signed without a content type").isNullOrEmpty();
        return SourceStack.MAPPER.readTree(put.body());
    }

    @Test
    void createStagesTheBundleAndTheReleaseInOneZip() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), create());

        assertThat(run.outcome()).isEqualTo("STAGED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
        assertThat(answer.path("RequestId").asText()).isEqualTo("3c9e6a1d-52b7-4f0e-8d2a-7e4f1b6c9a05");
        assertThat(answer.path("LogicalResourceId").asText()).isEqualTo("MoodleSource");
        assertThat(answer.path("StackId").asText()).startsWith("arn:aws:cloudformation:us-east-1:123456789012:stack/moodle/");

        ObjectVersion staged = stack.versions().get(0);
        assertThat(stack.versions()).hasSize(1);
        JsonNode data = answer.path("Data");
        assertThat(data.path("ObjectKey").asText()).isEqualTo("moodle/release.zip");
        assertThat(data.path("VersionId").asText()).isEqualTo(staged.versionId());
        assertThat(data.path("ReleaseUrl").asText()).isEqualTo(releaseUrl);
        assertThat(data.path("ReleaseSha256").asText()).isEqualTo(Archives.sha256(release));
        assertThat(data.path("MoodleRelease").asText()).as("version.php's $release").isEqualTo("4.5.7 (Build: 20250915)");
        assertThat(data.path("MoodleBuild").asText()).as("version.php's $version").isEqualTo("2024100707.00");

        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(staged.versionId()));
        BundleFiles bundle = TestBundle.load();
        assertThat(zip).containsKey("appspec.yml");
        assertThat(zip.keySet()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(bundle.files().stream().map(BundleFiles.BundleFile::path),
                        java.util.stream.Stream.of("moodle-release.tgz", "vendor/redis-6.1.0.tgz",
                                "vendor/memcached-3.3.0.tgz", "vendor/manifest.json")).toList());
        for (BundleFiles.BundleFile f : bundle.files()) {
            Archives.Entry e = zip.get(f.path());
            assertThat(e.content()).as(f.path()).isEqualTo(f.content());
            assertThat(e.unixMode() & 07777).as("mode of " + f.path()).isEqualTo(f.path().endsWith(".sh") ? 0755 : 0644);
        }
        assertThat(bundle.files()).anyMatch(f -> f.path().endsWith(".sh"));
        assertThat(zip.get("moodle-release.tgz").content()).isEqualTo(release);
        assertThat(zip.get("moodle-release.tgz").method()).as("stored as downloaded, not compressed again")
                .isEqualTo(java.util.zip.ZipEntry.STORED);

        assertThat(stack.metadata()).containsEntry("release-url", releaseUrl)
                .containsEntry("release-sha256", Archives.sha256(release))
                .containsEntry("bundle-digest", bundle.digest());
        assertThat(run.metrics()).containsExactly("SourceStaged");
        assertThat(run.allOutput()).contains("downloaded " + release.length + " of " + release.length + " bytes");
        assertThat(stack.workRootIsEmpty()).as("work files removed").isTrue();
    }

    @Test
    void thePinnedExtensionSourcesAreStagedWithTheirChecksumsAndTheAgentIsRecordedNotStaged() throws Exception {
        stack.invoke(stack.handler(), create());

        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(stack.versions().get(0).versionId()));
        assertThat(zip.get("vendor/redis-6.1.0.tgz").content()).isEqualTo(pinned.redis);
        assertThat(zip.get("vendor/memcached-3.3.0.tgz").content()).isEqualTo(pinned.memcached);
        assertThat(zip.get("vendor/redis-6.1.0.tgz").unixMode() & 07777).isEqualTo(0644);
        assertThat(zip.keySet()).noneMatch(k -> k.endsWith(".rpm"));

        JsonNode manifest = SourceStack.MAPPER.readTree(zip.get("vendor/manifest.json").content());
        JsonNode redis = manifest.path("php_extensions").path("redis");
        assertThat(redis.path("version").asText()).isEqualTo("6.1.0");
        assertThat(redis.path("file").asText()).isEqualTo("vendor/redis-6.1.0.tgz");
        assertThat(redis.path("sha256").asText()).isEqualTo(Archives.sha256(zip.get("vendor/redis-6.1.0.tgz").content()))
                .isEqualTo(Archives.sha256(pinned.redis));
        assertThat(redis.path("url").asText()).isEqualTo(http.url(PinnedFixture.REDIS_PATH));
        JsonNode memcached = manifest.path("php_extensions").path("memcached");
        assertThat(memcached.path("sha256").asText())
                .isEqualTo(Archives.sha256(zip.get("vendor/memcached-3.3.0.tgz").content()));
        JsonNode agent = manifest.path("codedeploy_agent");
        assertThat(agent.path("version").asText()).isEqualTo("1.8.1-26");
        assertThat(agent.path("url").asText()).isEqualTo(http.url(PinnedFixture.AGENT_PATH));
        assertThat(agent.path("sha256").asText()).as("recorded when staged, checked by every boot")
                .isEqualTo(Archives.sha256(pinned.agent));
        assertThat(agent.has("file")).isFalse();
        assertThat(stack.metadata()).containsKey("pinned-digest");
        assertThat(answer().path("Reason").asText()).contains("redis-6.1.0.tgz (staged)")
                .contains("codedeploy-agent-1.8.1-26.noarch.rpm (SHA-256 " + Archives.sha256(pinned.agent) + ", recorded)");
    }

    @Test
    void aPinnedSourceWithAnotherChecksumFailsTheStageWithBothHashesAndUploadsNothing() throws Exception {
        String expected = "0".repeat(64);
        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Create",
                Map.of("ReleaseUrl", releaseUrl, "PhpExtensions", pinned.properties(expected,
                        Archives.sha256(pinned.memcached), "").get("PhpExtensions"))));

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
        assertThat(answer.path("Reason").asText()).contains("redis-6.1.0.tgz").contains(expected)
                .contains(Archives.sha256(pinned.redis)).contains("PhpExtensions").contains("nothing was staged");
        assertThat(stack.versions()).isEmpty();
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).as("the release is not even downloaded").isZero();
        assertThat(run.metrics()).containsExactly("SourceFailed");
        assertThat(stack.workRootIsEmpty()).isTrue();
    }

    @Test
    void aPinnedAgentChecksumThatDoesNotMatchFailsTheStage() throws Exception {
        String expected = "1".repeat(64);
        stack.invoke(stack.handler(), event("Create", Map.of("ReleaseUrl", releaseUrl, "CodeDeployAgent",
                pinned.properties(Archives.sha256(pinned.redis), Archives.sha256(pinned.memcached), expected)
                        .get("CodeDeployAgent"))));

        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("codedeploy-agent-1.8.1-26.noarch.rpm").contains(expected)
                .contains(Archives.sha256(pinned.agent)).contains("CodeDeployAgent");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void anAgentVersionMissingFromTheRegionsBucketFailsTheStageWithTheHttpStatus() throws Exception {
        String missing = "/aws-codedeploy-us-east-1/releases/codedeploy-agent-9.9.9-1.noarch.rpm";
        stack.invoke(stack.handler(), event("Create", Map.of("ReleaseUrl", releaseUrl,
                "CodeDeployAgent", Map.of("Url", http.url(missing), "Sha256", ""))));

        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("HTTP 404").contains(missing);
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void aChangedPinStagesANewVersionAndTheSamePinsDoNot() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        String first = answer().path("Data").path("VersionId").asText();
        byte[] newer = PinnedFixture.peclTarball("redis", "6.1.1");
        http.serve("/pecl/get/redis-6.1.1.tgz", newer);
        Map<String, Object> bumped = Map.of("ReleaseUrl", releaseUrl, "PhpExtensions", java.util.List.of(
                Map.of("Url", http.url("/pecl/get/redis-6.1.1.tgz"), "Sha256", Archives.sha256(newer)),
                Map.of("Url", http.url(PinnedFixture.MEMCACHED_PATH), "Sha256", Archives.sha256(pinned.memcached))));

        http.clearAnswers();
        FunctionRun.Outcome run = stack.invoke(handler, event("Update", bumped));

        assertThat(run.outcome()).isEqualTo("STAGED");
        assertThat(answer().path("Reason").asText()).contains("the pinned sources changed");
        String second = answer().path("Data").path("VersionId").asText();
        assertThat(second).isNotEqualTo(first);
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(second));
        assertThat(zip).containsKey("vendor/redis-6.1.1.tgz").doesNotContainKey("vendor/redis-6.1.0.tgz");
        assertThat(SourceStack.MAPPER.readTree(zip.get("vendor/manifest.json").content())
                .path("php_extensions").path("redis").path("version").asText()).isEqualTo("6.1.1");

        http.clearAnswers();
        assertThat(stack.invoke(handler, event("Update", bumped)).outcome()).isEqualTo("UNCHANGED");
        assertThat(stack.versions()).hasSize(2);
    }

    @Test
    void pinnedSourcesThatCannotBeCheckedAreRefusedBeforeAnyDownload() throws Exception {
        String redisSha = Archives.sha256(pinned.redis);
        Map<String, Object> agent = Map.of("Url", http.url(PinnedFixture.AGENT_PATH), "Sha256", "");
        Map<Object, String> cases = new java.util.LinkedHashMap<>();
        cases.put(java.util.List.of(Map.of("Url", http.url(PinnedFixture.REDIS_PATH))), "has no Sha256");
        cases.put(java.util.List.of(Map.of("Url", http.url(PinnedFixture.REDIS_PATH), "Sha256", "abc")),
                "64 hexadecimal");
        cases.put(java.util.List.of(Map.of("Url", "ftp://pecl.php.net/get/redis-6.1.0.tgz", "Sha256", redisSha)),
                "must be an https:// URL");
        cases.put(java.util.List.of(Map.of("Url", http.url("/pecl/get/redis"), "Sha256", redisSha)),
                "PECL file name");
        cases.put(java.util.List.of(), "must be a list");
        cases.put(java.util.List.of(Map.of("Url", http.url(PinnedFixture.REDIS_PATH), "Sha256", redisSha),
                Map.of("Url", http.url(PinnedFixture.REDIS_PATH), "Sha256", redisSha)), "twice");
        MoodleSourceHandler handler = stack.handler();
        for (var c : cases.entrySet()) {
            http.clearAnswers();
            stack.invoke(handler, event("Create", Map.of("ReleaseUrl", releaseUrl, "PhpExtensions", c.getKey(),
                    "CodeDeployAgent", agent)));
            JsonNode answer = answer();
            assertThat(answer.path("Status").asText()).as(c.getKey().toString()).isEqualTo("FAILED");
            assertThat(answer.path("Reason").asText()).as(c.getKey().toString()).contains(c.getValue());
        }
        http.clearAnswers();
        stack.invoke(handler, event("Create", Map.of("ReleaseUrl", releaseUrl, "CodeDeployAgent",
                Map.of("Url", http.url("/aws-codedeploy-us-east-1/latest/install"), "Sha256", ""))));
        assertThat(answer().path("Reason").asText()).contains("releases/codedeploy-agent-<version>.noarch.rpm");
        http.clearAnswers();
        stack.invoke(handler, event("Create", Map.of("ReleaseUrl", releaseUrl, "PhpExtensions", "")));
        assertThat(answer().path("Reason").asText()).contains("PhpExtensions is not set");

        assertThat(http.hits(PinnedFixture.REDIS_PATH)).isZero();
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void theSameReleaseAndBundleAgainStageNoNewVersionAndDownloadNothing() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        String first = answer().path("Data").path("VersionId").asText();

        for (String type : new String[] {"Create", "Update"}) {
            http.clearAnswers();
            FunctionRun.Outcome run = stack.invoke(handler, event(type, Map.of("ReleaseUrl", releaseUrl)));
            assertThat(run.outcome()).isEqualTo("UNCHANGED");
            JsonNode answer = answer();
            assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
            assertThat(answer.path("Data").path("VersionId").asText()).isEqualTo(first);
            assertThat(answer.path("Data").path("ReleaseSha256").asText()).isEqualTo(Archives.sha256(release));
        }
        // A matching expected checksum is the same release too.
        http.clearAnswers();
        stack.invoke(handler, event("Update", Map.of("ReleaseUrl", releaseUrl, "ReleaseSha256", Archives.sha256(release))));
        assertThat(answer().path("Data").path("VersionId").asText()).isEqualTo(first);

        assertThat(stack.versions()).hasSize(1);
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isEqualTo(1);
        assertThat(http.hits(PinnedFixture.REDIS_PATH)).isEqualTo(1);
        assertThat(http.hits(PinnedFixture.AGENT_PATH)).isEqualTo(1);
    }

    @Test
    void aChangedReleaseUrlStagesANewVersion() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        String first = answer().path("Data").path("VersionId").asText();
        byte[] newer = Archives.tinyMoodleRelease("4.5.8 (Build: 20251110)");
        http.serve("/stable405/moodle-4.5.8.tgz", newer);
        String newerUrl = http.url("/stable405/moodle-4.5.8.tgz");

        http.clearAnswers();
        FunctionRun.Outcome run = stack.invoke(handler, event("Update", Map.of("ReleaseUrl", newerUrl)));

        assertThat(run.outcome()).isEqualTo("STAGED");
        JsonNode answer = answer();
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
        String second = answer.path("Data").path("VersionId").asText();
        assertThat(second).isNotEqualTo(first);
        assertThat(stack.versions()).hasSize(2);
        assertThat(stack.versions().get(0).versionId()).isEqualTo(second);
        assertThat(stack.versions().get(0).isLatest()).isTrue();
        assertThat(Archives.unzip(stack.object(second)).get("moodle-release.tgz").content()).isEqualTo(newer);
        assertThat(stack.metadata()).containsEntry("release-url", newerUrl);
    }

    @Test
    void aChangedBundleStagesANewVersion() throws Exception {
        stack.invoke(stack.handler(), create());
        BundleFiles real = TestBundle.load();
        java.util.List<BundleFiles.BundleFile> changed = new java.util.ArrayList<>(real.files());
        changed.add(new BundleFiles.BundleFile("scripts/added-hook.sh", "#!/bin/bash\ntrue\n".getBytes()));
        BundleFiles next = new BundleFiles(changed);

        http.clearAnswers();
        FunctionRun.Outcome run = stack.invoke(stack.handler(stack.testEnvironment(), () -> next),
                event("Update", Map.of("ReleaseUrl", releaseUrl)));

        assertThat(run.outcome()).isEqualTo("STAGED");
        assertThat(stack.versions()).hasSize(2);
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(answer().path("Data").path("VersionId").asText()));
        assertThat(zip.get("scripts/added-hook.sh").unixMode() & 07777).isEqualTo(0755);
    }

    @Test
    void aZipReleaseKeepsItsFormat() throws Exception {
        byte[] zipRelease = Archives.zip(Archives.moodleFiles("4.5.7 (Build: 20250915)", "2024100707.00", "moodle/"));
        http.serve("/stable405/moodle-4.5.7.zip", zipRelease);

        stack.invoke(stack.handler(), event("Create", Map.of("ReleaseUrl", http.url("/stable405/moodle-4.5.7.zip"))));

        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(answer().path("Data").path("VersionId").asText()));
        assertThat(zip).containsKey("moodle-release.zip").doesNotContainKey("moodle-release.tgz");
        assertThat(zip.get("moodle-release.zip").content()).isEqualTo(zipRelease);
        assertThat(answer().path("Data").path("MoodleBuild").asText()).as("read from the zip's version.php")
                .isEqualTo("2024100707.00");
    }

    @Test
    void aRedirectIsFollowedAndTheRequestedUrlRecorded() throws Exception {
        http.redirect("/download.php/direct/stable405/moodle-4.5.7.tgz", releaseUrl);
        String requested = http.url("/download.php/direct/stable405/moodle-4.5.7.tgz");

        stack.invoke(stack.handler(), event("Create", Map.of("ReleaseUrl", requested)));

        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(stack.metadata()).containsEntry("release-url", requested);
        assertThat(Archives.unzip(stack.object(stack.versions().get(0).versionId())).get("moodle-release.tgz").content())
                .isEqualTo(release);
    }

    @Test
    void aChecksumMismatchFailsWithBothHashesAndUploadsNothing() throws Exception {
        String expected = "0".repeat(64);
        FunctionRun.Outcome run = stack.invoke(stack.handler(),
                event("Create", Map.of("ReleaseUrl", releaseUrl, "ReleaseSha256", expected)));

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
        assertThat(answer.path("Reason").asText()).contains(expected).contains(Archives.sha256(release));
        assertThat(stack.versions()).isEmpty();
        assertThat(run.metrics()).containsExactly("SourceFailed");
        assertThat(stack.workRootIsEmpty()).isTrue();
    }

    @Test
    void aMatchingChecksumStages() throws Exception {
        stack.invoke(stack.handler(), event("Create",
                Map.of("ReleaseUrl", releaseUrl, "ReleaseSha256", Archives.sha256(release).toUpperCase())));

        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(stack.versions()).hasSize(1);
    }

    @Test
    void aMissingReleaseFailsWithTheHttpStatus() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(),
                event("Create", Map.of("ReleaseUrl", http.url("/stable405/moodle-9.9.9.tgz"))));

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("HTTP 404").contains("/stable405/moodle-9.9.9.tgz");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void plainHttpIsRefusedUnlessTheTestSwitchIsOn() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(stack.templateEnvironment(), TestBundle.supplier()), create());

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("must be an https:// URL");
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
        assertThat(stack.versions()).isEmpty();
        assertThat(stack.templateEnvironment()).doesNotContainKey("MOODLE_SOURCE_ALLOW_HTTP");
    }

    @Test
    void badPropertiesFailWithAReasonAndTouchNothing() throws Exception {
        Map<Map<String, String>, String> cases = Map.of(
                Map.of("ReleaseUrl", releaseUrl, "ReleaseSha256", "not-a-hash"), "ReleaseSha256 must be 64",
                Map.of("ReleaseUrl", "ftp://example.com/moodle.tgz"), "must be an https:// URL",
                Map.of("ReleaseUrl", "https://exa mple.com/x.tgz"), "not a valid URL",
                Map.of("ReleaseUrl", "", "ReleaseVersion", "latest"), "is not a Moodle version",
                Map.of("ReleaseUrl", "", "ReleaseVersion", ""), "neither ReleaseUrl nor ReleaseVersion");
        MoodleSourceHandler handler = stack.handler();
        for (var c : cases.entrySet()) {
            http.clearAnswers();
            var recorded = io.moodleautopilot.testbed.AwsCallRecorder.record(
                    () -> stack.invoke(handler, event("Create", c.getKey())));
            JsonNode answer = answer();
            assertThat(answer.path("Status").asText()).as(c.getKey().toString()).isEqualTo("FAILED");
            assertThat(answer.path("Reason").asText()).as(c.getKey().toString()).contains(c.getValue());
            assertThat(recorded.calls()).as("no AWS call for " + c.getKey()).isEmpty();
            assertThat(recorded.value().metrics()).containsExactly("InvalidRequest");
        }
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
    }

    @Test
    void deleteRemovesEveryVersionSoTheBucketCanGo() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        http.serve("/other.tgz", Archives.tinyMoodleRelease("4.5.8"));
        stack.invoke(handler, event("Update", Map.of("ReleaseUrl", http.url("/other.tgz"))));
        // A neighbour whose key starts with the source key is not the function's.
        stack.s3.putObject(r -> r.bucket(stack.bucket).key("moodle/release.zip.bak"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("keep"));
        assertThat(stack.versions()).hasSize(2);

        http.clearAnswers();
        FunctionRun.Outcome run = stack.invoke(handler, event("Delete", Map.of("ReleaseUrl", releaseUrl)));

        assertThat(run.outcome()).isEqualTo("REMOVED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
        assertThat(answer.path("Reason").asText()).contains("deleted 2 version(s)");
        assertThat(stack.s3.listObjectVersions(r -> r.bucket(stack.bucket).prefix("moodle/release.zip"))
                .versions()).extracting(v -> v.key()).containsExactly("moodle/release.zip.bak");
        stack.s3.deleteObject(r -> r.bucket(stack.bucket).key("moodle/release.zip.bak")
                .versionId(stack.s3.listObjectVersions(l -> l.bucket(stack.bucket)).versions().get(0).versionId()));
        stack.s3.deleteBucket(r -> r.bucket(stack.bucket)); // what CloudFormation does next
    }

    @Test
    void deleteAlsoRemovesDeleteMarkers() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        stack.s3.deleteObject(r -> r.bucket(stack.bucket).key(stack.objectKey())); // leaves a delete marker

        http.clearAnswers();
        stack.invoke(handler, event("Delete", Map.of()));

        assertThat(answer().path("Reason").asText()).contains("deleted 2 version(s)");
        var listing = stack.s3.listObjectVersions(r -> r.bucket(stack.bucket));
        assertThat(listing.versions()).isEmpty();
        assertThat(listing.deleteMarkers()).isEmpty();
    }

    @Test
    void deleteOfWhatIsAlreadyGoneSucceeds() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, event("Delete", Map.of()));
        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer().path("Reason").asText()).contains("no source object versions");

        stack.s3.deleteBucket(r -> r.bucket(stack.bucket));
        http.clearAnswers();
        FunctionRun.Outcome run = stack.invoke(handler, event("Delete", Map.of()));
        assertThat(run.outcome()).isEqualTo("REMOVED");
        assertThat(answer().path("Status").asText()).isEqualTo("SUCCESS");
    }

    @Test
    void deleteNeverFailsTheStackEvenWhenS3CannotBeReached() throws Exception {
        String endpoint = System.getProperty("aws.endpointUrl");
        System.setProperty("aws.endpointUrl", "http://127.0.0.1:" + io.moodleautopilot.testbed.MotoServer.freePort());
        FunctionRun.Outcome run;
        try {
            run = stack.invoke(stack.handler(), event("Delete", Map.of()));
        } finally {
            System.setProperty("aws.endpointUrl", endpoint);
        }

        assertThat(run.outcome()).isEqualTo("REMOVED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("Reason").asText()).startsWith("cleanup incomplete");
        assertThat(run.metrics()).containsExactly("SourceCleanupIncomplete");
    }

    @Test
    void deleteForAnotherPhysicalIdLeavesTheObject() throws Exception {
        MoodleSourceHandler handler = stack.handler();
        stack.invoke(handler, create());
        com.fasterxml.jackson.databind.node.ObjectNode delete = (com.fasterxml.jackson.databind.node.ObjectNode)
                SourceStack.MAPPER.readTree(event("Delete", Map.of()));
        delete.put("PhysicalResourceId", "moodle-MoodleSource-OLD123");

        http.clearAnswers();
        stack.invoke(handler, SourceStack.MAPPER.writeValueAsBytes(delete));

        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-MoodleSource-OLD123");
        assertThat(stack.versions()).hasSize(1);
    }

    @Test
    void anUnknownRequestTypeFails() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Upgrade", Map.of("ReleaseUrl", releaseUrl)));

        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("unknown RequestType 'Upgrade'");
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void aDownloadSlowerThanTheFunctionsTimeAnswersFailedInTime() throws Exception {
        http.delay("/stable405/moodle-4.5.7.tgz", 30_000);
        long timeout = io.moodleautopilot.function.CustomResourceProtocol.ANSWER_MARGIN_MILLIS + 3_000;
        long started = System.nanoTime();

        FunctionRun.Outcome run = stack.invoke(stack.handler(), create(), timeout);

        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(run.outcome()).isEqualTo("FAILED");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).containsAnyOf("did not finish within", "no answer in time", "out of time");
        assertThat(tookMillis).isLessThan(timeout - io.moodleautopilot.function.CustomResourceProtocol.ANSWER_MARGIN_MILLIS + 2_000);
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void tooLittleTimeLeftAnswersFailedWithoutStarting() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), create(), io.moodleautopilot.function.CustomResourceProtocol.ANSWER_MARGIN_MILLIS + 200);

        assertThat(run.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("ms of the function's time left");
        assertThat(http.hits("/stable405/moodle-4.5.7.tgz")).isZero();
    }

    @Test
    void theRuntimeEnvironmentConstructorStagesTheMoodleBundleArtifact() throws Exception {
        MoodleSourceHandler handler = new MoodleSourceHandler(stack.testEnvironment(),
                new io.moodleautopilot.aws.AwsClients());

        FunctionRun.Outcome run = stack.invoke(handler, create());

        assertThat(run.outcome()).isEqualTo("STAGED");
        Map<String, Archives.Entry> zip = Archives.unzip(stack.object(answer().path("Data").path("VersionId").asText()));
        assertThat(zip).containsKey("appspec.yml").containsKey("moodle-release.tgz");
        assertThat(zip.keySet()).containsAll(ClasspathBundle.load(ClasspathBundle.ROOT).files().stream()
                .map(BundleFiles.BundleFile::path).toList());
    }

    @Test
    void aFunctionBuiltWithoutTheBundleListFailsClearly() throws Exception {
        FunctionRun.Outcome run = stack.invoke(
                stack.handler(stack.testEnvironment(), ClasspathBundle.memoized("no-such-bundle/")), create());

        assertThat(run.outcome()).isEqualTo("FAILED");
        assertThat(answer().path("Reason").asText()).contains("no-such-bundle/FILES").contains("moodle-bundle artifact");
        assertThat(stack.versions()).isEmpty();
    }

    @Test
    void missingSettingsAnswerFailed() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(stack.testEnvironment());
        env.remove("SOURCE_BUCKET");
        FunctionRun.Outcome run = stack.invoke(stack.handler(env, TestBundle.supplier()), create());

        assertThat(run.outcome()).isEqualTo("CONFIGURATION_ERROR");
        JsonNode answer = answer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("SOURCE_BUCKET");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-moodle-source");
    }

    @Test
    void anEventThatIsNotACustomResourceRequestIsRejectedWithoutAnswer() {
        for (String event : new String[] {"not json", "[]", "{\"detail-type\":\"Scheduled Event\"}",
                "{\"RequestType\":\"Create\"}"}) {
            FunctionRun.Outcome run = stack.invoke(stack.handler(), event.getBytes());
            assertThat(run.outcome()).isEqualTo("REJECTED");
            assertThat(run.metrics()).containsExactly("RejectedEvent");
        }
        assertThat(http.answers()).isEmpty();
    }
}
