/* Private to src/info: the effective periodic geometry of a structure and a cell-list
 * search for the k nearest neighbours of each atom within a cutoff (periodic images
 * included along periodic axes only), with a total order on neighbours so that ties are
 * broken the same way on every run and thread count (QUESTS_MATH.md §3, §9). */
#ifndef ENT_INFO_NEIGHBORS_H
#define ENT_INFO_NEIGHBORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* How the pbc flags and the cell are interpreted. */
typedef enum ent_nbr_mode {
    ENT_NBR_ENTRAIN = 0,      /* images along periodic axes only, any handedness */
    ENT_NBR_COMPAT = 1,       /* reference get_descriptors: any pbc false -> cluster,
                                 left-handed cell -> wrapped atoms, no images */
    ENT_NBR_COMPAT_MULTI = 2, /* reference multicomponent: a non-singular cell is used as
                                 if pbc = T T T; otherwise as ENT_NBR_COMPAT */
} ent_nbr_mode;

/* Frame of reference for the search. Rows of `basis` are the lattice vectors on
 * periodic (and wrapped) axes and unit vectors completing an orthogonal frame on the
 * others; fractional coordinates are u = x * inv (row vector), the perpendicular spacing
 * of the planes u_i = const, u_i + 1 is height[i]. */
typedef struct ent_nbr_geom {
    int periodic[3]; /* periodic images are generated along this axis */
    int wrap[3];     /* positions are wrapped into [0, 1) along this axis */
    int compat_wrap; /* reference wrap: fractional coordinates rounded to 12 decimals */
    double basis[9];
    double inv[9];
    double height[3];
} ent_nbr_geom;

/* Resolve pbc/cell for `mode` and validate the cell on the axes that need it.
 * cell may be NULL and pbc NULL (= non-periodic) when no axis is periodic.
 * Errors: ENT_EINVAL (periodic axis but cell == NULL), ENT_EGEOMETRY (non-finite or
 * singular cell on a periodic axis, cell so small that an atom would need more than
 * 1e7 periodic images within the cutoff). */
ent_status ent_nbr_geom_init(const double *cell, const int *pbc, ent_nbr_mode mode,
                             double cutoff, ent_nbr_geom *g, ent_error *err);

/* Every coordinate finite, and on wrapped axes within 1e15 cell lengths of the cell.
 * ENT_EGEOMETRY naming the first offending atom. */
ent_status ent_nbr_check_positions(const ent_nbr_geom *g, const double *positions, size_t n,
                                   ent_error *err);

/* One neighbour: the image x_atom + shift . lattice of atom `atom`, seen from the central
 * atom x_c. d = image - x_c (computed from wrapped positions), d2 = |d|^2. */
typedef struct ent_nbr {
    double d2;
    double d[3];
    size_t atom;
    int64_t shift[3];
} ent_nbr;

/* Cell list over a (sub)set of atoms, reusable for subsets of at most cap_atoms atoms. */
typedef struct ent_nbr_grid ent_nbr_grid;

/* NULL on allocation failure. */
ent_nbr_grid *ent_nbr_grid_create(size_t cap_atoms);
void ent_nbr_grid_destroy(ent_nbr_grid *g); /* accepts NULL */

/* Bin atoms subset[0..n) (or 0..n when subset is NULL) of positions (n_all x 3, already
 * checked with ent_nbr_check_positions). n <= cap_atoms. Cannot fail. The geometry must
 * outlive the grid's use. */
void ent_nbr_grid_build(ent_nbr_grid *g, const ent_nbr_geom *geom, double cutoff,
                        const double *positions, const size_t *subset, size_t n);

/* Number of atoms binned, and the original index of the atom in slot s (slots are the
 * atoms in bin order; iterating over slots is cache friendly). */
size_t ent_nbr_grid_size(const ent_nbr_grid *g);
size_t ent_nbr_grid_atom(const ent_nbr_grid *g, size_t slot);

/* Heap key: squared distance and the index of the neighbour record in nb[]. */
typedef struct ent_nbr_key {
    double d2;
    uint32_t idx;
} ent_nbr_key;

/* The (at most) k nearest neighbours of the atom in `slot` with distance < cutoff, the
 * atom itself excluded (its own periodic images are neighbours). Returns the count n;
 * nb[0..n) holds their records and keys[0..n) a max-heap of (d2, index into nb) under
 * the total order (d2, atom index, shift lexicographic), so the selected set does not
 * depend on the traversal and neither does the heap for a given input. nb, keys: k
 * entries of caller scratch. k <= UINT32_MAX. */
size_t ent_nbr_nearest(const ent_nbr_grid *g, size_t slot, size_t k, ent_nbr *nb,
                       ent_nbr_key *keys);

#endif
