package io.moodleautopilot.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.moodleautopilot.testbed.AwsGateway;
import io.moodleautopilot.testbed.CfnTemplate;
import io.moodleautopilot.testbed.ElastiCacheOfferingsStandIn;
import io.moodleautopilot.testbed.LambdaAccountStandIn;
import io.moodleautopilot.testbed.MotoExtension;
import io.moodleautopilot.testbed.MotoServer;
import io.moodleautopilot.testbed.RdsEngineVersionsStandIn;
import io.moodleautopilot.testbed.SesAccountStandIn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * scripts/preflight against the emulator: moto, behind the project's gateway with stand-ins (in the
 * real wire protocols) for the four calls moto lacks (Lambda GetAccountSettings, RDS
 * DescribeDBEngineVersions, ElastiCache DescribeCacheEngineVersions and DescribeServerlessCaches,
 * SESv2 GetAccount). A configuration that can deploy exits 0; each broken one exits 1 and prints the
 * problem and its fix.
 */
@ExtendWith(MotoExtension.class)
class PreflightTest {
    private static final Path ROOT = CfnTemplate.repositoryRoot();
    private static final CfnTemplate TEMPLATE = CfnTemplate.load();

    private final LambdaAccountStandIn lambda = new LambdaAccountStandIn();
    private final RdsEngineVersionsStandIn rds = new RdsEngineVersionsStandIn();
    private final ElastiCacheOfferingsStandIn caches = new ElastiCacheOfferingsStandIn();
    private final SesAccountStandIn ses = new SesAccountStandIn();
    private AwsGateway gateway;

    record Run(int exit, String output) {
        List<String> failures() {
            return output.lines().filter(l -> l.startsWith("  FAIL")).toList();
        }

        List<String> warnings() {
            return output.lines().filter(l -> l.startsWith("  warn")).toList();
        }

        /** The "fix:" line printed under the first problem line that contains text. */
        String fixOf(String text) {
            List<String> lines = output.lines().toList();
            for (int i = 0; i + 1 < lines.size(); i++) {
                if ((lines.get(i).startsWith("  FAIL") || lines.get(i).startsWith("  warn")) && lines.get(i).contains(text)) {
                    assertThat(lines.get(i + 1)).as("the line after the problem").startsWith("        fix: ");
                    return lines.get(i + 1).trim();
                }
            }
            throw new AssertionError("no problem line containing '" + text + "' in:\n" + output);
        }
    }

    /** The versions the template deploys by default, offered, plus one newer of each family. */
    @BeforeEach
    void start(MotoServer moto) {
        Map<String, String> defaults = TEMPLATE.parameterDefaults();
        for (String p : versionParameters()) {
            String version = defaults.get(p);
            boolean postgres = !version.contains("mysql");
            String family = postgres ? "aurora-postgresql" + version.split("\\.")[0] : "aurora-mysql8.0";
            String engine = postgres ? "aurora-postgresql" : "aurora-mysql";
            rds.offer(engine, version, family);
            rds.offer(engine, postgres ? version.split("\\.")[0] + ".99" : "8.0.mysql_aurora.3.99.0", family);
        }
        caches.offer("valkey", "7.2", "8.0").offer("redis", "7.1").offer("memcached", "1.6.22");
        gateway = new AwsGateway(moto.url(), List.of(lambda, rds, caches, ses));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    /** The parameters template.yaml reads the Aurora version from (DatabaseCluster's EngineVersion), in order. */
    private static List<String> versionParameters() {
        List<String> out = new ArrayList<>();
        collectRefs(TEMPLATE.properties("DatabaseCluster").get("EngineVersion"), out);
        out.removeIf(p -> !TEMPLATE.parameterDefaults().containsKey(p));
        assertThat(out).as("DatabaseCluster's EngineVersion names its parameters").isNotEmpty();
        return out;
    }

    private static void collectRefs(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.containsKey("Ref")) {
                out.add(String.valueOf(m.get("Ref")));
            }
            m.values().forEach(v -> collectRefs(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectRefs(v, out));
        }
    }

