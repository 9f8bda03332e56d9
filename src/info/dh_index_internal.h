/* Private to src/info/dh_index*.c: the in-memory layout of a dH index, shared by the
 * builder/query code (dh_index.c) and the serialiser (dh_index_io.c). */
#ifndef ENT_INFO_DH_INDEX_INTERNAL_H
#define ENT_INFO_DH_INDEX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "info/dh_index.h"

/* Tree shape: nodes in pre-order; node 0 is the root, the left child of an inner node v is
 * v + 1, the right child is right[v] (0 for a leaf: the root is nobody's child). A node of
 * c > leaf points is split on a leaf boundary: the left child gets floor(L/2) * leaf
 * points, L = ceil(c / leaf), the right child the rest. So every leaf holds exactly `leaf`
 * points except the last one, and the shape depends only on (n, leaf): it is recomputed on
 * load rather than stored, and a corrupted file cannot produce an out-of-range index.
 *
 * Points are stored leaf by leaf relative to the leaf's ball centre, in panels of
 * ENT_DHI_PANEL points stored coordinate-major: the leaf holding internal rows [s, s + c)
 * keeps coordinate k of its row s + j, j = j0 + i in the panel starting at j0 (of width
 * w = min(ENT_DHI_PANEL, c - j0)), at pts[(s + j0)*d + k*w + i] = x[k] - centre[k]
 * (ent_dhi_at). The query kernel then streams each panel contiguously, one SIMD load per
 * 8 points, and its dot-product form works with norms of the size of the distances (no
 * cancellation from large |x|).
 *
 * Projection: pk orthonormal directions V (the principal axes of the whole set, about its
 * mean mu). For every point z = V (x - mu) (pk values) and r = |x - mu - V^T z| (the
 * residual norm) are stored in the same panel layout with pk + 1 coordinates (k = pk for
 * r), and every node keeps the box of its points' (z, r). Since V is
 * orthonormal, |y - x|^2 >= |z_y - z_x|^2 + (r_y - r_x)^2: a per-point lower bound at
 * pk + 1 operations instead of d, and a node bound in pk + 1 dimensions. */
struct ent_dh_index {
    size_t n, d, leaf, nnodes, nleaves;
    size_t pk;         /* projection directions, 1..min(d, ENT_DHI_PROJ_MAX) */
    uint32_t split;    /* ent_dh_split the index was built with (informational) */
    uint64_t data_sum; /* ent_dh_data_checksum of the rows it was built from */
    /* shape (derived) */
    size_t *start, *count, *right;
    uint32_t *leaf_id;   /* per node: its number among the leaves (ascending start), or
                            UINT32_MAX for an inner node */
    uint32_t *leaf_node; /* per leaf: its node */
    /* per-node bounding ball (stored): centre (nnodes x d, the mean of the node's points)
     * and radius (nnodes, slightly inflated) */
    double *centre, *radius;
    double *pts;    /* n x d, leaf-transposed, centred (see above) */
    double *pmean;  /* d: mu */
    double *pvec;   /* pk x d: V, orthonormal rows */
    double *pbox;   /* nnodes x 2(pk+1): lower then upper ends of (z, r) */
    double *proj;   /* n x (pk+1), leaf-transposed (see above) */
    uint64_t *perm; /* internal row i = caller's row perm[i] */
    double *pcorr;  /* derived, per point in internal order: |x'|^2 + 2 c.x' with
                       x' = x - c the stored point and c its leaf's centre, so that
                       |y - x|^2 = |y - c|^2 - 2 y.x' + pcorr (the query kernel) */
    double *pjn;    /* derived, per point in internal order: |(z, r)|^2 */
};

/* Allocate an index with every array sized for (n, d, leaf, pk) and the shape filled in;
 * bounds, points, projection and permutation are left for the caller. NULL when out of
 * memory or when the sizes overflow. */
ent_dh_index *ent_dhi_alloc(size_t n, size_t d, size_t leaf, size_t pk);

/* Points in the left child of a node of c > leaf points. */
size_t ent_dhi_left_count(size_t c, size_t leaf);

/* Number of nodes of the tree over n points with the given leaf size. */
size_t ent_dhi_node_count(size_t n, size_t leaf);

/* Fill the derived per-point terms once pts is in place (after building or loading). */
void ent_dhi_finish(ent_dh_index *ix);

/* Points per storage panel (the query kernel's column block). */
#define ENT_DHI_PANEL 24

/* Index of coordinate k of point j of a leaf of c points with dd coordinates per point,
 * relative to the leaf's first value. */
static inline size_t ent_dhi_at(size_t dd, size_t c, size_t j, size_t k)
{
    size_t j0 = j / ENT_DHI_PANEL * ENT_DHI_PANEL, w = c - j0;
    w = w < ENT_DHI_PANEL ? w : ENT_DHI_PANEL;
    return j0 * dd + k * w + (j - j0);
}

/* Most projection directions. */
#define ENT_DHI_PROJ_MAX 32

/* Largest node count accepted: node numbers are stored as uint32_t. */
#define ENT_DHI_NODES_MAX ((size_t)UINT32_MAX - 1)

#endif
