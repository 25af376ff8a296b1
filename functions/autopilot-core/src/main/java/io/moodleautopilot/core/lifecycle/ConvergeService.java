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
    private final Ports.Clock clock;

    public ConvergeService(StackSettings settings, Ports.LifecycleStore store, Ports.WebGroup webGroup,
                           Ports.ScalingAlarms alarms, Ports.Pipeline pipeline, Ports.InstallWatch installWatch,
                           Ports.InstanceConfig instanceConfig, Ports.MoodleConfig moodleConfig, Ports.Clock clock) {
        this.settings = settings;
        this.store = store;
        this.webGroup = webGroup;
        this.alarms = alarms;
        this.pipeline = pipeline;
        this.installWatch = installWatch;
        this.instanceConfig = instanceConfig;
        this.moodleConfig = moodleConfig;
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
        boolean deploying = (enteringProduction || newRelease) && settings.hasPipeline();
        if (enteringProduction && settings.hasPipeline()) {
            executionId = startDeployment(pipelineToken(flagReading));
            actions.add("pipeline " + settings.pipelineName() + " started: " + executionId);
        } else if (newRelease && settings.hasPipeline()) {
            executionId = startDeployment(releaseToken(settings.releaseVersion()));
            actions.add("pipeline " + settings.pipelineName() + " started for release " + settings.releaseVersion()
                    + ": " + executionId);
        }
        if (!actualLimits.equals(desired.limits())) {
            webGroup.apply(desired.limits());
            actions.add("web group " + describe(actualLimits) + " -> " + describe(desired.limits()));
        }
        if (!alarmsToChange.isEmpty()) {
            alarms.setActionsEnabled(alarmsToChange, desired.alarmActionsEnabled());
            actions.add((desired.alarmActionsEnabled() ? "enabled" : "disabled") + " alarm actions: "
                    + String.join(", ", alarmsToChange));
        }
        if (phase == LifecyclePhase.INSTALL && status.map(s -> s.phase() == LifecyclePhase.PRODUCTION).orElse(false)
                && settings.hasInstallDetector()) {
            // Back to install mode (a reinstall): the detector stopped its schedule when the site was
            // complete, so it must watch again.
            installWatch.resume();
            actions.add("install detector schedule resumed");
        }
        if (sessionDiffers) {
            store.publishSessionConfig(desired.sessionConfig());
            actions.add("session handler " + desired.sessionConfig().handlerClass() + " published");
        }
        String renderedFor = renderInstanceConfig(desired.sessionConfig(),
                status.map(StatusRecord::configRenderedFor).orElse(null), deploying, actions);

        String release = settings.hasRelease() ? settings.releaseVersion() : status.map(StatusRecord::releaseVersion)
                .orElse(null);
        String moodleConfigFor = status.map(StatusRecord::moodleConfigAppliedFor).orElse(null);
        if (phase == LifecyclePhase.PRODUCTION && settings.appliesMoodleConfig()) {
            moodleConfigFor = applyMoodleConfig(stored.moodleSettings(), moodleConfigFor, actions);
        }

        String rendered = renderedFor;
        String moodleConfigApplied = moodleConfigFor;
        boolean statusCurrent = status.map(s -> s.phase() == phase && s.flagVersion() == flagReading.version()
                && Objects.equals(s.releaseVersion(), release) && Objects.equals(s.configRenderedFor(), rendered)
                && Objects.equals(s.moodleConfigAppliedFor(), moodleConfigApplied)).orElse(false);
        if (!actions.isEmpty() || !statusCurrent) {
            Instant now = clock.now();
            Instant transitionedAt = status.filter(s -> s.phase() == phase).map(StatusRecord::transitionedAt)
                    .orElse(now);
            store.writeStatus(new StatusRecord(phase, flagReading.version(), executionId, actions,
                    trigger.name(), transitionedAt, now, release, rendered, moodleConfigApplied));
        }
        ConvergeOutcome outcome = actions.isEmpty() ? ConvergeOutcome.NO_CHANGE : ConvergeOutcome.APPLIED;
        return new ConvergeResult(outcome, phase, flagReading.version(), actions, executionId,
                actions.isEmpty() ? "already converged" : "converged to " + phase);
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
                                        List<String> actions) {
        String fingerprint = published.fingerprint();
        if (!settings.rendersInstanceConfig() || fingerprint.equals(renderedFor)) {
            return renderedFor;
        }
        if (!deploying) {
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
    private String applyMoodleConfig(Optional<String> document, String appliedFor, List<String> actions) {
        SettingsDocument parsed;
        try {
            parsed = document.map(SettingsDocument::parse).orElse(SettingsDocument.empty());
        } catch (ConfigurationException e) {
            // Reported once per version of the document, not on every converge.
            String rejected = "rejected-" + new ConfigPayload(document.orElse("")).fingerprint();
            if (!rejected.equals(appliedFor)) {
                actions.add("Moodle settings document rejected, nothing applied: " + e.getMessage());
            }
            return rejected;
        }
        ConfigPayload payload = ConfigPayload.of(parsed, settings.applicationCache());
        if (payload.fingerprint().equals(appliedFor)) {
            return appliedFor;
        }
        MoodleConfigOutcome outcome = moodleConfig.apply(payload);
        switch (outcome.status()) {
            case APPLIED -> {
                int changes = outcome.changes().size();
                actions.add("Moodle settings and application cache applied on " + outcome.instanceId() + " (command "
                        + outcome.commandId() + "): " + (changes == 0 ? "no change"
                        : changes + (changes == 1 ? " change" : " changes")));
                // One action per change: the status record keeps those that fit and counts the rest.
                actions.addAll(outcome.changes());
                return payload.fingerprint();
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
