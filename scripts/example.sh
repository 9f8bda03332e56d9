#!/usr/bin/env bash
# The main job: install, build, run the example active-learning campaign (examples/toy:
# rattle exploration and Lennard-Jones labels, Python 3 standard-library scripts, 3
# generations), show its status and write its report; then run the QUESTS analyses on
# the shipped aluminium MD data (300 K and 1500 K, 20 frames x 108 atoms each).
# Results go to example-output/ and examples/toy/toy.db.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target entrain
E=./build/entrain
D=examples/data
OUT=example-output
mkdir -p "$OUT"
rm -rf examples/toy/toy.db examples/toy/toy.db-wal examples/toy/toy.db-shm examples/toy/toy.db.jobs
set -x
$E run examples/toy/campaign.lua
$E status examples/toy/toy.db
$E report examples/toy/toy.db -o $OUT/toy_report.html
$E bandwidth 16.6
$E entropy $D/al_md_300K.xyz
$E entropy $D/al_md_1500K.xyz -b 0.015,0.03,0.06
$E entropy $D/al_md_300K.xyz $D/al_md_1500K.xyz --json
$E dh $D/al_md_1500K.xyz $D/al_md_300K.xyz -o $OUT/dH_1500K_vs_300K.xyz --json
$E overlap $D/al_md_1500K.xyz $D/al_md_300K.xyz
$E descriptors $D/al_md_300K.xyz -o $OUT/descriptors_300K.npy
$E compress $D/al_md_300K.xyz $D/al_md_1500K.xyz --method msc --size 0.5 -o $OUT/compressed.xyz
$E learning-curve $D/al_md_300K.xyz $D/al_md_1500K.xyz -n 3
$E dh-traj $D/al_md_1500K.xyz --against first -o $OUT/dh_traj_1500K.xyz
$E dh $D/al_md_1500K.xyz $D/al_md_300K.xyz --approx --index $OUT/al_300K.index --json
$E mcmc $D/al_md_300K.xyz --steps 100 --target 2 --seed 1 -o $OUT/mcmc.xyz
rm -f $OUT/campaign.db
$E init $OUT/campaign.db
$E import $OUT/campaign.db $D/al_md_300K.xyz --generation 0 --tag seed
$E status $OUT/campaign.db
$E entropy $OUT/campaign.db:generation=0
{ set +x; } 2>/dev/null
echo "example done: outputs in $OUT/"
