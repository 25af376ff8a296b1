package io.moodleautopilot.function;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a custom resource may answer: only to what CloudFormation sends, an https pre-signed URL of
 * an S3 endpoint of an AWS partition. Checked before any work, so a forged or broken request
 * (a {@code file:} or {@code http://169.254.169.254/} ResponseURL) changes nothing and contacts
 * nothing. The rule and its sources are in docs/decisions.md ("Custom-resource answers go only to S3").
 *
 * <ul>
 *   <li>scheme {@code https}; no user-info; no port, or 443;</li>
 *   <li>a host name (never an IP literal) that is an S3 REST endpoint of the {@code aws},
 *       {@code aws-us-gov} or {@code aws-cn} partition: optional bucket labels, then {@code s3},
 *       {@code s3-fips}, {@code s3-external-1} or {@code s3-<region>}, optionally {@code .dualstack}
 *       and {@code .<region>}, then {@code amazonaws.com} or {@code amazonaws.com.cn};</li>
 *   <li>a path (the object) and a pre-signed query: {@code X-Amz-Signature} (SigV4) or
 *       {@code Signature} (SigV2), with a value.</li>
 * </ul>
 */
public final class ResponseUrlPolicy {
    private static final String REGION = "[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}";
    private static final String LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
    private static final Pattern S3_HOST = Pattern.compile(
            "(?:" + LABEL + "\\.)*"                                       // the bucket (virtual-hosted style)
                    + "s3(?:-fips|-external-1|-" + REGION + ")?"         // s3, s3-fips, s3-external-1, s3-us-west-2
                    + "(?:\\.dualstack)?(?:\\." + REGION + ")?"          // .dualstack, .us-east-1
                    + "\\.amazonaws\\.com(?:\\.cn)?");
    private static final Pattern SIGNATURE = Pattern.compile("(?:^|&)(?:X-Amz-Signature|Signature)=[^&]+");

    private ResponseUrlPolicy() {
    }

    /**
     * @return empty when the URL may be answered; otherwise why not, in one line that names at most
     *         the scheme and the host (never the path or the query, which holds the signature)
     */
    public static Optional<String> refusal(String responseUrl) {
        if (responseUrl == null || responseUrl.isBlank()) {
            return Optional.of("ResponseURL is missing");
        }
        URI uri;
        try {
            uri = new URI(responseUrl.trim());
        } catch (URISyntaxException e) {
            return Optional.of("ResponseURL is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https")) {
            return Optional.of("ResponseURL scheme is '" + printable(scheme) + "', not https");
        }
        if (uri.isOpaque() || uri.getRawAuthority() == null) {
            return Optional.of("ResponseURL has no host");
        }
        if (uri.getRawUserInfo() != null) {
            return Optional.of("ResponseURL carries user-info");
        }
        String host = uri.getHost();
        if (host == null) {
            return Optional.of("ResponseURL has no valid host");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (uri.getPort() != -1 && uri.getPort() != 443) {
            return Optional.of("ResponseURL port is " + uri.getPort() + ", not the https default 443 (host '"
                    + printable(host) + "')");
        }
        if (host.startsWith("[") || host.matches("[0-9.]+")) {
            return Optional.of("ResponseURL host '" + printable(host) + "' is an IP address, not an S3 endpoint");
        }
        if (!S3_HOST.matcher(host).matches()) {
            return Optional.of("ResponseURL host '" + printable(host) + "' is not an S3 endpoint of an AWS partition");
        }
        String path = uri.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return Optional.of("ResponseURL names no object (host '" + host + "')");
        }
        String query = uri.getRawQuery();
        if (query == null || !SIGNATURE.matcher(query).find()) {
            return Optional.of("ResponseURL is not pre-signed: no X-Amz-Signature or Signature (host '" + host + "')");
        }
        return Optional.empty();
    }

    /** The one line that says a request was refused, and why. */
    static String refusedMessage(String reason) {
        return "request refused, nothing done and nothing answered: " + reason
                + " (CloudFormation only sends https pre-signed S3 URLs, so this request is forged or broken)";
    }

    /** Scheme and host as they may be echoed: printable ASCII, at most 100 characters. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(100).forEach(c -> out.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return text.length() > 100 ? out + "..." : out.toString();
    }
}
