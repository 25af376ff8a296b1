package io.moodleautopilot.converger.aws;

import io.moodleautopilot.core.lifecycle.LifecycleJson;
import io.moodleautopilot.core.lifecycle.FlagReading;
import io.moodleautopilot.core.lifecycle.Ports;
import io.moodleautopilot.core.lifecycle.SessionConfig;
import io.moodleautopilot.core.lifecycle.StackSettings;
import io.moodleautopilot.core.lifecycle.StatusRecord;
import io.moodleautopilot.core.lifecycle.UpgradeRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** The flag, the status record and the published session configuration, all in Parameter Store. */
public final class SsmLifecycleStore implements Ports.LifecycleStore {
    private final Supplier<SsmClient> ssm;
    private final StackSettings settings;

    public SsmLifecycleStore(Supplier<SsmClient> ssm, StackSettings settings) {
        this.ssm = ssm;
        this.settings = settings;
    }

    @Override
    public Ports.StoredState read() {
        // One GetParameters call for all of them: the replay path costs a single request.
        List<String> names = new ArrayList<>(List.of(
                settings.setupFlagParameter(), settings.statusParameter(), settings.sessionConfigParameter()));
        if (!settings.moodleSettingsParameter().isEmpty()) {
            names.add(settings.moodleSettingsParameter());
        }
        if (settings.readsUpgradeRecord()) {
            // In the same call: the upgrade's status costs no request of its own.
            names.add(settings.upgradeParameter());
        }
        Map<String, Parameter> found = ssm.get().getParameters(r -> r.names(names))
                .parameters().stream()
                .collect(Collectors.toMap(Parameter::name, Function.identity()));
        Parameter flag = found.get(settings.setupFlagParameter());
        FlagReading reading = flag == null ? FlagReading.absent()
                : new FlagReading(flag.value(), flag.version(), flag.lastModifiedDate());
        Optional<StatusRecord> status = Optional.ofNullable(found.get(settings.statusParameter()))
                .flatMap(p -> LifecycleJson.parseStatus(p.value()));
        Optional<SessionConfig> session = Optional.ofNullable(found.get(settings.sessionConfigParameter()))
                .flatMap(p -> LifecycleJson.parseSessionConfig(p.value()));
        Optional<String> moodleSettings = Optional.ofNullable(found.get(settings.moodleSettingsParameter()))
                .map(Parameter::value);
        UpgradeRecord upgrade = UpgradeRecord.parse(Optional.ofNullable(found.get(settings.upgradeParameter()))
                .map(Parameter::value));
        return new Ports.StoredState(reading, status, session, moodleSettings, upgrade);
    }

    @Override
    public Ports.FlagAndStatus readFlagAndStatus() {
        // GetParameters, which the converger may call on both names already: no further permission.
        Map<String, Parameter> found = ssm.get()
                .getParameters(r -> r.names(settings.setupFlagParameter(), settings.statusParameter()))
                .parameters().stream()
                .collect(Collectors.toMap(Parameter::name, Function.identity()));
        Parameter flag = found.get(settings.setupFlagParameter());
        FlagReading reading = flag == null ? FlagReading.absent()
                : new FlagReading(flag.value(), flag.version(), flag.lastModifiedDate());
        return new Ports.FlagAndStatus(reading, Optional.ofNullable(found.get(settings.statusParameter()))
                .flatMap(p -> LifecycleJson.parseStatus(p.value())));
    }

    @Override
    public void publishSessionConfig(SessionConfig config) {
        // A String parameter is right here: the session settings hold endpoints, never a secret.
        ssm.get().putParameter(r -> r.name(settings.sessionConfigParameter())
                .value(LifecycleJson.sessionConfig(config))
                .type(ParameterType.STRING)
                .overwrite(true)
                .description("Moodle session settings published by the LifecycleConverger; rendered into config.php"));
    }

    @Override
    public void writeStatus(StatusRecord status) {
        ssm.get().putParameter(r -> r.name(settings.statusParameter())
                .value(LifecycleJson.status(status))
                .type(ParameterType.STRING)
                .overwrite(true)
                .description("Lifecycle status written by the LifecycleConverger"));
    }

    @Override
    public void deleteOwnedParameters() {
        // The detector's records are not stack resources either (it creates them at run time), so
        // the stack's delete takes them too: nothing of the automation outlives the stack.
        List<String> names = new ArrayList<>(List.of(settings.statusParameter(), settings.sessionConfigParameter(),
                settings.installPhaseParameter()));
        ssm.get().getParametersByPathPaginator(r -> r.path(settings.installClaimPath()))
                .forEach(page -> page.parameters().forEach(p -> names.add(p.name())));
        // DeleteParameters takes at most 10 names, and reports absent ones instead of failing:
        // deleting twice succeeds.
        for (int from = 0; from < names.size(); from += 10) {
            List<String> batch = names.subList(from, Math.min(names.size(), from + 10));
            ssm.get().deleteParameters(r -> r.names(batch));
        }
    }
}
