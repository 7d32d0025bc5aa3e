#!/usr/bin/env bash
# Runs a command while every core is kept busy by a CPU hog, to prove that the
# tests hold on a loaded machine (CI's 2 cores are often shared):
#
#   bash tests/support/busy.sh ctest --test-dir build/default -j2 --output-on-failure
#   BUSY_HOGS=4 bash tests/support/busy.sh ctest --test-dir build/default -R e2e
#
# BUSY_HOGS sets how many busy-looping shells run (default: one per core). The
# hogs run at normal priority, like the unrelated work that shares a CI machine,
# and are killed when the command ends; its exit status is this script's.
set -uo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: bash tests/support/busy.sh COMMAND [ARGS...]" >&2
  exit 2
fi

hogs="${BUSY_HOGS:-$(nproc)}"
if ! [[ "$hogs" =~ ^[0-9]+$ ]]; then
  echo "busy.sh: BUSY_HOGS must be a whole number, got '$hogs'" >&2
  exit 2
fi

pids=()
stop_hogs() {
  if [[ ${#pids[@]} -gt 0 ]]; then
    kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
  fi
}
trap stop_hogs EXIT INT TERM

for ((i = 0; i < hogs; i++)); do
  sh -c 'while :; do :; done' &
  pids+=("$!")
done
echo "busy.sh: $hogs CPU hogs running beside: $*" >&2

"$@"
status=$?
stop_hogs
pids=()
exit "$status"
