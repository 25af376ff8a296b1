package io.moodleautopilot.bundle;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real PostgreSQL (embedded binaries) that checks passwords as Aurora does (md5 in pg_hba, which
 * also accepts SCRAM verifiers), logs every statement to files, and hands out sites shaped like an
 * Aurora cluster's: a database owned by a master role that is not a superuser but has CREATEROLE
 * (like the rds_superuser master), with schema public as PostgreSQL 15 and later create it (owned
 * by pg_database_owner, no CREATE for PUBLIC). Only the superuser "postgres" logs in without one.
 */
final class PasswordPostgres implements AutoCloseable {
    private static final AtomicInteger SITES = new AtomicInteger();

    private final EmbeddedPostgres pg;
    private final Path logs;

    private PasswordPostgres(EmbeddedPostgres pg, Path logs) {
        this.pg = pg;
        this.logs = logs;
    }

    static PasswordPostgres start() {
        try {
            Path dir = Files.createTempDirectory("pg-password-");
            Path hba = dir.resolve("pg_hba.conf");
            Files.writeString(hba, """
                    local all postgres trust
                    host  all postgres 127.0.0.1/32 trust
                    host  all postgres ::1/128 trust
                    host  all all 127.0.0.1/32 md5
                    host  all all ::1/128 md5
                    """);
            Path logs = Files.createDirectories(dir.resolve("log"));
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setServerConfig("hba_file", hba.toString())
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("logging_collector", "on")
                    .setServerConfig("log_directory", logs.toString())
                    .setServerConfig("log_statement", "all")
                    .start();
            return new PasswordPostgres(pg, logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh database owned by a fresh master role with the given password. */
    record Site(int port, String database, String master, String masterPassword) {
    }

    Site newSite(String masterPassword) {
        int n = SITES.incrementAndGet();
        Site site = new Site(pg.getPort(), "site_" + n, "master_" + n, masterPassword);
        admin("postgres", "CREATE ROLE " + site.master() + " LOGIN CREATEROLE CREATEDB PASSWORD " + literal(masterPassword),
                "CREATE DATABASE " + site.database() + " OWNER " + site.master());
        // PostgreSQL 15's schema public (Aurora PostgreSQL 16 has it): the database owner's, no CREATE for PUBLIC.
        admin(site.database(), "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "ALTER SCHEMA public OWNER TO pg_database_owner");
        return site;
    }

    /** A string literal (standard_conforming_strings is on: only quotes are doubled). */
    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** Statements as the superuser, in a database. */
    void admin(String database, String... sql) {
        try (Connection c = DriverManager.getConnection(url(database), "postgres", "");
             Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + database;
    }

    Connection login(String database, String user, String password) throws SQLException {
        return DriverManager.getConnection(url(database), user, password);
    }

    /** Everything the server has logged so far (every statement it received). */
    String serverLog() {
        try (Stream<Path> files = Files.list(logs)) {
            return files.sorted().map(Bundle::read).collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
