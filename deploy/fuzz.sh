#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) into
# build-fuzz/ and runs them.
#
# Usage: deploy/fuzz.sh [--minutes N] [--no-merge] [TARGET...]
#          a campaign: N minutes per target (default 10), one target at a
#          time; new inputs that add coverage are merged into
#          fuzz/corpus/TARGET/ (commit them); prints executions and crashes
#          per target and exits non-zero if any target crashed.
#        deploy/fuzz.sh --ci [--seconds N] [TARGET...]
#          what deploy/test.sh runs: replays every corpus input once, then
#          fuzzes each target for N seconds (default 20, or
#          LIAISON_FUZZ_SECONDS) without touching fuzz/corpus/; exits
#          non-zero on any crash, leak, timeout or broken invariant.
#        deploy/fuzz.sh --build-only
# TARGET is a name such as frame_reader (default: all, see fuzz/CMakeLists.txt).
# Environment: LIAISON_FUZZ_BUILD_DIR (default build-fuzz), LIAISON_JOBS
# (ninja -j). Needs clang and libFuzzer (Debian: clang libclang-rt-14-dev).
#
# Crash inputs are kept in build-fuzz/campaign/TARGET/ (campaign) or
# build-fuzz/ci/TARGET/ (--ci); reproduce one with
#   build-fuzz/bin/fuzz_TARGET FILE
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

section() { printf '\n==== %s ====\n' "$*"; }
die() { printf 'fuzz.sh: %s\n' "$*" >&2; exit 1; }

all_targets=(frame_reader request_binary request_json alert server_config members_config host_port
  http_target envelope_json auditor_query http_header ws_frames)
build=${LIAISON_FUZZ_BUILD_DIR:-build-fuzz}
mode=campaign
minutes=10
seconds=${LIAISON_FUZZ_SECONDS:-20}
merge=1
targets=()
while (($# > 0)); do
  case $1 in
    --minutes) minutes=${2:?--minutes needs a number}; shift ;;
    --seconds) seconds=${2:?--seconds needs a number}; shift ;;
    --ci) mode=ci ;;
    --build-only) mode=build ;;
    --no-merge) merge=0 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || die "unknown target '$1'; targets: ${all_targets[*]}"
      targets+=("$1")
      ;;
  esac
  shift
done
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")
[[ $minutes =~ ^[0-9]+$ && $seconds =~ ^[0-9]+$ ]] || die "--minutes and --seconds take whole numbers"

command -v clang++ >/dev/null 2>&1 ||
  die "clang++ not found; install clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$probe/probe.cpp"
clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null ||
  die "clang++ cannot link a libFuzzer target; install libclang-rt-14-dev"

section "Build ($build, clang, libFuzzer + ASan + UBSan)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DLIAISON_FUZZ=ON -DLIAISON_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" ${LIAISON_JOBS:+-j "$LIAISON_JOBS"} "${targets[@]/#/fuzz_}"
[[ $mode == build ]] && exit 0

# Every report ends the run; symbolised stacks; no leak is tolerated.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# -timeout: one input running this long is a hang; -rss_limit_mb: a leak or
# an unbounded allocation is a failure, not a swap storm.
common_flags=(-timeout=30 -rss_limit_mb=2048 -print_final_stats=1)

dict_flag() {  # the -dict= flag of TARGET, if fuzz/dict/TARGET.dict exists
  if [[ -f fuzz/dict/$1.dict ]]; then echo "-dict=fuzz/dict/$1.dict"; fi
}
stat_of() {  # stat_of NAME LOG: sums "stat::NAME: N" over the runs in LOG
  awk -v key="stat::$1:" '$1 == key { s += $2 } END { print s + 0 }' "$2"
}
crash_files() {  # the crash, leak, timeout and oom inputs in DIR
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) 2>/dev/null | sort
}

