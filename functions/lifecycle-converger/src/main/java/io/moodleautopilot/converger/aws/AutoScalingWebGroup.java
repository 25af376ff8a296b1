package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.GroupLimits;
import io.moodleautopilot.core.lifecycle.Ports;
import io.moodleautopilot.core.moodleconfig.MoodleConfigPorts;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;

/**
 * The web group's limits, and (for Moodle's configuration step) one healthy instance of it. One
 * object serves one invocation: the instances seen by this invocation's describe are reused, which
 * saves a second DescribeAutoScalingGroups; an instance launched since cannot be in service yet.
 */
public final class AutoScalingWebGroup implements Ports.WebGroup, MoodleConfigPorts.WebInstances {
    private final Supplier<AutoScalingClient> autoScaling;
    private final String groupName;
    private AutoScalingGroup described;

    public AutoScalingWebGroup(Supplier<AutoScalingClient> autoScaling, String groupName) {
        this.autoScaling = autoScaling;
        this.groupName = groupName;
    }

    @Override
    public GroupLimits describe() {
        List<AutoScalingGroup> groups = autoScaling.get()
                .describeAutoScalingGroups(r -> r.autoScalingGroupNames(groupName)).autoScalingGroups();
        if (groups.isEmpty()) {
            throw new ConfigurationException("web Auto Scaling group '" + groupName + "' does not exist");
        }
        AutoScalingGroup g = groups.get(0);
        described = g;
        return new GroupLimits(g.minSize(), g.maxSize(), g.desiredCapacity());
    }

    @Override
    public Optional<String> healthyInstance() {
        if (described == null) {
            describe();
        }
        // The lowest id among the InService and Healthy ones: the same instance on every converge
        // while it lives, so a retry lands where the last attempt ran.
        return described.instances().stream()
                .filter(i -> i.lifecycleState() == LifecycleState.IN_SERVICE && "Healthy".equalsIgnoreCase(i.healthStatus()))
                .map(Instance::instanceId)
                .min(Comparator.naturalOrder());
    }

    @Override
    public void apply(GroupLimits limits) {
        autoScaling.get().updateAutoScalingGroup(r -> r.autoScalingGroupName(groupName)
                .minSize(limits.min()).maxSize(limits.max()).desiredCapacity(limits.desired()));
    }
}
