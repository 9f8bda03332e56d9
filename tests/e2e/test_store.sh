#!/usr/bin/env bash
# End-to-end: the campaign database through the real binary. Round trips file → database
# → file (exact), labels, de-duplication, database selectors in the analysis commands,
# SIGKILL in the middle of a large import (integrity + none-or-all), status in a loop
# during an import, a second writer refused, a dead writer taken over, and bad files:
# not a database, another application's, a newer schema, read-only, full disk.
# Usage: test_store.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=${1:?usage: test_store.sh ENTRAIN}
DATA=${ENTRAIN_TEST_DATA:?}/reference/data
TMP=$(mktemp -d)
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
  [ -n "${BG:-}" ] && kill -9 "$BG" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local name=$1; shift; if "$@" >"$TMP/out" 2>&1; then ok "$name"; else bad "$name"; cat "$TMP/out"; fi; }
# expect_exit CODE NAME CMD...: exit code and stderr pattern $PATTERN
expect_exit() {
  local code=$1 name=$2; shift 2
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"; local got=$?
  if [ "$got" -ne "$code" ]; then bad "$name: exit $got, want $code"; cat "$TMP/stderr"; return; fi
  if [ -n "${PATTERN:-}" ] && ! grep -qE -- "$PATTERN" "$TMP/stderr"; then
    bad "$name: stderr lacks /$PATTERN/"; cat "$TMP/stderr"; return
  fi
  ok "$name"
}
py() { python3 -c "$@"; }
count() { "$ENTRAIN" status "$1" --json | py "import json,sys; print(json.load(sys.stdin)['n_structures'])"; }
integrity() { py "import sqlite3,sys; c=sqlite3.connect('file:$1?mode=ro', uri=True); r=c.execute('pragma integrity_check').fetchall(); sys.exit(r != [('ok',)])"; }
# gen N ATOMS SEED OUT [labelled]: N distinct rattled fcc Al frames (extended XYZ)
gen() {
  python3 - "$@" <<'EOF'
import random, sys
n, atoms, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
labelled = len(sys.argv) > 5
rng = random.Random(seed)
c = round((atoms / 4) ** (1 / 3)); a = 4.05; L = c * a
base = [((i + x) * a, (j + y) * a, (k + z) * a) for i in range(c) for j in range(c) for k in range(c)
        for (x, y, z) in ((0, 0, 0), (.5, .5, 0), (.5, 0, .5), (0, .5, .5))]
with open(out, "w") as f:
    for t in range(n):
        props = "species:S:1:pos:R:3" + (":forces:R:3" if labelled else "")
        extra = f' energy={rng.uniform(-400, -390)!r} stress="{" ".join(repr(rng.gauss(0, 1)) for _ in range(9))}"' if labelled else ""
        f.write(f'{len(base)}\nLattice="{L} 0.0 0.0 0.0 {L} 0.0 0.0 0.0 {L}" Properties={props} step={t}{extra} pbc="T T T"\n')
        for (x, y, z) in base:
            p = (x + rng.gauss(0, .05), y + rng.gauss(0, .05), z + rng.gauss(0, .05))
            fl = (" %r %r %r" % (rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(0, 1))) if labelled else ""
            f.write("Al %r %r %r%s\n" % (p + (fl,)))
EOF
}

