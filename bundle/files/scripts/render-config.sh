#!/usr/bin/env bash
# Renders Moodle's config.php into a release directory (default: the current release, through the
# dirroot symlink). Called by install-release.sh for every new release, and safe to run on its own
# whenever the session configuration or the application secret changes.
#
#   render-config.sh [RELEASE_DIR]
#
# Inputs, read fresh every time: the site configuration (SSM /Moodle/<stack>/Site/Config), the
# session configuration (the SSM parameter the site configuration names; absent until the
# LifecycleConverger publishes it, which means database sessions) and the database's application
# secret (Secrets Manager, keys username and password; db_app_secret_arn). Never the master secret:
# RDS rotates the master password, and a config.php holding it would fail at each rotation
# (ensure-app-user.sh gives the application user its password, with the master's login). The secret
# reaches render-config.php on stdin only: never in an argv, an environment variable, a log line or
# a file other than config.php itself.
# config.php is replaced atomically (rename in the same directory), mode 0640, root:apache.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
target="${1:-$(json_get "$site_json" dirroot)}"
[ -d "$target" ] || die "release directory $target does not exist"
# The physical directory: the temporary file and the rename must be in the same directory as the
# final config.php, not beside the dirroot symlink.
target=$(cd "$target" && pwd -P)
# config.php goes to the release's top in both layouts, never into Moodle 5.1's public/ (its
# public/config.php is Moodle's stub that loads ../config.php); only the setup.php it loads differs.
# A directory with no version.php at all gets the classic config.php, as before layouts existed.
layout=$(moodle_layout "$target") || layout=classic
session_parameter=$(json_get "$site_json" session_config_parameter)
secret_arn=$(json_get "$site_json" db_app_secret_arn)
[ -n "$secret_arn" ] || die "the site configuration's db_app_secret_arn is empty"

work=$(mktemp -d)
tmp=""
cleanup() {
  rm -rf "$work"
  if [ -n "$tmp" ]; then rm -f "$tmp"; fi
}
trap cleanup EXIT

printf '%s' "$site_json" >"$work/site.json"

# A missing session parameter means database sessions (install mode). Any other failure stops
# here: rendering database sessions on one node of a site whose other nodes use Redis would split
# every user's session between two stores.
if session_json=$(awscli ssm get-parameter --name "$session_parameter" \
      --query Parameter.Value --output text 2>"$work/session.err"); then
  printf '%s' "$session_json" >"$work/session.json"
  log "session configuration: $session_parameter"
elif grep -q ParameterNotFound "$work/session.err"; then
  : >"$work/session.json"
  log "session configuration $session_parameter is not published yet: database sessions"
else
  log "$(head -c 2000 "$work/session.err")"
  die "cannot read the session configuration $session_parameter"
fi

# The CLI's error names the secret, never its value.
if ! secret_json=$(awscli secretsmanager get-secret-value --secret-id "$secret_arn" \
      --query SecretString --output text 2>"$work/secret.err"); then
  log "$(head -c 2000 "$work/secret.err")"
  die "cannot read the database application secret"
fi

tmp=$(mktemp "$target/.config.php.XXXXXX")
# printf is a shell builtin: the secret goes down the pipe without ever being an exec argument.
if ! printf '%s' "$secret_json" \
    | "$PHP_BIN" "$BUNDLE_DIR/config/render-config.php" --site="$work/site.json" --session="$work/session.json" --layout="$layout" >"$tmp"; then
  die "config.php was not rendered (the render-config line above says why); the previous one is unchanged"
fi
unset secret_json
# php -l's message could quote a fragment of the file, so it is not shown; a failure here is a bug.
"$PHP_BIN" -l "$tmp" >/dev/null 2>&1 || die "the rendered config.php does not parse; the previous one is unchanged"
chmod 0640 "$tmp"
chown "$CONFIG_OWNER:$WEB_GROUP" "$tmp"
mv -f "$tmp" "$target/config.php"
tmp=""
log "config.php rendered in $target"
