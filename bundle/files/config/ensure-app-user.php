<?php
// Makes Moodle's own database login exist, with the password of the stack's application secret and
// the rights Moodle needs in its database, by connecting as the master user. config.php carries
// this login, never the master's: RDS rotates the managed master password (every 7 days by
// default), and a config.php holding it would stop working at each rotation.
//
//   php ensure-app-user.php --site=SITE.json < MASTER-SECRET.json NUL APP-SECRET.json
//
// SITE.json    the site configuration (/Moodle/<stack>/Site/Config): dbtype, dbhost, dbport,
//              dbname, prefix, db_tls.
// standard in  the master secret (Aurora's managed secret), one NUL byte, then the application
//              secret: Secrets Manager JSON objects with "username" and "password". On stdin so
//              that no password is ever in a process's argv or environment.
//
// Idempotent, and safe to run from several instances at once (a database lock serializes runs):
//   PostgreSQL  CREATE ROLE (or ALTER ROLE) ... LOGIN PASSWORD '<SCRAM-SHA-256 verifier>': the
//               statement carries a salted verifier computed here, never the password, so a
//               statement log cannot reveal it. The master becomes a member of the role (so that
//               it can hand tables over and keep reading them: the InstallDetector logs in as the
//               master). CONNECT and TEMPORARY on the database, USAGE and CREATE on schema public
//               (where Moodle creates its tables; PostgreSQL 15+ no longer lets every role create
//               there). Tables and sequences with the site's prefix that the master still owns (a
//               site installed with the master's login) are handed to the role, because Moodle's
//               upgrades ALTER and DROP its tables, which only their owner may do.
//   MySQL       CREATE USER or ALTER USER ... IDENTIFIED BY (MySQL writes such statements to its
//   MariaDB     logs with the password rewritten), and GRANT on `<dbname>`.* of what Moodle's
//               installation guide lists (MYSQL_PRIVILEGES).
// Every run sets the password again, so the database follows the secret.
//
// Output: one line per action, no secret. Exit 2 on bad input (nothing was changed), 1 when the
// database refused a step (the transaction is rolled back on PostgreSQL).

declare(strict_types=1);

const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;
const LOCK_NAME = 'moodle-autopilot:app-user';
// PostgreSQL's own default for SCRAM-SHA-256 verifiers (scram_iterations).
const SCRAM_ITERATIONS = 4096;
// What Moodle's installation guide grants its MySQL user on its database: Moodle creates no views,
// routines or triggers, and locks with GET_LOCK(), which needs no privilege.
const MYSQL_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE, CREATE, CREATE TEMPORARY TABLES, DROP, INDEX, ALTER';
// Where Moodle creates its tables: the schema its connection's search_path finds first. config.php
// sets no dbschema, and no schema is named after either login, so that is public.
const PG_SCHEMA = 'public';

function fail(int $code, string $message): never {
    fwrite(STDERR, "ensure-app-user: $message\n");
    exit($code);
}

function say(string $message): void {
    fwrite(STDOUT, "$message\n");
}

function decode_object(string $json, string $what): array {
    try {
        $value = json_decode($json, true, 64, JSON_THROW_ON_ERROR);
    } catch (JsonException $e) {
        fail(EXIT_BAD_INPUT, "$what is not valid JSON");
    }
    if (!is_array($value) || array_is_list($value)) {
        fail(EXIT_BAD_INPUT, "$what is not a JSON object");
    }
    return $value;
}

/** [username, password] from a secret; the username must be a plain identifier (it goes into SQL). */
function credentials(array $secret, string $what): array {
    foreach (['username', 'password'] as $key) {
        if (!isset($secret[$key]) || !is_string($secret[$key]) || $secret[$key] === '') {
            fail(EXIT_BAD_INPUT, "$what has no non-empty string '$key'");
        }
    }
    // 32 characters: MySQL's limit for user names; PostgreSQL allows 63.
    if (!preg_match('/^[A-Za-z_][A-Za-z0-9_]{0,31}$/', $secret['username'])) {
        fail(EXIT_BAD_INPUT, "$what: 'username' must be a letter or _ followed by up to 31 letters, digits or _");
    }
    return [$secret['username'], $secret['password']];
}

