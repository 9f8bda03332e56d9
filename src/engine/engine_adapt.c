/* The generic extxyz adapter of the engine (MVP, in C): structures to the input.xyz text
 * a job gets, and the checks a label read back from output.xyz must pass before it is
 * accepted (finite energy, forces present and finite, no two atoms too close). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "io/reader.h"

ent_status ent_engine_xyz_text(ent_frame *const *frames, size_t n, char **text, size_t *len,
                               ent_error *err)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);
    if (!fp)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_status s = ENT_OK;
    for (size_t i = 0; i < n && s == ENT_OK; i++)
        s = ent_extxyz_write(fp, frames[i], err);
    fclose(fp);
    if (s != ENT_OK) {
        free(buf);
        return s;
    }
    *text = buf;
    *len = size;
    return ENT_OK;
}

/* Smallest distance between two atoms, with the minimum image along periodic axes
 * (fractional wrap; exact for cells that are not too skewed, enough for a sanity check). */
static double min_pair_distance(const ent_frame *f, size_t *ia, size_t *ja)
{
    double inv[9] = {0};
    int periodic = f->has_cell && (f->pbc[0] || f->pbc[1] || f->pbc[2]);
    if (periodic) {
        const double *c = f->cell; /* rows a, b, c; frac = r * inv */
        double det = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) +
                     c[2] * (c[3] * c[7] - c[4] * c[6]);
        if (fabs(det) < 1e-12)
            periodic = 0;
        else {
            inv[0] = (c[4] * c[8] - c[5] * c[7]) / det;
            inv[1] = (c[2] * c[7] - c[1] * c[8]) / det;
            inv[2] = (c[1] * c[5] - c[2] * c[4]) / det;
            inv[3] = (c[5] * c[6] - c[3] * c[8]) / det;
            inv[4] = (c[0] * c[8] - c[2] * c[6]) / det;
            inv[5] = (c[2] * c[3] - c[0] * c[5]) / det;
            inv[6] = (c[3] * c[7] - c[4] * c[6]) / det;
            inv[7] = (c[1] * c[6] - c[0] * c[7]) / det;
            inv[8] = (c[0] * c[4] - c[1] * c[3]) / det;
        }
    }
    double best = INFINITY;
    for (size_t i = 0; i < f->n_atoms; i++)
        for (size_t j = i + 1; j < f->n_atoms; j++) {
            double d[3];
            for (int k = 0; k < 3; k++)
                d[k] = f->positions[3 * j + k] - f->positions[3 * i + k];
            if (periodic) {
                /* frac = d * inv (d as a row vector, inv = cell^-1) */
                double s[3];
                for (int k = 0; k < 3; k++) {
                    s[k] = d[0] * inv[0 * 3 + k] + d[1] * inv[1 * 3 + k] + d[2] * inv[2 * 3 + k];
                    if (f->pbc[k])
                        s[k] -= nearbyint(s[k]);
                }
                for (int k = 0; k < 3; k++)
                    d[k] = s[0] * f->cell[0 * 3 + k] + s[1] * f->cell[1 * 3 + k] +
                           s[2] * f->cell[2 * 3 + k];
            }
            double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r < best) {
                best = r;
                *ia = i;
                *ja = j;
            }
        }
    return best;
}

void ent_engine_label_check(const ent_frame *f, const ent_frame *out, double min_distance,
                            double *energy, double *forces, char *reason, size_t size)
{
    reason[0] = '\0';
    if (out->n_atoms != f->n_atoms) {
        snprintf(reason, size, "output has %zu atoms, the structure %zu", out->n_atoms,
                 f->n_atoms);
        return;
    }
    if (ent_frame_info_get_real(out, "energy", energy) != ENT_OK) {
        snprintf(reason, size, "missing energy (info 'energy')");
        return;
    }
    if (!isfinite(*energy)) {
        snprintf(reason, size, "non-finite energy");
        return;
    }
    const ent_column *fc = ent_frame_column_find(out, "forces");
    if (!fc || fc->ncols != 3 || fc->type != ENT_VAL_REAL) {
        snprintf(reason, size, "missing forces (column 'forces', 3 reals per atom)");
        return;
    }
    const double *fv = fc->data;
    for (size_t i = 0; i < 3 * f->n_atoms; i++) {
        if (!isfinite(fv[i])) {
            snprintf(reason, size, "non-finite force on atom %zu", i / 3);
            return;
        }
        forces[i] = fv[i];
    }
    if (min_distance > 0 && f->n_atoms > 1) {
        size_t ia = 0, ja = 0;
        double r = min_pair_distance(f, &ia, &ja);
        if (r < min_distance) {
            snprintf(reason, size, "atoms %zu and %zu are %.3f A apart (< %.3f A)", ia, ja, r,
                     min_distance);
            return;
        }
    }
}
