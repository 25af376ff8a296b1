package io.moodleautopilot.reactor;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.alarm.AlarmReactorService;
import io.moodleautopilot.core.alarm.Reaction;
import io.moodleautopilot.core.alarm.ReactorSettings;
import io.moodleautopilot.core.aws.AwsClients;
import io.moodleautopilot.core.aws.DynamoAlarmLedger;
import io.moodleautopilot.core.aws.ReactorAdapters;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.function.JsonEventHandler;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Entry point of the alarm rule: parse the transition, react once, report. */
public class AlarmReactorHandler extends JsonEventHandler {
    /** First static field: the clients build on a background thread while logging and JSON initialise. */
    private static final AwsClients RUNTIME_CLIENTS;
    static {
        AwsClients clients = new AwsClients();
        RUNTIME_CLIENTS = clients.prewarmInBackground(clients.dynamoDb(), clients.ssm(), clients.autoScaling(), clients.sns());
    }
    private static final Logger LOG = LoggerFactory.getLogger(AlarmReactorHandler.class);

    private final AwsClients clients;

    public AlarmReactorHandler() {
        this(System.getenv(), RUNTIME_CLIENTS);
    }

    public AlarmReactorHandler(Map<String, String> env, AwsClients clients) {
        super(env);
        this.clients = clients;
    }

    @Override
    protected ObjectNode handle(byte[] payload, Context context) {
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
            ObjectNode n = outcome(reaction.outcome().name(), transition.alarmName() + " " + transition.state());
            ArrayNode actions = n.putArray("actions");
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
                new DynamoAlarmLedger(clients.dynamoDb(), settings.ledgerTable()),
                ReactorAdapters.webGroup(clients.autoScaling(), settings.webGroupName()),
                ReactorAdapters.phase(clients.ssm(), settings.setupFlagParameter(), settings.statusParameter()),
                ReactorAdapters.sns(clients.sns(), settings.topicArn()),
                Instant::now);
    }
}
