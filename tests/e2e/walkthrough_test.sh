#!/usr/bin/env bash
# Runs docs/walkthrough.md as written: starts the fake Certn (demo account) and
# `stagecheck serve` on free loopback ports, makes the demo's tokens, then runs
# every ```sh block of the walkthrough in one shell with `set -euo pipefail`,
# and checks the outcome the document promises: twice in a row against the same
# demo, then once more with a broken step, which must stop with a non-zero exit.
set -euo pipefail
STAGECHECK=$1 FAKE_CERTN=$2 DOC=$3
WORK=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

wait_for_port() {  # the {"port":N} line a process prints once serving
  for _ in $(seq 400); do
    grep -q '"port"' "$1" 2>/dev/null && { grep -o '[0-9]\+' "$1" | head -1; return; }
    sleep 0.05
  done
  echo "process did not start: $(cat "$1.err" 2>/dev/null)" >&2; exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || shuf -i 20000-60000 -n 1; }

PORT=$(free_port)
"$FAKE_CERTN" --listen 127.0.0.1:0 --demo --webhook-retry-delays-ms 50,100,200 \
  --demo-webhook-url "http://127.0.0.1:$PORT/certn/certnWebhookHandler" >"$WORK/fake" 2>"$WORK/fake.err" &
pids+=($!)
FAKE_PORT=$(wait_for_port "$WORK/fake")
export STAGECHECK_ENCRYPTION_KEY=$(openssl rand -hex 32)
ADMIN=$("$STAGECHECK" team create Walkthrough --db "$WORK/db.sqlite")
TEAM=$(sed -E 's/.*"team_id":"([^"]+)".*/\1/' <<<"$ADMIN")
RECRUITER=$("$STAGECHECK" token create --db "$WORK/db.sqlite" --team "$TEAM" --role recruiter)
"$STAGECHECK" serve --db "$WORK/db.sqlite" --listen "127.0.0.1:$PORT" \
  --certn-base-url "http://127.0.0.1:$FAKE_PORT" >"$WORK/svc" 2>"$WORK/svc.err" &
pids+=($!)
wait_for_port "$WORK/svc" >/dev/null

# The ```sh blocks, in order, as one script.
awk '/^```sh$/{f=1; next} /^```$/{f=0} f' "$DOC" > "$WORK/steps.sh"
[ -s "$WORK/steps.sh" ] || { echo "no sh blocks in $DOC" >&2; exit 1; }
ADMIN_TOKEN=$(grep -o 'sc_[0-9a-f]*' <<<"$ADMIN")
RECRUITER_TOKEN=$(grep -o 'sc_[0-9a-f]*' <<<"$RECRUITER")

# Runs the steps in a folder of their own (a run never sees another's files).
walk() {  # walk NAME [RECRUITER_TOKEN]
  mkdir -p "$WORK/$1"
  (cd "$WORK/$1" && BASE="http://127.0.0.1:$PORT" FAKE="http://127.0.0.1:$FAKE_PORT" \
    ADMIN_TOKEN="$ADMIN_TOKEN" RECRUITER_TOKEN="${2:-$RECRUITER_TOKEN}" \
    bash -euo pipefail "$WORK/steps.sh" 2>&1)
}

# What the walkthrough promises, run after run against the same demo (a
# newcomer runs it more than once).
for run in first second; do
  OUT=$(walk "$run") || { echo "$OUT"; echo "FAIL: the $run run of the walkthrough failed" >&2; exit 1; }
  echo "$OUT"
  grep -q '"status": "complete"' <<<"$OUT" || { echo "FAIL ($run run): the tab never showed complete" >&2; exit 1; }
  grep -q '"results_url": "http' <<<"$OUT" || { echo "FAIL ($run run): no results URL" >&2; exit 1; }
  grep -q '^Certn_Report_CASE-.*\.pdf$' <<<"$OUT" || { echo "FAIL ($run run): no report file" >&2; exit 1; }
  grep -q '^%PDF-' <<<"$OUT" || { echo "FAIL ($run run): the download is not a PDF" >&2; exit 1; }
  grep -q 'report_saved' <<<"$OUT" || { echo "FAIL ($run run): the feed has no report_saved" >&2; exit 1; }
done

# A step that fails stops the walkthrough with a non-zero exit: with a
# recruiter token that is not valid, nothing after the first refused call runs.
if OUT=$(walk broken sc_00000000000000000000000000000000); then
  echo "$OUT"; echo "FAIL: the walkthrough went on after a failing step" >&2; exit 1
fi
! grep -q '^%PDF-' <<<"$OUT" || { echo "FAIL: the broken run still printed a PDF" >&2; exit 1; }
[ ! -e "$WORK/broken/report.pdf" ] || { echo "FAIL: the broken run downloaded a report" >&2; exit 1; }
echo "walkthrough: 3 passed (two runs in a row, one stopped at its failing step), 0 failed"
