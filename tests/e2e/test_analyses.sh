#!/usr/bin/env bash
# End-to-end: data-set analyses (compress, learning-curve, sampled entropy, dh-traj) of the
# real binary on the shipped reference data. Usage: test_analyses.sh PATH/TO/entrain
set -uo pipefail
ENTRAIN=${1:?usage: test_analyses.sh ENTRAIN}
DATA=${ENTRAIN_TEST_DATA:?}/reference
CHECK="python3 $(dirname "$0")/npycheck.py"
. "$(dirname "$0")/lib.sh"
# py EXPR: evaluate a Python expression with d = JSON of $TMP/j.json and r = reference.json
py() { python3 -c "import json,sys; d=json.load(open('$TMP/j.json')); r=json.load(open('$DATA/reference.json')); sys.exit(0 if ($1) else 1)"; }
AL300=$DATA/data/al_md_300K.xyz
AL1500=$DATA/data/al_md_1500K.xyz

# --- compression: exact reference indices and summaries
"$ENTRAIN" compress "$AL300" "$AL1500" --method msc --size 0.5 --json >"$TMP/j.json"
check "msc indices = reference" py "d['indices'] == r['compression_al_md']['msc_indices']"
check "msc summary" py "all(abs(d['summary'][k]-r['compression_al_md']['summary_msc'][k]) <= 1e-9*abs(r['compression_al_md']['summary_msc'][k]) for k in ('entropy','diversity','overlap','original_size','compressed_size','original_envs','compressed_envs'))"
"$ENTRAIN" compress "$AL300" "$AL1500" --method fps --size 20 --json -o "$TMP/fps.xyz" >"$TMP/j.json"
check "fps indices = reference" py "d['indices'] == r['compression_al_md']['fps_indices']"
check "fps summary" py "all(abs(d['summary'][k]-r['compression_al_md']['summary_fps'][k]) <= 1e-9*abs(r['compression_al_md']['summary_fps'][k]) for k in ('entropy','diversity','overlap'))"
check "fps writes 20 frames" test "$(grep -c Properties "$TMP/fps.xyz")" -eq 20
"$ENTRAIN" compress "$AL1500" --reference "$AL300" --method msc_conditional --size 5 --json >"$TMP/j.json"
check "msc_conditional indices = reference" py "d['indices'] == r['compression_al_md']['msc_conditional_1500K_given_300K_size5']"
"$ENTRAIN" compress "$AL300" "$AL1500" --method random --size 10 --seed 3 --json >"$TMP/j.json"
cp "$TMP/j.json" "$TMP/r1.json"
"$ENTRAIN" compress "$AL300" "$AL1500" --method random --size 10 --seed 3 --threads 1 --json >"$TMP/j.json"
check "random is reproducible" cmp "$TMP/j.json" "$TMP/r1.json"
"$ENTRAIN" compress "$AL300" "$AL1500" --method kmeans --size 4 --seed 1 --json >"$TMP/j.json"
check "kmeans keeps 4 distinct structures" py "len(set(d['indices'])) == 4"
"$ENTRAIN" compress "$AL300" "$AL1500" --method mean_fps --size 0.25 --json >"$TMP/j.json"
check "mean_fps keeps 10 structures" py "len(d['indices']) == 10 and d['indices'][0] == 38"
"$ENTRAIN" compress "$AL300" "$AL1500" --method msc --size optimal --json >"$TMP/j.json"
check "optimal size is within [floor, all]" py "4 <= d['summary']['compressed_size'] <= 40"
PATTERN='--size' expect_exit 2 "size 0 rejected" "$ENTRAIN" compress "$AL300" --size 0
PATTERN='only 20' expect_exit 2 "size above N rejected" "$ENTRAIN" compress "$AL300" --size 21
PATTERN='above 1' expect_exit 2 "fraction above 1 rejected" "$ENTRAIN" compress "$AL300" --size 1.5
PATTERN='unknown method' expect_exit 2 "unknown method" "$ENTRAIN" compress "$AL300" --size 5 --method nope
PATTERN='needs --reference' expect_exit 2 "msc_conditional without reference" "$ENTRAIN" compress "$AL300" --size 5 --method msc_conditional
: >"$TMP/empty.xyz"
PATTERN='empty.xyz' expect_exit 1 "empty reference file" "$ENTRAIN" compress "$AL300" --size 5 --method msc_conditional --reference "$TMP/empty.xyz"

# --- learning curve and sampled entropy
"$ENTRAIN" learning-curve "$AL300" "$AL1500" -f 0.05,0.1,0.2,0.3,0.5,0.7,1.0 -n 3 --seed 2 --json >"$TMP/j.json"
check "learning curve: points, fit and gap" py "len(d['points']) == 7 and d['fit'] is not None and d['h_infinity'] >= d['points'][-1]['entropy_mean'] - 1 and all(p['entropy_mean'] <= __import__('math').log(p['n_envs']) + 1e-9 for p in d['points'])"
cp "$TMP/j.json" "$TMP/lc1.json"
"$ENTRAIN" learning-curve "$AL300" "$AL1500" -f 0.05,0.1,0.2,0.3,0.5,0.7,1.0 -n 3 --seed 2 --threads 1 --json >"$TMP/j.json"
check "learning curve independent of threads" py "all(abs(a['entropy_mean']-b['entropy_mean']) <= 1e-12*b['entropy_mean'] for a,b in zip(d['points'], json.load(open('$TMP/lc1.json'))['points']))"
"$ENTRAIN" entropy "$AL1500" --sample 2160 --runs 2 --json >"$TMP/j.json"
check "sampled entropy of the whole set equals the exact entropy" py "abs(d['entropy'] - r['files']['al_md_1500K']['entropy_h0.015']['value']) <= 1e-9 * d['entropy'] and d['entropy_std'] < 1e-9"
"$ENTRAIN" entropy "$AL1500" --sample 500 --runs 4 --seed 1 --json >"$TMP/j.json"
check "sampled entropy below ln(sample)" py "0 < d['entropy'] <= __import__('math').log(500) and d['runs'] == 4"

