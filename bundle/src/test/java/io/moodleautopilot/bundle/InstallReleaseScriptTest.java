package io.moodleautopilot.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install-release.sh (CodeDeploy AfterInstall) on a fake instance, with small Moodle-shaped
 * archives (a top-level moodle/ folder, as Moodle's packages have) in a copy of the bundle.
 */
class InstallReleaseScriptTest {
    @TempDir
    Path tmp;

    FakeInstance instance;
    Path bundle;
    Path dirroot;

    @BeforeEach
    void setUp() {
        instance = new FakeInstance(tmp);
        bundle = tmp.resolve("bundle");
        dirroot = tmp.resolve("www/moodle");
        instance.prepareReleaseInstall(bundle, dirroot, "pw-install-release");
    }

    Bundle.Result install() {
        return instance.run(bundle.resolve("scripts/install-release.sh"));
    }

    /** Stages a release whose files say which one it is; returns its directory name (sha256 prefix). */
    String stageTgz(String tag) throws IOException {
        Path src = tmp.resolve("src-" + tag);
        Bundle.write(src.resolve("moodle/version.php"), "<?php\n$release = '" + tag + "';\n");
        Bundle.write(src.resolve("moodle/index.php"), "<?php\necho 'front page " + tag + "';\n");
        Bundle.write(src.resolve("moodle/login/index.php"), "<?php\necho 'login " + tag + "';\n");
        Files.deleteIfExists(bundle.resolve("moodle-release.zip"));
        Path archive = bundle.resolve("moodle-release.tgz");
        Bundle.Result tar = Bundle.run(List.of("tar", "-czf", archive.toString(), "-C", src.toString(), "moodle"));
        assertThat(tar.exit()).as(tar.all()).isZero();
        return sha16(archive);
    }

    static String sha16(Path file) throws IOException {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Path live() throws IOException {
        return dirroot.toRealPath();
    }

    List<String> releases() throws IOException {
        try (Stream<Path> s = Files.list(instance.releases)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theFirstReleaseGoesLiveWithItsConfig() throws IOException {
        String r1 = stageTgz("r1");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(Files.isSymbolicLink(dirroot)).isTrue();
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());
        assertThat(Bundle.read(dirroot.resolve("version.php"))).contains("'r1'");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dirroot.resolve("config.php"))))
                .isEqualTo("rw-r-----");
        assertThat(Bundle.loadConfig(live()).path("dbpass").asText()).isEqualTo("pw-install-release");
        // The web server's group reads the code; nobody else does, and only the owner (root) writes.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dirroot.resolve("index.php"))))
                .isEqualTo("rw-r-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(live().resolve("login"))))
                .isEqualTo("rwxr-x---");
        assertThat(releases()).containsExactly(r1);
        assertThat(r.all()).doesNotContain("pw-install-release");
    }

    @Test
    void deployingTheSameReleaseAgainChangesNothing() throws IOException {
        String r1 = stageTgz("r1");
        assertThat(install().exit()).isZero();

        Bundle.Result again = install();

        assertThat(again.exit()).as(again.all()).isZero();
        assertThat(again.stderr()).contains("release " + r1 + " is already unpacked")
                .contains("already points at release " + r1);
        assertThat(releases()).containsExactly(r1);
    }

    @Test
    void eachReleaseSwitchesDirrootAndTwoPreviousOnesAreKept() throws IOException {
        String r1 = stageTgz("r1");
        assertThat(install().exit()).isZero();
        String r2 = stageTgz("r2");
        Path r2Archive = Files.copy(bundle.resolve("moodle-release.tgz"), tmp.resolve("r2.tgz"));
        assertThat(install().exit()).isZero();
        assertThat(Bundle.read(dirroot.resolve("version.php"))).contains("'r2'");
        String r3 = stageTgz("r3");
        assertThat(install().exit()).isZero();
        String r4 = stageTgz("r4");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(live()).isEqualTo(instance.releases.resolve(r4).toRealPath());
        assertThat(releases()).containsExactlyInAnyOrder(r2, r3, r4);
        assertThat(r.stderr()).contains("removed old release " + r1);

        // Rolling back to a kept release is a deployment of it: nothing is unpacked or removed.
        Files.copy(r2Archive, bundle.resolve("moodle-release.tgz"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Bundle.Result back = install();
        assertThat(back.exit()).as(back.all()).isZero();
        assertThat(back.stderr()).contains("release " + r2 + " is already unpacked");
        assertThat(live()).isEqualTo(instance.releases.resolve(r2).toRealPath());
        assertThat(releases()).containsExactlyInAnyOrder(r2, r3, r4);
    }

    /** A plugin ZIP as moodle.org ships one (one top-level directory), staged with its manifest entry. */
    Map<String, String> stagePlugin(String component, String path, Map<String, String> files) throws IOException {
        Path zip = bundle.resolve("plugins/" + component + ".zip");
        Files.createDirectories(zip.getParent());
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue().getBytes());
                z.closeEntry();
            }
        }
        return Map.of("component", component, "path", path, "archive", "plugins/" + component + ".zip",
                "sha256", sha256(zip));
    }

    void writeManifest(List<Map<String, String>> plugins) {
        Bundle.write(bundle.resolve("plugins/manifest.json"), Bundle.json(Map.of("plugins", plugins)));
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void declaredPluginsAreUnpackedAtTheirPathsAndMakeAReleaseOfTheirOwn() throws IOException {
        String plain = stageTgz("r1");
        Map<String, String> local = stagePlugin("local_autopilottest", "local/autopilottest",
                Map.of("autopilottest/version.php", "<?php\n$plugin->version = 2025010100;\n",
                        "autopilottest/lang/en/local_autopilottest.php", "<?php\n"));
        writeManifest(List.of(local));

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.stderr()).contains("added plugin local_autopilottest at local/autopilottest");
        assertThat(live().getFileName().toString()).as("the plugin set is part of the release's identity").isNotEqualTo(plain);
        assertThat(Bundle.read(dirroot.resolve("local/autopilottest/version.php"))).contains("2025010100");
        assertThat(Bundle.parse(Bundle.read(dirroot.resolve(".autopilot-plugins.json"))).path("plugins").get(0)
                .path("component").asText()).isEqualTo("local_autopilottest");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dirroot.resolve("local/autopilottest/version.php"))))
                .isEqualTo("rw-r-----");

        // The same release without the plugin: the release without it, no manifest beside the code.
        Bundle.run(List.of("rm", "-rf", bundle.resolve("plugins").toString()));
        Bundle.Result without = install();
        assertThat(without.exit()).as(without.all()).isZero();
        assertThat(live().getFileName().toString()).isEqualTo(plain);
        assertThat(dirroot.resolve("local/autopilottest")).doesNotExist();
        assertThat(dirroot.resolve(".autopilot-plugins.json")).doesNotExist();
    }

    @Test
    void aPluginInMoodle51sLayoutGoesUnderPublic() throws IOException {
        Path src = tmp.resolve("src-51");
        Bundle.write(src.resolve("moodle/public/version.php"), "<?php\n$release = '5.1';\n");
        Bundle.write(src.resolve("moodle/public/lib/setup.php"), "<?php\n");
        Path archive = bundle.resolve("moodle-release.tgz");
        assertThat(Bundle.run(List.of("tar", "-czf", archive.toString(), "-C", src.toString(), "moodle")).exit()).isZero();
        writeManifest(List.of(stagePlugin("local_autopilottest", "local/autopilottest",
                Map.of("autopilottest/version.php", "<?php\n"))));

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(dirroot.resolve("public/local/autopilottest/version.php")).isRegularFile();
        assertThat(dirroot.resolve("local")).doesNotExist();
    }

    @Test
    void aPluginArchiveThatIsNotWhatWasStagedChangesNothing() throws IOException {
        String r1 = stageTgz("r1");
        assertThat(install().exit()).isZero();
        stageTgz("r2");
        Map<String, String> good = stagePlugin("local_autopilottest", "local/autopilottest",
                Map.of("autopilottest/version.php", "<?php\n"));
        Map<String, String> tampered = new java.util.HashMap<>(good);
        tampered.put("sha256", "0".repeat(64));
        writeManifest(List.of(tampered));

        Bundle.Result r = install();
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("does not have the SHA-256 MoodleSource staged");
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());

        Map<String, String> escaping = new java.util.HashMap<>(good);
        escaping.put("path", "../../etc");
        writeManifest(List.of(escaping));
        Bundle.Result bad = install();
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.stderr()).contains("is not a plugin directory");
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());

        writeManifest(List.of(stagePlugin("local_autopilottest", "local/autopilottest",
                Map.of("one/version.php", "<?php\n", "two/version.php", "<?php\n"))));
        Bundle.Result two = install();
        assertThat(two.exit()).isNotZero();
        assertThat(two.stderr()).contains("does not hold one directory with a version.php");
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());
    }

    @Test
    void aZipReleaseWorksToo() throws IOException {
        Path archive = bundle.resolve("moodle-release.zip");
        try (OutputStream out = Files.newOutputStream(archive); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : List.of("moodle/version.php", "moodle/index.php")) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write("<?php\n$release = 'zip';\n".getBytes());
                zip.closeEntry();
            }
        }

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(live()).isEqualTo(instance.releases.resolve(sha16(archive)).toRealPath());
        assertThat(Bundle.read(dirroot.resolve("version.php"))).contains("'zip'");
    }

    @Test
    void aDirectoryAlreadyAtDirrootIsMovedAside() throws IOException {
        Bundle.write(dirroot.resolve("hand-made.txt"), "from before");
        stageTgz("r1");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(Files.isSymbolicLink(dirroot)).isTrue();
        try (Stream<Path> s = Files.list(dirroot.getParent())) {
            Path aside = s.filter(p -> p.getFileName().toString().startsWith("moodle.pre-autopilot.")).findFirst()
                    .orElseThrow();
            assertThat(Bundle.read(aside.resolve("hand-made.txt"))).isEqualTo("from before");
        }
    }

    @Test
    void anArchiveWithoutMoodleFailsAndChangesNothing() throws IOException {
        Path src = tmp.resolve("not-moodle");
        Bundle.write(src.resolve("something/readme.txt"), "not moodle");
        Bundle.Result tar = Bundle.run(List.of("tar", "-czf", bundle.resolve("moodle-release.tgz").toString(),
                "-C", src.toString(), "something"));
        assertThat(tar.exit()).isZero();

        Bundle.Result r = install();

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("has no version.php");
        assertThat(dirroot).doesNotExist();
        try (Stream<Path> s = Files.list(instance.releases)) {
            assertThat(s.filter(p -> Files.exists(p.resolve(".autopilot-release"))).toList()).isEmpty();
        }
    }

    @Test
    void whenConfigCannotBeRenderedTheLiveReleaseStays() throws IOException {
        String r1 = stageTgz("r1");
        assertThat(install().exit()).isZero();
        String r2 = stageTgz("r2");
        instance.denyParameter("/Moodle/" + FakeInstance.STACK + "/Automation/SessionConfig");

        Bundle.Result r = install();

        assertThat(r.exit()).isNotZero();
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());
        assertThat(instance.releases.resolve(r2).resolve("config.php")).doesNotExist();
    }

    @Test
    void theApplicationUserIsEnsuredBeforeConfigIsRendered() throws IOException {
        stageTgz("r1");

        Bundle.Result r = install();

        assertThat(r.exit()).as(r.all()).isZero();
        String log = r.stderr();
        assertThat(log).contains("ensure-app-user stand-in ran").contains("config.php rendered");
        assertThat(log.indexOf("ensure-app-user stand-in ran")).isLessThan(log.indexOf("config.php rendered"));
    }

    @Test
    void whenTheApplicationUserCannotBeEnsuredTheLiveReleaseStaysAndNoConfigIsRendered() throws IOException {
        String r1 = stageTgz("r1");
        assertThat(install().exit()).isZero();
        String r2 = stageTgz("r2");
        Bundle.write(tmp.resolve("state/ensure-fails"), "");

        Bundle.Result r = install();

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("ensure-app-user stand-in failed");
        assertThat(live()).isEqualTo(instance.releases.resolve(r1).toRealPath());
        assertThat(instance.releases.resolve(r2).resolve("config.php")).doesNotExist();
    }

    @Test
    void noStagedReleaseIsAClearError() {
        Bundle.Result r = install();

        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("no moodle-release.tgz or moodle-release.zip in " + bundle);
    }
}
