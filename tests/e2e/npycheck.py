#!/usr/bin/env python3
"""Helpers for the end-to-end tests (Python standard library only).

  npycheck.py compare A.npy B.npy ABS_TOL [MASK.npy]   max |A-B| <= tol (rows of MASK only,
                                                       columns >= k when --x2-only)
  npycheck.py json FILE KEY EXPECTED REL_TOL           a JSON number within relative tol
  npycheck.py shape A.npy ROWS [COLS]
"""
import ast
import json
import math
import struct
import sys


def load_npy(path):
    with open(path, "rb") as f:
        magic = f.read(6)
        if magic != b"\x93NUMPY":
            sys.exit(f"{path}: not a .npy file")
        major = f.read(2)[0]
        hlen = struct.unpack("<H" if major == 1 else "<I", f.read(2 if major == 1 else 4))[0]
        header = ast.literal_eval(f.read(hlen).decode("latin1"))
        shape = header["shape"]
        count = 1
        for s in shape:
            count *= s
        if header["descr"] == "<f8":
            data = struct.unpack(f"<{count}d", f.read(8 * count))
        elif header["descr"] == "|b1":
            data = tuple(float(b) for b in f.read(count))
        else:
            sys.exit(f"{path}: dtype {header['descr']}")
    return shape, data


def main():
    cmd = sys.argv[1]
    if cmd == "compare":
        sa, a = load_npy(sys.argv[2])
        sb, b = load_npy(sys.argv[3])
        tol = float(sys.argv[4])
        if sa != sb:
            sys.exit(f"shape {sa} != {sb}")
        cols = sa[1] if len(sa) == 2 else 1
        mask = None
        first_col = 0
        if len(sys.argv) > 5:
            _, mask = load_npy(sys.argv[5])
        worst = 0.0
        for i in range(sa[0]):
            for j in range(cols):
                # x2 columns (j >= k) only on tie-safe rows; x1 always
                k = (cols + 1) // 2
                if mask is not None and j >= k and not mask[i]:
                    continue
                x, y = a[i * cols + j], b[i * cols + j]
                if math.isinf(x) or math.isinf(y):
                    if x != y:
                        sys.exit(f"row {i} col {j}: {x} vs {y}")
                    continue
                worst = max(worst, abs(x - y))
        print(f"max abs difference {worst:.3e} (tolerance {tol:g})")
        if not worst <= tol:
            sys.exit(1)
    elif cmd == "json":
        with open(sys.argv[2]) as f:
            obj = json.load(f)
        for key in sys.argv[3].split("."):
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]
        expected, tol = float(sys.argv[4]), float(sys.argv[5])
        got = float(obj)
        rel = abs(got - expected) / max(abs(expected), 1e-300)
        print(f"{sys.argv[3]} = {got!r} expected {expected!r} rel diff {rel:.2e}")
        if not (rel <= tol or got == expected):
            sys.exit(1)
    elif cmd == "shape":
        shape, _ = load_npy(sys.argv[2])
        want = tuple(int(x) for x in sys.argv[3:])
        if tuple(shape) != want:
            sys.exit(f"shape {shape} != {want}")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
