<?php
// Renders Moodle's config.php for this stack and writes it to standard output.
//
//   php render-config.php --site=SITE.json [--session=SESSION.json] [--layout=classic|public]
//                         < DB-SECRET.json > config.php
//
// SITE.json     the site configuration the template publishes in SSM (/Moodle/<stack>/Site/Config);
//               every value is a JSON string, because CloudFormation renders it with !Sub.
// --layout      the release's layout (lib.sh, moodle_layout; default classic): config.php sits at
//               the release's top in both, and loads lib/setup.php (Moodle 4.5) or, for Moodle 5.1
//               and later, public/lib/setup.php (which sets $CFG->dirroot to public/ and
//               $CFG->root to the release's top).
// SESSION.json  the session settings the LifecycleConverger publishes (a flat object whose keys are
//               Moodle's $CFG->session_* names); absent or empty means database sessions.
// standard in   the database's application secret (Secrets Manager JSON with "username" and
//               "password"; never the master secret, which RDS rotates). It comes on stdin so
//               that the password is never in a process's argv or environment.
//
// Every value goes through var_export(), so quotes, backslashes, "$", newlines, a PHP closing tag or non-ASCII
// in a value stay inside a PHP string literal and cannot change the file's code. On bad input this
// prints one line naming the problem (never a value) to stderr and exits 2 without writing a byte
// to stdout, so the caller keeps the previous config.php.

declare(strict_types=1);

const EXIT_BAD_INPUT = 2;

// Keys the site configuration must carry for config.php (the template publishes more: the
// bootstrap reads those). dbreader may be empty (no read replica).
const REQUIRED_SITE_KEYS = [
    'wwwroot', 'sslproxy', 'dbtype', 'dbhost', 'dbreader', 'dbport', 'dbname', 'prefix', 'db_tls',
    'dataroot', 'localcachedir',
];
const MAY_BE_EMPTY = ['dbreader', 'prefix'];

// Moodle's driver names for the engines this stack runs on (mysqli and mariadb for local stacks).
const DB_TYPES = ['pgsql', 'auroramysql', 'mysqli', 'mariadb'];

// What install mode uses and what a missing session parameter means: the same settings as the
// LifecycleConverger's SessionConfigRenderer.databaseSessions().
const DATABASE_SESSIONS = [
    'session_handler_class' => '\\core\\session\\database',
    'session_database_acquire_lock_timeout' => 120,
];

function fail(string $message): never {
    fwrite(STDERR, "render-config: $message\n");
    exit(EXIT_BAD_INPUT);
}

/** Decodes a JSON object into an array; $what names the input in messages (never its content). */
function decode_object(string $json, string $what): array {
    try {
        $value = json_decode($json, true, 64, JSON_THROW_ON_ERROR);
    } catch (JsonException $e) {
        fail("$what is not valid JSON");
    }
    if (!is_array($value) || ($value !== [] && array_is_list($value))) {
        fail("$what is not a JSON object");
    }
    return $value;
}

function read_file_arg(array $options, string $name, bool $required): ?string {
    if (!isset($options[$name])) {
        if ($required) {
            fail("--$name=FILE is required");
        }
        return null;
    }
    $content = @file_get_contents($options[$name]);
    if ($content === false) {
        fail("cannot read --$name file");
    }
    return $content;
}

function bool_setting(array $site, string $key, bool $default): bool {
    if (!array_key_exists($key, $site)) {
        return $default;
    }
    return match (is_string($site[$key]) ? strtolower($site[$key]) : null) {
        'true' => true,
        'false' => false,
        default => fail("site configuration key '$key' must be \"true\" or \"false\""),
    };
}

/**
 * Moodle's dboptions['ssl'] (Moodle 4.3+; present in 4.5 and 5.x): lib/dml/pgsql_native_moodle_database.php
 * appends "sslmode=<value>" to the libpq connection string and accepts disable, prefer, require and
 * verify-full; lib/dml/mysqli_native_moodle_database.php (also auroramysql, mariadb) accepts require
 * (MYSQLI_CLIENT_SSL) and verify-full (adds MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT). Both throw on any
 * other value, so only those two are ever written. "true" is the site configuration's plain "TLS on".
 */
function tls_mode(string $dbtls): ?string {
    return match (strtolower($dbtls)) {
        'true', 'require' => 'require',
        'verify-full' => 'verify-full',
        'false', 'disable' => null,
        default => fail("site configuration key 'db_tls' must be one of true, require, verify-full, false, disable"),
    };
}

function setting(string $name, mixed $value): string {
    return '$CFG->' . $name . ' = ' . var_export($value, true) . ";\n";
}

$options = getopt('', ['site:', 'session:', 'layout:']);
$layout = $options['layout'] ?? 'classic';
if ($layout !== 'classic' && $layout !== 'public') {
    fail('--layout must be classic or public');
}
$site = decode_object((string) read_file_arg($options, 'site', true), 'the site configuration');

foreach (REQUIRED_SITE_KEYS as $key) {
    if (!array_key_exists($key, $site)) {
        fail("the site configuration has no '$key'");
    }
    if (!is_string($site[$key])) {
        fail("site configuration key '$key' must be a JSON string");
    }
    if ($site[$key] === '' && !in_array($key, MAY_BE_EMPTY, true)) {
        fail("site configuration key '$key' is empty");
    }
}

