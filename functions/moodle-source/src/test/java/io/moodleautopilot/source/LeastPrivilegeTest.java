package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.IamPolicy;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The least-privilege proof for MoodleSource: run every path it has (stage, repeat, restage,
 * failed download, delete, delete again), record each AWS call with its resources, and hold them
 * against the policy template.yaml gives the function: nothing outside it, nothing in it unused.
 */
@ExtendWith(MotoExtension.class)
class LeastPrivilegeTest {

    private static List<RecordedCall> everyPath(SourceStack stack) {
        try (LocalHttp http = new LocalHttp()) {
            http.serve("/a.tgz", Archives.tinyMoodleRelease("4.5.7"));
            http.serve("/b.tgz", Archives.tinyMoodleRelease("4.5.8"));
            stack.pinned(new PinnedFixture(http).properties());
            MoodleSourceHandler handler = stack.handler();
            String cfn = http.responseUrl();
            // A declared plugin kept in the source bucket (s3Key), put there by the operator.
            byte[] plugin = Archives.plugin("local_autopilottest", "2025010100", "2024100700");
            stack.s3.putObject(r -> r.bucket(stack.bucket).key("plugins/local_autopilottest.zip"),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(plugin));
            String plugins = "[{\"component\":\"local_autopilottest\",\"s3Key\":\"plugins/local_autopilottest.zip\","
                    + "\"sha256\":\"" + Archives.sha256(plugin) + "\"}]";
            return AwsCallRecorder.record(() -> {
                stack.invoke(handler, stack.event("Create", cfn, Map.of("ReleaseUrl", http.url("/a.tgz"))));
                stack.invoke(handler, stack.event("Update", cfn, Map.of("ReleaseUrl", http.url("/a.tgz"))));
                stack.invoke(handler, stack.event("Update", cfn, Map.of("ReleaseUrl", http.url("/b.tgz"))));
                stack.invoke(handler, stack.event("Update", cfn, Map.of("ReleaseUrl", http.url("/b.tgz"),
                        "Plugins", plugins)));
                stack.invoke(handler, stack.event("Update", cfn, Map.of("ReleaseUrl", http.url("/missing.tgz"))));
                stack.invoke(handler, stack.event("Delete", cfn, Map.of()));
                stack.invoke(handler, stack.event("Delete", cfn, Map.of()));
            }).calls();
        }
    }

    @Test
    void everyCallIsAllowedAndEveryGrantIsUsed() {
        SourceStack stack = new SourceStack("moodle").create();
        IamPolicy policy = stack.functionPolicy();

        List<RecordedCall> calls;
        List<RecordedCall> emptier;
        try (stack) {
            calls = everyPath(stack);
            // The function's second custom resource, EmptyBucketsOnDelete.
            emptier = EmptyBucketsOnDeleteTest.deletePath(stack);
        }
        List<RecordedCall> all = java.util.stream.Stream.concat(calls.stream(), emptier.stream()).toList();

        assertThat(calls).extracting(RecordedCall::action).contains("s3:GetObject", "s3:PutObject",
                "s3:ListBucketVersions", "s3:DeleteObjectVersion", "ssm:GetParameter");
        assertThat(all).extracting(RecordedCall::action).doesNotContain("s3:DeleteObject");
        assertThat(emptier).extracting(RecordedCall::action)
                .containsOnly("s3:GetBucketTagging", "s3:ListBucketVersions", "s3:DeleteObjectVersion");
        assertThat(emptier).flatExtracting(RecordedCall::resources).allMatch(r ->
                r.startsWith("arn:aws:s3:::" + stack.bucket) || r.startsWith("arn:aws:s3:::" + stack.artifactBucket));
        assertThat(policy.violations(all)).as("calls the policy does not allow").isEmpty();
        assertThat(policy.unusedActions(all)).as("granted actions never used").isEmpty();
        assertThat(policy.actionsOnAnyResource()).as("no action on '*'").isEmpty();
        // Object actions on the one key, and reads of the declared plugin under plugins/; the listing on
        // the bucket; the upgrade record by its one name.
        assertThat(calls).filteredOn(c -> c.action().startsWith("s3:") && !c.action().equals("s3:ListBucketVersions"))
                .flatExtracting(RecordedCall::resources).containsOnly("arn:aws:s3:::" + stack.bucket + "/moodle/release.zip",
                        "arn:aws:s3:::" + stack.bucket + "/plugins/local_autopilottest.zip");
        assertThat(calls).filteredOn(c -> c.resources().contains("arn:aws:s3:::" + stack.bucket
                + "/plugins/local_autopilottest.zip")).extracting(RecordedCall::action).containsOnly("s3:GetObject");
        assertThat(calls).filteredOn(c -> c.action().startsWith("ssm:")).flatExtracting(RecordedCall::resources)
                .containsOnly("arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Automation/Upgrade");
    }

    @Test
    void thePolicyOfOneStackDoesNotCoverAnotherStacksBucket() {
        IamPolicy moodlePolicy;
        try (SourceStack moodle = new SourceStack("moodle")) {
            moodlePolicy = moodle.functionPolicy();
        }

        List<RecordedCall> calls;
        try (SourceStack other = new SourceStack("other").create()) {
            calls = everyPath(other);
        }

        assertThat(moodlePolicy.violations(calls))
                .contains("s3:PutObject on arn:aws:s3:::other-sourcebucket-1a2b3c4d/moodle/release.zip",
                        "s3:ListBucketVersions on arn:aws:s3:::other-sourcebucket-1a2b3c4d");
    }

    @Test
    void anotherKeyInTheSameBucketIsNotCovered() {
        IamPolicy policy;
        try (SourceStack moodle = new SourceStack("moodle")) {
            policy = moodle.functionPolicy();
        }
        assertThat(policy.allows("s3:PutObject", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/moodle/other.zip")).isFalse();
        assertThat(policy.allows("s3:GetObject", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/moodle/release.zip.bak"))
                .isFalse();
        // Deleting versions of any key is EmptyBucketsOnDelete's (same function), in the stack's two buckets only.
        assertThat(policy.allows("s3:DeleteObjectVersion", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/moodle/release.zip.bak"))
                .isTrue();
        assertThat(policy.allows("s3:DeleteObjectVersion", "arn:aws:s3:::other-artifactbucket-5e6f7a8b/x.zip")).isFalse();
        assertThat(policy.allows("s3:DeleteBucket", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d")).isFalse();
        // Declared plugins: read only, under plugins/ only; the upgrade record: read only, this stack's only.
        assertThat(policy.allows("s3:GetObject", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/plugins/mod_x.zip")).isTrue();
        assertThat(policy.allows("s3:PutObject", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/plugins/mod_x.zip")).isFalse();
        assertThat(policy.allows("s3:GetObject", "arn:aws:s3:::moodle-sourcebucket-1a2b3c4d/other/mod_x.zip")).isFalse();
        assertThat(policy.allows("ssm:GetParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Automation/Upgrade")).isTrue();
        assertThat(policy.allows("ssm:PutParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Automation/Upgrade")).as("the instances write it")
                .isFalse();
        assertThat(policy.allows("ssm:GetParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/other/Automation/Upgrade")).isFalse();
        assertThat(policy.allows("ssm:GetParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/Moodle/moodle/Automation/Status")).isFalse();
    }
}
