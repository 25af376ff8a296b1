package io.moodleautopilot.core.install;

import io.moodleautopilot.core.lifecycle.ConfigurationException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where Moodle's database is and how to reach it.
 *
 * @param tls      {@code verify-full} (certificate and host name checked against {@code caBundle}),
 *                 {@code require} (encrypted, certificate not checked) or {@code disable} (tests and
 *                 the operator probe only; template.yaml never allows it)
 * @param caBundle path of a PEM bundle for verify-full, or empty
 */
public record DatabaseTarget(DatabaseEngine engine, String host, int port, String database, String prefix,
                             String tls, String caBundle) {
    public static final int CONNECT_TIMEOUT_SECONDS = 5;
    public static final int STATEMENT_TIMEOUT_SECONDS = 5;

    public DatabaseTarget {
        if (host == null || host.isBlank()) {
            throw new ConfigurationException("database host is not set");
        }
        if (database == null || database.isBlank()) {
            throw new ConfigurationException("database name is not set");
        }
        tls = tls == null || tls.isBlank() ? "require" : tls.trim().toLowerCase(Locale.ROOT);
        if (!tls.equals("verify-full") && !tls.equals("require") && !tls.equals("disable")) {
            throw new ConfigurationException("database TLS mode must be verify-full, require or disable, got '" + tls + "'");
        }
        if (tls.equals("verify-full") && (caBundle == null || caBundle.isBlank())) {
            throw new ConfigurationException("database TLS mode verify-full needs a CA bundle");
        }
        caBundle = caBundle == null ? "" : caBundle;
        SnapshotQuery.forPrefix(prefix); // validates
    }

    /** The JDBC URL, with TLS and short timeouts; never credentials (they go in connection properties). */
    public String jdbcUrl() {
        String db = URLEncoder.encode(database, StandardCharsets.UTF_8);
        if (engine == DatabaseEngine.POSTGRESQL) {
            String sslmode = switch (tls) {
                case "verify-full" -> "verify-full&sslrootcert=" + URLEncoder.encode(caBundle, StandardCharsets.UTF_8);
                case "require" -> "require";
                default -> "disable";
            };
            return "jdbc:postgresql://" + host + ":" + port + "/" + db
                    + "?sslmode=" + sslmode
                    + "&connectTimeout=" + CONNECT_TIMEOUT_SECONDS
                    + "&loginTimeout=" + CONNECT_TIMEOUT_SECONDS
                    + "&socketTimeout=" + (STATEMENT_TIMEOUT_SECONDS * 2)
                    + "&options=" + URLEncoder.encode("-c statement_timeout=" + STATEMENT_TIMEOUT_SECONDS * 1000,
                    StandardCharsets.UTF_8)
                    + "&ApplicationName=moodle-autopilot-install-detector";
        }
        String sslMode = switch (tls) {
            case "verify-full" -> "verify-full&serverSslCert=" + URLEncoder.encode(caBundle, StandardCharsets.UTF_8);
            case "require" -> "trust";
            default -> "disable";
        };
        return "jdbc:mariadb://" + host + ":" + port + "/" + db
                + "?sslMode=" + sslMode
                + "&connectTimeout=" + CONNECT_TIMEOUT_SECONDS * 1000
                + "&socketTimeout=" + STATEMENT_TIMEOUT_SECONDS * 2000
                + "&sessionVariables=max_statement_time=" + STATEMENT_TIMEOUT_SECONDS;
    }
}
