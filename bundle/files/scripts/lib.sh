# shellcheck shell=bash disable=SC2034  # the variables here are used by the scripts that source it
# Shared by the bundle's scripts: logging, the instance's settings, the site configuration.
# Sourced, never run; the caller has `set -euo pipefail`. Never `set -x` in any of these scripts:
# they handle the database and admin passwords.
#
# The defaults are the instance's real paths; the tests point them at a temporary directory.

AUTOPILOT_ETC="${AUTOPILOT_ETC:-/etc/moodle-autopilot}"
AUTOPILOT_LOG="${AUTOPILOT_LOG:-/var/log/moodle-autopilot.log}"
AUTOPILOT_STATE="${AUTOPILOT_STATE:-/var/lib/moodle-autopilot}"
RELEASES_DIR="${RELEASES_DIR:-/var/www/moodle-releases}"
WEB_USER="${WEB_USER:-apache}"
WEB_GROUP="${WEB_GROUP:-apache}"
CONFIG_OWNER="${CONFIG_OWNER:-root}"
PHP_BIN="${PHP_BIN:-php}"

# The bundle is wherever this file is: /opt/moodle-autopilot/bundle after the bootstrap, or
# CodeDeploy's deployment-archive directory while a hook runs (hooks run from the archive, before
# or whether or not the files section has copied anything).
BUNDLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_NAME="$(basename "$0")"

# The AWS CLI retries throttling and 5xx itself in standard mode.
export AWS_RETRY_MODE="${AWS_RETRY_MODE:-standard}"
export AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-6}"

# One progress line, to stderr (the hook's or cloud-init's output) and to the log file that the
# CloudWatch agent ships. Never pass a secret to it.
log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) ${SCRIPT_NAME}[$$]: $*"
  printf '%s\n' "$line" >&2
  printf '%s\n' "$line" >>"$AUTOPILOT_LOG" 2>/dev/null || true
}

die() {
  log "ERROR: $*"
  exit 1
}

# STACK_NAME and AWS_REGION: the bootstrap gets them from UserData and saves them, because
# CodeDeploy runs the hooks with an environment of its own.
load_instance_env() {
  if [ -z "${STACK_NAME:-}" ] || [ -z "${AWS_REGION:-}" ]; then
    if [ -r "$AUTOPILOT_ETC/instance.env" ]; then
      # shellcheck disable=SC1091  # written by bootstrap.sh with printf %q
      . "$AUTOPILOT_ETC/instance.env"
    fi
  fi
  [ -n "${STACK_NAME:-}" ] || die "STACK_NAME is not set and $AUTOPILOT_ETC/instance.env has none"
  [ -n "${AWS_REGION:-}" ] || die "AWS_REGION is not set and $AUTOPILOT_ETC/instance.env has none"
  export STACK_NAME AWS_REGION
}

awscli() {
  aws --region "$AWS_REGION" "$@"
}

site_config_parameter() {
  printf '/Moodle/%s/Site/Config' "$STACK_NAME"
}

# The site configuration JSON, fresh from SSM (a deployment picks up a changed template).
fetch_site_config() {
  awscli ssm get-parameter --name "$(site_config_parameter)" \
    --query Parameter.Value --output text
}

# json_get JSON KEY: the string value of KEY; fails (with a message naming the key) when the key
# is missing or not a string. An empty string is a value.
json_get() {
  local value
  if ! value=$(jq -er --arg k "$2" '.[$k] | strings' <<<"$1" 2>/dev/null); then
    die "the site configuration has no string '$2'"
  fi
  printf '%s' "$value"
}

# as_web_user ARGS...: PHP as the web server's user, as every Moodle CLI must run (the files it creates
# in dataroot, such as muc/config.php or climaintenance.html, must stay the web server's). Already
# that user (a test): run directly.
as_web_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$WEB_USER" -- "$PHP_BIN" "$@"
  elif [ "$(id -un)" = "$WEB_USER" ]; then
    "$PHP_BIN" "$@"
  else
    die "must run as root (or as $WEB_USER)"
  fi
}

# Moodle's dirroot is a symlink to the current release; releases live beside each other.
current_release() {
  readlink -f "$1"
}

# render_agent_config TEMPLATE LOG_GROUP RETENTION_DAYS: the CloudWatch agent's configuration for
# this site on stdout. Every file goes to the stack's log group, with that group's retention: the
# agent sets it on a group it creates again (the stack's group deleted while the instance still
# ran), which would otherwise never expire, and on the stack's own group it is the same value.
render_agent_config() {
  jq --arg group "$2" --argjson days "$3" \
    '.logs.logs_collected.files.collect_list[] |= (.log_group_name = $group | .retention_in_days = $days)' "$1"
}

# --- first boot: what can still be late, and the launch hook --------------------------------

# How long the bootstrap waits for what a new stack may still be creating (the site configuration,
# a role whose permissions are seconds old), and how often it asks again. The tests shorten both.
LATE_WAIT_SECONDS="${LATE_WAIT_SECONDS:-300}"
LATE_RETRY_SECONDS="${LATE_RETRY_SECONDS:-15}"
# The instance metadata service (IMDSv2: a session token first).
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"

