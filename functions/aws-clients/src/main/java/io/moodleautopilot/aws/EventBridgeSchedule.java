package io.moodleautopilot.aws;

import io.moodleautopilot.core.install.DetectorPorts;
import java.util.function.Supplier;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/** One EventBridge rule: the detector disables its own, the converger enables it again. */
public final class EventBridgeSchedule implements DetectorPorts.Schedule, io.moodleautopilot.core.lifecycle.Ports.InstallWatch {
    private final Supplier<EventBridgeClient> events;
    private final String ruleName;

    public EventBridgeSchedule(Supplier<EventBridgeClient> events, String ruleName) {
        this.events = events;
        this.ruleName = ruleName;
    }

    @Override
    public void resume() {
        if (!ruleName.isBlank()) {
            events.get().enableRule(r -> r.name(ruleName));
        }
    }

    @Override
    public void disable() {
        if (!ruleName.isBlank()) {
            events.get().disableRule(r -> r.name(ruleName));
        }
    }
}
