#!/usr/bin/env bash
# Turns a fresh Amazon Linux 2023 instance (Graviton, arm64) into a Moodle web node. Run once at
# launch, as root, by the launch template's UserData:
#
#   aws s3 cp s3://$SOURCE_BUCKET/moodle/release.zip ...   (the pipeline's source object: this
#   unzip ... -d /opt/moodle-autopilot/bundle                bundle plus moodle-release.tgz)
#   STACK_NAME=... AWS_REGION=... bash /opt/moodle-autopilot/bundle/scripts/bootstrap.sh
#
# It installs Apache (event MPM), PHP-FPM 8.3 and the extensions Moodle 4.5 needs, mounts the
# shared dataroot (EFS), installs Moodle's cron, the CloudWatch agent and the CodeDeploy agent,
# then runs the same steps as the CodeDeploy hooks (before-install, install-release, start; with
# Moodle's CLI installer before start when the install mode is Unattended) and checks that Moodle
# answers (validate). Its last step completes the Auto Scaling group's launch hook: until then the
# group keeps the instance in Pending:Wait, out of the load balancer and its health checks.
#
# Every step looks before it changes anything, so running it again (by hand, after a failure) is
# safe. Never `set -x`: this script handles the admin password.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Moodle 4.5 supports PHP 8.1 to 8.3 (8.4 arrives with Moodle 5.0). AL2023 packages PHP 8.3 as
# php8.3-* since 2023.5.20240624.
PHP_VERSION=8.3
# Not packaged for AL2023; built from the PECL sources MoodleSource staged beside the release.
# redis backs Redis/Valkey sessions and MUC stores, memcached the memcached session handler.
PECL_REDIS=redis
PECL_MEMCACHED=memcached
# What MoodleSource fetched from outside the release, pinned in template.yaml (MoodleSource's
# PhpExtensions and CodeDeployAgent): the PECL sources under vendor/ and the CodeDeploy agent's
# package in AWS's regional bucket, each with its SHA-256. Nothing outside AWS is fetched at boot.
PINNED_MANIFEST="$BUNDLE_DIR/vendor/manifest.json"
# Where the RDS CA bundle comes from when the database's certificate is verified (verify-full),
# unless the bundle carries certs/rds-global-bundle.pem.
RDS_CA_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RDS_CA_ANCHOR=/etc/pki/ca-trust/source/anchors/amazon-rds-global-bundle.pem
SYSTEM_CA_BUNDLE=/etc/pki/tls/certs/ca-bundle.crt
CWAGENT_DIR=/opt/aws/amazon-cloudwatch-agent

[ "$(id -u)" = 0 ] || die "bootstrap.sh must run as root"
[ -n "${STACK_NAME:-}" ] || die "STACK_NAME is not set (the launch template's UserData sets it)"
[ -n "${AWS_REGION:-}" ] || die "AWS_REGION is not set (the launch template's UserData sets it)"
log "bootstrap of a Moodle web node for stack $STACK_NAME in $AWS_REGION"

# The hooks CodeDeploy runs later have none of UserData's environment.
save_instance_env() {
  install -d -m 0755 "$AUTOPILOT_ETC" "$AUTOPILOT_STATE"
  { printf 'STACK_NAME=%q\n' "$STACK_NAME"; printf 'AWS_REGION=%q\n' "$AWS_REGION"; } >"$AUTOPILOT_ETC/instance.env.new"
  mv -f "$AUTOPILOT_ETC/instance.env.new" "$AUTOPILOT_ETC/instance.env"
}

dnf_install() {
  local missing=() package
  for package in "$@"; do
    rpm -q "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  dnf install -y -q --setopt=install_weak_deps=False "${missing[@]}"
}

