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

/* Fraction of rows of Y with dH(y|X) < eps (one bandwidth). ENT_EINVAL also for m == 0,
 * eps NaN or overlap == NULL; n == 0 gives 0 (every dH is +inf). */
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

/* ---- Additions for tests, benchmarks and callers that need more control ---- */

/* Work counters filled by the *_opts variants (pairs of rows, self pairs included). */
typedef struct ent_kernel_stats {
    double pairs_total;     /* m * n (n * n for the self sum) */
    double pairs_evaluated; /* pairs in tile pairs that were not skipped */
    size_t tiles_rows;      /* tiles of the query set (of X for the self sum) */
    size_t tiles_cols;      /* tiles of the reference set */
    int reordered;          /* 1 if the rows were reordered for skipping */
} ent_kernel_stats;

/* Options of the *_opts variants; NULL or a zero-initialised struct = the defaults used by
 * the functions above. None of them changes results beyond rounding (~1e-15 relative). */
typedef struct ent_kernel_opts {
    int use_blas;   /* dot products with cblas_dgemm even where the AVX-512 micro-kernel is
                       compiled in (it always is the path on CPUs without AVX-512) */
    int no_reorder; /* keep the input row order: tiles are then not compact and far-apart
                       tile pairs are rarely skipped */
    int no_skip;    /* evaluate every tile pair (implies no_reorder) */
    size_t tile;    /* rows per tile, a multiple of 24; 0 = default (240). The summation
                       order depends on it (rounding only); ENT_EINVAL otherwise */
    ent_kernel_stats *stats; /* if not NULL, receives the work counters */
} ent_kernel_opts;

ent_status ent_kernel_sum_opts(const double *y, size_t m, const double *x, size_t n,
                               size_t d, const double *h, size_t nh, double *out,
                               const ent_kernel_opts *opts, ent_error *err);
ent_status ent_kernel_self_sum_opts(const double *x, size_t n, size_t d, const double *h,
                                    size_t nh, double *p, const ent_kernel_opts *opts,
                                    ent_error *err);

/* H and D (per bandwidth; either output may be NULL) from p (n x nh) computed by
 * ent_kernel_self_sum, e.g. per frame without a second kernel pass. ENT_EINVAL for
 * n == 0, nh == 0 or p == NULL (no error record: the caller owns the context). */
ent_status ent_entropy_from_p(const double *p, size_t n, size_t nh, double *entropy,
                              double *diversity);

/* Human-readable name of the code path the given options select (for logs, benchmarks). */
const char *ent_kernel_backend(const ent_kernel_opts *opts);

/* Serial reference of ent_kernel_sum: direct loops, d2 = sum_k (y_k - x_k)^2, no tiling,
 * no skipping, no threads. O(m n d); for tests and benchmarks. Same errors. */
ent_status ent_kernel_sum_reference(const double *y, size_t m, const double *x, size_t n,
                                    size_t d, const double *h, size_t nh, double *out,
                                    ent_error *err);

#endif
