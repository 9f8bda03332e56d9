/* QUESTS per-atom descriptors (../QUESTS_MATH.md §1-3, §9): for each atom the k nearest
 * neighbours within the cutoff give x1 (k values, fc(r)/r, nearest first) and x2 (k-1
 * values, mean sorted neighbour couplings). Pure numerics: flat arrays in, caller-owned
 * arrays out, OpenMP over atoms, no I/O. */
#ifndef ENT_INFO_DESCRIPTOR_H
#define ENT_INFO_DESCRIPTOR_H

#include <stddef.h>

#include "base/status.h"

typedef struct ent_descriptor_params {
    int k;         /* neighbours per environment, >= 1 (QUESTS default 32) */
    double cutoff; /* Angstrom, > 0 (QUESTS default 5.0) */
    /* Reproduce the reference implementation where entrain deliberately differs
     * (QUESTS_MATH.md §9): any non-periodic axis → isolated cluster (cell ignored);
     * left-handed cells lose their periodic images. 0 = entrain behaviour. */
    int quests_compat;
} ent_descriptor_params;

/* Columns of one descriptor row: 2k - 1 (x1 | x2). */
size_t ent_descriptor_width(int k);

/* Columns of a multicomponent row: (n_species + 1) * (2k - 1). */
size_t ent_descriptor_multi_width(int k, int n_species);

/* Descriptors of one structure.
 * positions: n x 3 Cartesian; cell: 3 x 3, rows = lattice vectors (ignored on axes with
 * pbc[i] == 0); out: n x (2k-1), written only on success.
 * Periodic axes use all images within the cutoff (small cells see self-images);
 * non-periodic axes none. Ties at the k-th neighbour are broken by (distance, atom index,
 * image) so the result is deterministic and thread-count independent.
 * Errors: ENT_EINVAL (k < 1, cutoff <= 0 or not finite), ENT_EGEOMETRY (NaN/inf
 * coordinate, singular cell on a periodic axis), ENT_ENOMEM. */
ent_status ent_descriptors(const double *positions, size_t n, const double cell[9],
                           const int pbc[3], const ent_descriptor_params *p, double *out,
                           ent_error *err);

/* Multicomponent descriptors of one structure. species: n values in [0, n_species), the
 * index of each atom's species in the data set's sorted species list. Row layout:
 * [x1_all | x1_s0 | ... | x1_s(n-1) | x2_all | x2_s0 | ... ], where block s is the
 * descriptor of the atom within the sub-structure of species s only (zeros when the atom
 * is not of species s). Works for one species and any pbc. Same errors as above, plus
 * ENT_EINVAL for a species index out of range. */
ent_status ent_descriptors_multi(const double *positions, size_t n, const double cell[9],
                                 const int pbc[3], const int *species, int n_species,
                                 const ent_descriptor_params *p, double *out,
                                 ent_error *err);

#endif