# --- init, import, export: exact round trip
DB=$TMP/c.db
check "init" "$ENTRAIN" init "$DB"
PATTERN='already exists' expect_exit 3 "init refuses an existing file" "$ENTRAIN" init "$DB"
check "import two files" "$ENTRAIN" import "$DB" "$DATA/al_md_300K.xyz" "$DATA/molecules.xyz" --tag seed
check "20 + 5 structures" test "$(count "$DB")" -eq 25
"$ENTRAIN" export "$DB" -o "$TMP/a.xyz" 2>/dev/null
"$ENTRAIN" init "$TMP/c2.db" >/dev/null && "$ENTRAIN" import "$TMP/c2.db" "$TMP/a.xyz" >/dev/null
"$ENTRAIN" export "$TMP/c2.db" -o "$TMP/b.xyz" 2>/dev/null
check "export → import → export is byte-identical" cmp "$TMP/a.xyz" "$TMP/b.xyz"
check "database → file → database: same structures (content hashes, order)" py "
import sqlite3
q = 'select hex(hash), n_atoms, species, hex(positions), hex(cell), pbc from structure order by id'
a = sqlite3.connect('$DB').execute(q).fetchall(); b = sqlite3.connect('$TMP/c2.db').execute(q).fetchall()
assert a == b and len(a) == 25"
cat "$DATA/al_md_300K.xyz" "$DATA/molecules.xyz" >"$TMP/orig.xyz"
check "export equals the original files value for value" py "
import sys
def frames(p):
    out = []; L = open(p).read().split('\n'); i = 0
    while i < len(L) and L[i].strip():
        n = int(L[i]); head = L[i + 1]; atoms = [l.split() for l in L[i + 2:i + 2 + n]]
        out.append((head, [(a[0], [float(v) for v in a[1:]]) for a in atoms])); i += n + 2
    return out
A, B = frames('$TMP/orig.xyz'), frames('$TMP/a.xyz')
assert len(A) == len(B) == 25
for (ha, xa), (hb, xb) in zip(A, B):
    assert xa == xb
    ka = dict(w.split('=', 1) for w in ha.replace('\" ', '\"|').split('|') if '=' in w)
    for w in ('md_step', 'emt_energy', 'temperature_K', 'name'):
        if w in ha: assert w in hb and ha.split(w + '=')[1].split()[0] == hb.split(w + '=')[1].split()[0], w
"
"$ENTRAIN" import "$DB" "$DATA/al_md_300K.xyz" --generation 1 --json >"$TMP/dup.json"
check "re-import: all duplicates, nothing added" py "import json; d=json.load(open('$TMP/dup.json')); assert d['added']==0 and d['duplicates']==20, d"
check "no empty generation 1 left" py "import json,subprocess; d=json.loads(subprocess.check_output(['$ENTRAIN','status','$DB','--json'])); assert [g['generation'] for g in d['generations']]==[0], d"

# --- labelled import
gen 6 32 1 "$TMP/lab.xyz" labelled
check "import --labelled" "$ENTRAIN" import "$DB" "$TMP/lab.xyz" --labelled --generation 1 --tag dft
"$ENTRAIN" export "$DB" --status labelled -o "$TMP/lab_out.xyz" 2>/dev/null
"$ENTRAIN" init "$TMP/lab.db" >/dev/null && "$ENTRAIN" import "$TMP/lab.db" "$TMP/lab_out.xyz" --labelled >/dev/null
"$ENTRAIN" export "$TMP/lab.db" -o "$TMP/lab_out2.xyz" 2>/dev/null
check "labelled export round trip is byte-identical" cmp "$TMP/lab_out.xyz" "$TMP/lab_out2.xyz"
check "labelled export keeps energy, forces, stress values" py "
import re
A = open('$TMP/lab.xyz').read().split('\n'); B = open('$TMP/lab_out.xyz').read().split('\n')
assert len(A) == len(B)
for a, b in zip(A, B):
    if 'energy=' in a:
        assert float(re.search(r'energy=(\S+)', a)[1]) == float(re.search(r'energy=(\S+)', b)[1])
        sa = re.search(r'stress=\"([^\"]+)\"', a)[1].split(); sb = re.search(r'stress=\"([^\"]+)\"', b)[1].split()
        assert [float(x) for x in sa] == [float(x) for x in sb]
    elif a.startswith('Al'):
        assert [float(x) for x in a.split()[1:]] == [float(x) for x in b.split()[1:]]
