package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A release archive with Moodle 5.1's directory LAYOUT and nothing else: no real Moodle 5.1 release
 * is on this machine (and there is no internet), so this holds only the files the bundle looks at,
 * each saying that it is a fixture. It is not a Moodle that works: no page, no installer, no cron
 * runs from it. What it does reproduce is where Moodle 5.1 keeps things (docs/decisions.md, "Moodle
 * 5.1's public/ layout", with the upstream sources):
 *
 * <ul>
 *   <li>public/version.php and public/lib/setup.php: the web code under public/, no version.php at
 *       the top;
 *   <li>public/config.php: Moodle's stub that loads ../config.php (its behaviour as in
 *       https://github.com/moodle/moodle/blob/MOODLE_501_STABLE/public/config.php: redirect to
 *       install.php when ../config.php is missing, else require it);
 *   <li>public/admin/cli/: the CLI scripts (Moodle 5.1's installer is public/admin/cli/install.php,
 *       which finds config.php three levels up);
 *   <li>public/cache/stores/redis/lib.php: the cache stores under public/.
 * </ul>
 */
final class Moodle51LayoutFixture {
    /** public/config.php: Moodle 5.1's stub, the same three steps, in the fixture's own words. */
    static final String CONFIG_STUB = """
            <?php
            // Layout fixture (Moodle51LayoutFixture): where Moodle 5.1 ships its config.php stub, which
            // loads the real config.php one level up, at the top of the release.
            $configfile = __DIR__ . '/../config.php';
            if (!file_exists($configfile)) {
                header("Location: install.php");
                die;
            }
            require_once($configfile);
            """;

    /** The CLI scripts the bundle runs (bootstrap's installer and cron), under public/admin/cli/. */
    static final List<String> CLI_SCRIPTS = List.of("install_database.php", "cron.php", "upgrade.php", "maintenance.php");

    private Moodle51LayoutFixture() {
    }

    /** The fixture's files, relative to the archive's root (one top-level moodle/ folder, as Moodle's packages). */
    static Map<String, String> files(String tag) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("moodle/public/version.php", "<?php\n// Layout fixture: where Moodle 5.1 keeps version.php. Not Moodle.\n"
                + "defined('MOODLE_INTERNAL') || die();\n$version = 2025100600.00;\n$release = '5.1 layout fixture " + tag
                + "';\n$branch = '501';\n");
        // Records that the rendered config.php loaded it, and from where.
        files.put("moodle/public/lib/setup.php", "<?php\n// Layout fixture: where Moodle 5.1 has lib/setup.php. Not Moodle.\n"
                + "$GLOBALS['layout_fixture_setup'] = __FILE__;\n");
        files.put("moodle/public/index.php", "<?php\n// Layout fixture: Moodle 5.1's front page is public/index.php.\necho 'fixture "
                + tag + "';\n");
        files.put("moodle/public/config.php", CONFIG_STUB);
        files.put("moodle/public/cache/stores/redis/lib.php", "<?php\n// Layout fixture: Moodle 5.1's cache stores are under public/.\n");
        for (String script : CLI_SCRIPTS) {
            files.put("moodle/public/admin/cli/" + script, "<?php\n// Layout fixture: Moodle 5.1 has admin/cli/" + script
                    + " under public/. Not Moodle.\nfwrite(STDERR, \"layout fixture: " + script + " is not Moodle\\n\");\nexit(3);\n");
        }
        return files;
    }

    /** Writes the fixture under src and packs it as a .tgz at archive. */
    static void tgz(Path src, Path archive, String tag) {
        files(tag).forEach((name, content) -> Bundle.write(src.resolve(name), content));
        Bundle.Result tar = Bundle.run(List.of("tar", "-czf", archive.toString(), "-C", src.toString(), "moodle"));
        assertThat(tar.exit()).as(tar.all()).isZero();
    }
}
