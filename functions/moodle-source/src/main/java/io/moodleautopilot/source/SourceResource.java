package io.moodleautopilot.source;

import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.function.Telemetry;
import io.moodleautopilot.core.release.Deadline;
import io.moodleautopilot.core.release.MoodleSourceService;
import io.moodleautopilot.core.release.PinnedSources;
import io.moodleautopilot.core.release.DeclaredPlugins;
import io.moodleautopilot.core.release.Platform;
import io.moodleautopilot.core.release.ReleaseRequestException;
import io.moodleautopilot.core.release.ReleaseSpec;
import io.moodleautopilot.core.release.SourceSettings;
import io.moodleautopilot.core.release.StageResult;
import io.moodleautopilot.core.release.StagingException;
import io.moodleautopilot.function.CustomResourceProtocol;
import io.moodleautopilot.function.CustomResourceProtocol.Answer;
import io.moodleautopilot.function.CustomResourceRequest;
import io.moodleautopilot.function.JsonEventHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MoodleSource as a custom resource: Create and Update stage (the release, the bundle, the pinned
 * sources the template lists and the declared plugins), or refuse a release the site's database or
 * platform cannot take, Delete removes every version of the object. Deadline, answer and Delete rules are {@link CustomResourceProtocol}'s.
 */
final class SourceResource implements CustomResourceProtocol.Resource {
    private static final Logger LOG = LoggerFactory.getLogger(SourceResource.class);

    private final MoodleSourceService service;
    private final Telemetry telemetry;
    private final SourceSettings settings;
    private final String namespace;

    SourceResource(MoodleSourceService service, Telemetry telemetry, SourceSettings settings, String namespace) {
        this.service = service;
        this.telemetry = telemetry;
        this.settings = settings;
        this.namespace = namespace;
    }

    @Override
    public String physicalId() {
        return settings.physicalId();
    }

    @Override
    public Answer apply(CustomResourceRequest request, Deadline deadline) {
        ReleaseSpec spec;
        PinnedSources pinned;
        DeclaredPlugins plugins;
        Platform platform;
        try {
            spec = ReleaseSpec.of(request.property("ReleaseUrl"), request.property("ReleaseVersion"),
                    request.property("ReleaseSha256"), request.property("BundleVersion"), settings.allowPlainHttp());
            pinned = PinnedSources.of(request.property(PinnedSources.EXTENSIONS), request.property(PinnedSources.AGENT),
                    settings.allowPlainHttp());
            plugins = DeclaredPlugins.of(request.property(DeclaredPlugins.PROPERTY), settings.allowPlainHttp());
            platform = Platform.of(request.property(Platform.PHP), request.property(Platform.ENGINE),
                    request.property(Platform.ENGINE_VERSION));
        } catch (ReleaseRequestException e) {
            telemetry.count(namespace, settings.stack(), "InvalidRequest");
            return Answer.failed(e.getMessage() + "; nothing changed", "FAILED");
        }
        LOG.info("staging {} into s3://{}/{}", spec.displayUrl(), settings.bucket(), settings.objectKey());
        StageResult result;
        try {
            result = service.stage(spec, pinned, plugins, platform, deadline, (bytes, total) ->
                    LOG.info("downloaded {} of {} bytes", bytes, total < 0 ? "?" : String.valueOf(total)));
        } catch (StagingException | ReleaseRequestException e) {
            telemetry.count(namespace, settings.stack(), "SourceFailed");
            return Answer.failed(e.getMessage(), "FAILED");
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("ObjectKey", settings.objectKey());
        data.put("VersionId", result.versionId());
        data.put("ReleaseUrl", result.releaseUrl());
        data.put("ReleaseSha256", result.releaseSha256());
        // What was staged, as Moodle names it: the release string and its $version.
        data.put("MoodleRelease", result.moodleRelease());
        data.put("MoodleBuild", result.moodleVersion());
        String outcome = result.uploaded() ? "STAGED" : "UNCHANGED";
        telemetry.count(namespace, settings.stack(), result.uploaded() ? "SourceStaged" : "SourceUnchanged");
        LOG.info("{}: {} (version {})", outcome, result.reason(), result.versionId());
        JsonObject n = JsonEventHandler.outcome(outcome, result.reason());
        n.put("versionId", result.versionId());
        n.put("releaseSha256", result.releaseSha256());
        return new Answer(true, result.reason(), data, n);
    }

    @Override
    public Answer delete(CustomResourceRequest request, Deadline deadline) {
        String reason;
        try {
            int deleted = service.remove();
            reason = deleted == 0 ? "no source object versions to delete"
                    : "deleted " + deleted + " version(s) of s3://" + settings.bucket() + "/" + settings.objectKey();
            LOG.info(reason);
            telemetry.count(namespace, settings.stack(), "SourceRemoved");
        } catch (RuntimeException e) {
            // A failed delete must not strand the stack in DELETE_FAILED: report it and let go.
            reason = "cleanup incomplete: " + e;
            LOG.error("could not delete the source object's versions on stack delete: {}", reason);
            telemetry.count(namespace, settings.stack(), "SourceCleanupIncomplete");
        }
        return new Answer(true, reason, Map.of(), JsonEventHandler.outcome("REMOVED", reason));
    }

    @Override
    public void refused(String reason) {
        // Counted as every event this function refuses.
        telemetry.count(namespace, settings.stack(), "RejectedEvent");
    }

    @Override
    public void failed(String requestType, String reason) {
        telemetry.count(namespace, settings.stack(),
                requestType.equals("Delete") ? "SourceCleanupIncomplete" : "SourceFailed");
    }
}
