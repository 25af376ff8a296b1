package io.moodleautopilot.converger;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.ConvergeResult;
import io.moodleautopilot.core.lifecycle.ConvergeService;
import io.moodleautopilot.core.lifecycle.Trigger;
import io.moodleautopilot.function.Telemetry;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.JsonEventHandler;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The custom resource side of the converger: every stack create and update converges, so a stack
 * update that touched the Auto Scaling group or the alarms never leaves them in the wrong phase.
 * The protocol (deadline, answer, Delete rules) is {@link CustomResourceProtocol}'s.
 */
final class StackDeploymentHook implements CustomResourceProtocol.Resource {
    private static final Logger LOG = LoggerFactory.getLogger(StackDeploymentHook.class);

    private final ConvergeService service;
    private final Telemetry telemetry;
    private final String namespace;
    private final String stack;

    StackDeploymentHook(ConvergeService service, Telemetry telemetry, String namespace, String stack) {
        this.service = service;
        this.telemetry = telemetry;
        this.namespace = namespace;
        this.stack = stack;
    }

    /** Stable across updates, so CloudFormation never sees a replacement (and never sends a Delete for one). */
    static String physicalId(String stack) {
        return stack + "-lifecycle-converger";
    }

    @Override
    public String physicalId() {
        return physicalId(stack);
    }

    @Override
    public CustomResourceProtocol.Answer apply(CustomResourceRequest request, Deadline deadline) {
        ConvergeResult result;
        try {
            result = service.converge(Trigger.STACK_DEPLOYMENT);
        } catch (ConfigurationException e) {
            LOG.error("stack deployment converge failed: {}", e.getMessage());
            telemetry.count(namespace, stack, "ConfigurationError");
            return CustomResourceProtocol.Answer.failed(e.getMessage(), "CONFIGURATION_ERROR");
        }
        telemetry.count(namespace, stack, "StackDeploymentConverged");
        LOG.info("stack deployment converged: {} {}", result.outcome(), result.actions());
        // An invalid flag is the operator's value, not a broken stack: the deployment succeeds and
        // the converge result says what was wrong.
        return new CustomResourceProtocol.Answer(true, result.message(),
                Map.of("Outcome", result.outcome().name(),
                        "Phase", result.phase() == null ? "" : result.phase().name()),
                LifecycleConvergerHandler.toJson(result));
    }

    @Override
    public CustomResourceProtocol.Answer delete(CustomResourceRequest request, Deadline deadline) {
        try {
            service.release();
            return new CustomResourceProtocol.Answer(true, "owned parameters removed", Map.of(),
                    JsonEventHandler.outcome("RELEASED", "status and session parameters removed"));
        } catch (RuntimeException e) {
            // A failed delete must not block stack deletion forever; report it and let it go.
            LOG.error("could not remove owned parameters on stack delete: {}", e.toString());
            return new CustomResourceProtocol.Answer(true, "cleanup incomplete: " + e.getMessage(), Map.of(),
                    JsonEventHandler.outcome("RELEASED", "cleanup incomplete: " + e.getMessage()));
        }
    }

    @Override
    public void failed(String requestType, String reason) {
        telemetry.count(namespace, stack, "ConvergeFailed");
    }

    /** A request refused for its ResponseURL is a rejected event, like any other the converger refuses. */
    @Override
    public void refused(String reason) {
        telemetry.count(namespace, stack, "RejectedEvent");
    }
}
