package io.moodleautopilot.function;

import com.amazonaws.services.lambda.runtime.Context;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.release.Deadline;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The CloudFormation custom resource protocol, once for every custom resource of the stack:
 * dispatch by request type, run the work against a deadline, and always answer, in time.
 *
 * <ul>
 *   <li>The work gets the function's remaining time less {@link #ANSWER_MARGIN_MILLIS}, which is at
 *       least the worst case of the answer itself, so the answer is out before Lambda stops the
 *       function. Work that overruns is cancelled cooperatively ({@link Deadline}) and answered FAILED.</li>
 *   <li>Delete is always answered SUCCESS: failing it strands the stack in DELETE_FAILED, and a
 *       Delete of a resource whose physical id is not this resource's (one CloudFormation replaced,
 *       or never created) touches nothing.</li>
 *   <li>An unknown request type is answered FAILED (SUCCESS for nothing), with the reason.</li>
 *   <li>First of all, a request whose ResponseURL {@link ResponseUrlPolicy} refuses (not an https
 *       pre-signed S3 URL) is refused: no work, no answer (CloudFormation cannot be reached at such a
 *       URL, so the request is forged or broken), one error line, result {@code REJECTED}.</li>
 * </ul>
 */
public final class CustomResourceProtocol {
    private static final Logger LOG = LoggerFactory.getLogger(CustomResourceProtocol.class);
    /** Kept back from the remaining time: the answer's own worst case, plus time to log and return. */
    public static final long ANSWER_MARGIN_MILLIS = CustomResourceResponder.MAX_ANSWER_MILLIS + 2_000;
    /** Below this much working time a Create or Update does not start at all. */
    public static final long MIN_WORK_MILLIS = 1_000;

    /** What one custom resource does; the protocol around it is this class's. */
    public interface Resource {
        /** Stable across updates, so CloudFormation never sees a replacement. */
        String physicalId();

        /** Create and Update. A RuntimeException is answered FAILED with its message. */
        Answer apply(CustomResourceRequest request, Deadline deadline);

        /** Delete of this resource's own physical id. Whatever it reports, the answer is SUCCESS. */
        Answer delete(CustomResourceRequest request, Deadline deadline);

        /** Counts a failure the protocol answered (out of time, an exception, an unknown type). */
        void failed(String requestType, String reason);

        /** Counts a request refused before any work (its ResponseURL); nothing was answered. */
        void refused(String reason);
    }

    /**
     * @param data   the answer's Data (readable with Fn::GetAtt)
     * @param result the function's own JSON result
     */
    public record Answer(boolean success, String reason, Map<String, String> data, JsonObject result) {
        public Answer {
            data = Map.copyOf(data);
        }

        public static Answer failed(String reason, String outcome) {
            return new Answer(false, reason, Map.of(), JsonEventHandler.outcome(outcome, reason));
        }
    }

    private final CustomResourceResponder responder;

    public CustomResourceProtocol(CustomResourceResponder responder) {
        this.responder = responder;
    }

    public JsonObject handle(CustomResourceRequest request, Context context, Resource resource) {
        Optional<String> refusal = ResponseUrlPolicy.refusal(request.responseUrl());
        if (refusal.isPresent()) {
            String message = ResponseUrlPolicy.refusedMessage(refusal.get());
            LOG.error(message);
            resource.refused(refusal.get());
            return JsonEventHandler.outcome("REJECTED", message);
        }
        String type = request.requestType();
        if (!type.equals("Create") && !type.equals("Update") && !type.equals("Delete")) {
            return fail(request, resource, "unknown RequestType '" + type
                    + "' (expected Create, Update or Delete); nothing changed");
        }
        if (type.equals("Delete") && request.physicalResourceId() != null
                && !request.physicalResourceId().equals(resource.physicalId())) {
            String reason = "physical id " + request.physicalResourceId() + " is not " + resource.physicalId()
                    + "; nothing to delete";
            LOG.info(reason);
            responder.respond(request, true, request.physicalResourceId(), reason, Map.of());
            return JsonEventHandler.outcome("REMOVED", reason);
        }
        long budget = remaining(context) - ANSWER_MARGIN_MILLIS;
        if (!type.equals("Delete") && budget < MIN_WORK_MILLIS) {
            return fail(request, resource, "only " + remaining(context) + " ms of the function's time left, "
                    + ANSWER_MARGIN_MILLIS + " ms are kept for the answer; nothing changed");
        }
        Deadline deadline = Deadline.in(Duration.ofMillis(Math.max(MIN_WORK_MILLIS, budget)));
        Answer answer;
        try {
            answer = within(deadline, () -> type.equals("Delete")
                    ? resource.delete(request, deadline) : resource.apply(request, deadline));
        } catch (TimeoutException e) {
            deadline.cancel(); // the work stops at its next check and changes nothing after this answer
            return fail(request, resource, request.requestType() + " did not finish within "
                    + Math.max(MIN_WORK_MILLIS, budget) + " ms (the function's time less "
                    + ANSWER_MARGIN_MILLIS + " ms kept for the answer to CloudFormation)");
        } catch (RuntimeException e) {
            return fail(request, resource, request.requestType() + " failed: " + e.getMessage());
        }
        boolean success = answer.success() || type.equals("Delete");
        if (!answer.success()) {
            LOG.error("answering {}: {}", success ? "SUCCESS (a Delete never fails)" : "FAILED", answer.reason());
        }
        responder.respond(request, success, idFor(request, resource), answer.reason(), answer.data());
        return answer.result();
    }

    /**
     * FAILED for Create and Update, SUCCESS for Delete; for the paths that end before the protocol
     * runs. A request whose ResponseURL is refused is not answered (logged instead).
     *
     * @return whether an answer was sent
     */
    public boolean answerFailed(CustomResourceRequest request, String physicalId, String reason) {
        Optional<String> refusal = ResponseUrlPolicy.refusal(request.responseUrl());
        if (refusal.isPresent()) {
            LOG.error(ResponseUrlPolicy.refusedMessage(refusal.get()));
            return false;
        }
        String id = request.physicalResourceId() != null ? request.physicalResourceId() : physicalId;
        responder.respond(request, request.requestType().equals("Delete"), id, reason, Map.of());
        return true;
    }

    private JsonObject fail(CustomResourceRequest request, Resource resource, String reason) {
        boolean delete = request.requestType().equals("Delete");
        LOG.error("answering {}: {}", delete ? "SUCCESS (a Delete never fails)" : "FAILED", reason);
        resource.failed(request.requestType(), reason);
        responder.respond(request, delete, idFor(request, resource), reason, Map.of());
        return JsonEventHandler.outcome(delete ? "REMOVED" : "FAILED", reason);
    }

    /** An Update keeps the id CloudFormation knows; a Create gets the resource's stable id. */
    private static String idFor(CustomResourceRequest request, Resource resource) {
        return request.physicalResourceId() != null ? request.physicalResourceId() : resource.physicalId();
    }

    private static long remaining(Context context) {
        return context == null ? 900_000 : context.getRemainingTimeInMillis();
    }

    /** Runs the work on a worker (with this thread's log context) and waits until the deadline. */
    private static <T> T within(Deadline deadline, java.util.concurrent.Callable<T> work) throws TimeoutException {
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "custom-resource-worker");
            t.setDaemon(true); // an overrunning worker must not keep the runtime from the next event
            return t;
        });
        try {
            Future<T> future = worker.submit(() -> {
                if (logContext != null) {
                    MDC.setContextMap(logContext);
                }
                return work.call();
            });
            return future.get(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(String.valueOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the work", e);
        } finally {
            worker.shutdownNow();
        }
    }
}
