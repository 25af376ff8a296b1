package io.moodleautopilot.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;

/**
 * Custom::EmptyBucketsOnDelete end to end: the real handler (MoodleSource's function), S3 in moto
 * with the stack's two versioned buckets as template.yaml creates them (versioning, tags), the
 * resource's properties as template.yaml declares them, and CloudFormation's response URL on a
 * local receiver. A bucket is empty when S3 lets DeleteBucket through.
 */
@ExtendWith(MotoExtension.class)
class EmptyBucketsOnDeleteTest {
    private SourceStack stack;
    private LocalHttp http;

    @BeforeEach
    void setUp() {
        stack = new SourceStack("moodle").create();
        http = new LocalHttp();
    }

    @AfterEach
    void stop() {
        http.close();
        stack.close();
    }

    /** A request for the resource as template.yaml declares it, the bucket names resolved for this stack. */
    static byte[] event(SourceStack stack, String requestType, String responseUrl, List<String> buckets,
                        String physicalId) {
        try {
            ObjectNode n = (ObjectNode) SourceStack.MAPPER.readTree(stack.event(requestType, responseUrl, Map.of()));
            n.put("ResourceType", EmptyBucketsResource.TYPE);
            n.put("LogicalResourceId", "EmptyBucketsOnDelete");
            if (physicalId != null) {
                n.put("PhysicalResourceId", physicalId);
            } else {
                n.remove("PhysicalResourceId");
            }
            ObjectNode props = n.putObject("ResourceProperties");
            props.put("ServiceToken", "arn:aws:lambda:us-east-1:123456789012:function:moodle-moodle-source:live");
            props.put("ServiceTimeout", "960");
            props.set("BucketNames", SourceStack.MAPPER.valueToTree(buckets));
            if (requestType.equals("Update")) {
                n.set("OldResourceProperties", props.deepCopy());
            }
            return SourceStack.MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** BucketNames as template.yaml declares them (its !Refs), resolved for the stack. */
    static List<String> templateBuckets(SourceStack stack) {
        Object raw = stack.template.properties("EmptyBucketsOnDelete").get("BucketNames");
        return ((List<?>) raw).stream().map(stack.resolver::string).toList();
    }

    private byte[] event(String requestType, List<String> buckets) {
        return event(stack, requestType, http.responseUrl(), buckets,
                requestType.equals("Create") ? null : EmptyBucketsResource.physicalId("moodle"));
    }

    private JsonNode onlyAnswer() throws IOException {
        assertThat(http.answers()).hasSize(1);
        return SourceStack.MAPPER.readTree(http.answers().get(0).body());
    }

    private void put(String bucket, String key, String body) {
        stack.s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString(body));
    }

    private int versionsAndMarkers(String bucket) {
        var page = stack.s3.listObjectVersions(r -> r.bucket(bucket));
        return page.versions().size() + page.deleteMarkers().size();
    }

    /** What CodePipeline and MoodleSource leave: several versions per key, and delete markers. */
    private void fillLikeARunningStack() {
        for (int run = 1; run <= 3; run++) {
            put(stack.artifactBucket, "moodle-deploy/Release/abc" + run + ".zip", "artifact " + run);
            put(stack.artifactBucket, "moodle-deploy/Release/shared.zip", "overwritten " + run);
        }
        stack.s3.deleteObject(r -> r.bucket(stack.artifactBucket).key("moodle-deploy/Release/abc1.zip"));
        put(stack.bucket, "moodle/release.zip", "release 1");
        put(stack.bucket, "moodle/release.zip", "release 2");
        put(stack.bucket, "operator/notes.txt", "left by hand");
        stack.s3.deleteObject(r -> r.bucket(stack.bucket).key("operator/notes.txt"));
    }

    @Test
    void theTemplateTagsBothBucketsAndNamesThemInTheResource() {
        assertThat(templateBuckets(stack)).containsExactly(stack.artifactBucket, stack.bucket);
        for (String logical : List.of("ArtifactBucket", "SourceBucket")) {
            assertThat(stack.templateTags(logical)).as(logical + " Tags")
                    .anyMatch(t -> t.key().equals(BucketEmptier.TAG_KEY) && t.value().equals(BucketEmptier.TAG_VALUE));
        }
        assertThat(stack.template.properties("EmptyBucketsOnDelete").get("ServiceToken"))
                .isEqualTo(Map.of("Ref", "MoodleSourceFunctionAliaslive"));
    }

    @Test
    void deleteRemovesEveryVersionAndDeleteMarkerSoTheBucketsCanBeDeleted() throws Exception {
        fillLikeARunningStack();
        assertThat(versionsAndMarkers(stack.artifactBucket)).isEqualTo(7);
        assertThat(versionsAndMarkers(stack.bucket)).isEqualTo(4);
        assertThat(stack.s3.listObjectVersions(r -> r.bucket(stack.artifactBucket)).deleteMarkers()).hasSize(1);
        assertThat(stack.s3.listObjectVersions(r -> r.bucket(stack.bucket)).deleteMarkers()).hasSize(1);

        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Delete", templateBuckets(stack)));

        JsonNode answer = onlyAnswer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-empty-buckets-on-delete");
        assertThat(answer.path("Reason").asText())
                .contains(stack.artifactBucket + " emptied (7 version(s)", stack.bucket + " emptied (4 version(s)");
        assertThat(run.outcome()).isEqualTo("EMPTIED");
        assertThat(run.metrics()).containsExactly("BucketsEmptied");
        assertThat(versionsAndMarkers(stack.artifactBucket)).isZero();
        assertThat(versionsAndMarkers(stack.bucket)).isZero();
        // What CloudFormation does next: S3 deletes an emptied versioned bucket.
        stack.s3.deleteBucket(r -> r.bucket(stack.artifactBucket));
        stack.s3.deleteBucket(r -> r.bucket(stack.bucket));
    }

    @Test
    void moreThanOnePageOfVersionsIsEmptied() throws Exception {
        for (int i = 0; i < 1_001; i++) {
            put(stack.artifactBucket, "a/" + i, "x");
        }

        stack.invoke(stack.handler(), event("Delete", List.of(stack.artifactBucket)), 120_000);

        assertThat(onlyAnswer().path("Reason").asText()).contains("emptied (1001 version(s)");
        assertThat(versionsAndMarkers(stack.artifactBucket)).isZero();
    }

    @Test
    void createAndUpdateDeleteNothing() throws Exception {
        fillLikeARunningStack();

        for (String type : List.of("Create", "Update")) {
            http.clearAnswers();
            FunctionRun.Outcome run = stack.invoke(stack.handler(), event(type, templateBuckets(stack)));
            JsonNode answer = onlyAnswer();
            assertThat(answer.path("Status").asText()).as(type).isEqualTo("SUCCESS");
            assertThat(answer.path("PhysicalResourceId").asText()).isEqualTo("moodle-empty-buckets-on-delete");
            assertThat(run.outcome()).isEqualTo("READY");
        }
        assertThat(versionsAndMarkers(stack.artifactBucket)).isEqualTo(7);
        assertThat(versionsAndMarkers(stack.bucket)).isEqualTo(4);
    }

    @Test
    void aCreateWithoutBucketNamesFailsAndChangesNothing() throws Exception {
        byte[] event = event("Create", List.of("Not_A_Bucket"));

        FunctionRun.Outcome run = stack.invoke(stack.handler(), event);

        JsonNode answer = onlyAnswer();
        assertThat(answer.path("Status").asText()).isEqualTo("FAILED");
        assertThat(answer.path("Reason").asText()).contains("not a bucket name");
        assertThat(run.outcome()).isEqualTo("FAILED");
    }

    @Test
    void aBucketWithoutTheTagIsLeftAsItIs() throws Exception {
        fillLikeARunningStack();
        stack.s3.deleteBucketTagging(r -> r.bucket(stack.artifactBucket));

        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Delete", templateBuckets(stack)));

        JsonNode answer = onlyAnswer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("Reason").asText()).contains(stack.artifactBucket + " not tagged " + BucketEmptier.TAG_KEY);
        assertThat(versionsAndMarkers(stack.artifactBucket)).isEqualTo(7);
        assertThat(versionsAndMarkers(stack.bucket)).isZero();
        assertThat(run.outcome()).isEqualTo("EMPTIED");
    }

