package io.moodleautopilot.core.release;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the stack runs a release on, as template.yaml gives it to MoodleSource: the web instances'
 * PHP (the stream bootstrap.sh installs) and the Aurora engine and version. Moodle's environment
 * check names database vendors, not Aurora: Aurora PostgreSQL 16.x is PostgreSQL 16, and Aurora
 * MySQL 3.x ({@code 8.0.mysql_aurora.3.10.4}) is MySQL 8.0, which is the version's leading numbers.
 *
 * @param php           e.g. {@code 8.3}
 * @param vendor        environment.xml's vendor name: {@code postgres} or {@code mysql}
 * @param vendorVersion e.g. {@code 16.8} or {@code 8.0}
 */
public record Platform(String php, String engine, String vendor, String vendorVersion) {
    public static final String PHP = "InstancePhpVersion";
    public static final String ENGINE = "DatabaseEngine";
    public static final String ENGINE_VERSION = "DatabaseEngineVersion";
    private static final Pattern PHP_VERSION = Pattern.compile("[0-9]+\\.[0-9]+(\\.[0-9]+)?");
    private static final Pattern LEADING_NUMBERS = Pattern.compile("^([0-9]+(?:\\.[0-9]+)*)");

    /** @throws ReleaseRequestException with a reason fit for a CloudFormation event */
    public static Platform of(String php, String engine, String engineVersion) {
        String p = php == null ? "" : php.trim();
        if (!PHP_VERSION.matcher(p).matches()) {
            throw new ReleaseRequestException(PHP + " must be the web instances' PHP version such as 8.3, got '" + p + "'");
        }
        String e = engine == null ? "" : engine.trim().toLowerCase(Locale.ROOT);
        String vendor = switch (e) {
            case "aurora-postgresql" -> "postgres";
            case "aurora-mysql" -> "mysql";
            default -> throw new ReleaseRequestException(ENGINE + " must be aurora-postgresql or aurora-mysql, got '"
                    + e + "'");
        };
        Matcher m = LEADING_NUMBERS.matcher(engineVersion == null ? "" : engineVersion.trim());
        if (!m.find()) {
            throw new ReleaseRequestException(ENGINE_VERSION + " must be the Aurora engine version such as 16.8 or"
                    + " 8.0.mysql_aurora.3.10.4, got '" + engineVersion + "'");
        }
        return new Platform(p, e, vendor, m.group(1));
    }
}
