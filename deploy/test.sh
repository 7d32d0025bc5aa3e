#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest:
#   1. the unit tests under ASan+UBSan (preset asan, target unit_tests),
#   2. the libFuzzer targets for a bounded number of runs (preset fuzz, clang-14),
#   3. the whole suite on the default preset: unit, conformance on SQLite and on a
#      throwaway PostgreSQL the tests start themselves, integration, e2e, the
#      browser tests of the console, the contract test and the bench smoke runs.
# Arguments are passed to the last ctest (e.g. -R webhook).
#
# Without arguments, a 4th step runs the integration, e2e and console areas
# again while tests/support/busy.sh keeps every core busy (about 2 minutes on
# 2 cores): a test that races the service's own asynchronous work fails here
# long before it fails on a busy CI machine.
#   bash deploy/test.sh --under-load [ctest args]
# builds the default preset and runs only that step.
set -euo pipefail
cd "$(dirname "$0")/.."

under_load=0
if [[ "${1:-}" == "--under-load" ]]; then
  under_load=1
  shift
fi

bash deploy/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

if [[ "$under_load" == 1 ]]; then
  echo "== default, under load: integration, e2e and console tests beside a CPU hog per core"
  cmake --preset default >/dev/null
  cmake --build --preset default
  exec bash tests/support/busy.sh ctest --test-dir build/default --output-on-failure -j2 \
    -L 'integration|e2e|console' "$@"
fi

echo "== format: every C++ file follows .clang-format"
bash deploy/format.sh --check

echo "== asan: unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan --target unit_tests
ctest --test-dir build/asan -L unit --output-on-failure -j2

echo "== fuzz: bounded libFuzzer runs (clang-14, ASan+UBSan)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target certn_parsers_fuzz webhook_fuzz endpoint_url_fuzz retry_after_fuzz api_body_fuzz
ctest --test-dir build/fuzz -L fuzz --output-on-failure -j2

echo "== default: every test"
cmake --preset default >/dev/null
cmake --build --preset default
ctest --test-dir build/default --output-on-failure -j2 "$@"

if [[ $# -eq 0 ]]; then
  echo "== default, under load: integration, e2e and console tests beside a CPU hog per core"
  # The 300-send rate-limit burst (a minute of waiting on the limit) ran in
  # the step above; load does not change what it proves.
  bash tests/support/busy.sh ctest --test-dir build/default --output-on-failure -j2 -L 'integration|e2e|console' \
    -E 'ReplicaRateLimitTest'
fi
