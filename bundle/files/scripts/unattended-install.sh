#!/usr/bin/env bash
# Moodle's CLI installer, once per site (install mode Unattended): the first instance to take the
# lock on the shared dataroot installs; any other (or a re-run) finds the database installed and
# moves on. Called by bootstrap.sh on every new instance, before the web server starts, so nobody
# can open the web installer on a half-installed database; safe to run again by hand.
#
# The admin password comes from the admin secret (Secrets Manager) and reaches Moodle's installer on
# stdin only (config/install-database.php); the installer's output goes to the autopilot log.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

SITE_JSON=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
DIRROOT=$(json_get "$SITE_JSON" dirroot)
DATAROOT=$(json_get "$SITE_JSON" dataroot)
mkdir -p "$AUTOPILOT_STATE"

mode=$(json_get "$SITE_JSON" install_mode)
if [ "$mode" != Unattended ]; then
  log "install mode $mode: the web installer finishes Moodle's installation"
  exit 0
fi
admin_arn=$(json_get "$SITE_JSON" admin_secret_arn)
[ -n "$admin_arn" ] || die "install mode Unattended needs admin_secret_arn in the site configuration"
admin_email=$(json_get "$SITE_JSON" admin_email)
fullname=$(json_get "$SITE_JSON" site_fullname)
shortname=$(json_get "$SITE_JSON" site_shortname)

exec 8>"$DATAROOT/.autopilot-install.lock"
log "waiting for the install lock on the shared dataroot"
flock -w 3600 8 || die "the install lock $DATAROOT/.autopilot-install.lock was not released within an hour"

state=$(runuser -u "$WEB_USER" -- "$PHP_BIN" "$BUNDLE_DIR/config/install-state.php" "$DIRROOT") \
  || die "cannot read Moodle's install state from the database"
case "$state" in
  installed)
    log "Moodle is already installed"
    ;;
  partial)
    die "the database has Moodle tables but no finished install (an installer died?): not installing over it; empty the database (or restore it) and run bootstrap.sh again"
    ;;
  upgrading)
    die "Moodle's upgrade flag is set (an upgrade is running, or an installer or upgrade died): not installing; let it finish (or run admin/cli/upgrade.php) and run bootstrap.sh again"
    ;;
  empty)
    if ! admin_json=$(awscli secretsmanager get-secret-value --secret-id "$admin_arn" \
          --query SecretString --output text 2>"$AUTOPILOT_STATE/admin-secret.err"); then
      log "$(head -c 2000 "$AUTOPILOT_STATE/admin-secret.err")"
      die "cannot read the admin secret"
    fi
    rm -f "$AUTOPILOT_STATE/admin-secret.err"
    log "installing Moodle's database with the CLI installer (this takes a few minutes)"
    # The admin password goes on stdin to install-database.php, which hands it to Moodle's
    # install_database.php in memory; printf is a builtin, so no process ever has it as argv.
    if ! printf '%s' "$admin_json" | runuser -u "$WEB_USER" -- "$PHP_BIN" "$BUNDLE_DIR/config/install-database.php" "$DIRROOT" \
        --agree-license --lang=en \
        --adminemail="$admin_email" --fullname="$fullname" --shortname="$shortname" >>"$AUTOPILOT_LOG" 2>&1; then
      unset admin_json
      die "Moodle's CLI installer failed (its output is in $AUTOPILOT_LOG)"
    fi
    unset admin_json
    log "Moodle's database is installed"
    ;;
  *)
    die "unexpected install state '$state'"
    ;;
esac
flock -u 8
exec 8>&-
