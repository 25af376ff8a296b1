package io.moodleautopilot.detector;

import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.Json;
import com.amazonaws.services.lambda.runtime.Context;
import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.aws.EventBridgeSchedule;
import io.moodleautopilot.detector.aws.ManagedSecretCredentials;
import io.moodleautopilot.detector.aws.RdsCluster;
import io.moodleautopilot.detector.aws.SsmInstallParameters;
import io.moodleautopilot.core.install.DatabaseException;
import io.moodleautopilot.core.install.DetectionResult;
import io.moodleautopilot.core.install.DetectorSettings;
import io.moodleautopilot.core.install.InstallDetectorService;
import io.moodleautopilot.core.install.JdbcDatabase;
import io.moodleautopilot.core.install.LoginPageProbe;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.function.JsonEventHandler;
import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.rds.RdsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * Entry point of the minute schedule: classify the install from Moodle's tables and set the setup
 * flag when it is complete. Everything that decides lives in {@link InstallDetectorService}.
 */
public class InstallDetectorHandler extends JsonEventHandler {
    /** One set of clients per container, used by the runtime's instance. */
    private static final AwsClients RUNTIME_CLIENTS = new AwsClients();
    private static final Logger LOG = LoggerFactory.getLogger(InstallDetectorHandler.class);

    private final AwsClients clients;
    private final Supplier<SsmClient> ssm;
    private final Supplier<RdsClient> rds;
    private final Supplier<SecretsManagerClient> secretsManager;
    private final Supplier<EventBridgeClient> eventBridge;
    /** Built on the first valid invocation and kept: it holds the cached credentials and the last record. */
    private volatile InstallDetectorService service;

    public InstallDetectorHandler() {
        this(System.getenv(), RUNTIME_CLIENTS);
        AwsClients.buildTogether(ssm, rds, secretsManager);
        registerForSnapshot();
    }

    /**
     * The detector's reads before the snapshot (the flag, the last phase record, the cluster's
     * status) and its JDBC drivers loaded. Never the database password (no secret in a snapshot) and
     * never a database connection (it would be stale after restore, and the database may not exist
     * yet when the version is published).
     */
    @Override
    protected void prime() {
        DetectorSettings settings = DetectorSettings.load(env);
        rejection("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.sql.DriverManager.drivers().count();
        SsmInstallParameters parameters = new SsmInstallParameters(ssm, settings.setupFlagParameter(),
                settings.phaseParameter(), settings.claimPath());
        clients.priming(() -> {
            primeStep("setup flag", parameters::read);
            primeStep("phase record", parameters::last);
            primeStep("cluster status", () -> new RdsCluster(rds, settings.clusterIdentifier()).status());
            secretsManager.get();
            eventBridge.get();
        });
    }

    public InstallDetectorHandler(Map<String, String> env, AwsClients clients) {
        super(env);
        this.clients = clients;
        this.ssm = clients.client(SsmClient::builder);
        this.rds = clients.client(RdsClient::builder);
        this.secretsManager = clients.client(SecretsManagerClient::builder);
        this.eventBridge = clients.client(EventBridgeClient::builder);
    }

    @Override
    protected JsonObject handle(byte[] payload, Context context) {
        String stack = stack();
        MDC.put("stack", stack);
        String rejected = rejection(payload);
        if (rejected != null) {
            LOG.error("event rejected, nothing read: {}", rejected);
            return failure("REJECTED", "RejectedEvent", rejected);
        }
        try {
            DetectionResult r = service().detect();
            MDC.put("phase", r.phase().name());
            telemetry.count(namespace(), stack, "InstallPhase", "Phase", r.phase().name());
            LOG.info("install phase {} (cluster {}, login page {}){}{}{}{}{}", r.phase(), r.clusterStatus(), r.probe(),
                    r.flagSet() ? "; setup flag set to Yes" : "", r.scheduleDisabled() ? "; minute schedule disabled" : "",
                    r.claimedElsewhere() == null ? ""
                            : "; another detector claimed the change to Yes (claim " + r.claimedElsewhere() + ") and writes it",
                    r.noKept() ? "; the No was set on a complete site (never seen incomplete): left as it is" : "",
                    r.settling() ? "; complete, not yet for the settle time: a later run sets the flag" : "");
            String verdict = r.flagSet() ? "FLAG_SET" : r.claimedElsewhere() != null ? "CLAIMED_ELSEWHERE"
                    : r.noKept() ? "NO_KEPT" : r.settling() ? "SETTLING" : "OBSERVED";
            JsonObject n = outcome(verdict, "phase " + r.phase());
            n.put("phase", r.phase().name());
            n.put("clusterStatus", r.clusterStatus());
            n.put("loginPageProbe", r.probe());
            n.put("flagSet", r.flagSet());
            n.put("scheduleDisabled", r.scheduleDisabled());
            if (r.claimedElsewhere() != null) {
                n.put("claimedElsewhere", r.claimedElsewhere());
            }
            return n;
        } catch (InstallDetectorService.DatabaseNotReadyException e) {
            LOG.warn("{}", e.getMessage());
            return failure("DATABASE_NOT_AVAILABLE", "DatabaseNotAvailable", e.getMessage());
        } catch (DatabaseException e) {
            String metric = switch (e.kind()) {
                case AUTHENTICATION -> "DatabaseAuthenticationFailed";
                case UNREACHABLE -> "DatabaseUnreachable";
                case QUERY -> "DatabaseQueryFailed";
            };
            LOG.error("could not read Moodle's database, flag untouched: {}", e.getMessage());
            return failure("DATABASE_ERROR", metric, e.getMessage());
        } catch (ConfigurationException e) {
            LOG.error("configuration error, flag untouched: {}", e.getMessage());
            return failure("CONFIGURATION_ERROR", "ConfigurationError", e.getMessage());
        } catch (RuntimeException e) {
            // AWS errors after the SDK's retries: the next minute tries again; throwing would only
            // add Lambda's async retries on top of the schedule.
            LOG.error("detection failed: {}", e.toString());
            return failure("FAILED", "DetectorFailed", e.getClass().getSimpleName());
        }
    }

    private InstallDetectorService service() {
        InstallDetectorService s = service;
        if (s == null) {
            DetectorSettings settings = DetectorSettings.load(env);
            SsmInstallParameters parameters = new SsmInstallParameters(ssm, settings.setupFlagParameter(),
                    settings.phaseParameter(), settings.claimPath());
            s = new InstallDetectorService(parameters, new RdsCluster(rds, settings.clusterIdentifier()),
                    new ManagedSecretCredentials(secretsManager, settings.secretId()),
                    new JdbcDatabase(settings.target()), parameters, new LoginPageProbe(settings.siteUrl()),
                    new EventBridgeSchedule(eventBridge, settings.scheduleRuleName()), parameters,
                    Clock.systemUTC(), settings.completeSettle());
            service = s;
        }
        return s;
    }

    /** The schedule's event, or a hand-made invoke with an empty object; anything else is refused. */
    private static String rejection(byte[] payload) {
        JsonValue event;
        try {
            event = Json.parse(payload);
        } catch (JsonException e) {
            return "event is not valid JSON";
        }
        if (event == null || !event.isObject()) {
            return "event is not a JSON object";
        }
        if (event.isEmpty()) {
            return null;
        }
        if ("Scheduled Event".equals(event.path("detail-type").asText()) && "aws.events".equals(event.path("source").asText())) {
            return null;
        }
        return "not a scheduled event: detail-type '" + event.path("detail-type").asText("") + "'";
    }
}