# retry_late WHAT COMMAND...: runs COMMAND until it succeeds, for up to LATE_WAIT_SECONDS, with one
# progress line per failed attempt (the error's last line: the AWS CLI's errors hold no secret);
# COMMAND's standard output passes through from the attempt that succeeded, and only from it.
retry_late() {
  local what="$1" started=$SECONDS err out
  shift
  err=$(mktemp)
  while true; do
    if out=$("$@" 2>"$err"); then
      rm -f "$err"
      printf '%s' "$out"
      return 0
    fi
    if [ $((SECONDS - started)) -ge "$LATE_WAIT_SECONDS" ]; then
      log "$what: still failing after $((SECONDS - started))s: $(tail -n 1 "$err")"
      rm -f "$err"
      return 1
    fi
    log "$what: not available yet ($(tail -n 1 "$err")); retrying in ${LATE_RETRY_SECONDS}s ($((SECONDS - started))s of ${LATE_WAIT_SECONDS}s)"
    sleep "$LATE_RETRY_SECONDS"
  done
}

# The site configuration, waiting for it: on a new stack the bootstrap may ask before the
# parameter, or the role's permission to read it, is visible.
wait_for_site_config() {
  retry_late "the site configuration $(site_config_parameter)" fetch_site_config
}

# This instance's id, from the instance metadata service (IMDSv2).
instance_id() {
  local token
  token=$(curl -fsS -X PUT --max-time 5 --retry 3 -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
    "$IMDS_ENDPOINT/latest/api/token") || return 1
  curl -fsS --max-time 5 --retry 3 -H "X-aws-ec2-metadata-token: $token" "$IMDS_ENDPOINT/latest/meta-data/instance-id"
}

# complete_launch_hook SITE_JSON: the bootstrap's last step. The group holds every new instance in
# Pending:Wait (out of the load balancer) until this tells its launch hook (site configuration
# keys web_group and launch_hook) CONTINUE; without it the hook times out and the instance is
# abandoned and replaced. No waiting action (a re-run by hand, an instance already in service) is
# not an error.
complete_launch_hook() {
  local group hook id result
  group=$(jq -r '.web_group // empty' <<<"$1")
  hook=$(jq -r '.launch_hook // empty' <<<"$1")
  if [ -z "$group" ] || [ -z "$hook" ]; then
    log "the site configuration names no launch hook: nothing to complete"
    return 0
  fi
  id=$(instance_id) || die "cannot read this instance's id from the instance metadata service"
  result=$(retry_late "completing the launch hook $hook of $group" complete_lifecycle_action_once "$group" "$hook" "$id") \
    || die "cannot complete the launch hook $hook of $group for $id"
  case "$result" in
    completed) log "launch hook $hook of $group completed for $id: the instance enters service" ;;
    *) log "no launch hook action is waiting for $id (already in service, or a re-run): nothing to complete" ;;
  esac
}

# complete_lifecycle_action_once GROUP HOOK INSTANCE_ID: prints "completed", or "none" when no action
# waits for the instance (the API's ValidationError "No active Lifecycle Action found"); any other
# error goes to stderr and fails, for retry_late to try again.
complete_lifecycle_action_once() {
  local out rc=0
  out=$(awscli autoscaling complete-lifecycle-action --auto-scaling-group-name "$1" --lifecycle-hook-name "$2" \
    --instance-id "$3" --lifecycle-action-result CONTINUE 2>&1 >/dev/null) || rc=$?
  if [ "$rc" -eq 0 ]; then
    printf 'completed'
  elif grep -q 'No active Lifecycle Action' <<<"$out"; then
    printf 'none'
  else
    printf '%s\n' "$out" >&2
    return "$rc"
  fi
}

# memcached_extension SITE_JSON: "required" when either cache engine is memcached (sessions, or the
# application cache), else "optional". A required extension that does not build stops the
# bootstrap: a node without it would fail every memcached session.
memcached_extension() {
  if jq -e '.session_cache_engine == "memcached" or .app_cache_engine == "memcached"' <<<"$1" >/dev/null; then
    printf 'required'
  else
    printf 'optional'
  fi
}

# --- the release's layout: Moodle 4.5 ("classic") or Moodle 5.1 and later ("public") ------------
#
# The bundle's dirroot (the site configuration's, /var/www/moodle) is always the top of the
# unpacked release: the moodle/ folder of Moodle's package, where config.php lives. Moodle 5.1
# moved its web code into public/ (docs/decisions.md, "Moodle 5.1's public/ layout"): the web
# server's document root is <dirroot>/public, Moodle's own $CFG->dirroot is <dirroot>/public
# (public/lib/setup.php) and $CFG->root is <dirroot>; config.php stays at <dirroot>/config.php and
# public/config.php is Moodle's own stub that loads ../config.php (never overwritten).

