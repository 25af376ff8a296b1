<?php
// Prints, as one line of JSON, what upgrade-moodle.sh decides on: the versions the code at DIRROOT
// declares and the versions the database has, for core and for the add-on plugins named.
//
//   php upgrade-state.php DIRROOT [COMPONENT...]     (as the web server's user)
//
//   {"install": "installed|upgrading|partial|empty",
//    "database": {"version": "2024100706.00", "release": "4.5.6 (Build: 20250811)", "branch": "405"},
//    "code":     {"version": "2024100706.00", "release": "4.5.6 (Build: 20250811)", "branch": "405"},
//    "plugins":  {"local_x": {"database": "2025010100" or null, "code": "2025010101" or null}}}
//
// Like install-state.php it reads config.php with ABORT_AFTER_CONFIG and asks the database on a
// read-only session, never through Moodle's setup: after an upgrade died, setup would stop the
// script ("Site is being upgraded") and later clear the flag, so a check would both fail and write.
// The code's versions come from version.php files, read the way Moodle reads them (an include with
// $plugin or $version in scope), from the directory Moodle 5.1 calls public/ when there is one.
// Exit codes: 0 an answer; 2 bad usage or no config.php; 1 the database could not be read.

declare(strict_types=1);

define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);

require_once(__DIR__ . '/autopilot-db.php');

if (isset($_SERVER['REMOTE_ADDR']) || $argc < 2) {
    fwrite(STDERR, "usage: php upgrade-state.php DIRROOT [COMPONENT...]\n");
    exit(2);
}
$dirroot = rtrim($argv[1], '/');
$components = array_slice($argv, 2);
foreach ($components as $component) {
    // The component becomes part of a path below: only frankenstyle names.
    if (!preg_match('/^[a-z][a-z0-9]*_[a-z][a-z0-9_]*$/D', $component)) {
        fwrite(STDERR, "upgrade-state: '$component' is not a plugin component name\n");
        exit(2);
    }
}
$configfile = $dirroot . '/config.php';
if (!is_file($configfile)) {
    fwrite(STDERR, "upgrade-state: no config.php in {$argv[1]}\n");
    exit(2);
}
require($configfile);

global $CFG;
$prefix = (string) ($CFG->prefix ?? '');
if (!preg_match('/^[a-z][a-z0-9_]*$/D', $prefix) && $prefix !== '') {
    fwrite(STDERR, "upgrade-state: config.php's prefix is not a Moodle table prefix\n");
    exit(2);
}

// Moodle 5.1 keeps its code (version.php, lib/components.json) under public/.
$coderoot = is_file($dirroot . '/public/version.php') ? $dirroot . '/public' : $dirroot;

/** The variables a version.php file sets, read in a scope of their own as Moodle does. */
function autopilot_version_file(string $file): array {
    if (!is_file($file)) {
        return [];
    }
    foreach (['MATURITY_ALPHA' => 50, 'MATURITY_BETA' => 100, 'MATURITY_RC' => 150, 'MATURITY_STABLE' => 200,
              'ANY_VERSION' => 'any', 'MOODLE_INTERNAL' => true] as $name => $value) {
        if (!defined($name)) {
            define($name, $value);
        }
    }
    $plugin = new stdClass();
    $version = null;
    $release = null;
    $branch = null;
    include($file);
    return ['version' => $version, 'release' => $release, 'branch' => $branch, 'plugin' => $plugin];
}

/** Moodle's version numbers as text with two decimals, the way config's 'version' row holds them. */
function autopilot_version_text($v): ?string {
    if ($v === null || $v === '') {
        return null;
    }
    return is_numeric($v) ? number_format((float) $v, 2, '.', '') : (string) $v;
}

/** Where a plugin's code lives: lib/components.json's directory for its type, then its name. */
function autopilot_plugin_dir(string $coderoot, string $component): ?string {
    static $types = null;
    if ($types === null) {
        $json = json_decode((string) @file_get_contents($coderoot . '/lib/components.json'), true);
        $types = is_array($json['plugintypes'] ?? null) ? $json['plugintypes'] : [];
    }
    [$type, $name] = explode('_', $component, 2);
    return isset($types[$type]) ? $coderoot . '/' . $types[$type] . '/' . $name : null;
}

$core = autopilot_version_file($coderoot . '/version.php');
$code = [
    'version' => autopilot_version_text($core['version'] ?? null),
    'release' => $core['release'] ?? null,
    'branch' => isset($core['branch']) ? (string) $core['branch'] : null,
];

try {
    $db = autopilot_db::connect($CFG, 10, 'autopilot-upgrade-state');
    try {
        $ours = array_filter($db->tables(), static fn(string $t): bool => str_starts_with($t, $prefix));
        $row = static function (string $sql, array $params) use ($db): ?string {
            $value = $db->column($sql, $params)[0] ?? null;
            return $value === null ? null : (string) $value;
        };
        $database = ['version' => null, 'release' => null, 'branch' => null];
        $plugins = [];
        if (!$ours) {
            $install = 'empty';
        } else if (!in_array($prefix . 'config', $ours, true)) {
            $install = 'partial';
        } else {
            $config = static fn(string $name): ?string =>
                $row('SELECT value FROM ' . $prefix . 'config WHERE name = ?', [$name]);
            $set = static fn(string $name): bool => !in_array($config($name) ?? '', ['', '0'], true);
            $install = !$set('rolesactive') ? 'partial' : ($set('upgraderunning') ? 'upgrading' : 'installed');
            $database = [
                'version' => autopilot_version_text($config('version')),
                'release' => $config('release'),
                'branch' => $config('branch'),
            ];
        }
        foreach ($components as $component) {
            $dir = autopilot_plugin_dir($coderoot, $component);
            $file = $dir === null ? [] : autopilot_version_file($dir . '/version.php');
            $plugins[$component] = [
                'database' => in_array($prefix . 'config_plugins', $ours, true)
                    ? $row('SELECT value FROM ' . $prefix . "config_plugins WHERE plugin = ? AND name = 'version'", [$component])
                    : null,
                'code' => isset($file['plugin']->version) ? (string) $file['plugin']->version : null,
            ];
        }
    } finally {
        $db->close();
    }
} catch (autopilot_db_error $e) {
    fwrite(STDERR, 'upgrade-state: cannot read the database: ' . $e->getMessage() . "\n");
    exit(1);
}
echo json_encode(['install' => $install, 'database' => $database, 'code' => $code, 'plugins' => (object) $plugins],
    JSON_UNESCAPED_SLASHES), "\n";
exit(0);
