package io.moodleautopilot.core.release;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a few small files out of a release archive (.tgz or .zip) in one streaming pass, without
 * unpacking the rest: a Moodle release is some 300 MB unpacked, and MoodleSource needs three files
 * of it. The tar reader is this small one rather than a library so that the core stays free of
 * dependencies; it knows what GNU tar and Moodle's packaging write: ustar names with their prefix
 * field, GNU 'L' long names and pax 'x' records (path, size).
 */
public final class ArchiveFiles {
    /** No file MoodleSource reads is near this (environment.xml is some 200 KB); a bigger one is not read. */
    public static final int MAX_FILE_BYTES = 8 << 20;
    private static final int BLOCK = 512;

    private ArchiveFiles() {
    }

    /**
     * @param zip    true for a .zip, false for a gzip-compressed tar
     * @param wanted which entry names (normalised: no leading "./") to keep
     * @return the wanted regular files, by name, in archive order
     * @throws IOException when the archive cannot be read (truncated, not gzip, a bad header)
     */
    public static Map<String, byte[]> read(Path archive, boolean zip, Predicate<String> wanted) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            return zip ? readZip(in, wanted) : readTar(new GZIPInputStream(in, 1 << 16), wanted);
        }
    }

    static Map<String, byte[]> readZip(InputStream in, Predicate<String> wanted) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = normalise(e.getName());
                if (!e.isDirectory() && wanted.test(name)) {
                    out.put(name, readCapped(zip, name));
                }
            }
        }
        return out;
    }

    static Map<String, byte[]> readTar(InputStream in, Predicate<String> wanted) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        byte[] header = new byte[BLOCK];
        String longName = null;
        String paxPath = null;
        long paxSize = -1;
        while (true) {
            if (!readBlock(in, header)) {
                return out; // an archive without the two zero blocks: what was read stands
            }
            if (isZero(header)) {
                return out;
            }
            if (!checksumMatches(header)) {
                throw new IOException("not a tar archive (a header's checksum does not match)");
            }
            char type = (char) header[156];
            long size = paxSize >= 0 ? paxSize : number(header, 124, 12);
            long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
            switch (type) {
                case 'L' -> { // GNU: the data is the next entry's name
                    longName = cString(readData(in, size, padded, "a GNU long name"));
                    continue;
                }
                case 'x' -> { // pax: records for the next entry
                    Map<String, String> pax = pax(readData(in, size, padded, "a pax header"));
                    paxPath = pax.get("path");
                    paxSize = pax.containsKey("size") ? Long.parseLong(pax.get("size")) : -1;
                    continue;
                }
                case 'g', 'K' -> { // pax global header, GNU long link name: nothing MoodleSource needs
                    in.skipNBytes(padded);
                    continue;
                }
                default -> {
                }
            }
            String name;
            if (paxPath != null) {
                name = paxPath;
            } else if (longName != null) {
                name = longName;
            } else {
                String base = cString(header, 0, 100);
                String prefix = isUstar(header) ? cString(header, 345, 155) : "";
                name = prefix.isEmpty() ? base : prefix + "/" + base;
            }
            name = normalise(name);
            longName = null;
            paxPath = null;
            paxSize = -1;
            boolean regular = type == '0' || type == '\0' || type == '7';
            if (regular && wanted.test(name)) {
                if (size > MAX_FILE_BYTES) {
                    throw new IOException(name + " is " + size + " bytes, over the " + MAX_FILE_BYTES + " read here");
                }
                byte[] data = in.readNBytes((int) size);
                if (data.length != size) {
                    throw new EOFException("the archive ends inside " + name);
                }
                in.skipNBytes(padded - size);
                out.put(name, data);
            } else {
                in.skipNBytes(padded);
            }
        }
    }

    private static byte[] readData(InputStream in, long size, long padded, String what) throws IOException {
        if (size > MAX_FILE_BYTES) {
            throw new IOException(what + " of " + size + " bytes");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new EOFException("the archive ends inside " + what);
        }
        in.skipNBytes(padded - size);
        return data;
    }

    private static byte[] readCapped(InputStream in, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            if (out.size() > MAX_FILE_BYTES) {
                throw new IOException(name + " is over the " + MAX_FILE_BYTES + " bytes read here");
            }
        }
        return out.toByteArray();
    }

    /** "./moodle/x" and "moodle//x" name the same file as "moodle/x". */
    static String normalise(String name) {
        String n = name.replace('\\', '/').replaceAll("/{2,}", "/");
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }

    private static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n != BLOCK) {
            throw new EOFException("the archive ends inside a tar header");
        }
        return true;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isUstar(byte[] header) {
        return header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r';
    }

    /** The header checksum: the sum of its bytes with the checksum field read as spaces. */
    private static boolean checksumMatches(byte[] header) {
        long expected = number(header, 148, 8);
        long unsigned = 0;
        for (int i = 0; i < BLOCK; i++) {
            unsigned += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        return unsigned == expected;
    }

    /** An octal field, or GNU's base-256 form (top bit set) for sizes over 8 GB. */
    static long number(byte[] b, int offset, int length) {
        if ((b[offset] & 0x80) != 0) {
            long v = b[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                v = (v << 8) | (b[offset + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        for (int i = offset; i < offset + length; i++) {
            byte c = b[i];
            if (c == 0 || c == ' ') {
                if (v != 0) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                break;
            }
            v = v * 8 + (c - '0');
        }
        return v;
    }

    private static String cString(byte[] b, int offset, int length) {
        int end = offset;
        while (end < offset + length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String cString(byte[] b) {
        return cString(b, 0, b.length);
    }

    /** pax records: "<length> <key>=<value>\n", the length counting the whole record. */
    static Map<String, String> pax(byte[] data) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < data.length) {
            int space = i;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            if (space >= data.length) {
                break;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, i, space - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("a pax record has no length");
            }
            if (length <= space - i || i + length > data.length) {
                throw new IOException("a pax record's length runs past its header");
            }
            String record = new String(data, space + 1, i + length - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                out.put(record.substring(0, eq), record.substring(eq + 1));
            }
            i += length;
        }
        return out;
    }
}
