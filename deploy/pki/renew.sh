#!/bin/sh
# Issues the successor of a certificate: the same common name, the same kind
# (client or server) and, for a server, the same subjectAltName entries.
#
# Usage: renew.sh DIR CERT [CSR] [--days N]
#   DIR   the CA folder (ca-init.sh)
#   CERT  the certificate to renew: a PEM file, or its serial in hex
#   CSR   a new request for the same common name (request.sh, into a new
#         folder): a new key, the recommended way. Without it the request
#         filed when CERT was issued is signed again: the same key, for a
#         key that is known to be safe and hard to replace.
#   --days N  validity of the new certificate in days (default 730)
#
# The old certificate stays valid until it expires, so that its holder can
# switch at a time of their choosing. Once the new one is in place, revoke
# the old one (revoke.sh DIR OLD superseded) and publish the CRL (crl.sh).
# Revoking it earlier would cut the holder off at the next server reload.
set -eu
prog=renew.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

case ${1:-} in '') usage ;; -h | --help) show_usage "$0" 0 ;; esac
[ $# -ge 2 ] || usage
ca_arg=$1
use_ca "$1"
cert=$2 cert_arg=$2
shift 2
csr='' days=730
while [ $# -gt 0 ]; do
  case $1 in
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    -h | --help) show_usage "$0" 0 ;;
    -*) die "unknown argument '$1' (see --help)" ;;
    *) [ -z "$csr" ] || usage; csr=$1; shift ;;
  esac
done

if [ ! -f "$cert" ]; then
  cert=$(find_issued "$cert") ||
    die "$cert_arg: neither a certificate file nor the serial of one in $ca_dir/issued"
fi
openssl verify -CAfile "$ca_dir/ca.pem" -no_check_time -purpose any "$cert" >/dev/null 2>&1 ||
  die "$cert was not issued by the CA in $ca_dir"
cn=$(common_name x509 "$cert") || die "$cert: the subject must hold exactly one common name"
serial=$(serial_of "$cert")

# Its kind, from its extendedKeyUsage, and a server's names.
ext=$(openssl x509 -in "$cert" -noout -ext extendedKeyUsage,subjectAltName 2>/dev/null || true)
set --
if printf '%s\n' "$ext" | grep -q 'TLS Web Server Authentication'; then
  kind=server
  # "DNS:a, IP Address:192.0.2.1" -> one NAME or IP:ADDRESS a line.
  names=$(printf '%s\n' "$ext" | sed -n '/Subject Alternative Name/{n;p;}' |
    sed 's/IP Address:/IP:/g' | tr ',' '\n' | sed 's/^ *//')
  for n in $names; do
    case $n in
      DNS:*) set -- "$@" --dns "${n#DNS:}" ;;
      IP:*) set -- "$@" --ip "${n#IP:}" ;;
      *) die "$cert names the server as '$n', which renew.sh cannot carry over; use issue.sh" ;;
    esac
  done
  [ $# -gt 0 ] || die "$cert is a server certificate without subjectAltName: issue anew with issue.sh"
elif printf '%s\n' "$ext" | grep -q 'TLS Web Client Authentication'; then
  kind=client
else
  die "$cert has neither clientAuth nor serverAuth: liaisond would not accept it; issue anew"
fi

if [ -n "$csr" ]; then
  [ -f "$csr" ] || die "$csr: no such file"
  new_cn=$(common_name req "$csr") || die "$csr: the subject must hold exactly one common name"
  [ "$new_cn" = "$cn" ] ||
    die "$csr is for '$new_cn', $cert for '$cn': a renewal keeps the name (use issue.sh for a new principal)"
  if [ "$(openssl req -in "$csr" -noout -pubkey)" = "$(openssl x509 -in "$cert" -noout -pubkey)" ]; then
    note "$csr holds the same key as $cert"
  fi
else
  csr="$ca_dir/requests/$serial.csr.pem"
  [ -f "$csr" ] || die "no filed request for serial $serial ($csr): renew with a new request"
  [ "$(openssl req -in "$csr" -noout -pubkey)" = "$(openssl x509 -in "$cert" -noout -pubkey)" ] ||
    die "$csr does not hold the key of $cert; renew with a new request"
  note "signing the filed request again: the new certificate keeps the old key"
fi

printf 'Renewing %s (serial %s, %s)\n' "$cn" "$serial" "$kind"
"$here/issue.sh" "$ca_arg" "$csr" "$kind" --days "$days" "$@"
cat <<EOF

The old certificate (serial $serial) stays valid until it expires. Once its
holder uses the new one: $here/revoke.sh $ca_dir $serial superseded
EOF
