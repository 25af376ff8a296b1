package io.moodleautopilot.detector.aws;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.install.DetectorPorts;
import io.moodleautopilot.core.install.InstallPhase;
import io.moodleautopilot.core.lifecycle.FlagReading;
import java.time.Instant;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/** The setup flag, the detector's phase record and its claims on the flag's change, in Parameter Store. */
public final class SsmInstallParameters implements DetectorPorts.SetupFlag, DetectorPorts.PhaseRecord,
        DetectorPorts.TransitionClaims {
    private final Supplier<SsmClient> ssm;
    private final String flagName;
    private final String phaseName;
    private final String claimPath;
    /** What this container last wrote, so an unchanged phase costs no write (and no read). */
    private volatile String lastRecorded;
    private volatile String lastUnder;
    private volatile Instant lastSince;

    public SsmInstallParameters(Supplier<SsmClient> ssm, String flagName, String phaseName, String claimPath) {
        this.ssm = ssm;
        this.flagName = flagName;
        this.phaseName = phaseName;
        this.claimPath = claimPath;
    }

    @Override
    public FlagReading read() {
        try {
            Parameter flag = ssm.get().getParameter(r -> r.name(flagName)).parameter();
            return new FlagReading(flag.value(), flag.version(), flag.lastModifiedDate());
        } catch (ParameterNotFoundException e) {
            return FlagReading.absent();
        }
    }

    /**
     * Without overwrite, PutParameter fails with ParameterAlreadyExists when the name exists: the
     * claim is the write that succeeds once. A create whose answer was lost and that the SDK retried
     * reads as lost too; the claim then goes stale and a later detector claims again.
     */
    @Override
    public boolean create(String key) {
        try {
            ssm.get().putParameter(r -> r.name(claimPath + "/" + key).value("claimed").type(ParameterType.STRING)
                    .overwrite(false)
                    .description("The InstallDetector that created this claim writes the setup flag's Yes"));
            return true;
        } catch (ParameterAlreadyExistsException e) {
            return false;
        }
    }

    @Override
    public Instant createdAt(String key) {
        try {
            return ssm.get().getParameter(r -> r.name(claimPath + "/" + key)).parameter().lastModifiedDate();
        } catch (ParameterNotFoundException e) {
            return null;
        }
    }

    @Override
    public Last last() {
        try {
            String json = ssm.get().getParameter(r -> r.name(phaseName)).parameter().value();
            JsonValue n = Json.parse(json);
            JsonValue under = n.path("incompleteUnder");
            Instant since = null;
            if (n.path("completeSince").isTextual()) {
                try {
                    since = Instant.parse(n.path("completeSince").asText());
                } catch (java.time.format.DateTimeParseException e) {
                    since = null; // an unreadable time starts the settle time again
                }
            }
            return new Last(under.isTextual() ? under.asText() : null, since);
        } catch (ParameterNotFoundException e) {
            return Last.NONE;
        } catch (JsonException e) {
            return Last.NONE; // an unreadable record vouches for nothing
        }
    }

    @Override
    public void setYes(String description) {
        ssm.get().putParameter(r -> r.name(flagName).value("Yes").type(ParameterType.STRING).overwrite(true)
                .description(description));
    }

    @Override
    public void record(InstallPhase phase, String probe, String incompleteUnder, Instant completeSince) {
        // A null incompleteUnder (the flag is not No) changes nothing that matters: a later No is a new
        // version, which an older key never names. So it costs no write on its own.
        // Nor does a null completeSince (not read: the flag is not No): the time matters only under a No.
        String key = phase + "|" + probe;
        boolean sinceChanged = completeSince != null && !completeSince.equals(lastSince);
        if (key.equals(lastRecorded) && !sinceChanged && (incompleteUnder == null || incompleteUnder.equals(lastUnder))) {
            return;
        }
        JsonObject n = new JsonObject();
        n.put("phase", phase.name());
        n.put("loginPageProbe", probe);
        // The No (claim key) under which the site was last seen incomplete: only that No becomes Yes.
        if (incompleteUnder == null) {
            n.putNull("incompleteUnder");
        } else {
            n.put("incompleteUnder", incompleteUnder);
        }
        if (completeSince != null) {
            n.put("completeSince", completeSince.toString());
        }
        n.put("observedAt", Instant.now().toString());
        ssm.get().putParameter(r -> r.name(phaseName).value(n.toString()).type(ParameterType.STRING).overwrite(true)
                .description("Moodle install phase as last seen by the InstallDetector"));
        lastRecorded = key;
        lastUnder = incompleteUnder;
        lastSince = completeSince;
    }
}
