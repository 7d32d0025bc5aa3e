#!/usr/bin/env bash
# A throwaway PostgreSQL for tests.
#   pg_server.sh start   <state-dir> [--durable]
#                                      initdb into a temp dir, start on a free
#                                      loopback port, create database
#                                      "stagecheck", write <state-dir>/url;
#                                      fsync is off unless --durable (the
#                                      benchmark's server: see start())
#   pg_server.sh restart <state-dir>   fast restart (same port and data)
#   pg_server.sh halt    <state-dir>   stop the server, keep its data
#   pg_server.sh resume  <state-dir>   start a halted server again
#   pg_server.sh stop    <state-dir>   stop and remove everything
# As root the server runs as the unprivileged `postgres` user (PostgreSQL
# refuses to run as root); otherwise as the current user.
set -euo pipefail

cmd=${1:?usage: pg_server.sh start|stop|restart <state-dir>}
state=${2:?usage: pg_server.sh start|stop|restart <state-dir>}
durable=false
case "${3:-}" in
  "") ;;
  --durable)
    if [ "$cmd" != start ]; then
      echo "pg_server.sh: --durable is an option of start" >&2; exit 2
    fi
    durable=true ;;
  *) echo "pg_server.sh: unknown option '$3'" >&2; exit 2 ;;
esac
bin=${STAGECHECK_PG_BIN:-/usr/lib/postgresql/15/bin}

as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop() {
  [ -f "$state/dir" ] || return 0
  local dir
  dir=$(cat "$state/dir")
  if [ -d "$dir/data" ]; then
    (cd "$dir" && as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
  fi
  rm -rf "$dir"
  rm -f "$state/dir" "$state/port" "$state/url" "$state/opts"
}

# free_port: a port nobody listens on now, outside the kernel's ephemeral
# range so that a halted server's port is still free when it resumes. pg_ctl
# start is retried on another port if we lose a race for it.
# shellcheck source=../free_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../free_port.sh"

start() {
  stop  # a server left over by an interrupted run
  mkdir -p "$state"
  local dir port
  dir=$(mktemp -d /tmp/stagecheck-pg.XXXXXX)
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  echo "$dir" >"$state/dir"
  cd "$dir"
  as_server_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Tests: fsync off, a throwaway server whose durability is not what they
  # check (a SIGKILL of the service leaves PostgreSQL's commits in place).
  # The benchmark (--durable): PostgreSQL's defaults, so that its "durable
  # 2xx" figures pay for the WAL flush as production does.
  local sync="-c fsync=off"
  if $durable; then sync="-c fsync=on -c synchronous_commit=on"; fi
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "-p $port -k $dir -c listen_addresses=127.0.0.1 $sync -c max_connections=300" \
      >"$state/opts"
    if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$(cat "$state/opts")" start >/dev/null; then
      break
    fi
    echo "pg_server.sh: start on port $port failed (attempt $attempt)" >&2
    tail -5 "$dir/server.log" >&2 || true
    [ "$attempt" = 5 ] && return 1
  done
  as_server_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres stagecheck
  echo "$port" >"$state/port"
  echo "postgresql://postgres@127.0.0.1:$port/stagecheck" >"$state/url"
  echo "PostgreSQL up: $(cat "$state/url") (data in $dir)"
}

restart() {
  local dir
  dir=$(cat "$state/dir")
  cd "$dir"
  as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart \
    >/dev/null || resume  # stopped, but the start failed: started again as resume does
}

halt() {
  local dir
  dir=$(cat "$state/dir")
  cd "$dir"
  as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

# Retried, on the same port (clients hold its URL): under a loaded CI machine
# one start of a just-halted server failed with pg_ctl's "could not start
# server" (2026-12-02). The log's tail says why each failed attempt did.
resume() {
  local dir
  dir=$(cat "$state/dir")
  cd "$dir"
  for attempt in 1 2 3 4 5; do
    if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$(cat "$state/opts")" start >/dev/null; then
      return 0
    fi
    echo "pg_server.sh: resume failed (attempt $attempt)" >&2
    tail -5 "$dir/server.log" >&2 || true
    sleep 1
  done
  return 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  halt) halt ;;
  resume) resume ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac
