package io.moodleautopilot.core.observe;

import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * The functions' metrics, as CloudWatch embedded-metric-format lines through Powertools' functional
 * API: one count per outcome with a Stack dimension, so an alarm can watch any of them.
 */
public final class Telemetry {
    public static final String DEFAULT_NAMESPACE = "MoodleAutopilot";

    private final Metrics metrics = MetricsFactory.getMetricsInstance();

    public void count(String namespace, String stack, String metricName) {
        prepare(namespace, stack);
        metrics.addMetric(metricName, 1, MetricUnit.COUNT);
        metrics.flush();
    }

    /** A count with one more dimension, e.g. Phase=INSTALLING. */
    public void count(String namespace, String stack, String metricName, String dimension, String value) {
        prepare(namespace, stack);
        metrics.addDimension(dimension, value);
        metrics.addMetric(metricName, 1, MetricUnit.COUNT);
        metrics.flush();
    }

    private void prepare(String namespace, String stack) {
        metrics.setNamespace(namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace);
        metrics.setDefaultDimensions(DimensionSet.of("Stack", stack == null || stack.isBlank() ? "unknown" : stack));
    }
}
