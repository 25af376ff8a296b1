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
        return read(target.jdbcUrl(), target.engine(), target.prefix(), credentials,
                target.engine() + " at " + target.host() + ":" + target.port() + "/" + target.database());
    }

    /**
     * @param where how to name the database in an error message (never the URL, which an operator
     *              may have written with a password in it)
     */
    public MoodleSnapshot read(String jdbcUrl, DatabaseEngine engine, String prefix, Credentials credentials,
                               String where) {
        Properties props = new Properties();
        if (credentials.username() != null && !credentials.username().isEmpty()) {
            props.setProperty("user", credentials.username());
        }
        if (credentials.password() != null) {
            props.setProperty("password", credentials.password());
        }
        String query = SnapshotQuery.forPrefix(prefix);
        try (Connection c = DriverManager.getConnection(jdbcUrl, props)) {
            c.setReadOnly(true);
            c.setAutoCommit(false);
            try {
                return snapshot(c, engine, prefix, query);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw translate(e, where);
        }
    }

    private static MoodleSnapshot snapshot(Connection c, DatabaseEngine engine, String prefix, String query)
            throws SQLException {
        try (Statement st = c.createStatement()) {
            st.setQueryTimeout(DatabaseTarget.STATEMENT_TIMEOUT_SECONDS);
            try (ResultSet rs = st.executeQuery(query)) {
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
        try (PreparedStatement ps = c.prepareStatement(SnapshotQuery.configTableExists(engine))) {
            ps.setString(1, prefix + "config");
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

    private static DatabaseException translate(SQLException e, String where) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
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
