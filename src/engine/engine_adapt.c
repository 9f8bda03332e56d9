/* The generic extxyz adapter of the engine (MVP, in C): structures to the input.xyz text
 * a job gets, and the checks a label read back from output.xyz must pass before it is
 * accepted (finite energy, forces present and finite, no two atoms too close). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info/geometry.h"
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
        double r = ent_min_pair_distance(f->positions, f->n_atoms,
                                         f->has_cell ? f->cell : NULL, f->pbc, &ia, &ja);
        if (r < min_distance) {
            snprintf(reason, size, "atoms %zu and %zu are %.3f A apart (< %.3f A)", ia, ja, r,
                     min_distance);
            return;
        }
    }
}
