package io.moodleautopilot.core.alarm;

import io.moodleautopilot.core.lifecycle.LifecyclePhase;

/** The notification texts: what an operator needs to act, in plain text for e-mail. */
final class AlarmMessages {
    private AlarmMessages() {
    }

    static String alarm(String stack, AlarmRule rule, AlarmTransition t, LifecyclePhase phase,
                        ReactorPorts.GroupView g, long folded) {
        StringBuilder b = header(stack, rule, t);
        b.append("Moodle phase: ").append(phase).append('\n');
        b.append(group(g));
        if (folded > 0) {
            b.append("Digest: ").append(folded).append(" more transition(s) of this alarm since its last message\n");
        }
        return b.append("What to do: ").append(rule.runbookStep()).append('\n').toString();
    }

    static String atCapacity(String stack, AlarmRule rule, AlarmTransition t, LifecyclePhase phase,
                             ReactorPorts.GroupView g, String action) {
        StringBuilder b = header(stack, rule, t);
        b.append("Moodle phase: ").append(phase).append('\n');
        b.append(group(g));
        b.append("Action: ").append(action).append('\n');
        return b.append("What to do: ").append(rule.runbookStep()).append('\n').toString();
    }

    static String resolved(String stack, AlarmRule rule, AlarmTransition t) {
        return header(stack, rule, t).append("Resolved: the alarm is back to OK.\n").toString();
    }

    private static StringBuilder header(String stack, AlarmRule rule, AlarmTransition t) {
        StringBuilder b = new StringBuilder();
        b.append("Stack: ").append(stack).append('\n');
        b.append("Alarm: ").append(t.alarmName()).append(" (").append(rule.title()).append(")\n");
        b.append("State: ").append(t.previousState()).append(" -> ").append(t.state()).append(" at ")
                .append(t.stateTimestamp()).append('\n');
        b.append("Reason: ").append(t.reason()).append('\n');
        if (t.reasonData() != null && !t.reasonData().isBlank()) {
            b.append("Datapoints: ").append(t.reasonData()).append('\n');
        }
        return b;
    }

    private static String group(ReactorPorts.GroupView g) {
        return "Web group: min " + g.min() + ", max " + g.max() + ", desired " + g.desired() + ", in service "
                + g.inService() + "\n";
    }
}
