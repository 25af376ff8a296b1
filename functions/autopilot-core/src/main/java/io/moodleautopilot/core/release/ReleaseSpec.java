package io.moodleautopilot.core.release;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What to stage, validated: the release's URL (given, or derived from the version), the checksum it
 * must have (empty: accept what is downloaded), the name it gets in the source object, and the
 * bundle version that asked for it.
 *
 * @param expectedSha256 lower-case hex, or empty
 * @param archiveName    {@code moodle-release.zip} for a .zip URL, {@code moodle-release.tgz} otherwise
 */
public record ReleaseSpec(URI url, String expectedSha256, String archiveName, String bundleVersion) {
    public static final String TGZ_NAME = "moodle-release.tgz";
    public static final String ZIP_NAME = "moodle-release.zip";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * @param releaseUrl     empty to derive it from {@code releaseVersion}
     * @param allowPlainHttp only for tests against a local server; real stacks accept HTTPS only
     * @throws ReleaseRequestException with a reason fit for a CloudFormation event
     */
    public static ReleaseSpec of(String releaseUrl, String releaseVersion, String releaseSha256, String bundleVersion,
                                 boolean allowPlainHttp) {
        String given = releaseUrl == null ? "" : releaseUrl.trim();
        URI url;
        if (given.isEmpty()) {
            if (releaseVersion == null || releaseVersion.isBlank()) {
                throw new ReleaseRequestException("neither ReleaseUrl nor ReleaseVersion is set");
            }
            url = MoodleDownloads.releaseUrl(releaseVersion);
        } else {
            url = parseUrl(given, allowPlainHttp);
        }
        return new ReleaseSpec(url, checksum(releaseSha256), archiveName(url),
                bundleVersion == null ? "" : bundleVersion.trim());
    }

    public boolean hasExpectedChecksum() {
        return !expectedSha256.isEmpty();
    }

    /** The URL without its query (a pre-signed URL's signature stays out of logs and events). */
    public String displayUrl() {
        return display(url);
    }

    static String display(URI url) {
        return url.getScheme() + "://" + url.getRawAuthority() + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    private static URI parseUrl(String text, boolean allowPlainHttp) {
        return parseUrl("ReleaseUrl", text, allowPlainHttp);
    }

    /** A download URL named by {@code property} in messages: HTTPS (or, for tests, HTTP), a host, no credentials. */
    static URI parseUrl(String property, String text, boolean allowPlainHttp) {
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw new ReleaseRequestException(property + " is not a valid URL: " + e.getReason());
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        boolean https = scheme.equals("https");
        boolean http = scheme.equals("http");
        if (!https && !(http && allowPlainHttp)) {
            throw new ReleaseRequestException(property + " must be an https:// URL, got '"
                    + (scheme.isEmpty() ? text : scheme + "://...") + "'");
        }
        if (url.getHost() == null || url.getHost().isBlank()) {
            throw new ReleaseRequestException(property + " has no host: '" + text + "'");
        }
        if (url.getRawUserInfo() != null) {
            throw new ReleaseRequestException(property + " must not carry a user name or password");
        }
        return url;
    }

    private static String checksum(String text) {
        String sha = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (!sha.isEmpty() && !SHA256.matcher(sha).matches()) {
            throw new ReleaseRequestException("ReleaseSha256 must be 64 hexadecimal characters (a SHA-256), got '"
                    + (sha.length() > 80 ? sha.substring(0, 80) + "..." : sha) + "'");
        }
        return sha;
    }

    private static String archiveName(URI url) {
        String path = url.getPath() == null ? "" : url.getPath().toLowerCase(Locale.ROOT);
        return path.endsWith(".zip") ? ZIP_NAME : TGZ_NAME;
    }
}
