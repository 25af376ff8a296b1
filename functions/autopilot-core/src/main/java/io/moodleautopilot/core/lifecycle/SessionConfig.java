package io.moodleautopilot.core.lifecycle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Moodle's {@code $CFG->session_*} settings, by name, exactly as config.php must set them. The
 * instances render these into config.php; values are strings, integers, booleans or (for
 * {@code session_redis_encrypt}) a map that becomes a PHP array.
 */
public record SessionConfig(Map<String, Object> settings) {
    public SessionConfig {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    public String handlerClass() {
        return String.valueOf(settings.get("session_handler_class"));
    }

    /**
     * Identifies these settings in the status record (which re-render of config.php was sent for
     * them). Map and String hash codes are specified by the JDK, so the value is stable across runs.
     */
    public String fingerprint() {
        return String.format("%08x", settings.hashCode());
    }

    public boolean usesDatabase() {
        return SessionConfigRenderer.DATABASE_HANDLER.equals(handlerClass());
    }
}
