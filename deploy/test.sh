#!/usr/bin/env bash
# Builds Liaison and runs the whole test suite against a throwaway PostgreSQL.
#
# Usage: deploy/test.sh [--sanitize] [CTEST ARGS...]
#   deploy/test.sh                 everything (what CI runs)
#   deploy/test.sh -L unit         only the unit tests
#   deploy/test.sh --sanitize      ASan + UBSan build in build-asan/
# Environment: LIAISON_BUILD_DIR (default build/, or build-asan/ with
# --sanitize), LIAISON_JOBS (ninja -j; default: ninja's own).
#
# The tests get a superuser URL in LIAISON_TEST_DB and create their own
# databases and the `liaison` role. The cluster lives in a mktemp -d
# directory and is stopped and removed on every exit path.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=deploy/lib/postgres.sh
source deploy/lib/postgres.sh

section() { printf '\n==== %s ====\n' "$*"; }

sanitize=OFF
ctest_args=()
for arg in "$@"; do
  case $arg in
    --sanitize) sanitize=ON ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) ctest_args+=("$arg") ;;
  esac
done
if [[ $sanitize == ON ]]; then
  build=${LIAISON_BUILD_DIR:-build-asan}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  build=${LIAISON_BUILD_DIR:-build}
fi

section "Dependencies"
deploy/install-deps.sh

section "Build ($build, sanitizers $sanitize)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIAISON_SANITIZE="$sanitize"
ninja -C "$build" ${LIAISON_JOBS:+-j "$LIAISON_JOBS"}

section "PostgreSQL (throwaway)"
pg_dir=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  if [[ -n $pg_dir ]]; then
    section "Cleanup"
    liaison_pg_destroy "$pg_dir" || echo "test.sh: could not remove the cluster in $pg_dir" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/liaison-test-pg.XXXXXX")
if ! liaison_pg_check_dir "$pg_dir" 2>/dev/null; then
  # As root the cluster runs as `postgres`, which cannot reach this TMPDIR.
  rmdir -- "$pg_dir"
  pg_dir=$(mktemp -d /var/tmp/liaison-test-pg.XXXXXX)
  echo "note: TMPDIR is not reachable by the '$LIAISON_PG_OS_USER' user; using $pg_dir"
fi
# 55432 is deploy/quickstart.sh's default; tests start just above it. Two
# runs at the same time may pick the same port: the loser tries the next.
port=55432
for attempt in 1 2 3 4 5; do
  port=$(liaison_pg_free_port $((port + 1)))
  liaison_pg_create "$pg_dir" "$port"
  if liaison_pg_start "$pg_dir" "$port"; then break; fi
  liaison_pg_stop "$pg_dir" || true
  if ((attempt == 5)); then
    echo "test.sh: could not start PostgreSQL" >&2
    exit 1
  fi
  echo "test.sh: retrying on another port"
done
export LIAISON_TEST_DB="postgresql://postgres@127.0.0.1:$port/postgres"
# For tests that stop, kill or restart this cluster through deploy/lib/postgres.sh.
export LIAISON_TEST_PG_DIR=$pg_dir LIAISON_TEST_PG_PORT=$port LIAISON_PG_BIN
echo "PostgreSQL 15 in $pg_dir on 127.0.0.1:$port"
echo "LIAISON_TEST_DB=$LIAISON_TEST_DB"

section "Tests"
status=0
ctest --test-dir "$build" --output-on-failure "${ctest_args[@]}" || status=$?

section "Result"
if ((status == 0)); then echo "all tests passed"; else echo "ctest failed (exit status $status)"; fi
exit "$status"
