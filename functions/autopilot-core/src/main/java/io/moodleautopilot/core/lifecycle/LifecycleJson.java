package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonArray;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.lifecycle.LifecyclePhase;
import io.moodleautopilot.core.lifecycle.SessionConfig;
import io.moodleautopilot.core.lifecycle.StatusActions;
import io.moodleautopilot.core.lifecycle.StatusRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The JSON forms of the status record and the session configuration, as stored in Parameter Store. */
public final class LifecycleJson {
    /**
     * The status record is a Standard-tier parameter: "a maximum parameter value of 4096
     * characters". Measured here in UTF-8 bytes, which are never fewer than the characters.
     */
    public static final int STATUS_LIMIT = 4096;

    private LifecycleJson() {
    }

    public static String sessionConfig(SessionConfig config) {
        return Json.write(config.settings());
    }

    /** A value that cannot be parsed counts as absent, so the next converge publishes it again. */
    public static Optional<SessionConfig> parseSessionConfig(String json) {
        try {
            JsonValue parsed = Json.parse(json);
            if (!parsed.isObject()) {
                return Optional.empty();
            }
            Map<String, Object> settings = new LinkedHashMap<>();
            for (String name : parsed.fieldNames()) {
                settings.put(name, parsed.path(name).raw());
            }
            return Optional.of(new SessionConfig(settings));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Keeps as many of the record's actions as fit in {@link #STATUS_LIMIT}, see {@link StatusActions}. */
    public static String status(StatusRecord s) {
        JsonObject n = new JsonObject();
        n.put("phase", s.phase().name());
        n.put("flagVersion", s.flagVersion());
        if (s.pipelineExecutionId() == null) {
            n.putNull("pipelineExecutionId");
        } else {
            n.put("pipelineExecutionId", s.pipelineExecutionId());
        }
        JsonArray actions = n.putArray("actions");
        n.put("trigger", s.trigger());
        n.put("transitionedAt", s.transitionedAt().toString());
        n.put("updatedAt", s.updatedAt().toString());
        if (s.releaseVersion() == null) {
            n.putNull("releaseVersion");
        } else {
            n.put("releaseVersion", s.releaseVersion());
        }
        if (s.configRenderedFor() == null) {
            n.putNull("configRenderedFor");
        } else {
            n.put("configRenderedFor", s.configRenderedFor());
        }
        if (s.moodleConfigAppliedFor() == null) {
            n.putNull("moodleConfigAppliedFor");
        } else {
            n.put("moodleConfigAppliedFor", s.moodleConfigAppliedFor());
        }
        // The upgrade's fields only when there is something to say: a stack whose instances never
        // wrote the upgrade record keeps the record it had.
        if (s.moodle() != null) {
            JsonObject moodle = n.putObject("moodle");
            putText(moodle, "release", s.moodle().release());
            putText(moodle, "version", s.moodle().version());
        }
        if (s.upgrade() != null) {
            JsonObject u = n.putObject("upgrade");
            u.put("state", s.upgrade().state());
            putText(u, "attempt", s.upgrade().attempt());
            putText(u, "owner", s.upgrade().owner());
            if (s.upgrade().seconds() != null) {
                u.put("seconds", s.upgrade().seconds().doubleValue());
            }
            putText(u, "reason", s.upgrade().reason());
            putText(u, "warning", s.upgrade().warning());
        }
        putText(n, "upgradeNotified", s.upgradeNotified());
        putText(n, "upgradeResumeCommandId", s.upgradeResumeCommandId());
        // Priced with a comma each (one too many): the record with its kept actions stays within the limit.
        int withoutActions = utf8Length(n.toString());
        StatusActions.fit(s.actions(), STATUS_LIMIT - withoutActions, a -> utf8Length(quoted(a)) + 1)
                .forEach(actions::add);
        return n.toString();
    }

    private static void putText(JsonObject n, String name, String value) {
        if (value != null) {
            n.put(name, value);
        }
    }

    private static String text(JsonValue v) {
        return v.isTextual() ? v.asText() : null;
    }

    private static UpgradeRecord.Moodle moodle(JsonValue v) {
        return v.isObject() ? new UpgradeRecord.Moodle(text(v.path("release")), text(v.path("version"))) : null;
    }

    private static StatusRecord.Upgrade upgrade(JsonValue v) {
        if (!v.isObject()) {
            return null;
        }
        JsonValue seconds = v.path("seconds");
        return new StatusRecord.Upgrade(v.path("state").asText("NONE"), text(v.path("attempt")),
                text(v.path("owner")), seconds.isMissingNode() || seconds.isNull() ? null : seconds.asDouble(),
                text(v.path("reason")), text(v.path("warning")));
    }

    private static String quoted(String text) {
        return Json.quote(text);
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    public static Optional<StatusRecord> parseStatus(String json) {
        try {
            JsonValue n = Json.parse(json);
            List<String> actions = new ArrayList<>();
            n.path("actions").forEach(a -> actions.add(a.asText()));
            JsonValue exec = n.path("pipelineExecutionId");
            JsonValue release = n.path("releaseVersion");
            JsonValue rendered = n.path("configRenderedFor");
            JsonValue moodleConfig = n.path("moodleConfigAppliedFor");
            return Optional.of(new StatusRecord(
                    LifecyclePhase.valueOf(n.path("phase").asText()),
                    n.path("flagVersion").asLong(),
                    exec.isTextual() ? exec.asText() : null,
                    actions,
                    n.path("trigger").asText(),
                    Instant.parse(n.path("transitionedAt").asText()),
                    Instant.parse(n.path("updatedAt").asText()),
                    release.isTextual() ? release.asText() : null,
                    rendered.isTextual() ? rendered.asText() : null,
                    moodleConfig.isTextual() ? moodleConfig.asText() : null,
                    moodle(n.path("moodle")),
                    upgrade(n.path("upgrade")),
                    text(n.path("upgradeNotified")),
                    text(n.path("upgradeResumeCommandId"))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
