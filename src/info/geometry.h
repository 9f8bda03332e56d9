/* Small geometry helpers shared by the Monte Carlo explorer and the engine's label checks:
 * the closest approach of two atoms under the minimum-image convention. */
#ifndef ENT_INFO_GEOMETRY_H
#define ENT_INFO_GEOMETRY_H

#include <stddef.h>

/* Smallest distance between two of the n atoms (positions n x 3), with the minimum image
 * along periodic axes found by rounding fractional differences: exact unless the cell is
 * strongly skewed, which is enough for a guard against overlapping atoms. Non-periodic
 * axes may have a zero cell row; a singular cell disables the images. The pair is
 * returned in *ia < *ja (either may be NULL). +inf for fewer than two atoms. */
double ent_min_pair_distance(const double *positions, size_t n, const double cell[9],
                             const int pbc[3], size_t *ia, size_t *ja);

#endif
