#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package that Liaison needs to build,
# test and run. Does nothing (no apt-get update) when all are installed.
# Runs apt-get through sudo unless already root.
#
# Installing postgresql-15 may create and start Debian's own "main" cluster
# on port 5432. Liaison's scripts neither use nor disturb it: they run their
# own clusters on their own ports (deploy/lib/postgres.sh).
set -euo pipefail

# The one list of the project's Debian packages, by purpose.
packages=(
  # toolchain and build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries the server and the CLI link
  libboost1.81-dev          # Asio, Beast (pinned to 1.81)
  libssl-dev openssl        # TLS 1.3, Ed25519, the dev PKI
  libprotobuf-dev protobuf-compiler  # the wire contract (proto/)
  libpqxx-dev               # PostgreSQL client (store/)
  libtomlplusplus-dev       # configuration files
  libcli11-dev              # command-line parsing
  libspdlog-dev libfmt-dev  # logging
  nlohmann-json3-dev        # JSON frames and the HTTPS API
  prometheus-cpp-dev        # /metrics (registry, histograms, text format)
  # tests
  libgtest-dev libgmock-dev
  python3 python3-websockets python3-protobuf  # WebSocket and HTTPS test clients (not written by us)
  # the Python client of clients/python: signing, its build, the OpenAPI check
  python3-cryptography python3-yaml python3-setuptools python3-wheel python3-pip python3-venv
  clang libclang-rt-14-dev  # libFuzzer targets of fuzz/ (deploy/fuzz.sh, the fuzz step of deploy/test.sh)
  # database: server for the local clusters, client tools
  postgresql-15 postgresql-client-15
  # process and socket tools of the scripts and tests: ps, pgrep, kill (procps), ss (iproute2)
  procps iproute2
)

# dpkg-query prints only the packages it knows (and fails for the others);
# status "ii" means installed.
declare -A installed=()
while read -r pkg status; do
  [[ $status == ii ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for pkg in "${packages[@]}"; do
  [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root, or install sudo, to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
