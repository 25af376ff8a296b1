package io.moodleautopilot.core.release;

import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonObject;
import io.moodleautopilot.core.json.JsonArray;
import io.moodleautopilot.core.json.JsonValue;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The add-on plugins the operator declares (template parameter MoodlePlugins, MoodleSource property
 * {@value #PROPERTY}): empty, or a JSON list of
 * {@code {"component": "local_foo", "url": "https://...zip" | "s3Key": "plugins/x.zip", "sha256": "..."}}.
 * Each is staged into the source object as {@code plugins/<component>.zip} with {@value #MANIFEST}
 * telling the instances where it goes, so code and plugins travel as one versioned object.
 */
public record DeclaredPlugins(List<DeclaredPlugin> plugins) {
    public static final String PROPERTY = "Plugins";
    public static final String DIR = "plugins/";
    public static final String MANIFEST = DIR + "manifest.json";
    /** Only keys under this prefix of the source bucket: the function's policy grants no other. */
    public static final String S3_PREFIX = "plugins/";
    /** A plugin's zip is a few MB at most (moodle.org's largest are some tens): the same cap as a pinned source. */
    public static final long MAX_BYTES = PinnedSources.MAX_BYTES;

    /** Moodle's frankenstyle: a plugin type, an underscore, a name (core_component's rules, simplified). */
    private static final Pattern COMPONENT = Pattern.compile("^[a-z][a-z0-9]*_[a-z][a-z0-9_]*[a-z0-9]$");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern S3_KEY = Pattern.compile("^plugins/[A-Za-z0-9!_.*'()/-]+$");

    /**
     * @param url   the HTTPS download, or null when it comes from the source bucket
     * @param s3Key the key in the source bucket, or empty when it comes from {@code url}
     */
    public record DeclaredPlugin(String component, URI url, String s3Key, String sha256) {
        /** The plugin type: {@code local} for {@code local_foo}. */
        public String type() {
            return component.substring(0, component.indexOf('_'));
        }

        /** The plugin's name: {@code foo} for {@code local_foo}, and its directory in the archive. */
        public String name() {
            return component.substring(component.indexOf('_') + 1);
        }

        public String archive() {
            return DIR + component + ".zip";
        }

        public String source() {
            return url != null ? ReleaseSpec.display(url) : "s3://<source bucket>/" + s3Key;
        }
    }

    /**
     * A plugin downloaded, checked and placed.
     *
     * @param path    where it goes, relative to the release's top (the directory of version.php)
     * @param version its {@code $plugin->version}
     */
    public record Staged(DeclaredPlugin plugin, String path, String version, String requires, Path file) {
    }

    public DeclaredPlugins {
        plugins = List.copyOf(plugins);
    }

    public static DeclaredPlugins none() {
        return new DeclaredPlugins(List.of());
    }

    public boolean isEmpty() {
        return plugins.isEmpty();
    }

    /**
     * @param text           the property as CloudFormation sends it; empty or absent: no plugin
     * @param allowPlainHttp only for tests against a local server, as for the release
     * @throws ReleaseRequestException with a reason fit for a CloudFormation event
     */
    public static DeclaredPlugins of(String text, boolean allowPlainHttp) {
        if (text == null || text.isBlank()) {
            return none();
        }
        JsonValue list;
        try {
            list = Json.parse(text);
        } catch (JsonException e) {
            throw new ReleaseRequestException(PROPERTY + " (MoodlePlugins) is not JSON: give a list of"
                    + " {component, url or s3Key, sha256}");
        }
        if (!list.isArray()) {
            throw new ReleaseRequestException(PROPERTY + " (MoodlePlugins) must be a JSON list of"
                    + " {component, url or s3Key, sha256}");
        }
        List<DeclaredPlugin> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonValue item : list) {
            if (!item.isObject()) {
                throw new ReleaseRequestException(PROPERTY + " entries must be objects {component, url or s3Key, sha256}");
            }
            String component = item.path("component").isTextual() ? item.path("component").asText().trim() : "";
            if (!COMPONENT.matcher(component).matches()) {
                throw new ReleaseRequestException(PROPERTY + ": '" + shorten(component) + "' is not a plugin's"
                        + " frankenstyle component such as local_foo or mod_bar");
            }
            if (component.startsWith("core_") || component.startsWith("moodle_")) {
                throw new ReleaseRequestException(PROPERTY + ": " + component + " is a core subsystem, not an add-on plugin");
            }
            // core_component::is_valid_plugin_name: an activity module's name has no underscore.
            if (component.startsWith("mod_") && component.indexOf('_', 4) >= 0) {
                throw new ReleaseRequestException(PROPERTY + ": " + component + " is not a valid activity module name"
                        + " (Moodle allows no underscore in a mod_ plugin's name)");
            }
            if (!seen.add(component)) {
                throw new ReleaseRequestException(PROPERTY + " declares " + component + " twice");
            }
            boolean hasUrl = item.has("url") && !item.path("url").isNull();
            boolean hasKey = item.has("s3Key") && !item.path("s3Key").isNull();
            if (hasUrl == hasKey) {
                throw new ReleaseRequestException(PROPERTY + ": " + component + " needs exactly one of url"
                        + " (HTTPS) and s3Key (an object under plugins/ in the stack's source bucket)");
            }
            URI url = null;
            String key = "";
            if (hasUrl) {
                url = ReleaseSpec.parseUrl(PROPERTY + " " + component + " url", item.path("url").asText().trim(),
                        allowPlainHttp);
            } else {
                key = item.path("s3Key").asText().trim();
                if (!S3_KEY.matcher(key).matches() || key.contains("..") || key.endsWith("/")) {
                    throw new ReleaseRequestException(PROPERTY + ": " + component + " s3Key must name an object under "
                            + S3_PREFIX + " in the stack's source bucket, got '" + shorten(key) + "'");
                }
            }
            String sha = item.path("sha256").isTextual() ? item.path("sha256").asText().trim().toLowerCase(Locale.ROOT) : "";
            if (!SHA256.matcher(sha).matches()) {
                throw new ReleaseRequestException(PROPERTY + ": " + component + " sha256 must be 64 hexadecimal"
                        + " characters (the SHA-256 of its zip), got '" + shorten(sha) + "'");
            }
            out.add(new DeclaredPlugin(component, url, key, sha));
        }
        return new DeclaredPlugins(out);
    }

    /**
     * SHA-256 over every declaration (component, source, checksum) in order, recorded with the staged
     * object so that a changed declaration stages again. Empty when none is declared, so that a stack
     * without plugins sees the object it staged before plugins existed as current.
     */
    public String digest() {
        if (plugins.isEmpty()) {
            return "";
        }
        var sha = BundleFiles.sha256();
        for (DeclaredPlugin p : plugins) {
            sha.update((p.component() + "\n" + (p.url() != null ? p.url().toASCIIString() : "s3:" + p.s3Key()) + "\n"
                    + p.sha256() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * {@value #MANIFEST}, what install-release.sh reads:
     * {@code {"plugins":[{"component","path","archive","sha256","version"}]}}.
     */
    public static byte[] manifest(List<Staged> staged) {
        JsonObject root = new JsonObject();
        JsonArray list = root.putArray("plugins");
        for (Staged s : staged) {
            JsonObject n = list.addObject();
            n.put("component", s.plugin().component());
            n.put("path", s.path());
            n.put("archive", s.plugin().archive());
            n.put("sha256", s.plugin().sha256());
            n.put("version", s.version());
        }
        return Json.writePretty(root);
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
