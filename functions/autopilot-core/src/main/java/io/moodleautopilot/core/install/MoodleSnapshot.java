package io.moodleautopilot.core.install;

/**
 * The install signals of one Moodle database, as read in one query.
 *
 * @param configTable      whether the config table exists at all
 * @param version          config 'version', or null when absent
 * @param rolesActive      config 'rolesactive', or null when absent
 * @param upgradeRunning   whether a config 'upgraderunning' row exists
 * @param adminSetupPending whether a config 'adminsetuppending' row exists
 * @param pendingAdmins    non-deleted users whose password is the literal 'adminsetuppending'
 * @param siteCourses      courses with format 'site' (0 before the installer creates the front page)
 * @param siteShortname    the site course's short name, or null when there is no site course
 */
public record MoodleSnapshot(boolean configTable, String version, String rolesActive, boolean upgradeRunning,
                             boolean adminSetupPending, long pendingAdmins, long siteCourses, String siteShortname) {

    public static MoodleSnapshot emptyDatabase() {
        return new MoodleSnapshot(false, null, null, false, false, 0, 0, null);
    }

    /** Tables exist but not all of them yet (the installer is creating them). */
    public static MoodleSnapshot tablesBeingCreated() {
        return new MoodleSnapshot(true, null, null, false, false, 0, 0, null);
    }
}
