#!/usr/bin/env bash
# The benchmark suite (tests/bench, issue 10) in one command:
#   bash deploy/bench.sh [--quick] [--out FILE]
# Installs the dependencies, builds the `bench` preset (Release), starts a
# throwaway PostgreSQL on loopback (tests/support/pg), then stagecheck-bench
# starts nginx (`return 200;`), the fake Certn and stagecheck serve on SQLite
# and PostgreSQL, and prints one table of figures and ratios. Everything it
# started is stopped on exit, Ctrl-C included. Full run: ~25 min on a 2-core
# VM; --quick: ~8. The whole run is capped at 45 minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=()
out=""
while (($#)); do
  case "$1" in
    --quick) quick=(--quick) ;;
    --out) out=${2:?--out needs a file}; shift ;;
    *) echo "usage: bash deploy/bench.sh [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done

bash "$root/deploy/install-deps.sh"
cd "$root"
# Only the test folders the benchmark needs are configured.
cmake --preset bench -DSTAGECHECK_TEST_DIRS='support/.*|bench' >/dev/null
cmake --build --preset bench --target stagecheck-bench

work=$(mktemp -d /tmp/stagecheck-bench.XXXXXX)
bench_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM -- "-$bench_pid" 2>/dev/null || true   # its own process group (setsid)
    for _ in $(seq 1 50); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$bench_pid" 2>/dev/null || true
  fi
  bash "$root/tests/support/pg/pg_server.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prefer a quiet machine: wait (at most 2 minutes) for the 1-minute load to drop.
for _ in $(seq 1 12); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  awk -v l="$load" 'BEGIN { exit !(l < 1.0) }' && break
  echo "bench: load average $load; waiting for a quieter machine (bounded)" >&2
  sleep 10
done
echo "bench: uptime: $(uptime)" >&2

pg_args=()
# --durable: fsync on, as in production (the tests' servers run without it).
if bash tests/support/pg/pg_server.sh start "$work/pg" --durable >&2; then
  pg_args=(--pg-url "$(cat "$work/pg/url")")
else
  echo "bench: PostgreSQL did not start; measuring SQLite only" >&2
fi

out_args=()
[ -n "$out" ] && out_args=(--out "$out")
setsid timeout 2700 build/bench/tests/bench/stagecheck-bench "${quick[@]}" "${pg_args[@]}" \
  --work-dir "$work/run" "${out_args[@]}" &
bench_pid=$!
wait "$bench_pid"
