package io.moodleautopilot.core.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moodleautopilot.core.json.Json;
import io.moodleautopilot.core.json.JsonValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MoodlePlugins declaration, a plugin zip's layout, and what a change in them stages. */
class DeclaredPluginsTest {
    private static final String SHA = "a".repeat(64);
    private static final Map<String, String> TYPES = Map.of("local", "local", "mod", "mod", "tool", "admin/tool");

    @TempDir
    Path tmp;

    private static String one(String fields) {
        return "[{" + fields + "}]";
    }

    @Test
    void emptyOrAbsentDeclaresNoPlugin() {
        assertThat(DeclaredPlugins.of("", false).isEmpty()).isTrue();
        assertThat(DeclaredPlugins.of(null, false).isEmpty()).isTrue();
        assertThat(DeclaredPlugins.of("[]", false).isEmpty()).isTrue();
        assertThat(DeclaredPlugins.none().digest()).as("no plugin records no digest").isEmpty();
    }

    @Test
    void aUrlAndAnS3KeyAreAccepted() {
        DeclaredPlugins p = DeclaredPlugins.of("[{\"component\":\"local_autopilottest\",\"url\":\"https://h/x.zip\",\"sha256\":\""
                + SHA.toUpperCase() + "\"},{\"component\":\"tool_foo_bar2\",\"s3Key\":\"plugins/tool_foo.zip\",\"sha256\":\"" + SHA + "\"}]",
                false);

        assertThat(p.plugins()).hasSize(2);
        DeclaredPlugins.DeclaredPlugin a = p.plugins().get(0);
        assertThat(a.type()).isEqualTo("local");
        assertThat(a.name()).isEqualTo("autopilottest");
        assertThat(a.sha256()).as("lower-cased").isEqualTo(SHA);
        assertThat(a.archive()).isEqualTo("plugins/local_autopilottest.zip");
        DeclaredPlugins.DeclaredPlugin b = p.plugins().get(1);
        assertThat(b.url()).isNull();
        assertThat(b.s3Key()).isEqualTo("plugins/tool_foo.zip");
        assertThat(b.name()).isEqualTo("foo_bar2");
    }

