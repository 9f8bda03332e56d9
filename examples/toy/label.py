#!/usr/bin/env python3
"""Toy label command for examples/toy (standard library only).

Reads input.xyz and writes output.xyz with a Lennard-Jones energy (info `energy`, eV) and
forces (column `forces`, eV/A) for each frame: argon-like parameters (epsilon 0.0104 eV,
sigma 3.4 A), cut off at 5.0 A with the energy shifted to zero there, periodic images in
all three directions. Each run appends its working directory's name to ../label_runs.log
(the test counts how often each label job ran).

TOY_LABEL_MODE (environment, for the tests): "fail" exits with status 3 without output;
"nan" writes NaN forces; "garbage" writes an output.xyz that does not parse. TOY_LABEL_SLEEP=SECONDS makes each label take that long."""
import math
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the example folder clean
from toyxyz import read_xyz, write_xyz  # noqa: E402

EPS, SIGMA, RC = 0.0104, 3.4, 5.0


def lj(r):
    sr6 = (SIGMA / r) ** 6
    e = 4 * EPS * (sr6 * sr6 - sr6)
    dedr = 4 * EPS * (-12 * sr6 * sr6 + 6 * sr6) / r
    return e, dedr


def energy_forces(frame):
    pos, cell = frame["positions"], frame["cell"]
    n = len(pos)
    e_shift = lj(RC)[0]
    energy = 0.0
    forces = [[0.0, 0.0, 0.0] for _ in range(n)]
    shifts = [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)]
    for i in range(n):
        for j in range(n):
            for a, b, c in shifts:
                if i == j and (a, b, c) == (0, 0, 0):
                    continue
                d = [pos[j][k] + a * cell[0][k] + b * cell[1][k] + c * cell[2][k] - pos[i][k]
                     for k in range(3)]
                r = math.sqrt(sum(x * x for x in d))
                if r >= RC:
                    continue
                e, dedr = lj(r)
                energy += 0.5 * (e - e_shift)
                for k in range(3):
                    forces[i][k] += dedr * d[k] / r
    return energy, forces


def main():
    with open(os.path.join("..", "label_runs.log"), "a") as log:
        log.write(os.path.basename(os.getcwd()) + "\n")
    time.sleep(float(os.environ.get("TOY_LABEL_SLEEP", "0")))
    mode = os.environ.get("TOY_LABEL_MODE", "")
    if mode == "fail":
        sys.exit(3)
    if mode == "garbage":
        with open("output.xyz", "w") as fp:
            fp.write("this is not extended XYZ\n")
        return
    frames = read_xyz("input.xyz")
    for f in frames:
        energy, forces = energy_forces(f)
        if mode == "nan":
            forces[0][0] = float("nan")
        f["info"] = {"energy": energy}
        f["forces"] = forces
    write_xyz("output.xyz", frames)


if __name__ == "__main__":
    main()
