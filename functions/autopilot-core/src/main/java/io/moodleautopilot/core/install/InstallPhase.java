package io.moodleautopilot.core.install;

/** Where a Moodle site stands, read from Moodle's own tables (docs/architecture.md, install phases). */
public enum InstallPhase {
    /** No config table: an empty database. */
    NOT_INSTALLED,
    /** Tables exist but core is not installed yet: no version, roles not active, or the first install running. */
    INSTALLING,
    /** The web installer is waiting for the admin account to be set up. */
    ADMIN_SETUP_PENDING,
    /** The site course still has no short name: the front page settings are not saved yet. */
    SITE_SETTINGS_PENDING,
    /** Installation finished. */
    COMPLETE,
    /** A complete site running an upgrade. */
    UPGRADING
}
