package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonValue;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The upgrade record the web instances' upgrade-moodle.sh writes (the issue 13 contract, section 1):
 * what the last database upgrade did, read by the converger. Only the instances write it; this side
 * reads it and must never fail on it: an older, partial or broken record counts as {@link State#NONE}
 * (with a warning for the status), so a bad record can neither stop the lifecycle nor page anyone.
 *
 * @param warning why the stored text was not used as it is (malformed JSON, unknown state); null when it was
 */
public record UpgradeRecord(State state, String attempt, String owner, Moodle database, Moodle code,
                            Instant startedAt, Double seconds, String reason, String warning) {

    /** How long a RUNNING record may be held before it counts as left by an instance that died. */
    public static final Duration STALE_AFTER = Duration.ofHours(2);
    /** The reason comes from a script on an instance: bounded, so it fits the status and a notification. */
    static final int REASON_LIMIT = 300;

    public enum State { NONE, CURRENT, RUNNING, DONE, FAILED }

    /** A Moodle release and version, as the database has it or as the code wants it. */
    public record Moodle(String release, String version) {
    }

    public static UpgradeRecord none() {
        return new UpgradeRecord(State.NONE, null, null, null, null, null, null, null, null);
    }

    private static UpgradeRecord none(String warning) {
        return new UpgradeRecord(State.NONE, null, null, null, null, null, null, null, warning);
    }

    /** An absent parameter (a stack created before the record existed) is NONE without a warning. */
    public static UpgradeRecord parse(Optional<String> stored) {
        return stored.map(UpgradeRecord::parse).orElse(none());
    }

    public static UpgradeRecord parse(String json) {
        JsonValue n;
        try {
            n = Json.parse(json);
        } catch (RuntimeException e) {
            return none("upgrade record is not JSON; read as NONE");
        }
        if (n == null || !n.isObject()) {
            return none("upgrade record is not a JSON object; read as NONE");
        }
        JsonValue stateValue = n.path("state");
        if (stateValue.isObject() || stateValue.isArray()) {
            return none("upgrade record has an unknown state; read as NONE");
        }
        String stateText = stateValue.asText("NONE").strip();
        State state;
        try {
            state = State.valueOf(stateText.isEmpty() ? "NONE" : stateText);
        } catch (IllegalArgumentException e) {
            return none("upgrade record has an unknown state; read as NONE");
        }
        if (state == State.NONE) {
            return none();
        }
        JsonValue seconds = n.path("seconds");
        boolean hasSeconds = !seconds.isMissingNode() && !seconds.isNull() && !seconds.isObject() && !seconds.isArray();
        String reason = state == State.FAILED ? text(n.path("reason")) : null;
        if (reason != null && reason.length() > REASON_LIMIT) {
            reason = reason.substring(0, REASON_LIMIT) + "...";
        }
        return new UpgradeRecord(state, text(n.path("attempt")), text(n.path("owner")), moodle(n.path("database")),
                moodle(n.path("code")), instant(n.path("startedAt")), hasSeconds ? seconds.asDouble() : null,
                reason == null ? null : oneLine(reason), null);
    }

    /** Held RUNNING since before {@link #STALE_AFTER}: the instance that took it died; unknown start is not stale. */
    public boolean staleAt(Instant now) {
        return state == State.RUNNING && startedAt != null && startedAt.plus(STALE_AFTER).isBefore(now);
    }

    /** What a deployment resumes: a failed upgrade, or one an instance died holding. */
    public boolean needsResume(Instant now) {
        return state == State.FAILED || staleAt(now);
    }

    /** The attempt a notification is kept for; a record without an id is told apart by its start. */
    public String attemptKey() {
        if (attempt != null) {
            return attempt;
        }
        return startedAt == null ? "unknown" : "started-" + startedAt;
    }

    private static Moodle moodle(JsonValue v) {
        if (!v.isObject()) {
            return null;
        }
        String release = text(v.path("release"));
        String version = text(v.path("version"));
        return release == null && version == null ? null : new Moodle(release, version);
    }

    private static String text(JsonValue v) {
        if (v.isMissingNode() || v.isNull() || v.isObject() || v.isArray()) {
            return null;
        }
        String s = v.asText().strip();
        return s.isEmpty() ? null : s;
    }

    private static Instant instant(JsonValue v) {
        String s = text(v);
        if (s == null) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\t]+", " ");
    }
}
