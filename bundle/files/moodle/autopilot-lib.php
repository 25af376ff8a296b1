<?php
// Pure helpers of apply-settings.php and configure-muc.php: the payload's validation, the names
// Moodle accepts, the cache store configuration built from the payload and the "does it differ?"
// decisions. Nothing here loads or calls Moodle, so the tests run these functions on plain PHP.
//
// The payload (JSON, UTF-8), as the LifecycleConverger sends it through the SSM document
// <stack>-moodle-config (base64 on the command line, decoded by apply-moodle-config.sh):
//
//   {"settings": {"<name>": "<value>", "<plugin>/<name>": "<value>", ...},
//    "applicationCache": null | {"engine": "redis", "host": "h", "port": 6379, "tls": true|false}}
//
// Values are opaque strings: they are compared and stored byte for byte and never reach a shell,
// an eval or an SQL string (Moodle's set_config binds them as query parameters).

declare(strict_types=1);

const AUTOPILOT_EXIT_BAD_INPUT = 2;
const AUTOPILOT_EXIT_NOT_INSTALLED = 3;
const AUTOPILOT_EXIT_STORE_UNAVAILABLE = 4;

/** The one store instance Autopilot owns in Moodle's cache configuration (MUC). */
const AUTOPILOT_STORE_NAME = 'autopilot_application';

/**
 * Key prefix of the application cache in Redis. The session handler the LifecycleConverger
 * publishes uses 'sess_' (SessionConfigRenderer), so both can share one Redis/Valkey cache.
 * Moodle's add-instance form accepts #^[a-zA-Z0-9\-_]+$# (cache/stores/redis/addinstanceform.php).
 */
const AUTOPILOT_REDIS_PREFIX = 'muc_';

/**
 * The CA bundle of the instance's OS (Amazon Linux 2023). With TLS, cachestore_redis::new_redis()
 * turns peer verification OFF when 'cafile' is empty (stream options verify_peer and
 * verify_peer_name false) and passes ['cafile' => ...] otherwise, which verifies the ElastiCache
 * certificate (issued by Amazon's public CA, in the system bundle). So TLS without a readable CA
 * bundle is refused (configure-muc.php), never configured with an empty 'cafile'.
 */
const AUTOPILOT_DEFAULT_CAFILE = '/etc/pki/tls/certs/ca-bundle.crt';

/** Thrown for input that must be refused before anything changes (exit AUTOPILOT_EXIT_BAD_INPUT). */
final class autopilot_bad_input extends RuntimeException {
    /** @param string $kind json, name, type, value, or a refused family of settings-rules.json */
    public function __construct(string $message, public readonly string $kind = 'payload') {
        parent::__construct($message);
    }
}

/**
 * The settings rules, moodle/settings-rules.json beside this file: the same file the
 * LifecycleConverger reads (SettingsRules), so that both refuse the same documents.
 *
 * @return array<string, mixed>
 */
function autopilot_settings_rules(): array {
    static $rules = null;
    if ($rules === null) {
        $text = @file_get_contents(__DIR__ . '/settings-rules.json');
        if ($text === false) {
            throw new RuntimeException('moodle/settings-rules.json is missing from the bundle');
        }
        $rules = json_decode($text, true, 16, JSON_THROW_ON_ERROR);
    }
    return $rules;
}

/**
 * Decodes and validates the whole payload (settings and application cache), so that a script
 * refuses a bad payload before its first write, whichever half is bad.
 *
 * @return array{settings: array<int, array{name: string, plugin: ?string, value: string}>,
 *               applicationCache: ?array{engine: string, host: string, port: int, tls: bool}}
 */
function autopilot_parse_payload(string $json): array {
    try {
        $payload = json_decode($json, true, 32, JSON_THROW_ON_ERROR);
    } catch (JsonException $e) {
        throw new autopilot_bad_input('the payload is not valid JSON (UTF-8)');
    }
    if (!is_array($payload) || ($payload !== [] && array_is_list($payload))) {
        throw new autopilot_bad_input('the payload is not a JSON object');
    }
    $unknown = array_diff(array_keys($payload), ['settings', 'applicationCache']);
    if ($unknown) {
        throw new autopilot_bad_input('the payload has keys other than settings and applicationCache');
    }
    if (!array_key_exists('settings', $payload) || !array_key_exists('applicationCache', $payload)) {
        throw new autopilot_bad_input('the payload must have both settings and applicationCache');
    }
    return [
        'settings' => autopilot_parse_settings($payload['settings']),
        'applicationCache' => autopilot_parse_application_cache($payload['applicationCache']),
    ];
}

/**
 * The settings as a list of [name, plugin (null for core), value], in payload order.
 *
 * @return array<int, array{name: string, plugin: ?string, value: string}>
 */
