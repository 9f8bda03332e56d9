"""Minimal extended XYZ reading and writing for the toy commands (standard library only):
species, positions, a Lattice, optional info and a `forces` column."""
import shlex


def read_xyz(path):
    frames = []
    with open(path) as fp:
        lines = fp.read().splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        comment = lines[i + 1]
        cell = [[0.0] * 3 for _ in range(3)]
        info, forces_at = {}, None
        for tok in shlex.split(comment):
            key, _, value = tok.partition("=")
            if key == "Lattice":
                v = [float(x) for x in value.split()]
                cell = [v[0:3], v[3:6], v[6:9]]
            elif key == "Properties":
                p, col = value.split(":"), 0
                for name, _kind, width in zip(p[0::3], p[1::3], p[2::3]):
                    if name == "forces":
                        forces_at = col
                    col += int(width)
            elif key == "energy":
                info["energy"] = float(value)
        species, pos, forces = [], [], []
        for line in lines[i + 2:i + 2 + n]:
            t = line.split()
            species.append(t[0])
            pos.append([float(x) for x in t[1:4]])
            if forces_at is not None:
                forces.append([float(x) for x in t[forces_at:forces_at + 3]])
        frame = {"species": species, "positions": pos, "cell": cell, "info": info}
        if forces_at is not None:
            frame["arrays"] = {"forces": forces}
        frames.append(frame)
        i += 2 + n
    return frames


def write_xyz(path, frames):
    with open(path, "w") as fp:
        for f in frames:
            cell = " ".join("%.10f" % x for row in f["cell"] for x in row)
            props = "species:S:1:pos:R:3" + (":forces:R:3" if "forces" in f else "")
            info = "".join(" %s=%r" % (k, v) for k, v in f.get("info", {}).items())
            fp.write("%d\n" % len(f["species"]))
            fp.write('Lattice="%s" Properties=%s%s pbc="T T T"\n' % (cell, props, info))
            for k, (s, p) in enumerate(zip(f["species"], f["positions"])):
                cols = ["%-2s" % s] + ["%.10f" % x for x in p]
                if "forces" in f:
                    cols += ["%.10f" % x if x == x else "nan" for x in f["forces"][k]]
                fp.write(" ".join(cols) + "\n")
