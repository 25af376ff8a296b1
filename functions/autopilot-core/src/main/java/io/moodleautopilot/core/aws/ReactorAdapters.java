package io.moodleautopilot.core.aws;

import io.moodleautopilot.core.alarm.ReactorPorts;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import io.moodleautopilot.core.lifecycle.StatusRecord;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/** The AlarmReactor's small adapters: the web group, the converger's phase, the SNS topic. */
public final class ReactorAdapters {
    private ReactorAdapters() {
    }

    public static ReactorPorts.WebGroup webGroup(Supplier<AutoScalingClient> autoScaling, String groupName) {
        return new ReactorPorts.WebGroup() {
            @Override
            public ReactorPorts.GroupView describe() {
                List<AutoScalingGroup> groups = autoScaling.get()
                        .describeAutoScalingGroups(r -> r.autoScalingGroupNames(groupName)).autoScalingGroups();
                if (groups.isEmpty()) {
                    throw new ConfigurationException("web Auto Scaling group '" + groupName + "' does not exist");
                }
                AutoScalingGroup g = groups.get(0);
                int inService = (int) g.instances().stream()
                        .filter(i -> i.lifecycleState() == LifecycleState.IN_SERVICE).count();
                return new ReactorPorts.GroupView(g.minSize(), g.maxSize(), g.desiredCapacity(), inService);
            }

            @Override
            public void setMax(int max) {
                autoScaling.get().updateAutoScalingGroup(r -> r.autoScalingGroupName(groupName).maxSize(max));
            }
        };
    }

    /** The phase from the converger's status record: install mode until it says production. */
    public static ReactorPorts.Phase phase(Supplier<SsmClient> ssm, String statusParameter) {
        return () -> {
            try {
                String json = ssm.get().getParameter(r -> r.name(statusParameter)).parameter().value();
                Optional<StatusRecord> status = LifecycleJson.parseStatus(json);
                return status.map(StatusRecord::phase).orElse(LifecyclePhase.INSTALL);
            } catch (ParameterNotFoundException e) {
                return LifecyclePhase.INSTALL;
            }
        };
    }

    public static ReactorPorts.Notifier sns(Supplier<SnsClient> sns, String topicArn) {
        return (subject, message) -> sns.get().publish(r -> r.topicArn(topicArn).subject(subject).message(message));
    }
}
