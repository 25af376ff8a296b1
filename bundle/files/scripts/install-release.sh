#!/usr/bin/env bash
# CodeDeploy AfterInstall, and the bootstrap's release step: puts the staged Moodle release live.
#
# 1. unpacks moodle-release.tgz (or .zip) from the bundle into its own directory,
#    $RELEASES_DIR/<first 16 hex digits of the archive's sha256>/ (Moodle's packages hold one
#    top-level moodle/ folder; Moodle 4.5's layout or 5.1's with public/, lib.sh moodle_layout);
#    a release already unpacked is reused; the declared add-on plugins staged with it
#    (plugins/manifest.json) are unpacked at their components' paths and the manifest is kept as
#    .autopilot-plugins.json (upgrade-moodle.sh installs, upgrades and uninstalls them);
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

# add_plugins MANIFEST CODETOP WORKDIR: each plugin ZIP the manifest lists, its SHA-256 checked again,
# unpacked at its component's path under CODETOP (the directory that holds version.php). The path
# and the ZIP's one top-level directory were checked by MoodleSource; here they are checked again,
# because a path is about to be written to.
add_plugins() {
  local n i component path zip sha top
  n=$(jq -r '.plugins | length' "$1") || die "the plugin manifest $1 is not JSON"
  for ((i = 0; i < n; i++)); do
    component=$(jq -r ".plugins[$i].component" "$1")
    path=$(jq -r ".plugins[$i].path" "$1")
    zip="$BUNDLE_DIR/$(jq -r ".plugins[$i].archive" "$1")"
    sha=$(jq -r ".plugins[$i].sha256" "$1")
    [[ $component =~ ^[a-z][a-z0-9]*_[a-z][a-z0-9_]*$ ]] || die "the plugin manifest names a bad component '$component'"
    [[ $path =~ ^[a-z0-9_]+(/[a-z0-9_]+)*$ ]] || die "the plugin manifest's path '$path' for $component is not a plugin directory"
    [ -f "$zip" ] || die "the plugin archive for $component is not in the bundle"
    [ "$(sha256sum "$zip" | cut -d' ' -f1)" = "$sha" ] || die "the plugin archive for $component does not have the SHA-256 MoodleSource staged"
    [ ! -e "$2/$path" ] || die "$component's directory $path already exists in the release: not overwriting Moodle's code"
    rm -rf "${3:?}/$component" && mkdir -p "$3/$component"
    unzip -q "$zip" -d "$3/$component"
    top=$(find "$3/$component" -mindepth 1 -maxdepth 1)
    [ "$(wc -l <<<"$top")" -eq 1 ] && [ -f "$top/version.php" ] || die "the plugin archive for $component does not hold one directory with a version.php"
    mkdir -p "$(dirname "$2/$path")"
    mv -T "$top" "$2/$path"
    log "added plugin $component at $path"
  done
  rm -rf "$3"
}

site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
dirroot=$(json_get "$site_json" dirroot)

archive=""
for candidate in "$BUNDLE_DIR/moodle-release.tgz" "$BUNDLE_DIR/moodle-release.zip"; do
  if [ -f "$candidate" ]; then archive=$candidate; break; fi
done
[ -n "$archive" ] || die "no moodle-release.tgz or moodle-release.zip in $BUNDLE_DIR"

# The declared add-on plugins (MoodleSource stages them beside the release: plugins/manifest.json and
# one ZIP each) are part of the release: another plugin set is another release directory.
manifest="$BUNDLE_DIR/plugins/manifest.json"
if [ -f "$manifest" ]; then
  version=$({ sha256sum "$archive" | cut -d' ' -f1; cat "$manifest"; } | sha256sum | cut -c1-16)
else
  version=$(sha256sum "$archive" | cut -c1-16)
fi
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
  if [ -f "$manifest" ]; then
    codetop=$root
    [ "$layout" = public ] && codetop="$root/public"
    add_plugins "$manifest" "$codetop" "$staging.plugins"
    cp "$manifest" "$root/.autopilot-plugins.json"
  fi
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
