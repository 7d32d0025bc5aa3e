#!/usr/bin/env bash
# postgres.server.options: pg_server.sh's own options. The benchmark's server
# (--durable) must flush as production does, or its "durable 2xx" rows would
# measure a server without fsync; the tests' server (no option) runs without
# it; an unknown option is refused before anything starts; the port is one a
# halted server gets back when it resumes.
set -euo pipefail
script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg_server.sh"
bin=${STAGECHECK_PG_BIN:-/usr/lib/postgresql/15/bin}
state=$(mktemp -d /tmp/stagecheck-pg-options.XXXXXX)
trap 'bash "$script" stop "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

setting() { "$bin/psql" -X -At -d "$(cat "$state/url")" -c "SHOW $1"; }
expect() {
  local got
  got=$(setting "$1")
  if [ "$got" != "$2" ]; then
    echo "FAIL: $3: $1 is '$got', expected '$2'" >&2
    exit 1
  fi
}

bash "$script" start "$state" --durable >/dev/null
expect fsync on "--durable"
expect synchronous_commit on "--durable"
bash "$script" stop "$state" >/dev/null

bash "$script" start "$state" >/dev/null
expect fsync off "no option"
# The port is outside the kernel's ephemeral range, so that no connection's
# source port can take it while the server is halted (free_port.sh).
read -r eph_low eph_high </proc/sys/net/ipv4/ip_local_port_range
port=$(cat "$state/port")
if [ "$port" -ge "$eph_low" ] && [ "$port" -le "$eph_high" ]; then
  echo "FAIL: port $port is inside the ephemeral range $eph_low-$eph_high" >&2
  exit 1
fi
bash "$script" halt "$state"
bash "$script" resume "$state"
[ "$(setting port)" = "$port" ] || { echo "FAIL: resumed on another port" >&2; exit 1; }
bash "$script" stop "$state" >/dev/null

if bash "$script" start "$state" --fast 2>"$state/err"; then
  echo "FAIL: an unknown option was accepted" >&2
  exit 1
fi
grep -q "unknown option '--fast'" "$state/err" || { cat "$state/err" >&2; exit 1; }
[ ! -f "$state/url" ] || { echo "FAIL: a refused start left a server" >&2; exit 1; }
# --durable belongs to start: elsewhere it would be silently ignored.
if bash "$script" restart "$state" --durable 2>"$state/err"; then
  echo "FAIL: --durable was accepted by restart" >&2
  exit 1
fi
grep -q "is an option of start" "$state/err" || { cat "$state/err" >&2; exit 1; }
echo "ok: --durable flushes, the default does not, other options are refused, the port stays"
