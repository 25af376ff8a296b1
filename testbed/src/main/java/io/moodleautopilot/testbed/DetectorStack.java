package io.moodleautopilot.testbed;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * What the InstallDetector needs, in the emulator as the stack (and the base infrastructure) would
 * have it: the setup flag, an Aurora cluster, its managed secret, the minute schedule rule; plus the
 * function's environment and policy from template.yaml for a database that really runs locally.
 */
public final class DetectorStack {
    public static final String FUNCTION = "InstallDetectorFunction";
    public final String name;
    public final String cluster;
    public final String rule;
    private final Map<String, String> params = new LinkedHashMap<>();
    private final Map<String, String> resources = new LinkedHashMap<>();
    private final String engine;
    private String secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:unset";
    private final CfnTemplate template = CfnTemplate.load();

    /**
     * @param engine Moodle's dbtype (pgsql, auroramysql, ...); the local server runs without TLS,
     *               so the environment's DB_TLS is "disable" (the template allows only TLS modes)
     */
    public DetectorStack(String name, String engine, int port, String database, String prefix) {
        this.name = name;
        this.cluster = name + "-db";
        this.rule = name + "-install-detector";
        this.engine = engine;
        params.putAll(Map.of("DatabaseEngine", engine.equals("pgsql") ? "aurora-postgresql" : "aurora-mysql",
                "DatabaseName", database, "DatabaseTablePrefix", prefix));
        resources.putAll(Map.of("DatabaseCluster", cluster, "DatabaseCluster.Endpoint.Address", "127.0.0.1",
                "DatabaseCluster.Endpoint.Port", String.valueOf(port), "LoadBalancer.DNSName", "",
                "InstallDetectorSecurityGroup.GroupId", "sg-87654321"));
    }


    private CfnTemplate.Resolver resolver() {
        Map<String, String> r = new LinkedHashMap<>(resources);
        r.put("DatabaseCluster.MasterUserSecret.SecretArn", secretArn);
        r.put("SetupCompletedParameter", flagParameter());
        return new CfnTemplate.Resolver(template, name, params, r);
    }

    public Map<String, String> functionEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(template.functionEnvironment(FUNCTION, resolver()));
        env.put("DB_TLS", "disable");
        // The local server's own dialect (the template maps the Aurora engine to pgsql or auroramysql).
        env.put("DB_ENGINE", engine);
        // The local database has no site in front of it: no login-page probe.
        env.put("SITE_URL", "");
        return env;
    }

    public IamPolicy functionPolicy() {
        return template.functionPolicy(FUNCTION, resolver());
    }

    public String flagParameter() {
        return "/Moodle/" + name + "/IsMoodleSetupCompleted";
    }

    public String phaseParameter() {
        return "/Moodle/" + name + "/Automation/InstallPhase";
    }

    public String claimPath() {
        return "/Moodle/" + name + "/Automation/InstallCompleteClaim";
    }

    /**
     * Claims the current flag version's change to Yes as another detector would, by the documented
     * name (v&lt;version&gt;-&lt;epoch second of the flag's modification&gt;).
     *
     * @return the claim's key
     */
    public String claimAsAnotherDetector() {
        software.amazon.awssdk.services.ssm.model.Parameter flag = flag();
        String key = "v" + flag.version() + "-" + flag.lastModifiedDate().getEpochSecond();
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.putParameter(r -> r.name(claimPath() + "/" + key).value("claimed").type(ParameterType.STRING));
        }
        return key;
    }

    /** The names of the claims made so far, relative to {@link #claimPath()}. */
    public List<String> claims() {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            return ssm.getParametersByPathPaginator(r -> r.path(claimPath())).stream()
                    .flatMap(page -> page.parameters().stream())
                    .map(p -> p.name().substring(claimPath().length() + 1)).sorted().toList();
        }
    }

    public DetectorStack create(String dbUser, String dbPassword) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder()); RdsClient rds = AwsCallRecorder.unrecorded(RdsClient.builder());
             EventBridgeClient events = AwsCallRecorder.unrecorded(EventBridgeClient.builder())) {
            ssm.putParameter(r -> r.name(flagParameter()).value("No").type(ParameterType.STRING));
            rds.createDBCluster(r -> r.dbClusterIdentifier(cluster).engine("aurora-postgresql")
                    .masterUsername(dbUser).masterUserPassword("unused-by-the-detector-1"));
            events.putRule(r -> r.name(rule).scheduleExpression("rate(1 minute)"));
        }
        setSecret(dbUser, dbPassword);
        return this;
    }

    /** Creates or updates the cluster's managed secret, in Aurora's JSON shape. */
    public void setSecret(String user, String password) {
        String json = "{\"engine\":\"postgres\",\"username\":\"" + user + "\",\"password\":\"" + password + "\"}";
        try (SecretsManagerClient sm = AwsCallRecorder.unrecorded(SecretsManagerClient.builder())) {
            if (secretArn.endsWith(":unset")) {
                secretArn = sm.createSecret(r -> r.name("rds!cluster-" + cluster).secretString(json)).arn();
            } else {
                sm.putSecretValue(r -> r.secretId(secretArn).secretString(json));
            }
        }
    }

    public void deleteSecret() {
        try (SecretsManagerClient sm = AwsCallRecorder.unrecorded(SecretsManagerClient.builder())) {
            sm.deleteSecret(r -> r.secretId(secretArn).forceDeleteWithoutRecovery(true));
        }
    }

    public void setFlag(String value) {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            ssm.putParameter(r -> r.name(flagParameter()).value(value).type(ParameterType.STRING).overwrite(true));
        }
    }

    public software.amazon.awssdk.services.ssm.model.Parameter flag() {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            return ssm.getParameter(r -> r.name(flagParameter())).parameter();
        }
    }

    public String phaseRecord() {
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            return ssm.getParameter(r -> r.name(phaseParameter())).parameter().value();
        } catch (ParameterNotFoundException e) {
            return null;
        }
    }

    /**
     * Makes the detector's phase record say the site has been seen COMPLETE for {@code d} (its
     * settle time passed), as a minute schedule's earlier runs would have left it.
     */
    public void seenCompleteFor(java.time.Duration d) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        try (SsmClient ssm = AwsCallRecorder.unrecorded(SsmClient.builder())) {
            String current = phaseRecord();
            com.fasterxml.jackson.databind.node.ObjectNode n = current == null ? mapper.createObjectNode()
                    : (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(current);
            n.put("phase", "COMPLETE");
            n.put("completeSince", java.time.Instant.now().minus(d).toString());
            ssm.putParameter(r -> r.name(phaseParameter()).value(n.toString()).type("String").overwrite(true));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the phase record is not JSON", e);
        }
    }

    public boolean ruleEnabled() {
        try (EventBridgeClient events = AwsCallRecorder.unrecorded(EventBridgeClient.builder())) {
            return "ENABLED".equals(events.describeRule(r -> r.name(rule)).stateAsString());
        }
    }
}
