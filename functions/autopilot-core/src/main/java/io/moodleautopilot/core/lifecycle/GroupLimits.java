package io.moodleautopilot.core.lifecycle;

/** Min, max and desired capacity of the web Auto Scaling group. */
public record GroupLimits(int min, int max, int desired) {

    /** Install mode: exactly one instance, so the web installer always reaches the same node. */
    public static final GroupLimits INSTALL = new GroupLimits(1, 1, 1);

    /**
     * Production limits keep the current desired capacity when it is already inside them, so a
     * converge never undoes the scaling policy's work; otherwise it is clamped into [min, max].
     */
    public static GroupLimits production(ProductionLimits limits, int currentDesired) {
        int desired = Math.max(limits.min(), Math.min(limits.max(), currentDesired));
        return new GroupLimits(limits.min(), limits.max(), desired);
    }
}