# --- dH along a trajectory
"$ENTRAIN" dh-traj "$AL1500" --against first -o "$TMP/traj.xyz"
check "dh-traj xyz: 20 frames with dH" test "$(grep -c 'dH:R:1' "$TMP/traj.xyz")" -eq 20
"$ENTRAIN" dh-traj "$AL300" --against previous --json >"$TMP/j.json"
check "dh-traj previous: first frame inf, later finite" py "d['frames'][0]['n_inf'] == 108 and d['frames'][1]['n_inf'] == 0 and len(d['frames']) == 20"
"$ENTRAIN" dh-traj "$AL300" --against self -o "$TMP/traj.json" >/dev/null
check "dh-traj self: dH <= 0 (self term)" python3 -c "import json,sys; d=json.load(open('$TMP/traj.json')); sys.exit(not all(v <= 1e-12 for f in d['frames'] for v in f['dH']))"
# dH of frame 1 against frame 0 equals 'dh' of the two frames as files
head -n 110 "$AL300" >"$TMP/f0.xyz"; sed -n 111,220p "$AL300" >"$TMP/f1.xyz"
"$ENTRAIN" dh "$TMP/f1.xyz" "$TMP/f0.xyz" --json >"$TMP/j.json"
cp "$TMP/j.json" "$TMP/dh01.json"
"$ENTRAIN" dh-traj "$AL300" --against first --json >"$TMP/j.json"
check "dh-traj frame 1 = dh of frame 1 against frame 0" py "abs(d['frames'][1]['max'] - json.load(open('$TMP/dh01.json'))['max']) <= 1e-12 * abs(d['frames'][1]['max'])"
PATTERN='against' expect_exit 2 "bad --against" "$ENTRAIN" dh-traj "$AL300" --against last

# --- approximate dH from a reusable index, within its certified bound
"$ENTRAIN" dh "$AL1500" "$AL300" -o "$TMP/exact.npy" >/dev/null
"$ENTRAIN" dh "$AL1500" "$AL300" --approx --rel-error 1e-2 --index "$TMP/ix.bin" -o "$TMP/approx.npy" --json >"$TMP/j.json"
check "approx dH: index built and saved" py "d['approx']['index_reused'] == False and d['approx']['max_missed_mass'] <= 1e-2"
check "approx dH within [exact, exact - ln(1-eps)]" python3 -c "
import sys; sys.path.insert(0, '$(dirname "$0")'); import npycheck, math
_, a = npycheck.load_npy('$TMP/approx.npy'); _, e = npycheck.load_npy('$TMP/exact.npy')
b = -math.log(1 - 1e-2)
sys.exit(not all(x - 1e-9 <= y <= x + b + 1e-9 for x, y in zip(e, a)))"
"$ENTRAIN" dh "$AL1500" "$AL300" --approx --rel-error 0 --index "$TMP/ix.bin" -o "$TMP/approx0.npy" --json >"$TMP/j.json"
check "approx dH: index reused" py "d['approx']['index_reused'] == True"
check "approx dH with rel-error 0 is exact" $CHECK compare "$TMP/approx0.npy" "$TMP/exact.npy" 1e-9
printf 'garbage' >"$TMP/bad.bin"
PATTERN='bad.bin' expect_exit 1 "corrupt index file" "$ENTRAIN" dh "$AL1500" "$AL300" --approx --index "$TMP/bad.bin"

# --- campaign databases are inputs too, also where frames are written back out
"$ENTRAIN" init "$TMP/c.db" >/dev/null && "$ENTRAIN" import "$TMP/c.db" "$AL300" >/dev/null
"$ENTRAIN" compress "$TMP/c.db" --size 5 -o "$TMP/cdb.xyz" --json >"$TMP/j.json"
"$ENTRAIN" compress "$AL300" --size 5 --json >"$TMP/jf.json"
check "compress of a database = compress of its file" py "d['indices'] == json.load(open('$TMP/jf.json'))['indices']"
check "compress -o from a database writes 5 frames" test "$(grep -c Properties "$TMP/cdb.xyz")" -eq 5
"$ENTRAIN" dh "$TMP/c.db:all" "$AL1500" -o "$TMP/dhdb.xyz" >/dev/null
check "dh -o xyz from a database" test "$(grep -c 'dH:R:1' "$TMP/dhdb.xyz")" -eq 20

# --- dH-targeted Monte Carlo
"$ENTRAIN" mcmc "$AL300" --steps 150 --target 3 --seed 5 --every 10 -o "$TMP/mc.xyz" --json >"$TMP/j.json"
check "mcmc approaches its target" py "abs(d['final_mean_dH'] - 3) < 0.5 and d['start_mean_dH'] < 0 and d['frames_written'] == 16"
check "mcmc frames carry dH" test "$(grep -c 'dH:R:1' "$TMP/mc.xyz")" -eq 16
cp "$TMP/j.json" "$TMP/mc1.json"
"$ENTRAIN" mcmc "$AL300" --steps 150 --target 3 --seed 5 --every 10 --threads 1 --json >"$TMP/j.json"
check "mcmc reproducible across thread counts" py "d['final_mean_dH'] == json.load(open('$TMP/mc1.json'))['final_mean_dH']"
PATTERN='--start' expect_exit 2 "mcmc start beyond the file" "$ENTRAIN" mcmc "$AL300" --start 20

finish
