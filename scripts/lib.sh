# Shared by scripts/test, scripts/local and scripts/bench: finds a JDK 21+ and prepares .venv.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 2; }

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

# Sets JAVA_HOME to a JDK >= 21: JAVA_HOME if it qualifies, else the java on PATH, else the newest
# JDK under /usr/lib/jvm (the machine's default java may be 17).
ensure_java() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${c%/}"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(java_major "$c/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      # Maven's bundled Guava warns about sun.misc.Unsafe on JDK 24+; the warning is Maven's, not ours.
      if [ "$major" -ge 24 ]; then export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"; fi
      return 0
    fi
  done
  die "no JDK 21 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm). Install one, e.g. 'apt-get install temurin-21-jdk' or 'openjdk-21-jdk', or set JAVA_HOME."
}

ensure_maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven not found: install it (e.g. 'apt-get install maven')."
}

# A virtual environment with pinned requirements (and their lock), rebuilt when either changes.
# prepare_venv DIR REQUIREMENTS LOCK WHAT
prepare_venv() {
  local venv="$1" requirements="$2" lock="$3" what="$4" stamp
  stamp=$(cat "$requirements" "$lock" | sha256sum | cut -c1-16)
  if [ ! -f "$venv/.stamp" ] || [ "$(cat "$venv/.stamp")" != "$stamp" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 not found: install Python 3.10 or newer."
    say "== preparing $(basename "$venv") ($what; the first run takes a few minutes)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed: install the venv module (e.g. 'apt-get install python3-venv')."
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" -c "$lock" \
      || die "installing $what failed (see pip's message above)."
    echo "$stamp" > "$venv/.stamp"
  fi
}

# .venv with the pinned Python tools.
ensure_venv() {
  prepare_venv "$ROOT/.venv" "$ROOT/requirements.txt" "$ROOT/requirements-lock.txt" "moto, cfn-lint, aws-sam-cli"
  export PATH="$ROOT/.venv/bin:$PATH"
  export MOTO_SERVER="$ROOT/.venv/bin/moto_server"
}

# The PHP extensions a real Moodle 4.5 needs, as MODULE:PACKAGE (MODULE as `php -m` names it, the
# Debian package that provides it): those admin/environment.xml requires (curl, dom/simplexml/xml/
# xmlreader, gd, intl, mbstring, zip; sodium, openssl and the rest are built into Debian's PHP), soap
# (optional there), pgsql (the database driver) and redis (its session handler and cache store).
MOODLE_PHP_EXTENSIONS=(dom:php-xml simplexml:php-xml xmlreader:php-xml mbstring:php-mbstring intl:php-intl
  gd:php-gd zip:php-zip curl:php-curl soap:php-soap pgsql:php-pgsql redis:php-redis)

# missing_php_packages MODULE:PACKAGE...: prints, one per line and each once, the packages of the
# modules the CLI PHP lacks (all of them when there is no php yet).
missing_php_packages() {
  local modules="" ext pkg packages=()
  command -v php >/dev/null 2>&1 && modules=$(php -m 2>/dev/null)
  for ext in "$@"; do
    pkg=${ext#*:}
    grep -qix "${ext%%:*}" <<<"$modules" || [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
  done
  [ ${#packages[@]} -eq 0 ] || printf '%s\n' "${packages[@]}"
}

# Debian packages the tests use: mariadb-server (the InstallDetector's MySQL-family tests start
# their own server in a temporary directory; the package's service is not used), openssl (a
# certificate for the TLS tests), and for the deployment bundle's tests php-cli (lints, renders and
# loads config.php), php-pgsql and php-mysql (ensure-app-user.php against real PostgreSQL and
# MariaDB), the PHP extensions of a real Moodle (MOODLE_PHP_EXTENSIONS: InstalledMoodle installs
# the release and runs the bundle's Moodle scripts on it), redis-server (built with TLS: the
# application cache tests start their own server with TLS only), shellcheck, jq, unzip and curl (the
# bundle's scripts use them on the instances), slapd and ldap-utils (the LDAP sign-in tests start
# their own OpenLDAP server in a temporary directory; the package's own directory is not configured)
# and php-ldap (Moodle's auth_ldap).
ensure_test_packages() {
  local missing=() pkg
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v php >/dev/null 2>&1 || missing+=(php-cli)
  while IFS= read -r pkg; do
    missing+=("$pkg")
  done < <(missing_php_packages mysqli:php-mysql ldap:php-ldap "${MOODLE_PHP_EXTENSIONS[@]}")
  while IFS= read -r pkg; do
    missing+=("$pkg")
  done < <(missing_directory_packages)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}

# apt_install PACKAGE...: installs Debian packages as root, with a progress line and its duration,
# never starting their services (policy-rc.d exit 101: Debian's invoke-rc.d policy), because the
# tests and scripts/local-site run private servers of their own; a clear error otherwise.
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing: $*; install them (e.g. 'sudo apt-get install --no-install-recommends $*')."
  fi
  local start=$SECONDS policy=/usr/sbin/policy-rc.d created="" rc=0
  say "== installing $* (Debian packages; their services are not started)"
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 0755 "$policy"; created=1; fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null) \
    || rc=$?
  if [ -n "$created" ]; then rm -f "$policy"; fi
  [ $rc -eq 0 ] || die "apt-get install $* failed"
  say "== packages installed in $(( SECONDS - start )) s"
}

# Builds and installs the modules when a source is newer than the last build (sam build needs the
# parent and the library in the local Maven repository).
ensure_built() {
  local stamp="$ROOT/tools/target/.built"
  # bundle/files too: MoodleSource's package carries the bundle it stages.
  if [ ! -f "$stamp" ] || [ -n "$(find "$ROOT/pom.xml" "$ROOT/functions" "$ROOT/testbed" "$ROOT/tools" "$ROOT/bundle" \
        -newer "$stamp" \( -name '*.java' -o -name 'pom.xml' -o -path '*/resources/*' -o -path '*/bundle/files/*' \) \
        -print -quit)" ]; then
    say "== building (mvn install -DskipTests)"
    (cd "$ROOT" && mvn -B -q -Dstyle.color=never install -DskipTests) || die "the build failed"
    touch "$stamp"
  fi
}

# Lambda's Runtime Interface Emulator, built from its Go module (pinned in tools/rie/go.mod and
# go.sum) into .tools/aws-lambda-rie; rebuilt when the pin changes. Needs Go 1.26 or newer.
ensure_rie() {
  local out="$ROOT/.tools/aws-lambda-rie" stamp
  stamp=$(cat "$ROOT/tools/rie/go.mod" "$ROOT/tools/rie/go.sum" | sha256sum | cut -c1-16)
  if [ -x "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp" ]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "Go not found: Lambda's runtime interface emulator is built from its Go module; install Go 1.26 or newer (e.g. from go.dev/dl or 'apt-get install golang')."
  say "== building Lambda's runtime interface emulator (Go module, pinned in tools/rie)"
  mkdir -p "$ROOT/.tools"
  (cd "$ROOT/tools/rie" && GOFLAGS=-mod=readonly go build -trimpath -o "$out" \
      github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie) \
    || die "building the runtime interface emulator failed (see go's message above)"
  echo "$stamp" > "$out.stamp"
}

# checkov in its own virtual environment (its pins clash with moto's and aws-sam-cli's).
ensure_checkov() {
  prepare_venv "$ROOT/.venv-checkov" "$ROOT/requirements-checkov.txt" "$ROOT/requirements-checkov-lock.txt" checkov
  CHECKOV="$ROOT/.venv-checkov/bin/checkov"
}

# The AWS CLI the instance scripts call (bundle/files/scripts/lib.sh `awscli`), in .venv-awscli.
ensure_awscli() {
  prepare_venv "$ROOT/.venv-awscli" "$ROOT/requirements-awscli.txt" "$ROOT/requirements-awscli-lock.txt" aws
  AWS_CLI_BIN="$ROOT/.venv-awscli/bin"
}

# Debian packages the local site (scripts/local-site) runs: apache2 (event MPM, proxy_fcgi),
# PHP-FPM and the PHP extensions Moodle 4.5's environment check requires (admin/environment.xml:
# curl, dom/simplexml/xml/xmlreader, gd, intl, mbstring, zip, sodium, openssl, ...; soap optional)
# plus pgsql and redis (its session handler and cache store), redis-server (built with TLS) and
# PostgreSQL's server binaries. Only the binaries are used: scripts/local-site starts private
# instances under .local/site, never the packages' services. PHP is Debian's default (8.2 on 12).
# slapd and ldap-utils: the organisation's directory of the local stack and of the LDAP tests
# (scripts/local_directory.py runs slapd with a configuration of its own; the package's own directory
# is not configured). Prints the missing package names, one per line.
missing_directory_packages() {
  if [ ! -x /usr/sbin/slapd ]; then
    echo slapd
    if [ "$(id -u)" = 0 ] && command -v debconf-set-selections >/dev/null 2>&1; then
      echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    fi
  fi
  command -v ldapwhoami >/dev/null 2>&1 || echo ldap-utils
}

# The local site and stack: the web tier's packages, php-ldap (Moodle's auth_ldap) and the directory's.
ensure_site_packages() {
  local missing=() pkg
  command -v php >/dev/null 2>&1 || missing+=(php-cli)
  [ -x /usr/sbin/apache2 ] || missing+=(apache2)
  ls /usr/sbin/php-fpm* >/dev/null 2>&1 || missing+=(php-fpm)
  while IFS= read -r pkg; do
    missing+=("$pkg")
  done < <(missing_php_packages ldap:php-ldap "${MOODLE_PHP_EXTENSIONS[@]}")
  while IFS= read -r pkg; do
    missing+=("$pkg")
  done < <(missing_directory_packages)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}
