#!/usr/bin/env python3
"""Toy training command for examples/toy (standard library only).

A stand-in for MLIP training that still learns something: reads train.xyz (every accepted
label, written by entrain: info `energy` in eV, column `forces` in eV/A) and task.json, fits
the Lennard-Jones well depth epsilon at fixed sigma by least squares on energies and forces
(both are linear in epsilon), and writes model.json with epsilon, the number of structures
and the energy/force RMSE of the fit. Each run appends its working directory's name to
../train_runs.log (for the tests)."""
import json
import math
import os
import sys

sys.dont_write_bytecode = True  # keep the example folder clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import label  # noqa: E402
from toyxyz import read_xyz  # noqa: E402


def main():
    with open(os.path.join("..", "train_runs.log"), "a") as log:
        log.write(os.path.basename(os.getcwd()) + "\n")
    task = json.load(open("task.json"))
    frames = read_xyz("train.xyz")
    if not frames:
        sys.exit("train.py: train.xyz holds no structure")
    label.EPS = 1.0  # unit well depth: every prediction scales linearly with epsilon
    xy = xx = 0.0
    pairs = []
    for fr in frames:
        e1, f1 = label.energy_forces(fr)
        e_ref = float(fr["info"]["energy"])
        f_ref = fr["arrays"]["forces"]
        pairs.append((e1, e_ref, f1, f_ref))
        xy += e1 * e_ref + sum(a * b for p, q in zip(f1, f_ref) for a, b in zip(p, q))
        xx += e1 * e1 + sum(a * a for p in f1 for a in p)
    eps = xy / xx if xx > 0 else 0.0
    se = sum((eps * e1 - e) ** 2 for e1, e, _, _ in pairs) / len(pairs)
    n_f = sum(3 * len(f) for _, _, f, _ in pairs)
    sf = sum((eps * a - b) ** 2 for _, _, f1, fr in pairs
             for p, q in zip(f1, fr) for a, b in zip(p, q)) / max(n_f, 1)
    json.dump({"generation": task["generation"], "n_structures": len(frames),
               "epsilon": eps, "sigma": label.SIGMA, "energy_rmse": math.sqrt(se),
               "force_rmse": math.sqrt(sf)}, open("model.json", "w"), indent=1)


if __name__ == "__main__":
    main()
