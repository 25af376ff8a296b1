package io.moodleautopilot.core.release;

import java.time.Duration;

/**
 * The time staging may take, checked between steps and while the release streams in, so that the
 * function still has time to answer CloudFormation. Cancelling it (when the answer has already
 * gone) stops the work at its next check, before anything is uploaded.
 */
public final class Deadline {
    private final long endNanos;
    private volatile boolean cancelled;

    private Deadline(long endNanos) {
        this.endNanos = endNanos;
    }

    public static Deadline in(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos());
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    public boolean expired() {
        return cancelled || endNanos - System.nanoTime() <= 0;
    }

    public void cancel() {
        cancelled = true;
    }

    /** @throws StagingException when the time is up (or the deadline was cancelled) */
    public void check(String step) {
        if (cancelled) {
            throw new StagingException("stopped before " + step + ": the answer to CloudFormation has already been sent");
        }
        if (expired()) {
            throw new StagingException("out of time before " + step
                    + ": the function's remaining time is kept for answering CloudFormation");
        }
    }
}
