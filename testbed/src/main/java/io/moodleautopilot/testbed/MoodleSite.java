package io.moodleautopilot.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A Moodle database in a real PostgreSQL or MariaDB, with Moodle's own definitions of the config,
 * course and user tables (resource moodle/core-tables.txt, from lib/db/install.xml), translated to
 * SQL the way Moodle's XMLDB generators do, and the rows each installer writes in each phase.
 */
public final class MoodleSite {
    public enum Dialect { POSTGRESQL, MYSQL }

    record Field(String name, String type, String length, boolean notNull, boolean sequence, String dflt) {
    }

    private static final Map<String, List<Field>> TABLES = load();

    private final Supplier<Connection> connections;
    private final Dialect dialect;
    private final String prefix;

    public MoodleSite(Supplier<Connection> connections, Dialect dialect, String prefix) {
        this.connections = connections;
        this.dialect = dialect;
        this.prefix = prefix;
    }

    private static Map<String, List<Field>> load() {
        Map<String, List<Field>> tables = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                MoodleSite.class.getResourceAsStream("/moodle/core-tables.txt")), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] p = line.split("\\|", -1);
                if (p[1].equals("KEY") || p[1].equals("INDEX")) {
                    continue;
                }
                tables.computeIfAbsent(p[0], k -> new ArrayList<>())
                        .add(new Field(p[1], p[2], p[3], Boolean.parseBoolean(p[4]), Boolean.parseBoolean(p[5]), p[6]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tables;
    }

    /** The field count per table, to check the fixture against Moodle's definitions. */
    public static Map<String, Integer> fieldCounts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        TABLES.forEach((t, f) -> out.put(t, f.size()));
        return out;
    }

    String ddl(String table) {
        List<String> cols = new ArrayList<>();
        for (Field f : TABLES.get(table)) {
            cols.add(quote(f.name()) + " " + sqlType(f) + (f.notNull() ? " NOT NULL" : "") + defaultClause(f));
        }
        cols.add("PRIMARY KEY (id)");
        return "CREATE TABLE " + prefix + table + " (" + String.join(", ", cols) + ")";
    }

    private String quote(String column) {
        // Moodle reserves no column names here, but "password" and "value" are keywords in some SQL modes.
        return dialect == Dialect.MYSQL ? "`" + column + "`" : "\"" + column + "\"";
    }

    private String sqlType(Field f) {
        int len = f.length().isEmpty() ? 0 : Integer.parseInt(f.length().split(",")[0]);
        return switch (f.type()) {
            case "int" -> {
                if (f.sequence()) {
                    yield dialect == Dialect.POSTGRESQL ? "BIGSERIAL" : "BIGINT(10) AUTO_INCREMENT";
                }
                if (dialect == Dialect.POSTGRESQL) {
                    yield len <= 4 ? "SMALLINT" : len <= 9 ? "INTEGER" : "BIGINT";
                }
                yield len > 9 ? "BIGINT(" + len + ")" : len > 6 ? "INT(" + len + ")" : len > 4 ? "MEDIUMINT(" + len + ")"
                        : len > 2 ? "SMALLINT(" + len + ")" : "TINYINT(" + len + ")";
            }
            case "char" -> "VARCHAR(" + len + ")";
            case "text" -> dialect == Dialect.POSTGRESQL ? "TEXT" : "LONGTEXT";
            case "number" -> (dialect == Dialect.POSTGRESQL ? "NUMERIC(" : "DECIMAL(") + f.length() + ")";
            case "float" -> dialect == Dialect.POSTGRESQL ? "DOUBLE PRECISION" : "DOUBLE";
            case "binary" -> dialect == Dialect.POSTGRESQL ? "BYTEA" : "LONGBLOB";
            default -> throw new IllegalStateException("unknown XMLDB type " + f.type());
        };
    }

    private static String defaultClause(Field f) {
        if (f.sequence() || f.dflt().isEmpty()) {
            return "";
        }
        String d = f.dflt().equals("''") ? "" : f.dflt();
        return f.type().equals("int") || f.type().equals("number") || f.type().equals("float")
                ? " DEFAULT " + d : " DEFAULT '" + d.replace("'", "''") + "'";
    }

    private void exec(String sql, Object... args) {
        try (Connection c = connections.get(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.execute();
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Drops this prefix's tables: an empty database again. */
    public MoodleSite drop() {
        for (String t : TABLES.keySet()) {
            exec("DROP TABLE IF EXISTS " + prefix + t);
        }
        return this;
    }

    /** The installer's first step: every table created from install.xml, no rows yet. */
    public MoodleSite createTables() {
        for (String t : TABLES.keySet()) {
            exec(ddl(t));
        }
        return this;
    }

    /** Only the config table, as when the installer is half-way through creating tables. */
    public MoodleSite createConfigTableOnly() {
        exec(ddl("config"));
        return this;
    }

    public MoodleSite setConfig(String name, String value) {
        unsetConfig(name);
        exec("INSERT INTO " + prefix + "config (name, " + quote("value") + ") VALUES (?, ?)", name, value);
        return this;
    }

    public MoodleSite unsetConfig(String name) {
        exec("DELETE FROM " + prefix + "config WHERE name = ?", name);
        return this;
    }

    /** The front page course, as install_core creates it (format 'site', names empty until set). */
    public MoodleSite addSiteCourse(String shortname) {
        insert("course", Map.of("category", 0, "fullname", shortname.isEmpty() ? "" : shortname + " site",
                "shortname", shortname, "format", "site", "visible", 1));
        return this;
    }

    public MoodleSite setSiteNames(String fullname, String shortname) {
        exec("UPDATE " + prefix + "course SET fullname = ?, shortname = ? WHERE format = 'site'", fullname, shortname);
        return this;
    }

    public MoodleSite addUser(String username, String password, boolean deleted) {
        insert("user", Map.of("username", username, "password", password, "deleted", deleted ? 1 : 0,
                "confirmed", 1, "mnethostid", 1, "auth", "manual", "email", username + "@example.org"));
        return this;
    }

    public MoodleSite setPassword(String username, String password) {
        exec("UPDATE " + prefix + "user SET " + quote("password") + " = ? WHERE username = ?", password, username);
        return this;
    }

    /** Inserts a row; NOT NULL columns without a default get an empty value, as Moodle's code would set. */
    private void insert(String table, Map<String, Object> values) {
        List<String> cols = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        for (Field f : TABLES.get(table)) {
            if (f.sequence()) {
                continue;
            }
            if (values.containsKey(f.name())) {
                cols.add(quote(f.name()));
                args.add(values.get(f.name()));
            } else if (f.notNull() && f.dflt().isEmpty()) {
                cols.add(quote(f.name()));
                args.add(f.type().equals("int") || f.type().equals("number") ? (Object) 0 : "");
            }
        }
        exec("INSERT INTO " + prefix + table + " (" + String.join(", ", cols) + ") VALUES ("
                + String.join(", ", cols.stream().map(c -> "?").toList()) + ")", args.toArray());
    }

    // --- the phases as each installer leaves them ---------------------------------------------

    /** install_core has written the version but roles are not active yet. */
    public MoodleSite coreInstalling() {
        createTables();
        setConfig("version", "2024100700");
        return this;
    }

    /** Both installers: core done, plugins installing under upgraderunning. */
    public MoodleSite pluginsInstalling() {
        coreInstalling();
        setConfig("rolesactive", "1");
        setConfig("upgraderunning", "1795380000");
        setConfig("registrationpending", "1");
        addSiteCourse("");
        addUser("guest", "$2y$10$guestguestguestguestgu", false);
        return this;
    }

    /** Web wizard: plugins done, waiting for the admin account. */
    public MoodleSite wizardAdminSetupPending() {
        pluginsInstalling();
        unsetConfig("upgraderunning");
        setConfig("adminsetuppending", "1");
        addUser("admin", "adminsetuppending", false);
        return this;
    }

    /** Web wizard: admin saved, front page settings not yet. */
    public MoodleSite wizardSiteSettingsPending() {
        wizardAdminSetupPending();
        setPassword("admin", "$2y$10$abcdefghijklmnopqrstuv");
        unsetConfig("adminsetuppending");
        return this;
    }

    /** CLI installer: upgrade run finished, roles active, admin password set, site names still empty. */
    public MoodleSite cliBeforeSiteNames() {
        pluginsInstalling();
        unsetConfig("upgraderunning");
        addUser("admin", "$2y$10$abcdefghijklmnopqrstuv", false);
        return this;
    }

    /** Either installer, finished. */
    public MoodleSite complete() {
        wizardSiteSettingsPending();
        setSiteNames("Moodle Autopilot University", "MAU");
        return this;
    }

    /** A complete site running an upgrade. */
    public MoodleSite upgrading() {
        complete();
        setConfig("upgraderunning", "1795390000");
        return this;
    }

    public static Supplier<Connection> connections(javax.sql.DataSource ds) {
        return () -> {
            try {
                return ds.getConnection();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    public static Supplier<Connection> connections(String url, String user, String password) {
        return () -> {
            try {
                return java.sql.DriverManager.getConnection(url, user, password);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    public static void run(Supplier<Connection> connections, String sql) {
        try (Connection c = connections.get(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
