<?php
// Points Moodle's application cache (MUC, mode APPLICATION) at the stack's Redis/Valkey (or
// ElastiCache Serverless for Valkey), through Moodle's cache configuration API, as Site administration > Plugins > Caching
// > Configuration does. Run by apply-moodle-config.sh as the web server's user.
//
//   php configure-muc.php --payload=FILE|- [--dirroot=/var/www/moodle] [--cafile=PATH]
//
// applicationCache null: prints null and changes nothing (Moodle is not even loaded). Otherwise:
// 1. the store instance 'autopilot_application' (plugin redis; configuration from
//    autopilot_store_configuration()) is added, or edited when its plugin or configuration differs;
// 2. the APPLICATION mode is mapped to it alone; the SESSION and REQUEST mappings are read first and
//    written back with the same stores in the same order (set_mode_mappings() replaces all three
//    modes at once and renumbers their sort from 0: Moodle's default file has -1, order is what counts);
// 3. that store is purged (see the comment at the purge).
// Before the first write the store must be usable from here (PHP extension present, server
// answering); otherwise nothing changes and the exit code is 4, so Moodle never runs on a store it
// cannot reach. With TLS the server's certificate is always verified: without a readable CA bundle
// nothing changes (exit 4), because Moodle's redis store turns verification off for an empty
// cafile. A store the release does not ship (memcached, removed in 4.2) is refused (exit 2) before
// Moodle is loaded. The same payload again finds nothing to do: {"changed": false, ...}, no write, no
// purge, no connection.
//
// Output, one JSON line on standard output:
//   null  or  {"changed": bool, "store": "autopilot_application", "plugin": "redis", "actions": [...]}
// Exit codes: 0 done; 2 bad payload; 3 Moodle not installed; 4 the store is not usable; 1 Moodle failed.
//
// Moodle APIs relied on (checked against Moodle 4.5's cache/classes/config_writer.php, config.php
// and helper.php, and 4.4's cache/locallib.php; MDL-82158 moved the classes into the core_cache
// namespace in 4.5 and kept the old names as aliases in lib/db/renamedclasses.php):
// - cache_config_writer::instance(): the writable cache configuration ($CFG->dataroot/muc/config.php,
//   on the shared file system, so every web node follows at its next request).
// - cache_config::get_all_stores(): name => ['name', 'plugin', 'configuration', 'class', ...].
// - cache_config::get_mode_mappings(): a list of ['store', 'mode', 'sort'].
// - cache_config_writer::add_store_instance($name, $plugin, array $configuration) (throws on a
//   duplicate name) and edit_store_instance($name, $plugin, $configuration) (throws when absent);
//   both save the configuration file.
// - cache_config_writer::set_mode_mappings(array $modemappings): mode => list of store names for
//   cache_store::MODE_APPLICATION (1), MODE_SESSION (2) and MODE_REQUEST (4); saves the file.
// - cache_helper::purge_store($storename, ?cache_config $config): purges every definition that
//   the given configuration maps to that store; false when the store is not ready.
// - cachestore_<plugin>::are_requirements_met() and new cachestore_<plugin>($name, $configuration)
//   ->is_ready() (cache/stores/<plugin>/lib.php): the constructor connects.

define('CLI_SCRIPT', true);

require_once(__DIR__ . '/autopilot-lib.php');

const AUTOPILOT_SCRIPT = 'configure-muc';

/**
 * @param array{plugin: string, configuration: array} $wanted
 * @return array{changed: bool, store: string, plugin: string, actions: string[]}
 */
