#!/usr/bin/env bash
# Runs the benchmark of docs/BENCHMARKS.md: Liaison against NATS JetStream and
# Mosquitto on the same machine in one run, plus the machine's ceilings (a
# plain batched libpqxx writer, Ed25519 sign/verify), and prints them side by
# side. Starts everything it needs (a throwaway PostgreSQL, a development PKI,
# liaisond, nats-server, mosquitto, each on a free port) and stops it all on
# every exit path.
#
# Usage: bench/run.sh [OPTIONS]
#   --smoke             a few seconds, small numbers, no install/build: proves
#                       the tools work (ctest's bench_smoke). Uses the cluster
#                       of LIAISON_TEST_DB when set. Asserts no speed.
#   --build-dir DIR     build tree (default build-bench/)
#   --no-build          use the binaries as they are
#   --only LIST         comma-separated subset of: ceiling,liaison,nats,mosquitto,rapid
#                       (rapid: the rapid-response measurements of rapid_bench,
#                       run only when named)
#   --duration S        measured seconds per run (default 20; warm-up 2)
#   --publishers N      publishers, one per member (default 27)
#   --window W          closed loop: outstanding publishes per publisher (default 32)
#   --rate R            open loop: alerts/s (default 1000)
#   --body BYTES        body size (default 1024)
#   --mix SPEC          Liaison's recipient mix (default single; the peers run single)
#   --soak S            also a Liaison closed-loop run of S seconds (memory trend)
#   --out DIR           where JSON results and the summary go
#                       (default BUILD_DIR/bench-results/<time>)
#   --profile           record `perf` of liaisond during the closed-loop run
# Environment: LIAISON_BENCH_BATCH_MAX sets liaisond's [database] batch_max;
# LIAISON_RAPID_BACKLOG (default 100000) and LIAISON_RAPID_SCENARIOS (a subset
# of flash,deadlines,receipts) shape the rapid run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=deploy/lib/postgres.sh
source deploy/lib/postgres.sh

smoke=0 build=1 build_dir=$repo/build-bench only=ceiling,liaison,nats,mosquitto
duration=20 warmup=2 publishers=27 window=32 rate=1000 body=1024 mix=single soak=0 profile=0
out=
while (($#)); do
  case $1 in
    --smoke) smoke=1 build=0 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift ;;
    --no-build) build=0 ;;
    --only) only=$2; shift ;;
    --duration) duration=$2; shift ;;
    --publishers) publishers=$2; shift ;;
    --window) window=$2; shift ;;
    --rate) rate=$2; shift ;;
    --body) body=$2; shift ;;
    --mix) mix=$2; shift ;;
    --soak) soak=$2; shift ;;
    --out) out=$(realpath -m "$2"); shift ;;
    --profile) profile=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
wants() { [[ ,$only, == *,$1,* ]]; }
say() { printf '\n==== %s ====\n' "$*"; }
bin=$build_dir/bin

if ((smoke)); then
  duration=0 warmup=0
  count=20 pq_alerts=2000 ed_seconds=0.3
  [[ -z $out ]] && out=$(mktemp -d "${TMPDIR:-/tmp}/liaison-bench-smoke.XXXXXX")
else
  count=0 pq_alerts=100000 ed_seconds=3
  [[ -z $out ]] && out=$build_dir/bench-results/$(date +%Y%m%d-%H%M%S)
fi
mkdir -p "$out"

# ---- dependencies and build ---------------------------------------------------
if ((build)); then
  say "Dependencies"
  bench/install-bench-deps.sh
  say "Build ($build_dir)"
  [[ -f $build_dir/build.ninja ]] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  targets=(liaisond liaison liaison_bench rapid_bench ed25519_speed pq_ceiling)
  cmake -S . -B "$build_dir" >/dev/null  # picks up client libraries installed since
  known=$(ninja -C "$build_dir" -t targets all 2>/dev/null)
  for t in nats_bench mqtt_bench; do grep -q "^$t:" <<<"$known" && targets+=("$t"); done
  ninja -C "$build_dir" "${targets[@]}"
