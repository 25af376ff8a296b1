package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a release's version.php, lib/components.json and admin/environment.xml out of its archive. */
class MoodleReleaseTest {
    @TempDir
    Path tmp;

    static final String VERSION_PHP = """
            <?php
            // This file is part of Moodle - https://moodle.org/
            /* $version = 1999999999.00; a commented-out assignment is not read */
            defined('MOODLE_INTERNAL') || die();

            $version  = 2025100600.00;              // 20251006      = branching date YYYYMMDD - do not modify!
            $release  = '5.1 (Build: 20251006)';    // Human-friendly version name
            $branch   = '501';                      // This version's branch.
            $maturity = MATURITY_STABLE;            // This version's maturity level.
            """;
    static final String COMPONENTS = "{\"plugintypes\": {\"mod\": \"mod\", \"local\": \"local\"}, \"subsystems\": {}}";
    static final String ENVIRONMENT = """
            <?xml version="1.0" encoding="UTF-8" ?>
            <COMPATIBILITY_MATRIX>
              <MOODLE version="5.1" requires="4.2.3">
                <DATABASE level="required"><VENDOR name="postgres" version="15" /></DATABASE>
                <PHP version="8.2.0" level="required" />
              </MOODLE>
            </COMPATIBILITY_MATRIX>
            """;

    /**
     * The real Moodle 4.5.6 release: $MOODLE_RELEASE_TGZ when it names that file, else
     * ../shared/moodle/moodle-4.5.6.tgz above the working directory, else the verified copy
     * scripts/local_site.py keeps in ~/.cache/moodle-autopilot (as the bundle's tests find it).
     */
    static Path moodle456() {
        String env = System.getenv("MOODLE_RELEASE_TGZ");
        if (env != null && Path.of(env).getFileName().toString().equals("moodle-4.5.6.tgz")
                && Files.isRegularFile(Path.of(env))) {
            return Path.of(env);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/moodle/moodle-4.5.6.tgz");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Path cached = Path.of(System.getProperty("user.home"), ".cache", "moodle-autopilot", "moodle-4.5.6.tgz");
        return Files.isRegularFile(cached) && Files.isRegularFile(Path.of(cached + ".sha256")) ? cached : null;
    }

    @Test
    void theRealMoodle456ReleaseIsReadWithoutUnpackingIt() {
        Path archive = moodle456();
        assumeTrue(archive != null, "the real Moodle 4.5.6 archive is not here (../shared/moodle/moodle-4.5.6.tgz,"
                + " ~/.cache/moodle-autopilot or $MOODLE_RELEASE_TGZ): scripts/local_site.py release fetches it");

        MoodleRelease r = MoodleRelease.read(archive, false, "moodle-4.5.6.tgz");

        assertThat(r.top()).isEqualTo("moodle/");
        assertThat(r.version()).isEqualTo("2024100706.00");
        assertThat(r.release()).isEqualTo("4.5.6 (Build: 20250811)");
        assertThat(r.branch()).isEqualTo("405");
        assertThat(r.majorMinor()).isEqualTo("4.5");
        assertThat(r.pluginTypes()).containsEntry("local", "local").containsEntry("mod", "mod")
                .containsEntry("block", "blocks").containsEntry("tool", "admin/tool").hasSizeGreaterThan(40);
        MoodleEnvironment env = MoodleEnvironment.of(r.environmentXml(), r.majorMinor()).orElseThrow();
        assertThat(env.requires()).isEqualTo("4.1.2");
        assertThat(env.phpMinimum()).isEqualTo("8.1.0");
        assertThat(env.phpRestrictedFrom()).as("restrict_php_version_84").isEqualTo("8.4");
        assertThat(env.vendors()).containsEntry("postgres", "13").containsEntry("mysql", "8.0")
                .containsEntry("mariadb", "10.6.7");
        // The stack as template.yaml builds it (PHP 8.3, Aurora PostgreSQL 16.8) upgrading a 4.1.2 site.
        assertThat(UpgradeCompatibility.refusals(r, new DatabaseRecord("DONE", "2022112802.00",
                        "4.1.2 (Build: 20230313)", Map.of()), Platform.of("8.3", "aurora-postgresql", "16.8"),
                java.util.List.of())).isEmpty();
    }

    @Test
    void a51ReleaseHasItsTopInPublic() throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("moodle/composer.json", "{}");
        files.put("moodle/public/version.php", VERSION_PHP);
        files.put("moodle/public/lib/components.json", COMPONENTS);
        files.put("moodle/public/admin/environment.xml", ENVIRONMENT);
        files.put("moodle/public/mod/forum/version.php", "<?php\n$plugin->version = 2025100600;\n");
        Path tgz = write("moodle-5.1.tgz", tgz(TarWriter.LongNames.GNU, files));

        MoodleRelease r = MoodleRelease.read(tgz, false, "moodle-5.1.tgz");

        assertThat(r.top()).isEqualTo("moodle/public/");
        assertThat(r.version()).as("the commented-out assignment is not read").isEqualTo("2025100600.00");
        assertThat(r.release()).isEqualTo("5.1 (Build: 20251006)");
        assertThat(r.branch()).isEqualTo("501");
        assertThat(r.majorMinor()).isEqualTo("5.1");
        assertThat(r.pluginTypes()).containsExactlyInAnyOrderEntriesOf(Map.of("mod", "mod", "local", "local"));
        assertThat(MoodleEnvironment.of(r.environmentXml(), "5.1").orElseThrow().requires()).isEqualTo("4.2.3");
    }

