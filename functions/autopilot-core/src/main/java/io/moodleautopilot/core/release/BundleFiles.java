package io.moodleautopilot.core.release;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The deployment bundle (appspec, hooks, scripts) that goes to the root of the source object
 * beside the release archive. Its digest says whether the staged object carries this bundle.
 */
public record BundleFiles(List<BundleFile> files) {

    /** One file; shell scripts are executable in the source object, since CodeDeploy runs hooks as files. */
    public record BundleFile(String path, byte[] content) {
        public boolean executable() {
            return path.endsWith(".sh");
        }
    }

    /** @throws StagingException when a path is unsafe, repeated, or would hide the release archive */
    public BundleFiles {
        List<BundleFile> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(BundleFile::path));
        Set<String> seen = new HashSet<>();
        for (BundleFile f : sorted) {
            String p = f.path();
            if (p.isBlank() || p.startsWith("/") || p.contains("\\") || p.endsWith("/")
                    || List.of(p.split("/")).stream().anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
                throw new StagingException("bundle path '" + p + "' is not a plain relative file path");
            }
            if (p.equals(ReleaseSpec.TGZ_NAME) || p.equals(ReleaseSpec.ZIP_NAME)) {
                throw new StagingException("bundle path '" + p + "' is the name reserved for the Moodle release");
            }
            if (p.startsWith(PinnedSources.DIR)) {
                throw new StagingException("bundle path '" + p + "' is under " + PinnedSources.DIR
                        + ", which is reserved for the pinned sources MoodleSource stages");
            }
            if (!seen.add(p)) {
                throw new StagingException("bundle path '" + p + "' is listed twice");
            }
        }
        if (sorted.isEmpty()) {
            throw new StagingException("the deployment bundle lists no files");
        }
        files = List.copyOf(sorted);
    }

    /**
     * SHA-256 over every file's path and content, in path order, each length-prefixed so that no
     * two different bundles share a digest.
     */
    public String digest() {
        MessageDigest sha = sha256();
        for (BundleFile f : files) {
            byte[] name = f.path().getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(name.length).array());
            sha.update(name);
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(f.content().length).array());
            sha.update(f.content());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
