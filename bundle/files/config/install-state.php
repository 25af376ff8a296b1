<?php
// Prints Moodle's install state for a dirroot with a rendered config.php, one word on stdout:
//   empty      no table with the site's prefix: the CLI installer may run;
//   installed  the install finished ($CFG->rolesactive is set at its very end);
//   partial    tables exist but the install never finished (an installer that died): nobody
//              should install over it, and install_database.php would refuse anyway.
//
//   php install-state.php DIRROOT        (as the web server's user, like every Moodle CLI)
//
// It loads config.php exactly as admin/cli/install_database.php does before its own "tables
// exist" check, so it sees the database the installer would see.

define('CLI_SCRIPT', true);

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

if (!$DB->get_tables(false)) {
    echo "empty\n";
} else if (!empty($CFG->rolesactive)) {
    echo "installed\n";
} else {
    echo "partial\n";
}
exit(0);
