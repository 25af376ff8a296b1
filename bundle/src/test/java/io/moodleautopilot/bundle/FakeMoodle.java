package io.moodleautopilot.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A FAKE Moodle dirroot in a temporary directory (test resource fake-moodle), because Moodle's own
 * code cannot be downloaded on the machines that run these tests: its config.php and stubs offer
 * the API that moodle/apply-settings.php and moodle/configure-muc.php call (get_config, set_config,
 * add_to_config_log, during_initial_install, cache_config_writer, cache_store, cache_helper and the
 * redis store class) with Moodle's names and signatures. They keep their state in
 * .fake/state.json (settings, config log, cache stores and mode mappings) and append every call to
 * .fake/calls.json, which is what the tests check.
 */
final class FakeMoodle {
    static final String STORE = "autopilot_application";

    final Path dirroot;
    final Path stateFile;
    final Path callsFile;

    FakeMoodle(Path dirroot) {
        this.dirroot = dirroot;
        this.stateFile = dirroot.resolve(".fake/state.json");
        this.callsFile = dirroot.resolve(".fake/calls.json");
        try {
            Path source = Path.of(Objects.requireNonNull(FakeMoodle.class.getResource("/fake-moodle")).toURI());
            for (Path f : Bundle.listFiles(source)) {
                Path target = dirroot.resolve(source.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
            }
            Files.createDirectories(stateFile.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        state(installedSite());
    }

    /** An installed site whose cache configuration is Moodle's default after installation. */
    static ObjectNode installedSite() {
        ObjectNode state = Bundle.JSON.createObjectNode();
        state.put("installed", true);
        ObjectNode config = state.putObject("config");
        config.putObject("core").put("forcelogin", "0").put("sitename", "Example University");
        config.putObject("auth_ldap").put("host_url", "ldap://old.example.edu");
        ObjectNode muc = state.putObject("muc");
        ObjectNode stores = muc.putObject("stores");
        for (String[] s : new String[][] {{"default_application", "file"}, {"default_session", "session"},
                {"default_request", "static"}}) {
            ObjectNode store = stores.putObject(s[0]);
            store.put("name", s[0]).put("plugin", s[1]).put("default", true);
            store.putArray("configuration");
        }
        ArrayNode mappings = muc.putArray("modemappings");
        mappings.addObject().put("store", "default_application").put("mode", 1).put("sort", 0);
        mappings.addObject().put("store", "default_session").put("mode", 2).put("sort", 0);
        mappings.addObject().put("store", "default_request").put("mode", 4).put("sort", 0);
        return state;
    }

    ObjectNode state() {
        return (ObjectNode) Bundle.parse(Bundle.read(stateFile));
    }

    void state(JsonNode state) {
        Bundle.write(stateFile, state.toString());
    }

    /** Changes the state: edit receives it and may change it in place. */
    void edit(java.util.function.Consumer<ObjectNode> edit) {
        ObjectNode s = state();
        edit.accept(s);
        state(s);
    }

    /** The calls made so far, each {"fn": ..., "args": [...]}. */
    List<JsonNode> calls() {
        List<JsonNode> calls = new ArrayList<>();
        if (Files.exists(callsFile)) {
            Bundle.parse(Bundle.read(callsFile)).forEach(calls::add);
        }
        return calls;
    }

    List<String> callNames() {
        return calls().stream().map(c -> c.path("fn").asText()).toList();
    }

    /** Only the calls that change something in Moodle. */
    List<JsonNode> writes() {
        return calls().stream().filter(c -> List.of("set_config", "add_to_config_log",
                "cache_config_writer::add_store_instance", "cache_config_writer::edit_store_instance",
                "cache_config_writer::set_mode_mappings", "cache_helper::purge_store", "cache_helper::purge_all")
                .contains(c.path("fn").asText())).toList();
    }

    void forgetCalls() {
        try {
            Files.deleteIfExists(callsFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode setting(String plugin, String name) {
        return state().path("config").path(plugin).path(name);
    }

    JsonNode store(String name) {
        return state().path("muc").path("stores").path(name);
    }

    /** The mode mappings as "mode:store:sort" strings, in stored order. */
    List<String> modeMappings() {
        List<String> out = new ArrayList<>();
        state().path("muc").path("modemappings").forEach(m -> out.add(
                m.path("mode").asInt() + ":" + m.path("store").asText() + ":" + m.path("sort").asInt()));
        return out;
    }
}
