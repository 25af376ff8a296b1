package io.moodleautopilot.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.core.release.BundleFiles;
import io.moodleautopilot.function.CustomResourceResponder;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.IamPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ObjectVersion;

/**
 * One stack's MoodleSource as template.yaml declares it: the function's environment and policy
 * resolved for a test bucket (versioned, in moto), and the handler built with them.
 */
final class SourceStack implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String FUNCTION = "MoodleSourceFunction";
    static final String EVENT = "cloudformation-moodle-source-create.json";

    final String name;
    final String bucket;
    /** The pipeline's artifact bucket, which EmptyBucketsOnDelete (served by the same function) empties too. */
    final String artifactBucket;
    final CfnTemplate template = CfnTemplate.load();
    final CfnTemplate.Resolver resolver;
    /** Where the function writes its work files; made by {@link #create()}. */
    Path workRoot;
    final S3Client s3 = AwsCallRecorder.unrecorded(S3Client.builder());
    /** Set by {@link #pinned}: MoodleSource's PhpExtensions and CodeDeployAgent for every event. */
    private Map<String, ?> pinnedDefaults = Map.of();

    SourceStack(String name) {
        this.name = name;
        this.bucket = name + "-sourcebucket-1a2b3c4d";
        this.artifactBucket = name + "-artifactbucket-5e6f7a8b";
        this.resolver = new CfnTemplate.Resolver(template, name, Map.of(),
                Map.of("SourceBucket", bucket, "SourceBucket.Arn", "arn:aws:s3:::" + bucket,
                        "ArtifactBucket", artifactBucket, "ArtifactBucket.Arn", "arn:aws:s3:::" + artifactBucket,
                        "MoodleSourceFunctionAliaslive", "arn:aws:lambda:us-east-1:123456789012:function:" + name
                                + "-moodle-source:live"));
    }

    /** Creates the source and artifact buckets as template.yaml does: versioning enabled, its tags. */
    SourceStack create() {
        try {
            workRoot = Files.createTempDirectory("moodle-source-work-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        createBucket(bucket, "SourceBucket");
        createBucket(artifactBucket, "ArtifactBucket");
        return this;
    }

    private void createBucket(String name, String logicalId) {
        s3.createBucket(r -> r.bucket(name));
        s3.putBucketVersioning(r -> r.bucket(name)
                .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)));
        List<software.amazon.awssdk.services.s3.model.Tag> tags = templateTags(logicalId);
        if (!tags.isEmpty()) {
            s3.putBucketTagging(r -> r.bucket(name).tagging(t -> t.tagSet(tags)));
        }
    }

    /** The bucket's Tags as template.yaml declares them. */
    List<software.amazon.awssdk.services.s3.model.Tag> templateTags(String logicalId) {
        Object tags = template.properties(logicalId).get("Tags");
        if (!(tags instanceof List<?> list)) {
            return List.of();
        }
        return list.stream().map(t -> (Map<?, ?>) t).map(t -> software.amazon.awssdk.services.s3.model.Tag.builder()
                .key(String.valueOf(t.get("Key"))).value(String.valueOf(t.get("Value"))).build()).toList();
    }

    /** The function's environment from template.yaml. */
    Map<String, String> templateEnvironment() {
        return template.functionEnvironment(FUNCTION, resolver);
    }

    /** As template.yaml, plus plain HTTP allowed: the test serves the release from a local server. */
    Map<String, String> testEnvironment() {
        Map<String, String> env = new HashMap<>(templateEnvironment());
        env.put("MOODLE_SOURCE_ALLOW_HTTP", "true");
        return env;
    }

    String objectKey() {
        return templateEnvironment().get("SOURCE_OBJECT_KEY");
    }

    IamPolicy functionPolicy() {
        return template.functionPolicy(FUNCTION, resolver);
    }

    MoodleSourceHandler handler() {
        return handler(testEnvironment(), TestBundle.supplier());
    }

    MoodleSourceHandler handler(Map<String, String> env, Supplier<BundleFiles> bundle) {
        return new MoodleSourceHandler(env, new AwsClients(), bundle, new CustomResourceResponder(), workRoot);
    }

    FunctionRun.Outcome invoke(MoodleSourceHandler handler, byte[] event) {
        return invoke(handler, event, 60_000);
    }

    FunctionRun.Outcome invoke(MoodleSourceHandler handler, byte[] event, long timeoutMillis) {
        return FunctionRun.invoke(handler, event, name + "-moodle-source", timeoutMillis);
    }

    /**
     * Every event from here on carries these pinned sources (served by the test's local server)
     * instead of the event file's pecl.php.net and AWS URLs, unless a test sets its own.
     */
    SourceStack pinned(Map<String, ?> properties) {
        pinnedDefaults = Map.copyOf(properties);
        return this;
    }

    /** The repository's Create event, pointed at local servers, with the given properties changed. */
    byte[] event(String requestType, String responseUrl, Map<String, ?> properties) {
        try {
            ObjectNode n = (ObjectNode) MAPPER.readTree(
                    Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events").resolve(EVENT)));
            n.put("RequestType", requestType);
            n.put("ResponseURL", responseUrl);
            if (!requestType.equals("Create")) {
                n.put("PhysicalResourceId", name + "-moodle-source");
            }
            ObjectNode props = (ObjectNode) n.path("ResourceProperties");
            pinnedDefaults.forEach((k, v) -> props.set(k, MAPPER.valueToTree(v)));
            properties.forEach((k, v) -> props.set(k, MAPPER.valueToTree(v)));
            if (requestType.equals("Update")) {
                n.set("OldResourceProperties", props.deepCopy());
            }
            return MAPPER.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every version of the source object (delete markers not included), newest first. */
    List<ObjectVersion> versions() {
        return s3.listObjectVersionsPaginator(r -> r.bucket(bucket).prefix(objectKey())).versions().stream()
                .filter(v -> v.key().equals(objectKey())).toList();
    }

    byte[] object(String versionId) {
        return s3.getObject(r -> r.bucket(bucket).key(objectKey()).versionId(versionId),
                ResponseTransformer.toBytes()).asByteArray();
    }

    Map<String, String> metadata() {
        return s3.headObject(r -> r.bucket(bucket).key(objectKey())).metadata();
    }

    @Override
    public void close() {
        s3.close();
        if (workRoot == null) {
            return;
        }
        try (var files = Files.walk(workRoot)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean workRootIsEmpty() {
        try (var files = Files.list(workRoot)) {
            return files.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
