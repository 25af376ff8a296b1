package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.Env;
import java.util.Map;

/**
 * The InstallDetector's settings, from the environment template.yaml sets.
 *
 * @param claimPath the parameter path under which detectors claim the flag's change to Yes
 */
public record DetectorSettings(String stackName, String setupFlagParameter, String phaseParameter,
                              String claimPath, String clusterIdentifier, String secretId, DatabaseTarget target,
                              String siteUrl, String scheduleRuleName, java.time.Duration completeSettle) {

    public static DetectorSettings load(Map<String, String> env) {
        String stack = Env.required(env, "STACK_NAME");
        DatabaseEngine engine = DatabaseEngine.fromMoodleDbType(Env.required(env, "DB_ENGINE"));
        String port = env.getOrDefault("DB_PORT", "").trim();
        int p = port.isEmpty() ? engine.defaultPort() : Env.parseInt("DB_PORT", port);
        DatabaseTarget target = new DatabaseTarget(engine, Env.required(env, "DB_HOST"), p,
                env.getOrDefault("DB_NAME", "moodle"), env.getOrDefault("DB_PREFIX", "mdl_"),
                env.getOrDefault("DB_TLS", "require"), env.getOrDefault("DB_CA_BUNDLE", ""));
        return new DetectorSettings(stack,
                env.getOrDefault("SETUP_FLAG_PARAMETER", "/Moodle/" + stack + "/IsMoodleSetupCompleted"),
                env.getOrDefault("INSTALL_PHASE_PARAMETER", "/Moodle/" + stack + "/Automation/InstallPhase"),
                env.getOrDefault("INSTALL_CLAIM_PATH", "/Moodle/" + stack + "/Automation/InstallCompleteClaim"),
                Env.required(env, "DB_CLUSTER_ID"), Env.required(env, "DB_SECRET_ARN"), target,
                env.getOrDefault("SITE_URL", ""), env.getOrDefault("SCHEDULE_RULE_NAME", ""),
                env.containsKey("COMPLETE_SETTLE_SECONDS")
                        ? java.time.Duration.ofSeconds(Env.parseInt("COMPLETE_SETTLE_SECONDS", env.get("COMPLETE_SETTLE_SECONDS")))
                        : InstallDetectorService.DEFAULT_SETTLE);
    }
}
