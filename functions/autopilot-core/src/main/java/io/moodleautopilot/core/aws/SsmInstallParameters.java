package io.moodleautopilot.core.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moodleautopilot.core.install.DetectorPorts;
import io.moodleautopilot.core.install.InstallPhase;
import java.time.Instant;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** The setup flag and the detector's phase record, in Parameter Store. */
public final class SsmInstallParameters implements DetectorPorts.SetupFlag, DetectorPorts.PhaseRecord {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final Supplier<SsmClient> ssm;
    private final String flagName;
    private final String phaseName;
    /** What this container last wrote, so an unchanged phase costs no write (and no read). */
    private volatile String lastRecorded;

    public SsmInstallParameters(Supplier<SsmClient> ssm, String flagName, String phaseName) {
        this.ssm = ssm;
        this.flagName = flagName;
        this.phaseName = phaseName;
    }

    @Override
    public String read() {
        try {
            return ssm.get().getParameter(r -> r.name(flagName)).parameter().value();
        } catch (ParameterNotFoundException e) {
            return null;
        }
    }

    @Override
    public void setYes(String description) {
        ssm.get().putParameter(r -> r.name(flagName).value("Yes").type(ParameterType.STRING).overwrite(true)
                .description(description));
    }

    @Override
    public void record(InstallPhase phase, String probe) {
        String key = phase + "|" + probe;
        if (key.equals(lastRecorded)) {
            return;
        }
        ObjectNode n = MAPPER.createObjectNode();
        n.put("phase", phase.name());
        n.put("loginPageProbe", probe);
        n.put("observedAt", Instant.now().toString());
        ssm.get().putParameter(r -> r.name(phaseName).value(n.toString()).type(ParameterType.STRING).overwrite(true)
                .description("Moodle install phase as last seen by the InstallDetector"));
        lastRecorded = key;
    }
}
