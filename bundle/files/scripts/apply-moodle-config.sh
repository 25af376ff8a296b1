#!/usr/bin/env bash
# Applies the stack's Moodle settings and application cache (MUC) configuration on this instance,
# the Moodle way (Moodle's PHP API, as the web server's user; never SQL). Run as root by SSM Run
# Command through the document <stack>-moodle-config, whose command is exactly
#
#   bash /opt/moodle-autopilot/bundle/scripts/apply-moodle-config.sh '{{ Payload }}'
#
# PAYLOAD is base64 (the document's allowedPattern ^[A-Za-z0-9+/]*={0,2}$, checked again here) of
# the JSON that moodle/autopilot-lib.php describes: {"settings": {...}, "applicationCache": ...}.
# Its content never becomes shell code or an argument: it is decoded into a 0600 file and reaches
# PHP on standard input. moodle/apply-settings.php applies the settings that differ, then
# moodle/configure-muc.php the application cache; both validate the whole payload before their
# first write, and a second run with the same payload changes nothing.
#
# Standard output ends with ONE line of JSON:
#   {"settings": <apply-settings.php's line>, "applicationCache": <configure-muc.php's line, or null>}
# Exit codes: 0 done; 2 bad argument or payload; 3 Moodle not installed; 4 the cache server is not
# usable; 1 anything else. Progress goes to stderr and the autopilot log (never a setting's value).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEFAULT_DIRROOT="${DEFAULT_DIRROOT:-/var/www/moodle}"
# The OS's CA bundle (Amazon Linux 2023): Moodle verifies the cache server's certificate against it.
CA_BUNDLE="${CA_BUNDLE:-/etc/pki/tls/certs/ca-bundle.crt}"
B64_PATTERN='^[A-Za-z0-9+/]*={0,2}$'

bad_input() {
  log "ERROR: $*"
  exit 2
}

