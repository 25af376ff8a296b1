package io.moodleautopilot.reactor.aws;

import io.moodleautopilot.core.lifecycle.LifecycleJson;
import io.moodleautopilot.core.alarm.ReactorPorts;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import io.moodleautopilot.core.lifecycle.SetupFlag;
import io.moodleautopilot.core.lifecycle.StatusRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.LifecycleState;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;

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

    /**
     * The phase the setup flag holds, which is what the converger is converging to (its status record
     * can lag behind, or be left by a converge a newer flag value superseded). The status record,
     * read in the same call, decides only when the flag is missing or invalid; install mode when
     * neither says production.
     */
    public static ReactorPorts.Phase phase(Supplier<SsmClient> ssm, String flagParameter, String statusParameter) {
        return () -> {
            Map<String, String> found = ssm.get().getParameters(r -> r.names(flagParameter, statusParameter))
                    .parameters().stream().collect(Collectors.toMap(Parameter::name, Parameter::value));
            Optional<SetupFlag> flag = SetupFlag.parse(found.get(flagParameter));
            if (flag.isPresent()) {
                return flag.get().phase();
            }
            return Optional.ofNullable(found.get(statusParameter)).flatMap(LifecycleJson::parseStatus)
                    .map(StatusRecord::phase).orElse(LifecyclePhase.INSTALL);
        };
    }

    public static ReactorPorts.Notifier sns(Supplier<SnsClient> sns, String topicArn) {
        return (subject, message) -> sns.get().publish(r -> r.topicArn(topicArn).subject(subject).message(message));
    }
}
