#!/usr/bin/env bash
# A local multi-replica Stagecheck without containers or root services:
# a throwaway PostgreSQL (tests/support/pg/pg_server.sh), the fake Certn,
# N `stagecheck serve` replicas on free loopback ports, and nginx as the load
# balancer (deploy/nginx/stagecheck-proxy.conf) on a free loopback port.
#
#   deploy/replicas/up.sh [STATE_DIR]      # default: /tmp/stagecheck-replicas
#   . STATE_DIR/cluster.env; curl "$LB_URL/readyz"
#   deploy/replicas/down.sh [STATE_DIR]
#
# Environment:
#   STAGECHECK_BUILD_DIR   where the binaries were built (default: build/default)
#   STAGECHECK_BINARY, STAGECHECK_FAKE_CERTN_BINARY   explicit binaries
#   REPLICAS               how many replicas (default 2)
#   DEMO=1                 also create team "demo" and connect it to the fake
#                          Certn's demo account through the load balancer
#                          (tokens in STATE_DIR/demo-team.json)
#   NGINX                  nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
# Prints STATE_DIR/cluster.env at the end. Every wait has a deadline; on any
# failure everything started so far is stopped again (down.sh) and the exit
# status is 1.
set -euo pipefail

# The replicas read the key from STATE_DIR/encryption_key only.
unset STAGECHECK_ENCRYPTION_KEY

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${1:-/tmp/stagecheck-replicas}
build=${STAGECHECK_BUILD_DIR:-$root/build/default}
stagecheck=${STAGECHECK_BINARY:-$build/adapters/cli/stagecheck}
fake_certn=${STAGECHECK_FAKE_CERTN_BINARY:-$build/fixtures/fake_certn/fake-certn}
replicas=${REPLICAS:-2}
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

log() { echo "up.sh: $*" >&2; }
die() {
  log "$*"
  bash "$here/down.sh" "$state" >/dev/null 2>&1 || true
  exit 1
}

for bin in "$stagecheck" "$fake_certn" "$nginx_bin"; do
  [ -x "$bin" ] || { log "not executable: $bin (build first, or set STAGECHECK_BUILD_DIR)"; exit 1; }
done

# A previous bring-up in the same state dir is stopped first.
if [ -f "$state/cluster.env" ] || [ -f "$state/pg/dir" ]; then
  bash "$here/down.sh" "$state" >/dev/null 2>&1 || true
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)
: >"$state/pids"

# Starts a background process that outlives this script, its output in files.
spawn() {  # name, command...
  local name=$1
  shift
  setsid "$@" </dev/null >"$state/$name.out" 2>"$state/$name.log" &
  local pid=$!
  echo "$name $pid" >>"$state/pids"
  echo "$pid"
}

# Waits (deadline) for the {"port":N} line a stagecheck or fake-certn prints.
wait_port() {  # name, pid
  local name=$1 pid=$2 port
  for _ in $(seq 1 300); do
    port=$(sed -n 's/^{"port":\([0-9]*\)}$/\1/p' "$state/$name.out" | head -1)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -20 "$state/$name.log" >&2; return 1; }
    sleep 0.1
  done
  log "$name printed no port within 30 s"
  return 1
}

# Polls URL until it answers 200 (deadline WAIT_OK_SECONDS, default 30 s).
# With a PID, gives up at once when that process has exited (nginx that could
# not bind its port, say).
wait_ok() {  # url [pid]
  local limit=${WAIT_OK_SECONDS:-30}
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; then return 0; fi
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
      log "the process serving $1 exited"
      return 1
    fi
    sleep 0.1
  done
  log "no 200 from $1 within $limit s"
  return 1
}

# free_port: outside the ephemeral range, like the PostgreSQL server's.
# shellcheck source=../../tests/support/free_port.sh
source "$root/tests/support/free_port.sh"

# 1. PostgreSQL, migrated once (replicas would also migrate at start-up, under
#    an advisory lock).
bash "$root/tests/support/pg/pg_server.sh" start "$state/pg" >&2 || die "PostgreSQL did not start"
db_url=$(cat "$state/pg/url")
"$stagecheck" migrate --db "$db_url" >"$state/migrate.json" || die "migrate failed"

# 2. The encryption key shared by every replica (a file: never in argv).
key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
umask 077
echo "$key" >"$state/encryption_key"
umask 022

