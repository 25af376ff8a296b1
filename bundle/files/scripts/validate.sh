#!/usr/bin/env bash
# CodeDeploy ValidateService, and the bootstrap's last check: Moodle answers on this instance.
#
# Asks for /login/index.php (an anonymous GET of it writes nothing to the database) with the site's
# own Host header, as the load balancer would. 200 is the login page; 303 is Moodle's redirect
# (to the installer before the install is complete, or to the front page). Anything else, or no
# answer within the retries, fails the deployment, and CodeDeploy rolls it back.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

VALIDATE_URL="${VALIDATE_URL:-http://localhost/login/index.php}"
VALIDATE_ATTEMPTS="${VALIDATE_ATTEMPTS:-30}"

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
wwwroot=$(json_get "$site_json" wwwroot)
host=$(sed -E 's#^[A-Za-z]+://([^/]+).*$#\1#' <<<"$wwwroot")

code=000
for attempt in $(seq 1 "$VALIDATE_ATTEMPTS"); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H "Host: $host" "$VALIDATE_URL" || true)
  case "$code" in
    200|303)
      log "Moodle answered $code for $VALIDATE_URL (Host: $host) on attempt $attempt"
      exit 0
      ;;
  esac
  sleep 2
done
die "Moodle answered $code for $VALIDATE_URL (Host: $host) after $VALIDATE_ATTEMPTS attempts"