$dbtype = $site['dbtype'];
if (!in_array($dbtype, DB_TYPES, true)) {
    fail("site configuration key 'dbtype' must be one of " . implode(', ', DB_TYPES));
}
if (!preg_match('/^[0-9]{1,5}$/', $site['dbport']) || (int) $site['dbport'] < 1 || (int) $site['dbport'] > 65535) {
    fail("site configuration key 'dbport' must be a port number");
}
$dbport = (int) $site['dbport'];
if ($dbtype === 'pgsql' && $site['prefix'] === '') {
    // Moodle refuses an empty prefix on PostgreSQL (pgsql_native_moodle_database::raw_connect).
    fail("site configuration key 'prefix' must not be empty for pgsql");
}
// Moodle wants wwwroot without a trailing slash; the URL itself is the operator's choice.
$wwwroot = rtrim($site['wwwroot'], '/');
if (!preg_match('#^https?://[^/\s]+#', $wwwroot)) {
    fail("site configuration key 'wwwroot' must be an http:// or https:// URL");
}
foreach (['dataroot', 'localcachedir'] as $key) {
    if ($site[$key][0] !== '/') {
        fail("site configuration key '$key' must be an absolute path");
    }
}
$sslproxy = bool_setting($site, 'sslproxy', false);
$reverseproxy = bool_setting($site, 'reverseproxy', false);
$tls = tls_mode($site['db_tls']);

$secret = decode_object((string) stream_get_contents(STDIN), 'the database secret (stdin)');
foreach (['username', 'password'] as $key) {
    if (!isset($secret[$key]) || !is_string($secret[$key]) || $secret[$key] === '') {
        fail("the database secret has no non-empty string '$key'");
    }
}

$sessionjson = read_file_arg($options, 'session', false);
if ($sessionjson === null || trim($sessionjson) === '') {
    $session = DATABASE_SESSIONS;
} else {
    $session = decode_object($sessionjson, 'the session configuration');
}
foreach (array_keys($session) as $key) {
    // Only Moodle's session settings: a session parameter must never be able to set dbhost or wwwroot.
    if (!is_string($key) || !preg_match('/^session_[a-z0-9_]+$/', $key)) {
        fail('the session configuration has a key that is not a $CFG->session_* setting');
    }
}

$dboptions = [
    'dbpersist' => false,
    'dbsocket' => false,
    'dbport' => $dbport,
];
if ($dbtype !== 'pgsql') {
    $dboptions['dbcollation'] = 'utf8mb4_unicode_ci';
}
if ($tls !== null) {
    $dboptions['ssl'] = $tls;
}
if ($site['dbreader'] !== '') {
    // Read replica, as lib/dml/moodle_read_slave_trait.php reads it: SELECTs go to the first
    // connectable instance (user, password and the other dboptions, ssl included, are the writer's);
    // a table written less than 'latency' seconds ago is read from the writer. Sessions and lock_db
    // always stay on the writer. An unreachable reader costs one 'connecttimeout' and falls back.
    $dboptions['readonly'] = [
        'instance' => [
            ['dbhost' => $site['dbreader'], 'dbport' => $dbport],
        ],
        'connecttimeout' => 2,
        'latency' => 0.5,
    ];
}

$out = "<?php  // Moodle configuration file\n"
    . "// Rendered by Moodle Autopilot (render-config.php) from the stack's site configuration, the\n"
    . "// published session configuration and the database secret. Do not edit: every deployment\n"
    . "// renders it again.\n\n"
    . "unset(\$CFG);\n"
    . "global \$CFG;\n"
    . "\$CFG = new stdClass();\n\n"
    . setting('dbtype', $dbtype)
    . setting('dblibrary', 'native')
    . setting('dbhost', $site['dbhost'])
    . setting('dbname', $site['dbname'])
    . setting('dbuser', $secret['username'])
    . setting('dbpass', $secret['password'])
    . setting('prefix', $site['prefix'])
    . setting('dboptions', $dboptions)
    . "\n"
    . setting('wwwroot', $wwwroot)
    // TLS ends at the load balancer: Moodle must build https:// URLs from a plain-HTTP request.
    . setting('sslproxy', $sslproxy)
    . setting('reverseproxy', $reverseproxy)
    // dataroot is the shared EFS file system; tempdir and cachedir stay at their defaults under it,
    // because Moodle requires both to be shared between nodes. Only localcachedir is per instance.
    . setting('dataroot', $site['dataroot'])
    . setting('localcachedir', $site['localcachedir'])
    . setting('admin', 'admin')
    // Directories Moodle creates are shared with the web server's group only (setgid keeps it).
    . "\$CFG->directorypermissions = 02770;\n"
    // The executable paths (pathtophp, pathtodu, ...) cannot be changed from the admin UI: an admin
    // account must not be a way to choose what the web server runs (Moodle's own hardening advice).
    . setting('preventexecpath', true)
    // The PHP this renderer runs on is the instance's CLI PHP (the one cron and admin/cli use).
    . setting('pathtophp', PHP_BINARY)
    . "\n// Session handling, as published by the LifecycleConverger.\n";
foreach ($session as $key => $value) {
    $out .= setting($key, $value);
}
// Moodle 5.1 moved lib/ into public/: its $CFG->dirroot is public/, and $CFG->root this directory.
$setup = $layout === 'public' ? '/public/lib/setup.php' : '/lib/setup.php';
$out .= "\nrequire_once(__DIR__ . '$setup');\n\n"
    . "// There is no php closing tag in this file,\n"
    . "// it is intentional because it prevents trailing whitespace problems!\n";

echo $out;
