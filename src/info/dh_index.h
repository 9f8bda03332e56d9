/* Index over a large reference set X for fast delta entropy dH(y|X) = -ln sum_j K(y, x_j)
 * (QUESTS_MATH.md §4) with a guaranteed error bound. A ball tree (median splits, bounding
 * ball per node) whose points also carry a projection onto the set's first principal axes:
 * each node keeps the box of its points' projections, each point its projected coordinates
 * and residual norm, which give cheap, provable lower bounds on distances. Queries run in
 * blocks of rows through the tree; each row leaves out nodes and leaves whose kernel mass
 * is provably small, within a budget (see dh_index_query.c), and sums the kernel exactly
 * over the rest.
 *
 * Error bound. Let S = sum_j K(y, x_j), S_v the sum over the leaves a row evaluated and B
 * the sum of the upper bounds on the mass of what it left out (so S <= S_v + B). The budget
 * ensures B <= rel_eps * L for a proven lower bound L <= S (a sum of kernels already
 * evaluated), hence S_v >= S - B >= (1 - rel_eps) S and, with dH_returned = -ln S_v,
 *
 *     dH_returned + ln(1 - rel_eps) <= dH_exact <= dH_returned:
 *
 * the result never underestimates dH and overestimates it by at most -ln(1 - rel_eps)
 * (1.0005e-3 nats for rel_eps = 1e-3); the recall of kernel mass S_v / S >= 1 - rel_eps.
 * (Exact arithmetic; the floating-point sums add ~1e-15 relative.) rel_eps = 0 leaves out
 * only nodes whose kernels all underflow to 0, so the result is the exact sum up to
 * rounding. dH = +inf when every kernel underflows.
 *
 * The index is immutable after building and may be queried from several threads at once.
 * It can be saved to a file or a memory buffer (format version ENT_DH_INDEX_VERSION, with
 * checksums of the header and body) and carries a checksum of the reference rows it was
 * built from (ent_dh_data_checksum), so a caller can check that a stored index matches its
 * data. */
#ifndef ENT_INFO_DH_INDEX_H
#define ENT_INFO_DH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define ENT_DH_INDEX_VERSION 1u
#define ENT_DH_INDEX_LEAF_DEFAULT 48
#define ENT_DH_INDEX_LEAF_MAX 65536
#define ENT_DH_INDEX_PROJ_DEFAULT 8
#define ENT_DH_INDEX_REL_EPS_DEFAULT 1e-3 /* suggested rel_eps: recall >= 0.999 */

typedef struct ent_dh_index ent_dh_index;

/* How a node's points are split in two (at the median, rounded to a whole number of
 * leaves, so the tree's shape depends only on n and the leaf size). */
typedef enum ent_dh_split {
    ENT_DH_SPLIT_PRINCIPAL = 0, /* along the node's principal axis (power iteration) */
    ENT_DH_SPLIT_WIDEST = 1,    /* along the coordinate of largest extent (k-d tree) */
} ent_dh_split;

/* Build parameters; NULL or a zero-initialised struct gives the defaults. */
typedef struct ent_dh_index_params {
    size_t leaf_size;   /* points per leaf, 1..ENT_DH_INDEX_LEAF_MAX; 0 = the default.
                           Every leaf but the last holds exactly leaf_size points. */
    ent_dh_split split; /* default ENT_DH_SPLIT_PRINCIPAL */
    size_t proj_dims;   /* principal directions of the per-point screening bound, 1..32
                           (capped at d); 0 = ENT_DH_INDEX_PROJ_DEFAULT */
} ent_dh_index_params;

/* Work counters of one query call (summed over the query rows). */
typedef struct ent_dh_query_stats {
    uint64_t
        pairs_evaluated; /* (row, point) kernel evaluations, pilot and sample included */
    uint64_t leaves_visited; /* (row, leaf) kernel sums */
    uint64_t nodes_bounded;  /* (row, node) distance bounds computed */
    uint64_t pairs_screened; /* (row, point) projected bounds computed (pk + 1 operations
                                each, against d for a kernel evaluation) */
    uint64_t rows_redone;    /* rows traversed twice (speculated budget not confirmed) */
    double max_missed;       /* max over rows of B / (S_v + B), a bound on the fraction
                                of the kernel mass not summed (<= rel_eps; 0 when every
                                node with a nonzero bound was visited) */
} ent_dh_query_stats;

