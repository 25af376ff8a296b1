package io.moodleautopilot.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.observe.Telemetry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.lambda.powertools.logging.PowertoolsLogging;

/**
 * The frame of every function: the raw event in (so malformed JSON is the handler's to refuse, with
 * a log line and a metric), Powertools' JSON logging around the call, a JSON result out with an
 * {@code outcome} and a {@code message}.
 */
public abstract class JsonEventHandler implements RequestStreamHandler {
    /**
     * Lazy on purpose: a subclass starts its SDK clients building on a background thread in its own
     * static initialiser, which runs after this class's; an eager mapper here would put Jackson's
     * cold set-up in front of that instead of beside it.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    protected static ObjectMapper mapper() {
        return Json.MAPPER;
    }

    protected final Map<String, String> env;
    protected final Telemetry telemetry = new Telemetry();

    protected JsonEventHandler(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        byte[] payload = input.readAllBytes();
        ObjectNode result = PowertoolsLogging.withLogging(context, () -> handle(payload, context));
        output.write(result.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One invocation: parse, call the service, report. Runs inside Powertools' logging context. */
    protected abstract ObjectNode handle(byte[] payload, Context context);

    public static ObjectNode outcome(String outcome, String message) {
        ObjectNode n = mapper().createObjectNode();
        n.put("outcome", outcome);
        n.put("message", message);
        return n;
    }

    /** Counts the metric and returns the outcome: for the paths that end without the service. */
    protected ObjectNode failure(String outcome, String metric, String message) {
        telemetry.count(namespace(), stack(), metric);
        return outcome(outcome, message);
    }

    protected String stack() {
        return env.getOrDefault("STACK_NAME", "");
    }

    protected String namespace() {
        return env.get("POWERTOOLS_METRICS_NAMESPACE");
    }
}
