#!/bin/sh
# Creates the task force CA in DIR, on the offline machine that will keep it.
#
# Usage: ca-init.sh DIR [--name "COMMON NAME"] [--days N]
#   --name  the CA's common name (default "Liaison task force CA")
#   --days  how long the CA certificate is valid (default 3650)
#
# DIR must not exist yet, or be empty. It receives:
#   openssl.cnf        the CA's configuration (a copy of deploy/pki/openssl.cnf)
#   private/ca.key     the CA key, ECDSA P-256, encrypted with a passphrase
#                      asked here twice (or read from LIAISON_CA_PASSFILE)
#   ca.pem             the CA certificate: hand it to the server (tls.ca_file)
#                      and to every holder of a certificate (their ca.pem)
#   index.txt, serial, crlnumber   the database of `openssl ca`
#   certs/             every certificate issued, by serial (kept by openssl ca)
#   requests/          every request signed, by serial (renew.sh reuses them)
#   issued/            every certificate issued, by principal and serial
# Then make the first CRL: crl.sh DIR crl.pem
set -eu
prog=ca-init.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

[ $# -ge 1 ] || usage
case $1 in -h | --help) show_usage "$0" 0 ;; esac
dir=$1
shift
name="Liaison task force CA"
days=3650
while [ $# -gt 0 ]; do
  case $1 in
    --name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    -h | --help) show_usage "$0" 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case $days in '' | *[!0-9]*) die "--days: expected a number of days, got '$days'" ;; esac
[ -n "$name" ] || die "--name: the CA needs a common name"
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  die "$dir exists and is not empty: a CA is made once; nothing was changed"
fi

umask 077
mkdir -p "$dir"
use_dir=$(cd "$dir" && pwd)
mkdir "$use_dir/private" "$use_dir/certs" "$use_dir/requests" "$use_dir/issued"
cp "$here/openssl.cnf" "$use_dir/openssl.cnf"
: >"$use_dir/index.txt"
printf 'unique_subject = no\n' >"$use_dir/index.txt.attr"
# With rand_serial the serial file is not used, but openssl ca wants it.
openssl rand -hex 16 >"$use_dir/serial"
printf '1000\n' >"$use_dir/crlnumber"

# The key, encrypted; openssl asks for the passphrase (twice) unless a file
# gives it.
if [ -n "${LIAISON_CA_PASSFILE:-}" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
    -aes-256-cbc -pass "file:$LIAISON_CA_PASSFILE" -out "$use_dir/private/ca.key"
  passin="file:$LIAISON_CA_PASSFILE"
else
  note "choose the CA key's passphrase (asked twice)"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
    -aes-256-cbc -out "$use_dir/private/ca.key"
  passin=
fi

LIAISON_CA_DIR=$use_dir
export LIAISON_CA_DIR
# The CA certificate: a request signed by the new key, then signed by that
# same key through `openssl ca -selfsign`, so that it gets a random serial,
# the backdated start and its place in index.txt like every other one.
if [ -n "$passin" ]; then
  openssl req -new -config "$use_dir/openssl.cnf" -key "$use_dir/private/ca.key" \
    -passin "$passin" -subj "/CN=$name" -sha256 -out "$use_dir/requests/ca.csr.pem"
else
  note "the passphrase again, to make the CA's own request"
  openssl req -new -config "$use_dir/openssl.cnf" -key "$use_dir/private/ca.key" \
    -subj "/CN=$name" -sha256 -out "$use_dir/requests/ca.csr.pem"
  note "and once more, to sign the CA certificate"
fi
ca_dir=$use_dir
start=$(start_date)
set -- -batch -selfsign -keyfile "$use_dir/private/ca.key" -extensions v3_ca -days "$days" \
  -notext -in "$use_dir/requests/ca.csr.pem" -out "$use_dir/ca.pem"
[ -z "$start" ] || set -- "$@" -startdate "$start"
ca_openssl "$@" || die "cannot sign the CA certificate"
chmod 0644 "$use_dir/ca.pem"
chmod 0700 "$use_dir" "$use_dir/private"

printf 'CA created in %s\n' "$use_dir"
openssl x509 -in "$use_dir/ca.pem" -noout -subject -enddate -fingerprint -sha256
cat <<EOF

Next:
  - keep $use_dir on the offline machine, with a backup of it and of the
    passphrase in separate safe places;
  - publish the first CRL:   $here/crl.sh $use_dir crl.pem
  - give ca.pem to the server (tls.ca_file) and to every certificate holder.
EOF
