package io.moodleautopilot.core.moodleconfig;

import java.time.Duration;
import java.util.Optional;

/** What applying Moodle's configuration needs from outside; the aws package implements it. */
public final class MoodleConfigPorts {
    private MoodleConfigPorts() {
    }

    public interface WebInstances {
        /** One instance that is InService and Healthy in the web group, the same one while it stays so. */
        Optional<String> healthyInstance();
    }

    public interface RunCommand {
        /**
         * Runs the stack's Moodle configuration document on one instance with this payload and
         * waits for it to end, at most {@code bound}.
         */
        CommandResult run(String instanceId, String payloadBase64, Duration bound);
    }

    /**
     * @param status       Run Command's invocation status (Success, Failed, TimedOut, Cancelled, ...) or
     *                     {@code Waiting} when it had not ended within the bound
     * @param responseCode the script's exit code (Run Command's ResponseCode; -1 when it has none)
     */
    public record CommandResult(String commandId, String status, int responseCode, String stdout, String stderr) {
        /** apply-moodle-config.sh's exit code for a payload it refused (moodle/autopilot-lib.php). */
        public static final int REFUSED_EXIT = 2;

        public boolean succeeded() {
            return "Success".equals(status);
        }

        public boolean stillRunning() {
            return "Waiting".equals(status);
        }

        public boolean refused() {
            return "Failed".equals(status) && responseCode == REFUSED_EXIT;
        }
    }
}
