#!/usr/bin/env bash
# ctest replicas.up_down_script: deploy/replicas/up.sh brings up PostgreSQL,
# the fake Certn, 2 replicas and nginx as plain processes; requests through
# the load balancer reach both replicas; down.sh stops every process.
#   up_down_test.sh <source-dir> <build-dir>
set -euo pipefail
src=$1
build=$2
state=$(mktemp -d /tmp/stagecheck-replicas-test.XXXXXX)
cleanup() { bash "$src/deploy/replicas/down.sh" "$state" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$state"/*.log "$state"/nginx/error.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

STAGECHECK_BUILD_DIR=$build DEMO=1 bash "$src/deploy/replicas/up.sh" "$state" >"$state/up.out" || fail "up.sh failed"
# shellcheck disable=SC1091
. "$state/cluster.env"
[ -n "$LB_URL" ] && [ -n "$DEMO_ADMIN_TOKEN" ] || fail "cluster.env incomplete"
grep -q '"connected":true' "$state/demo-connect.json" || fail "demo team not connected: $(cat "$state/demo-connect.json")"

ready=$(curl -fsS --max-time 5 "$LB_URL/readyz") || fail "readyz through nginx"
[[ $ready == *'"store":"postgres"'* ]] || fail "readyz: $ready"
for url in $REPLICA_URLS; do
  curl -fsS --max-time 5 "$url/readyz" >/dev/null || fail "replica $url not ready"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$LB_URL/metrics")
[ "$code" = 404 ] || fail "/metrics through nginx answered $code, want 404 (scrape replicas directly)"

# Round robin: 10 authenticated reads reach both replicas.
for _ in $(seq 1 10); do
  curl -fsS --max-time 5 -H "Authorization: Bearer $DEMO_ADMIN_TOKEN" "$LB_URL/api/v1/integrations/certn" \
    | grep -q '"connected":true' || fail "GET integration through nginx"
done
upstreams=$(grep -o 'upstream=127.0.0.1:[0-9]*' "$state/nginx/access.log" | sort -u | wc -l)
[ "$upstreams" -ge 2 ] || fail "nginx used $upstreams upstream(s), want 2"

# A body over the service's 1 MiB limit is refused by nginx already.
code=$(head -c 1100000 /dev/zero | tr '\0' 'a' | curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
  -X POST -H 'Content-Type: application/json' --data-binary @- "$LB_URL/certn/certnWebhookHandler")
[ "$code" = 413 ] || fail "oversized body answered $code, want 413"

pids=$(awk '{print $2}' "$state/pids")
bash "$src/deploy/replicas/down.sh" "$state" || fail "down.sh failed"
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "process $pid still running after down.sh"; fi
done
[ ! -f "$state/pg/dir" ] || fail "PostgreSQL state left behind"
echo "up.sh/down.sh: OK"
