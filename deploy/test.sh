#!/usr/bin/env bash
# Builds Liaison and runs the whole test suite against a throwaway PostgreSQL.
#
# Usage: deploy/test.sh [--sanitize] [CTEST ARGS...]
#   deploy/test.sh                 everything, then the fuzz step (what CI runs)
#   deploy/test.sh -L unit         only the unit tests (no fuzz step)
#   deploy/test.sh --sanitize      ASan + UBSan build in build-asan/; any
#                                  sanitizer report of any process (tests and
#                                  the servers and CLIs they start) fails the run
# Environment: LIAISON_BUILD_DIR (default build/, or build-asan/ with
# --sanitize), LIAISON_JOBS (ninja -j; default: ninja's own),
# LIAISON_SKIP_FUZZ (1: skip the fuzz step; 0: run it even with CTEST ARGS),
# LIAISON_FUZZ_SECONDS (fuzzing time per target, default 20).
#
# The fuzz step (deploy/fuzz.sh --ci) builds the libFuzzer targets with clang
# in build-fuzz/, replays every input of fuzz/corpus/ and fuzzes each target
# briefly; a crash fails the run. It runs after the tests when no CTEST ARGS
# are given.
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
sanitizer_reports=
if [[ $sanitize == ON ]]; then
  build=${LIAISON_BUILD_DIR:-build-asan}
else
  build=${LIAISON_BUILD_DIR:-build}
fi
# The fuzz step runs for the whole suite only, unless LIAISON_SKIP_FUZZ says.
skip_fuzz=${LIAISON_SKIP_FUZZ:-}
if [[ -z $skip_fuzz ]]; then
  if ((${#ctest_args[@]} > 0)); then skip_fuzz=1; else skip_fuzz=0; fi
fi
timings=()
step_started=$SECONDS
step_done() {  # records the wall time of the step that just ended
  timings+=("$1 $((SECONDS - step_started)) s")
  step_started=$SECONDS
}

section "Dependencies"
deploy/install-deps.sh

section "Build ($build, sanitizers $sanitize)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIAISON_SANITIZE="$sanitize"
ninja -C "$build" ${LIAISON_JOBS:+-j "$LIAISON_JOBS"}
step_done build

section "PostgreSQL (throwaway)"
pg_dir=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  if [[ -n $pg_dir ]]; then
    section "Cleanup"
    liaison_pg_destroy "$pg_dir" || echo "test.sh: could not remove the cluster in $pg_dir" >&2
  fi
  if [[ -n $sanitizer_reports ]]; then
    rmdir -- "$sanitizer_reports" 2>/dev/null || echo "test.sh: sanitizer reports kept in $sanitizer_reports"
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

step_done postgres

if [[ $sanitize == ON ]]; then
  # Every instrumented process writes its reports to files in
  # $sanitizer_reports (checked after the tests): a liaisond or CLI process
  # that a test starts has its stderr in a temporary log that nobody reads.
  # Suppressions are only for documented third-party false positives.
  sanitizer_reports=$(mktemp -d "${TMPDIR:-/tmp}/liaison-sanitizer.XXXXXX")
  supp=$repo/deploy/sanitizers
  # A small quarantine: tests that bound the server's RSS (a slow or frozen
  # consumer) would otherwise measure ASan's default 256 MiB of freed memory
  # held back for use-after-free detection, not the server's.
  asan=detect_leaks=1:halt_on_error=1:abort_on_error=1:check_initialization_order=1:strict_init_order=1
  asan=$asan:quarantine_size_mb=4:thread_local_quarantine_size_kb=64
  export ASAN_OPTIONS="$asan:log_path=$sanitizer_reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  ubsan=halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp
  export UBSAN_OPTIONS="$ubsan:log_path=$sanitizer_reports/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
  echo "ASAN_OPTIONS=$ASAN_OPTIONS"
  echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
  echo "LSAN_OPTIONS=$LSAN_OPTIONS"
fi

section "Tests"
status=0
ctest --test-dir "$build" --output-on-failure "${ctest_args[@]}" || status=$?
step_done tests

reports=0
if [[ -n $sanitizer_reports ]]; then
  section "Sanitizer reports"
  for report in "$sanitizer_reports"/*; do
    [[ -f $report ]] || continue
    reports=$((reports + 1))
    echo "---- $report"
    cat -- "$report"
  done
  echo "$reports sanitizer report(s)"
fi

fuzz_status=0
if [[ $skip_fuzz != 1 ]]; then
  section "Fuzz (deploy/fuzz.sh --ci)"
  # Its own sanitizer options, not those of the test run.
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS deploy/fuzz.sh --ci || fuzz_status=$?
  step_done fuzz
fi

section "Result"
printf 'wall time: %s\n' "${timings[@]}"
if ((status == 0)); then echo "all tests passed"; else echo "ctest failed (exit status $status)"; fi
if ((reports > 0)); then
  echo "sanitizers reported $reports problem(s) (above)"
  ((status != 0)) || status=1
fi
if ((fuzz_status != 0)); then
  echo "the fuzz step failed (exit status $fuzz_status)"
  ((status != 0)) || status=$fuzz_status
fi
exit "$status"