if [[ $mode == ci ]]; then
  status=0
  summary=()
  for t in "${targets[@]}"; do
    section "Fuzz $t: replay fuzz/corpus/$t, then ${seconds} s"
    bin=$build/bin/fuzz_$t
    work=$build/ci/$t
    rm -rf "$work"
    mkdir -p "$work/new"
    inputs=$(find "fuzz/corpus/$t" -type f | wc -l)
    # -runs=0: run every input of the corpus once, mutate nothing.
    if ! "$bin" "${common_flags[@]}" -runs=0 -artifact_prefix="$work/" "fuzz/corpus/$t" \
      >"$work/replay.log" 2>&1; then
      tail -n 60 "$work/replay.log"
      summary+=("$t: FAILED replaying $inputs corpus inputs (log: $work/replay.log)")
      status=1
      continue
    fi
    # New inputs go to a scratch directory; the checkout is not modified.
    # shellcheck disable=SC2046
    if ! "$bin" "${common_flags[@]}" -max_total_time="$seconds" -artifact_prefix="$work/" \
      $(dict_flag "$t") "$work/new" "fuzz/corpus/$t" >"$work/fuzz.log" 2>&1; then
      tail -n 60 "$work/fuzz.log"
      summary+=("$t: FAILED while fuzzing; input: $(crash_files "$work" | head -1) (log: $work/fuzz.log)")
      status=1
      continue
    fi
    summary+=("$t: ok, $inputs corpus inputs replayed, $(stat_of number_of_executed_units "$work/fuzz.log") executions in ${seconds} s")
    echo "${summary[-1]}"
  done
  section "Fuzz summary"
  printf '%s\n' "${summary[@]}"
  exit "$status"
fi

# Campaign: each target runs for its whole time even if it crashes (it is
# restarted after each crash, up to max_crashes per target).
max_crashes=10
status=0
rows=()
started=$SECONDS
for t in "${targets[@]}"; do
  section "Fuzz $t for $minutes min"
  bin=$build/bin/fuzz_$t
  work=$build/campaign/$t
  rm -rf "$work"
  mkdir -p "$work/new"
  log=$work/fuzz.log
  : >"$log"
  deadline=$((SECONDS + minutes * 60))
  while ((SECONDS < deadline)); do
    # shellcheck disable=SC2046
    if "$bin" "${common_flags[@]}" -max_total_time=$((deadline - SECONDS)) -artifact_prefix="$work/" \
      $(dict_flag "$t") "$work/new" "fuzz/corpus/$t" >>"$log" 2>&1; then
      break
    fi
    crashes=$(crash_files "$work" | wc -l)
    echo "$t: crash $crashes: $(crash_files "$work" | tail -1)"
    grep -E '^SUMMARY|fuzz invariant broken' "$log" | tail -2
    ((crashes < max_crashes)) || break
  done
  execs=$(stat_of number_of_executed_units "$log")
  crashes=$(crash_files "$work" | wc -l)
  new=$(find "$work/new" -type f | wc -l)
  added=0
  if ((merge == 1 && new > 0)); then
    before=$(find "fuzz/corpus/$t" -type f | wc -l)
    # Keeps only the new inputs that add coverage to the committed corpus.
    "$bin" -merge=1 -timeout=30 -rss_limit_mb=2048 "fuzz/corpus/$t" "$work/new" >"$work/merge.log" 2>&1 ||
      echo "$t: merge failed (log: $work/merge.log)"
    added=$(($(find "fuzz/corpus/$t" -type f | wc -l) - before))
  fi
  rows+=("$(printf '%-16s %8d %14d %10d %12d %8d' "$t" "$minutes" "$execs" \
    $((execs / (minutes * 60 > 0 ? minutes * 60 : 1))) "$added" "$crashes")")
  ((crashes == 0)) || status=1
  echo "$t: $execs executions, $crashes crashes, $new new inputs, $added merged into fuzz/corpus/$t"
done

section "Campaign summary ($(((SECONDS - started) / 60)) min wall time)"
printf '%-16s %8s %14s %10s %12s %8s\n' target minutes executions exec/s corpus+ crashes
printf '%s\n' "${rows[@]}"
if ((status != 0)); then
  echo "crash inputs are in $build/campaign/TARGET/; reproduce with $build/bin/fuzz_TARGET FILE"
fi
exit "$status"
