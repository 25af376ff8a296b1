package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.moodleconfig.ApplicationCache;
import io.moodleautopilot.core.moodleconfig.SettingsDocument;
import io.moodleautopilot.core.moodleconfig.SettingsRefused;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads {@link StackSettings} from the function's environment, which template.yaml fills from the
 * stack's parameters and resources. Loaded on every invocation, not at init: a bad value must come
 * back as a clear, counted error (and a FAILED answer to CloudFormation), never as an init crash
 * that leaves a custom resource waiting for an hour.
 */
public final class StackSettingsLoader {
    private StackSettingsLoader() {
    }

    public static StackSettings load(Map<String, String> env) {
        String stack = Env.required(env, "STACK_NAME");
        String prefix = "/Moodle/" + stack;
        return new StackSettings(
                stack,
                env.getOrDefault("SETUP_FLAG_PARAMETER", prefix + "/IsMoodleSetupCompleted"),
                env.getOrDefault("STATUS_PARAMETER", prefix + "/Automation/Status"),
                env.getOrDefault("SESSION_CONFIG_PARAMETER", prefix + "/Automation/SessionConfig"),
                Env.required(env, "WEB_ASG_NAME"),
                list(env.getOrDefault("SCALING_ALARM_NAMES", "")),
                productionLimits(env),
                cache(env),
                env.getOrDefault("PIPELINE_NAME", ""),
                env.getOrDefault("INSTALL_DETECTOR_RULE", ""),
                env.getOrDefault("RELEASE_VERSION", ""),
                env.getOrDefault("CONFIG_RENDER_DOCUMENT", ""),
                env.getOrDefault("MOODLE_SETTINGS_PARAMETER", ""),
                env.getOrDefault("MOODLE_CONFIG_DOCUMENT", ""),
                ApplicationCache.fromStack(env.get("APP_CACHE_ENGINE"), env.get("APP_CACHE_ENDPOINT"),
                        env.get("APP_CACHE_PORT"), env.get("APP_CACHE_TLS")),
                env.getOrDefault("INSTALL_PHASE_PARAMETER", prefix + "/Automation/InstallPhase"),
                env.getOrDefault("INSTALL_CLAIM_PATH", prefix + "/Automation/InstallCompleteClaim"),
                stackMoodleSettings(env.getOrDefault("STACK_MOODLE_SETTINGS", "")),
                list(env.getOrDefault("INSTANCE_SECRET_ARNS", "")),
                // Derived like the parameters above (the template's names; Lambda's 4 KB environment
                // has no room to repeat them); the environment may still name others.
                env.getOrDefault("UPGRADE_PARAMETER", prefix + "/Automation/Upgrade"),
                env.getOrDefault("UPGRADE_DOCUMENT", stack + "-moodle-upgrade"),
                env.getOrDefault("NOTIFICATION_TOPIC", ""));
    }

    /**
     * The template writes these from its own parameters, so a value the settings rules refuse is
     * the template's mistake: a configuration error, reported before anything changes.
     */
    private static SettingsDocument stackMoodleSettings(String json) {
        if (json.isBlank()) {
            return SettingsDocument.empty();
        }
        try {
            return SettingsDocument.parse(json);
        } catch (SettingsRefused e) {
            throw new ConfigurationException("STACK_MOODLE_SETTINGS: " + e.getMessage());
        }
    }

    private static ProductionLimits productionLimits(Map<String, String> env) {
        int max = Env.integer(env, "PRODUCTION_MAX_SIZE");
        return new ProductionLimits(Env.integer(env, "PRODUCTION_MIN_SIZE"), max, Env.ceiling(env, max));
    }

    private static CacheSettings cache(Map<String, String> env) {
        CacheEngine engine = CacheEngine.parse(env.get("SESSION_CACHE_ENGINE"));
        if (engine == CacheEngine.NONE) {
            return CacheSettings.none();
        }
        String port = env.getOrDefault("SESSION_CACHE_PORT", "");
        int defaultPort = engine == CacheEngine.MEMCACHED ? 11211 : 6379;
        return new CacheSettings(engine,
                env.getOrDefault("SESSION_CACHE_ENDPOINT", "").trim(),
                port.isBlank() ? defaultPort : Env.parseInt("SESSION_CACHE_PORT", port),
                Boolean.parseBoolean(env.getOrDefault("SESSION_CACHE_TLS", "false").trim()));
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
