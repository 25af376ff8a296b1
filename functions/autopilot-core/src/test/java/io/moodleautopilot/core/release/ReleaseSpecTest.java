package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReleaseSpecTest {

    @Test
    void anEmptyUrlIsDerivedFromTheVersion() {
        ReleaseSpec spec = ReleaseSpec.of("", "4.5.7", "", "12", false);
        assertThat(spec.url()).hasToString("https://download.moodle.org/download.php/direct/stable405/moodle-4.5.7.tgz");
        assertThat(spec.archiveName()).isEqualTo("moodle-release.tgz");
        assertThat(spec.hasExpectedChecksum()).isFalse();
        assertThat(spec.bundleVersion()).isEqualTo("12");
    }

    @Test
    void aGivenUrlWinsOverTheVersion() {
        ReleaseSpec spec = ReleaseSpec.of(" https://mirror.example.org/moodle/moodle-4.5.7.zip ", "4.4.1", "", "", false);
        assertThat(spec.url()).hasToString("https://mirror.example.org/moodle/moodle-4.5.7.zip");
        assertThat(spec.archiveName()).isEqualTo("moodle-release.zip");
    }

    @Test
    void theArchiveNameFollowsThePathNotTheQuery() {
        assertThat(ReleaseSpec.of("https://b.s3.amazonaws.com/moodle.ZIP?X-Amz-Signature=1", "", "", "", false)
                .archiveName()).isEqualTo("moodle-release.zip");
        assertThat(ReleaseSpec.of("https://example.org/get?file=moodle.zip", "", "", "", false).archiveName())
                .isEqualTo("moodle-release.tgz");
    }

    @Test
    void theDisplayedUrlLeavesTheQueryOut() {
        assertThat(ReleaseSpec.of("https://b.s3.amazonaws.com/m.tgz?X-Amz-Signature=secret", "", "", "", false)
                .displayUrl()).isEqualTo("https://b.s3.amazonaws.com/m.tgz");
    }

    @Test
    void theChecksumIsNormalisedToLowerCase() {
        String sha = "AB".repeat(32);
        assertThat(ReleaseSpec.of("", "4.5.7", sha, "", false).expectedSha256()).isEqualTo("ab".repeat(32));
    }

    @Test
    void onlyHttpsUnlessPlainHttpIsAllowed() {
        assertThatThrownBy(() -> ReleaseSpec.of("http://example.org/m.tgz", "", "", "", false))
                .isInstanceOf(ReleaseRequestException.class).hasMessageContaining("must be an https:// URL");
        assertThat(ReleaseSpec.of("http://127.0.0.1:8080/m.tgz", "", "", "", true).url().getScheme()).isEqualTo("http");
        assertThatThrownBy(() -> ReleaseSpec.of("file:///etc/passwd", "", "", "", true))
                .isInstanceOf(ReleaseRequestException.class).hasMessageContaining("must be an https:// URL");
    }

    @Test
    void badInputIsRefusedWithAReason() {
        assertThatThrownBy(() -> ReleaseSpec.of("", "", "", "", false)).hasMessageContaining("neither ReleaseUrl nor ReleaseVersion");
        assertThatThrownBy(() -> ReleaseSpec.of("https://", "", "", "", false)).isInstanceOf(ReleaseRequestException.class);
        assertThatThrownBy(() -> ReleaseSpec.of("https:///m.tgz", "", "", "", false)).hasMessageContaining("no host");
        assertThatThrownBy(() -> ReleaseSpec.of("https://u:p@example.org/m.tgz", "", "", "", false))
                .hasMessageContaining("user name or password");
        assertThatThrownBy(() -> ReleaseSpec.of("moodle.tgz", "", "", "", false)).hasMessageContaining("https://");
        assertThatThrownBy(() -> ReleaseSpec.of("", "4.5.7", "abc", "", false)).hasMessageContaining("64 hexadecimal");
        assertThatThrownBy(() -> ReleaseSpec.of("", "4.5.7", "g".repeat(64), "", false)).hasMessageContaining("64 hexadecimal");
    }
}
