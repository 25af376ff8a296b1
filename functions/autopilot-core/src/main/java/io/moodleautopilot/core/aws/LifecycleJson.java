package io.moodleautopilot.core.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private LifecycleJson() {
    }

    public static String sessionConfig(SessionConfig config) {
        try {
            return MAPPER.writeValueAsString(config.settings());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value that cannot be parsed counts as absent, so the next converge publishes it again. */
    public static Optional<SessionConfig> parseSessionConfig(String json) {
        try {
            Map<String, Object> settings = MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
            return Optional.of(new SessionConfig(settings));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Keeps as many of the record's actions as fit in {@link #STATUS_LIMIT}, see {@link StatusActions}. */
    public static String status(StatusRecord s) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("phase", s.phase().name());
        n.put("flagVersion", s.flagVersion());
        if (s.pipelineExecutionId() == null) {
            n.putNull("pipelineExecutionId");
        } else {
            n.put("pipelineExecutionId", s.pipelineExecutionId());
        }
        ArrayNode actions = n.putArray("actions");
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
        // Priced with a comma each (one too many): the record with its kept actions stays within the limit.
        int withoutActions = utf8Length(n.toString());
        StatusActions.fit(s.actions(), STATUS_LIMIT - withoutActions, a -> utf8Length(quoted(a)) + 1)
                .forEach(actions::add);
        return n.toString();
    }

    private static String quoted(String text) {
        try {
            return MAPPER.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    public static Optional<StatusRecord> parseStatus(String json) {
        try {
            JsonNode n = MAPPER.readTree(json);
            List<String> actions = new ArrayList<>();
            n.path("actions").forEach(a -> actions.add(a.asText()));
            JsonNode exec = n.path("pipelineExecutionId");
            JsonNode release = n.path("releaseVersion");
            JsonNode rendered = n.path("configRenderedFor");
            JsonNode moodleConfig = n.path("moodleConfigAppliedFor");
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
                    moodleConfig.isTextual() ? moodleConfig.asText() : null));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
