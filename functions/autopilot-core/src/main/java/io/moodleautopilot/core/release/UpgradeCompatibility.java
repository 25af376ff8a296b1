package io.moodleautopilot.core.release;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The refusals MoodleSource answers before staging a release, so that nothing Moodle would refuse (or
 * break on) reaches the web instances. Each rule is one Moodle itself applies, here moved before the
 * deployment instead of after it:
 * <ul>
 *   <li>a downgrade: admin/cli/upgrade.php stops with 'downgradedcore' when version.php's $version
 *       is below the database's;</li>
 *   <li>an unsupported jump: lib/environmentlib.php's environment_check_moodle compares the
 *       database's release, normalised, with the {@code requires} of the release's branch;</li>
 *   <li>PHP and the database engine: the branch's {@code <PHP>} and {@code <VENDOR>} minimums, and a
 *       {@code restrict_php_version_8N} restriction (PHP 8.N and later unsupported);</li>
 *   <li>a declared plugin older than what the database has (Moodle refuses a plugin downgrade), or
 *       whose {@code $plugin->requires} is above the release's $version.</li>
 * </ul>
 * A site with no database yet (no record, state NONE) is only held to the PHP, engine and plugin
 * {@code requires} rules: it has nothing to downgrade or jump from.
 */
public final class UpgradeCompatibility {
    /** A declared plugin as its version.php describes it; {@code requires} empty when it names none. */
    public record PluginVersion(String component, String version, String requires) {
    }

    private UpgradeCompatibility() {
    }

    /** @return one line per refusal (empty: the release may be staged) */
    public static List<String> refusals(MoodleRelease release, DatabaseRecord db, Platform platform,
                                        List<PluginVersion> plugins) {
        List<String> out = new ArrayList<>();
        String moodle = "Moodle " + release.release() + " (" + release.version() + ")";
        Optional<MoodleEnvironment> env = release.environmentXml().isEmpty() ? Optional.empty()
                : MoodleEnvironment.of(release.environmentXml(), release.majorMinor());
        if (db.hasDatabase() && decimal(release.version()).compareTo(decimal(db.version())) < 0) {
            out.add(moodle + " is older than the database's " + db.release() + " (" + db.version()
                    + "): a downgrade, which Moodle refuses (downgradedcore)");
        }
        if (env.isEmpty()) {
            out.add(moodle + "'s admin/environment.xml has no <MOODLE version=\"" + release.majorMinor()
                    + "\">, so Moodle's environment check cannot pass");
        } else {
            MoodleEnvironment e = env.get();
            if (db.hasDatabase() && !db.release().isEmpty()
                    && compare(siteRelease(db.release()), e.requires()) < 0) {
                out.add(moodle + " requires a site at " + e.requires() + " or later to upgrade from, and the database"
                        + " has " + db.release() + ": upgrade to " + e.requires() + " (or a later release it"
                        + " supports) first");
            }
            if (!e.phpMinimum().isEmpty() && compare(platform.php(), e.phpMinimum()) < 0) {
                out.add(moodle + " requires PHP " + e.phpMinimum() + " or later; the web instances run PHP "
                        + platform.php());
            }
            if (!e.phpRestrictedFrom().isEmpty() && compare(platform.php(), e.phpRestrictedFrom()) >= 0) {
                out.add(moodle + " does not support PHP " + e.phpRestrictedFrom() + " or later; the web instances"
                        + " run PHP " + platform.php());
            }
            String minimum = e.vendors().get(platform.vendor());
            if (minimum == null) {
                out.add(moodle + " lists no " + platform.vendor() + " among its databases (" + e.vendors().keySet() + ")");
            } else if (compare(platform.vendorVersion(), minimum) < 0) {
                out.add(moodle + " requires " + platform.vendor() + " " + minimum + " or later; the database is "
                        + platform.engine() + " " + platform.vendorVersion());
            }
        }
        for (PluginVersion p : plugins) {
            String had = db.hasDatabase() ? db.plugins().get(p.component()) : null;
            if (had != null && !had.isEmpty() && decimal(p.version()).compareTo(decimal(had)) < 0) {
                out.add("plugin " + p.component() + " " + p.version() + " is older than the " + had
                        + " the database has: a plugin downgrade, which Moodle refuses");
            }
            if (!p.requires().isEmpty() && decimal(p.requires()).compareTo(decimal(release.version())) > 0) {
                out.add("plugin " + p.component() + " " + p.version() + " requires Moodle " + p.requires()
                        + " or later; the release is " + release.version());
            }
        }
        return out;
    }

    /**
     * The database's release as environment_check_moodle reads it: normalize_version (the first word,
     * anything but digits and dots as a dot, repeated dots as one, no dot at either end), and a "dev"
     * release counts as the branch before it.
     */
    static String siteRelease(String release) {
        String v = normalizeVersion(release);
        if (!release.contains("dev")) {
            return v;
        }
        String[] parts = v.split("\\.");
        if (parts.length > 1 && Integer.parseInt(parts[1]) > 0) {
            parts[1] = String.valueOf(Integer.parseInt(parts[1]) - 1);
            return String.join(".", parts);
        }
        return decimal(v).subtract(new BigDecimal("0.1")).toPlainString();
    }

    /** lib/environmentlib.php's normalize_version. */
    static String normalizeVersion(String version) {
        String v = version.trim();
        int space = v.indexOf(' ');
        if (space >= 0) {
            v = v.substring(0, space);
        }
        v = v.replaceAll("[^.\\d]", ".").replaceAll("\\.{2,}", ".");
        return v.replaceAll("^\\.+|\\.+$", "");
    }

    /**
     * Dotted versions compared part by part as numbers, a missing part counting as 0 (PHP "8.3", the
     * stream the instances install, is any 8.3.x, so at least 8.3.0).
     */
    static int compare(String a, String b) {
        String[] x = a.isEmpty() ? new String[0] : a.split("\\.");
        String[] y = b.isEmpty() ? new String[0] : b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? number(x[i]) : 0;
            long q = i < y.length ? number(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    private static long number(String part) {
        String digits = part.replaceAll("[^0-9].*$", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }

    /** Moodle's $version numbers are decimals (2024100706.00): compared as such, never as dotted parts. */
    static BigDecimal decimal(String v) {
        try {
            return new BigDecimal(v.trim());
        } catch (NumberFormatException e) {
            return BigDecimal.ZERO;
        }
    }
}
