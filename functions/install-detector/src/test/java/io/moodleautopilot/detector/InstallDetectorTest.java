package io.moodleautopilot.detector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.testbed.AwsCallRecorder;
import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.DetectorStack;
import io.moodleautopilot.testbed.EmbeddedPostgresExtension;
import io.moodleautopilot.testbed.FunctionRun;
import io.moodleautopilot.testbed.IamPolicy;
import io.moodleautopilot.testbed.LocalLambdaContext;
import io.moodleautopilot.testbed.MariaDbExtension;
import io.moodleautopilot.testbed.MariaDbServer;
import io.moodleautopilot.testbed.MoodleSite;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.RecordedCall;
import io.moodleautopilot.testbed.WireMockExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The InstallDetector end to end: real handler, moto, real PostgreSQL and MariaDB with Moodle's tables. */
@ExtendWith({MotoExtension.class, WireMockExtension.class, EmbeddedPostgresExtension.class, MariaDbExtension.class})
class InstallDetectorTest {
    private static final byte[] SCHEDULE = read("scheduled-install-detector.json");

    private static byte[] read(String file) {
        try {
            return Files.readAllBytes(CfnTemplate.repositoryRoot().resolve("events").resolve(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static FunctionRun.Outcome run(InstallDetectorHandler h) {
        return FunctionRun.invoke(h, SCHEDULE, "moodle-install-detector", 30_000);
    }

    private static InstallDetectorHandler handler(DetectorStack stack) {
        return new InstallDetectorHandler(stack.functionEnvironment(), new AwsClients());
    }

    private static MoodleSite mariaSite(MariaDbServer maria, String prefix) {
        return new MoodleSite(MoodleSite.connections(maria.url(), MariaDbServer.USER, MariaDbServer.PASSWORD),
                MoodleSite.Dialect.MYSQL, prefix);
    }

    @Test
    void walksTheWebInstallerOnPostgresAndSetsTheFlagOnceComplete(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pg-Secret-123");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_").drop();
        InstallDetectorHandler h = handler(stack);

        assertThat(run(h).result().path("phase").asText()).isEqualTo("NOT_INSTALLED");
        site.pluginsInstalling();
        assertThat(run(h).result().path("phase").asText()).isEqualTo("INSTALLING");
        site.drop().wizardAdminSetupPending();
        assertThat(run(h).result().path("phase").asText()).isEqualTo("ADMIN_SETUP_PENDING");
        site.drop().wizardSiteSettingsPending();
        var pending = run(h);
        assertThat(pending.result().path("phase").asText()).isEqualTo("SITE_SETTINGS_PENDING");
        assertThat(pending.metrics()).containsExactly("InstallPhase");
        assertThat(stack.flag().value()).isEqualTo("No");
        assertThat(stack.ruleEnabled()).isTrue();

        site.setSiteNames("Moodle Autopilot University", "MAU");
        // Complete, but not for the settle time yet: the installer may still be finishing.
        assertThat(run(h).outcome()).isEqualTo("SETTLING");
        assertThat(stack.flag().value()).isEqualTo("No");
        assertThat(stack.phaseRecord()).contains("\"completeSince\"");
        stack.seenCompleteFor(java.time.Duration.ofSeconds(31));
        var done = run(h);

        assertThat(done.outcome()).isEqualTo("FLAG_SET");
        assertThat(stack.flag().value()).isEqualTo("Yes");
        assertThat(stack.flag().version()).isEqualTo(2);
        assertThat(stack.phaseRecord()).contains("\"phase\":\"COMPLETE\"").contains("\"loginPageProbe\":\"not configured\"");
        assertThat(stack.ruleEnabled()).isFalse();

        var again = AwsCallRecorder.record(() -> run(h));
        assertThat(again.value().outcome()).isEqualTo("OBSERVED");
        assertThat(again.calls()).extracting(RecordedCall::action).doesNotContain("ssm:PutParameter");
        assertThat(stack.flag().version()).isEqualTo(2);
        site.drop();
    }

    @Test
    void aCompleteAuroraMysqlSiteWithItsOwnPrefixIsDetected(MariaDbServer maria) {
        DetectorStack stack = new DetectorStack("moodle", "auroramysql", maria.port(), MariaDbServer.DATABASE, "lms_")
                .create(MariaDbServer.USER, MariaDbServer.PASSWORD);
        MoodleSite site = mariaSite(maria, "lms_").drop().complete();
        assertThat(run(handler(stack)).outcome()).isEqualTo("SETTLING");
        stack.seenCompleteFor(java.time.Duration.ofSeconds(31));

        var result = run(handler(stack));

        assertThat(result.outcome()).isEqualTo("FLAG_SET");
        assertThat(stack.flag().value()).isEqualTo("Yes");
        assertThat(result.allOutput()).doesNotContain(MariaDbServer.PASSWORD);
        site.drop();
    }

    @Test
    void theCliInstallersWindowBeforeTheSiteNamesDoesNotFlip(MariaDbServer maria) {
        DetectorStack stack = new DetectorStack("moodle", "mysqli", maria.port(), MariaDbServer.DATABASE, "mdl_")
                .create(MariaDbServer.USER, MariaDbServer.PASSWORD);
        MoodleSite site = mariaSite(maria, "mdl_").drop().cliBeforeSiteNames();

        assertThat(run(handler(stack)).result().path("phase").asText()).isEqualTo("SITE_SETTINGS_PENDING");
        assertThat(stack.flag().value()).isEqualTo("No");
        site.drop();
    }

    @Test
    void anUpgradeAfterCompletionNeverTouchesTheFlag(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().upgrading();
        stack.setFlag("Yes");

        var result = AwsCallRecorder.record(() -> run(handler(stack)));

        assertThat(result.value().result().path("phase").asText()).isEqualTo("UPGRADING");
        assertThat(stack.flag().version()).isEqualTo(2);
        assertThat(result.calls()).noneMatch(c -> c.action().equals("ssm:PutParameter")
                && c.resources().get(0).endsWith("IsMoodleSetupCompleted"));
        site.drop();
    }

    @Test
    void aFlagThatIsNeitherYesNorNoIsLeftAlone(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().complete();
        stack.setFlag("maybe");

        assertThat(run(handler(stack)).outcome()).isEqualTo("OBSERVED");
        assertThat(stack.flag().value()).isEqualTo("maybe");
        site.drop();
    }

    @Test
    void aClusterThatIsNotAvailableIsNotConnectedTo(AwsGateway gateway, MariaDbServer maria) {
        DetectorStack stack = new DetectorStack("moodle", "auroramysql", maria.port(), MariaDbServer.DATABASE, "mdl_")
                .create(MariaDbServer.USER, MariaDbServer.PASSWORD);
        MoodleSite site = mariaSite(maria, "mdl_").drop().complete();
        gateway.respond("DescribeDBClusters", 200, "text/xml",
                "<DescribeDBClustersResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><DescribeDBClustersResult>"
                        + "<DBClusters><DBCluster><DBClusterIdentifier>" + stack.cluster + "</DBClusterIdentifier>"
                        + "<Status>modifying</Status></DBCluster></DBClusters></DescribeDBClustersResult>"
                        + "<ResponseMetadata><RequestId>8f3c</RequestId></ResponseMetadata></DescribeDBClustersResponse>", 1);

        var result = AwsCallRecorder.record(() -> run(handler(stack)));

        assertThat(result.value().outcome()).isEqualTo("DATABASE_NOT_AVAILABLE");
        assertThat(result.value().result().path("message").asText()).contains("modifying");
        assertThat(result.value().metrics()).containsExactly("DatabaseNotAvailable");
        assertThat(result.calls()).extracting(RecordedCall::action).containsExactly("rds:DescribeDBClusters");
        assertThat(stack.flag().value()).isEqualTo("No");
        site.drop();
    }

    @Test
    void anUnreachableDatabaseIsAClearErrorAndNoFlip() {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", MotoServer.freePort(), "moodle", "mdl_").create("moodle", "pw-Unreach-9");
        var result = run(handler(stack));
        assertThat(result.outcome()).isEqualTo("DATABASE_ERROR");
        assertThat(result.metrics()).containsExactly("DatabaseUnreachable");
        assertThat(result.errorLogs()).hasSize(1);
        assertThat(result.allOutput()).doesNotContain("pw-Unreach-9");
        assertThat(stack.flag().value()).isEqualTo("No");
    }

    @Test
    void wrongCredentialsAreAClearErrorWithoutTheCredential(MariaDbServer maria) {
        String wrong = "Wrong-pw-That-Must-Not-Leak";
        DetectorStack stack = new DetectorStack("moodle", "auroramysql", maria.port(), MariaDbServer.DATABASE, "mdl_")
                .create(MariaDbServer.USER, wrong);
        var result = run(handler(stack));
        assertThat(result.outcome()).isEqualTo("DATABASE_ERROR");
        assertThat(result.metrics()).containsExactly("DatabaseAuthenticationFailed");
        assertThat(result.allOutput()).doesNotContain(wrong).doesNotContain(MariaDbServer.PASSWORD);
        assertThat(stack.flag().value()).isEqualTo("No");
    }

    @Test
    void aRotatedSecretIsReadAgainAfterAnAuthenticationFailure(MariaDbServer maria) {
        DetectorStack stack = new DetectorStack("moodle", "auroramysql", maria.port(), MariaDbServer.DATABASE, "mdl_")
                .create(MariaDbServer.USER, MariaDbServer.PASSWORD);
        MoodleSite site = mariaSite(maria, "mdl_").drop().wizardSiteSettingsPending();
        InstallDetectorHandler h = handler(stack);
        assertThat(run(h).result().path("phase").asText()).isEqualTo("SITE_SETTINGS_PENDING"); // login now cached

        String rotated = "Rotated-pw-2";
        maria.admin("ALTER USER '" + MariaDbServer.USER + "'@'%' IDENTIFIED BY '" + rotated + "'");
        try {
            stack.setSecret(MariaDbServer.USER, rotated);
            var result = AwsCallRecorder.record(() -> run(h));
            assertThat(result.value().result().path("phase").asText()).isEqualTo("SITE_SETTINGS_PENDING");
            assertThat(result.calls()).extracting(RecordedCall::action).containsOnlyOnce("secretsmanager:GetSecretValue");
            assertThat(result.value().allOutput()).doesNotContain(rotated);
        } finally {
            maria.admin("ALTER USER '" + MariaDbServer.USER + "'@'%' IDENTIFIED BY '" + MariaDbServer.PASSWORD + "'");
            site.drop();
        }
    }

    @Test
    void aMissingSecretIsAConfigurationError(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        stack.deleteSecret();
        var result = run(handler(stack));
        assertThat(result.outcome()).isEqualTo("CONFIGURATION_ERROR");
        assertThat(result.result().path("message").asText()).contains("does not exist");
        assertThat(result.metrics()).containsExactly("ConfigurationError");
        assertThat(stack.flag().value()).isEqualTo("No");
    }

    @Test
    void foreignEventsAreRejected(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        for (String e : List.of("{oops", "[]", "{\"detail-type\":\"Parameter Store Change\",\"source\":\"aws.ssm\"}")) {
            var result = AwsCallRecorder.record(() -> FunctionRun.invoke(handler(stack), e.getBytes(), "f", 30_000));
            assertThat(result.value().outcome()).isEqualTo("REJECTED");
            assertThat(result.value().metrics()).containsExactly("RejectedEvent");
            assertThat(result.calls()).isEmpty();
        }
    }

    @Test
    void everyCallIsAllowedByTheTemplatesPolicyAndEveryGrantIsUsed(EmbeddedPostgres pg, MariaDbServer maria) {
        DetectorStack stack = new DetectorStack("moodle", "auroramysql", maria.port(), MariaDbServer.DATABASE, "mdl_")
                .create(MariaDbServer.USER, MariaDbServer.PASSWORD);
        MoodleSite site = mariaSite(maria, "mdl_").drop().wizardSiteSettingsPending();
        InstallDetectorHandler h = handler(stack);
        List<RecordedCall> calls = new ArrayList<>(AwsCallRecorder.record(() -> {
            run(h);
            site.setSiteNames("Moodle Autopilot University", "MAU");
            run(h);
            stack.seenCompleteFor(java.time.Duration.ofSeconds(31));
            run(h);
        }).calls());
        IamPolicy policy = stack.functionPolicy();

        assertThat(policy.violations(calls)).as("calls the policy does not allow").isEmpty();
        assertThat(policy.unusedActions(calls)).as("granted actions never used").isEmpty();
        assertThat(policy.actionsOnAnyResource()).isEmpty();
        assertThat(new DetectorStack("other", "pgsql", 5432, "moodle", "mdl_").create("u", "p").functionPolicy()
                .violations(calls)).isNotEmpty();
        site.drop();
    }

    @Test
    void twoDetectorsRacingOnACompleteSiteWriteYesOnce(EmbeddedPostgres pg) throws Exception {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().complete();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<String> losers = new ArrayList<>();
        try {
            // Several rounds: each is a new No (a new flag version), so a new transition to claim. Each
            // is a reinstall: the detector sees the site incomplete under that No first, else the No
            // would be an operator's on an installed site, which no detector flips.
            for (int round = 0; round < 4; round++) {
                stack.setFlag("No");
                site.drop();
                assertThat(run(handler(stack)).result().path("phase").asText()).isEqualTo("NOT_INSTALLED");
                site.complete();
                assertThat(run(handler(stack)).outcome()).isEqualTo("SETTLING");
                stack.seenCompleteFor(java.time.Duration.ofSeconds(31));
                long before = stack.flag().version();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<JsonNode>> results = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    InstallDetectorHandler h = handler(stack);
                    results.add(pool.submit(() -> {
                        go.await();
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        h.handleRequest(new ByteArrayInputStream(SCHEDULE), out, new LocalLambdaContext("f", 30_000));
                        return new ObjectMapper().readTree(out.toByteArray());
                    }));
                }
                go.countDown();
                List<JsonNode> outcomes = new ArrayList<>();
                for (Future<JsonNode> f : results) {
                    outcomes.add(f.get(60, TimeUnit.SECONDS));
                }

                assertThat(outcomes).extracting(o -> o.path("outcome").asText()).containsOnlyOnce("FLAG_SET");
                assertThat(stack.flag().value()).isEqualTo("Yes");
                assertThat(stack.flag().version()).as("one Yes write in round %d", round).isEqualTo(before + 1);
                // The other read No too and lost the claim, or ran late enough to read Yes already.
                outcomes.stream().filter(o -> !o.path("outcome").asText().equals("FLAG_SET")).forEach(o -> {
                    assertThat(o.path("outcome").asText()).isIn("CLAIMED_ELSEWHERE", "OBSERVED");
                    if (o.path("outcome").asText().equals("CLAIMED_ELSEWHERE")) {
                        losers.add(o.path("claimedElsewhere").asText());
                    }
                });
            }
        } finally {
            pool.shutdownNow();
            site.drop();
        }
        assertThat(losers).as("rounds in which both detectors read No (the race the claim decides)").isNotEmpty();
        assertThat(stack.claims()).hasSize(4).containsAll(losers);
    }

    @Test
    void anOperatorsNoOnAnInstalledSiteStaysUntilAReinstall(EmbeddedPostgres pg) {
        // Probe 3.5: installed, in production, then an operator sets No.
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().pluginsInstalling();
        InstallDetectorHandler h = handler(stack);
        assertThat(run(h).result().path("phase").asText()).isEqualTo("INSTALLING");
        site.drop().complete();
        assertThat(run(h).outcome()).isEqualTo("SETTLING");
        stack.seenCompleteFor(java.time.Duration.ofSeconds(31));
        assertThat(run(h).outcome()).isEqualTo("FLAG_SET");
        stack.setFlag("No");
        long operatorsNo = stack.flag().version();

        for (int minute = 0; minute < 2; minute++) {
            var kept = AwsCallRecorder.record(() -> run(handler(stack)));
            assertThat(kept.value().outcome()).isEqualTo("NO_KEPT");
            assertThat(kept.value().allOutput()).contains("left as it is");
            assertThat(stack.flag().value()).isEqualTo("No");
            assertThat(stack.flag().version()).isEqualTo(operatorsNo);
            assertThat(stack.claims()).hasSize(1); // the first installation's only
            assertThat(stack.functionPolicy().violations(kept.calls())).as("reading the phase record").isEmpty();
        }

        // A reinstall under the operator's No: the tables go, come back, complete.
        site.drop();
        assertThat(run(handler(stack)).result().path("phase").asText()).isEqualTo("NOT_INSTALLED");
        site.pluginsInstalling();
        assertThat(run(handler(stack)).result().path("phase").asText()).isEqualTo("INSTALLING");
        site.drop().complete();
        assertThat(run(handler(stack)).outcome()).isEqualTo("SETTLING");
        stack.seenCompleteFor(java.time.Duration.ofSeconds(31));
        var reinstalled = run(handler(stack));

        assertThat(reinstalled.outcome()).isEqualTo("FLAG_SET");
        assertThat(stack.flag().value()).isEqualTo("Yes");
        assertThat(stack.flag().version()).isEqualTo(operatorsNo + 1);
        site.drop();
    }

    @Test
    void aChangeAnotherDetectorClaimedIsLeftToIt(EmbeddedPostgres pg) {
        DetectorStack stack = new DetectorStack("moodle", "pgsql", pg.getPort(), "postgres", "mdl_").create("postgres", "pw-1");
        MoodleSite site = new MoodleSite(MoodleSite.connections(pg.getPostgresDatabase()), MoodleSite.Dialect.POSTGRESQL, "mdl_")
                .drop().complete();
        String claim = stack.claimAsAnotherDetector();
        stack.seenCompleteFor(java.time.Duration.ofSeconds(31));

        var result = AwsCallRecorder.record(() -> run(handler(stack)));

        assertThat(result.value().outcome()).isEqualTo("CLAIMED_ELSEWHERE");
        assertThat(result.value().result().path("claimedElsewhere").asText()).isEqualTo(claim);
        assertThat(result.value().result().path("flagSet").asBoolean()).isFalse();
        assertThat(result.value().allOutput()).contains("another detector claimed the change to Yes (claim " + claim + ")");
        assertThat(stack.flag().value()).isEqualTo("No");
        assertThat(stack.flag().version()).isEqualTo(1);
        assertThat(result.calls()).noneMatch(c -> c.action().equals("ssm:PutParameter")
                && c.resources().get(0).endsWith("IsMoodleSetupCompleted"));
        assertThat(stack.ruleEnabled()).as("left running in case the winner died before writing").isTrue();
        assertThat(stack.functionPolicy().violations(result.calls())).as("the loser's calls").isEmpty();
        site.drop();
    }

    @Test
    void theTemplateRunsTheDetectorInTheVpcWithAnOptionalReservation() {
        CfnTemplate template = CfnTemplate.load();
        Map<String, Object> props = template.properties(DetectorStack.FUNCTION);
        assertThat(props).containsKey("VpcConfig");
        Object reserved = props.get("ReservedConcurrentExecutions");
        Map<String, String> resources = Map.of();
        assertThat(new CfnTemplate.Resolver(template, "moodle", Map.of(), resources).string(reserved))
                .as("no reservation by default (accounts with a low concurrency limit refuse one)").isEmpty();
        assertThat(new CfnTemplate.Resolver(template, "moodle", Map.of("InstallDetectorReservedConcurrency", "1"), resources)
                .string(reserved)).isEqualTo("1");
    }
}