    private Map<String, String> environment() {
        Map<String, String> env = new java.util.HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (!k.startsWith("AWS_")) {
                env.put(k, v);
            }
        });
        env.put("AWS_ENDPOINT_URL", gateway.url());
        env.put("AWS_ACCESS_KEY_ID", "testing");
        env.put("AWS_SECRET_ACCESS_KEY", "testing");
        env.put("AWS_REGION", MotoServer.REGION);
        env.put("AWS_DEFAULT_REGION", MotoServer.REGION);
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        return env;
    }

    private Run preflight(String... args) {
        return preflight(environment(), args);
    }

    private Run preflight(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/preflight").toString()));
        cmd.addAll(List.of(args));
        Run run = exec(cmd, env);
        System.out.println("$ scripts/preflight " + String.join(" ", args) + "\n" + run.output());
        return run;
    }

    /** A fixture step with the SDK the preflight itself uses (boto3 from the project's .venv). */
    private String boto3(String code) {
        Run run = exec(List.of(ROOT.resolve(".venv/bin/python").toString(), "-c",
                "import boto3, json\n" + code), environment());
        assertThat(run.exit()).as(run.output()).isZero();
        return run.output().strip();
    }

    private static Run exec(List<String> cmd, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(ROOT.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Run(p.waitFor(), out);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed certificate imported into ACM in the region, for the names given; its ARN. */
    private String importCertificate(String region, String... names) {
        String san = String.join(",", java.util.Arrays.stream(names).map(n -> "DNS:" + n).toList());
        return boto3("""
                import subprocess, tempfile, os
                d = tempfile.mkdtemp()
                subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=%s", "-addext", "subjectAltName=%s",
                    "-keyout", d + "/key.pem", "-out", d + "/cert.pem"], check=True, capture_output=True)
                acm = boto3.client("acm", region_name="%s")
                print(acm.import_certificate(Certificate=open(d + "/cert.pem", "rb").read(),
                    PrivateKey=open(d + "/key.pem", "rb").read())["CertificateArn"])
                """.formatted(names[0], san, region));
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void theDevAndProdEnvironmentsPassAsTheyAre() {
        for (String env : List.of("dev", "prod")) {
            Run run = preflight("--config-env", env);

            assertThat(run.exit()).as(run.output()).isZero();
            assertThat(run.failures()).isEmpty();
            assertThat(run.output()).contains("stack 'moodle-" + env + "' in us-east-1")
                    .contains("ok    Aurora engine version: aurora-postgresql ")
                    .contains("ok    web instance type: ")
                    .contains("ok    caches: valkey is offered")
                    .contains("ok    stack name: 'moodle-" + env + "'")
                    .contains("preflight: nothing found that would fail the deploy");
        }
    }

    @Test
    void aStackNameTooLongOrNotLowerCaseFails() {
        Run run = preflight("--config-env", "dev", "--stack-name", "Moodle_Production_University_2026");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("stack name: 'Moodle_Production_University_2026' must be: "
                + "lower-case letters, digits and single hyphens, a letter first; at most 28 characters (it has 33)"));
        assertThat(run.fixOf("stack name")).isEqualTo(
                "fix: deploy as e.g. 'moodle-production-university' (--stack-name, or stack_name in samconfig.toml)");
        assertThat(run.output()).contains("preflight: 1 problem(s) would fail the deploy");

        for (String bad : List.of("moodle--dev", "moodle-", "aws-moodle", "amazonmoodle", "1moodle")) {
            Run r = preflight("--config-env", "dev", "--stack-name", bad);
            assertThat(r.failures()).as(bad).singleElement().asString().contains("stack name: '" + bad + "' must be");
        }
        Run longest = preflight("--config-env", "dev", "--stack-name", "m".repeat(28));
        assertThat(longest.failures()).isEmpty();
    }

    @Test
    void anEngineVersionTheRegionDoesNotOfferFailsAndTheFixNamesItsParameter() {
        String parameter = versionParameters().get(0);

        Run run = preflight("--config-env", "dev", "--parameter-overrides", parameter + "=16.42");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("aurora-postgresql 16.42 is not offered in us-east-1"));
        String defaultVersion = TEMPLATE.parameterDefaults().get(parameter);
        assertThat(run.fixOf("16.42")).isEqualTo("fix: set " + parameter + " to one of the versions us-east-1 offers in "
                + "aurora-postgresql16: " + defaultVersion + ", 16.99");
    }

    @Test
    void reservedConcurrencyBeyondALowAccountLimitFails() {
        lambda.concurrency(10, 10);

        Run run = preflight("--config-env", "dev", "--parameter-overrides", "InstallDetectorReservedConcurrency=1");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("reserving 1 would leave 9 unreserved executions (account limit 10)"));
        assertThat(run.fixOf("reserving 1")).contains("set InstallDetectorReservedConcurrency=0")
                .contains("an account limit of at least 101");

        // The same reservation in an account with the usual limit is fine; and without one, any limit is.
        lambda.concurrency(1000, 1000);
        assertThat(preflight("--config-env", "dev", "--parameter-overrides", "InstallDetectorReservedConcurrency=1")
                .exit()).isZero();
        lambda.concurrency(10, 10);
        Run none = preflight("--config-env", "dev");
        assertThat(none.exit()).isZero();
        assertThat(none.output()).contains("ok    Lambda concurrency: the stack reserves no concurrency");
    }

    @Test
    void certificatesMustBeInTheirRegionIssuedAndCoverTheSite() {
        String domain = "moodle.example.edu";
        String albHere = importCertificate("us-east-1", domain, "origin." + domain);
        String cdnHere = importCertificate("us-east-1", domain);
        String elsewhere = importCertificate("eu-west-1", domain, "origin." + domain);

        Run good = preflight("--config-env", "dev", "--parameter-overrides", "DomainName=" + domain,
                "EnableCdn=true", "AlbCertificateArn=" + albHere, "CdnCertificateArn=" + cdnHere);
        assertThat(good.exit()).as(good.output()).isZero();
        assertThat(good.output()).contains("ok    certificates: AlbCertificateArn: issued in us-east-1, covers "
                + domain + ", origin." + domain)
                .contains("ok    certificates: CdnCertificateArn: issued in us-east-1, covers " + domain);

        Run alb = preflight("--config-env", "dev", "--parameter-overrides", "DomainName=" + domain,
                "AlbCertificateArn=" + elsewhere);
        assertThat(alb.exit()).isEqualTo(1);
        assertThat(alb.failures()).anyMatch(l -> l.contains(
                "AlbCertificateArn is in eu-west-1; the load balancer takes certificates from us-east-1 only"));
        assertThat(alb.fixOf("AlbCertificateArn is in")).contains("aws acm request-certificate --region us-east-1");

        // A stack in eu-west-1: the load balancer's certificate is right there, CloudFront's is not.
        Run cdn = preflight("--config-env", "dev", "--region", "eu-west-1", "--parameter-overrides",
                "DomainName=" + domain, "EnableCdn=true", "AlbCertificateArn=" + elsewhere,
                "CdnCertificateArn=" + elsewhere);
        assertThat(cdn.exit()).isEqualTo(1);
        assertThat(cdn.failures()).anyMatch(l -> l.contains(
                "CdnCertificateArn is in eu-west-1; CloudFront takes certificates from us-east-1 only"));
        assertThat(cdn.output()).contains("ok    certificates: AlbCertificateArn: issued in eu-west-1");

        Run narrow = preflight("--config-env", "dev", "--parameter-overrides", "DomainName=" + domain,
                "EnableCdn=true", "AlbCertificateArn=" + cdnHere);
        assertThat(narrow.failures()).anyMatch(l -> l.contains("AlbCertificateArn does not cover origin." + domain));
    }

    @Test
    void aCertificateStillWaitingForValidationFails() {
        String pending = boto3("""
                print(boto3.client("acm").request_certificate(DomainName="moodle.example.edu",
                    ValidationMethod="DNS")["CertificateArn"])""");

        Run run = preflight("--config-env", "dev", "--parameter-overrides", "DomainName=moodle.example.edu",
                "AlbCertificateArn=" + pending);

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("AlbCertificateArn is PENDING_VALIDATION, not ISSUED"));
        assertThat(run.fixOf("PENDING_VALIDATION")).contains("finish its validation");
    }

    @Test
    void anInstanceTypeNotOfferedInTheStacksZonesFails() {
        Run run = preflight("--config-env", "dev", "--parameter-overrides", "WebInstanceType=x9g.huge");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains(
                "x9g.huge is not offered in us-east-1a, us-east-1b (the stack's zones: us-east-1a, us-east-1b)"));
        assertThat(run.fixOf("x9g.huge")).startsWith("fix: set WebInstanceType to a type offered in all of them, e.g. t4g.small");
    }

    @Test
    void aCacheEngineOrServerlessTheRegionLacksFails() {
        caches.reset();
        caches.offer("redis", "7.1").offer("memcached", "1.6.22").serverless(false);

        Run run = preflight("--config-env", "dev");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("caches: valkey is not offered in us-east-1"));
        assertThat(run.fixOf("valkey is not offered")).isEqualTo("fix: set ApplicationCacheEngine, SessionCacheEngine to redis or none");

        Run serverless = preflight("--config-env", "dev", "--parameter-overrides", "SessionCacheEngine=serverless",
                "ApplicationCacheEngine=redis");
        assertThat(serverless.failures()).anyMatch(l -> l.contains("ElastiCache Serverless is not available in us-east-1"));
        assertThat(serverless.fixOf("ElastiCache Serverless")).contains("set SessionCacheEngine to valkey");
    }

    @Test
    void mailThroughSesWarnsOfTheSandboxAndFailsOnAnIdentityTheStackCannotCreate() {
        Run run = preflight("--config-env", "dev", "--parameter-overrides", "MailDomain=example.edu");

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.warnings()).anyMatch(l -> l.contains("SES sandbox")).anyMatch(l -> l.contains("no HostedZoneId"));
        assertThat(run.fixOf("SES sandbox")).contains("aws sesv2 put-account-details --region us-east-1 --production-access-enabled");

        // An identity that exists before the stack: AWS::SES::EmailIdentity's create would fail.
        boto3("boto3.client('sesv2').create_email_identity(EmailIdentity='example.edu')");
        Run taken = preflight("--config-env", "dev", "--parameter-overrides", "MailDomain=example.edu");
        assertThat(taken.exit()).isEqualTo(1);
        assertThat(taken.failures()).anyMatch(l -> l.contains("example.edu is already an SES identity in us-east-1"));
        assertThat(taken.fixOf("already an SES identity")).contains("aws sesv2 delete-email-identity --email-identity example.edu");

        ses.productionAccess(true);
        Run production = preflight("--config-env", "dev", "--parameter-overrides", "MailDomain=mail-moodle.example.edu",
                "HostedZoneId=Z0123456789ABCDEFGHIJ");
        assertThat(production.exit()).as(production.output()).isZero();
        assertThat(production.warnings()).noneMatch(l -> l.contains("sandbox") || l.contains("HostedZoneId"));

        Run none = preflight("--config-env", "dev");
        assertThat(none.output()).contains("no MailDomain: the stack sets up no SES e-mail");
    }

    @Test
    void aStackLeftInRollbackCompleteFails() {
        gateway.respond("DescribeStacks", 200, "text/xml", """
                <DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
                  <DescribeStacksResult><Stacks><member>
                    <StackName>moodle-dev</StackName>
                    <StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/moodle-dev/1</StackId>
                    <StackStatus>ROLLBACK_COMPLETE</StackStatus>
                    <CreationTime>2026-11-20T10:00:00Z</CreationTime>
                  </member></Stacks></DescribeStacksResult>
                  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
                </DescribeStacksResponse>""", 1);

        Run run = preflight("--config-env", "dev");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("'moodle-dev' is ROLLBACK_COMPLETE: CloudFormation cannot deploy to it"));
        assertThat(run.fixOf("ROLLBACK_COMPLETE")).contains("sam delete --stack-name moodle-dev --region us-east-1");
    }

    @Test
    void namesAnEarlierStackLeftBehindFail() {
        boto3("boto3.client('logs').create_log_group(logGroupName='/moodle/moodle-dev/web')");

        Run run = preflight("--config-env", "dev");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("log group /moodle/moodle-dev/web (WebLogGroup) exists already"));
        assertThat(run.fixOf("/moodle/moodle-dev/web")).contains("aws logs delete-log-group --log-group-name /moodle/moodle-dev/web");
    }

    @Test
    void aSecretNameStillScheduledForDeletionFails() {
        String secret = TEMPLATE.section("Resources").entrySet().stream()
                .filter(e -> "AWS::SecretsManager::Secret".equals(((Map<?, ?>) e.getValue()).get("Type")))
                .map(e -> TEMPLATE.properties(e.getKey()).get("Name"))
                .filter(n -> n != null)
                .map(n -> new CfnTemplate.Resolver(TEMPLATE, "moodle-dev", Map.of(), Map.of()).string(n))
                .findFirst().orElse(null);
        assumeTrue(secret != null, "template.yaml names no secret");
        boto3("""
                sm = boto3.client('secretsmanager')
                sm.create_secret(Name='%s', SecretString='x')
                sm.delete_secret(SecretId='%s', RecoveryWindowInDays=7)""".formatted(secret, secret));

        Run run = preflight("--config-env", "dev");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).anyMatch(l -> l.contains("secret " + secret) && l.contains("scheduled for deletion"));
        assertThat(run.fixOf("scheduled for deletion")).contains("--force-delete-without-recovery");
    }

    @Test
    void everyProblemIsPrintedNotOnlyTheFirst() {
        Run run = preflight("--config-env", "dev", "--stack-name", "Bad_Name", "--parameter-overrides",
                "NoSuchParameter=1", "WebInstanceType=x9g.huge", "CacheReplicas=7");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).hasSize(4)
                .anyMatch(l -> l.contains("NoSuchParameter is not a parameter of template.yaml"))
                .anyMatch(l -> l.contains("CacheReplicas='7' is not one of 0, 1, 2"))
                .anyMatch(l -> l.contains("stack name"))
                .anyMatch(l -> l.contains("x9g.huge"));
        assertThat(run.output()).contains("preflight: 4 problem(s) would fail the deploy");
    }

    @Test
    void withoutCredentialsItStopsAtOnce() {
        Map<String, String> env = environment();
        env.remove("AWS_ACCESS_KEY_ID");
        env.remove("AWS_SECRET_ACCESS_KEY");

        Run run = preflight(env, "--config-env", "dev");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.failures()).singleElement().asString().contains("credentials: no usable AWS credentials");
    }

    @Test
    void anUnknownEnvironmentIsAUsageError() {
        Run run = preflight("--config-env", "staging");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.output()).contains("has no [staging.*] tables");
    }
}
