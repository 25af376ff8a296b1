package io.moodleautopilot.core.lifecycle;

/** Min, max and desired capacity of the web Auto Scaling group. */
public record GroupLimits(int min, int max, int desired) {

    /** Install mode: exactly one instance, so the web installer always reaches the same node. */
    public static final GroupLimits INSTALL = new GroupLimits(1, 1, 1);

    /**
     * Production limits keep the current desired capacity when it is already inside them, so a
     * converge never undoes the scaling policy's work; otherwise it is clamped into [min, max]. A
     * maximum the AlarmReactor raised (up to the ceiling) is kept: the reactor restores it.
     */
    public static GroupLimits production(ProductionLimits limits, GroupLimits current) {
        int max = current.max() > limits.max() && current.max() <= limits.ceiling() ? current.max() : limits.max();
        int desired = Math.max(limits.min(), Math.min(max, current.desired()));
        return new GroupLimits(limits.min(), max, desired);
    }
}
