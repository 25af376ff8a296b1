package io.moodleautopilot.converger;

import com.amazonaws.services.lambda.runtime.Context;
import io.moodleautopilot.core.json.JsonArray;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.converger.aws.AutoScalingWebGroup;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.converger.aws.CloudWatchScalingAlarms;
import io.moodleautopilot.converger.aws.CodePipelineStarter;
import io.moodleautopilot.aws.EventBridgeSchedule;
import io.moodleautopilot.converger.aws.SsmConfigRender;
import io.moodleautopilot.converger.aws.SecretsManagerVersions;
import io.moodleautopilot.converger.aws.SsmMoodleConfigCommand;
import io.moodleautopilot.converger.aws.SnsNotifier;
import io.moodleautopilot.converger.aws.SsmUpgradeCommand;
import io.moodleautopilot.core.moodleconfig.MoodleConfigService;
import io.moodleautopilot.converger.aws.SsmLifecycleStore;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Env;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceResponder;
import io.moodleautopilot.function.JsonEventHandler;
import io.moodleautopilot.core.lifecycle.ConvergeResult;
import io.moodleautopilot.core.lifecycle.ConvergeService;
import io.moodleautopilot.core.lifecycle.Ports;
import io.moodleautopilot.core.lifecycle.StackSettings;
import io.moodleautopilot.core.lifecycle.StackSettingsLoader;
import io.moodleautopilot.core.lifecycle.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.codepipeline.CodePipelineClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * Entry point for all three triggers (Parameter Store Change rule, safety-net schedule, stack
 * custom resource). It parses the event, builds the converge service for this stack and writes the
 * result as JSON; everything that decides lives in {@link ConvergeService}.
 */
public class LifecycleConvergerHandler extends JsonEventHandler {
    /** One set of clients per container, used by the runtime's instance. */
    private static final AwsClients RUNTIME_CLIENTS = new AwsClients();
    private static final Logger LOG = LoggerFactory.getLogger(LifecycleConvergerHandler.class);

    /** How long a converge waits for Moodle's configuration scripts on an instance (function timeout 120 s). */
    static final int MOODLE_CONFIG_WAIT_SECONDS = 40;

    private final AwsClients clients;
    private final Supplier<SsmClient> ssm;
    private final Supplier<AutoScalingClient> autoScaling;
    private final Supplier<CloudWatchClient> cloudWatch;
    private final Supplier<CodePipelineClient> codePipeline;
    private final Supplier<EventBridgeClient> eventBridge;
    private final Supplier<SecretsManagerClient> secretsManager;
    private final Supplier<SnsClient> sns;
    private final Ports.Clock clock;
    private final CustomResourceProtocol customResource;

    /** Used by the Lambda runtime: one set of clients per container. */
    public LifecycleConvergerHandler() {
        this(System.getenv(), RUNTIME_CLIENTS, Instant::now, new CustomResourceResponder());
        AwsClients.buildTogether(ssm, autoScaling, cloudWatch, codePipeline);
        registerForSnapshot();
    }

    /** The tests and the local runner pass the environment that template.yaml declares. */
    public LifecycleConvergerHandler(Map<String, String> env, AwsClients clients) {
        this(env, clients, Instant::now, new CustomResourceResponder());
    }

    LifecycleConvergerHandler(Map<String, String> env, AwsClients clients, Ports.Clock clock,
                              CustomResourceResponder responder) {
        super(env);
        this.clients = clients;
        this.ssm = clients.client(SsmClient::builder);
        this.autoScaling = clients.client(AutoScalingClient::builder);
        this.cloudWatch = clients.client(CloudWatchClient::builder);
        this.codePipeline = clients.client(CodePipelineClient::builder);
        this.eventBridge = clients.client(EventBridgeClient::builder);
        this.secretsManager = clients.client(SecretsManagerClient::builder);
        this.sns = clients.client(SnsClient::builder);
        this.clock = clock;
        this.customResource = new CustomResourceProtocol(responder);
    }

