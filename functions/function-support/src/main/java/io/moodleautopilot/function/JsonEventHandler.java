package io.moodleautopilot.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.moodleautopilot.function.log.LambdaLogContext;
import io.moodleautopilot.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frame of every function: the raw event in (so malformed JSON is the handler's to refuse, with
 * a log line and a metric), the invocation's keys on every JSON log line, a JSON result out with an
 * {@code outcome} and a {@code message}.
 */
public abstract class JsonEventHandler implements RequestStreamHandler, Resource {
    private static final Logger LOG = LoggerFactory.getLogger(JsonEventHandler.class);
    protected final Map<String, String> env;
    protected final Telemetry telemetry = new Telemetry();

    protected JsonEventHandler(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /**
     * For the Lambda runtime's instance: SnapStart calls {@link #beforeCheckpoint} once, in the init
     * phase of a published version, before it takes the snapshot. Registered here rather than in a
     * static initialiser, so the tests' instances (own environment and clients) never are.
     */
    protected final void registerForSnapshot() {
        Core.getGlobalContext().register(this);
    }

    /**
     * Priming (AWS: "Improving startup performance with Lambda SnapStart"): the function's own read-only
     * work done once, so the snapshot holds its classes loaded and initialised. A failure is logged
     * and the snapshot is taken without it; a failed hook would fail the version's publication and with
     * it the deployment.
     */
    @Override
    public final void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        long start = System.nanoTime();
        try {
            prime();
            LOG.info("primed for the snapshot in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.warn("priming stopped early ({}: {}); the snapshot is taken without the rest",
                    e.getClass().getSimpleName(), e.getMessage());
        }
    }

    @Override
    public final void afterRestore(org.crac.Context<? extends Resource> context) {
        LOG.info("restored from the snapshot");
    }

    /**
     * Read-only work before the snapshot: build the SDK clients and make the function's read calls,
     * never a write, never a secret read, no connection left open. Nothing by default.
     */
    protected void prime() {
    }

    /**
     * One priming call: a failure (the resource not created yet while the version is published, a
     * throttle) is logged and the next step runs; the classes of the call's path are loaded either way.
     */
    protected static void primeStep(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.info("priming: {} not read ({}: {})", what, e.getClass().getSimpleName(), e.getMessage());
        }
    }

    @Override
    public final void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        byte[] payload = input.readAllBytes();
        JsonObject result = LambdaLogContext.around(context, env, () -> handle(payload, context));
        output.write(result.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One invocation: parse, call the service, report. Runs inside the invocation's logging context. */
    protected abstract JsonObject handle(byte[] payload, Context context);

    public static JsonObject outcome(String outcome, String message) {
        JsonObject n = new JsonObject();
        n.put("outcome", outcome);
        n.put("message", message);
        return n;
    }

    /** Counts the metric and returns the outcome: for the paths that end without the service. */
    protected JsonObject failure(String outcome, String metric, String message) {
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
