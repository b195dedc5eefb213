#!/bin/sh
# Publishes the CA's certificate revocation list (PEM) to OUT.
#
# Usage: crl.sh DIR OUT [--days N]
#   DIR   the CA folder (ca-init.sh)
#   OUT   the CRL file to write (replaced whole, never half-written)
#   --days N  how long the CRL is valid: its nextUpdate (default 30)
#
# liaisond checks every client certificate against this CRL once [tls]
# crl_file names it. A CRL past its nextUpdate is an error to OpenSSL, so
# from that moment EVERY handshake fails: make a new CRL well before (the
# default 30 days, re-issued every month and after every revocation), copy
# it to the server and reload liaisond (systemctl reload liaisond).
set -eu
prog=crl.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

case ${1:-} in '') usage ;; -h | --help) show_usage "$0" 0 ;; esac
[ $# -ge 2 ] || usage
use_ca "$1"
out=$2
shift 2
days=30
while [ $# -gt 0 ]; do
  case $1 in
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    -h | --help) show_usage "$0" 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case $days in '' | *[!0-9]* | 0) die "--days: expected a positive number of days, got '$days'" ;; esac
out_dir=$(dirname "$out")
[ -d "$out_dir" ] || die "$out_dir: no such folder"

# Written next to OUT, checked, then renamed over it: a reader sees the old
# CRL or the new one, never part of one.
tmp="$out_dir/.$(basename "$out").tmp.$$"
trap 'rm -f "$tmp"' EXIT
ca_openssl -gencrl -crldays "$days" -out "$tmp" || die "openssl ca could not make the CRL"
openssl crl -in "$tmp" -noout -CAfile "$ca_dir/ca.pem" >/dev/null 2>&1 ||
  die "the new CRL does not verify against $ca_dir/ca.pem"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
cp "$out" "$ca_dir/crl.pem"

revoked=$(openssl crl -in "$out" -noout -text | grep -c 'Serial Number:' || true)
printf 'CRL written to %s: %s revoked certificate(s)\n' "$out" "$revoked"
openssl crl -in "$out" -noout -crlnumber -lastupdate -nextupdate
cat <<EOF

Next: copy $out to the server's [tls] crl_file and run
  systemctl reload liaisond
before the nextUpdate above. Make the next CRL before then too.
EOF
