<?php
// Applies the stack's Moodle settings through Moodle's own API, the way an admin settings page
// saves them, and only those that differ. Run by apply-moodle-config.sh as the web server's user.
//
//   php apply-settings.php --payload=FILE|- [--dirroot=/var/www/moodle]
//
// For each setting of the payload ("name" for core, "plugin/name" for a plugin's setting):
// get_config() gives the current value; only when it differs, set_config() stores the new one and
// add_to_config_log() records the change, so that it shows in Site administration > Reports >
// Config changes like a change made in the UI (with "CLI or install" as the user, as for
// admin/cli scripts). A second run with the same payload changes nothing.
//
// Output, one JSON line on standard output:
//   {"changed": [{"name": ..., "plugin": null|"..."}], "unchanged": N[, "callbacks": ["plugin/name", ...]]}
// ("callbacks" when something changed: the settings whose admin-page update callback then ran.)
// Names only: this line travels in Run Command's output and into the stack's status record, so no
// value (old or new) is printed; Moodle's own config log keeps them, where an admin sees them.
// Exit codes: 0 done; 2 bad payload or a setting that config.php forces (nothing changed);
// 3 Moodle is not installed yet (nothing changed); 1 Moodle failed while writing.
//
// Moodle APIs relied on (Moodle 4.4 and 4.5, same signatures):
// - lib/moodlelib.php: get_config($plugin, $name) returns the value as a string, or false when the
//   setting does not exist; 'core' (or 'moodle', or empty) means core settings. Settings forced by
//   config.php come from $CFG->config_php_settings (core) and $CFG->forced_plugin_settings[$plugin].
// - lib/moodlelib.php: set_config($name, $value, $plugin = null) writes mdl_config (plugin null)
//   or mdl_config_plugins, with bound parameters, and invalidates the 'core/config' cache.
// - lib/datalib.php: add_to_config_log($name, $oldvalue, $value, $plugin) inserts mdl_config_log
//   (userid 0 in CLI) and triggers \core\event\config_log_created; admin_setting::config_write()
//   (lib/adminlib.php) calls it right after set_config() with the old value normalised to null.
// - lib/setuplib.php: during_initial_install() is true while the installer runs; $CFG->version is
//   set once the database is installed.

define('CLI_SCRIPT', true);

require_once(__DIR__ . '/autopilot-lib.php');

const AUTOPILOT_SCRIPT = 'apply-settings';

/**
 * Secrets the instance itself reads from Secrets Manager and hands over (--secret-settings), never
 * the operator's document (whose rules refuse them): the only settings that arrive that way.
 */
const AUTOPILOT_INSTANCE_SECRETS = ['auth_ldap/bind_pw', 'smtppass'];

/**
 * The instance's secrets: a JSON object of allowed names to string values, from a descriptor the
 * caller opened (php://fd/N), so the web user reads a root-only file without any path to it. No
 * message ever quotes a value.
 *
 * @return array<int, array{name: string, plugin: ?string, value: string, secret: bool}>
 */
function autopilot_read_secret_settings(?string $source): array {
    if ($source === null) {
        return [];
    }
    if (!preg_match('#^php://fd/[3-9]$#', $source)) {
        throw new autopilot_bad_input('--secret-settings must be php://fd/N (N from 3 to 9)');
    }
    $json = @file_get_contents($source);
    try {
        $secrets = json_decode((string) $json, true, 4, JSON_THROW_ON_ERROR);
    } catch (JsonException $e) {
        throw new autopilot_bad_input('the secret settings are not a JSON object');
    }
    if (!is_array($secrets) || ($secrets !== [] && array_is_list($secrets))) {
        throw new autopilot_bad_input('the secret settings are not a JSON object');
    }
    $parsed = [];
    foreach ($secrets as $key => $value) {
        $key = (string) $key;
        if (!in_array($key, AUTOPILOT_INSTANCE_SECRETS, true)) {
            throw new autopilot_bad_input("'$key' is not a secret this instance sets (only "
                . implode(', ', AUTOPILOT_INSTANCE_SECRETS) . ')');
        }
        if (!is_string($value) || $value === '' || str_contains($value, "\0")) {
            throw new autopilot_bad_input("the secret for '$key' is not a non-empty string");
        }
        // Not through the settings rules: they refuse every secret, which is why these come here.
        // A core setting (smtppass) has no plugin part, as in the settings document's names.
        [$plugin, $name] = str_contains($key, '/') ? explode('/', $key, 2) : [null, $key];
        $parsed[] = ['name' => $name, 'plugin' => $plugin, 'value' => $value, 'secret' => true];
    }
    return $parsed;
}