function autopilot_configure_muc(array $wanted): array {
    global $CFG;

    $name = AUTOPILOT_STORE_NAME;
    $plugin = $wanted['plugin'];
    $configuration = $wanted['configuration'];

    $writer = cache_config_writer::instance();
    $stores = $writer->get_all_stores();
    $mappings = $writer->get_mode_mappings();
    $existing = $stores[$name] ?? null;
    $storediffers = autopilot_store_differs($existing, $plugin, $configuration);
    $mapped = autopilot_application_mapped_to($mappings, $name);

    $result = ['changed' => false, 'store' => $name, 'plugin' => $plugin, 'actions' => []];
    if (!$storediffers && $mapped) {
        return $result;
    }

    // Usable from here before anything is written (what Moodle itself would do with the store).
    $class = 'cachestore_' . $plugin;
    if (!class_exists($class)) {
        require_once($CFG->dirroot . '/cache/stores/' . $plugin . '/lib.php');
    }
    if (!$class::are_requirements_met()) {
        autopilot_fail(AUTOPILOT_SCRIPT, "the PHP extension of Moodle's $plugin cache store is not loaded: nothing changed",
            AUTOPILOT_EXIT_STORE_UNAVAILABLE);
    }
    $probe = new $class($name, $configuration);
    if (!$probe->is_ready()) {
        autopilot_fail(AUTOPILOT_SCRIPT, "the $plugin server does not answer: nothing changed",
            AUTOPILOT_EXIT_STORE_UNAVAILABLE);
    }
    unset($probe);

    if ($existing === null) {
        $writer->add_store_instance($name, $plugin, $configuration);
        $result['actions'][] = 'added store instance';
    } else if ($storediffers) {
        $writer->edit_store_instance($name, $plugin, $configuration);
        $result['actions'][] = 'updated store instance';
    }
    $result['changed'] = true;

    if (!$mapped) {
        $writer->set_mode_mappings(autopilot_mode_mappings($mappings, $name));
        $result['actions'][] = 'mapped application mode';
    }

    // Purge only this store, through the configuration just written (so that it sees the new
    // mapping): whatever it holds was written under another configuration (another endpoint, or
    // before the application mode was mapped elsewhere) and may be stale. The application mode's
    // previous store is simply no longer read, and the session and request stores keep serving
    // what is still true, so cache_helper::purge_all() would only give every web node a cold start.
    if (cache_helper::purge_store($name, $writer)) {
        $result['actions'][] = 'purged store';
    } else {
        $result['actions'][] = 'purge skipped: store not ready';
    }
    return $result;
}

if (isset($_SERVER['REMOTE_ADDR'])) {
    exit(AUTOPILOT_EXIT_BAD_INPUT);
}

try {
    $autopilotoptions = getopt('', ['payload:', 'dirroot:', 'cafile:']);
    $autopilotpayload = autopilot_parse_payload(autopilot_read_payload($autopilotoptions));
    if ($autopilotpayload['applicationCache'] === null) {
        autopilot_emit(null);
    }
    $autopilotdirroot = autopilot_dirroot($autopilotoptions);
} catch (autopilot_bad_input $e) {
    autopilot_fail(AUTOPILOT_SCRIPT, $e->getMessage(), AUTOPILOT_EXIT_BAD_INPUT);
}

$autopilotcafile = (string) ($autopilotoptions['cafile'] ?? AUTOPILOT_DEFAULT_CAFILE);
if ($autopilotpayload['applicationCache']['tls'] && ($autopilotcafile === '' || !is_readable($autopilotcafile)
        || !is_file($autopilotcafile))) {
    // Fail closed: an empty cafile would make Moodle skip the certificate check altogether.
    autopilot_fail(AUTOPILOT_SCRIPT, "the CA bundle '$autopilotcafile' is not readable, and TLS to the cache"
        . " server is never used unverified: nothing changed", AUTOPILOT_EXIT_STORE_UNAVAILABLE);
}
$autopilotwanted = autopilot_store_configuration($autopilotpayload['applicationCache'],
    $autopilotpayload['applicationCache']['tls'] ? $autopilotcafile : '');
// The release must ship the store (Moodle removes stores: memcached went in 4.2); checked before
// Moodle is loaded, so a missing one is a clear refusal, not a fatal error half way.
if (!is_file(autopilot_codedir($autopilotdirroot) . '/cache/stores/' . $autopilotwanted['plugin'] . '/lib.php')) {
    autopilot_fail(AUTOPILOT_SCRIPT, "this Moodle release has no {$autopilotwanted['plugin']} cache store"
        . " (cache/stores/{$autopilotwanted['plugin']}): nothing changed", AUTOPILOT_EXIT_BAD_INPUT);
}

// Anything Moodle prints while it loads or works goes to standard error (autopilot_flush_noise()).
ob_start();
// At file scope, as in every Moodle CLI script: config.php and lib/setup.php set Moodle's globals.
require($autopilotdirroot . '/config.php');

if (during_initial_install() || empty($CFG->version)) {
    autopilot_fail(AUTOPILOT_SCRIPT, 'Moodle is not installed yet: the cache configuration was not changed',
        AUTOPILOT_EXIT_NOT_INSTALLED);
}
// Moodle 4.5 autoloads cache_config_writer (an alias of core_cache\config_writer); 4.4 defines it
// in cache/locallib.php, which admin pages such as cache/admin.php require.
if (!class_exists('cache_config_writer')) {
    require_once($CFG->dirroot . '/cache/locallib.php');
}

try {
    $autopilotresult = autopilot_configure_muc($autopilotwanted);
} catch (Throwable $e) {
    autopilot_fail(AUTOPILOT_SCRIPT, 'Moodle failed: ' . get_class($e) . ': ' . $e->getMessage(), 1);
}
autopilot_emit($autopilotresult);
