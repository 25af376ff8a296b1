package io.moodleautopilot.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A web instance in a temporary directory, for running the bundle's scripts for real: a fake
 * {@code aws} on PATH that answers from files (test resource fake-aws), a {@code php} shim that
 * records each invocation's arguments and environment before running the real PHP, and the
 * scripts' paths (lib.sh's variables) pointed inside the directory. The files are owned by the
 * user running the tests, so they stand in for root:apache.
 */
final class FakeInstance {
    static final String STACK = "autopilot-test";

    final Path root;
    final Path bin;
    final Path awsDir;
    final Path log;
    final Path phpCalls;
    final Path releases;
    private final String user;
    private final String group;
    /** Added to (or replacing) the instance's environment, e.g. FAKE_AWS_ENDPOINT to answer from moto_server. */
    final Map<String, String> extraEnv = new LinkedHashMap<>();

    FakeInstance(Path root) {
        this.root = root;
        this.bin = root.resolve("bin");
        this.awsDir = root.resolve("aws");
        this.log = root.resolve("log/moodle-autopilot.log");
        this.phpCalls = root.resolve("php-calls.log");
        this.releases = root.resolve("www/moodle-releases");
        try {
            Files.createDirectories(awsDir.resolve("ssm"));
            Files.createDirectories(awsDir.resolve("secrets"));
            Files.createDirectories(awsDir.resolve("deny"));
            Files.createDirectories(log.getParent());
            Bundle.executableResource("fake-aws", bin.resolve("aws"));
            Path shim = bin.resolve("php");
            Files.writeString(shim, "#!/usr/bin/env bash\n"
                    + "{ printf 'argv: %s\\n' \"$*\"; env | sed 's/^/env: /'; } >>\"$PHP_CALLS_LOG\"\n"
                    + "exec " + Bundle.php() + " \"$@\"\n");
            Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
            PosixFileAttributes attrs = Files.readAttributes(root, PosixFileAttributes.class);
            this.user = attrs.owner().getName();
            this.group = attrs.group().getName();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String key(String name) {
        return name.replace('/', '_').replace(':', '_');
    }

    void putParameter(String name, String value) {
        Bundle.write(awsDir.resolve("ssm").resolve(key(name)), value);
    }

    void deleteParameter(String name) {
        try {
            Files.deleteIfExists(awsDir.resolve("ssm").resolve(key(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void denyParameter(String name) {
        Bundle.write(awsDir.resolve("deny").resolve(key(name)), "");
    }

    void putSecret(String id, String value) {
        Bundle.write(awsDir.resolve("secrets").resolve(key(id)), value);
    }

    void putSiteConfig(JsonNode site) {
        putParameter("/Moodle/" + STACK + "/Site/Config", site.toString());
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("FAKE_AWS_DIR", awsDir.toString());
        env.put("PHP_CALLS_LOG", phpCalls.toString());
        env.put("STACK_NAME", STACK);
        env.put("AWS_REGION", "eu-west-1");
        env.put("AUTOPILOT_ETC", root.resolve("etc").toString());
        env.put("AUTOPILOT_STATE", root.resolve("state").toString());
        env.put("AUTOPILOT_LOG", log.toString());
        env.put("RELEASES_DIR", releases.toString());
        env.put("CONFIG_OWNER", user);
        env.put("WEB_GROUP", group);
        env.put("WEB_USER", user);
        env.putAll(extraEnv);
        return env;
    }

    String group() {
        return group;
    }

    Bundle.Result run(Path script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        return Bundle.run(cmd, env(), null, root);
    }

    /** Everything a secret must never appear in: the fake aws's call log, the php calls, the log file. */
    String traces() {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(awsDir.resolve("calls.log"), phpCalls, log)) {
            if (Files.exists(p)) {
                b.append(Bundle.read(p)).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * A copy of the bundle at {@code bundle}, ready for install-release.sh on this instance: the site
     * configuration names {@code dirroot}, the application secret exists, and ensure-app-user.sh is a
     * stand-in that logs that it ran (it needs a database server: EnsureAppUserTest and
     * DatabaseRotationTest run it for real) and fails when $AUTOPILOT_STATE/ensure-fails exists.
     */
    void prepareReleaseInstall(Path bundle, Path dirroot, String appPassword) {
        Bundle.copyBundle(bundle);
        com.fasterxml.jackson.databind.node.ObjectNode site = Bundle.siteConfig(STACK);
        site.put("dirroot", dirroot.toString());
        putSiteConfig(site);
        putSecret(site.path("db_app_secret_arn").asText(),
                Bundle.json(java.util.Map.of("username", "moodle_app", "password", appPassword)));
        Bundle.write(bundle.resolve("scripts/ensure-app-user.sh"), """
                #!/usr/bin/env bash
                set -euo pipefail
                source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
                log "ensure-app-user stand-in ran"
                [ ! -e "$AUTOPILOT_STATE/ensure-fails" ] || die "ensure-app-user stand-in failed"
                """);
    }
}
