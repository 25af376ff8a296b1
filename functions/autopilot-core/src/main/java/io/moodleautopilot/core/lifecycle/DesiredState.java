package io.moodleautopilot.core.lifecycle;

/** What the stack must look like for one phase; computed, never stored. */
public record DesiredState(LifecyclePhase phase, GroupLimits limits, boolean alarmActionsEnabled,
                           SessionConfig sessionConfig) {

    public static DesiredState of(LifecyclePhase phase, StackSettings settings, GroupLimits actual) {
        GroupLimits limits = phase == LifecyclePhase.PRODUCTION
                ? GroupLimits.production(settings.productionLimits(), actual)
                : GroupLimits.INSTALL;
        return new DesiredState(phase, limits, phase == LifecyclePhase.PRODUCTION,
                SessionConfigRenderer.forPhase(phase, settings.cache()));
    }
}
