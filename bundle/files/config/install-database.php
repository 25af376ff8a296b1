<?php
// Runs Moodle's CLI database installer, admin/cli/install_database.php, with the admin account's
// password taken from stdin instead of the command line.
//
//   php install-database.php DIRROOT [install_database.php options...] < ADMIN-SECRET.json
//
// ADMIN-SECRET.json is the Secrets Manager value: "password" (required) and "username" (optional;
// the installer's default is admin). install_database.php only takes --adminpass=... as an argument
// (it reads $_SERVER['argv'] through cli_get_params() in lib/clilib.php), and a real argument is
// readable by every local user in /proc/<pid>/cmdline for the minutes the install runs. So this
// wrapper builds that argv in memory and includes the installer: the password never reaches
// exec(). Run it as the web server's user, as the installer requires.

if (isset($_SERVER['REMOTE_ADDR']) || $argc < 2) {
    fwrite(STDERR, "usage: php install-database.php DIRROOT [options...] < admin-secret.json\n");
    exit(2);
}

// Moodle 4.5 has its CLI at DIRROOT/admin/cli; Moodle 5.1 under DIRROOT/public/admin/cli (the
// public/ layout: lib.sh, moodle_cli, looks in the same two places in the same order).
$installer = null;
foreach (['/admin/cli/install_database.php', '/public/admin/cli/install_database.php'] as $candidate) {
    if (is_file(rtrim($argv[1], '/') . $candidate)) {
        $installer = rtrim($argv[1], '/') . $candidate;
        break;
    }
}
if ($installer === null) {
    fwrite(STDERR, "install-database: no admin/cli/install_database.php under {$argv[1]} (nor under its public/)\n");
    exit(2);
}
unset($candidate);
$options = array_slice($argv, 2);
foreach ($options as $option) {
    if (str_starts_with($option, '--adminpass')) {
        fwrite(STDERR, "install-database: the admin password is read from stdin only\n");
        exit(2);
    }
}

$secret = json_decode((string) stream_get_contents(STDIN), true);
if (!is_array($secret) || !isset($secret['password']) || !is_string($secret['password']) || $secret['password'] === '') {
    fwrite(STDERR, "install-database: stdin is not a JSON object with a non-empty string \"password\"\n");
    exit(2);
}
if (isset($secret['username']) && is_string($secret['username']) && $secret['username'] !== '') {
    $options[] = '--adminuser=' . $secret['username'];
}
$options[] = '--adminpass=' . $secret['password'];
unset($secret);

$_SERVER['argv'] = array_merge([$installer], $options);
$_SERVER['argc'] = count($_SERVER['argv']);
$argv = $_SERVER['argv'];
$argc = $_SERVER['argc'];
unset($options, $option);

chdir(dirname($installer));
require($installer);