# moodle_layout DIR: "public" when DIR is a Moodle 5.1+ release (public/version.php and
# public/lib/setup.php), "classic" when it has version.php at its top (Moodle 4.5 and earlier);
# fails when DIR is neither. Moodle 4.5's package has no public/ directory at any depth.
moodle_layout() {
  if [ -f "$1/public/version.php" ] && [ -f "$1/public/lib/setup.php" ]; then
    printf 'public'
  elif [ -f "$1/version.php" ]; then
    printf 'classic'
  else
    return 1
  fi
}

# moodle_docroot DIRROOT: the web server's document root for the release at DIRROOT (keeps the
# path as given: through the dirroot symlink, the document root follows each release switch).
moodle_docroot() {
  local layout
  layout=$(moodle_layout "$1") || return 1
  case "$layout" in
    public) printf '%s/public' "$1" ;;
    *) printf '%s' "$1" ;;
  esac
}

# moodle_cli DIRROOT SCRIPT: the path of Moodle's admin/cli/SCRIPT in the release at DIRROOT:
# <dirroot>/admin/cli/ (Moodle 4.5) or, in the public layout, <dirroot>/public/admin/cli/ (where
# Moodle 5.1 ships its CLI installer, public/admin/cli/install.php). Whichever holds the script
# wins, top first, so a later release that moves the CLI back to the top works as well.
moodle_cli() {
  local candidate
  for candidate in "$1/admin/cli/$2" "$1/public/admin/cli/$2"; do
    if [ -f "$candidate" ]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  return 1
}

# render_vhost TEMPLATE DIRROOT HEALTH_PAGE: Moodle's virtual host (httpd-moodle.conf) on stdout,
# its DocumentRoot and <Directory> the release's document root (moodle_docroot).
render_vhost() {
  local docroot
  docroot=$(moodle_docroot "$2") || return 1
  sed -e "s#@DOCUMENT_ROOT@#$docroot#g" -e "s#@HEALTH_PAGE@#$3#" "$1"
}

# render_cron TEMPLATE DIRROOT [PGSSLROOTCERT]: Moodle's cron file (moodle-cron) on stdout, running
# the release's admin/cli/cron.php (moodle_cli), with libpq's CA variable when one is given.
render_cron() {
  local script
  if ! script=$(moodle_cli "$2" cron.php); then
    # No cron.php in the release (not a whole Moodle): where its layout keeps it, as before layouts.
    script="$(moodle_docroot "$2" || printf '%s' "$2")/admin/cli/cron.php"
  fi
  # Through the dirroot symlink, as the document root: the next release's cron.php after a switch.
  sed "s#@CRON_SCRIPT@#$script#g" "$1" | if [ -n "${3:-}" ]; then sed "/^MAILTO=/a PGSSLROOTCERT=$3"; else cat; fi
}

# Where bootstrap.sh installs the rendered virtual host and cron file (the tests point them elsewhere).
HTTPD_VHOST="${HTTPD_VHOST:-/etc/httpd/conf.d/moodle.conf}"
MOODLE_CRON="${MOODLE_CRON:-/etc/cron.d/moodle}"

# refresh_layout_config DIRROOT: renders the installed virtual host and cron file again for the
# release DIRROOT points at, keeping what bootstrap.sh chose for them (the health page's path, the
# cron file's PGSSLROOTCERT). install-release.sh runs it after each switch: a release of the other
# layout (Moodle 4.5 to 5.1) moves the document root and cron.php. start.sh reloads Apache next;
# crond reads a changed file by itself. Nothing to do before the bootstrap has installed them.
refresh_layout_config() {
  local health pgca rendered
  [ -f "$HTTPD_VHOST" ] || return 0
  health=$(sed -n 's#^ *Alias /autopilot-health ##p' "$HTTPD_VHOST" | head -n 1)
  [ -n "$health" ] || die "$HTTPD_VHOST has no /autopilot-health alias: not rendering it again"
  rendered=$(render_vhost "$BUNDLE_DIR/config/httpd-moodle.conf" "$1" "$health") \
    || die "cannot render the virtual host for $1 (no version.php, neither at its top nor under public/)"
  printf '%s\n' "$rendered" >"$HTTPD_VHOST.new"
  mv -f "$HTTPD_VHOST.new" "$HTTPD_VHOST"
  if [ -f "$MOODLE_CRON" ]; then
    pgca=$(sed -n 's/^PGSSLROOTCERT=//p' "$MOODLE_CRON" | head -n 1)
    rendered=$(render_cron "$BUNDLE_DIR/config/moodle-cron" "$1" "$pgca") \
      || die "cannot render the cron file for $1"
    printf '%s\n' "$rendered" >"$MOODLE_CRON.new"
    chmod 0644 "$MOODLE_CRON.new"
    mv -f "$MOODLE_CRON.new" "$MOODLE_CRON"
  fi
  log "virtual host and cron file follow the $(moodle_layout "$1") layout of $1"
}
