package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/render-config.sh on a fake instance: a fake aws on PATH, the real PHP behind a recording shim. */
class RenderConfigScriptTest {
    static final String PASSWORD = "Pw'\"\\$(touch /tmp/autopilot-pwned)`id`\n?>é漢 %s end";
    static final String MASTER_PASSWORD = "rotating-master-password";
    static final String SESSION_PARAMETER = "/Moodle/" + FakeInstance.STACK + "/Automation/SessionConfig";

    @TempDir
    Path tmp;

    FakeInstance instance;
    Path release;
    Path dirroot;
    ObjectNode site;

    @BeforeEach
    void setUp() throws IOException {
        instance = new FakeInstance(tmp);
        release = Files.createDirectories(tmp.resolve("www/moodle-releases/0123456789abcdef"));
        dirroot = tmp.resolve("www/moodle");
        Files.createSymbolicLink(dirroot, release);
        site = Bundle.siteConfig(FakeInstance.STACK);
        site.put("dirroot", dirroot.toString());
        instance.putSiteConfig(site);
        instance.putSecret(site.path("db_app_secret_arn").asText(),
                Bundle.json(Map.of("username", "moodle_app", "password", PASSWORD)));
        instance.putSecret(site.path("db_secret_arn").asText(),
                Bundle.json(Map.of("username", "moodle", "password", MASTER_PASSWORD, "engine", "postgres")));
    }

    Path script() {
        return Bundle.files().resolve("scripts/render-config.sh");
    }

    Path config() {
        return release.resolve("config.php");
    }

    List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(release)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".config.php")).toList();
        }
    }

    @Test
    void replacesConfigAtomicallyAs0640ToTheWebGroupAndNeverShowsThePassword() throws IOException {
        Bundle.write(config(), "<?php // the previous config\n");
        Object inodeBefore = Files.getAttribute(config(), "unix:ino");

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).as(r.all()).isZero();
        PosixFileAttributes attrs = Files.readAttributes(config(), PosixFileAttributes.class);
        assertThat(PosixFilePermissions.toString(attrs.permissions())).isEqualTo("rw-r-----");
        assertThat(attrs.group().getName()).isEqualTo(instance.group());
        assertThat(Files.getAttribute(config(), "unix:ino")).as("replaced by rename, not rewritten in place")
                .isNotEqualTo(inodeBefore);
        assertThat(leftovers()).isEmpty();

        JsonNode cfg = Bundle.loadConfig(release);
        assertThat(cfg.path("dbpass").asText()).isEqualTo(PASSWORD);
        assertThat(cfg.path("dbuser").asText()).isEqualTo("moodle_app");

        assertThat(r.stdout()).doesNotContain("Pw'");
        assertThat(r.stderr()).doesNotContain("Pw'").contains("config.php rendered in " + release.toRealPath());
        String traces = instance.traces();
        assertThat(traces).as("aws calls, php argv and environment, the log file").doesNotContain("Pw'")
                .contains("argv: ").contains("env: ");
        assertThat(Path.of("/tmp/autopilot-pwned")).doesNotExist();
    }

    /** RDS rotates the master password: config.php must carry the application user, and never read the master secret. */
    @Test
    void rendersTheApplicationUserNeverTheRotatingMaster() {
        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).as(r.all()).isZero();
        JsonNode cfg = Bundle.loadConfig(release);
        assertThat(cfg.path("dbuser").asText()).isEqualTo("moodle_app");
        assertThat(Bundle.read(config())).doesNotContain(MASTER_PASSWORD);
        assertThat(Bundle.read(tmp.resolve("aws/calls.log")))
                .contains("get-secret-value --secret-id " + site.path("db_app_secret_arn").asText())
                .doesNotContain(site.path("db_secret_arn").asText());
    }

    @Test
    void withoutAnApplicationSecretItStopsBeforeReadingAnySecret() throws IOException {
        Bundle.write(config(), "<?php // the previous config\n");
        site.put("db_app_secret_arn", "");
        instance.putSiteConfig(site);

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("db_app_secret_arn is empty");
        assertThat(Bundle.read(tmp.resolve("aws/calls.log"))).doesNotContain("secretsmanager");
        assertThat(Bundle.read(config())).isEqualTo("<?php // the previous config\n");
    }

    @Test
    void withoutAnArgumentItRendersIntoTheReleaseBehindDirroot() {
        Bundle.Result r = instance.run(script());

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(config()).exists();
        assertThat(Files.isSymbolicLink(dirroot)).isTrue();
    }

    @Test
    void anUnpublishedSessionConfigurationMeansDatabaseSessions() {
        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).contains("is not published yet: database sessions");
        assertThat(Bundle.loadConfig(release).path("session_handler_class").asText())
                .isEqualTo("\\core\\session\\database");
    }

    @Test
    void thePublishedSessionConfigurationIsRendered() {
        String session = "{\"session_handler_class\":\"\\\\core\\\\session\\\\redis\","
                + "\"session_redis_host\":\"sessions.abc123.cache.amazonaws.com\",\"session_redis_port\":6379,"
                + "\"session_redis_encrypt\":{\"verify_peer\":true,\"verify_peer_name\":true}}";
        instance.putParameter(SESSION_PARAMETER, session);

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).as(r.all()).isZero();
        JsonNode cfg = Bundle.loadConfig(release);
        assertThat(cfg.path("session_handler_class").asText()).isEqualTo("\\core\\session\\redis");
        assertThat(cfg.path("session_redis_encrypt").path("verify_peer_name").asBoolean()).isTrue();
    }

    @Test
    void aSessionReadErrorOtherThanNotFoundKeepsThePreviousConfig() throws IOException {
        Bundle.write(config(), "<?php // the previous config\n");
        instance.denyParameter(SESSION_PARAMETER);

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("AccessDeniedException").contains("cannot read the session configuration");
        assertThat(Bundle.read(config())).isEqualTo("<?php // the previous config\n");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aBadSiteConfigurationKeepsThePreviousConfigAndShowsNoSecret() throws IOException {
        Bundle.write(config(), "<?php // the previous config\n");
        site.remove("dbhost");
        instance.putSiteConfig(site);

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("the site configuration has no 'dbhost'").doesNotContain("Pw'");
        assertThat(instance.traces()).doesNotContain("Pw'");
        assertThat(Bundle.read(config())).isEqualTo("<?php // the previous config\n");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anUnreadableSecretKeepsThePreviousConfig() throws IOException {
        Bundle.write(config(), "<?php // the previous config\n");
        site.put("db_app_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing");
        instance.putSiteConfig(site);

        Bundle.Result r = instance.run(script(), release.toString());

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("ResourceNotFoundException").contains("cannot read the database application secret");
        assertThat(Bundle.read(config())).isEqualTo("<?php // the previous config\n");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void withoutStackNameItStopsBeforeCallingAws() {
        Map<String, String> env = new java.util.HashMap<>(instance.env());
        env.remove("STACK_NAME");
        Bundle.Result r = Bundle.run(List.of("bash", script().toString()), env, null, tmp);

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("STACK_NAME is not set");
        assertThat(tmp.resolve("aws/calls.log")).doesNotExist();
    }
}