"
"$ENTRAIN" audit "$DB" 26 --json >"$TMP/audit.json"
check "audit of a labelled structure" py "import json; d=json.load(open('$TMP/audit.json')); assert d['origin']=='imported' and d['status']=='labelled' and d['label']['validation']=='ok' and d['tag']=='dft' and d['import']['frame']==0 and d['descriptors'][0]['k']==32, d"
check "audit text" "$ENTRAIN" audit "$DB" 1
PATTERN='no structure with id 999' expect_exit 2 "audit of a missing id" "$ENTRAIN" audit "$DB" 999
PATTERN="energy" expect_exit 1 "--labelled without energy is an error" "$ENTRAIN" import "$DB" "$DATA/ch4.xyz" --labelled
check "... and nothing of it was kept" test "$(count "$DB")" -eq 31
check "export --generation 1 --tag dft" "$ENTRAIN" export "$DB" --generation 1 --tag dft -o "$TMP/g1.xyz"
check "... 6 frames" test "$(grep -c Lattice "$TMP/g1.xyz")" -eq 6

# --- database selectors in the analysis commands (stored descriptors are read)
"$ENTRAIN" entropy "$DATA/al_md_300K.xyz" --json >"$TMP/e_file.json"
"$ENTRAIN" entropy "$DB:tag=seed,generation=0" "$DATA/molecules.xyz" --json >/dev/null
"$ENTRAIN" init "$TMP/only300.db" >/dev/null; "$ENTRAIN" import "$TMP/only300.db" "$DATA/al_md_300K.xyz" >/dev/null
"$ENTRAIN" entropy "$TMP/only300.db" --json >"$TMP/e_db.json"
check "entropy of DB equals entropy of the file" py "import json; a=json.load(open('$TMP/e_file.json')); b=json.load(open('$TMP/e_db.json')); assert a['entropy']==b['entropy'] and a['n_envs']==b['n_envs'], (a,b)"
"$ENTRAIN" entropy "$TMP/only300.db:all" -k 16 --json >"$TMP/e_db16.json"
"$ENTRAIN" entropy "$DATA/al_md_300K.xyz" -k 16 --json >"$TMP/e_file16.json"
check "other k: computed from stored structures, same result" py "import json; a=json.load(open('$TMP/e_file16.json')); b=json.load(open('$TMP/e_db16.json')); assert a['entropy']==b['entropy'], (a,b)"
"$ENTRAIN" dh "$DATA/al_md_1500K.xyz" "$DATA/al_md_300K.xyz" --json >"$TMP/dh_file.json"
"$ENTRAIN" init "$TMP/dh.db" >/dev/null
"$ENTRAIN" import "$TMP/dh.db" "$DATA/al_md_300K.xyz" --labelled 2>/dev/null  # no energies: refused
"$ENTRAIN" import "$TMP/dh.db" "$DATA/al_md_300K.xyz" >/dev/null
"$ENTRAIN" import "$TMP/dh.db" "$DATA/al_md_1500K.xyz" --generation 1 >/dev/null
"$ENTRAIN" dh "$TMP/dh.db:generation=1" "$TMP/dh.db:generation=0" --json >"$TMP/dh_db.json"
check "dh DB:generation=1 against DB:generation=0 equals dh of the files" py "import json; a=json.load(open('$TMP/dh_file.json')); b=json.load(open('$TMP/dh_db.json')); assert all(a[k]==b[k] for k in ('min','mean','max','n_test','n_reference')), (a,b)"
check "compress accepts a database" "$ENTRAIN" compress "$TMP/dh.db:generation=0" --method fps --size 5 --json
PATTERN='unknown database selector' expect_exit 2 "bad selector" "$ENTRAIN" entropy "$TMP/dh.db:colour=red"
PATTERN='no atoms found' expect_exit 1 "DB:labelled with nothing labelled: empty input" "$ENTRAIN" entropy "$TMP/dh.db:labelled"

