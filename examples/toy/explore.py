#!/usr/bin/env python3
"""Toy explore command for examples/toy (standard library only).

Reads input.xyz (extended XYZ, the structures exploration starts from) and task.json
(written by entrain: generation, seed, and the recipe's task parameters), and writes
output.xyz with N rattled copies of the starting structures: the displacement amplitude
grows with the task's `temperature` (0.05 A at 300 K, scaling as sqrt(T/300)); N is
steps // 100 clamped to 2..20. Deterministic: random.Random(seed from task.json). Each
run appends its working directory's name to ../explore_runs.log (for the tests)."""
import json
import math
import os
import random
import sys

sys.dont_write_bytecode = True  # keep the example folder clean
from toyxyz import read_xyz, write_xyz  # noqa: E402


def main():
    with open(os.path.join("..", "explore_runs.log"), "a") as log:
        log.write(os.path.basename(os.getcwd()) + "\n")
    task = json.load(open("task.json"))
    params = task.get("params", {})
    frames = read_xyz("input.xyz")
    if not frames:
        sys.exit("explore.py: input.xyz holds no structure")
    temperature = float(params.get("temperature", 300.0))
    amplitude = 0.05 * math.sqrt(max(temperature, 1.0) / 300.0)
    n = max(2, min(20, int(params.get("steps", 600)) // 100))
    rng = random.Random(int(task["seed"]))
    out = []
    for i in range(n):
        base = frames[i % len(frames)]
        pos = [[x + rng.gauss(0.0, amplitude) for x in p] for p in base["positions"]]
        out.append({"species": base["species"], "positions": pos, "cell": base["cell"],
                    "info": {"toy_frame": i}})
    write_xyz("output.xyz", out)


if __name__ == "__main__":
    main()