function autopilot_parse_settings(mixed $settings): array {
    // json_decode(..., true) turns {} into [] too: an empty list is an empty object here.
    if (!is_array($settings) || ($settings !== [] && array_is_list($settings))) {
        throw new autopilot_bad_input('settings must be a JSON object', 'json');
    }
    $maxvalue = (int) autopilot_settings_rules()['maxValueLength'];
    $parsed = [];
    foreach ($settings as $key => $value) {
        $key = (string) $key; // PHP turns a key like "123" into an int.
        [$plugin, $name] = autopilot_split_setting_name($key);
        if (!is_string($value)) {
            throw new autopilot_bad_input("Moodle setting '$key' must have a string value", 'type');
        }
        if (str_contains($value, "\0")) {
            // PostgreSQL refuses NUL in text columns; better refused here than half applied.
            throw new autopilot_bad_input("Moodle setting '$key' has a NUL character in its value", 'value');
        }
        if (strlen($value) > $maxvalue && autopilot_utf16_length($value) > $maxvalue) {
            throw new autopilot_bad_input("Moodle setting '$key' is longer than $maxvalue", 'value');
        }
        $parsed[] = ['name' => $name, 'plugin' => $plugin, 'value' => $value];
    }
    return $parsed;
}

/**
 * Splits "name" (core) or "plugin/name" (a plugin's setting, the plugin in Moodle's frankenstyle,
 * e.g. auth_ldap, enrol_manual, tool_mobile) into [plugin or null, name]. A name that is not
 * safe is refused, and it is quoted in the message only after it matched the pattern.
 *
 * @return array{0: ?string, 1: string}
 */
function autopilot_split_setting_name(string $key): array {
    $rules = autopilot_settings_rules();
    if (preg_match('#^(?:' . $rules['corePattern'] . ')$#D', $key)) {
        $plugin = null;
        $name = $key;
    } else if (preg_match('#^(?:' . $rules['pluginPattern'] . ')$#D', $key)) {
        [$plugin, $name] = explode('/', $key, 2);
        // get_config('core'|'moodle', ...) reads core settings but set_config(..., 'core') writes
        // mdl_config_plugins: the two would never agree, so core settings are bare names only.
        if (in_array($plugin, $rules['reservedPlugins'], true)) {
            throw new autopilot_bad_input("Moodle setting '$key': core settings are named without a plugin", 'name');
        }
        if (strlen($plugin) > $rules['maxPluginLength']) {
            throw new autopilot_bad_input("Moodle setting '" . autopilot_shorten($key)
                . "' has a plugin name longer than " . $rules['maxPluginLength'], 'name');
        }
    } else {
        // Quoted only after the patterns: it is printable ASCII then. Here it may be anything.
        throw new autopilot_bad_input('a Moodle setting name is not a valid name (name, or plugin/name, in lower case)',
            'name');
    }
    if (strlen($name) > $rules['maxNameLength']) {
        throw new autopilot_bad_input("Moodle setting '" . autopilot_shorten($key) . "' has a name longer than "
            . $rules['maxNameLength'], 'name');
    }
    foreach ($rules['refused'] as $refusal) {
        $prefixed = array_filter($refusal['prefixes'], static fn(string $p) => str_starts_with($key, $p));
        if (in_array($key, $refusal['names'], true) || $prefixed) {
            throw new autopilot_bad_input("Moodle setting '$key' " . $refusal['message'], $refusal['kind']);
        }
    }
    return [$plugin, $name];
}

/** Length in UTF-16 code units, as the converger counts (Java's String.length()); $s is valid UTF-8. */
function autopilot_utf16_length(string $s): int {
    return (int) preg_match_all('/./su', $s) + (int) preg_match_all('/[\x{10000}-\x{10FFFF}]/u', $s);
}

function autopilot_shorten(string $s): string {
    return strlen($s) > 60 ? substr($s, 0, 60) . '...' : $s;
}

/**
 * @return ?array{engine: string, host: string, port: int, tls: bool}
 */