# The argument first, before anything else runs: an argument that is not plain base64 is refused
# without being decoded, logged or passed anywhere.
[ $# -eq 1 ] || bad_input "expected exactly one argument (the base64 payload), got $#"
[[ $1 =~ $B64_PATTERN ]] || bad_input "the payload argument is not base64 (^[A-Za-z0-9+/]*={0,2}\$)"
[ -n "$1" ] || bad_input "the payload argument is empty"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
payload="$work/payload.json"
( umask 077 && : >"$payload" )
# A here-string: the payload goes to base64 through a file descriptor, never through an argv.
base64 -d <<<"$1" >"$payload" 2>/dev/null || bad_input "the payload argument does not decode as base64"
chmod 0600 "$payload"

# Moodle's directory: the site configuration's dirroot, as render-config.sh finds it; the
# symlink's default place when the site configuration cannot be read.
load_instance_env
if site_json=$(fetch_site_config 2>"$work/site.err"); then
  dirroot=$(json_get "$site_json" dirroot)
else
  log "WARNING: cannot read the site configuration $(site_config_parameter) ($(head -c 500 "$work/site.err" | tr -s "\n" " ")): using $DEFAULT_DIRROOT"
  dirroot=$DEFAULT_DIRROOT
fi
[ -f "$dirroot/config.php" ] || die "Moodle's config.php is not in $dirroot"

# run_php NAME SCRIPT [OPTION...]: runs moodle/SCRIPT with the payload on stdin; its result line goes
# to $work/NAME.json, its messages to the log. Exits with the script's own code when it fails.
run_php() {
  local name="$1" script="$2" rc=0
  shift 2
  # Descriptor 3: the instance's secret settings (root-only file; the script reads php://fd/3).
  as_web_user "$script" --payload=- --dirroot="$dirroot" "$@" <"$payload" 3<"$secrets" \
    >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  while IFS= read -r line; do
    log "$name: $line"
  done < <(head -c 4000 "$work/$name.err")
  if [ "$rc" -eq 2 ]; then
    # A refusal is the payload's fault, not the instance's: its reason (a setting's name, never a
    # value) is the last line, which the converger records once and does not send again.
    log "REFUSED: $(grep -v '^[[:space:]]*$' "$work/$name.err" | tail -n 1 | head -c 900)"
    exit 2
  elif [ "$rc" -ne 0 ]; then
    log "ERROR: $name failed (exit $rc)"
    exit "$rc"
  fi
  # The last line is the result; anything before it is not ours (Moodle printing on stdout).
  tail -n 1 "$work/$name.out" >"$work/$name.json"
  jq -e 'type == "object" or type == "null"' "$work/$name.json" >/dev/null 2>&1 \
    || die "$name printed no JSON result"
}

# One run at a time on this instance (a retried command can overlap the first).
mkdir -p "$AUTOPILOT_STATE"
exec 9>"$AUTOPILOT_STATE/moodle-config.lock"
flock -w 300 9 || die "another run still holds $AUTOPILOT_STATE/moodle-config.lock"

# Secret settings: site configuration key (the ARN of a Secrets Manager secret the stack names) ->
# the Moodle setting it holds. Each is read here into one 0600 file that apply-settings.php reads
# through descriptor 3; no value ever travels in the Run Command payload, an argument, a log line or
# the result (names only).
SECRET_SETTINGS=(
  "ldap_bind_secret_arn auth_ldap/bind_pw"
  "smtp_secret_arn smtppass"
)
secrets="$work/secrets.json"
( umask 077 && printf '{}' >"$secrets" )
secret_args=()
for pair in "${SECRET_SETTINGS[@]}"; do
  read -r key setting <<<"$pair"
  arn=""
  if [ -n "${site_json:-}" ]; then
    arn=$(jq -r --arg k "$key" '.[$k] // "" | strings' <<<"$site_json")
  fi
  [ -n "$arn" ] || continue
  if ! ( umask 077 && awscli secretsmanager get-secret-value --secret-id "$arn" --query SecretString \
      --output text >"$work/secret.raw" 2>"$work/secret.err" ); then
    log "$(head -c 2000 "$work/secret.err")"
    die "cannot read the secret $key names (for $setting)"
  fi
  # A secret {"password": ...} (as the stack's other secrets, and SES's SMTP credentials
  # {"username", "password"}) or the password itself; the CLI's text output ends with a newline
  # that is not the password's.
  ( umask 077 && jq -Rs --arg s "$setting" --slurpfile acc "$secrets" 'rtrimstr("\n") as $raw
    | ($raw | try fromjson catch null) as $j
    | $acc[0] + {($s): (if ($j | type) == "object" then ($j.password // "") else $raw end)}' \
    <"$work/secret.raw" >"$work/secrets.next" ) || die "the secret $key names could not be read as a password"
  rm -f "$work/secret.raw"
  mv "$work/secrets.next" "$secrets"
  secret_args=(--secret-settings=php://fd/3)
done

cd /
log "applying the Moodle settings and the application cache configuration to $dirroot"
run_php settings "$BUNDLE_DIR/moodle/apply-settings.php" "${secret_args[@]}"
jq -e 'type == "object" and (.changed | type == "array") and (.unchanged | type == "number")' \
  "$work/settings.json" >/dev/null || die "apply-settings printed an unexpected result"
log "settings: $(jq -r '[.changed[] | if .plugin then "\(.plugin)/\(.name)" else .name end] as $c
  | "\($c | length) changed\(if ($c | length) > 0 then " (" + ($c | join(", ")) + ")" else "" end), \(.unchanged) unchanged"' \
  "$work/settings.json")"

run_php muc "$BUNDLE_DIR/moodle/configure-muc.php" --cafile="$CA_BUNDLE"
log "application cache: $(jq -r 'if . == null then "not configured by the stack (left as it is)"
  else "\(.plugin) store \(.store): \(if .changed then (.actions | join(", ")) else "unchanged" end)" end' "$work/muc.json")"

jq -c -n --slurpfile s "$work/settings.json" --slurpfile a "$work/muc.json" \
  '{settings: $s[0], applicationCache: $a[0]}'