# --- crash safety: SIGKILL in the middle of a large import
gen 5000 32 7 "$TMP/big.xyz"
before=$(count "$DB")
"$ENTRAIN" import "$DB" "$TMP/big.xyz" --threads 1 >/dev/null 2>"$TMP/big.err" & BG=$!
for _ in $(seq 200); do  # wait until the import has committed some batches
  n=$(py "import sqlite3; c=sqlite3.connect('file:$DB?mode=ro', uri=True); print(c.execute(\"select count(*) from structure s join import i on i.id=s.import_id where i.state='running'\").fetchone()[0])" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1000 ] && break
  sleep 0.1
done
kill -9 "$BG"; wait "$BG" 2>/dev/null; BG=
check "killed mid-import (had written $n invisible structures)" test "${n:-0}" -ge 1000
check "integrity_check after SIGKILL" integrity "$DB"
check "none of the killed import is visible" test "$(count "$DB")" -eq "$before"
"$ENTRAIN" status "$DB" >"$TMP/st.txt"
check "status reports the unfinished import" grep -q "1 import in progress" "$TMP/st.txt"
check "status says the dead writer is gone" grep -q "that process is gone" "$TMP/st.txt"
PATTERN='took over' expect_exit 0 "next writer takes over from the dead one" "$ENTRAIN" import "$DB" "$DATA/ch4.xyz" --generation 2
check "leftover rows removed" py "import sqlite3,sys; c=sqlite3.connect('$DB'); sys.exit(c.execute(\"select count(*) from import where state='running'\").fetchone()[0] != 0 or c.execute('select count(*) from structure').fetchone()[0] != $(count "$DB"))"
check "integrity_check after cleanup" integrity "$DB"

# --- concurrency: status in a loop during an import; a second writer is refused
gen 6000 32 8 "$TMP/mid.xyz"
before=$(count "$DB")
"$ENTRAIN" import "$DB" "$TMP/mid.xyz" --threads 1 >/dev/null 2>&1 & BG=$!
sleep 0.2
PATTERN="is being driven by pid $BG on host .* since [0-9T:Z-]+" expect_exit 3 "second writer refused, holder named" \
  "$ENTRAIN" import "$DB" "$DATA/ch4.xyz"
loops=0 status_fail=0
while kill -0 "$BG" 2>/dev/null; do
  if ! "$ENTRAIN" status "$DB" --json >"$TMP/s.json" 2>"$TMP/s.err"; then status_fail=$((status_fail + 1)); cat "$TMP/s.err"; fi
  grep -qi locked "$TMP/s.err" && status_fail=$((status_fail + 1))
  c=$(py "import json; print(json.load(open('$TMP/s.json'))['n_structures'])" 2>/dev/null || echo -1)
  [ "$c" -eq "$before" ] || [ "$c" -eq $((before + 6000)) ] || { echo "saw $c structures"; status_fail=$((status_fail + 1)); }
  loops=$((loops + 1))
done
wait "$BG"; rc=$?; BG=
check "import finished normally (exit $rc)" test "$rc" -eq 0
check "status ran $loops times during the import, never failed nor showed part of it" test "$status_fail" -eq 0 -a "$loops" -ge 3
check "all of it afterwards" test "$(count "$DB")" -eq $((before + 6000))

# --- stale lock left by a dead process on this host
sleep 0 & dead=$!; wait $dead
py "import sqlite3,socket; c=sqlite3.connect('$TMP/c2.db'); c.execute(\"insert into writer_lock(id,pid,pid_start,host,since,heartbeat,command) values(1,$dead,0,?,'2026-01-01T00:00:00Z','2026-01-01T00:00:00Z','import')\", (socket.gethostname(),)); c.commit()"
PATTERN="took over .* from pid $dead" expect_exit 0 "stale writer lock taken over" "$ENTRAIN" import "$TMP/c2.db" "$DATA/ch4.xyz"

