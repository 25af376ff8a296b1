package io.moodleautopilot.core.release;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the tar forms the reader must understand, byte by byte as GNU tar and pax writers do, so
 * that each is tested on its own: plain ustar (with the prefix field), GNU 'L' long names and pax
 * 'x' path records.
 */
final class TarWriter {
    enum LongNames { USTAR_PREFIX, GNU, PAX }

    private final ByteArrayOutputStream tar = new ByteArrayOutputStream();
    private final LongNames longNames;

    TarWriter(LongNames longNames) {
        this.longNames = longNames;
    }

    TarWriter file(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        if (name.length() > 100) {
            switch (longNames) {
                case GNU -> {
                    entry("././@LongLink", "", 'L', (name + "\0").getBytes(StandardCharsets.UTF_8));
                    return entry(name.substring(0, 100), "", '0', data);
                }
                case PAX -> {
                    String record = paxRecord("path", name);
                    entry("PaxHeaders/x", "", 'x', record.getBytes(StandardCharsets.UTF_8));
                    return entry(name.substring(name.length() - 100), "", '0', data);
                }
                case USTAR_PREFIX -> {
                    int slash = name.lastIndexOf('/', name.length() - 2);
                    while (name.length() - slash - 1 > 100) {
                        slash = name.indexOf('/', slash + 1);
                    }
                    return entry(name.substring(slash + 1), name.substring(0, slash), '0', data);
                }
                default -> throw new IllegalStateException();
            }
        }
        return entry(name, "", '0', data);
    }

    TarWriter directory(String name) {
        return entry(name, "", '5', new byte[0]);
    }

    /** "<length> key=value\n", the length counting itself. */
    static String paxRecord(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.length() + 1;
        while (String.valueOf(len).length() + body.length() != len) {
            len = String.valueOf(len).length() + body.length();
        }
        return len + body;
    }

    private TarWriter entry(String name, String prefix, char type, byte[] data) {
        byte[] h = new byte[512];
        put(h, 0, name, 100);
        put(h, 100, "0000644", 8);
        put(h, 108, "0000000", 8);
        put(h, 116, "0000000", 8);
        put(h, 124, String.format("%011o", data.length), 12);
        put(h, 136, "00000000000", 12);
        h[156] = (byte) type;
        put(h, 257, "ustar", 6);
        h[263] = '0';
        h[264] = '0';
        put(h, 345, prefix, 155);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum), 7);
        h[154] = 0;
        h[155] = ' ';
        tar.writeBytes(h);
        tar.writeBytes(data);
        tar.writeBytes(new byte[(512 - data.length % 512) % 512]);
        return this;
    }

    private static void put(byte[] h, int offset, String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > max) {
            throw new IllegalArgumentException(s + " is longer than " + max);
        }
        System.arraycopy(b, 0, h, offset, b.length);
    }

    byte[] tgz() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(tar.toByteArray());
            gz.write(new byte[1024]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] zip(Map<String, String> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var f : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
