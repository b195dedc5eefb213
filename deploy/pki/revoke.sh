#!/bin/sh
# Revokes a certificate in the CA's database. The revocation takes effect
# when the next CRL (crl.sh) reaches the server and it reloads: liaisond
# then refuses the certificate and closes its open connections.
#
# Usage: revoke.sh DIR CERT [REASON]
#   DIR     the CA folder (ca-init.sh)
#   CERT    the certificate: a PEM file, or its serial number in hex
#           (DIR/issued/ names each file CN.SERIAL.pem; leading zeros and
#           case do not matter)
#   REASON  unspecified (default), keyCompromise, affiliationChanged,
#           superseded, cessationOfOperation or certificateHold
set -eu
prog=revoke.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

case ${1:-} in '') usage ;; -h | --help) show_usage "$0" 0 ;; esac
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
use_ca "$1"
cert=$2 cert_arg=$2
reason=${3:-unspecified}
case $reason in
  unspecified | keyCompromise | affiliationChanged | superseded | cessationOfOperation | certificateHold) ;;
  *) die "REASON must be unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation or certificateHold, not '$reason'" ;;
esac

# A serial: the file this CA filed under that serial.
if [ ! -f "$cert" ]; then
  cert=$(find_issued "$cert") ||
    die "$cert_arg: neither a certificate file nor the serial of one in $ca_dir/issued"
fi

openssl x509 -in "$cert" -noout >/dev/null 2>&1 || die "$cert is not a PEM certificate"
# Issued by this CA? (Its dates do not matter: an expired one may be revoked.)
openssl verify -CAfile "$ca_dir/ca.pem" -no_check_time -purpose any "$cert" >/dev/null 2>&1 ||
  die "$cert was not issued by the CA in $ca_dir"
if cmp -s "$cert" "$ca_dir/ca.pem"; then
  die "$cert is the CA itself; a CA is retired by replacing it, not by its own CRL"
fi
cn=$(common_name x509 "$cert" || true)
serial=$(serial_of "$cert")
state=$(awk -F '\t' -v s="$serial" '
  { x = tolower($4); sub(/^0+/, "", x); y = s; sub(/^0+/, "", y) } x == y { print $1 }' "$ca_dir/index.txt")
case $state in
  R) die "$cn (serial $serial) is already revoked; publish the CRL with crl.sh if not done yet" ;;
  V | E) ;;
  *) die "serial $serial is not in $ca_dir/index.txt: this CA folder did not issue it" ;;
esac

printf 'Revoking %s, serial %s, reason %s\n' "$cn" "$serial" "$reason"
if [ "$reason" = unspecified ]; then
  ca_openssl -revoke "$cert" || die "openssl ca could not revoke $cert"
else
  ca_openssl -revoke "$cert" -crl_reason "$reason" || die "openssl ca could not revoke $cert"
fi
cat <<EOF
Revoked in $ca_dir/index.txt. Nothing changes on the server until the CRL
does: run crl.sh $ca_dir OUT, install OUT as the server's [tls] crl_file,
and reload liaisond (systemctl reload liaisond).
EOF
