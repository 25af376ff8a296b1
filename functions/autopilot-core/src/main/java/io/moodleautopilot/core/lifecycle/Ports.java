package io.moodleautopilot.core.lifecycle;

import io.moodleautopilot.core.moodleconfig.ConfigPayload;
import io.moodleautopilot.core.moodleconfig.MoodleConfigOutcome;
import java.util.List;
import java.util.Optional;

/** The converger's view of the outside world; the aws package implements these with the SDK. */
public final class Ports {
    private Ports() {
    }

    /**
     * What Parameter Store holds for this stack, read in one call.
     *
     * @param moodleSettings the operator's Moodle settings document as stored (JSON), if any
     * @param upgrade        the instances' upgrade record, read leniently (NONE when absent or unreadable)
     */
    public record StoredState(FlagReading flag, Optional<StatusRecord> status,
                              Optional<SessionConfig> sessionConfig, Optional<String> moodleSettings,
                              UpgradeRecord upgrade) {
        public StoredState {
            upgrade = upgrade == null ? UpgradeRecord.none() : upgrade;
        }

        public StoredState(FlagReading flag, Optional<StatusRecord> status, Optional<SessionConfig> sessionConfig,
                           Optional<String> moodleSettings) {
            this(flag, status, sessionConfig, moodleSettings, UpgradeRecord.none());
        }
    }

    /** The flag and the status record as they are now. */
    public record FlagAndStatus(FlagReading flag, Optional<StatusRecord> status) {
    }

    public interface LifecycleStore {
        StoredState read();

        /**
         * Reads the flag again, and the status record with it (one cheap read): the converger's guard
         * against writing a phase a newer flag value has superseded.
         */
        FlagAndStatus readFlagAndStatus();

        void publishSessionConfig(SessionConfig config);

        void writeStatus(StatusRecord status);

        /** Removes what the converger created; absent parameters are not an error. */
        void deleteOwnedParameters();
    }

    public interface WebGroup {
        /** @throws ConfigurationException when the group does not exist */
        GroupLimits describe();

        void apply(GroupLimits limits);
    }

    public interface ScalingAlarms {
        /**
         * @return the names of the alarms whose actions are not in the wanted state
         * @throws ConfigurationException when an alarm does not exist
         */
        List<String> differingFrom(boolean actionsEnabled);

        void setActionsEnabled(List<String> alarmNames, boolean enabled);
    }

    public interface Pipeline {
        /**
         * Checks, without changing anything, that the pipeline and its Deploy stage exist: a
         * deployment is only prepared (the group's limits changed) when it can also be started.
         *
         * @throws ConfigurationException when the pipeline or its Deploy stage does not exist
         */
        void verify();

        /**
         * Lets executions into the Deploy stage. The template creates the pipeline with that
         * transition disabled, so the run CodePipeline starts by itself on creation never deploys to
         * the install-mode instance; enabling an enabled transition changes nothing.
         *
         * @throws ConfigurationException when the pipeline or its Deploy stage does not exist
         */
        void openDeployStage();

        /**
         * Starts one execution; the same token always yields the same execution.
         *
         * @throws ConfigurationException when the pipeline does not exist
         */
        String start(String clientRequestToken);
    }

    /** The InstallDetector's minute schedule, which it stops itself once the site is installed. */
    public interface InstallWatch {
        /** Starts the schedule again; a no-op when the stack has no detector. */
        void resume();
    }

    /** config.php on the running web instances, rendered by the bundle's script. */
    public interface InstanceConfig {
        /**
         * Asks every web instance to render config.php again (with the published session settings)
         * and reload PHP; returns at once with the command's id.
         *
         * @throws ConfigurationException when the render document does not exist
         */
        String rerender();
    }

    /** Moodle's own configuration (settings, application cache), applied on one web instance. */
    public interface MoodleConfig {
        MoodleConfigOutcome apply(ConfigPayload payload);
    }

    /**
     * The current versions of the secrets the instances hand to Moodle (SMTP, LDAP bind): a new
     * version (a rotated password) applies Moodle's settings again, though the payload, which never
     * holds a secret, is the same.
     */
    public interface InstanceSecrets {
        /**
         * @return the secrets' current version ids, in a stable order; empty when the stack has none
         * @throws RuntimeException when a version cannot be read (the settings then wait for the next converge)
         */
        String currentVersions();
    }

    /** The stack's operator notifications (its SNS topic). */
    public interface Notifier {
        /** Publishes one message; throws when it was not accepted (the next converge tries again). */
        void publish(String subject, String message);
    }

    /** The database upgrade, run again on one web instance by a stack deployment. */
    public interface UpgradeCommand {
        /** Sent: the instance chosen and the Run Command's id. */
        record Sent(String instanceId, String commandId) {
        }

        /**
         * Sends the upgrade document to one InService, healthy web instance and returns at once:
         * the instance writes the upgrade record, whose change event brings the outcome.
         *
         * @return empty when no instance can take it yet
         * @throws ConfigurationException when the upgrade document does not exist
         */
        Optional<Sent> resume();
    }

    public interface Clock {
        java.time.Instant now();
    }
}
