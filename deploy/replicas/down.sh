#!/usr/bin/env bash
# Stops what deploy/replicas/up.sh started in STATE_DIR (default
# /tmp/stagecheck-replicas): nginx, the replicas and the fake Certn (SIGTERM,
# SIGKILL after 10 s), then PostgreSQL (removed with its data). Idempotent.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${1:-/tmp/stagecheck-replicas}
[ -d "$state" ] || exit 0

if [ -f "$state/pids" ]; then
  # Reverse start order: the load balancer first, PostgreSQL last.
  pids=$(tac "$state/pids" | awk '{print $2}')
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$state/pids"
fi
bash "$root/tests/support/pg/pg_server.sh" stop "$state/pg" || true
rm -f "$state/cluster.env"
