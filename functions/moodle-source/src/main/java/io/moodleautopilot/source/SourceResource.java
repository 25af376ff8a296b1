package io.moodleautopilot.source;

import com.amazonaws.services.lambda.runtime.Context;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.observe.Telemetry;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.core.release.MoodleSourceService;
import io.moodleautopilot.core.release.ReleaseRequestException;
import io.moodleautopilot.core.release.ReleaseSpec;
import io.moodleautopilot.core.release.SourceSettings;
import io.moodleautopilot.core.release.StageResult;
import io.moodleautopilot.core.release.StagingException;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.CustomResourceResponder;
import io.moodleautopilot.function.JsonEventHandler;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * The custom resource protocol around {@link MoodleSourceService}: Create and Update stage, Delete
 * removes every version of the object, and CloudFormation always gets its answer, in time: the work
 * runs against a deadline that keeps {@link #ANSWER_MARGIN_MILLIS} of the function's time back.
 */
final class SourceResource {
    private static final Logger LOG = LoggerFactory.getLogger(SourceResource.class);
    /** Kept back from the function's remaining time: enough for the slowest answer to go out. */
    static final long ANSWER_MARGIN_MILLIS = CustomResourceResponder.MAX_ANSWER_MILLIS;
    /** Below this much working time a Create or Update does not start at all. */
    static final long MIN_WORK_MILLIS = 1_000;

    private final MoodleSourceService service;
    private final CustomResourceResponder responder;
    private final Telemetry telemetry;
    private final SourceSettings settings;
    private final String namespace;

    SourceResource(MoodleSourceService service, CustomResourceResponder responder, Telemetry telemetry,
                   SourceSettings settings, String namespace) {
        this.service = service;
        this.responder = responder;
        this.telemetry = telemetry;
        this.settings = settings;
        this.namespace = namespace;
    }

    ObjectNode handle(CustomResourceRequest request, Context context) {
        return switch (request.requestType()) {
            case "Create", "Update" -> stage(request, context);
            case "Delete" -> delete(request, context);
            default -> failed(request, "unknown RequestType '" + request.requestType()
                    + "' (expected Create, Update or Delete); nothing changed", "RejectedEvent");
        };
    }

    private ObjectNode stage(CustomResourceRequest request, Context context) {
        ReleaseSpec spec;
        try {
            spec = ReleaseSpec.of(request.property("ReleaseUrl"), request.property("ReleaseVersion"),
                    request.property("ReleaseSha256"), request.property("BundleVersion"), settings.allowPlainHttp());
        } catch (ReleaseRequestException e) {
            return failed(request, e.getMessage() + "; nothing changed", "InvalidRequest");
        }
        long budget = budget(context);
        if (budget < MIN_WORK_MILLIS) {
            return failed(request, "only " + remaining(context) + " ms of the function's time left, "
                    + ANSWER_MARGIN_MILLIS + " ms are kept for the answer; nothing changed", "SourceFailed");
        }
        LOG.info("staging {} into s3://{}/{}", spec.displayUrl(), settings.bucket(), settings.objectKey());
        Deadline deadline = Deadline.in(Duration.ofMillis(budget));
        StageResult result;
        try {
            result = within(budget, () -> service.stage(spec, deadline, (bytes, total) ->
                    LOG.info("downloaded {} of {} bytes", bytes, total < 0 ? "?" : String.valueOf(total))));
        } catch (TimeoutException e) {
            deadline.cancel(); // the work stops at its next check and uploads nothing after this answer
            return failed(request, "staging did not finish within " + budget + " ms (the function's time less "
                    + ANSWER_MARGIN_MILLIS + " ms kept for the answer)", "SourceFailed");
        } catch (StagingException | ReleaseRequestException e) {
            return failed(request, e.getMessage(), "SourceFailed");
        } catch (RuntimeException e) {
            return failed(request, "staging failed: " + e, "SourceFailed");
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("ObjectKey", settings.objectKey());
        data.put("VersionId", result.versionId());
        data.put("ReleaseUrl", result.releaseUrl());
        data.put("ReleaseSha256", result.releaseSha256());
        responder.respond(request, true, settings.physicalId(), result.reason(), data);
        String outcome = result.uploaded() ? "STAGED" : "UNCHANGED";
        telemetry.count(namespace, settings.stack(), result.uploaded() ? "SourceStaged" : "SourceUnchanged");
        LOG.info("{}: {} (version {})", outcome, result.reason(), result.versionId());
        ObjectNode n = JsonEventHandler.outcome(outcome, result.reason());
        n.put("versionId", result.versionId());
        n.put("releaseSha256", result.releaseSha256());
        return n;
    }

    private ObjectNode delete(CustomResourceRequest request, Context context) {
        String physicalId = request.physicalResourceId();
        if (physicalId != null && !physicalId.equals(settings.physicalId())) {
            // Not the object this function stages (e.g. a resource CloudFormation replaced): leave it.
            String reason = "physical id " + physicalId + " is not " + settings.physicalId() + "; nothing to delete";
            responder.respond(request, true, physicalId, reason, Map.of());
            LOG.info(reason);
            return JsonEventHandler.outcome("REMOVED", reason);
        }
        String reason;
        try {
            int deleted = within(Math.max(MIN_WORK_MILLIS, budget(context)), service::remove);
            reason = deleted == 0 ? "no source object versions to delete"
                    : "deleted " + deleted + " version(s) of s3://" + settings.bucket() + "/" + settings.objectKey();
            LOG.info(reason);
            telemetry.count(namespace, settings.stack(), "SourceRemoved");
        } catch (TimeoutException | RuntimeException e) {
            // A failed delete must not strand the stack in DELETE_FAILED: report it and let go.
            reason = "cleanup incomplete: " + (e instanceof TimeoutException ? "out of time" : e.toString());
            LOG.error("could not delete the source object's versions on stack delete: {}", reason);
            telemetry.count(namespace, settings.stack(), "SourceCleanupIncomplete");
        }
        responder.respond(request, true, settings.physicalId(), reason, Map.of());
        return JsonEventHandler.outcome("REMOVED", reason);
    }

    private ObjectNode failed(CustomResourceRequest request, String reason, String metric) {
        LOG.error("answering FAILED: {}", reason);
        telemetry.count(namespace, settings.stack(), metric);
        answerFailed(responder, request, settings.physicalId(), reason);
        return JsonEventHandler.outcome("FAILED", reason);
    }

    /** FAILED for Create and Update; a Delete is answered SUCCESS, since failing it strands the stack. */
    static void answerFailed(CustomResourceResponder responder, CustomResourceRequest request, String physicalId,
                             String reason) {
        String id = request.physicalResourceId() != null ? request.physicalResourceId() : physicalId;
        responder.respond(request, request.requestType().equals("Delete"), id, reason, Map.of());
    }

    private static long remaining(Context context) {
        return context == null ? 900_000 : context.getRemainingTimeInMillis();
    }

    private static long budget(Context context) {
        return remaining(context) - ANSWER_MARGIN_MILLIS;
    }

    /** Runs the work on a worker (with this thread's log context) and waits at most {@code millis}. */
    private static <T> T within(long millis, Callable<T> work) throws TimeoutException {
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "moodle-source-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<T> future = worker.submit(() -> {
                if (logContext != null) {
                    MDC.setContextMap(logContext);
                }
                return work.call();
            });
            return future.get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the work", e);
        } finally {
            worker.shutdownNow();
        }
    }
}
