#!/bin/sh
# Makes a private key and a certificate request for one principal. Run it
# where the key will live (the desk's workstation, the partner system, the
# auditor's machine, the monitoring host, the server): the key never leaves
# that machine; only the request goes to the task force's PKI officer.
#
# Usage: request.sh KIND PRINCIPAL OUTDIR [--member CODE]
#                   [--signing-key KEY_ID | --copy-signing-key OLD_OUTDIR]
#   KIND       desk, partner, auditor, admin (the operators' monitoring,
#              principal "ops" in the example members.toml) or server
#   PRINCIPAL  the certificate's common name, exactly as members.toml names
#              it in `certificate = "..."` (e.g. AT.desk, HU.partner,
#              auditor, ops); for the server any name, e.g. liaison-server
#   OUTDIR     a new folder (or an empty one) for the files below
#   --member CODE           the member a desk or partner acts for (required
#                           for those two kinds)
#   --signing-key KEY_ID    desks: also make a new Ed25519 signing key with
#                           this id (e.g. AT-2) for signing alerts
#   --copy-signing-key DIR  desks: keep the signing key of an existing
#                           identity folder (a renewal with a new TLS key)
#
# OUTDIR receives (private files mode 0600, the folder 0700):
#   key.pem                   the TLS private key, ECDSA P-256 (unencrypted
#                             PKCS#8, as liaisond and the liaison CLI read it)
#   PRINCIPAL.csr.pem         the request: send it to the PKI officer
#   identity.toml             (clients) who this identity folder is, for the
#                             liaison CLI
#   signing-key.pem           (desks with a signing key) the Ed25519 key
#   KEY_ID.pub.pem            (new signing key) its public half: send it to
#                             the operators, who register it in members.toml
# Once issued, put the certificate in OUTDIR as cert.pem and the CA's
# certificate as ca.pem; OUTDIR is then what `liaison ... --id OUTDIR` reads.
set -eu
prog=request.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/pki/lib.sh
. "$here/lib.sh"

usage() { show_usage "$0" 64; }

case ${1:-} in '') usage ;; -h | --help) show_usage "$0" 0 ;; esac
[ $# -ge 3 ] || usage
kind=$1 principal=$2 out=$3
shift 3
member='' key_id='' copy_from=''
while [ $# -gt 0 ]; do
  case $1 in
    --member) [ $# -ge 2 ] || usage; member=$2; shift 2 ;;
    --signing-key) [ $# -ge 2 ] || usage; key_id=$2; shift 2 ;;
    --copy-signing-key) [ $# -ge 2 ] || usage; copy_from=$2; shift 2 ;;
    -h | --help) show_usage "$0" 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

case $kind in
  desk | partner) [ -n "$member" ] || die "a $kind acts for a member: give --member CODE" ;;
  auditor | admin | server) [ -z "$member" ] || die "a $kind acts for no member: drop --member" ;;
  *) die "KIND must be desk, partner, auditor, admin or server, not '$kind'" ;;
esac
valid_name "$principal" ||
  die "'$principal' cannot be a principal: use 1 to 64 letters, digits, '.', '-', '_', '@' or '+'"
[ -z "$member" ] || valid_name "$member" || die "'$member' is not a member code"
if [ -n "$key_id$copy_from" ] && [ "$kind" != desk ]; then
  die "only a desk signs alerts: --signing-key and --copy-signing-key are for desks"
fi
[ -z "$key_id" ] || [ -z "$copy_from" ] || die "give --signing-key or --copy-signing-key, not both"
[ -z "$key_id" ] || valid_name "$key_id" || die "'$key_id' cannot be a key id"
if [ -n "$copy_from" ]; then
  [ -f "$copy_from/signing-key.pem" ] || die "$copy_from has no signing-key.pem to keep"
  key_id=$(sed -n 's/^key_id *= *"\(.*\)".*/\1/p' "$copy_from/identity.toml" 2>/dev/null | head -n 1)
  [ -n "$key_id" ] || die "$copy_from/identity.toml names no key_id"
fi
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  die "$out exists and is not empty; nothing was changed (a key is never overwritten)"
fi

umask 077
mkdir -p "$out"
chmod 0700 "$out"
csr="$out/$principal.csr.pem"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
  -out "$out/key.pem"
# The subject is the common name alone; the CA adds every extension. A
# configuration of our own, so that the machine's openssl.cnf adds nothing.
req_cnf="$out/.req.cnf"
printf '[ req ]\ndistinguished_name = dn\nstring_mask = utf8only\n[ dn ]\n' >"$req_cnf"
openssl req -new -config "$req_cnf" -key "$out/key.pem" -subj "/CN=$principal" -sha256 -out "$csr"
rm -f "$req_cnf"
chmod 0644 "$csr"

if [ -n "$copy_from" ]; then
  cp "$copy_from/signing-key.pem" "$out/signing-key.pem"
  chmod 0600 "$out/signing-key.pem"
elif [ -n "$key_id" ]; then
  openssl genpkey -algorithm ED25519 -out "$out/signing-key.pem"
  openssl pkey -in "$out/signing-key.pem" -pubout -out "$out/$key_id.pub.pem"
  chmod 0644 "$out/$key_id.pub.pem"
fi

if [ "$kind" != server ]; then
  {
    printf '# Who this identity folder is; written by deploy/pki/request.sh.\n'
    printf '# principal: the common name of cert.pem; member: the member it acts for;\n'
    printf '# key_id: the signing key in signing-key.pem.\n'
    printf 'principal = "%s"\n' "$principal"
    [ -z "$member" ] || printf 'member = "%s"\n' "$member"
    printf 'role = "%s"\n' "$kind"
    [ -z "$key_id" ] || printf 'key_id = "%s"\n' "$key_id"
  } >"$out/identity.toml"
  chmod 0644 "$out/identity.toml"
fi

printf 'Request for %s (%s) in %s\n' "$principal" "$kind" "$(cd "$out" && pwd)"
printf '  request:  %s\n' "$csr"
printf '  sha256 of the request, to read out to the PKI officer: %s\n' \
  "$(openssl req -in "$csr" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
[ -z "$key_id" ] || [ -n "$copy_from" ] ||
  printf '  public signing key %s: %s (send it to the operators)\n' "$key_id" "$out/$key_id.pub.pem"
[ -z "$copy_from" ] || printf '  signing key %s kept from %s\n' "$key_id" "$copy_from"
cat <<EOF

Next: send $csr to the task force's PKI officer. Back come two files:
put the certificate in $out/cert.pem and the CA certificate in $out/ca.pem.
EOF
