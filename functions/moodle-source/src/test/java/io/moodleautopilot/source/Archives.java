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

    /** A .tgz laid out as Moodle's are: everything under moodle/. */
    static byte[] tinyMoodleRelease(String release) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("moodle/version.php", "<?php\n$release = '" + release + "';\n");
        files.put("moodle/index.php", "<?php\nrequire_once('config.php');\n");
        return tarGz(files);
    }

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