/* Build an index over the n x d row-major reference rows x (copied, reordered; x is not
 * referenced afterwards). Deterministic: the same input and parameters give the same index
 * (and the same saved bytes) whatever the thread count.
 * Errors: ENT_EINVAL (n == 0, d == 0, x or out NULL, bad parameters, a NaN/inf value —
 * the message names the row), ENT_ENOMEM. */
ent_status ent_dh_index_build(const double *x, size_t n, size_t d,
                              const ent_dh_index_params *p, ent_dh_index **out,
                              ent_error *err);

/* Free an index; NULL is allowed. */
void ent_dh_index_destroy(ent_dh_index *ix);

size_t ent_dh_index_size(const ent_dh_index *ix);      /* n, number of reference rows */
size_t ent_dh_index_dim(const ent_dh_index *ix);       /* d */
size_t ent_dh_index_leaf_size(const ent_dh_index *ix); /* leaf_size it was built with */
/* Bytes of memory the index holds (points, projections, bounds, permutation, derived
 * per-point terms and the tree's shape). */
size_t ent_dh_index_memory(const ent_dh_index *ix);
/* ent_dh_data_checksum of the rows the index was built from. */
uint64_t ent_dh_index_data_checksum(const ent_dh_index *ix);

/* Row i of the index's internal (leaf) order is row perm[i] of the x it was built from;
 * perm receives n values. For callers that need to map contributions back. */
void ent_dh_index_permutation(const ent_dh_index *ix, size_t *perm);

/* dh[i] ~ dH(y_i | X) for the m x d rows y at bandwidth h, within the bound stated at the
 * top of this file (rel_eps in [0, 1); 0 = exact). OpenMP over rows; every row's result
 * is independent of the thread count (bit for bit). stats may be NULL.
 * Errors: ENT_EINVAL (NULL ix/y/dh with m > 0, h <= 0 or not finite, rel_eps outside
 * [0, 1) or NaN, a NaN/inf in y: the message names the row), ENT_ENOMEM (workspace:
 * 16 bytes per row, plus 128 d + ~3000 doubles per thread). m == 0 does nothing. dh is
 * written only on success. */
ent_status ent_dh_index_query(const ent_dh_index *ix, const double *y, size_t m, double h,
                              double rel_eps, double *dh, ent_dh_query_stats *stats,
                              ent_error *err);

/* As ent_dh_index_query, and if dh_lower is not NULL also a certified lower bound per row:
 * dh_lower[i] = -ln(S_v + B) <= dH_exact <= dh[i] (dh_lower = dh when nothing with a
 * nonzero bound was left out; +inf only when every kernel underflows). */
ent_status ent_dh_index_query_bounds(const ent_dh_index *ix, const double *y, size_t m,
                                     double h, double rel_eps, double *dh, double *dh_lower,
                                     ent_dh_query_stats *stats, ent_error *err);

/* Save to / load from a file (binary, native little-endian doubles; see dh_index_io.c for
 * the layout). Load errors: ENT_EIO (cannot open/read/write), ENT_EPARSE (bad magic,
 * truncated file, header or body checksum mismatch, inconsistent header: the message says
 * which), ENT_EUNSUPPORTED (a newer format version, other byte order), ENT_ENOMEM. */
ent_status ent_dh_index_save(const ent_dh_index *ix, const char *path, ent_error *err);
ent_status ent_dh_index_load(const char *path, ent_dh_index **out, ent_error *err);

/* The same bytes as a file, in a malloc'ed buffer (*buf, *len; caller frees *buf), e.g.
 * for a database BLOB; deserialising copies what it needs (buf is not referenced after).
 * Same errors as save/load; trailing bytes after the body are ENT_EPARSE. */
ent_status ent_dh_index_serialize(const ent_dh_index *ix, void **buf, size_t *len,
                                  ent_error *err);
ent_status ent_dh_index_deserialize(const void *buf, size_t len, ent_dh_index **out,
                                    ent_error *err);

/* Checksum identifying a reference set: XXH64 over (n, d as little-endian uint64) and the
 * n x d doubles' bytes in row order. Equal data give equal checksums; compare it with
 * ent_dh_index_data_checksum before trusting a stored index. */
uint64_t ent_dh_data_checksum(const double *x, size_t n, size_t d);

/* XXH64 (Collet's xxHash, 64-bit) of len bytes with the given seed; used for the checksums
 * above, exposed for tests. */
uint64_t ent_dh_hash64(const void *p, size_t len, uint64_t seed);

#endif
