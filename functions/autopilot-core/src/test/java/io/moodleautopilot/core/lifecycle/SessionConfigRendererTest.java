package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionConfigRendererTest {
    @Test
    void installModeAlwaysUsesDatabaseSessions() {
        CacheSettings redis = new CacheSettings(CacheEngine.REDIS, "r.cache.amazonaws.com", 6379, true);
        assertThat(SessionConfigRenderer.forPhase(LifecyclePhase.INSTALL, redis).usesDatabase()).isTrue();
    }

    @Test
    void productionWithoutACacheUsesDatabaseSessions() {
        assertThat(SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION, CacheSettings.none()).usesDatabase()).isTrue();
    }

    @Test
    void redisWithTlsSpellsOutPeerVerification() {
        SessionConfig c = SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION,
                new CacheSettings(CacheEngine.VALKEY, "v.cache.amazonaws.com", 6380, true));
        assertThat(c.settings())
                .containsEntry("session_handler_class", "\\core\\session\\redis")
                .containsEntry("session_redis_host", "v.cache.amazonaws.com")
                .containsEntry("session_redis_port", 6380)
                .containsEntry("session_redis_encrypt", Map.of("verify_peer", true, "verify_peer_name", true))
                .containsEntry("session_redis_acquire_lock_timeout", 120)
                .containsEntry("session_redis_lock_expire", 7200);
    }

    @Test
    void redisWithoutTlsHasNoEncryptSetting() {
        SessionConfig c = SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION,
                new CacheSettings(CacheEngine.REDIS, "r.cache.amazonaws.com", 6379, false));
        assertThat(c.settings()).doesNotContainKey("session_redis_encrypt");
    }

    @Test
    void serverlessForcesTlsWhateverTheParameterSays() {
        CacheSettings serverless = new CacheSettings(CacheEngine.SERVERLESS, "s.serverless.cache.amazonaws.com", 6379, false);
        assertThat(serverless.transitEncryption()).isTrue();
        assertThat(SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION, serverless).settings())
                .containsKey("session_redis_encrypt");
    }

    @Test
    void memcachedUsesItsSavePath() {
        SessionConfig c = SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION,
                new CacheSettings(CacheEngine.MEMCACHED, "m.cfg.cache.amazonaws.com", 11211, false));
        assertThat(c.settings())
                .containsEntry("session_handler_class", "\\core\\session\\memcached")
                .containsEntry("session_memcached_save_path", "m.cfg.cache.amazonaws.com:11211");
    }

    @Test
    void memcachedWithTlsIsRefused() {
        CacheSettings tls = new CacheSettings(CacheEngine.MEMCACHED, "m.cfg.cache.amazonaws.com", 11211, true);
        assertThatThrownBy(() -> SessionConfigRenderer.forPhase(LifecyclePhase.PRODUCTION, tls))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("cannot use TLS");
    }

    @Test
    void aCacheEngineNeedsAnEndpoint() {
        assertThatThrownBy(() -> new CacheSettings(CacheEngine.REDIS, " ", 6379, true))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("needs an endpoint");
    }
}
