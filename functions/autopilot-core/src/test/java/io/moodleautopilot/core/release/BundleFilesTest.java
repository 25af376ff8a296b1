package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundleFilesTest {
    private static BundleFiles.BundleFile file(String path, String content) {
        return new BundleFiles.BundleFile(path, content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theDigestDependsOnNamesAndContentsNotOnListOrder() {
        BundleFiles a = new BundleFiles(List.of(file("appspec.yml", "x"), file("scripts/a.sh", "y")));
        BundleFiles b = new BundleFiles(List.of(file("scripts/a.sh", "y"), file("appspec.yml", "x")));
        assertThat(a.digest()).isEqualTo(b.digest()).hasSize(64);
        assertThat(new BundleFiles(List.of(file("appspec.yml", "x"), file("scripts/a.sh", "z"))).digest())
                .isNotEqualTo(a.digest());
        assertThat(new BundleFiles(List.of(file("appspec.yml", "x"), file("scripts/b.sh", "y"))).digest())
                .isNotEqualTo(a.digest());
        // Moving bytes between a name and a content is a different bundle too.
        assertThat(new BundleFiles(List.of(file("ab", "c"))).digest())
                .isNotEqualTo(new BundleFiles(List.of(file("a", "bc"))).digest());
    }

    @Test
    void shellScriptsAreExecutable() {
        assertThat(file("scripts/install.sh", "").executable()).isTrue();
        assertThat(file("appspec.yml", "").executable()).isFalse();
    }

    @Test
    void unsafeOrDuplicatePathsAreRefused() {
        for (String p : new String[] {"/etc/passwd", "../x", "a/../b", "a//b", "a\\b", "dir/", "moodle-release.tgz"}) {
            assertThatThrownBy(() -> new BundleFiles(List.of(file(p, "")))).as(p).isInstanceOf(StagingException.class);
        }
        assertThatThrownBy(() -> new BundleFiles(List.of(file("a", ""), file("a", ""))))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> new BundleFiles(List.of())).hasMessageContaining("no files");
    }

    @Test
    void vendorIsReservedForThePinnedSources() {
        assertThatThrownBy(() -> new BundleFiles(List.of(file("vendor/manifest.json", "{}"))))
                .isInstanceOf(StagingException.class).hasMessageContaining("reserved for the pinned sources");
        assertThat(new BundleFiles(List.of(file("config/vendor.txt", ""))).files()).hasSize(1);
    }
}