    /** A schedule event: parsed before the snapshot so the event path's classes are in it. */
    private static final byte[] PRIMING_EVENT = ("{\"version\":\"0\",\"detail-type\":\"Scheduled Event\","
            + "\"source\":\"aws.events\",\"detail\":{}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /**
     * The converger's reads, as a converge makes them first (flag and status, web group, scaling
     * alarms, pipeline, secret versions), with no write: the snapshot then holds the SDK's marshalling
     * for each service, the credentials provider and the JSON of the event and the status record.
     */
    @Override
    protected void prime() {
        StackSettings settings = StackSettingsLoader.load(env);
        InvocationParser.parse(PRIMING_EVENT, settings.setupFlagParameter(), settings.moodleSettingsParameter(),
                settings.upgradeParameter());
        clients.priming(() -> {
            primeStep("flag and status", () -> new SsmLifecycleStore(ssm, settings).read());
            primeStep("web group", () -> new AutoScalingWebGroup(autoScaling, settings.webGroupName()).describe());
            primeStep("scaling alarms", () -> new CloudWatchScalingAlarms(cloudWatch, settings.scalingAlarmNames())
                    .differingFrom(true));
            primeStep("pipeline", () -> new CodePipelineStarter(codePipeline, settings.pipelineName()).verify());
            primeStep("secret versions", () -> new SecretsManagerVersions(secretsManager, settings.instanceSecretArns())
                    .currentVersions());
            // Built, never called: a publish is a write, and priming only reads.
            eventBridge.get();
            sns.get();
        });
        outcome("PRIMED", "").toString();
    }

    @Override
    protected JsonObject handle(byte[] payload, Context context) {
        String stack = stack();
        MDC.put("stack", stack);
        StackSettings settings;
        try {
            settings = StackSettingsLoader.load(env);
        } catch (ConfigurationException e) {
            Invocation early = InvocationParser.parse(payload, "");
            return configurationError(early, e, stack);
        }
        Invocation invocation = InvocationParser.parse(payload, settings.setupFlagParameter(),
                settings.moodleSettingsParameter(), settings.upgradeParameter());
        AutoScalingWebGroup webGroup = new AutoScalingWebGroup(autoScaling, settings.webGroupName());
        SsmMoodleConfigCommand runCommand = new SsmMoodleConfigCommand(ssm, settings.moodleConfigDocument());
        ConvergeService service = new ConvergeService(settings,
                new SsmLifecycleStore(ssm, settings),
                webGroup,
                new CloudWatchScalingAlarms(cloudWatch, settings.scalingAlarmNames()),
                new CodePipelineStarter(codePipeline, settings.pipelineName()),
                new EventBridgeSchedule(eventBridge, settings.installDetectorRule()),
                new SsmConfigRender(ssm, settings.configRenderDocument(), settings.webGroupName()),
                new MoodleConfigService(webGroup, runCommand, moodleConfigWait())::apply,
                new SecretsManagerVersions(secretsManager, settings.instanceSecretArns()),
                new SnsNotifier(sns, settings.notificationTopic()),
                new SsmUpgradeCommand(ssm, settings.upgradeDocument(), webGroup),
                clock);
        return switch (invocation) {
            case Invocation.Rejected r -> rejected(r, stack);
            case Invocation.ParameterChange p -> {
                MDC.put("trigger", "PARAMETER_CHANGE");
                yield converge(service, Trigger.PARAMETER_CHANGE, stack);
            }
            case Invocation.SettingsChange p -> {
                MDC.put("trigger", "SETTINGS_CHANGE");
                yield converge(service, Trigger.SETTINGS_CHANGE, stack);
            }
            case Invocation.UpgradeChange u -> {
                // Updates the status and tells a failure once; never resumes (only a deployment does).
                MDC.put("trigger", "UPGRADE_CHANGE");
                yield converge(service, Trigger.UPGRADE_CHANGE, stack);
            }
            case Invocation.Scheduled s -> {
                MDC.put("trigger", "SCHEDULE");
                yield converge(service, Trigger.SCHEDULE, stack);
            }
            case Invocation.CustomResource c -> {
                MDC.put("trigger", "STACK_DEPLOYMENT");
                yield customResource.handle(c.request(), context,
                        new StackDeploymentHook(service, telemetry, namespace(), stack));
            }
        };
    }

