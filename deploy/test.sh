#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest:
# first the unit tests under ASan+UBSan, then the whole suite (unit,
# conformance on SQLite and PostgreSQL, integration, e2e, console, bench
# smoke) on the default preset. Tests that need PostgreSQL start their own
# throwaway server (tests/support/pg), so nothing needs to run beforehand.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

jobs=2
echo "== asan: unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ctest --test-dir build/asan -L unit --output-on-failure -j"$jobs"

echo "== default: every test"
cmake --preset default >/dev/null
cmake --build --preset default -j"$jobs"
ctest --test-dir build/default --output-on-failure -j"$jobs" "$@"
