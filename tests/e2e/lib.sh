# Shared helpers of the end-to-end scripts (sourced). Each script counts its checks and
# ends with "N passed, M failed" and a matching exit status.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check NAME CMD...: CMD must succeed
check() { local name=$1; shift; if "$@" >"$TMP/out" 2>&1; then ok "$name"; else bad "$name"; cat "$TMP/out"; fi; }
# PATTERN=re expect_exit CODE NAME CMD...: exit code, and stderr matching PATTERN if set
expect_exit() {
  local code=$1 name=$2; shift 2
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"; local got=$?
  if [ "$got" -ne "$code" ]; then bad "$name: exit $got, want $code"; cat "$TMP/stderr"; return; fi
  if [ -n "${PATTERN:-}" ] && ! grep -qE -- "$PATTERN" "$TMP/stderr"; then
    bad "$name: stderr lacks /$PATTERN/"; cat "$TMP/stderr"; return
  fi
  ok "$name"
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
