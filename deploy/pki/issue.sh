#!/bin/sh
# Signs a certificate request with the task force CA (on the offline CA
# machine) and files the certificate in the CA folder.
#
# Usage: issue.sh DIR CSR KIND [--days N] [--dns NAME]... [--ip ADDRESS]...
#                 [--members FILE] [--out FILE]
#   DIR        the CA folder (ca-init.sh)
#   CSR        the request (request.sh's PRINCIPAL.csr.pem)
#   KIND       desk, partner, auditor, admin: a client certificate
#              (extendedKeyUsage clientAuth) for the principal named by the
#              request's common name; client: the same, without a role check;
#              server: the server certificate (serverAuth), which needs at
#              least one --dns or --ip: the names clients dial
#   --days N        validity in days (default 730, as the development PKI)
#   --dns NAME      (server) a subjectAltName DNS entry; repeatable
#   --ip ADDRESS    (server) a subjectAltName IP entry; repeatable
#   --members FILE  members.toml: refuse unless it lists the common name as a
#                   principal of this KIND (desk, partner, auditor, admin)
#   --out FILE      also write the certificate to FILE
#
# The request must carry an ECDSA P-256 key and one common name made of
# letters, digits, '.', '-', '_', '@' and '+'. Only that common name is
# kept from it; every extension comes from the CA.
# The certificate is filed as DIR/issued/CN.SERIAL.pem, the request as
# DIR/requests/SERIAL.csr.pem (renew.sh re-signs it when asked to keep a key).
set -eu
prog=issue.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

case ${1:-} in '') usage ;; -h | --help) show_usage "$0" 0 ;; esac
[ $# -ge 3 ] || usage
use_ca "$1"
csr=$2 kind=$3
shift 3
days=730 members='' out='' san=''
while [ $# -gt 0 ]; do
  case $1 in
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    --dns) [ $# -ge 2 ] || usage; san="${san:+$san,}DNS:$2"; shift 2 ;;
    --ip) [ $# -ge 2 ] || usage; san="${san:+$san,}IP:$2"; shift 2 ;;
    --members) [ $# -ge 2 ] || usage; members=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h | --help) show_usage "$0" 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

case $kind in
  desk | partner | auditor | admin | client) section=client_cert purpose=sslclient ;;
  server) section=server_cert purpose=sslserver ;;
  *) die "KIND must be desk, partner, auditor, admin, client or server, not '$kind'" ;;
esac
case $days in '' | *[!0-9]* | 0) die "--days: expected a positive number of days, got '$days'" ;; esac
if [ "$kind" = server ]; then
  [ -n "$san" ] || die "a server certificate needs the names clients dial: --dns NAME and/or --ip ADDRESS"
else
  [ -z "$san" ] || die "--dns and --ip are for server certificates; a client is named by its CN"
fi

# The request: readable, signed by its own key, one valid common name, P-256.
[ -f "$csr" ] || die "$csr: no such file"
openssl req -in "$csr" -noout -verify >/dev/null 2>&1 ||
  die "$csr is not a certificate request whose signature verifies"
cn=$(common_name req "$csr") || die "$csr: the subject must hold exactly one common name"
valid_name "$cn" ||
  die "$csr: '$cn' cannot be a principal (1 to 64 letters, digits, '.', '-', '_', '@' or '+')"
is_p256 req "$csr" || die "$csr: the key must be ECDSA P-256 (make the request with request.sh)"

if [ -n "$members" ] && [ "$kind" != server ] && [ "$kind" != client ]; then
  [ -f "$members" ] || die "$members: no such file"
  role=$(role_in_members "$members" "$cn")
  [ -n "$role" ] || die "$members lists no principal with certificate = \"$cn\"; register it first"
  [ "$role" = "$kind" ] || die "$members gives '$cn' the role $role, not $kind"
fi

# The CA must outlive what it signs.
openssl x509 -in "$ca_dir/ca.pem" -noout -checkend $((days * 86400)) >/dev/null ||
  die "the CA certificate expires within $days days: issue for fewer days, or renew the CA first"

# Certificates for this name that are still valid (a renewal has one).
current=$(awk -F '\t' -v subj="/CN=$cn" '$1 == "V" && $6 == subj { print $4 }' "$ca_dir/index.txt")
[ -z "$current" ] ||
  note "'$cn' already has a valid certificate (serial $(echo "$current" | tr '\n' ' ' | sed 's/ $//')); both will be valid"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set -- -batch -in "$csr" -subj "/CN=$cn" -days "$days" -notext -out "$work/cert.pem"
if [ "$kind" = server ]; then
  cat >"$work/server.cnf" <<EOF
[ server_cert ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = $san
EOF
  set -- "$@" -extfile "$work/server.cnf" -extensions server_cert
else
  set -- "$@" -extensions "$section"
fi
start=$(start_date)
[ -z "$start" ] || set -- "$@" -startdate "$start"
printf 'Signing for %s (%s, %s days%s)\n' "$cn" "$kind" "$days" "${san:+, $san}"
ca_openssl "$@" || die "openssl ca refused to sign $csr; nothing was issued"

openssl verify -CAfile "$ca_dir/ca.pem" -purpose "$purpose" "$work/cert.pem" >/dev/null ||
  die "the new certificate does not verify against $ca_dir/ca.pem for $purpose"
serial=$(serial_of "$work/cert.pem")
filed="$ca_dir/issued/$cn.$serial.pem"
cp "$work/cert.pem" "$filed"
chmod 0644 "$filed"
cp "$csr" "$ca_dir/requests/$serial.csr.pem"
if [ -n "$out" ]; then
  cp "$work/cert.pem" "$out"
  chmod 0644 "$out"
fi

printf 'Issued %s\n' "$filed"
openssl x509 -in "$filed" -noout -subject -serial -startdate -enddate
[ -z "$out" ] || printf 'Also written to %s\n' "$out"
if [ "$kind" = server ]; then
  cat <<EOF

Next: the server's operator installs it as [tls] cert_file, beside the key
that made the request ([tls] key_file) and $ca_dir/ca.pem as [tls] ca_file,
then runs: systemctl reload liaisond
EOF
else
  cat <<EOF

Next: send $filed (as cert.pem) and $ca_dir/ca.pem
(as ca.pem) back to whoever made the request. The principal '$cn' must be
in members.toml ([[principals]] certificate = "$cn") for liaisond to let it
in; after changing members.toml: systemctl reload liaisond
EOF
fi
