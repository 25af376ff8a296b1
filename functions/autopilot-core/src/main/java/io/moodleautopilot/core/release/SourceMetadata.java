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
    /** {@link DeclaredPlugins#digest()}: absent (read as empty) on an object staged without plugins. */
    public static final String PLUGINS_DIGEST = "plugins-digest";
    /** The staged release's $release and $version, answered again when a repeat stages nothing. */
    public static final String MOODLE_RELEASE = "moodle-release";
    public static final String MOODLE_VERSION = "moodle-version";
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

    static Map<String, String> of(ReleaseSpec spec, String releaseSha256, String bundleDigest, String pinnedDigest,
                                  String pluginsDigest, MoodleRelease release) {
        Map<String, String> m = of(spec, releaseSha256, bundleDigest, pinnedDigest);
        // Only with plugins: an object staged without them keeps the metadata it always had.
        if (!pluginsDigest.isEmpty()) {
            m.put(PLUGINS_DIGEST, pluginsDigest);
        }
        m.put(MOODLE_RELEASE, asciiOnly(release.release()));
        m.put(MOODLE_VERSION, asciiOnly(release.version()));
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
