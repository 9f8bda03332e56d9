/* QUESTS per-atom descriptors (../QUESTS_MATH.md §1-3, §9): for each atom the k nearest
 * neighbours within the cutoff give x1 (k values, fc(r)/r, nearest first) and x2 (k-1
 * values, mean sorted neighbour couplings). Pure numerics: flat arrays in, caller-owned
 * arrays out, OpenMP over atoms, no I/O. */
#ifndef ENT_INFO_DESCRIPTOR_H
#define ENT_INFO_DESCRIPTOR_H

#include <stddef.h>

#include "base/status.h"

/* Largest accepted k (the x2 scratch is O(k^2) per thread). */
#define ENT_DESCRIPTOR_K_MAX 4096

typedef struct ent_descriptor_params {
    int k;         /* neighbours per environment, >= 1 (QUESTS default 32) */
    double cutoff; /* Angstrom, > 0 (QUESTS default 5.0) */
    /* Reproduce the reference implementation where entrain deliberately differs
     * (QUESTS_MATH.md §9): any non-periodic axis → isolated cluster (cell ignored);
     * left-handed cells lose their periodic images; fractional coordinates are rounded
     * to 12 decimals when wrapping. 0 = entrain behaviour. */
    int quests_compat;
} ent_descriptor_params;

/* Columns of one descriptor row: 2k - 1 (x1 | x2). */
size_t ent_descriptor_width(int k);

/* Columns of a multicomponent row: (n_species + 1) * (2k - 1). */
size_t ent_descriptor_multi_width(int k, int n_species);

/* Descriptors of one structure.
 * positions: n x 3 Cartesian; cell: 3 x 3, rows = lattice vectors (ignored on axes with
 * pbc[i] == 0; may be NULL when no axis is periodic); pbc may be NULL (= F F F);
 * out: n x (2k-1), written only on success.
 * Neighbours are all other atoms and periodic images with distance < cutoff, the k
 * nearest kept, zero padding below k (an isolated atom gives a zero row). Periodic axes
 * use all images within the cutoff, so cells thinner than the cutoff see the atom's own
 * images; non-periodic axes none (slabs T T F and wires T F F get lateral images only;
 * the reference treats them as clusters). Left-handed cells work like right-handed ones.
 * A distinct atom at distance 0 is a neighbour (x1 = 1e16, as in the reference).
 * Ties at the k-th neighbour are broken by (squared distance, atom index, image shift)
 * so the result is deterministic and thread-count independent.
 * Errors: ENT_EINVAL (k < 1 or > ENT_DESCRIPTOR_K_MAX, cutoff <= 0 or not finite,
 * periodic axis without a cell, NULL arrays with n > 0), ENT_EGEOMETRY (NaN/inf
 * coordinate — the message names the atom index —, an atom more than 1e15 cell lengths
 * outside a periodic cell, singular or non-finite cell on a periodic axis, a cell so
 * thin that an atom would need > 1e7 periodic images),
 * ENT_ENOMEM. */
ent_status ent_descriptors(const double *positions, size_t n, const double cell[9],
                           const int pbc[3], const ent_descriptor_params *p, double *out,
                           ent_error *err);

/* Multicomponent descriptors of one structure. species: n values in [0, n_species), the
 * index of each atom's species in the data set's sorted species list. Row layout:
 * [x1_all | x1_s0 | ... | x1_s(n-1) | x2_all | x2_s0 | ... ], where block s is the
 * descriptor of the atom within the sub-structure of species s only (zeros when the atom
 * is not of species s). Works for one species and any pbc. The x1_all/x2_all blocks
 * equal ent_descriptors' row. With quests_compat a non-singular cell is used as if
 * pbc = T T T (the reference always takes its periodic path here); without one the
 * quests_compat rules of ent_descriptors apply. Same errors as above, plus ENT_EINVAL
 * for n_species < 1 or a species index out of range. */
ent_status ent_descriptors_multi(const double *positions, size_t n, const double cell[9],
                                 const int pbc[3], const int *species, int n_species,
                                 const ent_descriptor_params *p, double *out,
                                 ent_error *err);

#endif
