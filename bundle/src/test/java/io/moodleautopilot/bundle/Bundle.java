package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The bundle's files, and real processes (bash, php, shellcheck) to run them with. */
final class Bundle {
    static final ObjectMapper JSON = new ObjectMapper();

    private Bundle() {
    }

    /** bundle/files: the module's directory when Maven runs the tests, else found from the repository root. */
    static Path files() {
        Path local = Path.of("files").toAbsolutePath();
        if (Files.isDirectory(local.resolve("scripts"))) {
            return local;
        }
        String root = System.getProperty("autopilot.root");
        Path start = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("bundle/files");
            if (Files.isDirectory(candidate.resolve("scripts"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("bundle/files not found from " + start);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> listFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the bundle (and nothing else) into dir, keeping the scripts executable. */
    static void copyBundle(Path dir) {
        Path src = files();
        try {
            for (Path f : listFiles(src)) {
                Path target = dir.resolve(src.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
                if (f.toString().endsWith(".sh")) {
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a classpath resource to a file, executable. */
    static Path executableResource(String resource, Path target) {
        try (InputStream in = Bundle.class.getResourceAsStream("/" + resource)) {
            assertThat(in).as("test resource %s", resource).isNotNull();
            Files.createDirectories(target.getParent());
            Files.write(target, in.readAllBytes());
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean onPath(String command) {
        return which(command) != null;
    }

    static String which(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p.toAbsolutePath().toString();
            }
        }
        return null;
    }

    /** The real php: the tests need it (scripts/lib.sh's ensure_test_packages installs php-cli). */
    static String php() {
        String php = which("php");
        assertThat(php).as("php (Debian's php-cli) must be installed: scripts/lib.sh ensure_test_packages installs it")
                .isNotNull();
        return php;
    }

    record Result(int exit, String stdout, String stderr) {
        String all() {
            return stdout + "\n" + stderr;
        }
    }

    static Result run(List<String> command, Map<String, String> env, String stdin, Path cwd) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // The process may exit before reading its input (a rejected configuration).
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Result(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
                    new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Result run(List<String> command) {
        return run(command, Map.of(), null, null);
    }

    private static byte[] readAll(InputStream in) {
        try (in; ByteArrayOutputStream b = new ByteArrayOutputStream()) {
            in.transferTo(b);
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A site configuration as the template publishes it: every value a string. */
    static ObjectNode siteConfig(String stack) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("stack", stack);
        m.put("region", "eu-west-1");
        m.put("wwwroot", "https://moodle.example.edu");
        m.put("sslproxy", "true");
        m.put("dbtype", "pgsql");
        m.put("dbhost", "writer.cluster-abc.eu-west-1.rds.amazonaws.com");
        m.put("dbreader", "");
        m.put("dbport", "5432");
        m.put("dbname", "moodle");
        m.put("prefix", "mdl_");
        m.put("db_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-abc");
        m.put("db_app_secret_arn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/Moodle/" + stack + "/DatabaseAppUser-AbCdEf");
        m.put("db_tls", "true");
        m.put("dataroot", "/mnt/moodledata");
        m.put("dirroot", "/var/www/moodle");
        m.put("localcachedir", "/var/cache/moodle");
        m.put("efs_filesystem_id", "fs-0123456789abcdef0");
        m.put("efs_access_point_id", "fsap-0123456789abcdef0");
        m.put("install_mode", "Wizard");
        m.put("admin_secret_arn", "");
        m.put("admin_email", "admin@example.edu");
        m.put("site_fullname", "Example University");
        m.put("site_shortname", "EU");
        m.put("source_bucket", "source-bucket");
        m.put("source_key", "moodle/release.zip");
        m.put("session_config_parameter", "/Moodle/" + stack + "/Automation/SessionConfig");
        m.put("log_group", "/moodle/" + stack + "/web");
        m.put("log_retention_days", "90");
        return JSON.valueToTree(m);
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads dir/config.php with a stub lib/setup.php (created when missing) and returns $CFG as
     * JSON; fails when the file does not parse or does not end by requiring lib/setup.php.
     */
    static JsonNode loadConfig(Path dir) {
        Path setup = dir.resolve("lib/setup.php");
        if (!Files.exists(setup)) {
            write(setup, "<?php\n$GLOBALS['stub_setup_loaded'] = true;\n");
        }
        Result lint = run(command(php(), "-l", dir.resolve("config.php").toString()));
        assertThat(lint.exit()).as("php -l on the rendered config.php: %s", lint.all()).isZero();
        Result loaded = run(command(php(), "-r",
                "require $argv[1]; echo json_encode(['cfg' => $CFG, 'setup' => $GLOBALS['stub_setup_loaded'] ?? false],"
                        + " JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR);",
                dir.resolve("config.php").toString()), Map.of(), null, dir);
        assertThat(loaded.exit()).as("loading config.php: %s", loaded.all()).isZero();
        JsonNode result = parse(loaded.stdout());
        assertThat(result.path("setup").asBoolean()).as("config.php ends by requiring lib/setup.php").isTrue();
        return result.path("cfg");
    }

    static List<String> command(String... parts) {
        return new ArrayList<>(List.of(parts));
    }
}