function site_string(array $site, string $key, bool $mayBeEmpty = false): string {
    if (!isset($site[$key]) || !is_string($site[$key]) || (!$mayBeEmpty && $site[$key] === '')) {
        fail(EXIT_BAD_INPUT, "the site configuration has no string '$key'");
    }
    return $site[$key];
}

/** The same TLS choice render-config.php makes for Moodle's connection: null (off), require or verify-full. */
function tls_mode(string $dbtls): ?string {
    return match (strtolower($dbtls)) {
        'true', 'require' => 'require',
        'verify-full' => 'verify-full',
        'false', 'disable' => null,
        default => fail(EXIT_BAD_INPUT, "site configuration key 'db_tls' must be one of true, require, verify-full, false, disable"),
    };
}

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it (RFC 5802/7677; PostgreSQL's scram_build_secret):
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>. PostgreSQL stores a password given in
 * this form as it is. PostgreSQL prepares the password with SASLprep first, which leaves printable
 * ASCII unchanged: the caller accepts only that.
 */
function scram_sha256_verifier(string $password): string {
    $salt = random_bytes(16);
    $salted = hash_pbkdf2('sha256', $password, $salt, SCRAM_ITERATIONS, 32, true);
    $clientKey = hash_hmac('sha256', 'Client Key', $salted, true);
    $storedKey = hash('sha256', $clientKey, true);
    $serverKey = hash_hmac('sha256', 'Server Key', $salted, true);
    return 'SCRAM-SHA-256$' . SCRAM_ITERATIONS . ':' . base64_encode($salt) . '$'
        . base64_encode($storedKey) . ':' . base64_encode($serverKey);
}

function pg_conninfo_value(string $value): string {
    return "'" . addcslashes($value, "'\\") . "'";
}

/** Runs one statement; on an error rolls back and stops with PostgreSQL's message (which never holds a password: none is sent). */
function pg_run($conn, string $what, string $sql, array $params = []): \PgSql\Result {
    $result = $params === [] ? @pg_query($conn, $sql) : @pg_query_params($conn, $sql, $params);
    if ($result === false) {
        $error = trim(pg_last_error($conn));
        @pg_query($conn, 'ROLLBACK');
        fail(EXIT_FAILED, "$what failed: $error");
    }
    return $result;
}

function ensure_postgres(array $db, array $master, array $app, ?string $tls): void {
    [$masterUser, $masterPass] = $master;
    [$appUser, $appPass] = $app;
    if (!function_exists('pg_connect')) {
        fail(EXIT_FAILED, "PHP's pgsql extension is not loaded");
    }
    // SASLprep (RFC 4013) maps or refuses some non-ASCII characters; printable ASCII it leaves alone,
    // so the verifier computed here is the one PostgreSQL would compute from the same password.
    if (!preg_match('/^[\x20-\x7e]+$/', $appPass)) {
        fail(EXIT_BAD_INPUT, "the application secret's password must be printable ASCII");
    }
    $conninfo = 'host=' . pg_conninfo_value($db['host']) . ' port=' . pg_conninfo_value((string) $db['port'])
        . ' dbname=' . pg_conninfo_value($db['name']) . ' user=' . pg_conninfo_value($masterUser)
        . ' password=' . pg_conninfo_value($masterPass) . ' connect_timeout=20'
        . ' sslmode=' . ($tls ?? 'disable') . " application_name='moodle-autopilot'";
    $conn = @pg_connect($conninfo, PGSQL_CONNECT_FORCE_NEW);
    unset($conninfo, $masterPass);
    if ($conn === false) {
        // libpq's message names host, port and user, never the password.
        $error = error_get_last()['message'] ?? 'no reason given';
        fail(EXIT_FAILED, "cannot connect to PostgreSQL as the master user: " . preg_replace('/^pg_connect\(\): /', '', $error));
    }
    $app = pg_escape_identifier($conn, $appUser);
    $masterIdent = pg_escape_identifier($conn, $masterUser);
    $dbIdent = pg_escape_identifier($conn, $db['name']);
    $schema = pg_escape_identifier($conn, PG_SCHEMA);

    pg_run($conn, 'BEGIN', 'BEGIN');
    // Role and grant changes from two sessions at once can fail with "tuple concurrently updated".
    pg_run($conn, 'taking the lock', 'SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_NAME]);
    $exists = pg_num_rows(pg_run($conn, 'looking up the role', 'SELECT 1 FROM pg_roles WHERE rolname = $1', [$appUser])) > 0;
    $verifier = pg_escape_literal($conn, scram_sha256_verifier($appPass));
    if ($exists) {
        // Only LOGIN and the password: a master that is not a superuser (Aurora's) may not even
        // restate SUPERUSER attributes of an existing role.
        pg_run($conn, 'ALTER ROLE', "ALTER ROLE $app WITH LOGIN PASSWORD $verifier");
        say("database role $appUser: password set from the application secret");
    } else {
        pg_run($conn, 'CREATE ROLE', "CREATE ROLE $app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD $verifier");
        say("database role $appUser: created with the application secret's password");
    }
    unset($verifier);
    $member = pg_fetch_result(pg_run($conn, 'checking membership', "SELECT pg_has_role(current_user, $1, 'MEMBER')", [$appUser]), 0, 0);
    if ($member !== 't') {
        pg_run($conn, 'GRANT role', "GRANT $app TO $masterIdent");
        say("database role $masterUser: member of $appUser (hands tables over, reads them)");
    }
    pg_run($conn, 'GRANT on database', "GRANT CONNECT, TEMPORARY ON DATABASE $dbIdent TO $app");
    pg_run($conn, 'GRANT on schema', "GRANT USAGE, CREATE ON SCHEMA $schema TO $app");
    // Tables first: ALTER TABLE takes the table's indexes and the sequences of its serial columns
    // along; what is left afterwards are sequences of their own.
    $owned = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                AND c.relkind = ANY ($2::\"char\"[]) AND left(c.relname, length($3)) = $3
              ORDER BY c.relname";
    $moved = 0;
    foreach ([['{r,p}', 'TABLE'], ['{S}', 'SEQUENCE']] as [$kinds, $keyword]) {
        $rows = pg_fetch_all_columns(pg_run($conn, "listing the master's $keyword objects", $owned, [PG_SCHEMA, $kinds, $db['prefix']]), 0);
        foreach ($rows as $name) {
            pg_run($conn, "ALTER $keyword OWNER", "ALTER $keyword $schema." . pg_escape_identifier($conn, $name) . " OWNER TO $app");
            $moved++;
        }
    }
    if ($moved > 0) {
        say("handed $moved table(s) and sequence(s) with prefix {$db['prefix']} from $masterUser to $appUser");
    }
    pg_run($conn, 'COMMIT', 'COMMIT');
    pg_close($conn);
}

function ensure_mysql(array $db, array $master, array $app, ?string $tls): void {
    [$masterUser, $masterPass] = $master;
    [$appUser, $appPass] = $app;
    if (!function_exists('mysqli_init')) {
        fail(EXIT_FAILED, "PHP's mysqli extension is not loaded");
    }
    mysqli_report(MYSQLI_REPORT_OFF);
    $conn = mysqli_init();
    $conn->options(MYSQLI_OPT_CONNECT_TIMEOUT, 20);
    // The flags Moodle's mysqli driver uses for dboptions['ssl'].
    $flags = 0;
    if ($tls !== null) {
        $flags |= MYSQLI_CLIENT_SSL;
        if ($tls === 'verify-full') {
            $flags |= MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT;
        }
    }
    if (!@$conn->real_connect($db['host'], $masterUser, $masterPass, $db['name'], (int) $db['port'], null, $flags)) {
        // The server's message names the user and host, never the password.
        fail(EXIT_FAILED, 'cannot connect to MySQL as the master user: ' . mysqli_connect_error());
    }
    unset($masterPass);
    $run = function (string $what, string $sql, bool $carriesPassword = false) use ($conn): mysqli_result|bool {
        $result = $conn->query($sql);
        if ($result === false) {
            // A syntax error message quotes the statement from where it went wrong: for a statement
            // with a password, only the error's number and state are shown.
            $error = $carriesPassword ? "error {$conn->errno} (SQLSTATE {$conn->sqlstate})" : $conn->error;
            fail(EXIT_FAILED, "$what failed: $error");
        }
        return $result;
    };
    $got = $run('taking the lock', "SELECT GET_LOCK('" . LOCK_NAME . "', 120)")->fetch_row()[0] ?? null;
    if ((string) $got !== '1') {
        fail(EXIT_FAILED, 'another instance held the app-user lock for 120 s');
    }
    $user = "'" . $conn->real_escape_string($appUser) . "'";
    $account = "$user@'%'";
    // real_escape_string follows the session's NO_BACKSLASH_ESCAPES mode (mysqlnd reads it from the server).
    $password = "'" . $conn->real_escape_string($appPass) . "'";
    $exists = $run('looking up the user', "SELECT 1 FROM mysql.user WHERE user = $user AND host = '%'")->num_rows > 0;
    if ($exists) {
        $run('ALTER USER', "ALTER USER $account IDENTIFIED BY $password", true);
        say("database user $appUser: password set from the application secret");
    } else {
        $run('CREATE USER', "CREATE USER IF NOT EXISTS $account IDENTIFIED BY $password", true);
        say("database user $appUser: created with the application secret's password");
    }
    unset($password);
    $run('GRANT', 'GRANT ' . MYSQL_PRIVILEGES . ' ON `' . str_replace('`', '``', $db['name']) . "`.* TO $account");
    $run('releasing the lock', "SELECT RELEASE_LOCK('" . LOCK_NAME . "')");
    $conn->close();
}

if (isset($_SERVER['REMOTE_ADDR'])) {
    exit(EXIT_BAD_INPUT);
}
$options = getopt('', ['site:']);
if (!isset($options['site']) || !is_string($options['site'])) {
    fail(EXIT_BAD_INPUT, 'usage: php ensure-app-user.php --site=SITE.json < master-secret NUL app-secret');
}
$sitejson = @file_get_contents($options['site']);
if ($sitejson === false) {
    fail(EXIT_BAD_INPUT, 'cannot read the --site file');
}
$site = decode_object($sitejson, 'the site configuration');

$dbtype = site_string($site, 'dbtype');
$port = site_string($site, 'dbport');
if (!preg_match('/^[0-9]{1,5}$/', $port) || (int) $port < 1 || (int) $port > 65535) {
    fail(EXIT_BAD_INPUT, "site configuration key 'dbport' must be a port number");
}
$db = [
    'host' => site_string($site, 'dbhost'),
    'port' => (int) $port,
    'name' => site_string($site, 'dbname'),
    'prefix' => site_string($site, 'prefix', true),
];
if (!preg_match('/^[A-Za-z0-9_]{1,63}$/', $db['name'])) {
    fail(EXIT_BAD_INPUT, "site configuration key 'dbname' must be letters, digits and _");
}
$tls = tls_mode(site_string($site, 'db_tls'));

$parts = explode("\0", (string) stream_get_contents(STDIN));
if (count($parts) !== 2) {
    fail(EXIT_BAD_INPUT, 'stdin must be the master secret, one NUL byte, then the application secret');
}
$master = credentials(decode_object($parts[0], 'the master secret'), 'the master secret');
$app = credentials(decode_object($parts[1], 'the application secret'), 'the application secret');
unset($parts);
if (strcasecmp($master[0], $app[0]) === 0) {
    fail(EXIT_BAD_INPUT, "the application secret's username must not be the master user's");
}

match ($dbtype) {
    'pgsql' => ensure_postgres($db, $master, $app, $tls),
    'auroramysql', 'mysqli', 'mariadb' => ensure_mysql($db, $master, $app, $tls),
    default => fail(EXIT_BAD_INPUT, "site configuration key 'dbtype' must be one of pgsql, auroramysql, mysqli, mariadb"),
};
exit(0);
