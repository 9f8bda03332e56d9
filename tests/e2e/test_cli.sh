#!/usr/bin/env bash
# End-to-end: drive the real entrain binary on the shipped reference data and compare
# with the original QUESTS implementation's numbers (tests/data/reference/reference.json),
# then feed it bad input and bad command lines. Usage: test_cli.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=${1:?usage: test_cli.sh ENTRAIN}
DATA=${ENTRAIN_TEST_DATA:?}/reference
CHECK="python3 $(dirname "$0")/npycheck.py"
. "$(dirname "$0")/lib.sh"
ref() { python3 -c "import json,sys; d=json.load(open('$DATA/reference.json'));
o=d
for k in sys.argv[1].split('/'): o=o[int(k)] if isinstance(o,list) else o[k]
print(repr(o))" "$1"; }

# --- descriptors against the reference (1e-9 absolute, x2 only on tie-safe rows)
for name in al_md_300K al_md_1500K molecules ch4 al_perfect; do
  "$ENTRAIN" descriptors "$DATA/data/$name.xyz" -o "$TMP/$name.npy" >/dev/null
  check "descriptors $name" $CHECK compare "$TMP/$name.npy" "$DATA/desc/${name}_k32_c5.npy" 1e-9 \
        "$DATA/desc/${name}_k32_c5.tie_safe.npy"
done
"$ENTRAIN" descriptors "$DATA/data/ch4.xyz" -o "$TMP/ch4.csv" >/dev/null
check "descriptors csv has 5 rows of 63 columns" \
  python3 -c "import csv,sys; r=list(csv.reader(open('$TMP/ch4.csv'))); sys.exit(not(len(r)==5 and all(len(x)==63 for x in r)))"

# --- entropy and diversity
# (al_perfect is left out: its x2 depends on how ties at the 32nd neighbour are broken,
#  which entrain does deterministically and the reference by quicksort internals)
for name in al_md_300K al_md_1500K molecules ch4; do
  "$ENTRAIN" entropy "$DATA/data/$name.xyz" --json >"$TMP/e.json"
  check "entropy $name" $CHECK json "$TMP/e.json" entropy "$(ref files/$name/entropy_h0.015/value)" 1e-9
  check "diversity $name" $CHECK json "$TMP/e.json" diversity "$(ref files/$name/diversity_h0.015/value)" 1e-9
done
"$ENTRAIN" entropy "$DATA/data/al_perfect.xyz" --json >"$TMP/e.json"
check "entropy of a perfect crystal is nearly 0 (reference 2.8e-5)" \
  python3 -c "import json,sys; d=json.load(open('$TMP/e.json')); sys.exit(not(0 <= d['entropy'] < 1e-4))"
"$ENTRAIN" entropy "$DATA/data/al_md_300K.xyz" -b 0.015,0.03 --json >"$TMP/e2.json"
check "entropy with two bandwidths: first equals single" \
  $CHECK json "$TMP/e2.json" entropy.0 "$(ref files/al_md_300K/entropy_h0.015/value)" 1e-9
check "entropy with two bandwidths: lists" \
  python3 -c "import json,sys; d=json.load(open('$TMP/e2.json')); sys.exit(not(len(d['entropy'])==2 and d['bandwidth']==[0.015,0.03] and d['n_envs']==2160 and d['k']==32))"
"$ENTRAIN" entropy "$DATA/data/al_md_300K.xyz" --threads 1 --json >"$TMP/e1.json"
check "entropy with 1 thread" $CHECK json "$TMP/e1.json" entropy "$(ref files/al_md_300K/entropy_h0.015/value)" 1e-9

# --- dH and overlap
"$ENTRAIN" dh "$DATA/data/al_md_1500K.xyz" "$DATA/data/al_md_300K.xyz" -o "$TMP/dh.npy" --json >"$TMP/dh.json"
check "dH npy vs reference" $CHECK compare "$TMP/dh.npy" "$DATA/arrays/dH_1500K_given_300K.npy" 1e-8
check "dH min" $CHECK json "$TMP/dh.json" min "$(ref delta_entropy/dH_1500K_given_300K/min)" 1e-9
check "dH max" $CHECK json "$TMP/dh.json" max "$(ref delta_entropy/dH_1500K_given_300K/max)" 1e-9
check "dH mean" $CHECK json "$TMP/dh.json" mean "$(ref delta_entropy/dH_1500K_given_300K/mean_finite)" 1e-9
check "dH n_inf and sizes" python3 -c "import json,sys; d=json.load(open('$TMP/dh.json')); sys.exit(not(d['n_inf']==0 and d['n_test']==2160 and d['n_reference']==2160))"
"$ENTRAIN" dh "$DATA/data/ch4.xyz" "$DATA/data/al_md_300K.xyz" --json >"$TMP/dhinf.json"
check "dH of CH4 against Al is +inf, encoded as \"inf\"" python3 -c "import json,sys; d=json.load(open('$TMP/dhinf.json')); sys.exit(not(d['n_inf']==5 and d['max']=='inf' and d['mean'] is None))"
"$ENTRAIN" dh "$DATA/data/molecules.xyz" "$DATA/data/molecules.xyz" -o "$TMP/dh.xyz" >/dev/null
check "dH xyz output has a per-atom dH column" grep -q 'Properties=species:S:1:pos:R:3:dH:R:1' "$TMP/dh.xyz"
check "dH xyz output keeps every frame" test "$(grep -c Properties "$TMP/dh.xyz")" -eq 5
"$ENTRAIN" overlap "$DATA/data/al_md_1500K.xyz" "$DATA/data/al_md_300K.xyz" --json >"$TMP/ov.json"
check "overlap 1500K in 300K" $CHECK json "$TMP/ov.json" overlap "$(ref overlap/1500K_in_300K)" 1e-12
"$ENTRAIN" overlap "$DATA/data/al_md_300K.xyz" "$DATA/data/al_md_300K.xyz" --eps 1e-5 --json >"$TMP/ov2.json"
check "overlap 300K in itself" $CHECK json "$TMP/ov2.json" overlap 1.0 0

# --- bandwidth
for i in 0 1 2 3 4 5 6 7; do
  v=$(ref get_bandwidth/volumes/$i)
  "$ENTRAIN" bandwidth "$v" --json >"$TMP/bw.json"
  check "bandwidth gaussian V=$v" $CHECK json "$TMP/bw.json" bandwidth "$(ref get_bandwidth/gaussian/$i)" 1e-12
  "$ENTRAIN" bandwidth "$v" --method cutoff --json >"$TMP/bw.json"
  check "bandwidth cutoff V=$v" $CHECK json "$TMP/bw.json" bandwidth "$(ref get_bandwidth/cutoff/$i)" 1e-12
done

# --- bad command lines: exit 2 with a message naming the option
PATTERN='-k' expect_exit 2 "k = 0 rejected" "$ENTRAIN" entropy "$DATA/data/ch4.xyz" -k 0
PATTERN='-c' expect_exit 2 "cutoff <= 0 rejected" "$ENTRAIN" entropy "$DATA/data/ch4.xyz" -c -1
PATTERN='-b' expect_exit 2 "h <= 0 rejected" "$ENTRAIN" entropy "$DATA/data/ch4.xyz" -b 0
PATTERN='-b' expect_exit 2 "h not a number rejected" "$ENTRAIN" entropy "$DATA/data/ch4.xyz" -b abc
PATTERN='--eps' expect_exit 2 "option of another command rejected" "$ENTRAIN" entropy "$DATA/data/ch4.xyz" --eps 1
PATTERN='unknown command' expect_exit 2 "unknown command" "$ENTRAIN" frobnicate
PATTERN='' expect_exit 0 "--help" "$ENTRAIN" entropy --help
PATTERN='need exactly TEST and REF' expect_exit 2 "dh needs two files" "$ENTRAIN" dh "$DATA/data/ch4.xyz"
PATTERN='method' expect_exit 2 "unknown bandwidth method" "$ENTRAIN" bandwidth 10 --method foo

# --- bad input files: exit 1 (data) or 3 (I/O), message names the file (and line)
PATTERN='nonexistent.xyz' expect_exit 3 "missing file" "$ENTRAIN" entropy "$TMP/nonexistent.xyz"
: >"$TMP/empty.xyz"
PATTERN='empty.xyz' expect_exit 1 "empty file" "$ENTRAIN" entropy "$TMP/empty.xyz"
head -n 50 "$DATA/data/al_md_300K.xyz" >"$TMP/truncated.xyz"
PATTERN='truncated.xyz:[0-9]+' expect_exit 1 "truncated frame" "$ENTRAIN" entropy "$TMP/truncated.xyz"
sed '3s/^Al\( *[^ ]*\)/Al nan/' "$DATA/data/al_md_300K.xyz" | head -n 110 >"$TMP/nan.xyz"
PATTERN='nan.xyz' expect_exit 1 "NaN coordinate" "$ENTRAIN" entropy "$TMP/nan.xyz"
sed '5s/$/ 7.0/' "$DATA/data/ch4.xyz" >"$TMP/cols.xyz"
PATTERN='cols.xyz:5' expect_exit 1 "wrong column count" "$ENTRAIN" entropy "$TMP/cols.xyz"
printf '2\nLattice="1 0 0 0 1 0 0 0 0" pbc="T T T"\nH 0 0 0\nH 0.5 0.5 0\n' >"$TMP/singular.xyz"
PATTERN='singular.xyz' expect_exit 1 "singular cell with pbc" "$ENTRAIN" entropy "$TMP/singular.xyz"

# --- piped output carries no terminal progress codes
"$ENTRAIN" entropy "$DATA/data/al_md_300K.xyz" 2>"$TMP/err" >/dev/null
check "quiet when piped" test ! -s "$TMP/err"

finish
