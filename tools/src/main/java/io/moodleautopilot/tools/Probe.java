package io.moodleautopilot.tools;

import io.moodleautopilot.core.install.Credentials;
import io.moodleautopilot.core.install.DatabaseEngine;
import io.moodleautopilot.core.install.DatabaseException;
import io.moodleautopilot.core.install.InstallPhase;
import io.moodleautopilot.core.install.MoodleDatabaseReader;
import io.moodleautopilot.core.install.PhaseClassifier;
import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.io.PrintStream;
import java.util.Map;

/**
 * The operator's probe: the InstallDetector's classification against any Moodle database, from a
 * bastion. Prints the phase word alone on the last line of stdout (exit 0), or a clear error on
 * stderr (exit 2). The password comes from an environment variable, never from the command line.
 *
 * <p>{@code scripts/local probe --jdbc-url URL --user USER [--password-env VAR] [--prefix mdl_]}
 */
public final class Probe {
    static final String USAGE = "usage: scripts/local probe --jdbc-url URL --user USER [--password-env VAR] [--prefix mdl_]";

    private Probe() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String url = null;
        String user = null;
        String passwordEnv = null;
        String prefix = "mdl_";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--jdbc-url" -> url = value;
                case "--user" -> user = value;
                case "--password-env" -> passwordEnv = value;
                case "--prefix" -> prefix = value;
                default -> {
                    err.println("unknown option " + args[i] + "\n" + USAGE);
                    return 2;
                }
            }
            if (value == null) {
                err.println("option " + args[i] + " needs a value\n" + USAGE);
                return 2;
            }
            i++;
        }
        if (url == null || user == null) {
            err.println(USAGE);
            return 2;
        }
        String password = "";
        if (passwordEnv != null) {
            password = env.get(passwordEnv);
            if (password == null) {
                err.println("environment variable " + passwordEnv + " is not set");
                return 2;
            }
        }
        DatabaseEngine engine;
        String jdbcUrl;
        if (url.startsWith("jdbc:postgresql:")) {
            engine = DatabaseEngine.POSTGRESQL;
            jdbcUrl = url;
        } else if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            engine = DatabaseEngine.MYSQL;
            jdbcUrl = "jdbc:mariadb:" + url.substring(url.indexOf(':', 5) + 1); // the MariaDB driver speaks to MySQL too
        } else {
            err.println("unsupported JDBC URL (jdbc:postgresql:, jdbc:mysql: or jdbc:mariadb:)");
            return 2;
        }
        try {
            var snapshot = new MoodleDatabaseReader().read(jdbcUrl, engine, prefix, new Credentials(user, password),
                    engine + " database");
            InstallPhase phase = PhaseClassifier.classify(snapshot, false);
            out.println("database: " + engine + ", prefix " + prefix);
            out.println(phase.name());
            return 0;
        } catch (DatabaseException | ConfigurationException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
    }
}
