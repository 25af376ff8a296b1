package io.moodleautopilot.core.alarm;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Reacts to this stack's CloudWatch alarm transitions with what the native scaling policy cannot
 * do: keep the installer's CPU spikes from mattering, raise the maximum up to a ceiling when the web
 * tier is at capacity, and tell an operator what to do. Exactly once per transition: the ledger's
 * conditional write comes first, so a duplicate costs one call and does nothing.
 *
 * <p>Rate: one ALARM message per alarm per {@link #RATE_WINDOW}; transitions beyond it are folded
 * into a count that the alarm's next message reports (the digest).
 */
public final class AlarmReactorService {
    public static final Duration RATE_WINDOW = Duration.ofMinutes(5);

    private final ReactorSettings settings;
    private final ReactorPorts.Ledger ledger;
    private final ReactorPorts.WebGroup group;
    private final ReactorPorts.Phase phase;
    private final ReactorPorts.Notifier notifier;
    private final Supplier<Instant> clock;

    public AlarmReactorService(ReactorSettings settings, ReactorPorts.Ledger ledger, ReactorPorts.WebGroup group,
                               ReactorPorts.Phase phase, ReactorPorts.Notifier notifier, Supplier<Instant> clock) {
        this.settings = settings;
        this.ledger = ledger;
        this.group = group;
        this.phase = phase;
        this.notifier = notifier;
        this.clock = clock;
    }

    /** @throws ConfigurationException for an alarm this stack does not own */
    public Reaction react(AlarmTransition t) {
        AlarmRule rule = AlarmPolicy.ruleFor(settings.stack(), t.alarmName())
                .orElseThrow(() -> new ConfigurationException("alarm '" + t.alarmName() + "' is not one of stack "
                        + settings.stack() + "'s alarms"));
        Instant now = clock.get();
        boolean notifiesNow = rule.kind() == AlarmKind.NOTIFY && t.state() == AlarmState.ALARM;
        ReactorPorts.Claim claim = ledger.claim(t, notifiesNow, now, now.minus(RATE_WINDOW));
        if (claim instanceof ReactorPorts.Claim.Duplicate) {
            return new Reaction(Reaction.Outcome.DUPLICATE, t.alarmName(), List.of());
        }
        if (claim instanceof ReactorPorts.Claim.RateLimited) {
            ledger.fold(t);
            return new Reaction(Reaction.Outcome.FOLDED, t.alarmName(), List.of("folded into the digest"));
        }
        ReactorPorts.LedgerRecord previous = ((ReactorPorts.Claim.Claimed) claim).previous();
        try {
            return switch (rule.kind()) {
                case NOTIFY -> notify(rule, t, previous);
                case WEB_CPU_HIGH -> cpuHigh(rule, t, previous, now);
                case WEB_CPU_LOW -> cpuLow(t);
            };
        } catch (RuntimeException e) {
            // The action failed after the claim: undo the claim so EventBridge's retry acts once.
            ledger.release(t, previous);
            throw e;
        }
    }

    private Reaction notify(AlarmRule rule, AlarmTransition t, ReactorPorts.LedgerRecord previous) {
        if (t.state() == AlarmState.ALARM) {
            LifecyclePhase p = phase.current();
            ReactorPorts.GroupView g = group.describe();
            notifier.publish(subject("ALARM", rule, t), AlarmMessages.alarm(settings.stack(), rule, t, p, g,
                    previous == null ? 0 : previous.folded()));
            return new Reaction(Reaction.Outcome.NOTIFIED, t.alarmName(), List.of("alarm notification"));
        }
        return resolveIfNotified(rule, t, previous, new ArrayList<>());
    }

    private Reaction resolveIfNotified(AlarmRule rule, AlarmTransition t, ReactorPorts.LedgerRecord previous,
                                       List<String> actions) {
        if (t.state() == AlarmState.OK && previous != null && previous.notified() && previous.state() == AlarmState.ALARM) {
            notifier.publish(subject("RESOLVED", rule, t), AlarmMessages.resolved(settings.stack(), rule, t));
            actions.add("resolution notification");
            return new Reaction(actions.size() > 1 ? Reaction.Outcome.RESTORED : Reaction.Outcome.NOTIFIED,
                    t.alarmName(), actions);
        }
        return new Reaction(actions.isEmpty() ? Reaction.Outcome.RECORDED : Reaction.Outcome.RESTORED,
                t.alarmName(), actions);
    }

    private Reaction cpuHigh(AlarmRule rule, AlarmTransition t, ReactorPorts.LedgerRecord previous, Instant now) {
        LifecyclePhase p = phase.current();
        if (t.state() == AlarmState.ALARM) {
            if (p == LifecyclePhase.INSTALL) {
                return new Reaction(Reaction.Outcome.SUPPRESSED, t.alarmName(),
                        List.of("suppressed: the site is in install mode"));
            }
            ReactorPorts.GroupView g = group.describe();
            if (g.desired() < g.max()) {
                return new Reaction(Reaction.Outcome.RECORDED, t.alarmName(), List.of("scaling policy has room"));
            }
            int raised = Math.min(g.max() + 1, settings.ceiling());
            String action;
            Reaction.Outcome outcome;
            if (raised > g.max()) {
                group.setMax(raised);
                action = "maximum raised " + g.max() + " -> " + raised + " (ceiling " + settings.ceiling() + ")";
                outcome = Reaction.Outcome.RAISED;
            } else {
                action = settings.ceiling() == settings.configuredMax()
                        ? "at capacity; raising is off (WebAsgMaxCeiling equals the maximum)"
                        : "at capacity; ceiling " + settings.ceiling() + " reached";
                outcome = Reaction.Outcome.NOTIFIED;
            }
            try {
                notifier.publish(subject("AT CAPACITY", rule, t), AlarmMessages.atCapacity(settings.stack(), rule, t, p, g, action));
            } catch (RuntimeException e) {
                if (raised > g.max()) {
                    group.setMax(g.max()); // undone with the claim, so the retry raises and tells, once
                }
                throw e;
            }
            ledger.markNotified(t.alarmName(), now);
            return new Reaction(outcome, t.alarmName(), List.of(action, "capacity notification"));
        }
        List<String> actions = new ArrayList<>();
        if (t.state() == AlarmState.OK && p == LifecyclePhase.PRODUCTION) {
            restoreIfBack(actions);
        }
        return resolveIfNotified(rule, t, previous, actions);
    }

    private Reaction cpuLow(AlarmTransition t) {
        List<String> actions = new ArrayList<>();
        if (t.state() == AlarmState.ALARM && phase.current() == LifecyclePhase.PRODUCTION) {
            restoreIfBack(actions);
        }
        return new Reaction(actions.isEmpty() ? Reaction.Outcome.RECORDED : Reaction.Outcome.RESTORED, t.alarmName(), actions);
    }

    /** Puts a raised maximum back once the group is inside the configured one again; never lower. */
    private void restoreIfBack(List<String> actions) {
        ReactorPorts.GroupView g = group.describe();
        if (g.max() > settings.configuredMax() && g.desired() <= settings.configuredMax()) {
            group.setMax(settings.configuredMax());
            actions.add("maximum restored " + g.max() + " -> " + settings.configuredMax());
        }
    }

    private String subject(String what, AlarmRule rule, AlarmTransition t) {
        String s = "[" + settings.stack() + "] " + what + ": " + rule.title() + " (" + t.alarmName() + ")";
        return s.length() > 100 ? s.substring(0, 100) : s; // SNS subjects stop at 100 characters
    }
}