# 3. The load balancer's port first: the fake Certn's demo account posts its
#    webhooks to the load balancer, like Certn would.
lb_port=$(free_port) || die "no free port"
lb_url="http://127.0.0.1:$lb_port"
fake_pid=$(spawn fake-certn "$fake_certn" --listen 127.0.0.1:0 --demo \
  --demo-webhook-url "$lb_url/certn/certnWebhookHandler" --webhook-retry-delays-ms 200,1000,5000)
fake_port=$(wait_port fake-certn "$fake_pid") || die "fake Certn did not start"
certn_url="http://127.0.0.1:$fake_port"

# 4. The replicas.
upstreams=""
replica_urls=""
for i in $(seq 1 "$replicas"); do
  pid=$(spawn "replica-$i" "$stagecheck" serve --db "$db_url" --key-file "$state/encryption_key" \
    --listen 127.0.0.1:0 --certn-base-url "$certn_url" --public-url "$lb_url")
  port=$(wait_port "replica-$i" "$pid") || die "replica $i did not start (see $state/replica-$i.log)"
  # Each replica answers on its own before nginx is put in front of them, so
  # a slow replica is told apart from a load balancer that did not start.
  wait_ok "http://127.0.0.1:$port/healthz" || die "replica $i does not answer (see $state/replica-$i.log)"
  upstreams+="        server 127.0.0.1:$port max_fails=3 fail_timeout=10s;"$'\n'
  replica_urls+="http://127.0.0.1:$port "
done

# 5. nginx (retried on another port if this one was taken meanwhile).
mkdir -p "$state/nginx"
chmod 755 "$state" "$state/nginx"  # nginx workers run as nobody when started by root
for attempt in 1 2 3 4 5; do
  awk -v dir="$state/nginx" -v listen="127.0.0.1:$lb_port" -v proxy="$root/deploy/nginx/stagecheck-proxy.conf" \
      -v upstreams="${upstreams%$'\n'}" \
    '{ gsub("@DIR@", dir); gsub("@LISTEN@", listen); gsub("@PROXY_CONF@", proxy);
       if ($0 ~ /@UPSTREAMS@/) print upstreams; else print }' \
    "$here/nginx.conf.in" >"$state/nginx/nginx.conf"
  nginx_pid=$(spawn nginx "$nginx_bin" -p "$state/nginx" -c "$state/nginx/nginx.conf" -e "$state/nginx/error.log")
  if wait_ok "$lb_url/healthz" "$nginx_pid"; then break; fi
  cat "$state/nginx.log" "$state/nginx/error.log" 2>/dev/null | tail -3 | sed "s/^/up.sh: nginx: /" >&2
  if kill -0 "$nginx_pid" 2>/dev/null; then
    # nginx runs but does not reach the replicas, which answered on their
    # own a moment ago: another port would not help; one more, longer wait.
    for url in $replica_urls; do
      curl -fsS -o /dev/null --max-time 2 "$url/healthz" 2>/dev/null && log "$url answers directly" \
        || log "$url does not answer directly either"
    done
    WAIT_OK_SECONDS=60 wait_ok "$lb_url/healthz" "$nginx_pid" && break
    die "nginx does not reach the replicas (see $state/nginx/error.log)"
  fi
  [ "$attempt" = 5 ] && die "nginx did not start (see $state/nginx/error.log)"
  lb_port=$(free_port) || die "no free port"
  log "nginx: retrying on port $lb_port"
  # The replicas' --public-url and the fake's webhook URL name the first
  # port; only a lost race gets here, and the demo flow then needs a re-run.
  lb_url="http://127.0.0.1:$lb_port"
done
wait_ok "$lb_url/readyz" || die "the replicas are not ready behind nginx"

cat >"$state/cluster.env" <<ENV
STATE_DIR=$state
LB_URL=$lb_url
REPLICA_URLS="${replica_urls% }"
DB_URL=$db_url
CERTN_URL=$certn_url
STAGECHECK_BINARY=$stagecheck
STAGECHECK_ENCRYPTION_KEY_FILE=$state/encryption_key
ENV

# 6. Optional demo team connected to the fake Certn's demo account.
if [ "${DEMO:-0}" = 1 ]; then
  "$stagecheck" team create demo --db "$db_url" >"$state/demo-team.json" || die "team create failed"
  admin=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$state/demo-team.json")
  curl -fsS --max-time 30 -X PUT "$lb_url/api/v1/integrations/certn" \
    -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
    -d '{"api_key":"demo-certn-api-key","region":"north_america","webhook_secret":"demo-webhook-secret"}' \
    >"$state/demo-connect.json" || die "connecting the demo team to Certn failed"
  echo "DEMO_ADMIN_TOKEN=$admin" >>"$state/cluster.env"
fi

cat "$state/cluster.env"
