package io.moodleautopilot.core.release;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where download.moodle.org serves a release, by version. The scheme, as published there and used
 * by packagers: {@code https://download.moodle.org/download.php/direct/stable<branch>/<file>} with
 * branch = major and two-digit minor from 4.0 on ({@code stable405}, {@code stable500}), major and
 * minor without padding before ({@code stable39}, {@code stable310}); file {@code moodle-4.5.7.tgz}
 * for a point release, {@code moodle-4.5.tgz} for the first release of a branch (x.y.0), and
 * {@code moodle-latest-405.tgz} for the branch's weekly build ({@code 4.5.7+}).
 */
public final class MoodleDownloads {
    static final String BASE = "https://download.moodle.org/download.php/direct/";
    private static final Pattern VERSION = Pattern.compile("(\\d{1,2})\\.(\\d{1,2})(?:\\.(\\d{1,3}))?(\\+)?");

    private MoodleDownloads() {
    }

    /** @throws ReleaseRequestException when the version is not of the form 4.5.7, 4.5 or 4.5.7+ */
    public static URI releaseUrl(String version) {
        String v = version == null ? "" : version.trim();
        Matcher m = VERSION.matcher(v);
        if (!m.matches()) {
            throw new ReleaseRequestException("ReleaseVersion '" + v + "' is not a Moodle version such as 4.5.7"
                    + " (or 4.5.7+ for the weekly build)");
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
        if (major < 2) {
            throw new ReleaseRequestException("ReleaseVersion '" + v + "' is not a Moodle release download.moodle.org serves");
        }
        String branch = major >= 4 ? major + String.format("%02d", minor) : major + String.valueOf(minor);
        String file;
        if (m.group(4) != null) {
            file = "moodle-latest-" + branch + ".tgz";
        } else if (patch == 0) {
            file = "moodle-" + major + "." + minor + ".tgz";
        } else {
            file = "moodle-" + major + "." + minor + "." + patch + ".tgz";
        }
        return URI.create(BASE + "stable" + branch + "/" + file);
    }
}
