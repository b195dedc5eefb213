#!/usr/bin/env bash
# Builds Liaison and starts a demo server on this machine: development
# certificates and signing keys for the members of config/members.toml, a
# local PostgreSQL 15 cluster, and liaisond in the foreground.
#
# Usage: deploy/quickstart.sh          set up what is missing, start liaisond
#        deploy/quickstart.sh --stop   stop the local PostgreSQL cluster
# Environment: LIAISON_PG_PORT (default 55432), LIAISON_BUILD_DIR (default build).
#
# State lives in .liaison/ (git-ignored): pki/ (dev PKI and liaison.toml) and
# pg/ (the cluster). A second run reuses both; delete .liaison/ (after --stop)
# to start afresh. For development only: the certificates are throwaway and
# the database trusts every local connection.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=deploy/lib/postgres.sh
source deploy/lib/postgres.sh

section() { printf '\n==== %s ====\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

build=${LIAISON_BUILD_DIR:-build}
pg_port=${LIAISON_PG_PORT:-55432}
state=.liaison
pki=$state/pki
config=$pki/liaison.toml
# Two roles, as in production: liaisond serves as `liaison`, which owns
# nothing and may only add to the record; `liaison_owner` owns the schema and
# runs the migrations.
db_url="postgresql://liaison@127.0.0.1:$pg_port/liaison"
db_owner_url="postgresql://liaison_owner@127.0.0.1:$pg_port/liaison"
native=127.0.0.1:7443
https=127.0.0.1:8443

# The cluster lives in .liaison/pg. As root it runs as `postgres`, which may
# not reach the checkout (e.g. under /root): then it lives under /var/tmp,
# and .liaison/pg-dir records where, for later runs and --stop.
pg_dir_file=$state/pg-dir
choose_pg_dir() {
  if [[ -f $pg_dir_file ]]; then
    pg_dir=$(<"$pg_dir_file")
  elif liaison_pg_check_dir "$repo/$state/pg" 2>/dev/null; then
    pg_dir=$repo/$state/pg
  else
    pg_dir=/var/tmp/liaison-pg-$(printf '%s' "$repo" | sha256sum | cut -c1-12)
    mkdir -p "$state"
    printf '%s\n' "$pg_dir" >"$pg_dir_file"
  fi
  if [[ $pg_dir != "$repo/$state/pg" ]]; then
    echo "note: the '$LIAISON_PG_OS_USER' user that runs PostgreSQL for root cannot reach $repo,"
    echo "      so the cluster lives in $pg_dir (recorded in $pg_dir_file)"
  fi
}

case ${1:-} in
  --stop)
    choose_pg_dir
    if liaison_pg_is_running "$pg_dir"; then
      liaison_pg_stop "$pg_dir"
      echo "PostgreSQL in $pg_dir stopped"
    else
      echo "PostgreSQL in $pg_dir is not running"
    fi
    exit 0
    ;;
  -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  "") ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac

section "Dependencies"
deploy/install-deps.sh

section "Build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C "$build" liaisond liaison

section "Development PKI ($pki)"
if [[ -f $config && ! -f $pki/server/audit-signing-key.pem ]]; then
  # Made by a version without the audit tree's signing key: start afresh.
  old_pki=$pki.old-$(date +%Y%m%d-%H%M%S)
  echo "$pki predates the audit signing key; moving it to $old_pki and making a new one"
  mv -- "$pki" "$old_pki"
fi
if [[ -f $config ]]; then
  echo "reusing $pki (delete $state/ to make a new one)"
else
  [[ -f config/members.toml ]] || die "config/members.toml not found"
  "$build/bin/liaison" pki init --members config/members.toml --out "$pki" --db-url "$db_url" \
    --db-owner-url "$db_owner_url"
  [[ -f $config ]] || die "liaison pki init did not write $config"
fi

section "PostgreSQL"
choose_pg_dir
liaison_pg_create "$pg_dir" "$pg_port"
if ! liaison_pg_start "$pg_dir" "$pg_port"; then
  die "PostgreSQL did not start (set LIAISON_PG_PORT to use another port, or run deploy/quickstart.sh --stop first)"
fi
liaison_pg_create_app_db "$pg_dir" "$pg_port" liaison
echo "PostgreSQL 15 in $pg_dir on 127.0.0.1:$pg_port, database liaison ready (owner liaison_owner, runtime role liaison)"

section "Liaison"
for listen in "$native" "$https"; do
  if liaison_pg_port_in_use "${listen##*:}"; then
    ss -Hltnp "sport = :${listen##*:}" 2>/dev/null || true
    die "TCP port ${listen##*:} is already in use (another liaisond, perhaps an earlier quickstart?); free it and run again. PostgreSQL keeps running; stop it with: deploy/quickstart.sh --stop"
  fi
done

cat <<EOF
Server:    native protocol (mutual TLS 1.3) on $native, HTTPS on $https
Database:  $db_url (runtime role; migrations as $db_owner_url)
Config:    $config, identities in $pki/<MEMBER>/desk
PG log:    $pg_dir/postgres.log

In another terminal, in $repo:

  # subscribe as Hungary
  $build/bin/liaison subscribe --id $pki/HU/desk --server $native --consumer hu-console

  # publish from Austria to Hungary
  $build/bin/liaison publish --id $pki/AT/desk --server $native --to HU --priority URGENT --tlp AMBER --restriction H1 --category VEHICLE --subject "White van, plate W-12345X" --body "Seen at Nickelsdorf heading east" --entity VEHICLE_PLATE=W-12345X

  # to the Western Balkans group: --to WB6; to every member: --to ALL

  # rapid response: Hungary's subscriber sent DELIVERED by itself; a person read it
  $build/bin/liaison receipt --id $pki/HU/desk --server $native --alert-id ALERT_ID --state read
  # Austria: who has read its alert; the coordination desk: who is on duty
  $build/bin/liaison status --id $pki/AT/desk --server $native --alert-id ALERT_ID
  $build/bin/liaison presence --id $pki/TF.coordination --server $native

  # as an auditor: the history, and a check that the audit log was not rewritten
  $build/bin/liaison history --id $pki/auditor --server $https --justification "demo" --origin AT
  $build/bin/liaison audit verify --id $pki/auditor --server $https --chain

Ctrl-C stops the server. PostgreSQL keeps running; stop it with: deploy/quickstart.sh --stop

EOF
exec "$build/bin/liaisond" --config "$config" --db "$db_url" --db-owner "$db_owner_url" \
  --native-listen "$native" --https-listen "$https"
