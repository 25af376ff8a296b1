package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Ports;
import io.moodleautopilot.core.moodleconfig.MoodleConfigPorts;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InvalidDocumentException;

/**
 * Runs the stack's upgrade document (upgrade-moodle.sh) on one web instance, chosen as Moodle's
 * configuration step chooses it, and does not wait: the script may run for up to an hour (the
 * document's own timeout), takes the lock on the shared dataroot, and writes the upgrade record.
 */
public final class SsmUpgradeCommand implements Ports.UpgradeCommand {
    /** How long Run Command may wait for the instance to pick the command up, not the script's run time. */
    static final int DELIVERY_TIMEOUT_SECONDS = 600;

    private final Supplier<SsmClient> ssm;
    private final String documentName;
    private final MoodleConfigPorts.WebInstances instances;

    public SsmUpgradeCommand(Supplier<SsmClient> ssm, String documentName, MoodleConfigPorts.WebInstances instances) {
        this.ssm = ssm;
        this.documentName = documentName;
        this.instances = instances;
    }

    @Override
    public Optional<Sent> resume() {
        Optional<String> instance = instances.healthyInstance();
        if (instance.isEmpty()) {
            return Optional.empty();
        }
        try {
            String commandId = ssm.get().sendCommand(r -> r.documentName(documentName)
                    .instanceIds(instance.get())
                    .timeoutSeconds(DELIVERY_TIMEOUT_SECONDS)
                    .comment("Moodle Autopilot: resume the Moodle database upgrade"))
                    .command().commandId();
            return Optional.of(new Sent(instance.get(), commandId));
        } catch (InvalidDocumentException e) {
            throw new ConfigurationException("Moodle upgrade document '" + documentName + "' does not exist", e);
        }
    }
}
