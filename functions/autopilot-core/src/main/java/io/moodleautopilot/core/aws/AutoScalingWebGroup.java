package io.moodleautopilot.core.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.GroupLimits;
import io.moodleautopilot.core.lifecycle.Ports;
import java.util.List;
import java.util.function.Supplier;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;

public final class AutoScalingWebGroup implements Ports.WebGroup {
    private final Supplier<AutoScalingClient> autoScaling;
    private final String groupName;

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
        return new GroupLimits(g.minSize(), g.maxSize(), g.desiredCapacity());
    }

    @Override
    public void apply(GroupLimits limits) {
        autoScaling.get().updateAutoScalingGroup(r -> r.autoScalingGroupName(groupName)
                .minSize(limits.min()).maxSize(limits.max()).desiredCapacity(limits.desired()));
    }
}
