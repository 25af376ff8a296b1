<?php
// The load balancer's health check of a Moodle web node: GET /autopilot-health, which
// httpd-moodle.conf aliases to this file. It stays in the bundle, outside Moodle's code, and runs
// in PHP-FPM like every Moodle page, with the web server's document root to find config.php: the
// rendered one in dirroot (Moodle 4.5), or in Moodle 5.1's public/ layout (document root
// dirroot/public) Moodle's own public/config.php, which loads the rendered ../config.php.
//
//   200 ok           PHP runs; config.php loads as Moodle's own config-only scripts load it
//                    (ABORT_AFTER_CONFIG: moodledata must be mounted and writable; no session, no
//                    cache, nothing written); one connection with the configured driver and TLS
//                    mode answers SELECT 1. The same before Moodle is installed (an empty database)
//                    as after.
//   200 maintenance  Moodle is in CLI maintenance (dataroot/climaintenance.html, e.g. during an
//                    upgrade): the node is fine, and the group must not replace every node then.
//   503 <part>       anything else. The body names the part that failed, never a value; the cause
//                    goes to PHP's error log (the pool's), with the database password removed.

declare(strict_types=1);

define('ABORT_AFTER_CONFIG', true);

require_once(__DIR__ . '/autopilot-db.php');

// Well inside the target group's 10 s timeout.
const CONNECT_TIMEOUT_SECONDS = 3;

/** Replaces whatever Moodle's setup queued (its maintenance page, its headers) with this answer. */
function respond(int $status, string $body): void {
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    if (!headers_sent()) {
        header_remove();
        // A status line replaces the one Moodle's setup may have set (its 500 or 503).
        $protocol = is_string($_SERVER['SERVER_PROTOCOL'] ?? null) ? $_SERVER['SERVER_PROTOCOL'] : 'HTTP/1.1';
        header($protocol . ($status === 200 ? ' 200 OK' : " $status Service Unavailable"), true, $status);
        header('Content-Type: text/plain; charset=utf-8');
        header('Cache-Control: no-store');
    }
    echo $body, "\n";
}

function log_failure(string $part, string $detail, string $secret): void {
    if ($secret !== '') {
        $detail = str_replace($secret, '********', $detail);
    }
    error_log('autopilot health: ' . $part . ': ' . substr(trim(preg_replace('/\s+/', ' ', $detail)), 0, 500));
}

$loading = true;
ob_start();
// Moodle's setup ends the script itself in two cases: CLI maintenance (it sends its maintenance
// page with a 503) and a missing or read-only moodledata (a 500 and a message).
register_shutdown_function(static function () use (&$loading): void {
    if (!$loading) {
        return;
    }
    $output = ob_get_level() > 0 ? (string) ob_get_contents() : '';
    global $CFG;
    $dataroot = isset($CFG->dataroot) && is_string($CFG->dataroot) ? $CFG->dataroot : '';
    if ($dataroot !== '' && is_file($dataroot . '/climaintenance.html')) {
        respond(200, 'maintenance');
        return;
    }
    log_failure('config', 'Moodle stopped while loading config.php: ' . strip_tags($output), '');
    respond(503, 'config');
});

$config = rtrim((string) ($_SERVER['DOCUMENT_ROOT'] ?? ''), '/') . '/config.php';
if (!is_file($config)) {
    $loading = false;
    log_failure('config', "no $config", '');
    respond(503, 'config');
    exit;
}
try {
    require $config;
} catch (Throwable $e) {
    $loading = false;
    log_failure('config', get_class($e) . ': ' . $e->getMessage(), '');
    respond(503, 'config');
    exit;
}
$loading = false;

global $CFG;
$password = (string) ($CFG->dbpass ?? '');
try {
    $db = autopilot_db::connect($CFG, CONNECT_TIMEOUT_SECONDS, 'autopilot-health');
    try {
        $problem = $db->column('SELECT 1') === ['1'] ? null : 'SELECT 1 did not answer 1';
    } finally {
        $db->close();
    }
} catch (Throwable $e) {
    $problem = get_class($e) . ': ' . $e->getMessage();
}
if ($problem === null) {
    respond(200, 'ok');
} else {
    log_failure('database', $problem, $password);
    respond(503, 'database');
}