# --- bad files: clear errors, data intact
printf 'just text, not a database at all\n' >"$TMP/text.db"
PATTERN='text.db: not an entrain campaign database' expect_exit 1 "not a database" "$ENTRAIN" status "$TMP/text.db"
PATTERN='no such file.*entrain init' expect_exit 3 "missing database" "$ENTRAIN" status "$TMP/nope.db"
py "import sqlite3; c=sqlite3.connect('$TMP/other.db'); c.execute('create table t(x)'); c.commit()"
PATTERN='other.db: an SQLite database of another application' expect_exit 1 "another application's database" "$ENTRAIN" import "$TMP/other.db" "$DATA/ch4.xyz"
cp "$TMP/c2.db" "$TMP/newer.db"
py "import sqlite3; c=sqlite3.connect('$TMP/newer.db'); c.execute('pragma user_version=99'); c.commit()"
PATTERN='newer.db: schema version 99 is newer than this entrain' expect_exit 1 "newer schema" "$ENTRAIN" status "$TMP/newer.db"
n2=$(count "$TMP/c2.db")
# Root ignores file permissions: a read-only file system (a small tmpfs remounted ro) is
# the honest test then; without mount rights a non-root user gets a chmod 444 file.
# ENTRAIN_TEST_NO_MOUNT=1 forces the fallbacks.
can_mount() { [ "$(id -u)" = 0 ] && [ "${ENTRAIN_TEST_NO_MOUNT:-0}" != 1 ] && mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null; }
if can_mount "$TMP/ro" 64m; then
  MOUNTS+=("$TMP/ro")
  cp "$TMP/c2.db" "$TMP/ro/c.db" && mount -o remount,ro "$TMP/ro"
  PATTERN='c.db: cannot write: the file or its directory is read-only' expect_exit 3 "read-only file system: writer refused" \
    "$ENTRAIN" import "$TMP/ro/c.db" "$DATA/ch4.xyz"
  check "read-only file system: status still works" test "$(count "$TMP/ro/c.db")" -eq "$n2"
  check "read-only file system: export still works" "$ENTRAIN" export "$TMP/ro/c.db" -o "$TMP/ro_export.xyz"
elif [ "$(id -u)" != 0 ]; then
  mkdir "$TMP/rodir" && cp "$TMP/c2.db" "$TMP/rodir/c.db" && chmod 444 "$TMP/rodir/c.db" && chmod 555 "$TMP/rodir"
  PATTERN='read-only' expect_exit 3 "read-only file: writer refused" "$ENTRAIN" import "$TMP/rodir/c.db" "$DATA/ch4.xyz"
  check "read-only file: status still works" test "$(count "$TMP/rodir/c.db")" -eq "$n2"
  chmod 755 "$TMP/rodir"
else
  echo "skip read-only file test: running as root without mount rights"
fi
gen 200 108 9 "$TMP/fill.xyz"
if can_mount "$TMP/full" 3m; then
  MOUNTS+=("$TMP/full")
  "$ENTRAIN" init "$TMP/full/c.db" >/dev/null && "$ENTRAIN" import "$TMP/full/c.db" "$DATA/molecules.xyz" >/dev/null
  PATTERN='disk full.*nothing of this import was kept' expect_exit 3 "full disk (3 MB tmpfs): clear error" \
    "$ENTRAIN" import "$TMP/full/c.db" "$TMP/fill.xyz"
  check "full disk: earlier data intact" test "$(count "$TMP/full/c.db")" -eq 5
  check "full disk: integrity_check" integrity "$TMP/full/c.db"
else
  "$ENTRAIN" init "$TMP/full.db" >/dev/null && "$ENTRAIN" import "$TMP/full.db" "$DATA/molecules.xyz" >/dev/null
  PATTERN='full.db: .*nothing of this import was kept' expect_exit 3 "size-limited file: clear error" \
    bash -c "trap '' XFSZ; ulimit -f 3072; exec '$ENTRAIN' import '$TMP/full.db' '$TMP/fill.xyz'"
  check "size-limited file: earlier data intact" test "$(count "$TMP/full.db")" -eq 5
  check "size-limited file: integrity_check" integrity "$TMP/full.db"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
