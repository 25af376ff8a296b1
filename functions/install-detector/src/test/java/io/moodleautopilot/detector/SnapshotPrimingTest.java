package io.moodleautopilot.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.DetectorStack;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.MoodleSite;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SnapStart's hooks in Lambda's order, then a detection: priming reads the flag, the phase record and
 * the cluster, within the function's policy, and never the database password.
 */
@ExtendWith({MotoExtension.class, WireMockExtension.class, EmbeddedPostgresExtension.class})
class SnapshotPrimingTest {

    @Test
    void checkpointThenRestoreThenADetection(EmbeddedPostgres pg) throws Exception {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_")
                .create("postgres", "pg-Secret-123");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()),
                MoodleSite.Dialect.POSTGRESQL, "mdl_").drop();
        site.pluginsInstalling();
        InstallDetectorHandler handler = new InstallDetectorHandler(stack.functionEnvironment(), new AwsClients());

        var primed = AwsCallRecorder.record(() -> {
            handler.beforeCheckpoint(null);
            handler.afterRestore(null);
        });

        assertThat(primed.calls()).extracting(RecordedCall::action)
                .contains("ssm:GetParameter", "rds:DescribeDBClusters")
                .doesNotContain("secretsmanager:GetSecretValue");
        assertThat(primed.calls()).noneMatch(RecordedCall::isWrite);
        assertThat(stack.functionPolicy().violations(primed.calls())).isEmpty();

        byte[] schedule = Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events/scheduled-install-detector.json"));
        var run = AwsCallRecorder.record(() -> FunctionRun.invoke(handler, schedule, "moodle-install-detector", 30_000));

        assertThat(run.value().result().path("phase").asText()).isEqualTo("INSTALLING");
        assertThat(run.calls()).extracting(RecordedCall::action).contains("secretsmanager:GetSecretValue");
    }
}
