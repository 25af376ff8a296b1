package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A REAL Moodle 4.5.6, installed once per test JVM and shared by the test classes that run the
 * bundle's Moodle scripts (moodle/apply-settings.php, moodle/configure-muc.php,
 * scripts/apply-moodle-config.sh) against it:
 * <ul>
 * <li>the release archive ../shared/moodle/moodle-4.5.6.tgz (found as HealthPageTest finds it; the
 * tests are skipped when it is not there), unpacked whole into a temporary directory;</li>
 * <li>its database {@value #DB} in the embedded PostgreSQL the other tests use
 * (EmbeddedPostgresExtension: one server per run);</li>
 * <li>config.php rendered by the bundle's own config/render-config.php, plus two probe lines for the tests
 * (see {@link #probe}); the bundle's config/php-moodle.ini loaded by every PHP process, as
 * /etc/php.d/90-moodle.ini is on the instances;</li>
 * <li>the install by the bundle's config/install-database.php (the admin secret on stdin), with the
 * options bootstrap.sh gives it, as the user running the tests (Moodle's CLI does not refuse root;
 * as root everything here belongs to root, which stands for the web server's user).</li>
 * </ul>
 * After the install the database is kept as a template ({@value #SNAPSHOT}) and moodledata as a
 * copy: {@link #restore()} brings both (and config.php) back to the freshly installed site, so each
 * test starts from the same Moodle whatever the one before it did (and does nothing when Moodle
 * was not even loaded since the last restore).
 */
final class InstalledMoodle {
    static final String DB = "moodle_real";
    static final String SNAPSHOT = "moodle_real_installed";
    /** A copy of SNAPSHOT made in the background, renamed to DB by the next restore(). */
    static final String SPARE = "moodle_real_spare";
    static final String EMPTY_DB = "moodle_real_empty";
    static final String DB_USER = "postgres";
    static final String DB_PASSWORD = "unused-local-trust";
    static final String ADMIN_PASSWORD = "Real-Moodle-admin-1!";
    static final String FULLNAME = "Autopilot Real Moodle";
    /**
     * The lines the fixture adds to the rendered config.php, before it requires lib/setup.php: loading
     * config.php (that is, loading Moodle) appends a line to root/config-php-loaded, which tells
     * restore() that Moodle may have changed something; and, when AUTOPILOT_TEST_CONFIG_LOADED
     * names a file, to that file too, which lets a test show that a script refused its input BEFORE
     * it loaded Moodle.
     */
    static String probe(Path root) {
        return "file_put_contents(" + phpString(root.resolve(LOADED_MARKER).toString()) + ", \"loaded\\n\", FILE_APPEND);\n"
                + "if (($autopilottestprobe = getenv('AUTOPILOT_TEST_CONFIG_LOADED')) !== false) {"
                + " file_put_contents($autopilottestprobe, \"loaded\\n\", FILE_APPEND); }\n";
    }

    static String phpString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    static final String LOADED_MARKER = "config-php-loaded";
    static final String SETUP_LINE = "require_once(__DIR__ . '/lib/setup.php');";

    private static InstalledMoodle site;
    private static Throwable failed;

    final EmbeddedPostgres pg;
    final Path root;
    final Path dirroot;
    final Path dataroot;
    final Path localcache;
    final Path iniDir;
    final Duration installTook;
    private final Path datarootSnapshot;
    private final String pristineConfig;
    /** Set by what changes the site other than by loading Moodle (SQL, config.php edits); cleared by restore(). */
    private boolean dirty;
    /** The copy of SNAPSHOT to rename to DB at the next restore(), once made. */
    private Future<?> spare = CompletableFuture.completedFuture(null);
    private static final ExecutorService SPARE_MAKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "installed-moodle-spare-database");
        t.setDaemon(true);
        return t;
    });

    private InstalledMoodle(EmbeddedPostgres pg, Path root, Duration installTook, String pristineConfig) {
        this.pg = pg;
        this.root = root;
        this.dirroot = root.resolve("moodle");
        this.dataroot = root.resolve("moodledata");
        this.localcache = root.resolve("localcache");
        this.iniDir = root.resolve("php.d");
        this.datarootSnapshot = root.resolve("moodledata.installed");
        this.installTook = installTook;
        this.pristineConfig = pristineConfig;
    }

    /**
     * The installed site: installed by the first caller in this JVM, then shared. Skips the test
     * when the release archive is not here; fails every caller when the install failed once.
     */
    static synchronized InstalledMoodle get(EmbeddedPostgres pg) {
        Path archive = HealthPageTest.releaseArchive();
        assumeTrue(archive != null, "no Moodle release archive here (MOODLE_RELEASE_TGZ, ../shared/moodle or ~/.cache/moodle-autopilot)");
        if (failed != null) {
            throw new AssertionError("installing Moodle failed earlier in this run", failed);
        }
        if (site == null) {
            try {
                site = install(pg, archive);
            } catch (Throwable t) {
                failed = t;
                throw t;
            }
        } else if (site.pg != pg) {
            throw new IllegalStateException("a second embedded PostgreSQL in one run: the installed Moodle lives in the first");
        }
        return site;
    }

    private static InstalledMoodle install(EmbeddedPostgres pg, Path archive) {
        requirePhpExtensions();
        long started = System.nanoTime();
        Path root;
        try {
            root = Files.createTempDirectory("installed-moodle-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Bundle.run(command("rm", "-rf", root.toString()))));
        // The whole release: moodle/ in the archive becomes root/moodle (dirroot).
        Bundle.Result tar = Bundle.run(command("tar", "-xzf", archive.toString(), "-C", root.toString(), "--no-same-owner"));
        assertThat(tar.exit()).as("unpacking %s: %s", archive, tar.all()).isZero();
        Path dirroot = root.resolve("moodle");
        assertThat(dirroot.resolve("version.php")).isRegularFile();
        try {
            Files.createDirectories(root.resolve("moodledata"));
            Files.createDirectories(root.resolve("localcache"));
            Files.createDirectories(root.resolve("php.d"));
            Files.copy(Bundle.files().resolve("config/php-moodle.ini"), root.resolve("php.d/90-moodle.ini"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sql(pg, "postgres", "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)", "DROP DATABASE IF EXISTS " + SNAPSHOT,
                "CREATE DATABASE " + DB + " ENCODING 'UTF8' TEMPLATE template0");
        // render-config.php writes root/site.json; config.php goes into dirroot; dataroot is root/moodledata.
        HealthPageTest.renderConfig(root, dirroot, "pgsql", pg.getPort(), DB, "false", DB_USER, DB_PASSWORD);
        String rendered = Bundle.read(dirroot.resolve("config.php"));
        assertThat(rendered).contains(SETUP_LINE);
        String config = rendered.replace(SETUP_LINE, probe(root) + SETUP_LINE);
        Bundle.write(dirroot.resolve("config.php"), config);

        InstalledMoodle moodle = new InstalledMoodle(pg, root, Duration.ZERO, config);
        // bootstrap.sh's unattended install: install-database.php DIRROOT --agree-license --lang=en
        // --adminemail --fullname --shortname, the admin secret as JSON on stdin.
        Path log = root.resolve("install.log");
        ProcessBuilder pb = new ProcessBuilder(Bundle.php(), Bundle.files().resolve("config/install-database.php").toString(),
                dirroot.toString(), "--agree-license", "--lang=en", "--adminemail=admin@example.edu",
                "--fullname=" + FULLNAME, "--shortname=real")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(moodle.phpEnv());
        long installStarted = System.nanoTime();
        try {
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                in.write(Bundle.json(Map.of("username", "admin", "password", ADMIN_PASSWORD)).getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("Moodle's installer did not finish in 15 minutes (" + log + ")");
            }
            String output = Bundle.read(log);
            assertThat(p.exitValue()).as("install-database.php (its output: %s)", tail(output)).isZero();
            assertThat(output).doesNotContain(ADMIN_PASSWORD);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        Duration install = Duration.ofNanos(System.nanoTime() - installStarted);
        // The installed state, kept: the database as a template (and a first spare copy of it),
        // moodledata as a copy.
        sql(pg, "postgres", "DROP DATABASE IF EXISTS " + SPARE, "CREATE DATABASE " + SNAPSHOT + " TEMPLATE " + DB,
                "CREATE DATABASE " + SPARE + " TEMPLATE " + SNAPSHOT);
        Bundle.Result cp = Bundle.run(command("cp", "-a", root.resolve("moodledata").toString(),
                root.resolve("moodledata.installed").toString()));
        assertThat(cp.exit()).as(cp.all()).isZero();
        try {
            Files.deleteIfExists(root.resolve(LOADED_MARKER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.printf("InstalledMoodle: Moodle 4.5.6 in %s: unpacked and configured in %.1f s, installed in %.1f s,"
                + " snapshot in %.1f s%n", root, (installStarted - started) / 1e9, install.toMillis() / 1000.0,
                (System.nanoTime() - installStarted - install.toNanos()) / 1e9);
        return new InstalledMoodle(pg, root, install, config);
    }

    /** The PHP extensions Moodle's installer insists on (admin/environment.xml) and the redis store's. */
    static final List<String> EXTENSIONS = List.of("iconv", "mbstring", "curl", "openssl", "ctype", "zip", "zlib", "gd",
            "simplexml", "spl", "pcre", "dom", "xml", "xmlreader", "intl", "json", "hash", "fileinfo", "sodium", "pgsql",
            "redis");

    private static void requirePhpExtensions() {
        Bundle.Result m = Bundle.run(command(Bundle.php(), "-m"));
        Set<String> have = new TreeSet<>(m.stdout().toLowerCase().lines().map(String::strip).toList());
        List<String> missing = EXTENSIONS.stream().filter(e -> !have.contains(e)).toList();
        assertThat(missing).as("PHP extensions a real Moodle needs (scripts/lib.sh ensure_test_packages installs them)")
                .isEmpty();
    }

    private static String tail(String text) {
        List<String> lines = text.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }

    /** restore(), when a site was installed in this JVM. */
    static synchronized void restoreIfInstalled() {
        if (site != null) {
            site.restore();
        }
    }

    /**
     * Back to the freshly installed site: database, moodledata, an empty localcache, config.php.
     * Only when something may have changed it: Moodle was loaded (root/config-php-loaded), or a
     * test wrote SQL or edited config.php through this class. The database comes back as the spare
     * copy made in the background after the previous restore (CREATE DATABASE ... TEMPLATE takes
     * ~1.5 s here: its checkpoint), renamed.
     */
    synchronized void restore() {
        Path marker = root.resolve(LOADED_MARKER);
        if (!dirty && !Files.exists(marker)) {
            return;
        }
        try {
            spare.get();
        } catch (ExecutionException e) {
            throw new AssertionError("copying the installed database failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        sql(pg, "postgres", "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)", "ALTER DATABASE " + SPARE + " RENAME TO " + DB);
        spare = SPARE_MAKER.submit(() -> sql(pg, "postgres", "CREATE DATABASE " + SPARE + " TEMPLATE " + SNAPSHOT));
        Bundle.Result r = Bundle.run(command("bash", "-c", "rm -rf \"$1\" \"$2\" && cp -a \"$3\" \"$1\" && mkdir \"$2\"", "-",
                dataroot.toString(), localcache.toString(), datarootSnapshot.toString()));
        assertThat(r.exit()).as(r.all()).isZero();
        Bundle.write(dirroot.resolve("config.php"), pristineConfig);
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dirty = false;
    }

    /** config.php with these PHP lines added before it requires lib/setup.php (restore() undoes it). */
    void addToConfigPhp(String lines) {
        dirty = true;
        Bundle.write(dirroot.resolve("config.php"), pristineConfig.replace(SETUP_LINE, lines + "\n" + SETUP_LINE));
    }

    /** config.php for an empty database, EMPTY_DB (Moodle not installed); restore() undoes it. */
    void pointAtAnEmptyDatabase() {
        sql(pg, "postgres", "DROP DATABASE IF EXISTS " + EMPTY_DB + " WITH (FORCE)",
                "CREATE DATABASE " + EMPTY_DB + " ENCODING 'UTF8' TEMPLATE template0");
        Path scratch = root.resolve("empty-config");
        HealthPageTest.renderConfig(root, scratch, "pgsql", pg.getPort(), EMPTY_DB, "false", DB_USER, DB_PASSWORD);
        Bundle.write(dirroot.resolve("config.php"), Bundle.read(scratch.resolve("config.php")).replace(SETUP_LINE, probe(root) + SETUP_LINE));
        dirty = true;
    }

    /** What every PHP process here gets: the bundle's php-moodle.ini after the package's own files. */
    Map<String, String> phpEnv() {
        return Map.of("PHP_INI_SCAN_DIR", ":" + iniDir);
    }

    /** php with the bundle's ini, in root; env is added to phpEnv(). */
    Bundle.Result php(List<String> args, String stdin, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of(Bundle.php()));
        cmd.addAll(args);
        Map<String, String> all = new LinkedHashMap<>(phpEnv());
        all.putAll(env);
        return Bundle.run(cmd, all, stdin, root);
    }

    /**
     * Runs PHP code with Moodle loaded (as an admin/cli script: CLI_SCRIPT, config.php), in a file
     * of its own; the code's output is the result's stdout.
     */
    Bundle.Result withMoodle(String code) {
        Path script;
        try {
            script = Files.createTempFile(root, "snippet-", ".php");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Bundle.write(script, "<?php\ndefine('CLI_SCRIPT', true);\nrequire('" + dirroot.resolve("config.php") + "');\n" + code + "\n");
        Bundle.Result r = php(List.of(script.toString()), null, Map.of());
        assertThat(r.exit()).as("PHP with Moodle loaded: %s", r.all()).isZero();
        return r;
    }

    /** A JDBC connection to the installed site's database. */
    Connection connect() throws SQLException {
        return pg.getDatabase(DB_USER, DB).getConnection();
    }

    /** mdl_config's value, or null when the row does not exist. */
    String config(String name) {
        return queryOne("SELECT value FROM mdl_config WHERE name = ?", name);
    }

    /** mdl_config_plugins' value, or null when the row does not exist. */
    String pluginConfig(String plugin, String name) {
        return queryOne("SELECT value FROM mdl_config_plugins WHERE plugin = ? AND name = ?", plugin, name);
    }

    /** The rows of mdl_config_log as "plugin|name|oldvalue|value" (plugin and oldvalue may be "null"), oldest first. */
    List<String> configLog() {
        return queryAll("SELECT plugin, name, oldvalue, value FROM mdl_config_log ORDER BY id");
    }

    long lastConfigLogId() {
        return Long.parseLong(queryOne("SELECT COALESCE(max(id), 0) FROM mdl_config_log"));
    }

    long configLogCount() {
        return Long.parseLong(queryOne("SELECT count(*) FROM mdl_config_log"));
    }

    String queryOne(String sql, String... params) {
        List<String> rows = queryAll(sql, params);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** Each row's columns joined by '|' (NULL as "null"). */
    List<String> queryAll(String sql, String... params) {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setString(i + 1, params[i]);
            }
            List<String> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder b = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        b.append(i > 1 ? "|" : "").append(rs.getString(i));
                    }
                    rows.add(b.toString());
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** Statements on the site's database (e.g. a trigger that makes PostgreSQL refuse a write). */
    void execute(String... statements) {
        dirty = true;
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** dataroot/muc/config.php, Moodle's cache configuration file (null when absent). */
    String mucConfigFile() {
        Path f = dataroot.resolve("muc/config.php");
        return Files.exists(f) ? Bundle.read(f) : null;
    }

    static void sql(EmbeddedPostgres pg, String database, String... statements) {
        try (Connection c = pg.getDatabase(DB_USER, database).getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new AssertionError(String.join("; ", statements) + ": " + e.getMessage(), e);
        }
    }
}
