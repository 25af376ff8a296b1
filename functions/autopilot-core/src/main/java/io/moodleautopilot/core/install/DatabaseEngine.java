package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.util.Locale;

/** Moodle's $CFG->dbtype values for the engines Aurora offers, and how to reach each over JDBC. */
public enum DatabaseEngine {
    POSTGRESQL(5432), MYSQL(3306);

    private final int defaultPort;

    DatabaseEngine(int defaultPort) {
        this.defaultPort = defaultPort;
    }

    public int defaultPort() {
        return defaultPort;
    }

    /** Accepts Moodle's dbtype names: pgsql; auroramysql, mysqli, mariadb. */
    public static DatabaseEngine fromMoodleDbType(String dbtype) {
        String t = dbtype == null ? "" : dbtype.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "pgsql", "postgres", "postgresql", "aurora-postgresql" -> POSTGRESQL;
            case "auroramysql", "mysqli", "mariadb", "mysql", "aurora-mysql" -> MYSQL;
            default -> throw new ConfigurationException("unknown database type '" + dbtype
                    + "' (expected pgsql, auroramysql, mysqli or mariadb)");
        };
    }
}
