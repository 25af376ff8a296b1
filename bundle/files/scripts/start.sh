#!/usr/bin/env bash
# CodeDeploy ApplicationStart, and the bootstrap's last service step: PHP-FPM and Apache serve the
# release dirroot now points at.
#
# A running PHP-FPM is reloaded, not restarted: its workers finish their requests and are replaced,
# and the new ones start with an empty OPcache and realpath cache, so no worker keeps running code
# (or resolving the dirroot symlink) from the previous release. Apache is reloaded gracefully, and
# so reads the virtual host install-release.sh rendered for the release's layout (its document root
# is dirroot/public from Moodle 5.1 on).
# Moodle's caches are not purged here: a new code version purges them in its upgrade.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for service in php-fpm httpd; do
  systemctl enable --quiet "$service"
  if systemctl is-active --quiet "$service"; then
    systemctl reload "$service"
    log "$service reloaded"
  else
    systemctl start "$service"
    log "$service started"
  fi
done
