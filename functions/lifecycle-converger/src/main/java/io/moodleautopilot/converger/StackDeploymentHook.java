package io.moodleautopilot.converger;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.observe.Telemetry;
import io.moodleautopilot.function.CustomResourceResponder;
import io.moodleautopilot.function.JsonEventHandler;
import io.moodleautopilot.core.lifecycle.ConvergeResult;
import io.moodleautopilot.core.lifecycle.ConvergeService;
import io.moodleautopilot.core.lifecycle.Trigger;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The custom resource side of the converger: every stack create and update converges, so a stack
 * update that touched the Auto Scaling group or the alarms never leaves them in the wrong phase.
 * CloudFormation always gets an answer, before the function's own timeout.
 */
final class StackDeploymentHook {
    private static final Logger LOG = LoggerFactory.getLogger(StackDeploymentHook.class);
    /** Time kept back from the function's timeout to deliver the answer. */
    static final long ANSWER_MARGIN_MILLIS = 5_000;

    private final ConvergeService service;
    private final CustomResourceResponder responder;
    private final Telemetry telemetry;
    private final Map<String, String> env;

    StackDeploymentHook(ConvergeService service, CustomResourceResponder responder, Telemetry telemetry,
                        Map<String, String> env) {
        this.service = service;
        this.responder = responder;
        this.telemetry = telemetry;
        this.env = env;
    }

    /** Stable across updates, so CloudFormation never sees a replacement (and never sends a Delete for one). */
    static String physicalId(String stack) {
        return stack + "-lifecycle-converger";
    }

    ObjectNode handle(Invocation.CustomResource request, Context context, String stack) {
        String physicalId = physicalId(stack);
        if (request.requestType().equals("Delete")) {
            try {
                service.release();
                responder.respond(request, true, physicalId, "owned parameters removed", Map.of());
                return JsonEventHandler.outcome("RELEASED", "status and session parameters removed");
            } catch (RuntimeException e) {
                // A failed delete must not block stack deletion forever; report it and let it go.
                LOG.error("could not remove owned parameters on stack delete: {}", e.toString());
                responder.respond(request, true, physicalId, "cleanup incomplete: " + e.getMessage(), Map.of());
                return JsonEventHandler.outcome("RELEASED", "cleanup incomplete: " + e.getMessage());
            }
        }
        long budget = Math.max(1_000, (context == null ? 60_000 : context.getRemainingTimeInMillis()) - ANSWER_MARGIN_MILLIS);
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Future<ConvergeResult> future = worker.submit(() -> service.converge(Trigger.STACK_DEPLOYMENT));
            ConvergeResult result = future.get(budget, TimeUnit.MILLISECONDS);
            ObjectNode json = LifecycleConvergerHandler.toJson(result);
            // An invalid flag is the operator's value, not a broken stack: the deployment succeeds
            // and the converge result says what was wrong.
            responder.respond(request, true, physicalId, result.message(),
                    Map.of("Outcome", result.outcome().name(),
                            "Phase", result.phase() == null ? "" : result.phase().name()));
            telemetry.count(env.get("POWERTOOLS_METRICS_NAMESPACE"), stack, "StackDeploymentConverged");
            LOG.info("stack deployment converged: {} {}", result.outcome(), result.actions());
            return json;
        } catch (TimeoutException e) {
            return failed(request, stack, "converge did not finish within " + budget + " ms", "ConvergeFailed");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return cause instanceof ConfigurationException
                    ? failed(request, stack, cause.getMessage(), "ConfigurationError")
                    : failed(request, stack, "converge failed: " + cause, "ConvergeFailed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(request, stack, "interrupted", "ConvergeFailed");
        } finally {
            worker.shutdownNow();
        }
    }

    private ObjectNode failed(Invocation.CustomResource request, String stack, String reason, String metric) {
        LOG.error("stack deployment converge failed: {}", reason);
        telemetry.count(env.get("POWERTOOLS_METRICS_NAMESPACE"), stack, metric);
        answerFailed(responder, request, stack, reason);
        return JsonEventHandler.outcome("FAILED", reason);
    }

    static void answerFailed(CustomResourceResponder responder, Invocation.CustomResource request, String stack,
                             String reason) {
        String physicalId = request.physicalResourceId() != null ? request.physicalResourceId() : physicalId(stack);
        if (request.requestType().equals("Delete")) {
            // Nothing to undo on delete; failing it would strand the stack in DELETE_FAILED.
            responder.respond(request, true, physicalId, reason, Map.of());
        } else {
            responder.respond(request, false, physicalId, reason, Map.of());
        }
    }
}
