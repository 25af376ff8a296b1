package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.regex.Pattern;

/**
 * The one query that reads every install signal: scalar subqueries without FROM, valid in both
 * PostgreSQL and MySQL/MariaDB, so the classification costs a single round trip. The table prefix is
 * the only variable part and is validated, never quoted user input.
 */
public final class SnapshotQuery {
    /** Moodle accepts letters, digits and underscores in $CFG->prefix. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_]{0,30}");

    private SnapshotQuery() {
    }

    public static String forPrefix(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new ConfigurationException("table prefix must be letters, digits and underscores, got '" + prefix + "'");
        }
        String c = prefix + "config";
        return "SELECT"
                + " (SELECT value FROM " + c + " WHERE name = 'version') AS version,"
                + " (SELECT value FROM " + c + " WHERE name = 'rolesactive') AS rolesactive,"
                + " (SELECT COUNT(*) FROM " + c + " WHERE name = 'upgraderunning') AS upgraderunning,"
                + " (SELECT COUNT(*) FROM " + c + " WHERE name = 'adminsetuppending') AS adminsetuppending,"
                + " (SELECT COUNT(*) FROM " + prefix + "user WHERE deleted = 0 AND password = 'adminsetuppending') AS pendingadmins,"
                + " (SELECT COUNT(*) FROM " + prefix + "course WHERE format = 'site') AS sitecourses,"
                + " (SELECT MIN(shortname) FROM " + prefix + "course WHERE format = 'site') AS siteshortname";
    }

    /** Run only when the main query found a table missing: does the config table exist? */
    public static String configTableExists(DatabaseEngine engine) {
        return engine == DatabaseEngine.POSTGRESQL
                ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
                : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
    }
}
