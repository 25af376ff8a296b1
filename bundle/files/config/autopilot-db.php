<?php
// One read-only connection to Moodle's database, made from config.php's $CFG the way Moodle's own
// drivers make it (same driver, host, port, TLS mode), without loading Moodle's database layer:
// the health page and install-state.php must not run Moodle's setup, which writes (it clears a
// stale upgraderunning flag) and refuses to start during an upgrade.
//
// Used by config/health.php (one SELECT 1) and config/install-state.php (table names and one
// config row). Errors are autopilot_db_error with the driver's message, the password removed.

declare(strict_types=1);

final class autopilot_db_error extends RuntimeException {
}

final class autopilot_db {
    private function __construct(
        private readonly string $type,
        private readonly mixed $connection,
    ) {
    }

    /**
     * @param object $cfg Moodle's $CFG after config.php (dbtype, dbhost, dbname, dbuser, dbpass, dboptions)
     * @throws autopilot_db_error
     */
    public static function connect(object $cfg, int $timeoutseconds, string $appname): self {
        $options = isset($cfg->dboptions) && is_array($cfg->dboptions) ? $cfg->dboptions : [];
        $ssl = isset($options['ssl']) && is_string($options['ssl']) ? $options['ssl'] : null;
        $port = (int) ($options['dbport'] ?? 0);
        $host = (string) ($cfg->dbhost ?? '');
        $user = (string) ($cfg->dbuser ?? '');
        $password = (string) ($cfg->dbpass ?? '');
        $name = (string) ($cfg->dbname ?? '');
        try {
            return match ((string) ($cfg->dbtype ?? '')) {
                'pgsql' => self::pgsql($host, $port, $user, $password, $name, $ssl, $timeoutseconds, $appname),
                'mysqli', 'mariadb', 'auroramysql' => self::mysqli($host, $port, $user, $password, $name, $ssl,
                    $timeoutseconds),
                default => throw new autopilot_db_error('unsupported dbtype'),
            };
        } catch (autopilot_db_error $e) {
            throw new autopilot_db_error($password === '' ? $e->getMessage()
                : str_replace($password, '********', $e->getMessage()));
        }
    }

    /** libpq's quoting of a keyword value (as Moodle's pgsql driver quotes it). */
    private static function pg_value(string $value): string {
        return "'" . addcslashes($value, "'\\") . "'";
    }

    private static function pgsql(string $host, int $port, string $user, string $password, string $name, ?string $ssl,
            int $timeout, string $appname): self {
        $conninfo = 'host=' . self::pg_value($host) . ' port=' . self::pg_value((string) ($port ?: 5432))
            . ' user=' . self::pg_value($user) . ' password=' . self::pg_value($password)
            . ' dbname=' . self::pg_value($name) . ' connect_timeout=' . $timeout
            . ' application_name=' . self::pg_value($appname);
        if ($ssl !== null) {
            // Moodle's dboptions['ssl'] is libpq's sslmode (lib/dml/pgsql_native_moodle_database.php).
            $conninfo .= ' sslmode=' . self::pg_value($ssl);
        }
        $connection = @pg_connect($conninfo, PGSQL_CONNECT_FORCE_NEW);
        if ($connection === false) {
            throw new autopilot_db_error(error_get_last()['message'] ?? 'pg_connect failed');
        }
        // Nothing this connection runs can write, whatever a caller's SQL says.
        if (@pg_query($connection, 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY') === false) {
            throw new autopilot_db_error('cannot make the session read-only: ' . pg_last_error($connection));
        }
        return new self('pgsql', $connection);
    }

    private static function mysqli(string $host, int $port, string $user, string $password, string $name, ?string $ssl,
            int $timeout): self {
        mysqli_report(MYSQLI_REPORT_OFF);
        $mysqli = mysqli_init();
        $mysqli->options(MYSQLI_OPT_CONNECT_TIMEOUT, $timeout);
        // As Moodle's mysqli driver (also auroramysql, mariadb) turns dboptions['ssl'] into flags.
        $flags = 0;
        if ($ssl !== null) {
            $flags |= MYSQLI_CLIENT_SSL;
            if ($ssl === 'verify-full') {
                $flags |= MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT;
            }
        }
        if (!@$mysqli->real_connect($host, $user, $password, $name, $port ?: 3306, null, $flags)) {
            throw new autopilot_db_error($mysqli->connect_error . ' (' . $mysqli->connect_errno . ')');
        }
        if (!$mysqli->query('SET SESSION TRANSACTION READ ONLY')) {
            throw new autopilot_db_error('cannot make the session read-only: ' . $mysqli->error);
        }
        return new self('mysqli', $mysqli);
    }

    /**
     * The first column of every row of a query with positional parameters ($1, $2 ... for pgsql; the
     * caller writes ? and this class numbers them for PostgreSQL).
     *
     * @param list<string> $params
     * @return list<string>
     */
    public function column(string $sql, array $params = []): array {
        if ($this->type === 'pgsql') {
            $n = 0;
            $numbered = preg_replace_callback('/\?/', static function () use (&$n): string {
                return '$' . (++$n);
            }, $sql);
            $result = @pg_query_params($this->connection, $numbered, $params);
            if ($result === false) {
                throw new autopilot_db_error('query failed: ' . pg_last_error($this->connection));
            }
            return array_map('strval', pg_fetch_all_columns($result, 0));
        }
        $statement = $this->connection->prepare($sql);
        if ($statement === false) {
            throw new autopilot_db_error('query failed: ' . $this->connection->error);
        }
        if ($params) {
            $statement->bind_param(str_repeat('s', count($params)), ...$params);
        }
        if (!$statement->execute()) {
            throw new autopilot_db_error('query failed: ' . $statement->error);
        }
        $rows = $statement->get_result()->fetch_all(MYSQLI_NUM);
        return array_map(static fn(array $row): string => (string) $row[0], $rows);
    }

    /** The base tables of the connected database (PostgreSQL: of its current schema). */
    public function tables(): array {
        return $this->type === 'pgsql'
            ? $this->column("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
            : $this->column("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
                . " AND table_type = 'BASE TABLE'");
    }

    public function close(): void {
        if ($this->type === 'pgsql') {
            pg_close($this->connection);
        } else {
            $this->connection->close();
        }
    }
}
