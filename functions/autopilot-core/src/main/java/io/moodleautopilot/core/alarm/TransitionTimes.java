package io.moodleautopilot.core.alarm;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Which state timestamps a transition may carry. The ledger orders an alarm's transitions by this
 * timestamp and keeps the newest, so one from the far future would make every later real transition
 * of that alarm a duplicate, and one beyond the millisecond range cannot be stored at all. Such an
 * event is bad input: refused, never retried.
 *
 * <p>The window: not more than {@link #CLOCK_SKEW} after the function's clock (CloudWatch and Lambda
 * clocks agree to well under that); not before {@link #EARLIEST} (the event carries no alarm creation
 * time, and this stack's alarms cannot predate 2010); and, when the event's own {@code time} (when
 * EventBridge received it) is known, not more than {@link #CLOCK_SKEW} after it nor more than
 * {@link #MAX_DELIVERY_LAG} before it. CloudWatch sends the event within seconds of the change, so a
 * day is generous; EventBridge's retries keep the original {@code time}, so they are not affected.
 */
public final class TransitionTimes {
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    public static final Duration MAX_DELIVERY_LAG = Duration.ofDays(1);
    public static final Instant EARLIEST = Instant.parse("2010-01-01T00:00:00Z");

    private TransitionTimes() {
    }

    /**
     * @param eventTime the event's {@code time}, or null when the event has none
     * @return why the timestamp is refused, or empty when it is plausible
     */
    public static Optional<String> refusal(Instant stateTimestamp, Instant eventTime, Instant now) {
        if (stateTimestamp.isAfter(now.plus(CLOCK_SKEW))) {
            return Optional.of("state.timestamp " + stateTimestamp + " is in the future (now " + now + ")");
        }
        if (stateTimestamp.isBefore(EARLIEST)) {
            return Optional.of("state.timestamp " + stateTimestamp + " is before " + EARLIEST);
        }
        if (eventTime != null && stateTimestamp.isAfter(eventTime.plus(CLOCK_SKEW))) {
            return Optional.of("state.timestamp " + stateTimestamp + " is after the event's time " + eventTime);
        }
        if (eventTime != null && stateTimestamp.isBefore(eventTime.minus(MAX_DELIVERY_LAG))) {
            return Optional.of("state.timestamp " + stateTimestamp + " is more than " + MAX_DELIVERY_LAG.toHours()
                    + " h before the event's time " + eventTime);
        }
        return Optional.empty();
    }
}
