package io.moodleautopilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What template.yaml must hold so that a failed create rolls back completely and `sam delete` leaves
 * only what the deployment guide's Teardown says is kept: no versioned bucket left full, no cluster
 * that refuses its delete unless asked, no log group recreated after its stack went, and every
 * resource the stack keeps named in the docs.
 */
class TeardownTest {
    private static final String EMPTY_TAG = "moodle-autopilot:empty-on-stack-delete";
    private final CfnTemplate template = CfnTemplate.load();

    private Map<String, Object> resource(String id) {
        return template.resource(id);
    }

    private static List<String> dependsOn(Map<String, Object> resource) {
        Object d = resource.get("DependsOn");
        if (d == null) {
            return List.of();
        }
        return d instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(d));
    }

    @Test
    void auroraDeletionProtectionIsAParameterOffByDefaultAndOnInProd() {
        assertThat(template.properties("DatabaseCluster").get("DeletionProtection"))
                .isEqualTo(Map.of("Ref", "DatabaseDeletionProtection"));
        assertThat(template.parameterDefaults()).containsEntry("DatabaseDeletionProtection", "false");
        assertThat(resource("DatabaseCluster").get("DeletionPolicy")).as("every delete keeps a final snapshot")
                .isEqualTo("Snapshot");
        Map<String, List<String>> overrides = TemplateRulesTest.parameterOverrides(lines("samconfig.toml"));
        assertThat(overrides.get("prod.deploy.parameters")).contains("DatabaseDeletionProtection=true");
        assertThat(overrides.get("dev.deploy.parameters")).doesNotContain("DatabaseDeletionProtection=true");
    }

    @Test
    void everyVersionedBucketTheStackDeletesIsEmptiedBeforeIt() {
        List<Object> emptied = CfnTemplate.list(template.properties("EmptyBucketsOnDelete").get("BucketNames"));
        assertThat(resource("EmptyBucketsOnDelete").get("Type")).isEqualTo("Custom::EmptyBucketsOnDelete");
        List<String> versioned = new ArrayList<>();
        template.section("Resources").forEach((id, r) -> {
            Map<String, Object> res = CfnTemplate.map(r);
            Map<String, Object> versioning = CfnTemplate.map(CfnTemplate.map(res.get("Properties")).get("VersioningConfiguration"));
            if ("AWS::S3::Bucket".equals(res.get("Type")) && "Enabled".equals(versioning.get("Status"))
                    && !"Retain".equals(res.get("DeletionPolicy"))) {
                versioned.add(id);
                assertThat(emptied).as("EmptyBucketsOnDelete's BucketNames (a Ref makes it go before the bucket)")
                        .contains(Map.of("Ref", id));
                assertThat(CfnTemplate.list(template.properties(id).get("Tags")))
                        .as(id + " carries the tag EmptyBucketsOnDelete requires")
                        .contains(Map.of("Key", EMPTY_TAG, "Value", "true"));
            }
        });
        assertThat(versioned).containsExactlyInAnyOrder("ArtifactBucket", "SourceBucket");
        assertThat(emptied).as("nothing else is emptied").hasSize(versioned.size());
        assertThat(dependsOn(resource("DeploymentPipeline"))).as("the pipeline, the artifacts' writer, goes first")
                .contains("EmptyBucketsOnDelete");
    }

    @Test
    void theWebLogGroupOutlivesTheInstancesAndARecreatedOneExpires() {
        assertThat(dependsOn(resource("WebAutoScalingGroup"))).contains("WebLogGroup");
        String siteConfig = String.valueOf(CfnTemplate.list(((Map<?, ?>) template.properties("SiteConfigParameter")
                .get("Value")).get("Fn::Sub")).get(0));
        String group = String.valueOf(((Map<?, ?>) template.properties("WebLogGroup").get("LogGroupName")).get("Fn::Sub"));
        assertThat(siteConfig).as("the instances' agent writes to the stack's group, with its retention")
                .contains("\"log_group\": \"" + group + "\"")
                .contains("\"log_retention_days\": \"${LogRetentionDays}\"");
        assertThat(template.properties("WebLogGroup").get("RetentionInDays")).isEqualTo(Map.of("Ref", "LogRetentionDays"));
    }

    @Test
    void whatTheStackKeepsOnDeleteIsNamedInTheTeardownSection() {
        String docs = String.join("\n", lines("docs/architecture.md"));
        int start = docs.indexOf("### Teardown");
        assertThat(start).as("docs/architecture.md has a Teardown section").isNotNegative();
        int end = docs.indexOf("\n## ", start);
        String teardown = docs.substring(start, end < 0 ? docs.length() : end);
        List<String> kept = new ArrayList<>();
        template.section("Resources").forEach((id, r) -> {
            Object policy = CfnTemplate.map(r).get("DeletionPolicy");
            if (policy != null && !"Delete".equals(policy)) {
                kept.add(id);
                assertThat(teardown).as("Teardown names " + id + " (DeletionPolicy " + policy + ")").contains("`" + id + "`");
            }
        });
        assertThat(kept).contains("DatabaseCluster", "FileSystem", "AccessLogBucket");
        // A failed first deploy leaves no file system behind (CloudFormation deletes a RetainExceptOnCreate
        // resource when the create that made it rolls back), and a delete keeps moodledata.
        assertThat(resource("FileSystem").get("DeletionPolicy")).isEqualTo("RetainExceptOnCreate");
        assertThat(teardown).contains("EmptyBucketsOnDelete", "DatabaseDeletionProtection", "scripts/preflight");
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(CfnTemplate.repositoryRoot().resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
