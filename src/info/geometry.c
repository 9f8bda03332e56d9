/* Minimum-image closest approach (see geometry.h). */
#include "info/geometry.h"

#include <math.h>
#include <string.h>

/* A complete cell for minimum-image arithmetic: non-periodic axes without a lattice
 * vector get a unit vector (their fractional coordinate is never wrapped), and its
 * inverse (row-vector convention: f = r inv). Returns 0 for a singular cell (then c and
 * inv are the identity and no images are used). */
static int complete_cell(const double m[9], const int pbc[3], double c[9], double inv[9])
{
    memcpy(c, m, 9 * sizeof *c);
    for (int a = 0; a < 3; a++) {
        double len2 = c[a * 3] * c[a * 3] + c[a * 3 + 1] * c[a * 3 + 1] + c[a * 3 + 2] * c[a * 3 + 2];
        if (!pbc[a] && len2 == 0)
            for (int b = 0; b < 3; b++)
                c[a * 3 + b] = a == b ? 1.0 : 0.0;
    }
    double det = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) +
                 c[2] * (c[3] * c[7] - c[4] * c[6]);
    if (det == 0) { /* singular: no images, plain Cartesian distances */
        memset(c, 0, 9 * sizeof *c);
        c[0] = c[4] = c[8] = 1;
        memcpy(inv, c, 9 * sizeof *inv);
        return 0;
    }
    inv[0] = (c[4] * c[8] - c[5] * c[7]) / det;
    inv[1] = (c[2] * c[7] - c[1] * c[8]) / det;
    inv[2] = (c[1] * c[5] - c[2] * c[4]) / det;
    inv[3] = (c[5] * c[6] - c[3] * c[8]) / det;
    inv[4] = (c[0] * c[8] - c[2] * c[6]) / det;
    inv[5] = (c[2] * c[3] - c[0] * c[5]) / det;
    inv[6] = (c[3] * c[7] - c[4] * c[6]) / det;
    inv[7] = (c[1] * c[6] - c[0] * c[7]) / det;
    inv[8] = (c[0] * c[4] - c[1] * c[3]) / det;
    return 1;
}

double ent_min_pair_distance(const double *pos, size_t n, const double cell[9],
                             const int pbc[3], size_t *ia, size_t *ja)
{
    double c[9], inv[9], best = INFINITY;
    static const int none[3] = {0, 0, 0};
    static const double zero[9] = {0};
    if (!cell)
        cell = zero;
    if (!pbc)
        pbc = none;
    int images = complete_cell(cell, pbc, c, inv);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dr[3], f[3], d2 = 0;
            for (int a = 0; a < 3; a++)
                dr[a] = pos[j * 3 + a] - pos[i * 3 + a];
            for (int a = 0; a < 3; a++) {
                f[a] = dr[0] * inv[a] + dr[1] * inv[3 + a] + dr[2] * inv[6 + a];
                if (images && pbc[a])
                    f[a] -= round(f[a]);
            }
            for (int a = 0; a < 3; a++) {
                double x = f[0] * c[a] + f[1] * c[3 + a] + f[2] * c[6 + a];
                d2 += x * x;
            }
            if (d2 < best) {
                best = d2;
                if (ia)
                    *ia = i;
                if (ja)
                    *ja = j;
            }
        }
    return sqrt(best);
}
