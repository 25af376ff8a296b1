package io.moodleautopilot.core.release;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks a declared plugin's zip the way moodle.org's plugin zips are laid out, before it is staged:
 * exactly one top-level directory named after the plugin's name part ({@code foo/} for
 * {@code local_foo}), holding a version.php whose {@code $plugin->component}, when it names one, is
 * the declared component. Its {@code $plugin->version} (required) and {@code $plugin->requires} feed
 * the upgrade checks and the manifest; the instances unpack the zip at the plugin type's directory.
 */
public final class PluginArchive {
    private PluginArchive() {
    }

    /**
     * @param pluginTypes the release's lib/components.json plugintypes
     * @return the plugin as staged: its path in the release and its versions
     * @throws StagingException naming the plugin and what is wrong with it
     */
    public static DeclaredPlugins.Staged inspect(DeclaredPlugins.DeclaredPlugin plugin, Path zip,
                                                 Map<String, String> pluginTypes, String releaseName) {
        String what = "plugin " + plugin.component() + " (" + plugin.source() + ")";
        if (pluginTypes.isEmpty()) {
            throw new StagingException("the release " + releaseName + " has no lib/components.json, so the plugin"
                    + " types it knows are unknown and " + plugin.component() + " cannot be placed; nothing was staged");
        }
        String typeDir = pluginTypes.get(plugin.type());
        if (typeDir == null) {
            throw new StagingException(what + ": Moodle " + releaseName + " has no plugin type '" + plugin.type()
                    + "' (its lib/components.json knows " + String.join(", ", new TreeSet<>(pluginTypes.keySet()))
                    + "); nothing was staged");
        }
        TreeSet<String> tops = new TreeSet<>();
        byte[] versionPhp = null;
        try (ZipFile file = new ZipFile(zip.toFile(), StandardCharsets.UTF_8)) {
            for (ZipEntry e : java.util.Collections.list(file.entries())) {
                String name = ArchiveFiles.normalise(e.getName());
                if (name.startsWith("/") || name.equals("..") || name.startsWith("../") || name.contains("/../")) {
                    throw new StagingException(what + " has an entry outside its directory (" + name
                            + "); nothing was staged");
                }
                int slash = name.indexOf('/');
                tops.add(slash < 0 ? name : name.substring(0, slash));
                if (name.equals(plugin.name() + "/version.php")) {
                    if (e.getSize() > ArchiveFiles.MAX_FILE_BYTES) {
                        throw new StagingException(what + "'s version.php is too large; nothing was staged");
                    }
                    try (var in = file.getInputStream(e)) {
                        versionPhp = in.readNBytes(ArchiveFiles.MAX_FILE_BYTES);
                    }
                }
            }
        } catch (IOException e) {
            throw new StagingException(what + " is not a zip archive: " + e.getMessage() + "; nothing was staged", e);
        }
        if (!tops.equals(new TreeSet<>(java.util.Set.of(plugin.name())))) {
            throw new StagingException(what + " must hold exactly one top-level directory, " + plugin.name()
                    + "/, as moodle.org's plugin zips do; it holds " + tops + "; nothing was staged");
        }
        if (versionPhp == null) {
            throw new StagingException(what + " has no " + plugin.name() + "/version.php; nothing was staged");
        }
        PhpVersionFile php = PhpVersionFile.parse(new String(versionPhp, StandardCharsets.UTF_8));
        php.string("plugin->component").ifPresent(c -> {
            if (!c.equals(plugin.component())) {
                throw new StagingException(what + "'s version.php says it is " + c + ", not "
                        + plugin.component() + "; nothing was staged");
            }
        });
        String version = php.number("plugin->version").orElseThrow(() -> new StagingException(what
                + "'s version.php assigns no numeric $plugin->version; nothing was staged"));
        String requires = php.number("plugin->requires").orElse("");
        return new DeclaredPlugins.Staged(plugin, typeDir + "/" + plugin.name(), version, requires, zip);
    }
}
