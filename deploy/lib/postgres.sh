# shellcheck shell=bash
# Private PostgreSQL 15 clusters for development and tests (sourced, not run).
#
# A cluster lives in one directory DIR:
#   DIR/data/           the data directory (initdb)
#   DIR/.s.PGSQL.PORT   the Unix socket (nothing else can reach it by accident)
#   DIR/postgres.log    the server log
# It listens on 127.0.0.1 only, on the port given at start, never on the
# Debian "main" cluster's 5432 unless asked to. As root the cluster runs as
# the `postgres` OS user (initdb refuses root); otherwise as the caller.
#
# DEVELOPMENT AND TESTS ONLY: every local connection is trusted (no password),
# so any user of this machine may connect as the superuser `postgres`.
# Durability is NOT weakened: fsync and synchronous_commit stay on, because
# "acknowledged means committed" is a product promise the tests must exercise.
#
# Functions (each returns non-zero with a message on stderr on failure):
#   liaison_pg_create DIR PORT         initdb once (no-op if DIR/data exists)
#   liaison_pg_start DIR PORT          start if not running, then wait until ready
#   liaison_pg_wait DIR PORT [SECS]    wait for pg_isready (default 60 s)
#   liaison_pg_stop DIR                pg_ctl stop -m fast (no-op if not running)
#   liaison_pg_destroy DIR             stop, then remove DIR (only a cluster dir)
#   liaison_pg_create_app_db DIR PORT [NAME]
#                                      role NAME (LOGIN NOSUPERUSER) owning
#                                      database NAME, idempotent (default liaison)
#   liaison_pg_psql DIR PORT ARGS...   psql as the superuser through the socket
#   liaison_pg_is_running DIR          status 0 if the postmaster runs
#   liaison_pg_running_port DIR        prints the port of the running postmaster
#   liaison_pg_port_in_use PORT        status 0 if something listens on TCP PORT
#   liaison_pg_free_port FIRST [COUNT] prints the first free TCP port >= FIRST
#   liaison_pg_check_dir DIR           status 0 if the cluster owner can reach DIR

LIAISON_PG_BIN=${LIAISON_PG_BIN:-/usr/lib/postgresql/15/bin}
LIAISON_PG_OS_USER=${LIAISON_PG_OS_USER:-postgres}  # used only when running as root
LIAISON_PG_MAX_CONNECTIONS=${LIAISON_PG_MAX_CONNECTIONS:-300}  # tests run several servers

_liaison_pg_err() { printf 'postgres.sh: %s\n' "$*" >&2; }

# Absolute path of DIR (which need not exist yet).
_liaison_pg_abs() { realpath -m -- "$1"; }

# The OS user that owns and runs clusters.
_liaison_pg_owner() {
  if ((EUID == 0)); then printf '%s\n' "$LIAISON_PG_OS_USER"; else id -un; fi
}

# Runs a command as the cluster owner, from "/" so that an unreadable working
# directory (e.g. under /root) does not upset initdb or psql, in a locale
# that exists on every Debian system.
_liaison_pg_as_owner() {
  if ((EUID == 0)); then
    (cd / && runuser -u "$LIAISON_PG_OS_USER" -- env LC_ALL=C.UTF-8 "$@")
  else
    (cd / && env LC_ALL=C.UTF-8 "$@")
  fi
}

_liaison_pg_check_port() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535)) && return 0
  _liaison_pg_err "invalid port '$1'"
  return 1
}

_liaison_pg_require_tools() {
  if [[ ! -x $LIAISON_PG_BIN/initdb ]]; then
    _liaison_pg_err "PostgreSQL 15 not found in $LIAISON_PG_BIN; run deploy/install-deps.sh"
    return 1
  fi
  if ((EUID == 0)) && ! id -u "$LIAISON_PG_OS_USER" >/dev/null 2>&1; then
    _liaison_pg_err "running as root, but the OS user '$LIAISON_PG_OS_USER' (created by the postgresql-15 package) does not exist; run deploy/install-deps.sh"
    return 1
  fi
}

# Status 0 if the cluster owner can traverse every directory above DIR. As
# root, the owner is `postgres`, which cannot enter e.g. /root (mode 700).
liaison_pg_check_dir() {
  local dir parent p
  dir=$(_liaison_pg_abs "$1")
  ((EUID == 0)) || return 0
  # The deepest directory above DIR that exists (mkdir -p makes the rest).
  parent=$(dirname -- "$dir")
  while [[ ! -d $parent ]]; do parent=$(dirname -- "$parent"); done
  _liaison_pg_as_owner test -x "$parent" && return 0
  # Name the first directory that blocks the way, and say what to do.
  local parts part
  IFS=/ read -ra parts <<<"${parent#/}"
  p=/
  for part in "${parts[@]}"; do
    p=${p%/}/$part
    if [[ -d $p ]] && ! _liaison_pg_as_owner test -x "$p"; then break; fi
  done
  _liaison_pg_err "running as root, the cluster runs as the '$LIAISON_PG_OS_USER' user, which cannot reach $dir: $p ($(stat -c '%A %U:%G' -- "$p")) is not traversable by it.
  Either move the checkout (or the cluster directory) somewhere '$LIAISON_PG_OS_USER' can reach, e.g. /srv or /var/tmp,
  or allow traversal with: chmod o+x $p   (and any other blocking parent),
  or run as an ordinary user."
  return 1
}

