package io.moodleautopilot.core.release;

import io.moodleautopilot.core.lifecycle.Env;
import java.util.Map;

/**
 * MoodleSource's settings, from the environment template.yaml gives the function.
 *
 * @param allowPlainHttp {@code MOODLE_SOURCE_ALLOW_HTTP=true}: for tests against a local server
 *                       only; template.yaml never sets it, so a stack downloads over HTTPS only
 * @param upgradeParameter {@value #UPGRADE_PARAMETER}: the upgrade record MoodleSource reads
 */
public record SourceSettings(String stack, String bucket, String objectKey, boolean allowPlainHttp,
                             String upgradeParameter) {
    public static final String ALLOW_HTTP = "MOODLE_SOURCE_ALLOW_HTTP";
    /** The upgrade record's SSM parameter ({@code /Moodle/<stack>/Automation/Upgrade}), read before staging. */
    public static final String UPGRADE_PARAMETER = "UPGRADE_PARAMETER";

    /** @throws io.moodleautopilot.core.lifecycle.ConfigurationException when a variable is missing */
    public static SourceSettings from(Map<String, String> env) {
        return new SourceSettings(Env.required(env, "STACK_NAME"), Env.required(env, "SOURCE_BUCKET"),
                Env.required(env, "SOURCE_OBJECT_KEY"),
                "true".equalsIgnoreCase(env.getOrDefault(ALLOW_HTTP, "").trim()),
                // Required: without it no release could be checked against the database.
                Env.required(env, UPGRADE_PARAMETER));
    }

    /** Stable across updates, so CloudFormation never replaces the resource (and never deletes the object for it). */
    public static String physicalId(String stack) {
        return stack + "-moodle-source";
    }

    public String physicalId() {
        return physicalId(stack);
    }
}
