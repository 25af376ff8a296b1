package io.moodleautopilot.core.aws;

import io.moodleautopilot.core.install.DetectorPorts;
import java.util.function.Supplier;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

public final class EventBridgeSchedule implements DetectorPorts.Schedule {
    private final Supplier<EventBridgeClient> events;
    private final String ruleName;

    public EventBridgeSchedule(Supplier<EventBridgeClient> events, String ruleName) {
        this.events = events;
        this.ruleName = ruleName;
    }

    @Override
    public void disable() {
        if (!ruleName.isBlank()) {
            events.get().disableRule(r -> r.name(ruleName));
        }
    }
}