    @Test
    void theVersionPhpNextToComponentsJsonIsTheTopEvenWithAnotherAbove() throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("moodle/version.php", "<?php\n$version = 1.00;\n$release = 'outer';\n$branch = '501';\n");
        files.put("moodle/public/version.php", VERSION_PHP);
        files.put("moodle/public/lib/components.json", COMPONENTS);
        Path tgz = write("moodle-5.1b.tgz", tgz(TarWriter.LongNames.PAX, files));

        MoodleRelease r = MoodleRelease.read(tgz, false, "moodle-5.1b.tgz");

        assertThat(r.top()).isEqualTo("moodle/public/");
        assertThat(r.release()).isEqualTo("5.1 (Build: 20251006)");
    }

    @Test
    void aZipReleaseIsReadLikeATgz() throws IOException {
        Path zip = write("moodle.zip", TarWriter.zip(Map.of("moodle/version.php", VERSION_PHP,
                "moodle/lib/components.json", COMPONENTS)));

        MoodleRelease r = MoodleRelease.read(zip, true, "moodle.zip");

        assertThat(r.top()).isEqualTo("moodle/");
        assertThat(r.version()).isEqualTo("2025100600.00");
        assertThat(r.environmentXml()).as("absent: the environment check then names it").isEmpty();
    }

    @Test
    void longNamesInEveryTarFormAreRead() throws IOException {
        String deep = "moodle/" + "very-long-directory-name/".repeat(4) + "file.txt";
        assertThat(deep.length()).isGreaterThan(100);
        for (TarWriter.LongNames form : TarWriter.LongNames.values()) {
            Map<String, String> files = new LinkedHashMap<>();
            files.put(deep, "deep " + form);
            files.put("moodle/version.php", VERSION_PHP);
            Path tgz = write("long-" + form + ".tgz", tgz(form, files));

            Map<String, byte[]> read = ArchiveFiles.read(tgz, false, name -> name.endsWith(".txt") || name.endsWith(".php"));

            assertThat(read).as(form.name()).containsOnlyKeys(deep, "moodle/version.php");
            assertThat(new String(read.get(deep))).isEqualTo("deep " + form);
            assertThat(new String(read.get("moodle/version.php"))).as("the entry after the long one").isEqualTo(VERSION_PHP);
        }
    }

    @Test
    void anArchiveWithoutACoreVersionPhpIsNotAMoodleRelease() throws IOException {
        Path tgz = write("plugin.tgz", tgz(TarWriter.LongNames.GNU, Map.of(
                "moodle/mod/forum/version.php", "<?php\n$plugin->version = 1;\n", "moodle/index.php", "<?php\n")));

        assertThatThrownBy(() -> MoodleRelease.read(tgz, false, "https://host/plugin.tgz"))
                .isInstanceOf(StagingException.class)
                .hasMessageContaining("https://host/plugin.tgz has no Moodle version.php").hasMessageContaining("nothing was staged");
    }

    @Test
    void aVersionPhpWithoutANumericVersionOrABranchIsRefused() throws IOException {
        Path noVersion = write("a.tgz", tgz(TarWriter.LongNames.GNU, Map.of("moodle/version.php",
                "<?php\n$version = 'x';\n$release = '4.5';\n$branch = '405';\n")));
        Path noBranch = write("b.tgz", tgz(TarWriter.LongNames.GNU, Map.of("moodle/version.php",
                "<?php\n$version = 2024100700;\n$release = '4.5';\n")));

        assertThatThrownBy(() -> MoodleRelease.read(noVersion, false, "a")).hasMessageContaining("no numeric $version");
        assertThatThrownBy(() -> MoodleRelease.read(noBranch, false, "b")).hasMessageContaining("no $branch");
    }

    @Test
    void somethingThatIsNotAnArchiveFailsClearly() throws IOException {
        Path html = write("x.tgz", "<html>not found</html>".getBytes());
        Path badTar = write("y.tgz", gzip(new byte[1024 + 17]));

        assertThatThrownBy(() -> MoodleRelease.read(html, false, "x")).isInstanceOf(StagingException.class)
                .hasMessageContaining("cannot be read as a .tgz");
        // 1041 zero bytes: an empty archive (two zero blocks), so no version.php.
        assertThatThrownBy(() -> MoodleRelease.read(badTar, false, "y")).hasMessageContaining("no Moodle version.php");
        byte[] garbage = new byte[512];
        java.util.Arrays.fill(garbage, (byte) 'a');
        Path corrupt = write("z.tgz", gzip(garbage));
        assertThatThrownBy(() -> MoodleRelease.read(corrupt, false, "z")).hasMessageContaining("checksum");
    }

    @Test
    void branchesAreWrittenAsEnvironmentXmlWritesThem() {
        assertThat(release("405").majorMinor()).isEqualTo("4.5");
        assertThat(release("311").majorMinor()).isEqualTo("3.11");
        assertThat(release("39").majorMinor()).isEqualTo("3.9");
        assertThat(release("501").majorMinor()).isEqualTo("5.1");
        assertThat(release("500").majorMinor()).isEqualTo("5.0");
    }

    @Test
    void paxRecordsAreParsedByTheirLength() throws IOException {
        String record = TarWriter.paxRecord("path", "a/b") + TarWriter.paxRecord("mtime", "1.5");
        assertThat(ArchiveFiles.pax(record.getBytes())).containsExactly(Map.entry("path", "a/b"), Map.entry("mtime", "1.5"));
        assertThatThrownBy(() -> ArchiveFiles.pax("99 path=a\n".getBytes())).hasMessageContaining("runs past");
    }

    private static MoodleRelease release(String branch) {
        return new MoodleRelease("moodle/", "1", "x", branch, Map.of(), "");
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    private static byte[] tgz(TarWriter.LongNames form, Map<String, String> files) {
        TarWriter w = new TarWriter(form);
        files.forEach(w::file);
        return w.tgz();
    }

    private static byte[] gzip(byte[] data) {
        var out = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
