package io.moodleautopilot.core.lifecycle;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the stack's cache settings into Moodle's session settings.
 *
 * <p>Names and semantics follow Moodle's own session handlers (lib/classes/session/*.php): redis
 * and valkey share {@code \core\session\redis}; TLS is switched on by a non-empty
 * {@code session_redis_encrypt} array of PHP stream SSL options (an empty array is falsy in PHP
 * and would silently connect in clear text, so peer verification is always spelled out).
 */
public final class SessionConfigRenderer {
    public static final String DATABASE_HANDLER = "\\core\\session\\database";
    public static final String REDIS_HANDLER = "\\core\\session\\redis";
    public static final String MEMCACHED_HANDLER = "\\core\\session\\memcached";

    /** Matches Moodle's recommended lock settings for clustered session stores. */
    static final int ACQUIRE_LOCK_TIMEOUT_SECONDS = 120;
    static final int LOCK_EXPIRE_SECONDS = 7200;

    private SessionConfigRenderer() {
    }

    public static SessionConfig forPhase(LifecyclePhase phase, CacheSettings cache) {
        if (phase == LifecyclePhase.INSTALL || cache.engine() == CacheEngine.NONE) {
            return databaseSessions();
        }
        return switch (cache.engine()) {
            case MEMCACHED -> memcached(cache);
            case REDIS, VALKEY, SERVERLESS -> redis(cache);
            case NONE -> databaseSessions();
        };
    }

    /** What install mode uses: the installer must not depend on a cache that may not exist yet. */
    public static SessionConfig databaseSessions() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("session_handler_class", DATABASE_HANDLER);
        s.put("session_database_acquire_lock_timeout", ACQUIRE_LOCK_TIMEOUT_SECONDS);
        return new SessionConfig(s);
    }

    private static SessionConfig memcached(CacheSettings cache) {
        if (cache.transitEncryption()) {
            // Moodle's memcached handler hands a save path to PHP's memcached session module,
            // which has no TLS option: publishing it would silently send sessions in clear text.
            throw new ConfigurationException("Moodle's memcached session handler cannot use TLS; "
                    + "use redis or valkey for an encrypted session cache, or turn transit encryption off");
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("session_handler_class", MEMCACHED_HANDLER);
        s.put("session_memcached_save_path", cache.endpoint() + ":" + cache.port());
        s.put("session_memcached_prefix", "memc.sess.key.");
        s.put("session_memcached_acquire_lock_timeout", ACQUIRE_LOCK_TIMEOUT_SECONDS);
        s.put("session_memcached_lock_expire", LOCK_EXPIRE_SECONDS);
        return new SessionConfig(s);
    }

    private static SessionConfig redis(CacheSettings cache) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("session_handler_class", REDIS_HANDLER);
        s.put("session_redis_host", cache.endpoint());
        s.put("session_redis_port", cache.port());
        s.put("session_redis_database", 0);
        s.put("session_redis_prefix", "sess_");
        s.put("session_redis_acquire_lock_timeout", ACQUIRE_LOCK_TIMEOUT_SECONDS);
        s.put("session_redis_lock_expire", LOCK_EXPIRE_SECONDS);
        if (cache.transitEncryption()) {
            Map<String, Object> tls = new LinkedHashMap<>();
            tls.put("verify_peer", true);
            tls.put("verify_peer_name", true);
            s.put("session_redis_encrypt", tls);
        }
        return new SessionConfig(s);
    }
}
