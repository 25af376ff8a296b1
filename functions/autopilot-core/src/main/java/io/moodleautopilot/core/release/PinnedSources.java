package io.moodleautopilot.core.release;

import io.moodleautopilot.core.json.JsonValue;
import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a web instance needs besides the release and the bundle, each pinned to one URL and checked
 * against a SHA-256, as template.yaml gives them to MoodleSource:
 *
 * <ul>
 *   <li>{@value #EXTENSIONS} — the PECL source tarballs AL2023 does not package (phpredis, the
 *       memcached extension): {@code [{"Url": "https://pecl.php.net/get/redis-6.1.0.tgz", "Sha256": "..."}]}.
 *       They come from outside AWS, so each must name its SHA-256; MoodleSource stages them under
 *       {@code vendor/} and the bootstrap builds them from there with no network.</li>
 *   <li>{@value #AGENT} — the CodeDeploy agent's package in AWS's regional bucket, at a pinned
 *       version: {@code {"Url": "https://aws-codedeploy-<region>.s3.<region>.amazonaws.com/releases/
 *       codedeploy-agent-1.8.1-26.noarch.rpm", "Sha256": ""}}. AWS publishes no checksum for it, so an
 *       empty Sha256 means "record what is there when staging"; every boot then checks the package it
 *       downloads against that record. It is not staged: instances fetch it from AWS (S3 gateway endpoint).</li>
 * </ul>
 *
 * {@link #manifest} is what the instances read: {@value #MANIFEST} in the source object.
 */
public record PinnedSources(List<PinnedSource> sources) {
    public static final String EXTENSIONS = "PhpExtensions";
    public static final String AGENT = "CodeDeployAgent";
    /** Where the staged files go in the source object; the bundle may not use it. */
    public static final String DIR = "vendor/";
    public static final String MANIFEST = DIR + "manifest.json";
    /** PECL tarballs are well under a MiB and the agent's package a few MiB. */
    public static final long MAX_BYTES = 64L << 20;

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** PECL's file naming: {@code <extension>-<version>.tgz}. */
    private static final Pattern PECL_FILE = Pattern.compile("([a-z][a-z0-9_]{0,40})-([0-9][0-9A-Za-z.]{0,40})\\.tgz");
    /** AWS's key naming in the resource kit bucket: {@code releases/codedeploy-agent-<version>-<build>.noarch.rpm}. */
    private static final Pattern AGENT_FILE = Pattern.compile("codedeploy-agent-([0-9][0-9A-Za-z.-]{0,40})\\.noarch\\.rpm");

    public enum Kind {
        /** Staged under {@value #DIR}; the bootstrap builds it with phpize. */
        PHP_EXTENSION,
        /** Not staged: the instance downloads it from {@code url} and checks the recorded SHA-256. */
        CODEDEPLOY_AGENT
    }

    /**
     * @param expectedSha256 lower-case hex; empty only for the agent (then the download's is recorded)
     * @param stagedPath     where it goes in the source object, or empty when it is not staged
     */
    public record PinnedSource(Kind kind, String name, String version, URI url, String property,
                               String expectedSha256, String stagedPath) {
        public boolean staged() {
            return !stagedPath.isEmpty();
        }

        public boolean hasExpectedChecksum() {
            return !expectedSha256.isEmpty();
        }

        public String fileName() {
            String path = url.getPath();
            return path.substring(path.lastIndexOf('/') + 1);
        }

        public String displayUrl() {
            return ReleaseSpec.display(url);
        }
    }

    /** What a download of one source produced; {@code file} is null for a source that is not staged. */
    public record Fetched(PinnedSource source, String sha256, long bytes, java.nio.file.Path file) {
    }

    public PinnedSources {
        sources = List.copyOf(sources);
    }

    public static PinnedSources none() {
        return new PinnedSources(List.of());
    }

    /**
     * @param extensions     the {@value #EXTENSIONS} property as CloudFormation sends it (a JSON list)
     * @param agent          the {@value #AGENT} property (a JSON object)
     * @param allowPlainHttp only for tests against a local server
     * @throws ReleaseRequestException with a reason fit for a CloudFormation event
     */
    public static PinnedSources of(String extensions, String agent, boolean allowPlainHttp) {
        List<PinnedSource> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        JsonValue list = parse(EXTENSIONS, extensions);
        if (!list.isArray() || list.isEmpty()) {
            throw new ReleaseRequestException(EXTENSIONS + " must be a list of {Url, Sha256}: the PHP extension"
                    + " sources the web instances build (template.yaml gives them)");
        }
        for (JsonValue item : list) {
            URI url = url(EXTENSIONS, item, allowPlainHttp);
            String file = fileName(url);
            Matcher m = PECL_FILE.matcher(file);
            if (!m.matches()) {
                throw new ReleaseRequestException(EXTENSIONS + " URL " + ReleaseSpec.display(url)
                        + " must end in a PECL file name such as redis-6.1.0.tgz");
            }
            String sha = checksum(EXTENSIONS + " " + file, item);
            if (sha.isEmpty()) {
                throw new ReleaseRequestException(EXTENSIONS + " " + file + " has no Sha256: a source from outside AWS"
                        + " is staged only against a pinned SHA-256");
            }
            if (!names.add(m.group(1))) {
                throw new ReleaseRequestException(EXTENSIONS + " lists the extension " + m.group(1) + " twice");
            }
            out.add(new PinnedSource(Kind.PHP_EXTENSION, m.group(1), m.group(2), url, EXTENSIONS, sha, DIR + file));
        }
        JsonValue agentNode = parse(AGENT, agent);
        if (!agentNode.isObject()) {
            throw new ReleaseRequestException(AGENT + " must be {Url, Sha256}: the CodeDeploy agent package the web"
                    + " instances install (template.yaml gives it)");
        }
        URI agentUrl = url(AGENT, agentNode, allowPlainHttp);
        Matcher m = AGENT_FILE.matcher(fileName(agentUrl));
        if (!m.matches()) {
            throw new ReleaseRequestException(AGENT + " URL " + ReleaseSpec.display(agentUrl) + " must name one"
                    + " pinned package, releases/codedeploy-agent-<version>.noarch.rpm (never latest/)");
        }
        out.add(new PinnedSource(Kind.CODEDEPLOY_AGENT, "codedeploy-agent", m.group(1), agentUrl, AGENT,
                checksum(AGENT, agentNode), ""));
        return new PinnedSources(out);
    }

    /**
     * SHA-256 over every source's URL and expected checksum, in order: the staged object records it,
     * so that a changed pin stages again and an unchanged one does not. Empty when there are none.
     */
    public String digest() {
        if (sources.isEmpty()) {
            return "";
        }
        var sha = BundleFiles.sha256();
        for (PinnedSource s : sources) {
            sha.update((s.kind() + "\n" + s.url().toASCIIString() + "\n" + s.expectedSha256() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The instances' view of what was fetched, written to {@value #MANIFEST}:
     * <pre>
     * {"php_extensions": {"redis": {"version": "6.1.0", "file": "vendor/redis-6.1.0.tgz",
     *                               "sha256": "...", "url": "https://pecl.php.net/get/redis-6.1.0.tgz"}},
     *  "codedeploy_agent": {"version": "1.8.1-26", "url": "https://aws-codedeploy-...rpm", "sha256": "..."}}
     * </pre>
     */
    public static byte[] manifest(List<Fetched> fetched) {
        JsonObject root = new JsonObject();
        JsonObject extensions = root.putObject("php_extensions");
        for (Fetched f : fetched) {
            PinnedSource s = f.source();
            JsonObject n = s.kind() == Kind.PHP_EXTENSION ? extensions.putObject(s.name()) : root.putObject("codedeploy_agent");
            n.put("version", s.version());
            if (s.staged()) {
                n.put("file", s.stagedPath());
            }
            n.put("sha256", f.sha256());
            n.put("url", s.url().toASCIIString());
        }
        return Json.writePretty(root);
    }

    /** One line for the log and the CloudFormation event. */
    public static String summary(List<Fetched> fetched) {
        List<String> parts = new ArrayList<>();
        for (Fetched f : fetched) {
            PinnedSource s = f.source();
            parts.add(s.staged() ? s.fileName() + " (staged)"
                    : s.fileName() + " (SHA-256 " + f.sha256() + (s.hasExpectedChecksum() ? ", as pinned)" : ", recorded)"));
        }
        return String.join(", ", parts);
    }

    private static JsonValue parse(String property, String text) {
        if (text == null || text.isBlank()) {
            throw new ReleaseRequestException(property + " is not set: template.yaml pins what the web instances"
                    + " need from outside the release");
        }
        try {
            return Json.parse(text);
        } catch (JsonException e) {
            throw new ReleaseRequestException(property + " is not a list or object of {Url, Sha256}");
        }
    }

    private static URI url(String property, JsonValue item, boolean allowPlainHttp) {
        JsonValue url = item.path("Url");
        if (!item.isObject() || !url.isTextual() || url.asText().isBlank()) {
            throw new ReleaseRequestException(property + " entries need a Url (and a Sha256)");
        }
        return ReleaseSpec.parseUrl(property, url.asText().trim(), allowPlainHttp);
    }

    private static String fileName(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String checksum(String what, JsonValue item) {
        JsonValue node = item.path("Sha256");
        String sha = node.isTextual() ? node.asText().trim().toLowerCase(Locale.ROOT) : "";
        if (!node.isMissingNode() && !node.isNull() && !node.isTextual()) {
            throw new ReleaseRequestException(what + " Sha256 must be a string");
        }
        if (!sha.isEmpty() && !SHA256.matcher(sha).matches()) {
            throw new ReleaseRequestException(what + " Sha256 must be 64 hexadecimal characters, got '"
                    + (sha.length() > 80 ? sha.substring(0, 80) + "..." : sha) + "'");
        }
        return sha;
    }
}