/**
 * The enabled authentication plugins ('auth', a comma list in priority order), changed the way
 * Moodle's own page does (admin/auth.php: core\plugininfo\auth::enable_plugin(), which logs the
 * change, ends the sessions of a disabled plugin's users and resets the plugin caches), one plugin
 * at a time; then the order as written. Checked before any write: every plugin must be installed.
 */
function autopilot_apply_auth(string $current, string $wanted): void {
    $list = fn(string $v): array => array_values(array_filter(array_map('trim', explode(',', $v)), 'strlen'));
    $now = $list($current);
    $want = $list($wanted);
    foreach (array_diff($now, $want) as $plugin) {
        \core\plugininfo\auth::enable_plugin($plugin, 0);
    }
    foreach (array_diff($want, $now) as $plugin) {
        \core\plugininfo\auth::enable_plugin($plugin, 1);
    }
    $after = (string) get_config('core', 'auth');
    if ($after !== implode(',', $want)) {
        add_to_config_log('auth', $after, implode(',', $want), null);
        set_config('auth', implode(',', $want));
        \core_plugin_manager::reset_caches();
    }
}

/**
 * Reads every current value first and refuses the whole payload if any setting is forced by
 * config.php (set_config() would store a value that Moodle then ignores), so that nothing is
 * written unless everything can be; then writes the settings that differ.
 *
 * @param array<int, array{name: string, plugin: ?string, value: string}> $settings
 * @return array{changed: array<int, array>, unchanged: int}
 */
function autopilot_apply_settings(array $settings): array {
    global $CFG;

    $plan = [];
    foreach ($settings as $setting) {
        $plugin = $setting['plugin'];
        $name = $setting['name'];
        $forced = $plugin === null
            ? ($CFG->config_php_settings ?? [])
            : ($CFG->forced_plugin_settings[$plugin] ?? []);
        if (is_array($forced) && array_key_exists($name, $forced)) {
            $label = $plugin === null ? $name : "$plugin/$name";
            autopilot_fail(AUTOPILOT_SCRIPT, "Moodle setting '$label' is forced by config.php: no setting was changed",
                AUTOPILOT_EXIT_BAD_INPUT);
        }
        if ($plugin === null && $name === 'auth') {
            $installed = core_component::get_plugin_list('auth');
            foreach (array_filter(array_map('trim', explode(',', $setting['value'])), 'strlen') as $auth) {
                if (!isset($installed[$auth])) {
                    autopilot_fail(AUTOPILOT_SCRIPT, "authentication plugin '$auth' is not installed: no setting was changed",
                        AUTOPILOT_EXIT_BAD_INPUT);
                }
            }
        }
        $current = get_config($plugin ?? 'core', $name);
        $plan[] = $setting + ['current' => $current === false ? false : (string) $current];
    }

    $changed = [];
    $unchanged = 0;
    foreach ($plan as $step) {
        if (!autopilot_setting_differs($step['current'], $step['value'])) {
            $unchanged++;
            continue;
        }
        // As admin_setting::config_write(): a setting that did not exist is logged with old value null.
        $old = $step['current'] === false ? null : $step['current'];
        try {
            if ($step['plugin'] === null && $step['name'] === 'auth') {
                autopilot_apply_auth((string) $old, $step['value']);
            } else if (!empty($step['secret'])) {
                // As Moodle's password settings log themselves (admin_setting_configpasswordunmask).
                set_config($step['name'], $step['value'], $step['plugin']);
                add_to_config_log($step['name'], $old === null || $old === '' ? $old : '********', '********',
                    $step['plugin']);
            } else {
                set_config($step['name'], $step['value'], $step['plugin']);
                add_to_config_log($step['name'], $old, $step['value'], $step['plugin']);
            }
        } catch (Throwable $e) {
            // The settings before this one are applied (and logged); running again finishes the rest.
            autopilot_fail(AUTOPILOT_SCRIPT, 'Moodle failed after ' . count($changed) . ' change(s): '
                . get_class($e) . ': ' . $e->getMessage(), 1);
        }
        $changed[] = ['name' => $step['name'], 'plugin' => $step['plugin']];
    }
    return ['changed' => $changed, 'unchanged' => $unchanged];
}