fi
for b in liaisond liaison liaison_bench rapid_bench; do
  [[ -x $bin/$b ]] || { echo "run.sh: $bin/$b is missing; build it (or drop --no-build)" >&2; exit 1; }
done

# ---- everything started here is stopped on every exit path ---------------------
work= pg_dir= test_db= pids=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ -n $test_db ]]; then
    psql -X -q "$LIAISON_TEST_DB" -c "DROP DATABASE IF EXISTS $test_db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -X -q "$LIAISON_TEST_DB" -c "DROP DATABASE IF EXISTS ${test_db}_ceiling WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [[ -n $pg_dir ]] && { liaison_pg_destroy "$pg_dir" || echo "run.sh: could not remove $pg_dir" >&2; }
  [[ -n $work && -d $work ]] && rm -rf -- "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops one process started here (by pid) and forgets it.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=()
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# Waits until something listens on 127.0.0.1:PORT (or the process died).
wait_port() {
  local port=$1 pid=$2
  for _ in $(seq 200); do
    liaison_pg_port_in_use "$port" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

free_port() { liaison_pg_free_port "$1"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/liaison-bench.XXXXXX")
if ! liaison_pg_check_dir "$work/pg" 2>/dev/null; then
  rm -rf -- "$work"
  work=$(mktemp -d /var/tmp/liaison-bench.XXXXXX)
fi
chmod 755 "$work"

common=(--publishers "$publishers" --body "$body" --window "$window" --warmup "$warmup"
  --members "$repo/config/members.toml")
((count > 0)) && common+=(--count "$count")

# ---- PostgreSQL ------------------------------------------------------------------
pg_pid=0
if wants liaison || wants ceiling || wants rapid; then
  say "PostgreSQL"
  if ((smoke)) && [[ -n ${LIAISON_TEST_DB:-} ]]; then
    test_db=bench_$$_$RANDOM
    psql -X -q -v ON_ERROR_STOP=1 "$LIAISON_TEST_DB" <<SQL >/dev/null
SELECT 'CREATE ROLE liaison LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'liaison') \gexec
SELECT 'CREATE ROLE liaison_owner LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'liaison_owner') \gexec
CREATE DATABASE $test_db OWNER liaison_owner;
CREATE DATABASE ${test_db}_ceiling OWNER liaison;
SQL
    base=${LIAISON_TEST_DB%/*}
    db_url="${base/postgres@/liaison@}/$test_db"
    owner_url="${base/postgres@/liaison_owner@}/$test_db"
    ceiling_url="${base/postgres@/liaison@}/${test_db}_ceiling"
    echo "using LIAISON_TEST_DB's cluster, databases $test_db and ${test_db}_ceiling"
  else
    pg_dir=$work/pg
    pg_port=$(free_port 56432)
    liaison_pg_create "$pg_dir" "$pg_port"
    liaison_pg_start "$pg_dir" "$pg_port"
    liaison_pg_create_app_db "$pg_dir" "$pg_port" liaison
    liaison_pg_psql "$pg_dir" "$pg_port" -c "CREATE DATABASE ceiling OWNER liaison" >/dev/null
    db_url="postgresql://liaison@127.0.0.1:$pg_port/liaison"
    owner_url="postgresql://liaison_owner@127.0.0.1:$pg_port/liaison"
    ceiling_url="postgresql://liaison@127.0.0.1:$pg_port/ceiling"
    # Like a production server, not like a laptop: checkpoints spaced by
    # time, not forced every few seconds by the benchmark's WAL volume.
    # Durability is untouched (fsync, synchronous_commit and
    # full_page_writes stay on).
    liaison_pg_psql "$pg_dir" "$pg_port" >/dev/null <<'SQL'
ALTER SYSTEM SET max_wal_size = '8GB';
ALTER SYSTEM SET checkpoint_timeout = '30min';
SELECT pg_reload_conf();
SQL
    pg_pid=$(head -1 "$pg_dir/data/postmaster.pid")
    echo "PostgreSQL 15 on 127.0.0.1:$pg_port (synchronous_commit on, fsync on), postmaster pid $pg_pid"
  fi
fi

# ---- PKI and liaisond's configuration ----------------------------------------------
"$bin/liaison" pki init --members config/members.toml --out "$work/pki" --db-url "${db_url:-postgresql://unused}" \
  ${owner_url:+--db-owner-url "$owner_url"} \
  --native-listen 127.0.0.1:0 --https-listen 127.0.0.1:0 >/dev/null
config=$work/pki/liaison.toml
sed -i -e 's/^level = .*/level = "warn"/' "$config"
[[ -n ${LIAISON_BENCH_BATCH_MAX:-} ]] && sed -i -e "s/^batch_max = .*/batch_max = $LIAISON_BENCH_BATCH_MAX/" "$config"
# rapid_bench fills a 100,000-alert backlog from one desk: the per-member
# publish rate (2,000/s by default) would only slow the filling down.
if [[ ,$only, == *,rapid,* ]] || ((smoke)); then
  sed -i -e 's/^publish_rate_per_member = .*/publish_rate_per_member = 0/' "$config"
fi

# ---- ceilings --------------------------------------------------------------------------
if wants ceiling; then
  say "Ceiling: Ed25519 (liaison::crypto, one core)"
  "$bin/ed25519_speed" --seconds "$ed_seconds" --json "$out/ed25519.json"
  say "Ceiling: plain batched libpqxx writer (same rows, no network, no crypto)"
  "$bin/liaisond" migrate --config "$config" --db "$ceiling_url" --db-owner "$ceiling_url" >/dev/null 2>&1
  "$bin/pq_ceiling" --db "$ceiling_url" --alerts "$pq_alerts" --body "$body" --json "$out/pq_ceiling.json"
fi

# ---- Liaison --------------------------------------------------------------------------
start_liaisond() {
  rm -f "$work/ports.json"
  "$bin/liaisond" --config "$config" --port-file "$work/ports.json" 2>"$work/liaisond.log" &
  liaisond_pid=$!
  pids+=("$liaisond_pid")
  for _ in $(seq 600); do
    [[ -s $work/ports.json ]] && break
    kill -0 "$liaisond_pid" 2>/dev/null || { cat "$work/liaisond.log" >&2; echo "run.sh: liaisond died" >&2; exit 1; }
    sleep 0.1
  done
  native=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["native"])' "$work/ports.json")
  echo "liaisond pid $liaisond_pid on $native"
}

liaison_run() {  # NAME ARGS...
  local name=$1
  shift
  "$bin/liaison_bench" --server "$native" --pki "$work/pki" --server-pid "$liaisond_pid" --pg-pid "$pg_pid" \
    --db "$db_url" "${common[@]}" --json "$out/$name.json" "$@"
}

if wants liaison; then
  say "Liaison"
  start_liaisond
  perf_pid=
  if ((profile)) && command -v perf >/dev/null; then
    perf record -e cpu-clock -F 999 -g -p "$liaisond_pid" -o "$out/liaisond.perf.data" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  liaison_run liaison-closed --mode closed --mix "$mix" --duration "$duration" --label "closed loop"
  [[ -n $perf_pid ]] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  liaison_run liaison-open --mode open --rate "$rate" --mix "$mix" --duration "$duration" --label "open loop"
  if ((soak > 0)); then
    liaison_run liaison-soak --mode closed --mix "$mix" --duration "$soak" --label "soak ${soak}s"
  fi
  stop_pid "$liaisond_pid"
  if grep -qE ' (error|critical) ' "$work/liaisond.log"; then
    echo "run.sh: liaisond logged errors:" >&2
    grep -E ' (error|critical) ' "$work/liaisond.log" | head -20 >&2
  fi
fi

# ---- rapid response (only when asked for) --------------------------------------------
if [[ ,$only, == *,rapid,* ]] || ((smoke)); then
  say "Rapid response"
  start_liaisond
  rapid_args=(--server "$native" --pki "$work/pki" --db "$db_url" --server-pid "$liaisond_pid"
    --pg-pid "$pg_pid" --json "$out/rapid.json")
  if ((smoke)); then
    rapid_args+=(--backlog 300 --flashes 5 --per-member 20 --idle-seconds 1 --duration 2)
  else
    rapid_args+=(--backlog "${LIAISON_RAPID_BACKLOG:-100000}" --duration "$duration")
  fi
  [[ -n ${LIAISON_RAPID_SCENARIOS:-} ]] && rapid_args+=(--scenarios "$LIAISON_RAPID_SCENARIOS")
  "$bin/rapid_bench" "${rapid_args[@]}"
  stop_pid "$liaisond_pid"
fi

# ---- NATS JetStream ---------------------------------------------------------------------
if wants nats; then
  if [[ -x $bin/nats_bench ]] && command -v nats-server >/dev/null; then
    say "NATS JetStream ($(nats-server --version))"
    nats_port=$(free_port 14222)
    mkdir -p "$work/nats"
    nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$nats_port" >"$work/nats.log" 2>&1 &
    nats_pid=$!
    pids+=("$nats_pid")
    wait_port "$nats_port" "$nats_pid" || { cat "$work/nats.log" >&2; exit 1; }
    for mode in closed open; do
      "$bin/nats_bench" --url "nats://127.0.0.1:$nats_port" --server-pid "$nats_pid" "${common[@]}" \
        --duration "$duration" --mode "$mode" --rate "$rate" --label "$mode loop" --json "$out/nats-$mode.json"
    done
    stop_pid "$nats_pid"
  else
    echo "skipping NATS: nats-server or nats_bench missing (bench/install-bench-deps.sh)" | tee "$out/nats-skipped.txt"
  fi
fi

# ---- Mosquitto ------------------------------------------------------------------------------
if wants mosquitto; then
  if [[ -x $bin/mqtt_bench ]] && [[ -x /usr/sbin/mosquitto ]]; then
    say "Mosquitto ($(/usr/sbin/mosquitto -h | head -1))"
    mqtt_port=$(free_port 11883)
    mkdir -p "$work/mosquitto"
    # Persistence forced to disk on every change: with autosave_on_changes,
    # autosave_interval counts changes, so 1 writes (and fsyncs) the whole
    # in-memory database after every main-loop pass that changed it.
    cat >"$work/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $work/mosquitto/
autosave_on_changes true
autosave_interval 1
max_inflight_messages 0
max_queued_messages 0
log_type error
log_type warning
log_dest stderr
CONF
    run_mosquitto() {
      /usr/sbin/mosquitto -c "$work/mosquitto.conf" >>"$work/mosquitto.log" 2>&1 &
      mqtt_pid=$!
      pids+=("$mqtt_pid")
      wait_port "$mqtt_port" "$mqtt_pid" || { cat "$work/mosquitto.log" >&2; exit 1; }
    }
    for mode in closed open; do
      rm -rf "$work/mosquitto" && mkdir -p "$work/mosquitto"
      run_mosquitto
      "$bin/mqtt_bench" --port "$mqtt_port" --server-pid "$mqtt_pid" "${common[@]}" \
        --duration "$duration" --mode "$mode" --rate "$rate" --label "$mode loop" --json "$out/mosquitto-$mode.json"
      stop_pid "$mqtt_pid"
    done
  else
    echo "skipping Mosquitto: mosquitto or mqtt_bench missing (bench/install-bench-deps.sh)" | tee "$out/mosquitto-skipped.txt"
  fi
fi

# ---- the side-by-side table ----------------------------------------------------------------
say "Summary"
{
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"
python3 bench/compare.py "$out" | tee "$out/summary.md"
echo "results: $out"
if ((smoke)); then
  python3 bench/compare.py --check "$out"
  [[ $out == "${TMPDIR:-/tmp}"/liaison-bench-smoke.* ]] && rm -rf -- "$out"
fi
exit 0
