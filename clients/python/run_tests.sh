#!/bin/bash
# Builds liaison_client into a temporary folder (offline, with the Debian
# packages) and runs its tests against a live liaisond.
#
#   LIAISON_TEST_DB=postgresql://postgres@127.0.0.1:PORT/postgres clients/python/run_tests.sh [unittest args]
#
# LIAISOND and LIAISON_CLI name the binaries (default: build/bin/ of this
# repository). Extra arguments go to `python3 -m unittest`, e.g. -k history.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
target=$(mktemp -d "${TMPDIR:-/tmp}/liaison-client.XXXXXX")
trap 'rm -rf "$target"' EXIT
# pip builds in the source folder: keep its build/ and egg-info out of the checkout.
"$python" -m pip install --quiet --root-user-action=ignore --no-index --no-build-isolation --no-deps \
  --target "$target/lib" "$here"
rm -rf "$here/build" "$here"/*.egg-info
cd "$target"  # so that the source folder cannot shadow the installed package
PYTHONPATH="$target/lib" PYTHONDONTWRITEBYTECODE=1 \
  "$python" -m unittest discover -s "$here/tests" -t "$here/tests" -v "$@"
