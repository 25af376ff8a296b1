package io.moodleautopilot.reactor;

import com.amazonaws.services.lambda.runtime.Context;
import io.moodleautopilot.core.json.JsonArray;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.alarm.AlarmReactorService;
import io.moodleautopilot.core.alarm.Reaction;
import io.moodleautopilot.core.alarm.ReactorSettings;
import io.moodleautopilot.aws.AwsClients;
import io.moodleautopilot.reactor.aws.DynamoAlarmLedger;
import io.moodleautopilot.reactor.aws.ReactorAdapters;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.function.JsonEventHandler;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sns.SnsClient;

/** Entry point of the alarm rule: parse the transition, react once, report. */
public class AlarmReactorHandler extends JsonEventHandler {
    /** One set of clients per container, used by the runtime's instance. */
    private static final AwsClients RUNTIME_CLIENTS = new AwsClients();
    private static final Logger LOG = LoggerFactory.getLogger(AlarmReactorHandler.class);

    private final AwsClients clients;
    private final Supplier<SsmClient> ssm;
    private final Supplier<AutoScalingClient> autoScaling;
    private final Supplier<DynamoDbClient> dynamoDb;
    private final Supplier<SnsClient> sns;

    public AlarmReactorHandler() {
        this(System.getenv(), RUNTIME_CLIENTS);
        AwsClients.buildTogether(dynamoDb, ssm, autoScaling, sns);
        registerForSnapshot();
    }

    /**
     * The reactor's reads before the snapshot (the lifecycle phase, the web group); the ledger and the
     * topic are only written, so their clients are built and not called.
     */
    @Override
    protected void prime() {
        ReactorSettings settings = ReactorSettings.load(env);
        AlarmEvents.parse("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), Instant.now());
        clients.priming(() -> {
            primeStep("lifecycle phase", () -> ReactorAdapters.phase(ssm, settings.setupFlagParameter(),
                    settings.statusParameter()).current());
            primeStep("web group", () -> ReactorAdapters.webGroup(autoScaling, settings.webGroupName()).describe());
            dynamoDb.get();
            sns.get();
        });
    }

    public AlarmReactorHandler(Map<String, String> env, AwsClients clients) {
        super(env);
        this.clients = clients;
        this.ssm = clients.client(SsmClient::builder);
        this.autoScaling = clients.client(AutoScalingClient::builder);
        this.dynamoDb = clients.client(DynamoDbClient::builder);
        this.sns = clients.client(SnsClient::builder);
    }

    @Override
    protected JsonObject handle(byte[] payload, Context context) {
        String stack = stack();
        MDC.put("stack", stack);
        AlarmEvents.Parsed parsed = AlarmEvents.parse(payload, Instant.now());
        if (parsed instanceof AlarmEvents.Parsed.Rejected r) {
            LOG.error("event rejected, nothing done: {}", r.reason());
            return failure("REJECTED", "RejectedEvent", r.reason());
        }
        var transition = ((AlarmEvents.Parsed.Transition) parsed).transition();
        MDC.put("alarm", transition.alarmName());
        try {
            Reaction reaction = service().react(transition);
            LOG.info("{} {} -> {}: {}", transition.alarmName(), transition.state(), reaction.outcome(), reaction.actions());
            telemetry.count(namespace(), stack, "AlarmReaction", "Outcome", reaction.outcome().name());
            JsonObject n = outcome(reaction.outcome().name(), transition.alarmName() + " " + transition.state());
            JsonArray actions = n.putArray("actions");
            reaction.actions().forEach(actions::add);
            return n;
        } catch (ConfigurationException e) {
            LOG.error("not acted on: {}", e.getMessage());
            return failure("REJECTED", "RejectedEvent", e.getMessage());
        } catch (RuntimeException e) {
            // SNS or Auto Scaling failed after the SDK's retries; the claim was released, so
            // EventBridge's retry acts and notifies exactly once.
            LOG.error("reaction failed, EventBridge will retry: {}", e.toString());
            telemetry.count(namespace(), stack, "ReactionFailed");
            throw e;
        }
    }

    private AlarmReactorService service() {
        ReactorSettings settings = ReactorSettings.load(env);
        return new AlarmReactorService(settings,
                new DynamoAlarmLedger(dynamoDb, settings.ledgerTable()),
                ReactorAdapters.webGroup(autoScaling, settings.webGroupName()),
                ReactorAdapters.phase(ssm, settings.setupFlagParameter(), settings.statusParameter()),
                ReactorAdapters.sns(sns, settings.topicArn()),
                Instant::now);
    }
}
