package io.moodleautopilot.core.alarm;

import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import java.time.Instant;

/** The AlarmReactor's view of the outside world; the aws package implements these with the SDK. */
public final class ReactorPorts {
    private ReactorPorts() {
    }

    /** What the ledger held for an alarm before this transition. */
    public record LedgerRecord(Instant stateTimestamp, AlarmState state, boolean notified, Instant notifiedAt,
                               long folded) {
    }

    public sealed interface Claim {
        /** This transition is new; {@code previous} is null for the alarm's first. */
        record Claimed(LedgerRecord previous) implements Claim {
        }

        /** The same or a newer transition is already recorded: do nothing. */
        record Duplicate() implements Claim {
        }

        /** New, but the alarm already notified within the rate window: fold it into the digest. */
        record RateLimited(LedgerRecord previous) implements Claim {
        }
    }

    /** Exactly-once bookkeeping per alarm transition, kept where it survives cold starts and expires. */
    public interface Ledger {
        /**
         * Records the transition if it is newer than the recorded one, in one conditional write.
         *
         * @param notify whether this transition will notify (then it also needs the rate window open)
         */
        Claim claim(AlarmTransition t, boolean notify, Instant now, Instant windowStart);

        /** Records a rate-limited transition and counts it for the next message. */
        void fold(AlarmTransition t);

        /** Records that a transition decided after its claim (at capacity) did notify. */
        void markNotified(String alarmName, Instant now);

        /** Undoes a claim whose action failed, so EventBridge's retry is not taken for a duplicate. */
        void release(AlarmTransition t, LedgerRecord previous);
    }

    public record GroupView(int min, int max, int desired, int inService) {
    }

    public interface WebGroup {
        GroupView describe();

        void setMax(int max);
    }

    public interface Phase {
        /**
         * The lifecycle phase the setup flag asks for (the converger's last status when the flag is
         * unreadable; install mode when neither says production).
         */
        LifecyclePhase current();
    }

    public interface Notifier {
        void publish(String subject, String message);
    }
}
