package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Ports;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.MetricAlarm;

public final class CloudWatchScalingAlarms implements Ports.ScalingAlarms {
    private final Supplier<CloudWatchClient> cloudWatch;
    private final List<String> alarmNames;

    public CloudWatchScalingAlarms(Supplier<CloudWatchClient> cloudWatch, List<String> alarmNames) {
        this.cloudWatch = cloudWatch;
        this.alarmNames = List.copyOf(alarmNames);
    }

    @Override
    public List<String> differingFrom(boolean actionsEnabled) {
        if (alarmNames.isEmpty()) {
            return List.of();
        }
        Map<String, Boolean> found = cloudWatch.get().describeAlarms(r -> r.alarmNames(alarmNames))
                .metricAlarms().stream()
                .collect(Collectors.toMap(MetricAlarm::alarmName, MetricAlarm::actionsEnabled));
        List<String> differing = new ArrayList<>();
        for (String name : alarmNames) {
            Boolean enabled = found.get(name);
            if (enabled == null) {
                throw new ConfigurationException("scaling alarm '" + name + "' does not exist");
            }
            if (enabled != actionsEnabled) {
                differing.add(name);
            }
        }
        return differing;
    }

    @Override
    public void setActionsEnabled(List<String> names, boolean enabled) {
        if (enabled) {
            cloudWatch.get().enableAlarmActions(r -> r.alarmNames(names));
        } else {
            cloudWatch.get().disableAlarmActions(r -> r.alarmNames(names));
        }
    }
}
