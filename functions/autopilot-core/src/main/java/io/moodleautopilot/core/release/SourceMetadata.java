package io.moodleautopilot.core.release;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** The user metadata the source object is staged with: what it holds, so a repeat can be recognised. */
public final class SourceMetadata {
    public static final String RELEASE_URL = "release-url";
    public static final String RELEASE_SHA256 = "release-sha256";
    public static final String BUNDLE_DIGEST = "bundle-digest";
    public static final String BUNDLE_VERSION = "bundle-version";
    /** {@link PinnedSources#digest()}: absent (read as empty) on an object staged without pinned sources. */
    public static final String PINNED_DIGEST = "pinned-digest";
    /** S3 allows 2 KB of user metadata in all; a longer URL (a pre-signed one) is recorded by its hash. */
    static final int MAX_URL_LENGTH = 1024;

    private SourceMetadata() {
    }

    static Map<String, String> of(ReleaseSpec spec, String releaseSha256, String bundleDigest) {
        return of(spec, releaseSha256, bundleDigest, "");
    }

    static Map<String, String> of(ReleaseSpec spec, String releaseSha256, String bundleDigest, String pinnedDigest) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RELEASE_URL, releaseUrl(spec));
        m.put(RELEASE_SHA256, releaseSha256);
        m.put(BUNDLE_DIGEST, bundleDigest);
        m.put(BUNDLE_VERSION, asciiOnly(spec.bundleVersion()));
        if (!pinnedDigest.isEmpty()) {
            m.put(PINNED_DIGEST, pinnedDigest);
        }
        return m;
    }

    /** The release-url value for this spec: the URL itself, or {@code sha256:<hex>} of a very long one. */
    static String releaseUrl(ReleaseSpec spec) {
        String url = spec.url().toASCIIString();
        if (url.length() <= MAX_URL_LENGTH) {
            return url;
        }
        return "sha256:" + HexFormat.of().formatHex(BundleFiles.sha256().digest(url.getBytes(StandardCharsets.US_ASCII)));
    }

    /** S3 user metadata travels in HTTP headers: keep it printable ASCII. */
    private static String asciiOnly(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
