package io.moodleautopilot.core.install;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Reads a {@link MoodleSnapshot} over JDBC: TLS, short connect and statement timeouts, one query in
 * a read-only transaction that is rolled back. A missing table is not an error: it means the
 * database is empty or the installer is still creating tables.
 */
public final class MoodleDatabaseReader {

    public MoodleSnapshot read(DatabaseTarget target, Credentials credentials) {
        Properties props = new Properties();
        props.setProperty("user", credentials.username());
        props.setProperty("password", credentials.password());
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), props)) {
            c.setReadOnly(true);
            c.setAutoCommit(false);
            try {
                return snapshot(c, target);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw translate(e, target);
        }
    }

    private static MoodleSnapshot snapshot(Connection c, DatabaseTarget target) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.setQueryTimeout(DatabaseTarget.STATEMENT_TIMEOUT_SECONDS);
            try (ResultSet rs = st.executeQuery(SnapshotQuery.forPrefix(target.prefix()))) {
                rs.next();
                return new MoodleSnapshot(true, rs.getString("version"), rs.getString("rolesactive"),
                        rs.getLong("upgraderunning") > 0, rs.getLong("adminsetuppending") > 0,
                        rs.getLong("pendingadmins"), rs.getLong("sitecourses"), rs.getString("siteshortname"));
            }
        } catch (SQLException e) {
            if (!undefinedTable(e)) {
                throw e;
            }
        }
        // Only when a table is missing: a second, rare round trip to tell "empty" from "being created".
        c.rollback(); // PostgreSQL aborts the transaction on the failed statement
        try (PreparedStatement ps = c.prepareStatement(SnapshotQuery.configTableExists(target.engine()))) {
            ps.setString(1, target.prefix() + "config");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0 ? MoodleSnapshot.tablesBeingCreated() : MoodleSnapshot.emptyDatabase();
            }
        }
    }

    /** PostgreSQL 42P01, MySQL/MariaDB 42S02 (error 1146). */
    private static boolean undefinedTable(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "42S02".equals(e.getSQLState()) || e.getErrorCode() == 1146;
    }

    private static DatabaseException translate(SQLException e, DatabaseTarget target) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = target.engine() + " at " + target.host() + ":" + target.port() + "/" + target.database();
        if (state.startsWith("28") || e.getErrorCode() == 1045) {
            return new DatabaseException(DatabaseException.Kind.AUTHENTICATION,
                    "authentication failed for " + where + " (SQLState " + state + ")", null);
        }
        if (state.startsWith("08") || state.isEmpty() && e.getMessage() != null && e.getMessage().contains("connect")) {
            return new DatabaseException(DatabaseException.Kind.UNREACHABLE,
                    "cannot connect to " + where + " (SQLState " + state + ")", null);
        }
        return new DatabaseException(DatabaseException.Kind.QUERY,
                "query failed on " + where + " (SQLState " + state + ", error " + e.getErrorCode() + ")", null);
    }
}
