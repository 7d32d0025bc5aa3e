#!/usr/bin/env bash
# stagecheck-bench refuses a bad flag before it starts anything: exit code 2
# and a message on stderr that names the flag (or the usage, for an unknown
# one). Usage: flags_test.sh <stagecheck-bench>
set -u
bench=$1
failed=0

expect_refused() {
  local want=$1
  shift
  local err rc
  err=$("$bench" "$@" 2>&1 >/dev/null)
  rc=$?
  if [[ $rc -ne 2 ]]; then
    echo "FAIL: stagecheck-bench $* exited $rc, want 2"
    failed=1
  elif [[ "$err" != *"$want"* ]]; then
    echo "FAIL: stagecheck-bench $*: stderr does not mention '$want': $err"
    failed=1
  fi
}

expect_refused "--serve-arg needs an argument" --serve-arg
expect_refused "--connections needs a number" --connections 0
expect_refused "--connections needs a number" --connections many
expect_refused "--pg-committers needs numbers" --pg-committers 0
expect_refused "--pg-committers needs numbers" --pg-committers 1,x
expect_refused "--express-workers needs a number" --express-workers 9
expect_refused "usage: stagecheck-bench" --no-such-flag
if ! "$bench" --help | grep -q -- "--serve-arg ARG"; then
  echo "FAIL: --help does not list --serve-arg"
  failed=1
fi
exit $failed
