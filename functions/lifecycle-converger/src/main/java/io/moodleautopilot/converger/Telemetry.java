package io.moodleautopilot.converger;

import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * The converger's metrics, as CloudWatch embedded-metric-format lines through Powertools. One
 * count per outcome, so an alarm can watch for configuration errors or invalid flag values.
 */
final class Telemetry {
    static final String DEFAULT_NAMESPACE = "MoodleAutopilot";

    private final Metrics metrics = MetricsFactory.getMetricsInstance();

    void count(String namespace, String stack, String metricName) {
        metrics.setNamespace(namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace);
        metrics.setDefaultDimensions(DimensionSet.of("Stack", stack == null || stack.isBlank() ? "unknown" : stack));
        metrics.addMetric(metricName, 1, MetricUnit.COUNT);
        metrics.flush();
    }
}
