#!/usr/bin/env bash
# Installs every build, test and run dependency of Stagecheck from Debian's
# package registry. Idempotent and quiet: when everything is present it only
# runs dpkg-query and returns in well under a second.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git curl ca-certificates procps jq
  # libraries
  libcpprest-dev libboost-dev libboost-system-dev rapidjson-dev libssl-dev openssl
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev sqlite3 libpq-dev
  libsimdjson-dev
  # the service's allocator (adapters/cli/allocator.h)
  libmimalloc-dev
  # servers the tests and benchmarks start on loopback (python3: the
  # independent outbound-webhook receiver, tests/e2e/receiver)
  postgresql nginx-light wrk python3
  # instructions per delivery: stagecheck-webhook-cpu includes valgrind/callgrind.h,
  # and bench.smoke.cpu runs it under callgrind
  valgrind
  # fuzzing (libFuzzer) and the browser tests
  clang-14 libclang-rt-14-dev chromium nodejs npm
  # the formatting check (deploy/format.sh)
  clang-format-14
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# node/npm may come from outside Debian on developer machines; keep theirs.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
  done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
