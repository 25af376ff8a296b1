package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import io.moodleautopilot.core.lifecycle.Ports;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InvalidDocumentException;

/**
 * Runs the stack's render document on the web group's instances, found by the tag Auto Scaling
 * puts on them, so instances launched or replaced later need no instance list.
 */
public final class SsmConfigRender implements Ports.InstanceConfig {
    /** Half the group at a time: the other half keeps serving while PHP reloads. */
    static final String MAX_CONCURRENCY = "50%";
    static final int TIMEOUT_SECONDS = 600;

    private final Supplier<SsmClient> ssm;
    private final String documentName;
    private final String webGroupName;

    public SsmConfigRender(Supplier<SsmClient> ssm, String documentName, String webGroupName) {
        this.ssm = ssm;
        this.documentName = documentName;
        this.webGroupName = webGroupName;
    }

    @Override
    public String rerender() {
        try {
            return ssm.get().sendCommand(r -> r.documentName(documentName)
                    .targets(t -> t.key("tag:aws:autoscaling:groupName").values(webGroupName))
                    .maxConcurrency(MAX_CONCURRENCY)
                    // One failed instance must not stop the others; the failure shows in Run Command.
                    .maxErrors("100%")
                    .timeoutSeconds(TIMEOUT_SECONDS)
                    .comment("Moodle Autopilot: render config.php with the published session settings"))
                    .command().commandId();
        } catch (InvalidDocumentException e) {
            throw new ConfigurationException("render document '" + documentName + "' does not exist", e);
        }
    }
}
