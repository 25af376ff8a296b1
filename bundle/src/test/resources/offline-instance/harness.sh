#!/usr/bin/env bash
# Runs one command (the bootstrap) as a web instance whose only routes lead to AWS
# (OfflineBootTest). Started by `unshare --user --map-root-user --mount --net`: the network
# namespace has no interface but a downed loopback, so nothing at all can be reached; the fakes
# on $FAKE_BIN stand for the AWS endpoints. /etc, /opt and /var are overlays on a private tmpfs, so
# what the boot writes there never reaches this machine; it is copied to $NS_OUT at the end.
#   harness.sh SCRATCH_DIR COMMAND...
set -euo pipefail
scratch="$1"
shift
/usr/bin/mount -t tmpfs tmpfs "$scratch"
for dir in /etc /opt /var; do
  name=$(printf '%s' "$dir" | tr / _)
  mkdir -p "$scratch/$name/upper" "$scratch/$name/work"
  /usr/bin/mount -t overlay overlay -o "lowerdir=$dir,upperdir=$scratch/$name/upper,workdir=$scratch/$name/work" "$dir"
done
if /usr/bin/curl -sS --max-time 5 -o /dev/null https://pecl.php.net/ 2>/dev/null; then
  echo "harness: this network namespace reaches pecl.php.net; the test proves nothing here" >&2
  exit 90
fi
set +e
PATH="$FAKE_BIN:$PATH" "$@"
rc=$?
set -e
for dir in /etc /opt /var; do
  name=$(printf '%s' "$dir" | tr / _)
  mkdir -p "$NS_OUT/$dir"
  cp -a "$scratch/$name/upper/." "$NS_OUT/$dir/"
done
exit "$rc"