/**
 * Runs what saving the settings on their admin pages runs after the write: each changed setting's
 * updated callback (admin_setting::post_write_settings(); e.g. theme_boost/brandcolor resets the theme
 * caches through theme_reset_all_caches(), which set_config() alone never does). The settings are
 * found in Moodle's admin tree as admin_write_settings() finds them (admin_find_write_settings(),
 * full names s_<plugin>_<name>); the tree shows its settings pages to a site admin only, so the
 * callbacks run as the main admin, after the config log has recorded the changes as "CLI or install".
 *
 * @param array<int, array{name: string, plugin: ?string}> $changed
 * @return string[] the settings ("name" or "plugin/name") whose callback ran
 */
function autopilot_run_update_callbacks(array $changed): array {
    global $CFG;
    require_once($CFG->libdir . '/adminlib.php');
    $admin = get_admin();
    if ($admin) {
        \core\session\manager::set_user($admin);
    }
    $wanted = [];
    foreach ($changed as $c) {
        $wanted['s_' . ($c['plugin'] ?? '') . '_' . $c['name']] = $c['plugin'] === null ? $c['name'] : "{$c['plugin']}/{$c['name']}";
    }
    $ran = [];
    foreach (admin_find_write_settings(admin_get_root(true, true), $wanted) as $fullname => $setting) {
        $callback = $setting->updatedcallback;
        if (!empty($callback) && is_callable($callback)) {
            $callback($fullname);
            $ran[] = $wanted[$fullname];
        }
    }
    sort($ran);
    return $ran;
}

if (isset($_SERVER['REMOTE_ADDR'])) {
    exit(AUTOPILOT_EXIT_BAD_INPUT);
}

try {
    $autopilotoptions = getopt('', ['payload:', 'dirroot:', 'secret-settings:']);
    $autopilotpayload = autopilot_parse_payload(autopilot_read_payload($autopilotoptions));
    $autopilotdirroot = autopilot_dirroot($autopilotoptions);
    $autopilotsecrets = autopilot_read_secret_settings($autopilotoptions['secret-settings'] ?? null);
} catch (autopilot_bad_input $e) {
    autopilot_fail(AUTOPILOT_SCRIPT, $e->getMessage(), AUTOPILOT_EXIT_BAD_INPUT);
}

// Anything Moodle prints while it loads or works goes to standard error (autopilot_flush_noise()).
ob_start();
// At file scope, as in every Moodle CLI script: config.php and lib/setup.php set Moodle's globals.
require($autopilotdirroot . '/config.php');

if (during_initial_install() || empty($CFG->version)) {
    autopilot_fail(AUTOPILOT_SCRIPT, 'Moodle is not installed yet: no setting was changed', AUTOPILOT_EXIT_NOT_INSTALLED);
}

try {
    $autopilotresult = autopilot_apply_settings(array_merge($autopilotpayload['settings'], $autopilotsecrets));
} catch (Throwable $e) {
    autopilot_fail(AUTOPILOT_SCRIPT, 'Moodle failed before any change: ' . get_class($e) . ': ' . $e->getMessage(), 1);
}
if ($autopilotresult['changed']) {
    try {
        $autopilotresult['callbacks'] = autopilot_run_update_callbacks($autopilotresult['changed']);
    } catch (Throwable $e) {
        // The values are stored and logged; what a callback refreshes (theme caches, ...) is not.
        autopilot_fail(AUTOPILOT_SCRIPT, count($autopilotresult['changed']) . ' setting(s) changed, but their update'
            . ' callbacks failed: ' . get_class($e) . ': ' . $e->getMessage(), 1);
    }
}
autopilot_emit($autopilotresult);