# A value from the site configuration that ends up in a path, a sed replacement or a mount line.
site_path() {
  local value
  value=$(json_get "$SITE_JSON" "$1")
  [[ "$value" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "site configuration key '$1' must be an absolute path of [A-Za-z0-9._/-]"
  printf '%s' "$value"
}

install_packages() {
  # Moodle 4.5's required extensions: pgsql or mysqli (php-mysqlnd), gd, intl, mbstring, soap
  # (web services), xml (dom, simplexml, xmlreader), zip, sodium; opcache is strongly
  # recommended; curl, openssl, iconv, ctype, fileinfo, tokenizer and zlib come in php-common.
  # php-devel, php-pear, gcc and make build the PECL extensions below; php-pear needs posix,
  # which AL2023 packages as php8.3-process: named here, so dnf never takes another PHP stream's.
  # ldap is Moodle's auth_ldap: on every instance, so that turning LDAP sign-in on (LdapHost) needs
  # no new instances.
  dnf_install httpd \
    "php$PHP_VERSION-fpm" "php$PHP_VERSION-cli" "php$PHP_VERSION-common" "php$PHP_VERSION-opcache" \
    "php$PHP_VERSION-pgsql" "php$PHP_VERSION-mysqlnd" "php$PHP_VERSION-gd" "php$PHP_VERSION-intl" \
    "php$PHP_VERSION-ldap" \
    "php$PHP_VERSION-mbstring" "php$PHP_VERSION-soap" "php$PHP_VERSION-xml" "php$PHP_VERSION-zip" \
    "php$PHP_VERSION-sodium" "php$PHP_VERSION-process" "php$PHP_VERSION-devel" php-pear gcc make \
    amazon-efs-utils amazon-cloudwatch-agent cronie logrotate tar unzip ruby
}

# pinned JQ_PATH: a string from the staged manifest of pinned sources, or "" when it has none.
pinned() {
  [ -r "$PINNED_MANIFEST" ] \
    || die "$PINNED_MANIFEST is missing: the release was staged without its pinned sources; stage it again (MoodleSource, template.yaml)"
  jq -r "$1 // empty | strings" "$PINNED_MANIFEST" 2>/dev/null || true
}

# check_sha256 FILE EXPECTED: a file fetched or staged is used only with the SHA-256 pinned for it.
check_sha256() {
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$actual" = "$2" ] \
    || die "$(basename "$1") has SHA-256 $actual, expected $2 (pinned in $PINNED_MANIFEST): not using it"
}

# pecl_extension NAME REQUIRED: builds a PECL extension from its staged source (checked against its
# pinned SHA-256) with phpize, configure and make, as PHP's manual builds shared PECL extensions;
# configure's defaults are pecl's default answers. Nothing is downloaded.
pecl_extension() {
  local name="${1%%-*}" required="$2" file sha work
  if "$PHP_BIN" -m 2>/dev/null | grep -qix "$name"; then
    return 0
  fi
  file=$(pinned ".php_extensions[\"$name\"].file")
  sha=$(pinned ".php_extensions[\"$name\"].sha256")
  if [ -z "$file" ] || [ -z "$sha" ] || [ ! -f "$BUNDLE_DIR/$file" ]; then
    [ "$required" = required ] || { log "WARNING: no staged source for the PHP extension $name; its session handler will not work on this node"; return 0; }
    die "no staged source for the PHP extension $name in $PINNED_MANIFEST; stage the release again"
  fi
  check_sha256 "$BUNDLE_DIR/$file" "$sha"
  log "building the PHP extension $name from the staged $(basename "$file") (AL2023 does not package it)"
  work=$(mktemp -d)
  if tar -xzf "$BUNDLE_DIR/$file" -C "$work" --no-same-owner \
      && (cd "$work/$(basename "$file" .tgz)" && phpize && ./configure --enable-"$name" \
            && make -j"$(nproc)" && make install) </dev/null >>"$AUTOPILOT_LOG" 2>&1; then
    printf 'extension=%s.so\n' "$name" >"/etc/php.d/50-$name.ini"
    log "PHP extension $name installed"
  elif [ "$required" = required ]; then
    rm -rf "$work"
    die "building the PHP extension $name failed (output in $AUTOPILOT_LOG)"
  else
    log "WARNING: building the PHP extension $name failed; the $name session handler and cache store will not work on this node"
  fi
  rm -rf "$work"
}

install_php_extensions() {
  pecl_extension "$PECL_REDIS" required
  # libmemcached's headers and the extension: required when a cache engine is memcached
  # (MEMCACHED_EXTENSION), best effort otherwise (the memcached handler is the rarer choice).
  if ! dnf_install libmemcached-awesome-devel zlib-devel; then
    [ "$MEMCACHED_EXTENSION" = optional ] || die "libmemcached's headers are not available, and a cache engine is memcached"
    log "WARNING: libmemcached headers are not available"
  fi
  pecl_extension "$PECL_MEMCACHED" "$MEMCACHED_EXTENSION"
}

configure_php() {
  local mem_mb children
  install -m 0644 "$BUNDLE_DIR/config/php-moodle.ini" /etc/php.d/90-moodle.ini
  # About 96 MiB per Moodle worker, with 768 MiB left for the system, Apache and the agents.
  mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  children=$(( (mem_mb - 768) / 96 ))
  [ "$children" -ge 8 ] || children=8
  sed "s/@PM_MAX_CHILDREN@/$children/" "$BUNDLE_DIR/config/php-fpm-www.conf" >/etc/php-fpm.d/www.conf.new
  if [ "$DB_TLS" = verify-full ] && [ "$DB_TYPE" = pgsql ]; then
    # libpq verifies against ~/.postgresql/root.crt unless told otherwise; Moodle's dboptions have
    # no sslrootcert, so the workers get the system bundle (which now holds the RDS CA) this way.
    printf 'env[PGSSLROOTCERT] = %s\n' "$SYSTEM_CA_BUNDLE" >>/etc/php-fpm.d/www.conf.new
  fi
  mv -f /etc/php-fpm.d/www.conf.new /etc/php-fpm.d/www.conf
  log "PHP-FPM pool: pm.max_children $children for ${mem_mb} MiB"
}

configure_httpd() {
  # The event MPM: threads for keep-alive and static files, PHP in PHP-FPM's processes.
  printf 'LoadModule mpm_event_module modules/mod_mpm_event.so\n' >/etc/httpd/conf.modules.d/00-mpm.conf
  # The health page stays in the bundle (CodeDeploy's files section keeps this copy current). The
  # document root depends on the release's layout (lib.sh, render_vhost), so this runs after
  # install-release.sh has put a release behind dirroot.
  local vhost
  vhost=$(render_vhost "$BUNDLE_DIR/config/httpd-moodle.conf" "$DIRROOT" "$BUNDLE_DIR/config/health.php") \
    || die "cannot render the virtual host: $DIRROOT holds no Moodle release"
  printf '%s\n' "$vhost" >"$HTTPD_VHOST.new"
  mv -f "$HTTPD_VHOST.new" "$HTTPD_VHOST"
  apachectl configtest >/dev/null 2>&1 || die "Apache's configuration does not pass 'apachectl configtest'"
}

# The RDS CA joins the system trust store: mysqlnd verifies against it directly, libpq through
# PGSSLROOTCERT. Only for verify-full: with require, libpq would start verifying (as verify-ca) as
# soon as it finds a root certificate file.
configure_db_tls() {
  if [ "$DB_TLS" != verify-full ]; then
    return 0
  fi
  if [ ! -s "$RDS_CA_ANCHOR" ]; then
    if [ -s "$BUNDLE_DIR/certs/rds-global-bundle.pem" ]; then
      install -m 0644 "$BUNDLE_DIR/certs/rds-global-bundle.pem" "$RDS_CA_ANCHOR"
    else
      log "downloading the RDS CA bundle from $RDS_CA_URL"
      curl -fsS --retry 5 --max-time 60 -o "$RDS_CA_ANCHOR.new" "$RDS_CA_URL" \
        || die "cannot download the RDS CA bundle, which verify-full needs"
      mv -f "$RDS_CA_ANCHOR.new" "$RDS_CA_ANCHOR"
    fi
    update-ca-trust extract
  fi
  if [ "$DB_TYPE" = pgsql ]; then
    export PGSSLROOTCERT="$SYSTEM_CA_BUNDLE"
  fi
}

mount_dataroot() {
  local fs ap line
  fs=$(json_get "$SITE_JSON" efs_filesystem_id)
  ap=$(json_get "$SITE_JSON" efs_access_point_id)
  [[ "$fs" =~ ^fs-[0-9a-f]+$ ]] || die "efs_filesystem_id '$fs' is not a file system id"
  [[ "$ap" =~ ^fsap-[0-9a-f]+$ ]] || die "efs_access_point_id '$ap' is not an access point id"
  install -d -m 0755 "$DATAROOT"
  # TLS in transit through the access point (which fixes the POSIX identity and root directory).
  # iam: the file system policy admits only the web instances' role, so the mount signs with it.
  line="$fs:/ $DATAROOT efs _netdev,noresvport,tls,iam,accesspoint=$ap 0 0"
  if ! grep -qxF "$line" /etc/fstab; then
    awk -v mp="$DATAROOT" '$2 != mp' /etc/fstab >/etc/fstab.new
    printf '%s\n' "$line" >>/etc/fstab.new
    mv -f /etc/fstab.new /etc/fstab
    log "fstab: $line"
  fi
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    mountpoint -q "$DATAROOT" && break
    # A new file system's mount targets and DNS name can take a minute to appear.
    mount "$DATAROOT" >>"$AUTOPILOT_LOG" 2>&1 || { log "mount $DATAROOT failed (attempt $attempt), retrying"; sleep 15; }
  done
  mountpoint -q "$DATAROOT" || die "cannot mount $fs ($ap) at $DATAROOT"
  if [ "$(stat -c %U "$DATAROOT")" != "$WEB_USER" ]; then
    chown "$WEB_USER:$WEB_GROUP" "$DATAROOT" \
      || log "WARNING: cannot chown $DATAROOT to $WEB_USER (the access point decides its owner)"
  fi
  log "dataroot $DATAROOT mounted from $fs through $ap"
}

create_local_dirs() {
  # localcachedir is per instance on purpose (Moodle's docs: local disk); tempdir and cachedir stay
  # on the shared dataroot, as Moodle requires on more than one node.
  install -d -o "$WEB_USER" -g "$WEB_GROUP" -m 02770 "$LOCALCACHEDIR"
  install -d -m 0755 "$RELEASES_DIR" "$(dirname "$DIRROOT")"
  install -d -o "$WEB_USER" -g "$WEB_GROUP" -m 0750 /var/log/moodle
}

# After install-release.sh, as configure_httpd: where admin/cli/cron.php is depends on the release.
install_cron() {
  local cron
  cron=$(render_cron "$BUNDLE_DIR/config/moodle-cron" "$DIRROOT" "${PGSSLROOTCERT:-}") \
    || die "cannot render the cron file for $DIRROOT"
  printf '%s\n' "$cron" >"$MOODLE_CRON.new"
  chmod 0644 "$MOODLE_CRON.new"
  mv -f "$MOODLE_CRON.new" "$MOODLE_CRON"
  install -m 0644 "$BUNDLE_DIR/config/logrotate-moodle" /etc/logrotate.d/moodle
  systemctl enable --now --quiet crond
}

configure_cloudwatch_agent() {
  local log_group
  log_group=$(json_get "$SITE_JSON" log_group)
  render_agent_config "$BUNDLE_DIR/config/amazon-cloudwatch-agent.json" "$log_group" \
    "$(json_get "$SITE_JSON" log_retention_days)" >"$CWAGENT_DIR/etc/amazon-cloudwatch-agent.json.new"
  mv -f "$CWAGENT_DIR/etc/amazon-cloudwatch-agent.json.new" "$CWAGENT_DIR/etc/amazon-cloudwatch-agent.json"
  "$CWAGENT_DIR/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s \
    -c "file:$CWAGENT_DIR/etc/amazon-cloudwatch-agent.json" >>"$AUTOPILOT_LOG" 2>&1 \
    || die "the CloudWatch agent did not start with its configuration"
  log "CloudWatch agent: memory and disk metrics, logs to $log_group"
}

# Moodle's CLI installer, once per site (install mode Unattended): scripts/unattended-install.sh.
unattended_install() {
  bash "$BUNDLE_DIR/scripts/unattended-install.sh"
}

# The CodeDeploy agent, so that the pipeline can deploy to this instance. Installed last: the
# deployment CodeDeploy starts for a new instance then finds everything else in place (and its
# BeforeInstall hook waits for this script's marker in any case). The pinned package from AWS's
# regional bucket (through the VPC's S3 gateway endpoint), checked against the SHA-256 recorded
# when the release was staged; never the floating latest/install. dnf adds its ruby from AL2023.
install_codedeploy_agent() {
  if ! rpm -q codedeploy-agent >/dev/null 2>&1; then
    local url sha dir
    url=$(pinned .codedeploy_agent.url)
    sha=$(pinned .codedeploy_agent.sha256)
    if [ -z "$url" ] || [ -z "$sha" ]; then
      die "$PINNED_MANIFEST names no CodeDeploy agent package; stage the release again"
    fi
    dir=$(mktemp -d)
    log "installing the CodeDeploy agent $(pinned .codedeploy_agent.version) from $url"
    curl -fsS --retry 5 --max-time 300 -o "$dir/$(basename "$url")" "$url" \
      || die "cannot download the CodeDeploy agent from $url"
    check_sha256 "$dir/$(basename "$url")" "$sha"
    dnf install -y -q --setopt=install_weak_deps=False "$dir/$(basename "$url")" >>"$AUTOPILOT_LOG" 2>&1 \
      || die "the CodeDeploy agent did not install (output in $AUTOPILOT_LOG)"
    rm -rf "$dir"
  fi
  systemctl enable --now --quiet codedeploy-agent
}

save_instance_env
dnf_install jq
# On a new stack the parameter (or this role's permission to read it) can still be on its way.
SITE_JSON=$(wait_for_site_config) || die "cannot read the site configuration $(site_config_parameter)"
MEMCACHED_EXTENSION=$(memcached_extension "$SITE_JSON")
DIRROOT=$(site_path dirroot)
DATAROOT=$(site_path dataroot)
LOCALCACHEDIR=$(site_path localcachedir)
DB_TLS=$(json_get "$SITE_JSON" db_tls)
DB_TYPE=$(json_get "$SITE_JSON" dbtype)

install_packages
install_php_extensions
configure_db_tls
configure_php
# The directory's CA for Moodle's LDAP sign-in, when the stack names one (LdapCaParameter).
bash "$BUNDLE_DIR/scripts/directory-ca.sh"
mount_dataroot
create_local_dirs
configure_cloudwatch_agent

AUTOPILOT_BOOTSTRAPPING=1 bash "$BUNDLE_DIR/scripts/before-install.sh"
bash "$BUNDLE_DIR/scripts/install-release.sh"
# Both follow the release's layout (Moodle 4.5, or 5.1's public/), known once it is unpacked.
configure_httpd
install_cron
# Before the web server starts: nobody can open the web installer on a half-installed database.
unattended_install
bash "$BUNDLE_DIR/scripts/start.sh"
bash "$BUNDLE_DIR/scripts/validate.sh"

install_codedeploy_agent
touch "$AUTOPILOT_STATE/bootstrapped"
# Last: the group holds this instance out of service until its launch hook is completed.
complete_launch_hook "$SITE_JSON"
log "bootstrap complete"
