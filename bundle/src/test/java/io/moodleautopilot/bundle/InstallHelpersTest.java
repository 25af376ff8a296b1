package io.moodleautopilot.bundle;

import static io.moodleautopilot.bundle.Bundle.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Unattended install's PHP helpers, against stand-ins for Moodle's own files:
 * config/install-database.php (Moodle's CLI installer without the admin password in any argv) and
 * config/install-state.php's usage errors (its answers: InstallStateTest, on Moodle's own files).
 */
class InstallHelpersTest {
    static final String PASSWORD = "Adm1n'\"\\ $(id) `id` =x= é漢";

    @TempDir
    Path tmp;

    Path dirroot;

    @BeforeEach
    void setUp() {
        dirroot = tmp.resolve("moodle");
        // Stands in for Moodle's admin/cli/install_database.php: reports what it was started with.
        Bundle.write(dirroot.resolve("admin/cli/install_database.php"), """
                <?php
                define('CLI_SCRIPT', true);
                echo json_encode(['argv' => $_SERVER['argv'], 'argc' => $_SERVER['argc'],
                    'cmdline' => file_get_contents('/proc/self/cmdline'), 'cwd' => getcwd()], JSON_UNESCAPED_UNICODE);
                """);
    }

    Bundle.Result installDatabase(String stdin, String... options) {
        List<String> cmd = new ArrayList<>(command(Bundle.php(),
                Bundle.files().resolve("config/install-database.php").toString(), dirroot.toString()));
        cmd.addAll(List.of(options));
        return Bundle.run(cmd, Map.of(), stdin, tmp);
    }

    @Test
    void theAdminPasswordReachesTheInstallerInMemoryOnly() {
        Bundle.Result r = installDatabase(Bundle.json(Map.of("username", "siteadmin", "password", PASSWORD)),
                "--agree-license", "--lang=en", "--fullname=Example 'University'", "--shortname=EU");

        assertThat(r.exit()).as(r.all()).isZero();
        JsonNode seen = Bundle.parse(r.stdout());
        List<String> argv = new ArrayList<>();
        seen.path("argv").forEach(a -> argv.add(a.asText()));
        assertThat(argv.get(0)).endsWith("/admin/cli/install_database.php");
        assertThat(argv.subList(1, argv.size())).containsExactly("--agree-license", "--lang=en",
                "--fullname=Example 'University'", "--shortname=EU", "--adminuser=siteadmin", "--adminpass=" + PASSWORD);
        assertThat(seen.path("argc").asInt()).isEqualTo(argv.size());
        assertThat(seen.path("cmdline").asText()).as("the process's real command line").doesNotContain("Adm1n");
        assertThat(seen.path("cwd").asText()).isEqualTo(dirroot.resolve("admin/cli").toString());
    }

    @Test
    void withoutAUsernameTheInstallersDefaultStands() {
        Bundle.Result r = installDatabase(Bundle.json(Map.of("password", PASSWORD)), "--agree-license");

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stdout()).doesNotContain("--adminuser");
    }

    @Test
    void aPasswordOnTheCommandLineIsRefused() {
        Bundle.Result r = installDatabase(Bundle.json(Map.of("password", PASSWORD)), "--adminpass=visible");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("stdin only");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aSecretWithoutAPasswordIsRefused() {
        Bundle.Result r = installDatabase("{\"username\":\"siteadmin\"}", "--agree-license");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aDirrootWithoutTheInstallerIsRefused() {
        dirroot = tmp.resolve("elsewhere");
        Bundle.Result r = installDatabase(Bundle.json(Map.of("password", PASSWORD)));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("no admin/cli/install_database.php");
    }

    @Test
    void installStateWithoutConfigIsAnError() {
        Bundle.Result r = Bundle.run(command(Bundle.php(), Bundle.files().resolve("config/install-state.php").toString(),
                tmp.resolve("nowhere").toString()));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("no config.php");
    }
}
