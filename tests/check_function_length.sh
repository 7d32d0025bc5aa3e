#!/usr/bin/env bash
# Fails when a function under the given folders is longer than MAX lines,
# counted from the first line of its signature to its closing brace, lambdas
# inside it included:
#
#   bash tests/check_function_length.sh 60 adapters/http plugin/certn
#
# How it counts (simple on purpose; the tree is clang-format-formatted, see
# deploy/format.sh): comments, strings and character literals are blanked,
# then braces are matched. A `{` met outside any function opens a function
# body when the statement before it ends in a parameter list (and perhaps
# qualifiers or a trailing return type) and is not a type, nor an
# initialiser unless it is a lambda; the body runs to the matching `}`.
#
# KNOWN_LONG lists the functions that are over the limit today and are to be
# split by whoever next changes them. A listed function that is no longer
# over the limit fails the check too, so the list only shrinks.
set -euo pipefail
cd "$(dirname "$0")/.."

KNOWN_LONG=()

max=$1
shift
mapfile -t files < <(find "$@" \( -name '*.cc' -o -name '*.h' \) | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "check_function_length: no sources under $*" >&2
  exit 2
fi

# One line per function: file, first line, length, name.
measured=$(awk '
function reset_statement() { stmt = ""; stmt_line = 0 }
# Whether a `{` after statement `s` opens a function body: its parameter
# list, then only qualifiers or a trailing return type; not a type or an
# initialiser, unless the initialiser is a lambda.
function opens_function(s,   t) {
  t = s
  while (t ~ /\([^()]*\)/) gsub(/\([^()]*\)/, "@", t)
  if (t !~ /@[ \t]*((const|override|final|noexcept@?|mutable|volatile|&&|&|->[^{};=@]*)[ \t]*)*$/) return 0
  if (t ~ /^[ \t]*(template[ \t]*<.*>[ \t]*)?(namespace|class|struct|enum|union)([ \t]|$)/) return 0
  sub(/operator[^@]*/, "operator", t)
  if (t ~ /(^|[^=!<>])=([^=]|$)/ && t !~ /\][ \t]*@/) return 0
  return 1
}
function name_of(s,   t) {
  t = s; sub(/\(.*/, "", t); sub(/[ \t]+$/, "", t)
  if (t ~ /operator/) sub(/.*[ \t*&]operator/, "operator", t)
  else sub(/.*[ \t*&]/, "", t)
  return t
}
FNR == 1 { depth = 0; fn_depth = -1; in_comment = 0; in_raw = ""; reset_statement() }
{
  # Blank out comments, strings and character literals.
  line = $0; out = ""; i = 1; n = length(line)
  while (i <= n) {
    c = substr(line, i, 1); two = substr(line, i, 2)
    if (in_comment) { if (two == "*/") { in_comment = 0; i += 2 } else i++; continue }
    if (in_raw != "") {
      k = index(substr(line, i), in_raw)
      if (k == 0) { i = n + 1; continue }
      i += k - 1 + length(in_raw); in_raw = ""; out = out "\"\""; continue
    }
    if (two == "//") break
    if (two == "/*") { in_comment = 1; i += 2; continue }
    if (two == "R\"") {
      rest = substr(line, i + 2); p = index(rest, "(")
      in_raw = ")" substr(rest, 1, p - 1) "\""; i += 2 + p; continue
    }
    if (c == "\"" || c == "\047") {
      q = c; i++
      while (i <= n && substr(line, i, 1) != q) { if (substr(line, i, 1) == "\\") i++; i++ }
      i++; out = out q q; continue
    }
    out = out c; i++
  }
  if (fn_depth < 0 && stmt == "" && out ~ /^[ \t]*#/) next  # a preprocessor line
  m = length(out)
  for (j = 1; j <= m; j++) {
    c = substr(out, j, 1)
    if (fn_depth >= 0) {
      if (c == "{") depth++
      else if (c == "}" && --depth == fn_depth) {
        printf "%s\t%d\t%d\t%s\n", FILENAME, fn_start, FNR - fn_start + 1, fn_name
        fn_depth = -1; reset_statement()
      }
      continue
    }
    if (c == ";") { reset_statement(); continue }
    if (c == "}") { depth--; reset_statement(); continue }
    if (c == "{") {
      if (opens_function(stmt)) {
        fn_depth = depth; fn_start = stmt_line ? stmt_line : FNR; fn_name = name_of(stmt)
        depth++; continue
      }
      # A pair closed on this line (`b_{b}`, `= {}`) stays in the statement.
      close_at = index(substr(out, j + 1), "}"); open_at = index(substr(out, j + 1), "{")
      if (close_at > 0 && (open_at == 0 || close_at < open_at)) {
        stmt = stmt substr(out, j, close_at + 1); j += close_at; continue
      }
      depth++; reset_statement(); continue
    }
    if (stmt_line == 0 && c !~ /[ \t]/) stmt_line = FNR
    stmt = stmt c
  }
  if (stmt != "") stmt = stmt " "
}
' "${files[@]}")

count=$(grep -c . <<<"$measured" || true)
if ((count < 50)); then
  echo "check_function_length: only $count functions found under $*; is the parser lost?" >&2
  exit 2
fi
longest=$(sort -t$'\t' -k3,3n <<<"$measured" | tail -1)
failed=0
while IFS=$'\t' read -r file start length name; do
  known=0
  for k in "${KNOWN_LONG[@]}"; do [[ "$k" == "$file:$name" ]] && known=1; done
  if ((length > max && !known)); then
    echo "$file:$start: $name is $length lines (at most $max)"
    failed=1
  fi
done <<<"$measured"
for k in "${KNOWN_LONG[@]}"; do
  if ! awk -F'\t' -v max="$max" -v key="$k" '$1 ":" $4 == key && $3 > max { found = 1 } END { exit !found }' <<<"$measured"; then
    echo "$k: no longer over $max lines; take it off KNOWN_LONG in $0"
    failed=1
  fi
done
IFS=$'\t' read -r file start length name <<<"$longest"
echo "check_function_length: $count functions under $*, ${#KNOWN_LONG[@]} known over $max lines; the longest: $name, $length lines ($file:$start)"
exit $failed
