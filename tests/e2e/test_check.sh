#!/usr/bin/env bash
# End-to-end: `entrain check` validates campaign files with file:line and key paths.
# Usage: test_check.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=${1:?usage: test_check.sh ENTRAIN}
SRC=${ENTRAIN_SOURCE_DIR:?}
C=$SRC/tests/data/lua/campaign
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
expect() { # CODE NAME PATTERN CMD...
  local code=$1 name=$2 pattern=$3; shift 3
  "$@" >"$TMP/out" 2>&1; local got=$?
  if [ "$got" -ne "$code" ]; then bad "$name: exit $got, want $code"; cat "$TMP/out"; return; fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$TMP/out"; then bad "$name: output lacks /$pattern/"; cat "$TMP/out"; return; fi
  ok "$name"
}
export ENTRAIN_NO_PATH_CHECK=1
expect 0 "valid campaign" "valid campaign file" "$ENTRAIN" check "$C/valid.lua"
expect 0 "valid campaign as JSON" '"name"' "$ENTRAIN" check "$C/valid.lua" --json
expect 0 "shipped example campaign" "valid campaign file" "$ENTRAIN" check "$SRC/examples/campaign.lua"
expect 1 "unknown key, with line and key path" "unknown_key.lua:9: jobs.label.timout: unknown key" "$ENTRAIN" check "$C/unknown_key.lua"
expect 1 "wrong types" "wrong_type.lua:5: descriptor.k: expected an integer" "$ENTRAIN" check "$C/wrong_type.lua"
expect 1 "contradictory limits" "limits" "$ENTRAIN" check "$C/limits.lua"
expect 1 "shell string instead of argv" "shell_string.lua:[0-9]+" "$ENTRAIN" check "$C/shell_string.lua"
expect 1 "Lua syntax error" "syntax.lua:[0-9]+" "$ENTRAIN" check "$C/syntax.lua"
expect 1 "campaign file that escapes the sandbox" "escape.lua" "$ENTRAIN" check "$C/escape.lua"
expect 3 "missing file" "nope.lua" "$ENTRAIN" check "$TMP/nope.lua"
expect 2 "no argument" "" "$ENTRAIN" check
# executables are looked up on PATH unless told not to
unset ENTRAIN_NO_PATH_CHECK
expect 1 "executable not on PATH" "not found" env PATH=/usr/bin:/bin "$ENTRAIN" check "$C/not_on_path.lua"
mkdir -p "$TMP/bin"
for exe in lmp pw.x sbatch; do printf '#!/bin/sh\nexit 0\n' >"$TMP/bin/$exe"; chmod +x "$TMP/bin/$exe"; done
expect 0 "executables found on PATH" "valid campaign file" env PATH="$TMP/bin:/usr/bin:/bin" "$ENTRAIN" check "$C/valid.lua"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
