#!/usr/bin/env bash
# Runs the fault-injection harness (tests/faults/) and prints its summary:
# liaisond killed -9 at random moments, PostgreSQL killed -9 and stopped
# under load, a consumer frozen with SIGSTOP, a consumer that never
# acknowledges, and the negative control (asynchronous commit, which must
# lose acknowledged alerts, or the checker is not to be trusted).
#
# Usage: deploy/faults.sh [--long] [--seed N] [--keep] [--filter GTEST_FILTER]
#   deploy/faults.sh                the short profile (deploy/test.sh runs it too, ctest label `faults`)
#   deploy/faults.sh --long         the long profile: 12 kill -9 of liaisond, 6 of PostgreSQL,
#                                   3 outages, 30 s freezes, 5 kills in the negative control
#   deploy/faults.sh --seed N       replays a run (every run prints its seed)
#   deploy/faults.sh --keep         keeps each scenario's directory: logs, liaisond's and PostgreSQL's
#   deploy/faults.sh --filter '*Postgres*'   only some scenarios (gtest filter on Faults.*)
# Environment: LIAISON_BUILD_DIR (default build/), LIAISON_JOBS (ninja -j).
#
# Each scenario makes, kills and removes a PostgreSQL cluster of its own
# (deploy/lib/postgres.sh) on a free port from 57001 on; nothing else is
# touched. Exits non-zero when a promise was broken.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=deploy/lib/postgres.sh
source deploy/lib/postgres.sh

section() { printf '\n==== %s ====\n' "$*"; }

profile=short
seed=
filter='*'
while (($# > 0)); do
  case $1 in
    --long) profile=long ;;
    --seed) seed=${2:?--seed needs a number}; shift ;;
    --keep) export LIAISON_FAULTS_KEEP=1 ;;
    --filter) filter=${2:?--filter needs a gtest filter}; shift ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) echo "faults.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z $seed ]]; then seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); fi
build=${LIAISON_BUILD_DIR:-build}

section "Dependencies"
deploy/install-deps.sh

section "Build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C "$build" ${LIAISON_JOBS:+-j "$LIAISON_JOBS"} liaisond liaison faults_test faults_checker_test \
  faults_client_receive_test

section "Self-tests: the checker, and the client the harness drives"
"$build/bin/faults_checker_test" --gtest_brief=1
"$build/bin/faults_client_receive_test" --gtest_brief=1

section "Fault injection ($profile profile, seed $seed)"
export LIAISON_FAULTS_PROFILE=$profile LIAISON_FAULTS_SEED=$seed LIAISON_PG_BIN
log=$(mktemp "${TMPDIR:-/tmp}/liaison-faults.XXXXXX.log")
status=0
# pipefail: the status is faults_test's.
"$build/bin/faults_test" --gtest_filter="Faults.$filter" 2>&1 | tee "$log" || status=$?

section "Summary ($profile profile, seed $seed)"
grep -E '^faults\[[^]]*\] (SUMMARY|FIGURE|TODO)|^\[  (PASSED|FAILED) ' "$log" || true
echo
flag=
if [[ $profile == long ]]; then flag=" --long"; fi
echo "command: deploy/faults.sh$flag --seed $seed"
echo "full output: $log"
if ((status == 0)); then echo "all fault-injection scenarios passed"; else echo "FAILED (exit status $status)"; fi
exit "$status"
