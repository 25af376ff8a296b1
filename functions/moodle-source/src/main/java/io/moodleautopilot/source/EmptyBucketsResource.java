package io.moodleautopilot.source;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.function.Telemetry;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceProtocol.Answer;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.JsonEventHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@value #TYPE}: Create and Update do nothing; Delete (the stack's delete, or the rollback of a
 * failed create) empties the buckets named in {@code BucketNames}, every version and delete marker,
 * so that CloudFormation can delete them next (the resource refers to them, so it is deleted first).
 * Delete answers SUCCESS whatever happens (the protocol's rule); a bucket it could not empty is
 * named in the answer's reason, an ERROR log line and the {@code BucketsNotEmptied} metric, and
 * CloudFormation's own delete of that bucket then fails with BucketNotEmpty.
 */
final class EmptyBucketsResource implements CustomResourceProtocol.Resource {
    static final String TYPE = "Custom::EmptyBucketsOnDelete";
    private static final Logger LOG = LoggerFactory.getLogger(EmptyBucketsResource.class);
    /** S3's bucket naming rules (general purpose buckets): 3-63 lower-case letters, digits, dots, hyphens. */
    private static final Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");

    private final BucketEmptier emptier;
    private final Telemetry telemetry;
    private final String stack;
    private final String namespace;

    EmptyBucketsResource(BucketEmptier emptier, Telemetry telemetry, String stack, String namespace) {
        this.emptier = emptier;
        this.telemetry = telemetry;
        this.stack = stack;
        this.namespace = namespace;
    }

    static String physicalId(String stack) {
        return stack + "-empty-buckets-on-delete";
    }

    @Override
    public String physicalId() {
        return physicalId(stack);
    }

    @Override
    public Answer apply(CustomResourceRequest request, Deadline deadline) {
        List<String> buckets;
        try {
            buckets = bucketNames(request);
        } catch (IllegalArgumentException e) {
            telemetry.count(namespace, stack, "InvalidRequest");
            return Answer.failed(e.getMessage() + "; nothing changed", "FAILED");
        }
        String reason = "nothing to do until the stack is deleted; then " + String.join(", ", buckets) + " are emptied";
        return new Answer(true, reason, Map.of(), JsonEventHandler.outcome("READY", reason));
    }

    @Override
    public Answer delete(CustomResourceRequest request, Deadline deadline) {
        List<String> buckets;
        try {
            buckets = bucketNames(request);
        } catch (IllegalArgumentException e) {
            String reason = "buckets not emptied: " + e.getMessage();
            LOG.error(reason);
            telemetry.count(namespace, stack, "BucketsNotEmptied");
            return new Answer(true, reason, Map.of(), JsonEventHandler.outcome("NOT_EMPTIED", reason));
        }
        List<String> done = new ArrayList<>();
        List<String> notEmptied = new ArrayList<>();
        JsonObject result = new JsonObject();
        JsonObject perBucket = new JsonObject();
        for (String bucket : buckets) {
            BucketEmptier.Result r;
            try {
                r = emptier.empty(bucket, deadline);
            } catch (RuntimeException e) {
                r = new BucketEmptier.Result(bucket, true, 0, -1, e.toString());
            }
            JsonObject b = perBucket.putObject(bucket);
            b.put("deleted", r.deleted());
            b.put("remaining", r.remaining());
            b.put("touched", r.touched());
            if (!r.problem().isEmpty()) {
                b.put("problem", r.problem());
            }
            if (r.empty()) {
                done.add(bucket + (r.touched() ? " emptied (" + r.deleted() + " version(s) and delete marker(s) deleted)"
                        : r.problem().isEmpty() ? " already gone" : " " + r.problem()));
            } else {
                notEmptied.add(bucket + " still holds " + (r.remaining() < 0 ? "an unknown number of"
                        : r.remaining() + (r.remaining() >= 1000 ? " or more" : "")) + " version(s): " + r.problem());
            }
        }
        String reason;
        String outcome;
        if (notEmptied.isEmpty()) {
            reason = String.join("; ", done);
            outcome = "EMPTIED";
            LOG.info(reason);
            telemetry.count(namespace, stack, "BucketsEmptied");
        } else {
            // SUCCESS still (a failed Delete would strand the stack in DELETE_FAILED on this resource);
            // the bucket's own delete then fails with BucketNotEmpty, and this says why.
            reason = "NOT EMPTIED: " + String.join("; ", notEmptied)
                    + (done.isEmpty() ? "" : "; " + String.join("; ", done))
                    + ". CloudFormation's delete of the bucket will fail: empty it (every version), then delete the stack again";
            outcome = "NOT_EMPTIED";
            LOG.error(reason);
            telemetry.count(namespace, stack, "BucketsNotEmptied");
        }
        result.put("outcome", outcome);
        result.put("message", reason);
        result.set("buckets", perBucket);
        return new Answer(true, reason, Map.of(), result);
    }

    @Override
    public void failed(String requestType, String reason) {
        telemetry.count(namespace, stack, requestType.equals("Delete") ? "BucketsNotEmptied" : "InvalidRequest");
    }

    @Override
    public void refused(String reason) {
        // Counted as every event this function refuses.
        telemetry.count(namespace, stack, "RejectedEvent");
    }

    /** BucketNames as CloudFormation sends a list property: a JSON array of strings. */
    static List<String> bucketNames(CustomResourceRequest request) {
        String raw = request.property("BucketNames");
        if (raw.isEmpty()) {
            throw new IllegalArgumentException("property BucketNames is missing (a list of bucket names)");
        }
        JsonValue node;
        try {
            node = Json.parse(raw);
        } catch (JsonException e) {
            throw new IllegalArgumentException("property BucketNames is not a list of bucket names");
        }
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("property BucketNames is not a list of bucket names");
        }
        List<String> out = new ArrayList<>();
        for (JsonValue n : node) {
            String name = n.asText("");
            if (!n.isTextual() || !BUCKET.matcher(name).matches()) {
                throw new IllegalArgumentException("BucketNames holds '" + n + "', which is not a bucket name");
            }
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }
}
