#!/usr/bin/env bash
# Formats every tracked C++ file with the committed .clang-format, or checks
# that nothing needs it (CI runs the check before building):
#
#   bash deploy/format.sh          # rewrite files in place
#   bash deploy/format.sh --check  # list what breaks the style, exit 1 if any
#
# clang-format-14 is the one Debian 12 ships (deploy/install-deps.sh); other
# versions format some constructs differently, so the version is pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

tool=$(command -v clang-format-14 || true)
if [[ -z "$tool" ]]; then
  echo "format.sh: clang-format-14 not found (bash deploy/install-deps.sh installs it)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == "--check" ]]; then
  if ! "$tool" --dry-run --Werror "${files[@]}" 2>/tmp/stagecheck-format.$$; then
    grep -o '^[^:]*\.\(cc\|h\)' /tmp/stagecheck-format.$$ | sort -u | sed 's/^/format.sh: needs formatting: /' >&2
    rm -f /tmp/stagecheck-format.$$
    echo "format.sh: run 'bash deploy/format.sh' and commit the result" >&2
    exit 1
  fi
  rm -f /tmp/stagecheck-format.$$
  echo "format.sh: ${#files[@]} files follow .clang-format"
  exit 0
fi
"$tool" -i "${files[@]}"
