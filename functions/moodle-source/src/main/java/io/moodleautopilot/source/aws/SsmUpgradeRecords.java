package io.moodleautopilot.source.aws;

import io.moodleautopilot.core.release.ReleasePorts;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/** The upgrade record, read with ssm:GetParameter on exactly its name; an absent parameter is a new site. */
public final class SsmUpgradeRecords implements ReleasePorts.UpgradeRecords {
    private final Supplier<SsmClient> ssm;
    private final String name;

    public SsmUpgradeRecords(Supplier<SsmClient> ssm, String name) {
        this.ssm = ssm;
        this.name = name;
    }

    @Override
    public Optional<String> read() {
        try {
            return Optional.ofNullable(ssm.get().getParameter(r -> r.name(name)).parameter().value());
        } catch (ParameterNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public String name() {
        return name;
    }
}
