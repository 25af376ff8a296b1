#!/usr/bin/env bash
# Makes the database's application user (the login config.php carries) exist, with the password of
# the stack's application secret and the rights Moodle needs, by logging in as the master user.
# Run by install-release.sh before it renders config.php: on every instance's bootstrap (so before
# Moodle's installer, web or CLI, creates a table) and on every deployment (so a site installed
# before this step existed gets its user, and its tables, on the next release). Idempotent.
#
#   ensure-app-user.sh
#
# This is the only place on the instances that reads the master secret. RDS rotates that password
# (every 7 days by default) and this reads it fresh every run; config.php never holds it, so a
# rotation changes nothing for the web tier. The secrets reach ensure-app-user.php on stdin only:
# never in an argv, an environment variable, a log line or a file.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

# libpq verifies verify-full against this bundle (the system trust store, which the bootstrap
# extends with the RDS CA); the CodeDeploy hooks run without the bootstrap's environment.
SYSTEM_CA_BUNDLE=/etc/pki/tls/certs/ca-bundle.crt
APP_USER_RETRY_SECONDS="${APP_USER_RETRY_SECONDS:-20}"

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
master_arn=$(json_get "$site_json" db_secret_arn)
app_arn=$(json_get "$site_json" db_app_secret_arn)
[ -n "$app_arn" ] || die "the site configuration's db_app_secret_arn is empty"
if [ "$(json_get "$site_json" db_tls)" = verify-full ] && [ "$(json_get "$site_json" dbtype)" = pgsql ]; then
  export PGSSLROOTCERT="${PGSSLROOTCERT:-$SYSTEM_CA_BUNDLE}"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s' "$site_json" >"$work/site.json"

# read_secret ARN WHAT: the SecretString; the CLI's error names the secret, never its value.
read_secret() {
  local value
  if ! value=$(awscli secretsmanager get-secret-value --secret-id "$1" \
        --query SecretString --output text 2>"$work/secret.err"); then
    log "$(head -c 2000 "$work/secret.err")"
    die "cannot read the $2"
  fi
  printf '%s' "$value"
}

# Secrets Manager: "Rotation for managed secrets typically completes within one minute. During
# rotation, new connections that retrieve the secret may get the previous version of the
# credentials." So a refused login is tried again with the secret read afresh, for about a minute.
# Bad input (exit 2) is not retried.
attempts=4
for attempt in $(seq 1 "$attempts"); do
  master_json=$(read_secret "$master_arn" "database master secret")
  app_json=$(read_secret "$app_arn" "database application secret")
  status=0
  # printf is a shell builtin: the secrets go down the pipe without ever being an exec argument.
  { printf '%s' "$master_json"; printf '\0'; printf '%s' "$app_json"; } \
    | "$PHP_BIN" "$BUNDLE_DIR/config/ensure-app-user.php" --site="$work/site.json" >"$work/out" 2>"$work/err" \
    || status=$?
  unset master_json app_json
  while IFS= read -r line; do log "$line"; done <"$work/out"
  [ "$status" -ne 0 ] || exit 0
  while IFS= read -r line; do log "$line"; done <"$work/err"
  if [ "$status" -ne 1 ] || [ "$attempt" -eq "$attempts" ]; then
    break
  fi
  log "retrying in ${APP_USER_RETRY_SECONDS}s with the secrets read again (attempt $((attempt + 1)) of $attempts)"
  sleep "$APP_USER_RETRY_SECONDS"
done
die "the database's application user was not ensured (the line above says why); config.php is unchanged"
