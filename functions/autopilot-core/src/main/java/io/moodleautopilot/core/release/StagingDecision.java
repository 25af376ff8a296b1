package io.moodleautopilot.core.release;

import java.util.Optional;

/**
 * Whether the source object already holds what is asked for: the same release URL, the expected
 * checksum when one is given, the same bundle and the same pinned sources. A repeated Create or
 * Update (or a stack update that changed nothing here) then costs no download and no new object
 * version.
 */
public record StagingDecision(boolean current, String reason) {

    public static StagingDecision decide(Optional<StagedObject> existing, ReleaseSpec spec, String bundleDigest) {
        return decide(existing, spec, bundleDigest, "");
    }

    /** @param pinnedDigest {@link PinnedSources#digest()}: a changed pin (URL or checksum) stages again */
    public static StagingDecision decide(Optional<StagedObject> existing, ReleaseSpec spec, String bundleDigest,
                                         String pinnedDigest) {
        return decide(existing, spec, bundleDigest, pinnedDigest, "");
    }

    /**
     * @param pluginsDigest {@link DeclaredPlugins#digest()}, empty when none is declared: an object
     *                      staged before plugins existed records none, so it stays current
     */
    public static StagingDecision decide(Optional<StagedObject> existing, ReleaseSpec spec, String bundleDigest,
                                         String pinnedDigest, String pluginsDigest) {
        if (existing.isEmpty()) {
            return new StagingDecision(false, "no source object yet");
        }
        StagedObject o = existing.get();
        if (!o.get(SourceMetadata.RELEASE_URL).equals(SourceMetadata.releaseUrl(spec))) {
            return new StagingDecision(false, "the release URL changed");
        }
        if (o.get(SourceMetadata.RELEASE_SHA256).isEmpty()) {
            return new StagingDecision(false, "the staged object records no release checksum");
        }
        if (spec.hasExpectedChecksum() && !o.get(SourceMetadata.RELEASE_SHA256).equals(spec.expectedSha256())) {
            return new StagingDecision(false, "the staged release does not have the expected SHA-256");
        }
        if (!o.get(SourceMetadata.BUNDLE_DIGEST).equals(bundleDigest)) {
            return new StagingDecision(false, "the deployment bundle changed");
        }
        if (!o.get(SourceMetadata.PINNED_DIGEST).equals(pinnedDigest)) {
            return new StagingDecision(false, "the pinned sources changed");
        }
        if (!o.get(SourceMetadata.PLUGINS_DIGEST).equals(pluginsDigest)) {
            return new StagingDecision(false, "the declared plugins changed");
        }
        return new StagingDecision(true, "already staged as version " + o.versionId());
    }
}
