package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.moodleconfig.ApplicationCache;
import java.util.List;

/**
 * Everything the converger needs to know about its stack, from template.yaml's parameters.
 *
 * @param pipelineName empty when the stack has no pipeline yet: the pipeline step is then skipped
 * @param installDetectorRule the InstallDetector's schedule rule, empty when the stack has no detector
 * @param releaseVersion the version of the staged source object (release and bundle) the stack
 *                       holds now; empty when unknown. A new one in production starts the pipeline.
 * @param configRenderDocument the SSM document that re-renders config.php on the web instances;
 *                             empty for none
 * @param moodleSettingsParameter the operator's Moodle settings document (SSM, JSON); empty for none
 * @param moodleConfigDocument the SSM document that applies Moodle settings and the application
 *                             cache on one instance; empty for none (the step is then skipped)
 * @param applicationCache the stack's application cache for Moodle's MUC; null for none
 * @param installPhaseParameter the InstallDetector's phase record, removed on stack delete
 * @param installClaimPath the path of the InstallDetector's claims on the flag's change, removed on stack delete
 * @param stackMoodleSettings the Moodle settings the stack's parameters give (SES e-mail, LDAP sign-in),
 *                            under the operator's settings document; empty for none
 * @param instanceSecretArns the secrets the instances hand to Moodle (SMTP password, LDAP bind password),
 *                           whose new versions apply Moodle's settings again
 * @param upgradeParameter the instances' upgrade record (SSM, JSON; issue 13's contract); empty for none
 *                         (the upgrade's status, notification and resume are then skipped)
 * @param upgradeDocument the SSM document that runs the database upgrade on one instance; empty for
 *                        none (a failed upgrade is then only reported)
 * @param notificationTopic the stack's SNS topic for operators (the AlarmReactor's); empty for none
 */
public record StackSettings(
        String stackName,
        String setupFlagParameter,
        String statusParameter,
        String sessionConfigParameter,
        String webGroupName,
        List<String> scalingAlarmNames,
        ProductionLimits productionLimits,
        CacheSettings cache,
        String pipelineName,
        String installDetectorRule,
        String releaseVersion,
        String configRenderDocument,
        String moodleSettingsParameter,
        String moodleConfigDocument,
        ApplicationCache applicationCache,
        String installPhaseParameter,
        String installClaimPath,
        io.moodleautopilot.core.moodleconfig.SettingsDocument stackMoodleSettings,
        List<String> instanceSecretArns,
        String upgradeParameter,
        String upgradeDocument,
        String notificationTopic) {

    public StackSettings {
        scalingAlarmNames = List.copyOf(scalingAlarmNames);
        pipelineName = pipelineName == null ? "" : pipelineName.trim();
        installDetectorRule = installDetectorRule == null ? "" : installDetectorRule.trim();
        releaseVersion = releaseVersion == null ? "" : releaseVersion.trim();
        configRenderDocument = configRenderDocument == null ? "" : configRenderDocument.trim();
        moodleSettingsParameter = moodleSettingsParameter == null ? "" : moodleSettingsParameter.trim();
        moodleConfigDocument = moodleConfigDocument == null ? "" : moodleConfigDocument.trim();
        instanceSecretArns = instanceSecretArns == null ? List.of() : List.copyOf(instanceSecretArns);
        upgradeParameter = upgradeParameter == null ? "" : upgradeParameter.trim();
        upgradeDocument = upgradeDocument == null ? "" : upgradeDocument.trim();
        notificationTopic = notificationTopic == null ? "" : notificationTopic.trim();
        stackMoodleSettings = stackMoodleSettings == null
                ? io.moodleautopilot.core.moodleconfig.SettingsDocument.empty() : stackMoodleSettings;
    }

    public boolean readsUpgradeRecord() {
        return !upgradeParameter.isEmpty();
    }

    public boolean resumesUpgrades() {
        return readsUpgradeRecord() && !upgradeDocument.isEmpty();
    }

    public boolean notifies() {
        return !notificationTopic.isEmpty();
    }

    public boolean appliesMoodleConfig() {
        return !moodleConfigDocument.isEmpty();
    }

    public boolean rendersInstanceConfig() {
        return !configRenderDocument.isEmpty();
    }

    public boolean hasRelease() {
        return !releaseVersion.isEmpty();
    }

    public boolean hasInstallDetector() {
        return !installDetectorRule.isEmpty();
    }

    public boolean hasPipeline() {
        return !pipelineName.isEmpty();
    }
}
