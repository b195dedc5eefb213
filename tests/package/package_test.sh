#!/usr/bin/env bash
# The Debian package, as an operator gets it: built with CPack from this build
# tree, inspected (dependencies, maintainer scripts, files), unpacked into a
# scratch root, and the installed binaries run from there: --version, a
# development PKI made by the installed `liaison`, `liaisond --check-config`,
# then the installed liaisond serving a real database while the installed
# `liaison` publishes to it.
#
# Usage: tests/package/package_test.sh BUILD_DIR   (ctest: package_test)
# Needs LIAISON_TEST_DB (a superuser URL, as deploy/test.sh sets it).
set -euo pipefail
build=$(cd "$1" && pwd)
: "${LIAISON_TEST_DB:?set LIAISON_TEST_DB to a PostgreSQL superuser URL}"
work=$(mktemp -d /tmp/liaison-package.XXXXXX)
db="pkg_$$_$RANDOM"
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql "$LIAISON_TEST_DB" -qAt -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package_test: FAILED: $*" >&2; exit 1; }

echo "== cpack"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"
  fail "cpack"
}
deb=$(ls "$work"/pkg/liaison_*.deb)
echo "$deb ($(du -h "$deb" | cut -f1))"

echo "== control"
dpkg-deb -I "$deb" >"$work/info.txt"
cat "$work/info.txt"
grep -q '^ Package: liaison$' "$work/info.txt" || fail "package name"
for lib in libpqxx libprotobuf libssl3 libspdlog libprometheus-cpp-core adduser; do
  grep -q "Depends:.*$lib" "$work/info.txt" || fail "Depends lacks $lib"
done
dpkg-deb -e "$deb" "$work/control"
[[ -x $work/control/postinst ]] || fail "no postinst"
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst does not create the user"

echo "== files"
dpkg-deb -c "$deb" >"$work/files.txt"
for f in ./usr/bin/liaisond ./usr/bin/liaison ./usr/lib/systemd/system/liaisond.service \
  ./usr/share/liaison/migrations/0001_create_log.sql ./usr/share/liaison/examples/liaison.toml \
  ./usr/share/liaison/examples/members.toml ./usr/share/liaison/pki/issue.sh \
  ./usr/share/doc/liaison/LICENSE ./usr/share/doc/liaison/RUNBOOK.md; do
  grep -q " $f\$" "$work/files.txt" || fail "the package lacks $f"
done

echo "== unpacked into $work/root"
dpkg-deb -x "$deb" "$work/root"
bin=$work/root/usr/bin
"$bin/liaisond" --version | grep -q '^liaisond ' || fail "liaisond --version"
"$bin/liaison" --version | grep -q '^liaison ' || fail "liaison --version"
# The unit starts the installed path.
grep -q '^ExecStart=/usr/bin/liaisond --config /etc/liaison/liaison.toml' \
  "$work/root/usr/lib/systemd/system/liaisond.service" || fail "ExecStart"

echo "== a database and a PKI, made with the installed binaries"
psql "$LIAISON_TEST_DB" -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liaison') THEN CREATE ROLE liaison LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liaison_owner') THEN CREATE ROLE liaison_owner LOGIN; END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END \$\$;
CREATE DATABASE $db OWNER liaison_owner;
SQL
hostport=${LIAISON_TEST_DB#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
examples=$work/root/usr/share/liaison/examples
"$bin/liaison" pki init --members "$examples/members.toml" --out "$work/pki" \
  --db-url "postgresql://liaison@$hostport/$db" --db-owner-url "postgresql://liaison_owner@$hostport/$db" \
  --native-listen 127.0.0.1:0 --https-listen 127.0.0.1:0 >/dev/null
"$bin/liaisond" --check-config "$work/pki/liaison.toml" | tee "$work/check.txt"
grep -q '0 problems' "$work/check.txt" || fail "--check-config"

echo "== the installed liaisond serves"
"$bin/liaisond" --config "$work/pki/liaison.toml" --port-file "$work/ports.json" 2>"$work/liaisond.log" &
server_pid=$!
for _ in $(seq 1 600); do
  [[ -s $work/ports.json ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/liaisond.log"; fail "liaisond exited"; }
  sleep 0.1
done
[[ -s $work/ports.json ]] || { cat "$work/liaisond.log"; fail "liaisond did not start"; }
native=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["native"])' "$work/ports.json")
XDG_STATE_HOME=$work/state "$bin/liaison" publish --id "$work/pki/AT/desk" --server "$native" \
  --to HU --subject "from the installed package" | tee "$work/publish.json"
grep -q '"seq":1' "$work/publish.json" || fail "publish through the installed binaries"
echo "package_test: ok"