function autopilot_parse_application_cache(mixed $cache): ?array {
    if ($cache === null) {
        return null;
    }
    if (!is_array($cache) || ($cache !== [] && array_is_list($cache))) {
        throw new autopilot_bad_input('applicationCache must be null or a JSON object');
    }
    $unknown = array_diff(array_keys($cache), ['engine', 'host', 'port', 'tls']);
    if ($unknown) {
        throw new autopilot_bad_input('applicationCache has keys other than engine, host, port and tls');
    }
    $engine = $cache['engine'] ?? null;
    if ($engine === 'memcached') {
        // Its lib.php is gone from cache/stores/ since 4.2: requiring it was a fatal error after the
        // settings had been applied, retried forever.
        throw new autopilot_bad_input("applicationCache: Moodle removed its memcached cache store in 4.2"
            . " (cache/upgrade.txt); the application cache can be redis, valkey or serverless (memcached stays a"
            . " session cache option)", 'cache');
    }
    if ($engine !== 'redis') {
        throw new autopilot_bad_input('applicationCache.engine must be "redis" (Redis, Valkey, ElastiCache Serverless)',
            'cache');
    }
    $host = $cache['host'] ?? null;
    if (!is_string($host) || !autopilot_valid_host($host)) {
        throw new autopilot_bad_input('applicationCache.host must be a DNS name or an IPv4 address');
    }
    $port = $cache['port'] ?? null;
    if (!is_int($port) || $port < 1 || $port > 65535) {
        throw new autopilot_bad_input('applicationCache.port must be an integer from 1 to 65535');
    }
    $tls = $cache['tls'] ?? null;
    if (!is_bool($tls)) {
        throw new autopilot_bad_input('applicationCache.tls must be true or false');
    }
    return ['engine' => $engine, 'host' => $host, 'port' => $port, 'tls' => $tls];
}

/**
 * A DNS name (letters, digits, hyphens, dots; at most 253) or an IPv4 address. IPv6 is refused:
 * cachestore_redis splits "server" at ':' and cachestore_memcached's servers at ':' too.
 */
function autopilot_valid_host(string $host): bool {
    if (strlen($host) > 253) {
        return false;
    }
    if (preg_match('/^[0-9.]+$/D', $host)) {
        return filter_var($host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4) !== false;
    }
    return (bool) preg_match('/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/D', $host);
}

/**
 * The cache store plugin and its configuration array for the payload's applicationCache, in the
 * shape Moodle's own add-instance form produces, so that the admin UI shows and edits it:
 * cachestore_redis::config_get_configuration_array() (cache/stores/redis/lib.php, Moodle 4.x):
 * server ("host:port"), prefix, password, serializer, compressor, encryption (TLS), cafile.
 * serializer 1 is Redis::SERIALIZER_PHP (the form's default), compressor 0 is
 * cachestore_redis::COMPRESSOR_NONE; the constants are written as numbers because the Redis
 * extension need not be loaded where this runs. Redis cluster mode (the 'clustermode' key,
 * Moodle 4.4+) stays off by leaving the key out.
 *
 * @param array{engine: string, host: string, port: int, tls: bool} $cache
 * @param string $cafile CA bundle for TLS (the caller refuses TLS without one)
 * @return array{plugin: string, configuration: array<string, mixed>}
 */
function autopilot_store_configuration(array $cache, string $cafile = ''): array {
    if ($cache['tls'] && $cafile === '') {
        // An empty cafile makes Moodle connect without verifying the server: never configured.
        throw new autopilot_bad_input('applicationCache: TLS needs a CA bundle to verify the cache server', 'cache');
    }
    return [
        'plugin' => 'redis',
        'configuration' => [
            'server' => $cache['host'] . ':' . $cache['port'],
            'prefix' => AUTOPILOT_REDIS_PREFIX,
            'password' => '',
            'serializer' => 1,
            'compressor' => 0,
            'encryption' => $cache['tls'],
            'cafile' => $cache['tls'] ? $cafile : '',
        ],
    ];
}

/** Recursively sorts string keys, so that two configurations compare regardless of key order. */
function autopilot_canonical(mixed $value): mixed {
    if (!is_array($value)) {
        return $value;
    }
    if (!array_is_list($value)) {
        ksort($value, SORT_STRING);
    }
    return array_map('autopilot_canonical', $value);
}

/**
 * Does the store Moodle has (an entry of cache_config::get_all_stores(), or null when there is
 * none) differ from the one wanted? Plugin and configuration are compared strictly (types too:
 * Moodle keeps the array as var_export() wrote it), key order aside.
 *
 * @param ?array $existing
 * @param array<string, mixed> $configuration
 */
function autopilot_store_differs(?array $existing, string $plugin, array $configuration): bool {
    if ($existing === null) {
        return true;
    }
    if (($existing['plugin'] ?? null) !== $plugin) {
        return true;
    }
    $current = $existing['configuration'] ?? [];
    if (!is_array($current)) {
        return true;
    }
    return autopilot_canonical($current) !== autopilot_canonical($configuration);
}

// Moodle's cache_store::MODE_APPLICATION, MODE_SESSION and MODE_REQUEST (cache/classes/store.php).
const AUTOPILOT_MODE_APPLICATION = 1;
const AUTOPILOT_MODE_SESSION = 2;
const AUTOPILOT_MODE_REQUEST = 4;

