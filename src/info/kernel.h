/* Gaussian-kernel sums over descriptor sets and the QUESTS quantities built on them
 * (../QUESTS_MATH.md §4-5): p(x|X), entropy H, diversity D, delta entropy dH(y|X),
 * overlap, bandwidth from atomic volume.
 * X is n x d, Y is m x d, row-major float64. Several bandwidths are handled in one pass
 * over the pairs. Memory is O((n+m) d) plus bounded per-thread tiles, never O(n m).
 * Results do not depend on the thread count beyond rounding. */
#ifndef ENT_INFO_KERNEL_H
#define ENT_INFO_KERNEL_H

#include <stddef.h>

#include "base/status.h"

/* out[i*nh + b] = sum_j exp(-|y_i - x_j|^2 / (2 h_b^2)), i < m, b < nh.
 * Errors: ENT_EINVAL (d == 0, nh == 0, any h <= 0 or not finite, NULL arrays with
 * nonzero sizes), ENT_ENOMEM. n == 0 gives zeros. */
ent_status ent_kernel_sum(const double *y, size_t m, const double *x, size_t n, size_t d,
                          const double *h, size_t nh, double *out, ent_error *err);

/* p(x_i|X) for X against itself (self term included, so p >= 1), using the symmetry of
 * the kernel (each pair evaluated once). p: n x nh. */
ent_status ent_kernel_self_sum(const double *x, size_t n, size_t d, const double *h,
                               size_t nh, double *p, ent_error *err);

/* Entropy H = -(1/n) sum_i ln(p_i/n) and diversity D = ln sum_i 1/p_i for each bandwidth
 * (entropy[b], diversity[b]; either may be NULL). If p_out is not NULL it receives p
 * (n x nh). ENT_EINVAL for n == 0 as well. */
ent_status ent_entropy(const double *x, size_t n, size_t d, const double *h, size_t nh,
                       double *entropy, double *diversity, double *p_out, ent_error *err);

/* dH(y_i|X) = -ln sum_j K(y_i, x_j); +inf when every kernel underflows. out: m x nh. */
ent_status ent_delta_entropy(const double *y, size_t m, const double *x, size_t n,
                             size_t d, const double *h, size_t nh, double *out,
                             ent_error *err);

/* Fraction of rows of Y with dH(y|X) < eps (one bandwidth). */
ent_status ent_overlap(const double *y, size_t m, const double *x, size_t n, size_t d,
                       double h, double eps, double *overlap, ent_error *err);

typedef enum ent_bandwidth_method {
    ENT_BANDWIDTH_GAUSSIAN = 0,
    ENT_BANDWIDTH_CUTOFF = 1,
} ent_bandwidth_method;

/* Bandwidth from the atomic volume V (Angstrom^3 per atom), QUESTS get_bandwidth.
 * ENT_EINVAL for V <= 0 or not finite. */
ent_status ent_bandwidth(double volume, ent_bandwidth_method method, double *h,
                         ent_error *err);

#endif