    /** MOODLE_CONFIG_WAIT_SECONDS overrides the wait (the tests shorten it). */
    private Duration moodleConfigWait() {
        String configured = env.getOrDefault("MOODLE_CONFIG_WAIT_SECONDS", "").trim();
        return Duration.ofSeconds(configured.isEmpty() ? MOODLE_CONFIG_WAIT_SECONDS
                : Env.parseInt("MOODLE_CONFIG_WAIT_SECONDS", configured));
    }

    private JsonObject converge(ConvergeService service, Trigger trigger,
                                String stack) {
        try {
            ConvergeResult result = service.converge(trigger);
            return reportConverge(result, stack);
        } catch (ConfigurationException e) {
            // Permanent: retrying the same event cannot fix it, so it does not go back to EventBridge.
            LOG.error("configuration error, nothing changed: {}", e.getMessage());
            telemetry.count(namespace(), stack, "ConfigurationError");
            return outcome("CONFIGURATION_ERROR", e.getMessage());
        } catch (RuntimeException e) {
            // Transient (the SDK already retried): throw so EventBridge retries; the next converge
            // completes whatever this one left, because the status record was not written.
            LOG.error("converge failed after retries, EventBridge will retry: {}", e.toString());
            telemetry.count(namespace(), stack, "ConvergeFailed");
            throw e;
        }
    }

    private JsonObject reportConverge(ConvergeResult result, String stack) {
        if (result.phase() != null) {
            MDC.put("phase", result.phase().name());
        }
        switch (result.outcome()) {
            case INVALID_FLAG -> {
                LOG.error("setup flag invalid, nothing changed: {}", result.message());
                telemetry.count(namespace(), stack, "InvalidSetupFlag");
            }
            case APPLIED -> {
                LOG.info("converged: {}", String.join("; ", result.actions()));
                telemetry.count(namespace(), stack, "ConvergeApplied");
            }
            case NO_CHANGE, ALREADY_APPLIED -> {
                LOG.info("no change: {}", result.message());
                telemetry.count(namespace(), stack, "ConvergeNoChange");
            }
            case SUPERSEDED -> {
                // Not an error: the newer value's converge (its event, or the safety net) applies it.
                LOG.warn("superseded, stopped: {}; done before the stop: {}", result.message(),
                        String.join("; ", result.actions()));
                telemetry.count(namespace(), stack, "ConvergeSuperseded");
            }
        }
        return toJson(result);
    }

    static JsonObject toJson(ConvergeResult result) {
        JsonObject n = outcome(result.outcome().name(), result.message());
        n.put("phase", result.phase() == null ? null : result.phase().name());
        n.put("flagVersion", result.flagVersion());
        n.put("pipelineExecutionId", result.pipelineExecutionId());
        JsonArray actions = n.putArray("actions");
        result.actions().forEach(actions::add);
        return n;
    }

    private JsonObject rejected(Invocation.Rejected r, String stack) {
        LOG.error("event rejected, nothing changed: {}", r.reason());
        telemetry.count(namespace(), stack, "RejectedEvent");
        return outcome("REJECTED", r.reason());
    }

    private JsonObject configurationError(Invocation invocation, ConfigurationException e, String stack) {
        LOG.error("configuration error, nothing changed: {}", e.getMessage());
        telemetry.count(namespace(), stack, "ConfigurationError");
        if (invocation instanceof Invocation.CustomResource c) {
            customResource.answerFailed(c.request(), StackDeploymentHook.physicalId(stack), e.getMessage());
        }
        return outcome("CONFIGURATION_ERROR", e.getMessage());
    }
}
