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

    public boolean usesDatabase() {
        return SessionConfigRenderer.DATABASE_HANDLER.equals(handlerClass());
    }
}