# The path of the Unix socket must fit in sockaddr_un (107 bytes).
_liaison_pg_check_socket_path() {
  local sock="$1/.s.PGSQL.$2.lock"
  if ((${#sock} > 107)); then
    _liaison_pg_err "the cluster directory $1 is too deep for a Unix socket path (${#sock} > 107 bytes); use a shorter path"
    return 1
  fi
}

# liaison_pg_create DIR PORT: a new cluster in DIR/data, once. An existing
# cluster is left as it is (its owner is checked).
liaison_pg_create() {
  local dir port owner data
  dir=$(_liaison_pg_abs "$1") port=$2
  _liaison_pg_check_port "$port" || return 1
  _liaison_pg_require_tools || return 1
  _liaison_pg_check_socket_path "$dir" "$port" || return 1
  liaison_pg_check_dir "$dir" || return 1
  owner=$(_liaison_pg_owner)
  data=$dir/data

  if [[ -f $data/PG_VERSION ]]; then
    local actual
    actual=$(stat -c %U -- "$data")
    if [[ $actual != "$owner" ]]; then
      _liaison_pg_err "$data belongs to '$actual' but would be run as '$owner'; run as the same user as before, or remove $dir"
      return 1
    fi
    return 0
  fi
  if [[ -e $data ]]; then
    _liaison_pg_err "$data exists but holds no cluster (an interrupted initdb?); remove it and retry"
    return 1
  fi

  mkdir -p -- "$dir" || return 1
  liaison_pg_check_dir "$dir" || return 1  # again: mkdir -p obeys the umask
  if ((EUID == 0)); then chown -- "$owner:" "$dir" || return 1; fi
  chmod 700 -- "$dir" || return 1
  # Marks the directory as ours, so that liaison_pg_destroy may remove it.
  _liaison_pg_as_owner touch "$dir/.liaison-pg" || return 1

  if ! _liaison_pg_as_owner "$LIAISON_PG_BIN/initdb" -D "$data" -U postgres \
      --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    _liaison_pg_err "initdb failed in $data:"
    tail -n 20 -- "$dir/initdb.log" >&2
    return 1
  fi

  # Single quotes in a path are doubled for postgresql.conf.
  local sockdir=${dir//\'/\'\'}
  _liaison_pg_as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF || return 1

# --- Liaison development/test cluster (deploy/lib/postgres.sh) ---
listen_addresses = '127.0.0.1'
port = $port                  # overridden by the port given at start
unix_socket_directories = '$sockdir'
max_connections = $LIAISON_PG_MAX_CONNECTIONS
# Durability stays on: acknowledged means committed, in tests too.
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF

  # DEVELOPMENT/TEST ONLY: trust, no passwords. Never hold real data here.
  _liaison_pg_as_owner tee "$data/pg_hba.conf" >/dev/null <<'EOF' || return 1
# Liaison development/test cluster: trust authentication for local
# connections only. Development and tests only, never real data.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
}

# Status 0 if the postmaster of DIR is running.
liaison_pg_is_running() {
  local dir
  dir=$(_liaison_pg_abs "$1")
  [[ -f $dir/data/PG_VERSION ]] || return 1
  _liaison_pg_as_owner "$LIAISON_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Prints the port the running postmaster of DIR listens on (line 4 of
# postmaster.pid).
liaison_pg_running_port() {
  local dir
  dir=$(_liaison_pg_abs "$1")
  liaison_pg_is_running "$dir" || return 1
  _liaison_pg_as_owner sed -n 4p "$dir/data/postmaster.pid"
}

# Status 0 if some process listens on TCP PORT (any address).
liaison_pg_port_in_use() {
  [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
}

# Prints the first TCP port from FIRST on (COUNT candidates, default 100)
# that nothing listens on.
liaison_pg_free_port() {
  local port=$1 count=${2:-100}
  _liaison_pg_check_port "$port" || return 1
  while ((count-- > 0 && port <= 65535)); do
    if ! liaison_pg_port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
    ((port++))
  done
  _liaison_pg_err "no free TCP port from $1 on"
  return 1
}

# liaison_pg_wait DIR PORT [SECONDS]: returns when the cluster accepts
# connections on its socket and on 127.0.0.1:PORT. Fails early if the
# postmaster died, and shows the end of its log.
liaison_pg_wait() {
  local dir port timeout waited=0
  dir=$(_liaison_pg_abs "$1") port=$2 timeout=${3:-60}
  while true; do
    if _liaison_pg_as_owner "$LIAISON_PG_BIN/pg_isready" -q -h "$dir" -p "$port" -t 2 &&
        "$LIAISON_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
      return 0
    fi
    # 10 polls per second; give the postmaster 2 s to write its pid file.
    if ((waited >= 20)) && ! liaison_pg_is_running "$dir"; then
      _liaison_pg_err "PostgreSQL in $dir exited during start-up; end of $dir/postgres.log:"
      break
    fi
    if ((waited >= timeout * 10)); then
      _liaison_pg_err "PostgreSQL in $dir not ready on port $port after ${timeout}s; end of $dir/postgres.log:"
      break
    fi
    sleep 0.1
    ((++waited))
  done
  tail -n 30 -- "$dir/postgres.log" >&2 2>/dev/null || true
  return 1
}

# liaison_pg_start DIR PORT: starts the cluster if it is not running and
# waits for it. A cluster already running on another port is an error.
liaison_pg_start() {
  local dir port running
  dir=$(_liaison_pg_abs "$1") port=$2
  _liaison_pg_check_port "$port" || return 1
  _liaison_pg_require_tools || return 1
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    _liaison_pg_err "no cluster in $dir; call liaison_pg_create first"
    return 1
  fi
  if liaison_pg_is_running "$dir"; then
    running=$(liaison_pg_running_port "$dir")
    if [[ $running != "$port" ]]; then
      _liaison_pg_err "the cluster in $dir already runs on port $running, not $port; stop it first"
      return 1
    fi
  else
    if liaison_pg_port_in_use "$port"; then
      _liaison_pg_err "TCP port $port is already in use; choose another port"
      ss -Hltnp "sport = :$port" >&2 2>/dev/null || true
      return 1
    fi
    _liaison_pg_check_socket_path "$dir" "$port" || return 1
    # -W: do not wait here; liaison_pg_wait below does, with a clear error.
    # pg_ctl puts the postmaster in its own session, so Ctrl-C in the
    # calling terminal does not reach it.
    if ! _liaison_pg_as_owner "$LIAISON_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
        -o "-p $port" -W start >/dev/null; then
      _liaison_pg_err "pg_ctl start failed for $dir; end of $dir/postgres.log:"
      tail -n 30 -- "$dir/postgres.log" >&2 2>/dev/null || true
      return 1
    fi
  fi
  liaison_pg_wait "$dir" "$port"
}

# liaison_pg_stop DIR: fast shutdown (rolls back open transactions, keeps
# everything committed); a no-op if the cluster is not running.
liaison_pg_stop() {
  local dir
  dir=$(_liaison_pg_abs "$1")
  liaison_pg_is_running "$dir" || return 0
  if ! _liaison_pg_as_owner "$LIAISON_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null; then
    _liaison_pg_err "PostgreSQL in $dir did not stop within 60 s"
    return 1
  fi
}

# liaison_pg_destroy DIR: stops the cluster and removes DIR. Refuses a
# directory that liaison_pg_create did not make (unless it is empty).
liaison_pg_destroy() {
  local dir
  dir=$(_liaison_pg_abs "$1")
  [[ -d $dir ]] || return 0
  if [[ ! -e $dir/.liaison-pg ]] && [[ -n $(ls -A -- "$dir") ]]; then
    _liaison_pg_err "refusing to remove $dir: not a cluster directory made by liaison_pg_create"
    return 1
  fi
  liaison_pg_stop "$dir" || return 1
  rm -rf -- "$dir"
}

# liaison_pg_psql DIR PORT ARGS...: psql as the superuser `postgres` over
# the cluster's socket, stopping at the first error, without ~/.psqlrc.
liaison_pg_psql() {
  local dir port
  dir=$(_liaison_pg_abs "$1") port=$2
  shift 2
  _liaison_pg_as_owner "$LIAISON_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h "$dir" -p "$port" -U postgres -d postgres "$@"
}

# liaison_pg_create_app_db DIR PORT [NAME]: the two roles of a deployment
# (LOGIN, NOSUPERUSER, no password: trust) and the database NAME: the owner
# role NAME_owner owns the database and runs the migrations; the runtime role
# NAME, which liaisond serves with, owns nothing (`liaisond migrate` grants
# it what it needs). Safe to run again: it only creates what is missing and
# corrects the rest (a database NAME owned by NAME, as made before the two
# roles, passes to NAME_owner with its tables).
liaison_pg_create_app_db() {
  local dir port name=${3:-liaison}
  dir=$(_liaison_pg_abs "$1") port=$2
  if [[ ! $name =~ ^[a-z_][a-z0-9_]*$ ]]; then
    _liaison_pg_err "invalid role/database name '$name'"
    return 1
  fi
  liaison_pg_psql "$dir" "$port" -v name="$name" -v owner="${name}_owner" <<'EOF'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER', :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER', :'owner') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'owner') \gexec
\connect :name
SELECT format('REASSIGN OWNED BY %I TO %I', :'name', :'owner')
 WHERE EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = :'name') \gexec
EOF
}
