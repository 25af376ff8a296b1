#!/usr/bin/env bash
# Moodle's database upgrade, hands-free and once per site: CodeDeploy's ApplicationStart (after
# start.sh) on every instance of a deployment, and the LifecycleConverger's Run Command document
# <stack>-upgrade-moodle, which resumes a failed upgrade after a stack update.
#
# 1. takes the upgrade lock on the shared dataroot (EFS; flock, whose NFSv4 lock is leased: an
#    instance that dies loses it) and writes who holds it beside it; another instance waits;
# 2. compares the code dirroot points at with the database (config/upgrade-state.php; Moodle's own
#    admin/cli/upgrade.php --is-pending decides whether anything is to do); a code older than the
#    database is refused before anything is written;
# 3. when something is to do: Moodle's CLI maintenance mode (admin/cli/maintenance.php --enable: every
#    instance answers Moodle's maintenance page, the health page still 200), the declared add-on
#    plugins that were dropped uninstalled by Moodle's admin/cli/uninstall_plugins.php, then
#    admin/cli/upgrade.php --non-interactive, then maintenance off;
# 4. writes the outcome to the upgrade record /Moodle/<stack>/Automation/Upgrade (CURRENT, RUNNING,
#    DONE, FAILED; the converger shows it in its status and sends one notification per failure).
#
# A failed upgrade leaves maintenance mode on with its reason in $DATAROOT/.autopilot/maintenance
# (only a later upgrade that succeeds turns it off: a rollback to older code must not serve a
# half-upgraded database). Nothing here retries: the next deployment or `sam deploy` resumes it.
# Exit codes: 0 nothing to do, or upgraded; 1 the upgrade failed or was refused; 75 another instance
# held the lock for UPGRADE_LOCK_WAIT seconds.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

# Inside CodeDeploy's hour for the hook (appspec.yml), leaving time for the upgrade itself.
UPGRADE_LOCK_WAIT="${UPGRADE_LOCK_WAIT:-3000}"
RUNBOOK="docs/runbook.md#moodle-upgrade-failed"

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
dirroot=$(json_get "$site_json" dirroot)
dataroot=$(json_get "$site_json" dataroot)
[ -f "$dirroot/config.php" ] || die "Moodle's config.php is not in $dirroot"

# Shared by every instance (the dataroot is the stack's EFS): the lock, its holder, the reason of a
# failed upgrade, and the add-on plugins the declarations installed.
shared="$dataroot/.autopilot"
mkdir -p "$shared"
chmod 0700 "$shared"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

exec 7>"$shared/upgrade.lock"
log "waiting for the upgrade lock $shared/upgrade.lock"
if ! flock -w "$UPGRADE_LOCK_WAIT" 7; then
  log "another instance still holds the upgrade lock after ${UPGRADE_LOCK_WAIT}s: $(cat "$shared/upgrade.owner" 2>/dev/null || echo unknown)"
  exit 75
fi
owner="${INSTANCE_ID:-}"
[ -n "$owner" ] || owner=$(instance_id 2>/dev/null) || owner=$(hostname)
printf 'owner=%s pid=%s since=%s\n' "$owner" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$shared/upgrade.owner"
trap 'rm -f "$shared/upgrade.owner"; rm -rf "$work"' EXIT

# The declared add-on plugins: this release's (install-release.sh copied its manifest beside the
# code), and the ones earlier declarations installed, so that a dropped one is uninstalled.
declared=()
if [ -f "$dirroot/.autopilot-plugins.json" ]; then
  mapfile -t declared < <(jq -r '.plugins[].component' "$dirroot/.autopilot-plugins.json")
fi
before=()
if [ -f "$shared/plugins.json" ]; then
  mapfile -t before < <(jq -r '.plugins[]' "$shared/plugins.json")
fi
dropped=()
for c in "${before[@]}"; do
  printf '%s\n' "${declared[@]}" | grep -qxF "$c" || dropped+=("$c")
done

state_json() {
  as_web_user "$BUNDLE_DIR/config/upgrade-state.php" "$dirroot" "${declared[@]}" "${dropped[@]}" 2>"$work/state.err" \
    || die "cannot read Moodle's versions: $(head -c 600 "$work/state.err" | tr -s '\n' ' ')"
}

