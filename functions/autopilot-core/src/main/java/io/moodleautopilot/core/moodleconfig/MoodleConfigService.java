package io.moodleautopilot.core.moodleconfig;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Applies the stack's Moodle settings and application cache through Moodle's own APIs, by running
 * the bundle's scripts on one healthy web instance (Moodle's config and cache configuration live in
 * the shared database and dataroot, so one instance applies them for all).
 */
public final class MoodleConfigService {
    private final MoodleConfigPorts.WebInstances instances;
    private final MoodleConfigPorts.RunCommand runCommand;
    private final Duration bound;
    private static final String REFUSED_MARK = "REFUSED: ";

    public MoodleConfigService(MoodleConfigPorts.WebInstances instances, MoodleConfigPorts.RunCommand runCommand,
                               Duration bound) {
        this.instances = instances;
        this.runCommand = runCommand;
        this.bound = bound;
    }

    public MoodleConfigOutcome apply(ConfigPayload payload) {
        Optional<String> instance = instances.healthyInstance();
        if (instance.isEmpty()) {
            return new MoodleConfigOutcome(MoodleConfigOutcome.Status.NO_INSTANCE, null, null, List.of(),
                    "no InService, healthy web instance yet");
        }
        MoodleConfigPorts.CommandResult r = runCommand.run(instance.get(), payload.base64(), bound);
        if (r.stillRunning()) {
            return new MoodleConfigOutcome(MoodleConfigOutcome.Status.TIMED_OUT, instance.get(), r.commandId(),
                    List.of(), "still running after " + bound.toSeconds() + " s");
        }
        if (r.refused()) {
            return new MoodleConfigOutcome(MoodleConfigOutcome.Status.REFUSED, instance.get(), r.commandId(),
                    List.of(), refusal(r.stderr()));
        }
        if (!r.succeeded()) {
            return new MoodleConfigOutcome(MoodleConfigOutcome.Status.FAILED, instance.get(), r.commandId(),
                    List.of(), r.status() + ": " + lastLine(r.stderr()));
        }
        Optional<List<String>> changes = ScriptReport.changes(r.stdout());
        if (changes.isEmpty()) {
            return new MoodleConfigOutcome(MoodleConfigOutcome.Status.FAILED, instance.get(), r.commandId(),
                    List.of(), "the scripts printed no report");
        }
        return new MoodleConfigOutcome(MoodleConfigOutcome.Status.APPLIED, instance.get(), r.commandId(),
                changes.get(), changes.get().isEmpty() ? "no change" : changes.get().size() + " change(s)");
    }

    /** The reason apply-moodle-config.sh gives on its "REFUSED: ..." line; its last line otherwise. */
    static String refusal(String stderr) {
        String reason = null;
        for (String line : (stderr == null ? "" : stderr).split("\n")) {
            int at = line.indexOf(REFUSED_MARK);
            if (at >= 0) {
                reason = line.substring(at + REFUSED_MARK.length()).strip();
            }
        }
        if (reason == null) {
            return lastLine(stderr);
        }
        return reason.length() > 600 ? reason.substring(0, 600) + "..." : reason;
    }

    private static String lastLine(String text) {
        if (text == null || text.isBlank()) {
            return "no error output";
        }
        String[] lines = text.strip().split("\n");
        String last = lines[lines.length - 1];
        return last.length() > 200 ? last.substring(0, 200) + "..." : last;
    }
}
