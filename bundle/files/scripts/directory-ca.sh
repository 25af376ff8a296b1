#!/usr/bin/env bash
# The LDAP directory's CA, for Moodle's LDAP sign-in: when the stack names one (LdapCaParameter: an
# SSM String parameter holding the CA's certificate(s) in PEM, which the operator fills), libldap on
# this instance trusts exactly those certificates for LDAP (TLS_CACERT in LDAP_CONF, read by PHP-FPM's
# auth_ldap and by cron's LDAP tasks alike). A directory whose certificate chains to a public CA
# needs none. Run by bootstrap.sh at boot; again by hand after the CA changes (docs/runbook.md).
#
# Exit codes: 0 done (or nothing to do); 2 the parameter does not hold certificates; 1 anything else.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LDAP_CONF="${LDAP_CONF:-/etc/openldap/ldap.conf}"
LDAP_CA_FILE="${LDAP_CA_FILE:-/etc/openldap/certs/moodle-directory-ca.pem}"
MARK="# moodle-autopilot: the directory's CA (LdapCaParameter)"

load_instance_env
site_json=$(fetch_site_config) || die "cannot read the site configuration $(site_config_parameter)"
parameter=$(jq -r '.ldap_ca_parameter // "" | strings' <<<"$site_json")
if [ -z "$parameter" ]; then
  log "no directory CA named (LdapCaParameter): libldap keeps its own trust"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awscli ssm get-parameter --name "$parameter" --query Parameter.Value --output text >"$work/ca.pem" 2>"$work/err" \
  || die "cannot read the directory CA from $parameter: $(head -c 500 "$work/err")"
# Every certificate in it must parse, and there must be one: a truncated paste is refused here,
# not discovered at the first sign-in.
count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$work/ca.pem" || true)
if [ "$count" -eq 0 ]; then
  log "ERROR: $parameter holds no PEM certificate"
  exit 2
fi
awk -v dir="$work" '/-----BEGIN CERTIFICATE-----/ {n++} n {print > (dir "/cert-" n ".pem")}' "$work/ca.pem"
for cert in "$work"/cert-*.pem; do
  if ! openssl x509 -noout -in "$cert" 2>/dev/null; then
    log "ERROR: $parameter holds a certificate that does not parse ($(basename "$cert"))"
    exit 2
  fi
done

install -d -m 0755 "$(dirname "$LDAP_CA_FILE")"
install -m 0644 "$work/ca.pem" "$LDAP_CA_FILE"
# One TLS_CACERT line, ours, last; any other is commented out (libldap would take the last it reads).
{
  if [ -f "$LDAP_CONF" ]; then
    grep -v -F -e "$MARK" -e "TLS_CACERT $LDAP_CA_FILE" "$LDAP_CONF" \
      | sed -E 's/^([[:space:]]*TLS_CACERT[[:space:]])/# \1/' || true
  fi
  printf '%s\nTLS_CACERT %s\n' "$MARK" "$LDAP_CA_FILE"
} >"$work/ldap.conf"
install -D -m 0644 "$work/ldap.conf" "$LDAP_CONF"
log "directory CA: $count certificate(s) from $parameter in $LDAP_CA_FILE, libldap's TLS_CACERT ($LDAP_CONF)"
