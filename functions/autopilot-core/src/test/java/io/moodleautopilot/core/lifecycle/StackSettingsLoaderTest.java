package io.moodleautopilot.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StackSettingsLoaderTest {
    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("STACK_NAME", "moodle");
        env.put("WEB_ASG_NAME", "moodle-web");
        env.put("PRODUCTION_MIN_SIZE", "2");
        env.put("PRODUCTION_MAX_SIZE", "4");
        env.put("SCALING_ALARM_NAMES", " a , b ,,");
        return env;
    }

    @Test
    void defaultsFollowTheStacksNamingScheme() {
        StackSettings s = StackSettingsLoader.load(env());
        assertThat(s.setupFlagParameter()).isEqualTo("/Moodle/moodle/IsMoodleSetupCompleted");
        assertThat(s.statusParameter()).isEqualTo("/Moodle/moodle/Automation/Status");
        assertThat(s.sessionConfigParameter()).isEqualTo("/Moodle/moodle/Automation/SessionConfig");
        assertThat(s.scalingAlarmNames()).containsExactly("a", "b");
        assertThat(s.cache().engine()).isEqualTo(CacheEngine.NONE);
        assertThat(s.hasPipeline()).isFalse();
    }

    @Test
    void cachePortDefaultsPerEngine() {
        Map<String, String> env = env();
        env.put("SESSION_CACHE_ENGINE", "memcached");
        env.put("SESSION_CACHE_ENDPOINT", "m.example");
        env.put("SESSION_CACHE_TLS", "false");
        assertThat(StackSettingsLoader.load(env).cache().port()).isEqualTo(11211);
        env.put("SESSION_CACHE_ENGINE", "valkey");
        assertThat(StackSettingsLoader.load(env).cache().port()).isEqualTo(6379);
    }

    @Test
    void missingOrMalformedSettingsAreConfigurationErrors() {
        Map<String, String> noGroup = env();
        noGroup.remove("WEB_ASG_NAME");
        assertThatThrownBy(() -> StackSettingsLoader.load(noGroup)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("WEB_ASG_NAME");
        Map<String, String> notANumber = env();
        notANumber.put("PRODUCTION_MAX_SIZE", "four");
        assertThatThrownBy(() -> StackSettingsLoader.load(notANumber)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("PRODUCTION_MAX_SIZE");
        Map<String, String> badEngine = env();
        badEngine.put("SESSION_CACHE_ENGINE", "couchbase");
        assertThatThrownBy(() -> StackSettingsLoader.load(badEngine)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("couchbase");
    }

    @Test
    void theStacksMoodleSettingsAreReadUnderTheSameRulesAndARefusedOneIsAConfigurationError() {
        Map<String, String> env = env();
        assertThat(StackSettingsLoader.load(env).stackMoodleSettings().settings()).isEmpty();
        env.put("STACK_MOODLE_SETTINGS", "{\"smtphosts\": \"email-smtp.us-east-1.amazonaws.com:587\", \"auth\": \"ldap\"}");
        assertThat(StackSettingsLoader.load(env).stackMoodleSettings().settings())
                .containsEntry("smtphosts", "email-smtp.us-east-1.amazonaws.com:587").containsEntry("auth", "ldap");

        env.put("STACK_MOODLE_SETTINGS", "{\"smtppass\": \"hunter2\"}");
        assertThatThrownBy(() -> StackSettingsLoader.load(env)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("STACK_MOODLE_SETTINGS").hasMessageContaining("'smtppass' is a secret")
                .message().doesNotContain("hunter2");
    }
}
