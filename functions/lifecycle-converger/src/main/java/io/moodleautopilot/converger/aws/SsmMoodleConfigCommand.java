package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.moodleconfig.MoodleConfigPorts;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.InvalidDocumentException;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;

/**
 * Runs the stack's Moodle configuration document on one web instance (Run Command) and waits for
 * its result.
 */
public final class SsmMoodleConfigCommand implements MoodleConfigPorts.RunCommand {
    static final Set<String> ENDED = Set.of("Success", "Failed", "TimedOut", "Cancelled", "Undeliverable", "Terminated");
    static final Duration POLL = Duration.ofSeconds(2);

    private final Supplier<SsmClient> ssm;
    private final String documentName;

    public SsmMoodleConfigCommand(Supplier<SsmClient> ssm, String documentName) {
        this.ssm = ssm;
        this.documentName = documentName;
    }

    @Override
    public MoodleConfigPorts.CommandResult run(String instanceId, String payloadBase64, Duration bound) {
        String commandId;
        try {
            commandId = ssm.get().sendCommand(r -> r.documentName(documentName)
                    .instanceIds(instanceId)
                    .parameters(Map.of("Payload", List.of(payloadBase64)))
                    .timeoutSeconds(600)
                    .comment("Moodle Autopilot: apply Moodle settings and the application cache"))
                    .command().commandId();
        } catch (InvalidDocumentException e) {
            throw new ConfigurationException("Moodle configuration document '" + documentName + "' does not exist", e);
        }
        Instant deadline = Instant.now().plus(bound);
        while (true) {
            Optional<GetCommandInvocationResponse> r = invocation(commandId, instanceId);
            if (r.isPresent() && ENDED.contains(r.get().statusAsString())) {
                Integer code = r.get().responseCode();
                return new MoodleConfigPorts.CommandResult(commandId, r.get().statusAsString(),
                        code == null ? -1 : code, r.get().standardOutputContent(), r.get().standardErrorContent());
            }
            if (Instant.now().plus(POLL).isAfter(deadline)) {
                return new MoodleConfigPorts.CommandResult(commandId, "Waiting", -1, "", "");
            }
            sleep(POLL);
        }
    }

    private Optional<GetCommandInvocationResponse> invocation(String commandId, String instanceId) {
        try {
            return Optional.of(ssm.get().getCommandInvocation(r -> r.commandId(commandId).instanceId(instanceId)));
        } catch (InvocationDoesNotExistException e) {
            // Just after SendCommand the invocation may not be visible yet.
            return Optional.empty();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Run Command", e);
        }
    }
}
