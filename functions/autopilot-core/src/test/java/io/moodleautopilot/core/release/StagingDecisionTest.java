package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** "Already staged?": the same URL, the expected checksum when one is given, the same bundle. */
class StagingDecisionTest {
    private static final String SHA = "a".repeat(64);
    private static final String BUNDLE = "b".repeat(64);
    private static final ReleaseSpec SPEC = ReleaseSpec.of("", "4.5.7", "", "7", false);

    private static Optional<StagedObject> staged(String url, String sha, String bundle) {
        return Optional.of(new StagedObject("v1", Map.of(SourceMetadata.RELEASE_URL, url,
                SourceMetadata.RELEASE_SHA256, sha, SourceMetadata.BUNDLE_DIGEST, bundle)));
    }

    @Test
    void theSameUrlAndBundleAreCurrent() {
        StagingDecision d = StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), SPEC, BUNDLE);
        assertThat(d.current()).isTrue();
        assertThat(d.reason()).contains("v1");
    }

    @Test
    void theMetadataWrittenIsTheMetadataRecognised() {
        Map<String, String> written = SourceMetadata.of(SPEC, SHA, BUNDLE);
        assertThat(StagingDecision.decide(Optional.of(new StagedObject("v9", written)), SPEC, BUNDLE).current()).isTrue();
    }

    @Test
    void aVeryLongUrlIsRecordedByItsHashAndStillRecognised() {
        ReleaseSpec presigned = ReleaseSpec.of("https://bucket.s3.amazonaws.com/moodle.tgz?X-Amz-Signature="
                + "f".repeat(1500), "", "", "7", false);
        Map<String, String> written = SourceMetadata.of(presigned, SHA, BUNDLE);
        assertThat(written.get(SourceMetadata.RELEASE_URL)).startsWith("sha256:").hasSize(7 + 64);
        assertThat(StagingDecision.decide(Optional.of(new StagedObject("v2", written)), presigned, BUNDLE).current()).isTrue();
        ReleaseSpec resigned = ReleaseSpec.of("https://bucket.s3.amazonaws.com/moodle.tgz?X-Amz-Signature="
                + "e".repeat(1500), "", "", "7", false);
        assertThat(StagingDecision.decide(Optional.of(new StagedObject("v2", written)), resigned, BUNDLE).current()).isFalse();
    }

    @Test
    void nothingStagedYetIsNotCurrent() {
        assertThat(StagingDecision.decide(Optional.empty(), SPEC, BUNDLE).current()).isFalse();
    }

    @Test
    void anotherUrlIsNotCurrent() {
        ReleaseSpec other = ReleaseSpec.of("", "4.5.8", "", "7", false);
        StagingDecision d = StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), other, BUNDLE);
        assertThat(d.current()).isFalse();
        assertThat(d.reason()).contains("URL changed");
    }

    @Test
    void anExpectedChecksumMustMatchTheStagedOne() {
        ReleaseSpec matching = ReleaseSpec.of("", "4.5.7", SHA, "7", false);
        ReleaseSpec different = ReleaseSpec.of("", "4.5.7", "c".repeat(64), "7", false);
        assertThat(StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), matching, BUNDLE).current()).isTrue();
        assertThat(StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), different, BUNDLE).reason())
                .contains("expected SHA-256");
    }

    @Test
    void anotherBundleIsNotCurrent() {
        assertThat(StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), SPEC, "d".repeat(64)).reason())
                .contains("bundle changed");
    }

    @Test
    void changedPinsAreNotCurrentAndTheSamePinsAre() {
        String pins = "e".repeat(64);
        Map<String, String> written = SourceMetadata.of(SPEC, SHA, BUNDLE, pins);
        assertThat(written).containsEntry(SourceMetadata.PINNED_DIGEST, pins);
        Optional<StagedObject> o = Optional.of(new StagedObject("v3", written));
        assertThat(StagingDecision.decide(o, SPEC, BUNDLE, pins).current()).isTrue();
        assertThat(StagingDecision.decide(o, SPEC, BUNDLE, "f".repeat(64)).reason()).contains("pinned sources changed");
        // An object staged before there were pins is staged again once there are.
        assertThat(StagingDecision.decide(staged(SPEC.url().toString(), SHA, BUNDLE), SPEC, BUNDLE, pins).current())
                .isFalse();
        assertThat(SourceMetadata.of(SPEC, SHA, BUNDLE, "")).doesNotContainKey(SourceMetadata.PINNED_DIGEST);
    }

    @Test
    void anObjectWithoutOurMetadataIsNotCurrent() {
        assertThat(StagingDecision.decide(Optional.of(new StagedObject("v1", Map.of())), SPEC, BUNDLE).current()).isFalse();
        assertThat(StagingDecision.decide(staged(SPEC.url().toString(), "", BUNDLE), SPEC, BUNDLE).current()).isFalse();
    }
}