/**
 * The store names mapped to one mode, in the order cache_config_writer::set_mode_mappings() must
 * be given them to write the same 'sort' values again (it numbers them 0, 1, ... in the order
 * given; cache_config::load() then sorts by 'sort', highest first).
 *
 * @param array<int, array{store: string, mode: int|string, sort?: int}> $mappings cache_config::get_mode_mappings()
 * @return string[]
 */
function autopilot_stores_for_mode(array $mappings, int $mode): array {
    $selected = array_values(array_filter($mappings, static fn($m) => (int) ($m['mode'] ?? -1) === $mode));
    usort($selected, static fn($a, $b) => ((int) ($a['sort'] ?? 0)) <=> ((int) ($b['sort'] ?? 0)));
    return array_map(static fn($m) => (string) $m['store'], $selected);
}

/** Is the application mode mapped to exactly this store (and nothing else)? */
function autopilot_application_mapped_to(array $mappings, string $store): bool {
    return autopilot_stores_for_mode($mappings, AUTOPILOT_MODE_APPLICATION) === [$store];
}

/**
 * The argument of cache_config_writer::set_mode_mappings() that maps the application mode to
 * $store and keeps the session and request modes' stores in their order. set_mode_mappings()
 * replaces all three modes at once, which is why the other two are read back first.
 *
 * @return array<int, string[]> mode => store names
 */
function autopilot_mode_mappings(array $mappings, string $store): array {
    return [
        AUTOPILOT_MODE_APPLICATION => [$store],
        AUTOPILOT_MODE_SESSION => autopilot_stores_for_mode($mappings, AUTOPILOT_MODE_SESSION),
        AUTOPILOT_MODE_REQUEST => autopilot_stores_for_mode($mappings, AUTOPILOT_MODE_REQUEST),
    ];
}

/** Should a setting be written? Moodle's get_config() answers false for a setting never set. */
function autopilot_setting_differs(string|false $current, string $wanted): bool {
    return $current !== $wanted;
}

// ---- Command-line plumbing shared by the two scripts (no Moodle either). ----

/** Reads --payload=FILE, or standard input for --payload=- (how apply-moodle-config.sh passes it). */
function autopilot_read_payload(array $options): string {
    if (!isset($options['payload']) || !is_string($options['payload']) || $options['payload'] === '') {
        throw new autopilot_bad_input('--payload=FILE (or --payload=- for standard input) is required');
    }
    $source = $options['payload'] === '-' ? 'php://stdin' : $options['payload'];
    $json = @file_get_contents($source);
    if ($json === false) {
        throw new autopilot_bad_input('cannot read the --payload file');
    }
    return $json;
}

/**
 * Where a release's code is, before Moodle is loaded: DIRROOT for Moodle 4.5, DIRROOT/public for
 * Moodle 5.1 and later (public/version.php and public/lib/setup.php: the rule of lib.sh's
 * moodle_layout). Once config.php is loaded, $CFG->dirroot says the same.
 */
function autopilot_codedir(string $dirroot): string {
    return is_file($dirroot . '/public/version.php') && is_file($dirroot . '/public/lib/setup.php')
        ? $dirroot . '/public' : $dirroot;
}

/**
 * The Moodle directory from --dirroot (default /var/www/moodle, the release symlink): the release's
 * top, where config.php is in both layouts (Moodle 5.1's $CFG->root, not its $CFG->dirroot).
 */
function autopilot_dirroot(array $options): string {
    $dirroot = $options['dirroot'] ?? '/var/www/moodle';
    if (!is_string($dirroot) || $dirroot === '' || $dirroot[0] !== '/') {
        throw new autopilot_bad_input('--dirroot must be an absolute path');
    }
    $dirroot = rtrim($dirroot, '/');
    if (!is_file($dirroot . '/config.php')) {
        throw new autopilot_bad_input("no config.php in $dirroot");
    }
    return $dirroot;
}

/**
 * Moodle may print (debugging, notices) while it loads or works; the scripts buffer that and move
 * it to standard error, so that standard output carries exactly one line: the result.
 */
function autopilot_flush_noise(): void {
    while (ob_get_level() > 0) {
        $noise = (string) ob_get_clean();
        if ($noise !== '') {
            fwrite(STDERR, $noise . (str_ends_with($noise, "\n") ? '' : "\n"));
        }
    }
}

function autopilot_json(mixed $value): string {
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
}

/** Prints the result line and ends with exit code 0. */
function autopilot_emit(mixed $result): never {
    $line = autopilot_json($result);
    autopilot_flush_noise();
    fwrite(STDOUT, $line . "\n");
    exit(0);
}

/** One line naming the problem (never a setting's value) on standard error, then exit $code. */
function autopilot_fail(string $script, string $message, int $code): never {
    autopilot_flush_noise();
    fwrite(STDERR, "$script: $message\n");
    exit($code);
}
