#!/usr/bin/env bash
# CodeDeploy AfterInstall, and the bootstrap's release step: puts the staged Moodle release live.
#
# 1. unpacks moodle-release.tgz (or .zip) from the bundle into its own directory,
#    $RELEASES_DIR/<first 16 hex digits of the archive's sha256>/ (Moodle's packages hold one
#    top-level moodle/ folder; Moodle 4.5's layout or 5.1's with public/, lib.sh moodle_layout);
#    a release already unpacked is reused;
# 2. makes the database's application user match its secret (ensure-app-user.sh: the only step that
#    logs in as the master user), then renders config.php into it (render-config.sh) with that user;
# 3. switches dirroot (a symlink) to it with one rename(2), so every request sees either the whole
#    old release or the whole new one;
# 4. renders the web server's virtual host and Moodle's cron file again for the release's layout
#    (lib.sh, refresh_layout_config: once the bootstrap has installed them);
# 5. keeps the two releases before it (rolling back is pointing the symlink back) and deletes older.
#
# The code belongs to root and is only readable by the web server's group: a compromised PHP
# worker cannot rewrite Moodle. Services are reloaded by start.sh (ApplicationStart).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_instance_env

KEEP_PREVIOUS=2
MARKER=.autopilot-release

# One release switch at a time: on a new instance the bootstrap and CodeDeploy's launch deployment
# can overlap.
mkdir -p "$AUTOPILOT_STATE" "$RELEASES_DIR"
exec 9>"$AUTOPILOT_STATE/release.lock"
flock -w 900 9 || die "another release installation still holds $AUTOPILOT_STATE/release.lock"

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
dirroot=$(json_get "$site_json" dirroot)

archive=""
for candidate in "$BUNDLE_DIR/moodle-release.tgz" "$BUNDLE_DIR/moodle-release.zip"; do
  if [ -f "$candidate" ]; then archive=$candidate; break; fi
done
[ -n "$archive" ] || die "no moodle-release.tgz or moodle-release.zip in $BUNDLE_DIR"

version=$(sha256sum "$archive" | cut -c1-16)
release="$RELEASES_DIR/$version"

if [ -f "$release/$MARKER" ]; then
  log "release $version is already unpacked"
else
  log "unpacking $(basename "$archive") into $release"
  staging="$RELEASES_DIR/.staging-$version"
  rm -rf "$staging" "$release"
  mkdir -p "$staging"
  case "$archive" in
    *.tgz) tar -xzf "$archive" -C "$staging" --no-same-owner ;;
    *.zip) unzip -q "$archive" -d "$staging" ;;
  esac
  # The release's top: where config.php goes. Moodle 5.1 and later keep version.php under public/
  # (lib.sh, moodle_layout); their public/config.php is Moodle's own stub and stays as shipped.
  root="$staging"
  if moodle_layout "$staging/moodle" >/dev/null; then root="$staging/moodle"; fi
  layout=$(moodle_layout "$root") \
    || die "$(basename "$archive") has no version.php (neither at its root nor under moodle/, nor under public/ there)"
  log "release $version has the $layout layout"
  chown -R "$CONFIG_OWNER:$WEB_GROUP" "$root"
  chmod -R u=rwX,g=rX,o= "$root"
  printf 'archive=%s\nsha256=%s\n' "$(basename "$archive")" "$(sha256sum "$archive" | cut -d' ' -f1)" >"$root/$MARKER"
  # The release directory appears complete or not at all: a crash before this leaves only staging.
  mv -T "$root" "$release"
  rm -rf "$staging"
fi

bash "$BUNDLE_DIR/scripts/ensure-app-user.sh"
bash "$BUNDLE_DIR/scripts/render-config.sh" "$release"

if [ "$(readlink -f "$dirroot" 2>/dev/null || true)" = "$(readlink -f "$release")" ]; then
  log "dirroot $dirroot already points at release $version"
else
  mkdir -p "$(dirname "$dirroot")"
  if [ -e "$dirroot" ] && [ ! -L "$dirroot" ]; then
    # A directory from before Autopilot: keep it, out of the way.
    aside="$dirroot.pre-autopilot.$(date +%s)"
    mv -T "$dirroot" "$aside"
    log "moved the existing directory $dirroot to $aside"
  fi
  link_tmp="$(dirname "$dirroot")/.$(basename "$dirroot").switch.$$"
  ln -sfn "$release" "$link_tmp"
  mv -T "$link_tmp" "$dirroot"
  log "dirroot $dirroot now points at release $version"
fi
# The document root and cron.php move with the layout (Moodle 4.5 or 5.1's public/).
refresh_layout_config "$dirroot"
# The marker's time is the release's last activation: it orders the releases for retention.
touch "$release/$MARKER"

# Retention: the current release and the $KEEP_PREVIOUS most recently active others. Directories
# without the marker (not ours, or an unpack that crashed) are left alone, except staging leftovers.
mapfile -t others < <(
  find "$RELEASES_DIR" -mindepth 2 -maxdepth 2 -name "$MARKER" -printf '%T@ %h\n' \
    | sort -rn | cut -d' ' -f2- | grep -vxF "$release"
)
for old in "${others[@]:$KEEP_PREVIOUS}"; do
  rm -rf -- "$old"
  log "removed old release $(basename "$old")"
done
find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -name '.staging-*' ! -name ".staging-$version" -exec rm -rf {} +
log "release $version installed"
