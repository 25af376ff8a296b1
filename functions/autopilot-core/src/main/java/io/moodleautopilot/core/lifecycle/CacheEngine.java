package io.moodleautopilot.core.lifecycle;

import java.util.Locale;

/** The session cache engines the stack can provide. */
public enum CacheEngine {
    /** No session cache: Moodle keeps sessions in its database. */
    NONE,
    MEMCACHED,
    REDIS,
    VALKEY,
    /** ElastiCache Serverless (Redis OSS or Valkey): always requires TLS. */
    SERVERLESS;

    public static CacheEngine parse(String raw) {
        if (raw == null || raw.isBlank()) {
            return NONE;
        }
        try {
            return valueOf(raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("unknown session cache engine '" + raw
                    + "' (expected none, memcached, redis, valkey or serverless)");
        }
    }
}
