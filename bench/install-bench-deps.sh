#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages that the benchmark needs on
# top of deploy/install-deps.sh: the peer brokers (NATS JetStream, Mosquitto),
# their C client libraries, and optionally perf and valgrind for profiles.
# Does nothing when all are installed. A package that cannot be installed is
# reported and skipped: bench/run.sh then leaves that peer out and says so.
# Runs apt-get through sudo unless already root.
#
# Usage: bench/install-bench-deps.sh [--with-profilers]
set -uo pipefail

packages=(
  nats-server       # NATS 2.9 with JetStream (-js)
  libnats-dev       # the NATS C client (cnats 3.x), with JetStream
  mosquitto         # MQTT broker (QoS 1, persistence)
  libmosquitto-dev  # the Mosquitto C client
)
if [[ ${1:-} == --with-profilers ]]; then
  packages+=(linux-perf valgrind)
fi

declare -A installed=()
while read -r pkg status; do
  [[ $status == ii ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for pkg in "${packages[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "install-bench-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-bench-deps: missing packages: ${missing[*]} (run as root or install sudo)" >&2
  exit 1
fi

apt_get() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
echo "install-bench-deps: installing ${missing[*]}"
apt_get update -q || echo "install-bench-deps: apt-get update failed; trying with the current lists" >&2
# The broker packages may start their own services on install where an init
# system runs; the benchmark starts private instances on free ports and never
# uses (or stops) those.
if ! apt_get install -y -q --no-install-recommends "${missing[@]}"; then
  # One at a time, so that one unavailable package does not block the others.
  for pkg in "${missing[@]}"; do
    apt_get install -y -q --no-install-recommends "$pkg" ||
      echo "install-bench-deps: $pkg is not available; the benchmark runs without it" >&2
  done
fi
exit 0
