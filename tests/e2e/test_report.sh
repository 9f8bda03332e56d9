#!/usr/bin/env bash
# End-to-end: `entrain report` in a real headless Chromium (Debian's package). Databases
# made by `entrain init` + `entrain import` (one and two generations; no metrics: those
# sections say "no data yet"), the store-API campaigns of test_report
# (ENTRAIN_REPORT_WRITE_FIXTURE: 6 generations, job timestamps then spread with python3's
# sqlite3 so wall times are not all zero; and 200 generations) and, when the
# engine is built, the toy campaign run by `entrain run`. Each page must load with no
# script error (the page counts them into <html data-errors>) and no "Uncaught" on
# Chromium's log, and every plot must be in the DOM with the right number of points
# (data-points). The screenshot of the store-API campaign is kept as report_e2e.png next
# to the binary (or in $ENTRAIN_REPORT_SCREENSHOT_DIR). Without Chromium the test skips.
# Usage: test_report.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=${1:?usage: test_report.sh ENTRAIN}
DATA=${ENTRAIN_TEST_DATA:?}/reference/data
SRC=${ENTRAIN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN_DIR=$(cd "$(dirname "$ENTRAIN")" && pwd)
SHOT_DIR=${ENTRAIN_REPORT_SCREENSHOT_DIR:-$BIN_DIR}
source "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium not installed (scripts/setup.sh installs Debian's chromium)"
  exit 0
fi

# Headless as root on a closed network (see the machine notes): no sandbox, no GPU, no
# background connections, a fresh profile each time.
chrome() {
  local profile
  profile=$(mktemp -d "$TMP/profile.XXXXXX")
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

# dom_check NAME HTML EXPECT: load HTML, dump the DOM, compare plot point counts.
# EXPECT: "plot=N ..." pairs; N = -1 means "absent"; "nodata=K" needs at least K
# "no data yet" notes.
dom_check() {
  local name=$1 html=$2 expect=$3
  if ! chrome --dump-dom "file://$html" >"$TMP/$name.dom" 2>"$TMP/$name.log"; then
    bad "$name: chromium failed"; tail -5 "$TMP/$name.log"; return
  fi
  if grep -E "Uncaught|CONSOLE.*(Error|error)" "$TMP/$name.log"; then
    bad "$name: console errors"; return
  fi
  ok "$name: loads without console errors"
  python3 - "$TMP/$name.dom" "$expect" <<'EOF' && ok "$name: plots and points" || bad "$name: plots and points"
import sys
from html.parser import HTMLParser
dom, expect = open(sys.argv[1]).read(), sys.argv[2].split()
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.plots, self.errors, self.series, self.nodata = {}, None, {}, 0
        self.svgs = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.errors = a.get("data-errors")
        if "data-plot" in a:
            self.plots[a["data-plot"]] = int(a["data-points"])
        if tag == "svg":
            self.svgs += 1
    def handle_data(self, data):
        self.nodata += data.count("no data yet")
p = P(); p.feed(dom)
bad = []
if p.errors != "0":
    bad.append("data-errors=%r (script errors on the page, or the script did not run)" % p.errors)
for e in expect:
    k, v = e.split("=")
    if k == "nodata":
        if p.nodata < int(v): bad.append("%d 'no data yet' notes, want >= %s" % (p.nodata, v))
        continue
    got = p.plots.get(k, -1)
    if got != int(v): bad.append("%s: %d points, want %s" % (k, got, v))
for b in bad: print("  ", b)
print("   %d svg plots, %d notes 'no data yet', data-errors=%s" % (p.svgs, p.nodata, p.errors))
sys.exit(1 if bad else 0)
EOF
}

# ---- 1. A database made by the real binary: imports only ----
DB1=$TMP/imports.db
check "init" "$ENTRAIN" init "$DB1"
check "import generation 0" "$ENTRAIN" import "$DB1" "$DATA/al_md_300K.xyz" --generation 0 --tag md300 -k 8
check "import generation 1" "$ENTRAIN" import "$DB1" "$DATA/al_md_1500K.xyz" --generation 1 --tag md1500 -k 8
check "report of imports" "$ENTRAIN" report "$DB1" -o "$TMP/imports.html"
# No metrics, jobs or scores: only the structure counts (2 generations) are plotted.
dom_check imports "$TMP/imports.html" "counts=2 entropy=0 novelty=0 dh=0 jobs=0 walltime=0 nodata=6"
"$ENTRAIN" report "$DB1" --json >"$TMP/imports.json" 2>&1
check "json of imports matches status" python3 - "$TMP/imports.json" "$ENTRAIN" "$DB1" <<'EOF'
import json, subprocess, sys
r = json.load(open(sys.argv[1]))
s = json.loads(subprocess.check_output([sys.argv[2], "status", sys.argv[3], "--json"]))
assert [g["generation"] for g in r["generations"]] == [g["generation"] for g in s["generations"]]
for a, b in zip(r["generations"], s["generations"]):
    assert a["structures"] == b["structures"], (a["structures"], b["structures"])
    assert a["environments"] == b["environments"]
    assert a["metric"] is None
assert r["campaign"] is None and r["jobs"] == [] and r["events"] == []
EOF
# One generation only: one bar, one x tick.
DB0=$TMP/one.db
check "init one" "$ENTRAIN" init "$DB0"
check "import one generation" "$ENTRAIN" import "$DB0" "$DATA/molecules.xyz" -k 8
check "report of one generation" "$ENTRAIN" report "$DB0" -o "$TMP/one.html"
dom_check one "$TMP/one.html" "counts=1 entropy=0 nodata=6"
PATTERN="wrong number of arguments" expect_exit 2 "report without DB" "$ENTRAIN" report
PATTERN="." expect_exit 3 "report of a missing file" "$ENTRAIN" report "$TMP/missing.db"

# ---- 2. The store-API campaign of the unit test ----
FIXTURE_BIN=$BIN_DIR/test_report
if [ -x "$FIXTURE_BIN" ]; then
  DB2=$TMP/campaign.db
  check "fixture campaign" env ENTRAIN_REPORT_WRITE_FIXTURE="$DB2" "$FIXTURE_BIN"
  # Spread job start/finish times (the fixture's jobs run in no time at all).
  check "job wall times" python3 - "$DB2" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("""UPDATE job SET started = '2026-11-22T01:00:00Z',
  finished = strftime('%Y-%m-%dT%H:%M:%SZ', '2026-11-22T01:00:00',
    '+' || (id * 7 % 50 + generation * 10 + (kind = 'train') * 60) || ' seconds')""")
c.commit()
EOF
  check "report of the campaign" "$ENTRAIN" report "$DB2" -o "$TMP/campaign.html"
  # 6 generations (0-5): H, D, ln(n) each; novelty from 1; 6 count bars; jobs in 1-5;
  # 6 candidates scored in each of generations 1-5.
  dom_check campaign "$TMP/campaign.html" \
    "entropy=18 novelty=5 counts=6 jobs=5 walltime=15 dh-g1=6 dh-g2=6 dh-g3=6 dh-g4=6 dh-g5=6"
  # 200 generations: 600 entropy points, no markers; only the latest 24 histograms.
  DB3=$TMP/many.db
  check "fixture of 200 generations" env ENTRAIN_REPORT_WRITE_FIXTURE="$DB3" ENTRAIN_REPORT_FIXTURE_MANY=1 "$FIXTURE_BIN"
  check "report of 200 generations" "$ENTRAIN" report "$DB3" -o "$TMP/many.html"
  dom_check many "$TMP/many.html" "entropy=600 novelty=200 counts=1 dh-g175=-1 dh-g176=5 dh-g199=5"
  if grep -q "<circle" "$TMP/many.html"; then bad "200 generations: no point markers"; else ok "200 generations: no point markers"; fi
  if grep -q "<script>alert" "$TMP/campaign.html"; then bad "campaign text escaped"; else ok "campaign text escaped"; fi
  if grep -qE "(src|href)=\"(https?:)?//" "$TMP/campaign.html"; then bad "self-contained"; else ok "self-contained (no external references)"; fi
  if chrome --screenshot="$TMP/campaign.png" --window-size=1200,2600 "file://$TMP/campaign.html" >"$TMP/shot.log" 2>&1 &&
    [ -s "$TMP/campaign.png" ]; then
    cp "$TMP/campaign.png" "$SHOT_DIR/report_e2e.png" && ok "screenshot $SHOT_DIR/report_e2e.png"
  else
    bad "screenshot"; tail -5 "$TMP/shot.log"
  fi
else
  echo "note: $FIXTURE_BIN not built (ENTRAIN_TESTS=OFF?): store-API campaign skipped"
fi

# ---- 3. A campaign run by the engine (the toy example), when `entrain run` exists ----
if "$ENTRAIN" run --help >/dev/null 2>&1 && [ -f "$SRC/examples/toy/campaign.lua" ]; then
  cp -r "$SRC/examples/toy" "$TMP/toy"
  rm -rf "$TMP/toy/toy.db" "$TMP/toy/toy.db.jobs"
  check "entrain run (toy)" "$ENTRAIN" run "$TMP/toy/campaign.lua" --quiet
  check "report of the toy run" "$ENTRAIN" report "$TMP/toy/toy.db" -o "$TMP/toy.html"
  # Expected counts from the database itself (status --json and report --json).
  expect=$("$ENTRAIN" report "$TMP/toy/toy.db" --json | python3 -c '
import json, math, sys
r = json.load(sys.stdin)
g = r["generations"]
num = lambda v: isinstance(v, (int, float))
e = sum(num(x["metric"][k]) for x in g if x["metric"] for k in ("entropy", "diversity", "max_entropy"))
nov = sum(1 for x in g if x["metric"] and num(x["metric"]["novelty"]))
cnt = sum(1 for x in g if sum(x["structures"].values()) > 0)
jobs = sum(1 for x in g if sum(x["jobs"].values()) > 0)
parts = ["entropy=%d" % e, "novelty=%d" % nov, "counts=%d" % cnt, "jobs=%d" % jobs]
parts += ["dh-g%d=%d" % (x["generation"], sum(1 for s in x["scores"] if s["dh_mean"] != "inf" and s["dh_mean"] is not None)) for x in g if x["scores"]]
print(" ".join(parts))')
  echo "   expected from --json: $expect"
  dom_check toy "$TMP/toy.html" "$expect"
else
  echo "note: 'entrain run' or examples/toy missing: engine campaign skipped"
fi

finish
