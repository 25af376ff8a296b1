package io.moodleautopilot.core.install;

/**
 * Decides the install phase from Moodle's own data. Checked against Moodle's web installer and CLI
 * installer orders: the web wizard writes 'adminsetuppending' and a placeholder admin password, then
 * waits for the front page settings; the CLI installer never writes 'adminsetuppending' but has a
 * window where roles are active and the site names are still empty. Neither 'registrationpending'
 * (it stays 1), 'branch', 'lastlogin', nor the admin's name or email say anything about completion.
 */
public final class PhaseClassifier {
    private PhaseClassifier() {
    }

    /**
     * @param completeBefore whether the site was known to be complete earlier (the setup flag says
     *                       Yes); without it, a running upgrade on a site whose admin and front page
     *                       are set up is still recognised as an upgrade, because a first install
     *                       sets the site's short name only after its upgrade run has finished
     */
    public static InstallPhase classify(MoodleSnapshot s, boolean completeBefore) {
        if (!s.configTable()) {
            return InstallPhase.NOT_INSTALLED;
        }
        if (s.version() == null || !"1".equals(s.rolesActive())) {
            return InstallPhase.INSTALLING;
        }
        boolean adminPending = s.adminSetupPending() || s.pendingAdmins() > 0;
        boolean siteNamed = s.siteCourses() > 0 && s.siteShortname() != null && !s.siteShortname().isBlank();
        if (s.upgradeRunning()) {
            return completeBefore || (siteNamed && !adminPending) ? InstallPhase.UPGRADING : InstallPhase.INSTALLING;
        }
        if (adminPending) {
            return InstallPhase.ADMIN_SETUP_PENDING;
        }
        if (s.siteCourses() == 0) {
            return InstallPhase.INSTALLING;
        }
        if (!siteNamed) {
            return InstallPhase.SITE_SETTINGS_PENDING;
        }
        return InstallPhase.COMPLETE;
    }
}
