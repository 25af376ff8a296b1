#!/usr/bin/env bash
# CodeDeploy BeforeInstall: stops nothing. The live release keeps serving until install-release.sh
# switches the dirroot symlink, so a deployment costs no downtime and a failed one changes nothing.
#
# On a new instance CodeDeploy's launch deployment can start while the bootstrap (UserData) is
# still installing PHP and the web server; the hooks after this one need all of that, so this
# waits for the bootstrap to finish (bootstrap.sh itself runs this with AUTOPILOT_BOOTSTRAPPING=1).
# As long as the bootstrap may take: the group's launch hook (template.yaml, moodle-bootstrap)
# gives it 3600 s, so this waits up to 3540 s, inside its own appspec timeout of 3600 s, and fails
# with a message rather than being cut off.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BOOTSTRAP_WAIT_SECONDS="${BOOTSTRAP_WAIT_SECONDS:-3540}"

if [ "${AUTOPILOT_BOOTSTRAPPING:-0}" != 1 ]; then
  waited=0
  until [ -f "$AUTOPILOT_STATE/bootstrapped" ]; do
    if [ "$waited" -ge "$BOOTSTRAP_WAIT_SECONDS" ]; then
      die "the instance's bootstrap has not finished after ${waited}s (see $AUTOPILOT_LOG and /var/log/cloud-init-output.log)"
    fi
    [ "$waited" -gt 0 ] || log "waiting for the instance's bootstrap to finish"
    sleep 10
    waited=$((waited + 10))
  done
fi

load_instance_env
mkdir -p "$AUTOPILOT_STATE" "$RELEASES_DIR"
chmod 0755 "$RELEASES_DIR"
log "ready for the new revision"
