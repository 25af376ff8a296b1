<?php
// FAKE stand-ins for Moodle's API (see ../config.php): state in ../.fake/state.json, every call
// appended to ../.fake/calls.json. Behaviour follows Moodle 4.5's lib/moodlelib.php (get_config,
// set_config), lib/datalib.php (add_to_config_log), lib/setuplib.php (during_initial_install) and
// cache/classes (store, helper), as far as the scripts under test can tell.

function fake_dir(): string {
    return dirname(__DIR__) . '/.fake';
}

/** The whole fake state; read once per process, written back on every change. */
function &fake_state(): array {
    static $state = null;
    if ($state === null) {
        $file = fake_dir() . '/state.json';
        $state = is_file($file) ? json_decode(file_get_contents($file), true, 512, JSON_THROW_ON_ERROR) : [];
    }
    return $state;
}

function fake_save(): void {
    file_put_contents(fake_dir() . '/state.json',
        json_encode(fake_state(), JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
}

function fake_record(string $fn, array $args = []): void {
    $file = fake_dir() . '/calls.json';
    $calls = is_file($file) ? json_decode(file_get_contents($file), true, 512, JSON_THROW_ON_ERROR) : [];
    $calls[] = ['fn' => $fn, 'args' => $args];
    file_put_contents($file, json_encode($calls, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
}

function fake_moodle_setup(): void {
    global $CFG;
    if (!defined('CLI_SCRIPT')) {
        throw new Exception('fake Moodle: CLI_SCRIPT must be defined before config.php');
    }
    define('MOODLE_INTERNAL', true);
    $state = &fake_state();
    $CFG->dirroot = dirname(__DIR__);
    $CFG->libdir = $CFG->dirroot . '/lib';
    $CFG->dataroot = fake_dir() . '/moodledata';
    if (!empty($state['installed'])) {
        $CFG->version = '2024100700.00';
    }
    $CFG->config_php_settings = $state['forced']['core'] ?? [];
    $CFG->forced_plugin_settings = $state['forced']['plugins'] ?? [];
    fake_record('setup', ['euid' => function_exists('posix_geteuid') ? posix_geteuid() : null]);
    if (!empty($state['noise'])) {
        // Moodle's debugging() prints to standard output in CLI scripts.
        echo "Debug info: something Moodle printed while loading\n";
    }
}

function during_initial_install() {
    return !empty(fake_state()['during_initial_install']);
}

function fake_plugin_key($plugin): string {
    return ($plugin === 'moodle' || $plugin === 'core' || empty($plugin)) ? 'core' : $plugin;
}

function get_config($plugin, $name = null) {
    global $CFG;
    fake_record('get_config', [$plugin, $name]);
    $key = fake_plugin_key($plugin);
    $forced = $key === 'core' ? $CFG->config_php_settings : ($CFG->forced_plugin_settings[$plugin] ?? []);
    if (array_key_exists($name, $forced)) {
        return (string) $forced[$name];
    }
    $value = fake_state()['config'][$key][$name] ?? null;
    return $value === null ? false : (string) $value;
}

function set_config($name, $value, $plugin = null) {
    global $CFG;
    fake_record('set_config', [$name, $value, $plugin]);
    $state = &fake_state();
    if (($state['fail_set_config'] ?? null) === $name) {
        throw new Exception('fake Moodle: set_config failed (dml_write_exception)');
    }
    // Moodle: an empty $plugin means core (mdl_config); anything else is mdl_config_plugins, even 'core'.
    $key = empty($plugin) ? 'core' : $plugin;
    $state['config'][$key][$name] = (string) $value;
    if ($key === 'core') {
        $CFG->$name = (string) $value;
    }
    fake_save();
    return true;
}

function add_to_config_log($name, $oldvalue, $value, $plugin) {
    fake_record('add_to_config_log', [$name, $oldvalue, $value, $plugin]);
    $state = &fake_state();
    $state['config_log'][] = ['userid' => 0, 'name' => $name, 'oldvalue' => $oldvalue, 'value' => $value, 'plugin' => $plugin];
    fake_save();
}

/** Moodle 4.5: an alias of core_cache\store (cache/classes/store.php). */
abstract class cache_store {
    const MODE_APPLICATION = 1;
    const MODE_SESSION = 2;
    const MODE_REQUEST = 4;
}

/** Moodle 4.5: an alias of core_cache\helper (cache/classes/helper.php). */
class cache_helper {
    public static function purge_store($storename, $config = null) {
        fake_record('cache_helper::purge_store', [$storename, $config === null ? null : get_class($config)]);
        $stores = $config === null ? (fake_state()['muc']['stores'] ?? []) : $config->get_all_stores();
        if (!array_key_exists($storename, $stores)) {
            return false;
        }
        return fake_state()['ready'] ?? true;
    }

    public static function purge_all($usewriter = false) {
        fake_record('cache_helper::purge_all', [$usewriter]);
    }
}
