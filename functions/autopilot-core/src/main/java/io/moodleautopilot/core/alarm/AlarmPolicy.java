package io.moodleautopilot.core.alarm;

import java.util.List;
import java.util.Optional;

/** The reaction to every alarm the stack owns, as data, in one place. */
public final class AlarmPolicy {
    private static final String RUNBOOK = "docs/runbook.md#";

    public static final List<AlarmRule> RULES = List.of(
            new AlarmRule("web-cpu-high", AlarmKind.WEB_CPU_HIGH, "Web tier CPU high", RUNBOOK + "web-cpu-high-at-capacity"),
            new AlarmRule("web-cpu-low", AlarmKind.WEB_CPU_LOW, "Web tier CPU low", RUNBOOK + "web-cpu-high-at-capacity"),
            new AlarmRule("alb-5xx", AlarmKind.NOTIFY, "Load balancer 5xx errors", RUNBOOK + "load-balancer-5xx"),
            new AlarmRule("alb-unhealthy-hosts", AlarmKind.NOTIFY, "Unhealthy web instances", RUNBOOK + "unhealthy-hosts"),
            new AlarmRule("db-cpu", AlarmKind.NOTIFY, "Aurora CPU high", RUNBOOK + "aurora-cpu"),
            new AlarmRule("db-connections", AlarmKind.NOTIFY, "Aurora connections high", RUNBOOK + "aurora-connections"),
            new AlarmRule("db-free-storage", AlarmKind.NOTIFY, "Aurora free storage low", RUNBOOK + "aurora-free-storage"),
            new AlarmRule("cache-cpu", AlarmKind.NOTIFY, "Cache CPU high", RUNBOOK + "cache-cpu"),
            new AlarmRule("cache-evictions", AlarmKind.NOTIFY, "Cache evictions", RUNBOOK + "cache-evictions"),
            new AlarmRule("app-cache-cpu", AlarmKind.NOTIFY, "Application cache CPU high", RUNBOOK + "cache-cpu"),
            new AlarmRule("app-cache-evictions", AlarmKind.NOTIFY, "Application cache evictions", RUNBOOK + "cache-evictions"),
            new AlarmRule("efs-throughput", AlarmKind.NOTIFY, "EFS throughput high", RUNBOOK + "efs-throughput"));

    private AlarmPolicy() {
    }

    /** The rule for an alarm of this stack; empty for another stack's alarm or one the stack does not own. */
    public static Optional<AlarmRule> ruleFor(String stack, String alarmName) {
        String prefix = stack + "-";
        if (alarmName == null || !alarmName.startsWith(prefix)) {
            return Optional.empty();
        }
        String suffix = alarmName.substring(prefix.length());
        return RULES.stream().filter(r -> r.suffix().equals(suffix)).findFirst();
    }
}
