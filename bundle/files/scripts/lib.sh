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

# Moodle's dirroot is a symlink to the current release; releases live beside each other.
current_release() {
  readlink -f "$1"
}
