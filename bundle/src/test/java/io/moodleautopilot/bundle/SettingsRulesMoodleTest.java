package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refused lists of settings-rules.json against Moodle's own admin settings, read from the
 * release archive (../shared/moodle/): every password field must be refused as a secret, every
 * executable, directory and file setting as an executable. A Moodle release that adds one makes
 * this test name it.
 */
class SettingsRulesMoodleTest {
    /** new admin_setting_X('name' | "name" | name: 'name', ...: the setting's full name is its first argument. */
    static final Pattern SETTING = Pattern.compile(
            "new\\s+admin_setting_(configpasswordunmask\\w*|configpassword|encryptedpassword|configexecutable"
                    + "|configdirectory|configfile)\\s*\\(\\s*(?:name\\s*:\\s*)?(['\"])([a-z0-9_/]+)\\2");

    @Test
    void everyPasswordExecutableDirectoryAndFileSettingOfTheReleaseIsRefused(@TempDir Path tmp) throws IOException {
        Path archive = HealthPageTest.releaseArchive();
        assumeTrue(archive != null, "no Moodle release archive here (MOODLE_RELEASE_TGZ, ../shared/moodle or ~/.cache/moodle-autopilot)");
        Bundle.Result r = Bundle.run(Bundle.command("tar", "-xzf", archive.toString(), "-C", tmp.toString(),
                "--wildcards", "*.php", "--exclude=*/tests/*"));
        assertThat(r.exit()).as(r.all()).isZero();

        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".php") && Files.isRegularFile(p))::iterator) {
                String php = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                if (!php.contains("admin_setting_")) {
                    continue;
                }
                Matcher m = SETTING.matcher(php);
                while (m.find()) {
                    found.put(m.group(3), m.group(1).contains("password") ? "secret" : "executable");
                }
            }
        }
        // The scan finds what it must (a sanity check on the pattern, from Moodle 4.5's admin/settings/server.php).
        assertThat(found).containsEntry("smtppass", "secret").containsEntry("pathtophp", "executable")
                .containsEntry("auth_ldap/bind_pw", "secret").hasSizeGreaterThan(35);

        JsonNode rules = Bundle.JSON.readTree(Bundle.files().resolve("moodle/settings-rules.json").toFile());
        Map<String, Set<String>> refused = new TreeMap<>();
        rules.path("refused").forEach(k -> {
            Set<String> names = new TreeSet<>();
            k.path("names").forEach(n -> names.add(n.asText()));
            refused.put(k.path("kind").asText(), names);
        });
        found.forEach((name, kind) -> assertThat(refused.get(kind)).as("%s (%s) in settings-rules.json", name, kind)
                .contains(name));
    }
}
