package io.moodleautopilot.source;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.utils.SeekableInMemoryByteChannel;

/** Archives the tests build (a tiny Moodle release) and read back (the staged source object). */
final class Archives {
    private Archives() {
    }

    /**
     * A .tgz laid out as Moodle's are: everything under moodle/, with the files MoodleSource reads
     * (version.php, lib/components.json, admin/environment.xml). A release "4.5.N ..." is branch 405
     * with $version 20241007NN.00, as Moodle numbers its weekly releases.
     */
    static byte[] tinyMoodleRelease(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            throw new IllegalArgumentException(release);
        }
        String version = "20241007" + String.format("%02d", Integer.parseInt(m.group(3))) + ".00";
        return tinyMoodleRelease(release, version, "moodle/");
    }

    /** @param top moodle/ as up to 4.5, moodle/public/ as from 5.1 */
    static byte[] tinyMoodleRelease(String release, String version, String top) {
        return tarGz(moodleFiles(release, version, top));
    }

    static Map<String, String> moodleFiles(String release, String version, String top) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(top + "version.php", "<?php\ndefined('MOODLE_INTERNAL') || die();\n$version  = " + version
                + ";  // YYYYMMDDRR.XX\n$release  = '" + release + "';\n$branch   = '405';\n");
        files.put(top + "index.php", "<?php\nrequire_once('config.php');\n");
        files.put(top + "lib/components.json", "{\"plugintypes\": {\"mod\": \"mod\", \"local\": \"local\","
                + " \"block\": \"blocks\", \"tool\": \"admin/tool\"}, \"subsystems\": {\"admin\": \"admin\"}}");
        files.put(top + "admin/environment.xml", ENVIRONMENT_45);
        return files;
    }

    /** The 4.5 element of Moodle 4.5.6's admin/environment.xml, cut to what MoodleSource reads. */
    static final String ENVIRONMENT_45 = """
            <?xml version="1.0" encoding="UTF-8" ?>
            <COMPATIBILITY_MATRIX>
              <MOODLE version="4.4" requires="3.11.8">
                <DATABASE level="required"><VENDOR name="postgres" version="13" /></DATABASE>
                <PHP version="8.1.0" level="required" />
              </MOODLE>
              <MOODLE version="4.5" requires="4.1.2">
                <DATABASE level="required">
                  <VENDOR name="mariadb" version="10.6.7" />
                  <VENDOR name="mysql" version="8.0" />
                  <VENDOR name="postgres" version="13" />
                </DATABASE>
                <PHP version="8.1.0" level="required">
                  <RESTRICT function="restrict_php_version_84" message="unsupportedphpversion84" />
                </PHP>
              </MOODLE>
            </COMPATIBILITY_MATRIX>
            """;

    /** A .tgz of the given text files (path to content), each 0644. */
    static byte[] tarGz(Map<String, String> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (var f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                e.setMode(0100644);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A .zip of the given text files (path to content). */
    static byte[] zip(Map<String, String> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            for (var f : files.entrySet()) {
                zip.putNextEntry(new java.util.zip.ZipEntry(f.getKey()));
                zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * A plugin's zip as moodle.org lays them out: one directory named after the plugin, its
     * version.php (with $plugin->component), and an install step.
     */
    static byte[] plugin(String component, String version, String requires) {
        String name = component.substring(component.indexOf('_') + 1);
        Map<String, String> files = new LinkedHashMap<>();
        files.put(name + "/version.php", "<?php\ndefined('MOODLE_INTERNAL') || die();\n"
                + "$plugin->component = '" + component + "';\n$plugin->version   = " + version + ";\n"
                + "$plugin->requires  = " + requires + ";\n");
        files.put(name + "/db/install.php", "<?php\nfunction xmldb_" + component + "_install() {\n    return true;\n}\n");
        files.put(name + "/lang/en/" + component + ".php", "<?php\n$string['pluginname'] = 'Test';\n");
        return zip(files);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One entry of a ZIP: its bytes, its Unix mode and its compression method. */
    record Entry(byte[] content, int unixMode, int method) {
    }

    static Map<String, Entry> unzip(byte[] zip) {
        Map<String, Entry> out = new LinkedHashMap<>();
        try (ZipFile file = ZipFile.builder().setSeekableByteChannel(new SeekableInMemoryByteChannel(zip)).get()) {
            for (ZipArchiveEntry e : java.util.Collections.list(file.getEntries())) {
                try (var in = file.getInputStream(e)) {
                    out.put(e.getName(), new Entry(in.readAllBytes(), e.getUnixMode(), e.getMethod()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