# record STATE [REASON]: the upgrade record, from what the database has now. A record that cannot be
# written is logged: the upgrade's outcome does not depend on it.
attempt="$(date -u +%Y%m%dT%H%M%SZ)-$owner-$$"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$SECONDS
record() {
  local facts value
  facts=$(state_json)
  value=$(jq -c --arg state "$1" --arg reason "${2:-}" --arg attempt "$attempt" --arg owner "$owner" \
      --arg started "$started" --arg finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson seconds "$((SECONDS - t0))" \
      --arg releaseId "$(basename "$(current_release "$dirroot")")" --arg runbook "$RUNBOOK" --arg declared "${declared[*]}" '
    {state: $state, attempt: $attempt, owner: $owner, database: .database,
     code: (.code + {releaseId: $releaseId}),
     plugins: (.plugins | with_entries(select(.key as $k | ($declared | split(" ")) | index($k)) | .value = .value.database)),
     startedAt: $started}
    + (if $state == "RUNNING" then {} else {finishedAt: $finished, seconds: $seconds} end)
    + (if $state == "FAILED" then {reason: $reason, runbook: $runbook} else {} end)' <<<"$facts")
  if ! awscli ssm put-parameter --name "/Moodle/$STACK_NAME/Automation/Upgrade" --type String --overwrite \
      --value "$value" >/dev/null 2>"$work/record.err"; then
    log "WARNING: cannot write the upgrade record: $(tail -n 1 "$work/record.err")"
  fi
}

# moodle_cli_run NAME SCRIPT ARGS...: one of Moodle's CLI scripts as the web server's user, its output
# in the autopilot log; fails with the script's exit code.
moodle_cli_run() {
  local name="$1" script rc=0
  script=$(moodle_cli "$dirroot" "$2") || die "this release has no admin/cli/$2"
  shift 2
  as_web_user "$script" "$@" >"$work/$name.out" 2>&1 || rc=$?
  cat "$work/$name.out" >>"$AUTOPILOT_LOG" 2>/dev/null || true
  return "$rc"
}

# cli_reason NAME: why one of Moodle's CLI scripts failed, in one line: Moodle's own error line
# ("!!! ... !!!", printed before the stack trace), else the output's last lines.
cli_reason() {
  local line
  line=$(grep -m 1 '^!!! ' "$work/$1.out" | sed -e 's/^!!! *//' -e 's/ *!!!$//' || true)
  [ -n "$line" ] || line=$(grep -v '^[[:space:]]*$' "$work/$1.out" | tail -n 3 | tr -s '\n' ' ')
  printf '%s' "${line:0:900}"
}

# fail REASON: the reason goes into the record; once maintenance mode is on, it stays on, and the
# reason is kept beside it for the next run.
maintenance_on=no
fail() {
  if [ "$maintenance_on" = yes ]; then
    printf 'attempt=%s\nreason=%s\n' "$attempt" "$1" >"$shared/maintenance"
    log "ERROR: the upgrade failed: $1; the site stays in maintenance mode (runbook: $RUNBOOK)"
  else
    log "ERROR: the upgrade could not start: $1 (runbook: $RUNBOOK)"
  fi
  record FAILED "$1"
  exit 1
}

# remember_plugins: the declared plugins are installed now; a later release without one of them
# uninstalls it.
remember_plugins() {
  jq -cn --args '{plugins: $ARGS.positional}' "${declared[@]}" >"$shared/plugins.json"
}

facts=$(state_json)
install=$(jq -r .install <<<"$facts")
case "$install" in
  empty|partial)
    log "Moodle is not installed yet (install state $install): nothing to upgrade"
    exit 0 ;;
esac
db_version=$(jq -r '.database.version // empty' <<<"$facts")
code_version=$(jq -r '.code.version // empty' <<<"$facts")
[ -n "$code_version" ] || die "no version.php in $dirroot (neither at its top nor under public/)"
if [ "$(printf '%s\n%s\n' "$db_version" "$code_version" | sort -V | tail -n 1)" != "$code_version" ]; then
  # Older code than the database (a rollback after an upgrade, or a release staged by hand):
  # Moodle's own upgrade refuses it ('downgradedcore'); nothing is touched here either.
  log "ERROR: the code at $dirroot ($code_version) is older than the database ($db_version): not upgrading, maintenance mode left as it is"
  exit 1
fi
downgraded=$(jq -r '.plugins | to_entries[] | select(.value.code != null and .value.database != null
  and (.value.code | tonumber) < (.value.database | tonumber)) | "\(.key) \(.value.code) < \(.value.database)"' <<<"$facts")
if [ -n "$downgraded" ]; then
  log "ERROR: declared plugins older than the database: $(tr '\n' ';' <<<"$downgraded"); not upgrading"
  exit 1
fi

pending=0
moodle_cli_run pending upgrade.php --is-pending || pending=$?
if [ "$pending" -eq 0 ] && [ ${#dropped[@]} -eq 0 ]; then
  if [ -f "$shared/maintenance" ]; then
    # Left by a failed upgrade: the database matches this code only because this code is not the
    # one that failed (a rollback). Serving it would run old code on what the failed steps did.
    log "a failed upgrade left maintenance mode on ($(sed -n 's/^reason=//p' "$shared/maintenance")); this code has nothing to upgrade, so it stays on until an upgrade succeeds"
    exit 0
  fi
  log "the database matches the code (version $db_version): nothing to upgrade"
  remember_plugins
  record CURRENT
  exit 0
fi
[ "$pending" -eq 0 ] || [ "$pending" -eq 2 ] || fail "admin/cli/upgrade.php --is-pending ended with $pending: $(cli_reason pending)"

log "upgrading Moodle's database from $db_version to $code_version (dropped plugins: ${dropped[*]:-none})"
record RUNNING
moodle_cli_run maintenance-on maintenance.php --enable \
  || fail "admin/cli/maintenance.php --enable failed: $(cli_reason maintenance-on)"
maintenance_on=yes
if [ ${#dropped[@]} -gt 0 ]; then
  log "uninstalling the plugins no longer declared: ${dropped[*]}"
  ( IFS=,; moodle_cli_run uninstall uninstall_plugins.php --plugins="${dropped[*]}" --run ) \
    || fail "admin/cli/uninstall_plugins.php failed: $(cli_reason uninstall)"
fi
if ! moodle_cli_run upgrade upgrade.php --non-interactive; then
  fail "admin/cli/upgrade.php failed: $(cli_reason upgrade)"
fi
moodle_cli_run maintenance-off maintenance.php --disable \
  || fail "the upgrade finished, but admin/cli/maintenance.php --disable failed: $(cli_reason maintenance-off)"
rm -f "$shared/maintenance"
remember_plugins
record DONE
log "Moodle's database is upgraded to $code_version in $((SECONDS - t0))s; maintenance mode is off"