    @Test
    void badDeclarationsAreRefusedWithAReason() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("not json", "is not JSON");
        cases.put("{\"component\":\"local_xy\"}", "must be a JSON list");
        cases.put("[\"local_x\"]", "entries must be objects");
        cases.put(one("\"component\":\"Local_x\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""), "frankenstyle");
        cases.put(one("\"component\":\"localx\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""), "frankenstyle");
        cases.put(one("\"component\":\"local_x\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""),
                "frankenstyle"); // Moodle's is_valid_plugin_name: a name of two characters at least
        cases.put(one("\"component\":\"local_x_\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""), "frankenstyle");
        cases.put(one("\"component\":\"mod_foo_bar\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""),
                "no underscore in a mod_");
        cases.put(one("\"component\":\"core_admin\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\""), "core subsystem");
        cases.put("[{\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\"},"
                + "{\"component\":\"local_xy\",\"url\":\"https://h/y.zip\",\"sha256\":\"" + SHA + "\"}]", "local_xy twice");
        cases.put(one("\"component\":\"local_xy\",\"url\":\"http://h/x.zip\",\"sha256\":\"" + SHA + "\""), "https://");
        cases.put(one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"sha256\":\"abc\""), "64 hexadecimal");
        cases.put(one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\""), "64 hexadecimal");
        cases.put(one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"s3Key\":\"plugins/x.zip\",\"sha256\":\""
                + SHA + "\""), "exactly one of url");
        cases.put(one("\"component\":\"local_xy\",\"sha256\":\"" + SHA + "\""), "exactly one of url");
        cases.put(one("\"component\":\"local_xy\",\"s3Key\":\"moodle/release.zip\",\"sha256\":\"" + SHA + "\""), "under plugins/");
        cases.put(one("\"component\":\"local_xy\",\"s3Key\":\"plugins/../moodle/release.zip\",\"sha256\":\"" + SHA + "\""),
                "under plugins/");
        cases.forEach((text, reason) -> assertThatThrownBy(() -> DeclaredPlugins.of(text, false)).as(text)
                .isInstanceOf(ReleaseRequestException.class).hasMessageContaining(reason));
    }

    @Test
    void plainHttpOnlyWhenTheTestSwitchIsOn() {
        String text = one("\"component\":\"local_xy\",\"url\":\"http://127.0.0.1/x.zip\",\"sha256\":\"" + SHA + "\"");
        assertThatThrownBy(() -> DeclaredPlugins.of(text, false)).hasMessageContaining("https://");
        assertThat(DeclaredPlugins.of(text, true).plugins()).hasSize(1);
    }

    @Test
    void theDigestChangesWithAnyDeclaredFieldAndNotOtherwise() {
        String a = one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + SHA + "\"");
        String b = one("\"component\":\"local_xy\",\"url\":\"https://h/x2.zip\",\"sha256\":\"" + SHA + "\"");
        String c = one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"sha256\":\"" + "b".repeat(64) + "\"");
        assertThat(DeclaredPlugins.of(a, false).digest()).hasSize(64).isEqualTo(DeclaredPlugins.of(a, false).digest())
                .isNotEqualTo(DeclaredPlugins.of(b, false).digest()).isNotEqualTo(DeclaredPlugins.of(c, false).digest());
    }

    @Test
    void aWellLaidOutPluginIsPlacedAtItsTypesDirectory() throws IOException {
        DeclaredPlugins.DeclaredPlugin p = plugin("tool_autopilot");
        Path zip = zip(Map.of("autopilot/version.php", versionPhp("tool_autopilot", "2025010100", "2024100700"),
                "autopilot/lang/en/tool_autopilot.php", "<?php\n"));

        DeclaredPlugins.Staged s = PluginArchive.inspect(p, zip, TYPES, "4.5.6");

        assertThat(s.path()).isEqualTo("admin/tool/autopilot");
        assertThat(s.version()).isEqualTo("2025010100");
        assertThat(s.requires()).isEqualTo("2024100700");
        JsonValue manifest = Json.parse(DeclaredPlugins.manifest(List.of(s)));
        JsonValue entry = manifest.path("plugins").path(0);
        assertThat(entry.path("component").asText()).isEqualTo("tool_autopilot");
        assertThat(entry.path("path").asText()).isEqualTo("admin/tool/autopilot");
        assertThat(entry.path("archive").asText()).isEqualTo("plugins/tool_autopilot.zip");
        assertThat(entry.path("sha256").asText()).isEqualTo(SHA);
        assertThat(entry.path("version").asText()).isEqualTo("2025010100");
    }

    @Test
    void aVersionPhpWithoutAComponentIsAcceptedAndWithoutAVersionIsNot() throws IOException {
        Path noComponent = zip(Map.of("x/version.php", "<?php\n$plugin->version = 2025010100;\n"));
        Path noVersion = zip(Map.of("x/version.php", "<?php\n$plugin->component = 'local_x';\n"));

        assertThat(PluginArchive.inspect(plugin("local_x"), noComponent, TYPES, "4.5.6").requires()).isEmpty();
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), noVersion, TYPES, "4.5.6"))
                .hasMessageContaining("no numeric $plugin->version");
    }

    @Test
    void badLayoutsAndUnknownTypesAreRefused() throws IOException {
        Path twoTops = zip(Map.of("x/version.php", versionPhp("local_x", "1", "1"), "README", "hi"));
        Path wrongDir = zip(Map.of("y/version.php", versionPhp("local_x", "1", "1")));
        Path noVersion = zip(Map.of("x/lib.php", "<?php\n"));
        Path otherComponent = zip(Map.of("x/version.php", versionPhp("local_y", "1", "1")));
        Path escape = zip(Map.of("x/version.php", versionPhp("local_x", "1", "1"), "x/../../evil.php", "<?php\n"));
        Path notZip = Files.write(tmp.resolve("n.zip"), "not a zip".getBytes());

        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), twoTops, TYPES, "4.5.6"))
                .hasMessageContaining("exactly one top-level directory, x/").hasMessageContaining("[README, x]");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), wrongDir, TYPES, "4.5.6"))
                .hasMessageContaining("holds [y]");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), noVersion, TYPES, "4.5.6"))
                .hasMessageContaining("has no x/version.php");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), otherComponent, TYPES, "4.5.6"))
                .hasMessageContaining("says it is local_y, not local_x");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), escape, TYPES, "4.5.6"))
                .hasMessageContaining("outside its directory");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), notZip, TYPES, "4.5.6"))
                .hasMessageContaining("not a zip archive");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("qtype_x"), twoTops, TYPES, "4.5.6"))
                .isInstanceOf(StagingException.class).hasMessageContaining("no plugin type 'qtype'")
                .hasMessageContaining("knows local, mod, tool");
        assertThatThrownBy(() -> PluginArchive.inspect(plugin("local_x"), twoTops, Map.of(), "4.5.6"))
                .hasMessageContaining("has no lib/components.json");
    }

    @Test
    void noPluginsKeepsAnObjectStagedBeforePluginsExistedCurrentAndADeclarationStagesAgain() {
        ReleaseSpec spec = ReleaseSpec.of("", "4.5.7", "", "7", false);
        // Metadata as it was written before this change: no plugins digest, no Moodle version.
        Map<String, String> old = SourceMetadata.of(spec, SHA, "b".repeat(64), "c".repeat(64));
        Optional<StagedObject> existing = Optional.of(new StagedObject("v1", old));
        String declared = DeclaredPlugins.of(one("\"component\":\"local_xy\",\"url\":\"https://h/x.zip\",\"sha256\":\""
                + SHA + "\""), false).digest();

        assertThat(StagingDecision.decide(existing, spec, "b".repeat(64), "c".repeat(64), DeclaredPlugins.none().digest())
                .current()).isTrue();
        StagingDecision changed = StagingDecision.decide(existing, spec, "b".repeat(64), "c".repeat(64), declared);
        assertThat(changed.current()).isFalse();
        assertThat(changed.reason()).isEqualTo("the declared plugins changed");

        MoodleRelease r = new MoodleRelease("moodle/", "2024100707.00", "4.5.7 (Build: 20250915)", "405", Map.of(), "");
        Map<String, String> withPlugins = SourceMetadata.of(spec, SHA, "b".repeat(64), "c".repeat(64), declared, r);
        assertThat(withPlugins).containsEntry(SourceMetadata.PLUGINS_DIGEST, declared)
                .containsEntry(SourceMetadata.MOODLE_VERSION, "2024100707.00");
        Optional<StagedObject> staged = Optional.of(new StagedObject("v2", withPlugins));
        assertThat(StagingDecision.decide(staged, spec, "b".repeat(64), "c".repeat(64), declared).current()).isTrue();
        assertThat(StagingDecision.decide(staged, spec, "b".repeat(64), "c".repeat(64), "").reason())
                .as("removing every plugin stages again").isEqualTo("the declared plugins changed");
        assertThat(SourceMetadata.of(spec, SHA, "b".repeat(64), "c".repeat(64), "", r))
                .doesNotContainKey(SourceMetadata.PLUGINS_DIGEST);
    }

    private static DeclaredPlugins.DeclaredPlugin plugin(String component) {
        return new DeclaredPlugins.DeclaredPlugin(component, java.net.URI.create("https://h/x.zip"), "", SHA);
    }

    private static String versionPhp(String component, String version, String requires) {
        return "<?php\ndefined('MOODLE_INTERNAL') || die();\n$plugin->component = '" + component + "';\n"
                + "$plugin->version   = " + version + ";  // YYYYMMDDXX\n$plugin->requires  = " + requires + ";\n";
    }

    private Path zip(Map<String, String> files) throws IOException {
        return Files.write(Files.createTempFile(tmp, "plugin", ".zip"), TarWriter.zip(files));
    }
}
