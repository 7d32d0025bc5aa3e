#!/usr/bin/env bash
# Usage: with_deps.sh LOCK_FILE COMMAND [ARGS...]
# Installs tests/contract's pinned npm packages (npm ci) when node_modules is
# missing or older than package-lock.json, then runs COMMAND. A lock file
# (in the build dir) keeps the two contract tests from installing at once
# under ctest -j. Idempotent and quiet: npm prints only errors.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lock="$1"
shift
mkdir -p "$(dirname "$lock")"
stamp="$here/node_modules/.stagecheck-installed-lock.json"
exec 9>"$lock"
flock 9
if ! cmp -s "$here/package-lock.json" "$stamp"; then
  if ! command -v npm >/dev/null; then
    echo "with_deps.sh: npm is not installed (Node.js 20.19+ with npm is needed for tests/contract)" >&2
    exit 1
  fi
  npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$here/package-lock.json" "$stamp"
fi
flock -u 9
exec 9>&-
exec "$@"
