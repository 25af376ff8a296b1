package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** download.moodle.org's layout, as published there (branch directory, then file name). */
class MoodleDownloadsTest {

    @Test
    void aPointReleaseIsInItsBranchDirectory() {
        assertThat(MoodleDownloads.releaseUrl("4.5.7")).hasToString(
                "https://download.moodle.org/download.php/direct/stable405/moodle-4.5.7.tgz");
        assertThat(MoodleDownloads.releaseUrl("4.1.12")).hasToString(
                "https://download.moodle.org/download.php/direct/stable401/moodle-4.1.12.tgz");
        assertThat(MoodleDownloads.releaseUrl("5.0.2")).hasToString(
                "https://download.moodle.org/download.php/direct/stable500/moodle-5.0.2.tgz");
        assertThat(MoodleDownloads.releaseUrl(" 5.1.1 ")).hasToString(
                "https://download.moodle.org/download.php/direct/stable501/moodle-5.1.1.tgz");
    }

    @Test
    void theFirstReleaseOfABranchHasNoPatchNumber() {
        assertThat(MoodleDownloads.releaseUrl("4.5.0")).hasToString(
                "https://download.moodle.org/download.php/direct/stable405/moodle-4.5.tgz");
        assertThat(MoodleDownloads.releaseUrl("5.0")).hasToString(
                "https://download.moodle.org/download.php/direct/stable500/moodle-5.0.tgz");
    }

    @Test
    void aPlusMeansTheBranchsWeeklyBuild() {
        assertThat(MoodleDownloads.releaseUrl("4.5.7+")).hasToString(
                "https://download.moodle.org/download.php/direct/stable405/moodle-latest-405.tgz");
    }

    @Test
    void branchesBefore4HaveNoPadding() {
        assertThat(MoodleDownloads.releaseUrl("3.10.0")).hasToString(
                "https://download.moodle.org/download.php/direct/stable310/moodle-3.10.tgz");
        assertThat(MoodleDownloads.releaseUrl("3.8.1")).hasToString(
                "https://download.moodle.org/download.php/direct/stable38/moodle-3.8.1.tgz");
    }

    @Test
    void anythingElseIsRefusedWithTheValue() {
        for (String v : new String[] {"", "latest", "4", "4.5.7.1", "v4.5.7", "4.5.7-beta", "1.9.0"}) {
            assertThatThrownBy(() -> MoodleDownloads.releaseUrl(v)).as(v)
                    .isInstanceOf(ReleaseRequestException.class).hasMessageContaining("'" + v + "'");
        }
    }
}
