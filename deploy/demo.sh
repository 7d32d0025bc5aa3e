#!/usr/bin/env bash
# Builds Stagecheck and runs it in demo mode: embedded SQLite, the fake Certn
# (fixtures/fake_certn) as the Certn API, a demo team with an admin and a
# recruiter token, and the team's Certn integration already connected.
# The fake runs with --demo: every check sent moves by itself through
# invited → started → in progress → complete within about a minute, and it
# plays one regional host per region, so the wrong region is refused as the
# real Certn refuses it.
# Ctrl-C stops both processes; the data stays in $STAGECHECK_DEMO_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target stagecheck fake-certn

BIN=build/default
DATA="${STAGECHECK_DEMO_DIR:-$PWD/.demo}"
PORT="${STAGECHECK_DEMO_PORT:-8080}"
mkdir -p "$DATA"
chmod 700 "$DATA"
[[ -s "$DATA/encryption.key" ]] || (umask 077 && openssl rand -hex 32 > "$DATA/encryption.key")

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Reads the {"port":N} line a process prints once it is serving.
wait_for_port() {
  local file=$1 name=$2
  for _ in $(seq 200); do
    if grep -q '"port"' "$file" 2>/dev/null; then grep -o '[0-9]\+' "$file" | head -1; return; fi
    sleep 0.05
  done
  echo "demo: $name did not start; see $DATA/$name.log" >&2
  exit 1
}

"$BIN/fixtures/fake_certn/fake-certn" --listen 127.0.0.1:0 --demo \
  --demo-webhook-url "http://127.0.0.1:$PORT/certn/certnWebhookHandler" \
  >"$DATA/fake-certn.out" 2>"$DATA/fake-certn.log" &
pids+=($!)
FAKE_PORT=$(wait_for_port "$DATA/fake-certn.out" fake-certn)

DB="$DATA/stagecheck.db"
if [[ ! -s "$DATA/tokens.json" ]]; then
  admin=$("$BIN/adapters/cli/stagecheck" team create "Demo team" --db "$DB")
  team=$(sed -E 's/.*"team_id":"([^"]+)".*/\1/' <<<"$admin")
  recruiter=$("$BIN/adapters/cli/stagecheck" token create --db "$DB" --team "$team" --role recruiter --name "Demo recruiter")
  (umask 077 && printf '{"admin":%s,"recruiter":%s}\n' "$admin" "$recruiter" > "$DATA/tokens.json")
fi
ADMIN_TOKEN=$(grep -o '"admin":{[^}]*' "$DATA/tokens.json" | grep -o 'sc_[0-9a-f]*')
RECRUITER_TOKEN=$(grep -o '"recruiter":{[^}]*' "$DATA/tokens.json" | grep -o 'sc_[0-9a-f]*')

"$BIN/adapters/cli/stagecheck" serve --db "$DB" --listen "127.0.0.1:$PORT" \
  --certn-base-url "http://127.0.0.1:$FAKE_PORT/regions/{region}" --key-file "$DATA/encryption.key" \
  >"$DATA/stagecheck.out" 2>"$DATA/stagecheck.log" &
pids+=($!)
wait_for_port "$DATA/stagecheck.out" stagecheck >/dev/null

# Connect the demo team to the fake Certn's demo account (verifies the key).
curl -fsS -X PUT "http://127.0.0.1:$PORT/api/v1/integrations/certn" \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"api_key":"demo-certn-api-key","region":"north_america","webhook_secret":"demo-webhook-secret"}' >/dev/null

cat <<INFO

Stagecheck demo is running (SQLite at $DB, fake Certn on port $FAKE_PORT).
  Console:          http://127.0.0.1:$PORT/
  API:              http://127.0.0.1:$PORT/api/v1
  Admin token:      $ADMIN_TOKEN
  Recruiter token:  $RECRUITER_TOKEN
  Fake Certn:       http://127.0.0.1:$FAKE_PORT  (demo account in region North America)
Checks move by themselves: invited, started after 15 s, in progress after 30 s, complete
after a minute; every second one ends "Needs review", and a candidate email with +bounce@
(say ada+bounce@example.com) bounces. To move a case yourself instead:
  curl -X POST http://127.0.0.1:$FAKE_PORT/_control/cases/<Certn case ID>/advance
(the CASE-... ID the console shows under "Details and history", or the UUID).
Walk through the flows with docs/walkthrough.md. Logs: $DATA/*.log. Ctrl-C stops.

INFO
wait "${pids[@]}"
