package io.moodleautopilot.core.install;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PhaseClassifierTest {
    private static MoodleSnapshot complete() {
        return new MoodleSnapshot(true, "2024100700", "1", false, false, 0, 1, "MAU");
    }

    @Test
    void anUpgradeRunIsAnUpgradeOnceTheSiteWasComplete() {
        MoodleSnapshot s = new MoodleSnapshot(true, "2024100700", "1", true, false, 0, 1, "");
        assertThat(PhaseClassifier.classify(s, true)).isEqualTo(InstallPhase.UPGRADING);
        assertThat(PhaseClassifier.classify(s, false)).isEqualTo(InstallPhase.INSTALLING);
    }

    @Test
    void registrationPendingAndOtherNonSignalsDoNotMatter() {
        assertThat(PhaseClassifier.classify(complete(), false)).isEqualTo(InstallPhase.COMPLETE);
    }

    @Test
    void rolesNotActiveMeansInstalling() {
        MoodleSnapshot s = new MoodleSnapshot(true, "2024100700", "0", false, false, 0, 1, "MAU");
        assertThat(PhaseClassifier.classify(s, true)).isEqualTo(InstallPhase.INSTALLING);
    }

    @Test
    void aPlaceholderAdminPasswordAloneMeansAdminSetupPending() {
        MoodleSnapshot s = new MoodleSnapshot(true, "2024100700", "1", false, false, 1, 1, "");
        assertThat(PhaseClassifier.classify(s, false)).isEqualTo(InstallPhase.ADMIN_SETUP_PENDING);
    }

    @Test
    void aBlankShortNameIsStillPending() {
        MoodleSnapshot s = new MoodleSnapshot(true, "2024100700", "1", false, false, 0, 1, "   ");
        assertThat(PhaseClassifier.classify(s, false)).isEqualTo(InstallPhase.SITE_SETTINGS_PENDING);
    }
}
