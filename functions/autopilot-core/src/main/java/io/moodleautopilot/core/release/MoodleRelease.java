package io.moodleautopilot.core.release;

import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonException;
import io.moodleautopilot.core.json.JsonValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a release archive says about itself, read from the files of its top: the directory that
 * holds the core version.php, {@code moodle/} up to 4.5 and {@code moodle/public/} from 5.1 (where
 * the web root moved to public/). Everything MoodleSource decides about a release before staging it
 * comes from here.
 *
 * @param top            the top directory inside the archive, with its trailing slash
 * @param version        {@code $version}, e.g. {@code 2024100706.00}
 * @param release        {@code $release}, e.g. {@code 4.5.6 (Build: 20250811)}
 * @param branch         {@code $branch}, e.g. {@code 405}
 * @param pluginTypes    lib/components.json's plugintypes: type to directory (relative to the top)
 * @param environmentXml admin/environment.xml, or empty when the archive has none
 */
public record MoodleRelease(String top, String version, String release, String branch,
                            Map<String, String> pluginTypes, String environmentXml) {
    static final String VERSION = "version.php";
    static final String COMPONENTS = "lib/components.json";
    static final String ENVIRONMENT = "admin/environment.xml";
    /** The top is one directory (moodle/) or that and public/; deeper version.php files are plugins'. */
    private static final Pattern CANDIDATE = Pattern.compile(
            "^(?:[^/]+/)?(?:public/)?(?:" + Pattern.quote(VERSION) + "|" + Pattern.quote(COMPONENTS) + "|"
                    + Pattern.quote(ENVIRONMENT) + ")$");
    private static final Pattern BRANCH = Pattern.compile("[0-9]{2,4}");

    public MoodleRelease {
        pluginTypes = Map.copyOf(pluginTypes);
    }

    /**
     * @param zip true for a .zip release, false for a .tgz
     * @throws StagingException when the archive cannot be read or is not a Moodle release
     */
    public static MoodleRelease read(Path archive, boolean zip, String displayName) {
        Map<String, byte[]> files;
        try {
            files = ArchiveFiles.read(archive, zip, name -> CANDIDATE.matcher(name).matches());
        } catch (IOException e) {
            throw new StagingException("the release " + displayName + " cannot be read as a "
                    + (zip ? ".zip" : ".tgz") + ": " + e.getMessage() + "; nothing was staged", e);
        }
        return of(files, displayName);
    }

    /** @param files the candidate files by their name in the archive */
    static MoodleRelease of(Map<String, byte[]> files, String displayName) {
        // The top: a version.php that assigns $release (a plugin's assigns $plugin->...), the one next to
        // lib/components.json first (should a 5.1 archive carry a version.php above public/ too), then
        // the shallowest.
        Optional<String> top = files.keySet().stream()
                .filter(n -> n.equals(VERSION) || n.endsWith("/" + VERSION))
                .filter(n -> PhpVersionFile.parse(text(files.get(n))).string("release").isPresent())
                .map(n -> n.substring(0, n.length() - VERSION.length()))
                .min(Comparator.comparing((String d) -> !files.containsKey(d + COMPONENTS))
                        .thenComparingInt(d -> d.split("/").length));
        if (top.isEmpty()) {
            throw new StagingException("the release " + displayName + " has no Moodle version.php (moodle/version.php"
                    + " or moodle/public/version.php assigning $release): not a Moodle release; nothing was staged");
        }
        String dir = top.get();
        PhpVersionFile php = PhpVersionFile.parse(text(files.get(dir + VERSION)));
        String version = php.number("version").orElseThrow(() -> new StagingException("the release " + displayName
                + "'s " + dir + VERSION + " assigns no numeric $version; nothing was staged"));
        String release = php.string("release").orElseThrow();
        String branch = php.string("branch").orElse("");
        if (!BRANCH.matcher(branch).matches()) {
            throw new StagingException("the release " + displayName + "'s " + dir + VERSION
                    + " has no $branch such as '405'; nothing was staged");
        }
        byte[] env = files.get(dir + ENVIRONMENT);
        return new MoodleRelease(dir, version, release, branch, pluginTypes(files.get(dir + COMPONENTS), dir, displayName),
                env == null ? "" : text(env));
    }

    /** The branch as Moodle writes it in environment.xml: 405 is 4.5, 311 is 3.11, 39 is 3.9, 501 is 5.1. */
    public String majorMinor() {
        String major = branch.substring(0, 1);
        int minor = Integer.parseInt(branch.substring(1));
        return major + "." + minor;
    }

    private static Map<String, String> pluginTypes(byte[] json, String dir, String displayName) {
        if (json == null) {
            return Map.of(); // only a declared plugin needs them; that check names the missing file
        }
        JsonValue types;
        try {
            types = Json.parse(json).path("plugintypes");
        } catch (JsonException e) {
            throw new StagingException("the release " + displayName + "'s " + dir + COMPONENTS
                    + " is not JSON; nothing was staged");
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonValue> e : types.properties()) {
            if (e.getValue().isTextual()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return new LinkedHashMap<>(out);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
