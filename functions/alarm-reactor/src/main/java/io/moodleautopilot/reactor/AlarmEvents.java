package io.moodleautopilot.reactor;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.alarm.AlarmState;
import io.moodleautopilot.core.alarm.AlarmTransition;
import io.moodleautopilot.core.alarm.TransitionTimes;
import java.time.Instant;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** Reads EventBridge's "CloudWatch Alarm State Change" events; anything else is refused with a reason. */
final class AlarmEvents {
    /** CloudWatch writes "2026-11-22T10:15:03.017+0000" (offset without a colon). */
    private static final DateTimeFormatter CLOUDWATCH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXX");

    sealed interface Parsed {
        record Transition(AlarmTransition transition) implements Parsed {
        }

        record Rejected(String reason) implements Parsed {
        }
    }

    private AlarmEvents() {
    }

    /** @param now the function's clock, against which a transition's timestamp must be plausible */
    static Parsed parse(byte[] payload, Instant now) {
        JsonValue e;
        try {
            e = Json.parse(payload);
        } catch (JsonException ex) {
            return new Parsed.Rejected("event is not valid JSON");
        }
        if (e == null || !e.isObject()) {
            return new Parsed.Rejected("event is not a JSON object");
        }
        if (!"aws.cloudwatch".equals(e.path("source").asText()) || !"CloudWatch Alarm State Change".equals(e.path("detail-type").asText())) {
            return new Parsed.Rejected("not a CloudWatch Alarm State Change event");
        }
        JsonValue d = e.path("detail");
        String name = d.path("alarmName").asText("");
        AlarmState state = state(d.path("state").path("value").asText(""));
        Instant ts = time(d.path("state").path("timestamp").asText(""));
        if (name.isEmpty() || state == null || ts == null) {
            return new Parsed.Rejected("alarm event without alarmName, state.value or state.timestamp");
        }
        // A timestamp outside the window would poison the ledger's ordering (or overflow it): bad input.
        Optional<String> refusal = TransitionTimes.refusal(ts, time(e.path("time").asText("")), now);
        if (refusal.isPresent()) {
            return new Parsed.Rejected("alarm " + name + ": " + refusal.get());
        }
        AlarmState previous = state(d.path("previousState").path("value").asText(""));
        return new Parsed.Transition(new AlarmTransition(name, state, previous, ts,
                d.path("state").path("reason").asText(""), d.path("state").path("reasonData").asText("")));
    }

    private static AlarmState state(String v) {
        try {
            return AlarmState.valueOf(v);
        } catch (IllegalArgumentException ex) {
            return null;
        }
    }

    static Instant time(String v) {
        try {
            return OffsetDateTime.parse(v, CLOUDWATCH_TIME).toInstant();
        } catch (DateTimeException ex) {
            try {
                return Instant.parse(v);
            } catch (DateTimeException ex2) {
                // Unparseable, or outside Instant's range: no usable time.
                return null;
            }
        }
    }
}
