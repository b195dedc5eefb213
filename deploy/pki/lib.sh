# Helpers shared by the scripts of deploy/pki/; sourced, never run.
# POSIX sh. Callers set `prog` (their name, for messages) first.
# shellcheck shell=sh disable=SC2154

die() {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 1
}

note() {
  printf '%s: %s\n' "$prog" "$*" >&2
}

command -v openssl >/dev/null 2>&1 || die "openssl is not installed"

# show_usage SCRIPT STATUS: prints the comment at the top of SCRIPT (to
# stdout for --help, status 0; to stderr otherwise) and exits with STATUS.
show_usage() {
  if [ "$2" -eq 0 ]; then
    sed -n '2,/^set -eu/p' "$1" | sed '$d; s/^# \{0,1\}//'
  else
    sed -n '2,/^set -eu/p' "$1" | sed '$d; s/^# \{0,1\}//' >&2
  fi
  exit "$2"
}

# The allowed characters of a principal (a certificate common name): the
# ones `liaison pki init` accepts as a folder name. At most 64 characters,
# the limit X.509 puts on a common name.
valid_name() {
  case $1 in
    '' | . | .. | *[!A-Za-z0-9._@+-]*) return 1 ;;
  esac
  [ "${#1}" -le 64 ]
}

# use_ca DIR: checks that DIR is a CA folder made by ca-init.sh and points
# LIAISON_CA_DIR (read by openssl.cnf) at its absolute path.
use_ca() {
  [ -d "$1" ] || die "$1: no such CA folder (make one with ca-init.sh)"
  ca_dir=$(cd "$1" && pwd)
  for f in openssl.cnf ca.pem private/ca.key index.txt crlnumber; do
    [ -e "$ca_dir/$f" ] || die "$ca_dir is not a CA folder made by ca-init.sh: $f is missing"
  done
  LIAISON_CA_DIR=$ca_dir
  export LIAISON_CA_DIR
}

# openssl ca with the CA's configuration. The CA key's passphrase is asked
# on the terminal, or read from the file named by LIAISON_CA_PASSFILE.
ca_openssl() {
  if [ -n "${LIAISON_CA_PASSFILE:-}" ]; then
    openssl ca -config "$ca_dir/openssl.cnf" -passin "file:$LIAISON_CA_PASSFILE" "$@"
  else
    openssl ca -config "$ca_dir/openssl.cnf" "$@"
  fi
}

# The common name of a certificate (x509) or request (req) file, or nothing
# when the subject has no CN or more than one.
common_name() {
  names=$(openssl "$1" -in "$2" -noout -subject -nameopt sep_multiline,utf8,sname,esc_ctrl |
    sed -n 's/^ *CN=//p')
  [ "$(printf '%s\n' "$names" | grep -c .)" -eq 1 ] && printf '%s\n' "$names"
}

# Serial number of a certificate in lower-case hex, every byte two digits:
# the form liaisond uses when it matches connections against the CRL.
serial_of() {
  openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
}

# find_issued SERIAL: prints the file DIR/issued/CN.SERIAL.pem of the CA in
# use, for a serial in hex (either case, leading zeros optional); fails when
# there is none.
find_issued() {
  case $1 in '' | *[!0-9A-Fa-f]*) return 1 ;; esac
  want=$(printf '%s' "$1" | tr 'A-F' 'a-f' | sed 's/^0*//')
  for f in "$ca_dir"/issued/*.pem; do
    [ -f "$f" ] || continue
    s=${f%.pem}
    s=${s##*.}
    if [ "$(printf '%s' "$s" | sed 's/^0*//')" = "$want" ]; then
      printf '%s\n' "$f"
      return 0
    fi
  done
  return 1
}

# "ok" when the public key in the request or certificate is ECDSA P-256.
is_p256() {
  openssl "$1" -in "$2" -noout -pubkey 2>/dev/null | openssl pkey -pubin -noout -text 2>/dev/null |
    grep -q 'ASN1 OID: prime256v1'
}

# The role of principal $2 in members.toml $1, printed; nothing when absent.
# A plain reader of the layout members.toml uses: [[principals]] tables
# with `certificate = "..."` and `role = "..."` on lines of their own.
role_in_members() {
  awk -v want="$2" '
    function value(line) { sub(/^[^=]*=[ \t]*"/, "", line); sub(/".*$/, "", line); return line }
    function flush() { if (inside && cert == want) { print role; found = 1 } cert = ""; role = "" }
    /^[ \t]*\[/ { flush(); inside = ($0 ~ /^[ \t]*\[\[[ \t]*principals[ \t]*\]\]/); next }
    inside && /^[ \t]*certificate[ \t]*=/ { cert = value($0) }
    inside && /^[ \t]*role[ \t]*=/ { role = value($0) }
    END { flush() }
  ' "$1" | head -n 1
}

# Backdates a new certificate by five minutes, like `liaison pki init`, so
# that a machine whose clock is slightly behind accepts it at once. Prints
# the -startdate value, or nothing when this date(1) cannot compute it.
start_date() {
  date -u -d "@$(($(date +%s) - 300))" +%Y%m%d%H%M%SZ 2>/dev/null || true
}
