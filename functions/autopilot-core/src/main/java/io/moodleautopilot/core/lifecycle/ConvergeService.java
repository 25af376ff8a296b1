package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.moodleconfig.ConfigPayload;
import io.moodleautopilot.core.moodleconfig.MoodleConfigOutcome;
import io.moodleautopilot.core.moodleconfig.SettingsDocument;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the actual state of the stack, computes the desired state from the setup flag and the
 * stack's settings, and applies only the difference. Every trigger (parameter event, schedule,
 * stack deployment) calls {@link #converge}, so a duplicated or replayed event writes nothing.
 *
 * <p>All reads and validations happen before the first write, and the pipeline start (the only
 * write whose target the reads cannot validate: the Deploy transition's enabling, then the
 * execution) is the first write: a missing group, alarm or pipeline, or nonsensical settings,
 * therefore leave the stack untouched. If a later write fails,
 * the status record is not written, so the next converge sees the old status and finishes the job
 * with the same pipeline token.
 *
 * <p>The flag may change while a converge runs (a Run Command wait, a slow call). Before each
 * phase-dependent write the flag is read again; once it moved, the converge stops without another
 * write ({@link ConvergeOutcome#SUPERSEDED}) and leaves the stack to the newer value's converge, so
 * a converge never writes a phase older than the flag's.
 */
public final class ConvergeService {
    /** Longest flag text echoed into a result message: the flag is operator input, not a secret. */
    private static final int ECHO_LIMIT = 40;

    private final StackSettings settings;
    private final Ports.LifecycleStore store;
    private final Ports.WebGroup webGroup;
    private final Ports.ScalingAlarms alarms;
    private final Ports.Pipeline pipeline;
    private final Ports.InstallWatch installWatch;
    private final Ports.InstanceConfig instanceConfig;
    private final Ports.MoodleConfig moodleConfig;
    private final Ports.InstanceSecrets instanceSecrets;
    private final Ports.Notifier notifier;
    private final Ports.UpgradeCommand upgradeCommand;
    private final Ports.Clock clock;

    public ConvergeService(StackSettings settings, Ports.LifecycleStore store, Ports.WebGroup webGroup,
                           Ports.ScalingAlarms alarms, Ports.Pipeline pipeline, Ports.InstallWatch installWatch,
                           Ports.InstanceConfig instanceConfig, Ports.MoodleConfig moodleConfig,
                           Ports.InstanceSecrets instanceSecrets, Ports.Notifier notifier,
                           Ports.UpgradeCommand upgradeCommand, Ports.Clock clock) {
        this.settings = settings;
        this.store = store;
        this.webGroup = webGroup;
        this.alarms = alarms;
        this.pipeline = pipeline;
        this.installWatch = installWatch;
        this.instanceConfig = instanceConfig;
        this.moodleConfig = moodleConfig;
        this.instanceSecrets = instanceSecrets;
        this.notifier = notifier;
        this.upgradeCommand = upgradeCommand;
        this.clock = clock;
    }

    /**
     * @throws ConfigurationException for permanent problems (missing resources, bad settings),
     *                                before anything was changed
     */
    public ConvergeResult converge(Trigger trigger) {
        Ports.StoredState stored = store.read();
        FlagReading flagReading = stored.flag();
        Optional<SetupFlag> flag = SetupFlag.parse(flagReading.rawValue());
        if (flag.isEmpty()) {
            return invalidFlag(flagReading);
        }
        LifecyclePhase phase = flag.get().phase();
        Optional<StatusRecord> status = stored.status();

        if (trigger == Trigger.PARAMETER_CHANGE && status.isPresent()
                && status.get().flagVersion() == flagReading.version() && status.get().phase() == phase) {
            // The event announces a version this function already applied: a duplicate delivery or
            // a replay. Drift is the schedule's and the deployment's job, not the event's.
            return new ConvergeResult(ConvergeOutcome.ALREADY_APPLIED, phase, flagReading.version(), List.of(),
                    status.get().pipelineExecutionId(), "flag version already applied");
        }

        GroupLimits actualLimits = webGroup.describe();
        DesiredState desired = DesiredState.of(phase, settings, actualLimits);
        List<String> alarmsToChange = alarms.differingFrom(desired.alarmActionsEnabled());
        boolean sessionDiffers = stored.sessionConfig().map(c -> !c.equals(desired.sessionConfig())).orElse(true);
        boolean enteringProduction = phase == LifecyclePhase.PRODUCTION
                && status.map(s -> s.phase() != LifecyclePhase.PRODUCTION).orElse(true);

        // A release staged while the site is in production (an upgrade: MoodleSource staged a new
        // version of the source object) is deployed by one pipeline execution. An unknown previous
        // release (a record written before releases were tracked) is only recorded.
        String recordedRelease = status.filter(s -> s.phase() == LifecyclePhase.PRODUCTION)
                .map(StatusRecord::releaseVersion).orElse(null);
        boolean newRelease = phase == LifecyclePhase.PRODUCTION && !enteringProduction && settings.hasRelease()
                && recordedRelease != null && !recordedRelease.equals(settings.releaseVersion());

        List<String> actions = new ArrayList<>();
        String executionId = status.filter(s -> s.phase() == phase).map(StatusRecord::pipelineExecutionId).orElse(null);
        try {
            return apply(trigger, stored, flagReading, phase, actualLimits, desired, alarmsToChange, sessionDiffers,
                    enteringProduction, newRelease, actions, executionId);
        } catch (Superseded e) {
            // Another value of the flag was written while this converge ran (a Run Command wait, a
            // slow or retried call): its own converge applies it, and this one must not write the
            // older phase over it. What this converge already did stays listed.
            return new ConvergeResult(ConvergeOutcome.SUPERSEDED, phase, flagReading.version(), e.actions,
                    e.executionId, "flag changed from version " + flagReading.version() + " to "
                    + e.current.version() + " while converging to " + phase + "; stopped before the next write");
        }
    }

    private ConvergeResult apply(Trigger trigger, Ports.StoredState stored, FlagReading flagReading,
                                 LifecyclePhase phase, GroupLimits actualLimits, DesiredState desired,
                                 List<String> alarmsToChange, boolean sessionDiffers, boolean enteringProduction,
                                 boolean newRelease, List<String> actions, String executionIdBefore) {
        Optional<StatusRecord> status = stored.status();
        String executionId = executionIdBefore;
        // A stack without the record (an older template) reads NONE and keeps what its status had.
        UpgradeRecord upgrade = settings.readsUpgradeRecord() ? stored.upgrade() : UpgradeRecord.none();
        boolean deploying = (enteringProduction || newRelease) && settings.hasPipeline();
        // The group first: a deployment started for production while the group still has its install
        // limits (a throttled or failed UpdateAutoScalingGroup) would deploy to the one install-mode
        // instance. If the update fails, nothing is started and the retry does both. A pipeline that
        // does not exist is found (read-only) before the group changes, so that is no half-done step.
        if (deploying) {
            pipeline.verify();
        }
        if (!actualLimits.equals(desired.limits())) {
            ensureCurrent(flagReading, actions, executionId);
            webGroup.apply(desired.limits());
            actions.add("web group " + describe(actualLimits) + " -> " + describe(desired.limits()));
        }
        if (enteringProduction && settings.hasPipeline()) {
            ensureCurrent(flagReading, actions, executionId);
            executionId = startDeployment(pipelineToken(flagReading));
            actions.add("pipeline " + settings.pipelineName() + " started: " + executionId);
        } else if (newRelease && settings.hasPipeline()) {
            ensureCurrent(flagReading, actions, executionId);
            executionId = startDeployment(releaseToken(settings.releaseVersion()));
            actions.add("pipeline " + settings.pipelineName() + " started for release " + settings.releaseVersion()
                    + ": " + executionId);
        }
        if (!alarmsToChange.isEmpty()) {
            ensureCurrent(flagReading, actions, executionId);
            alarms.setActionsEnabled(alarmsToChange, desired.alarmActionsEnabled());
            actions.add((desired.alarmActionsEnabled() ? "enabled" : "disabled") + " alarm actions: "
                    + String.join(", ", alarmsToChange));
        }
        if (phase == LifecyclePhase.INSTALL && status.map(s -> s.phase() == LifecyclePhase.PRODUCTION).orElse(false)
                && settings.hasInstallDetector()) {
            // Back to install mode (a reinstall): the detector stopped its schedule when the site was
            // complete, so it must watch again.
            ensureCurrent(flagReading, actions, executionId);
            installWatch.resume();
            actions.add("install detector schedule resumed");
        }
        if (sessionDiffers) {
            ensureCurrent(flagReading, actions, executionId);
            store.publishSessionConfig(desired.sessionConfig());
            actions.add("session handler " + desired.sessionConfig().handlerClass() + " published");
        }
        String renderedFor = renderInstanceConfig(desired.sessionConfig(),
                status.map(StatusRecord::configRenderedFor).orElse(null), deploying, actions, flagReading, executionId);

        String release = settings.hasRelease() ? settings.releaseVersion() : status.map(StatusRecord::releaseVersion)
                .orElse(null);
        String resumeCommandId = status.map(StatusRecord::upgradeResumeCommandId).orElse(null);
        if (trigger == Trigger.STACK_DEPLOYMENT && phase == LifecyclePhase.PRODUCTION && settings.resumesUpgrades()
                && upgrade.needsResume(clock.now())) {
            resumeCommandId = resumeUpgrade(upgrade, deploying, resumeCommandId, actions, flagReading, executionId);
        }

        String moodleConfigFor = status.map(StatusRecord::moodleConfigAppliedFor).orElse(null);
        // set_config and cache changes on a database an upgrade holds, or left half-upgraded, are
        // what Moodle's maintenance mode keeps out: the settings wait (their fingerprint stays) for
        // the record's next change, whose event converges again.
        boolean upgradeHoldsDatabase = upgrade.state() == UpgradeRecord.State.RUNNING
                || upgrade.state() == UpgradeRecord.State.FAILED;
        if (phase == LifecyclePhase.PRODUCTION && settings.appliesMoodleConfig() && !upgradeHoldsDatabase) {
            moodleConfigFor = applyMoodleConfig(stored.moodleSettings(), moodleConfigFor, actions, flagReading,
                    executionId);
        }

        // What the database has: the record's when it says, else what the status last saw.
        UpgradeRecord.Moodle moodle = upgrade.database() != null ? upgrade.database()
                : status.map(StatusRecord::moodle).orElse(null);
        StatusRecord.Upgrade upgradeShown = settings.readsUpgradeRecord() ? StatusRecord.Upgrade.of(upgrade)
                : status.map(StatusRecord::upgrade).orElse(null);
        String notifiedBefore = status.map(StatusRecord::upgradeNotified).orElse(null);
        boolean notifying = upgrade.state() == UpgradeRecord.State.FAILED && settings.notifies()
                && !upgrade.attemptKey().equals(notifiedBefore);
        String notified = notifying ? upgrade.attemptKey() : notifiedBefore;

        String rendered = renderedFor;
        String moodleConfigApplied = moodleConfigFor;
        String resumed = resumeCommandId;
        String toldBefore = notifiedBefore;
        boolean statusCurrent = status.map(s -> s.phase() == phase && s.flagVersion() == flagReading.version()
                && Objects.equals(s.releaseVersion(), release) && Objects.equals(s.configRenderedFor(), rendered)
                && Objects.equals(s.moodleConfigAppliedFor(), moodleConfigApplied)
                && Objects.equals(s.moodle(), moodle) && Objects.equals(s.upgrade(), upgradeShown)
                && Objects.equals(s.upgradeNotified(), notified)
                && Objects.equals(s.upgradeResumeCommandId(), resumed)).orElse(false);
        if (!actions.isEmpty() || !statusCurrent) {
            Ports.FlagAndStatus current = ensureStatusWritable(flagReading, actions, executionId);
            String toldNow = notifying && !notifyFailedUpgrade(upgrade, current, actions) ? toldBefore : notified;
            Instant now = clock.now();
            Instant transitionedAt = status.filter(s -> s.phase() == phase).map(StatusRecord::transitionedAt)
                    .orElse(now);
            store.writeStatus(new StatusRecord(phase, flagReading.version(), executionId, actions,
                    trigger.name(), transitionedAt, now, release, rendered, moodleConfigApplied, moodle,
                    upgradeShown, toldNow, resumed));
        }
        ConvergeOutcome outcome = actions.isEmpty() ? ConvergeOutcome.NO_CHANGE : ConvergeOutcome.APPLIED;
        return new ConvergeResult(outcome, phase, flagReading.version(), actions, executionId,
                actions.isEmpty() ? "already converged" : "converged to " + phase);
    }

    /**
     * The guard before each phase-dependent write: the flag must still be the version this converge
     * read. Parameter Store has no conditional put, so this re-read (one GetParameters call) is the
     * check; what is left is the time of one call between the check and the write.
     *
     * @throws Superseded when the flag has moved on
     */
    private void ensureCurrent(FlagReading read, List<String> actions, String executionId) {
        FlagReading now = store.readFlagAndStatus().flag();
        if (!sameValue(read, now)) {
            throw new Superseded(now, actions, executionId);
        }
    }

    /**
     * The status record's guard, read-compare-write: the flag is still the version read, and the
     * record does not already reflect a newer version of it. A record whose version is above the
     * flag's current one was written for a flag since deleted and created again (versions restart at
     * 1), so it is not newer and is overwritten.
     */
    private Ports.FlagAndStatus ensureStatusWritable(FlagReading read, List<String> actions, String executionId) {
        Ports.FlagAndStatus now = store.readFlagAndStatus();
        if (!sameValue(read, now.flag())) {
            throw new Superseded(now.flag(), actions, executionId);
        }
        boolean newerRecorded = now.status().map(s -> s.flagVersion() > read.version()
                && s.flagVersion() <= now.flag().version()).orElse(false);
        if (newerRecorded) {
            throw new Superseded(now.flag(), actions, executionId);
        }
        return now;
    }

    /**
     * One message per failed attempt: the status record keeps the attempt told about, and the
     * record read just before the status write (the guard's read, no extra call) is checked again,
     * so a converge that ran beside this one and already told it does not tell it twice. The
     * message goes before the status write, and a publish that fails is reported and left to the
     * next converge (the attempt is not recorded as told): the rest of the converge, a stack
     * deployment's answer included, does not hang on the topic. Only a status write failing right
     * after a publish (or two converges in the same instant) could repeat a message, never lose it.
     *
     * @return whether the attempt has now been told (by this converge or one beside it)
     */
    private boolean notifyFailedUpgrade(UpgradeRecord upgrade, Ports.FlagAndStatus current, List<String> actions) {
        String attempt = upgrade.attemptKey();
        boolean toldMeanwhile = current.status().map(s -> attempt.equals(s.upgradeNotified())).orElse(false);
        if (toldMeanwhile) {
            return true;
        }
        UpgradeNotice notice = UpgradeNotice.failed(settings.stackName(), upgrade);
        try {
            notifier.publish(notice.subject(), notice.message());
        } catch (RuntimeException e) {
            actions.add("operators not yet notified of failed Moodle upgrade attempt " + attempt + " ("
                    + e.getClass().getSimpleName() + "); the next converge tries again");
            return false;
        }
        actions.add("operators notified: Moodle upgrade attempt " + attempt + " failed, site in maintenance mode ("
                + UpgradeNotice.RUNBOOK + ")");
        return true;
    }

    /**
     * A failed upgrade, or one whose instance died holding it (RUNNING for longer than
     * {@link UpgradeRecord#STALE_AFTER}), is run again by a stack deployment only: a deployment or
     * an operator's {@code sam deploy} is the deliberate "try again" after a fix. The schedule and
     * the record's own change event never resume, so a step that keeps failing is not retried in a
     * loop against the database. Sent, not awaited: the upgrade may take up to an hour, and the
     * instance writes the record, whose change event brings the outcome into the status.
     *
     * @return the command id to record
     */
    private String resumeUpgrade(UpgradeRecord upgrade, boolean deploying, String resumeCommandId,
                                 List<String> actions, FlagReading read, String executionId) {
        String what = upgrade.state() == UpgradeRecord.State.FAILED
                ? "failed Moodle upgrade (attempt " + upgrade.attemptKey() + ")"
                : "Moodle upgrade abandoned by " + (upgrade.owner() == null ? "its instance" : upgrade.owner())
                + " (RUNNING since " + upgrade.startedAt() + ")";
        if (deploying) {
            // The deployment this converge started runs the upgrade in its own hook, on the new code.
            actions.add(what + " left to the deployment just started, whose hook runs the upgrade");
            return resumeCommandId;
        }
        ensureCurrent(read, actions, executionId);
        Optional<Ports.UpgradeCommand.Sent> sent = upgradeCommand.resume();
        if (sent.isEmpty()) {
            actions.add(what + " not resumed: no InService, healthy web instance; the next deployment tries again");
            return resumeCommandId;
        }
        actions.add(what + " resumed on " + sent.get().instanceId() + ": command " + sent.get().commandId());
        return sent.get().commandId();
    }

    /** Same version written at the same time: the same value of the flag (versions restart on re-creation). */
    static boolean sameValue(FlagReading a, FlagReading b) {
        return a.version() == b.version() && Objects.equals(a.rawValue(), b.rawValue())
                && Objects.equals(a.lastModified(), b.lastModified());
    }

    /** Thrown by the guards; carries what was done before the stop for the result. */
    private static final class Superseded extends RuntimeException {
        private final transient FlagReading current;
        private final transient List<String> actions;
        private final String executionId;

        Superseded(FlagReading current, List<String> actions, String executionId) {
            super(null, null, false, false);
            this.current = current;
            this.actions = List.copyOf(actions);
            this.executionId = executionId;
        }
    }

    /**
     * One deployment: the Deploy stage's inbound transition is enabled first (the template creates
     * it disabled, so that the execution CodePipeline starts by itself when it creates the pipeline
     * stops before Deploy instead of deploying to the install-mode instance), then the execution
     * starts. Enabling is idempotent and runs before every start, because a stack update that
     * touches the pipeline may disable the transition again.
     */
    private String startDeployment(String token) {
        pipeline.openDeployStage();
        return pipeline.start(token);
    }

    /**
     * config.php on the running instances must follow the published session settings. A deployment
     * started by this converge renders it on every instance (its AfterInstall hook runs minutes
     * after the publication), so the command is only sent when nothing is being deployed. The status
     * records what was asked for, so a failed send is retried by the next converge.
     *
     * @return the fingerprint to record
     */
    private String renderInstanceConfig(SessionConfig published, String renderedFor, boolean deploying,
                                        List<String> actions, FlagReading read, String executionId) {
        String fingerprint = published.fingerprint();
        if (!settings.rendersInstanceConfig() || fingerprint.equals(renderedFor)) {
            return renderedFor;
        }
        if (!deploying) {
            ensureCurrent(read, actions, executionId);
            String command = instanceConfig.rerender();
            actions.add("config.php re-render sent to the web instances: command " + command);
        }
        return fingerprint;
    }

    /**
     * Moodle's own configuration, once the site is installed: the operator's settings and the
     * application cache, applied through Moodle's APIs on one web instance, again only when they
     * change. A failure, or no instance ready yet, is reported and left for the next converge (the
     * recorded fingerprint stays); the rest of the stack is converged regardless.
     *
     * @return the fingerprint to record
     */
    private String applyMoodleConfig(Optional<String> document, String appliedFor, List<String> actions,
                                     FlagReading read, String executionId) {
        SettingsDocument parsed;
        try {
            parsed = document.map(SettingsDocument::parse).orElse(SettingsDocument.empty())
                    .over(settings.stackMoodleSettings());
        } catch (ConfigurationException e) {
            // Reported once per version of the document, not on every converge.
            String rejected = "rejected-" + new ConfigPayload(document.orElse("")).fingerprint();
            if (!rejected.equals(appliedFor)) {
                actions.add("Moodle settings document rejected, nothing applied: " + e.getMessage());
            }
            return rejected;
        }
        // A cache Moodle cannot use is left out (the settings still go), and said once per payload.
        Optional<String> cacheRefusal = Optional.ofNullable(settings.applicationCache())
                .flatMap(io.moodleautopilot.core.moodleconfig.ApplicationCache::refusal);
        ConfigPayload payload = ConfigPayload.of(parsed, cacheRefusal.isPresent() ? null : settings.applicationCache());
        String secretVersions;
        try {
            secretVersions = instanceSecrets.currentVersions();
        } catch (RuntimeException e) {
            actions.add("Moodle settings waiting: cannot read the current version of the instances' secrets ("
                    + e.getMessage() + "); the next converge tries again");
            return appliedFor;
        }
        String fingerprint = payload.fingerprint(secretVersions);
        String refused = "refused-" + fingerprint;
        if (fingerprint.equals(appliedFor) || refused.equals(appliedFor)) {
            // Applied, or refused by the instance: either way only a change of the payload sends it again.
            return appliedFor;
        }
        ensureCurrent(read, actions, executionId);
        MoodleConfigOutcome outcome = moodleConfig.apply(payload);
        switch (outcome.status()) {
            case APPLIED -> {
                int changes = outcome.changes().size();
                actions.add("Moodle settings and application cache applied on " + outcome.instanceId() + " (command "
                        + outcome.commandId() + "): " + (changes == 0 ? "no change"
                        : changes + (changes == 1 ? " change" : " changes")));
                // One action per change: the status record keeps those that fit and counts the rest.
                actions.addAll(outcome.changes());
                cacheRefusal.ifPresent(actions::add);
                return fingerprint;
            }
            case REFUSED -> {
                actions.add("Moodle settings refused on " + outcome.instanceId() + " (command " + outcome.commandId()
                        + "), nothing applied: " + outcome.detail() + "; not sent again until the settings document"
                        + " or the application cache changes");
                return refused;
            }
            case NO_INSTANCE -> actions.add("Moodle settings waiting: " + outcome.detail());
            case FAILED, TIMED_OUT -> actions.add("Moodle settings not applied on " + outcome.instanceId() + " (command "
                    + outcome.commandId() + "): " + outcome.detail() + "; the next converge tries again");
        }
        return appliedFor;
    }

    /**
     * On stack deletion: remove the parameters this function created (the session configuration
     * and the status record), so a stack of the same name starts clean. The stack's own resources
     * are CloudFormation's to delete.
     */
    public void release() {
        store.deleteOwnedParameters();
    }

    /**
     * CodePipeline returns the same execution for the same token, so concurrent or repeated
     * converges of one transition start one execution. The modification time keeps the token
     * unique when a deleted flag is created again and its version restarts at 1.
     */
    static String pipelineToken(FlagReading flag) {
        long modified = flag.lastModified() == null ? 0 : flag.lastModified().getEpochSecond();
        return "setup-complete-v" + flag.version() + "-" + modified;
    }

    /**
     * One execution per staged release: the token is derived from the source object's version (S3
     * version ids may hold characters CodePipeline's token does not accept, so it is hashed).
     */
    static String releaseToken(String releaseVersion) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(releaseVersion.getBytes(StandardCharsets.UTF_8));
            return "release-" + HexFormat.of().formatHex(digest, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ConvergeResult invalidFlag(FlagReading flag) {
        String message;
        if (!flag.exists()) {
            message = "setup flag parameter does not exist";
        } else {
            String shown = flag.rawValue().length() > ECHO_LIMIT
                    ? flag.rawValue().substring(0, ECHO_LIMIT) + "..." : flag.rawValue();
            message = "setup flag holds '" + shown + "', expected Yes or No";
        }
        return new ConvergeResult(ConvergeOutcome.INVALID_FLAG, null, flag.version(), List.of(), null, message);
    }

    private static String describe(GroupLimits l) {
        return l.min() + "/" + l.max() + "/" + l.desired();
    }
}