    @Test
    void aDeleteForAnotherPhysicalIdTouchesNothing() throws Exception {
        fillLikeARunningStack();

        stack.invoke(stack.handler(), event(stack, "Delete", http.responseUrl(), templateBuckets(stack),
                "moodle-something-else"));

        assertThat(onlyAnswer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(versionsAndMarkers(stack.artifactBucket)).isEqualTo(7);
    }

    @Test
    void bucketsAlreadyGoneAreFine() throws Exception {
        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Delete", List.of("moodle-gone-bucket-0000")));

        JsonNode answer = onlyAnswer();
        assertThat(answer.path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(answer.path("Reason").asText()).contains("moodle-gone-bucket-0000 already gone");
        assertThat(run.outcome()).isEqualTo("EMPTIED");
    }

    @Test
    void aVersionThatCannotBeDeletedIsReportedAndTheDeleteStillSucceeds() throws Exception {
        String locked = "moodle-locked-artifacts-0001";
        stack.s3.createBucket(r -> r.bucket(locked).objectLockEnabledForBucket(true));
        stack.s3.putBucketTagging(r -> r.bucket(locked).tagging(t -> t.tagSet(stack.templateTags("ArtifactBucket"))));
        put(locked, "free.zip", "free");
        stack.s3.putObject(r -> r.bucket(locked).key("held.zip").objectLockLegalHoldStatus(ObjectLockLegalHoldStatus.ON),
                RequestBody.fromString("under legal hold"));

        FunctionRun.Outcome run = stack.invoke(stack.handler(), event("Delete", List.of(locked, stack.bucket)));

        JsonNode answer = onlyAnswer();
        assertThat(answer.path("Status").asText()).as("a Delete never fails").isEqualTo("SUCCESS");
        assertThat(answer.path("Reason").asText())
                .startsWith("NOT EMPTIED: " + locked + " still holds 1 version(s): versions could not be deleted; 1 failed, first: held.zip")
                .contains(stack.bucket + " emptied (0 version(s)")
                .contains("CloudFormation's delete of the bucket will fail");
        assertThat(run.outcome()).isEqualTo("NOT_EMPTIED");
        assertThat(run.metrics()).containsExactly("BucketsNotEmptied");
        assertThat(run.errorLogs()).anyMatch(l -> l.path("message").asText().contains("NOT EMPTIED"));
        assertThat(versionsAndMarkers(locked)).as("the free version went, the held one stayed").isEqualTo(1);
    }

    @Test
    void theEventFileIsTheStacksDeleteRequestAndEmptiesBothBuckets() throws Exception {
        java.nio.file.Path file = io.moodleautopilot.testbed.CfnTemplate.repositoryRoot()
                .resolve("events/cloudformation-empty-buckets-delete.json");
        var e = com.amazonaws.services.lambda.runtime.tests.EventLoader.loadEvent(file.toString(),
                com.amazonaws.services.lambda.runtime.events.CloudFormationCustomResourceEvent.class);
        assertThat(e.getRequestType()).isEqualTo("Delete");
        assertThat(e.getResourceType()).isEqualTo(EmptyBucketsResource.TYPE);
        assertThat(e.getPhysicalResourceId()).isEqualTo(EmptyBucketsResource.physicalId("moodle"));
        assertThat(e.getResourceProperties().keySet())
                .containsExactlyInAnyOrderElementsOf(stack.template.properties("EmptyBucketsOnDelete").keySet());
        assertThat(e.getResourceProperties().get("BucketNames")).isEqualTo(templateBuckets(stack));
        fillLikeARunningStack();

        ObjectNode event = (ObjectNode) SourceStack.MAPPER.readTree(java.nio.file.Files.readAllBytes(file));
        event.put("ResponseURL", http.responseUrl());
        FunctionRun.Outcome run = stack.invoke(stack.handler(), SourceStack.MAPPER.writeValueAsBytes(event));

        assertThat(onlyAnswer().path("Status").asText()).isEqualTo("SUCCESS");
        assertThat(run.outcome()).isEqualTo("EMPTIED");
        assertThat(versionsAndMarkers(stack.artifactBucket) + versionsAndMarkers(stack.bucket)).isZero();
    }

    /** Every call of the Delete path, for the function's least-privilege proof (LeastPrivilegeTest). */
    static List<RecordedCall> deletePath(SourceStack stack) {
        try (LocalHttp http = new LocalHttp()) {
            stack.s3.putObject(r -> r.bucket(stack.artifactBucket).key("moodle-deploy/Release/a.zip"),
                    RequestBody.fromString("artifact"));
            stack.s3.deleteObject(r -> r.bucket(stack.artifactBucket).key("moodle-deploy/Release/a.zip"));
            MoodleSourceHandler handler = stack.handler();
            List<String> buckets = templateBuckets(stack);
            String cfn = http.responseUrl();
            return AwsCallRecorder.record(() -> {
                stack.invoke(handler, event(stack, "Create", cfn, buckets, null));
                stack.invoke(handler, event(stack, "Update", cfn, buckets, EmptyBucketsResource.physicalId(stack.name)));
                stack.invoke(handler, event(stack, "Delete", cfn, buckets, EmptyBucketsResource.physicalId(stack.name)));
                stack.invoke(handler, event(stack, "Delete", cfn, buckets, EmptyBucketsResource.physicalId(stack.name)));
            }).calls();
        }
    }
}
