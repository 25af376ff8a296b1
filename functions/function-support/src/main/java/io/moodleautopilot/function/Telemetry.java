package io.moodleautopilot.function;

import io.moodleautopilot.function.log.JsonText;
import java.util.function.LongSupplier;

/**
 * The functions' metrics, as CloudWatch embedded-metric-format lines on standard output: one count
 * per outcome with a Stack dimension (and at most one more, e.g. Phase=INSTALLING), so an alarm can
 * watch any of them. Written directly, in the shape the EMF specification defines
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * rather than through Powertools, whose metrics library brought jackson-databind into the cold start.
 */
public final class Telemetry {
    public static final String DEFAULT_NAMESPACE = "MoodleAutopilot";

    private final LongSupplier clock;

    public Telemetry() {
        this(System::currentTimeMillis);
    }

    Telemetry(LongSupplier clock) {
        this.clock = clock;
    }

    public void count(String namespace, String stack, String metricName) {
        System.out.println(line(namespace, stack, metricName, null, null, clock.getAsLong()));
    }

    /** A count with one more dimension, e.g. Phase=INSTALLING. */
    public void count(String namespace, String stack, String metricName, String dimension, String value) {
        System.out.println(line(namespace, stack, metricName, dimension, value, clock.getAsLong()));
    }

    static String line(String namespace, String stack, String metric, String dimension, String value, long millis) {
        String ns = namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace;
        String stackName = stack == null || stack.isBlank() ? "unknown" : stack;
        boolean extra = dimension != null && value != null;
        StringBuilder out = new StringBuilder(256).append("{\"_aws\":{\"Timestamp\":").append(millis)
                .append(",\"CloudWatchMetrics\":[{\"Namespace\":");
        JsonText.quote(out, ns).append(",\"Metrics\":[{\"Name\":");
        JsonText.quote(out, metric).append(",\"Unit\":\"Count\"}],\"Dimensions\":[[\"Stack\"");
        if (extra) {
            out.append(',');
            JsonText.quote(out, dimension);
        }
        out.append("]]}]},");
        JsonText.quote(out, metric).append(":1.0,\"Stack\":");
        JsonText.quote(out, stackName);
        if (extra) {
            out.append(',');
            JsonText.quote(out, dimension).append(':');
            JsonText.quote(out, value);
        }
        return out.append('}').toString();
    }
}
