package io.moodleautopilot.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The rules of CloudWatch's embedded metric format, as its specification states them
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * what CloudWatch Logs would refuse to extract, so the tests fail where CloudWatch would drop a metric.
 */
public final class EmbeddedMetricFormat {
    /** The units CloudWatch accepts (PutMetricData's StandardUnit). */
    static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
            "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent",
            "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
            "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second",
            "None");
    private static final Set<String> METADATA_MEMBERS = Set.of("Timestamp", "CloudWatchMetrics", "LogGroupName");
    private static final Set<String> DIRECTIVE_MEMBERS = Set.of("Namespace", "Dimensions", "Metrics");
    private static final Set<String> DEFINITION_MEMBERS = Set.of("Name", "Unit", "StorageResolution");

    private EmbeddedMetricFormat() {
    }

    /** Every way the document breaks the specification; empty when it is a valid EMF document. */
    public static List<String> violations(JsonNode root) {
        List<String> out = new ArrayList<>();
        if (root == null || !root.isObject()) {
            out.add("the root is not a JSON object");
            return out;
        }
        JsonNode meta = root.path("_aws");
        if (!meta.isObject()) {
            out.add("_aws is not an object");
            return out;
        }
        extra(meta, METADATA_MEMBERS, "_aws", out);
        if (!meta.path("Timestamp").isIntegralNumber() || meta.path("Timestamp").asLong() <= 0) {
            out.add("_aws.Timestamp is not a number of milliseconds since the epoch");
        }
        JsonNode directives = meta.path("CloudWatchMetrics");
        if (!directives.isArray()) {
            out.add("_aws.CloudWatchMetrics is not an array");
            return out;
        }
        for (JsonNode d : directives) {
            directive(root, d, out);
        }
        return out;
    }

    private static void directive(JsonNode root, JsonNode d, List<String> out) {
        if (!d.isObject()) {
            out.add("a MetricDirective is not an object");
            return;
        }
        extra(d, DIRECTIVE_MEMBERS, "MetricDirective", out);
        String namespace = d.path("Namespace").asText("");
        if (!d.path("Namespace").isTextual() || namespace.isEmpty() || namespace.length() > 255) {
            out.add("Namespace is not a string of 1 to 255 characters");
        }
        if (!d.path("Dimensions").isArray()) {
            out.add("Dimensions is not an array of DimensionSets");
        } else {
            for (JsonNode set : d.path("Dimensions")) {
                if (!set.isArray() || set.size() > 30) {
                    out.add("a DimensionSet is not an array of at most 30 dimension keys");
                    continue;
                }
                for (JsonNode key : set) {
                    JsonNode value = root.path(key.asText());
                    if (!key.isTextual() || !value.isTextual() || value.asText().isEmpty() || value.asText().length() > 1024) {
                        out.add("dimension " + key + " does not refer to a root member with a string of 1 to 1024 characters");
                    }
                }
            }
        }
        JsonNode metrics = d.path("Metrics");
        if (!metrics.isArray() || metrics.size() > 100) {
            out.add("Metrics is not an array of at most 100 MetricDefinitions");
            return;
        }
        Set<String> names = new HashSet<>();
        for (JsonNode m : metrics) {
            extra(m, DEFINITION_MEMBERS, "MetricDefinition", out);
            String name = m.path("Name").asText("");
            if (!m.path("Name").isTextual() || name.isEmpty() || name.length() > 255 || !names.add(name)) {
                out.add("a MetricDefinition's Name is missing, longer than 255 characters or repeated");
                continue;
            }
            JsonNode value = root.path(name);
            boolean numbers = value.isNumber() || value.isArray() && value.size() <= 100 && allNumbers(value);
            if (!numbers) {
                out.add("metric " + name + " does not refer to a root member with a number or an array of numbers");
            }
            if (m.has("Unit") && !UNITS.contains(m.path("Unit").asText())) {
                out.add("metric " + name + " has a unit CloudWatch does not know: " + m.path("Unit").asText());
            }
            if (m.has("StorageResolution") && m.path("StorageResolution").asInt() != 1
                    && m.path("StorageResolution").asInt() != 60) {
                out.add("metric " + name + " has a StorageResolution other than 1 or 60");
            }
        }
    }

    private static boolean allNumbers(JsonNode array) {
        for (JsonNode v : array) {
            if (!v.isNumber()) {
                return false;
            }
        }
        return true;
    }

    private static void extra(JsonNode object, Set<String> allowed, String what, List<String> out) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                out.add(what + " has a member the specification does not define: " + name);
            }
        }
    }
}
