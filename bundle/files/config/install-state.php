<?php
// Prints Moodle's install state for a dirroot with a rendered config.php, one word on stdout:
//   empty      no table with the site's prefix: the CLI installer may run;
//   installed  the install finished: rolesactive is set (the CLI installer sets it after the
//              plugins, lib/installlib.php) and upgraderunning is not;
//   upgrading  rolesactive and upgraderunning are both set: an upgrade runs, or one died (Moodle
//              clears the flag at its end); nobody should install, and pages wait for it;
//   partial    tables exist but the install never finished (an installer that died): nobody
//              should install over it, and install_database.php would refuse anyway.
//
//   php install-state.php DIRROOT        (as the web server's user, like every Moodle CLI)
//
// It reads config.php as Moodle's config-only scripts do (ABORT_AFTER_CONFIG: $CFG, nothing else)
// and asks the database itself, on a read-only session. It must not load Moodle's setup: after an
// installer died, setup stops every script for five minutes with "Site is being upgraded" and then
// deletes the upgraderunning row, so a check would both fail and write.
// Exit codes: 0 an answer; 2 bad usage or no config.php; 1 the database could not be read.

declare(strict_types=1);

define('CLI_SCRIPT', true);
define('ABORT_AFTER_CONFIG', true);

require_once(__DIR__ . '/autopilot-db.php');

if (isset($_SERVER['REMOTE_ADDR']) || $argc !== 2) {
    fwrite(STDERR, "usage: php install-state.php DIRROOT\n");
    exit(2);
}
$configfile = rtrim($argv[1], '/') . '/config.php';
if (!is_file($configfile)) {
    fwrite(STDERR, "install-state: no config.php in {$argv[1]}\n");
    exit(2);
}
require($configfile);

global $CFG;
$prefix = (string) ($CFG->prefix ?? '');
// The prefix becomes part of a table name below: only what Moodle's installer accepts.
if (!preg_match('/^[a-z][a-z0-9_]*$/D', $prefix) && $prefix !== '') {
    fwrite(STDERR, "install-state: config.php's prefix is not a Moodle table prefix\n");
    exit(2);
}
try {
    $db = autopilot_db::connect($CFG, 10, 'autopilot-install-state');
    try {
        // Moodle's own test (install_database.php: $DB->get_tables()): any table with the prefix.
        $ours = array_filter($db->tables(), static fn(string $t): bool => str_starts_with($t, $prefix));
        if (!$ours) {
            $state = 'empty';
        } else if (!in_array($prefix . 'config', $ours, true)) {
            $state = 'partial';
        } else {
            $set = static function (string $name) use ($db, $prefix): bool {
                // The table name is the checked prefix plus 'config'; the setting's name is a parameter.
                $value = $db->column('SELECT value FROM ' . $prefix . 'config WHERE name = ?', [$name])[0] ?? '';
                return $value !== '' && $value !== '0';
            };
            $state = !$set('rolesactive') ? 'partial' : ($set('upgraderunning') ? 'upgrading' : 'installed');
        }
    } finally {
        $db->close();
    }
} catch (autopilot_db_error $e) {
    fwrite(STDERR, 'install-state: cannot read the database: ' . $e->getMessage() . "\n");
    exit(1);
}
echo $state, "\n";
exit(0);
