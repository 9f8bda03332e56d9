/* dH index (dh_index.h): the tree's shape, building it (splits at the median, on a leaf
 * boundary, along the principal axis or the widest coordinate; bounding ball per node;
 * points reordered into leaf order), the projection onto the set's principal axes (per
 * point and per node), and the accessors. Queries live in dh_index_query.c, files in
 * dh_index_io.c.
 *
 * Determinism: the shape of the tree depends only on (n, leaf); every node is computed by
 * one task in a fixed order, sums over rows use a fixed chunking, so the built index is
 * identical for any thread count. */
#include "info/dh_index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "info/dh_index_internal.h"

#include "info/omp_util.h"

/* Power-iteration steps for the principal axis of a node, on at most POWER_SAMPLE points.
 */
#define POWER_STEPS 3
#define POWER_SAMPLE 4096
/* Nodes with more points than this are built as separate OpenMP tasks. */
#define TASK_MIN_POINTS 16384

/* ---------------------------------------------------------------------------------------
 * Shape and allocation (shared with dh_index_io.c) */

size_t ent_dhi_left_count(size_t c, size_t leaf)
{
    size_t leaves = c / leaf + (c % leaf != 0);
    return leaves / 2 * leaf;
}

size_t ent_dhi_node_count(size_t n, size_t leaf)
{
    if (n <= leaf)
        return 1;
    size_t l = ent_dhi_left_count(n, leaf);
    return 1 + ent_dhi_node_count(l, leaf) + ent_dhi_node_count(n - l, leaf);
}

static size_t shape_fill(ent_dh_index *ix, size_t v, size_t s, size_t c)
{
    ix->start[v] = s;
    ix->count[v] = c;
    ix->right[v] = 0;
    ix->leaf_id[v] = UINT32_MAX;
    if (c <= ix->leaf) {
        ix->leaf_id[v] = (uint32_t)ix->nleaves;
        ix->leaf_node[ix->nleaves++] = (uint32_t)v;
        return v + 1;
    }
    size_t l = ent_dhi_left_count(c, ix->leaf);
    size_t r = shape_fill(ix, v + 1, s, l);
    ix->right[v] = r;
    return shape_fill(ix, r, s + l, c - l);
}

static int mul_overflows(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b;
}

ent_dh_index *ent_dhi_alloc(size_t n, size_t d, size_t leaf, size_t pk)
{
    if (n == 0 || d == 0 || leaf == 0 || pk == 0 || pk > d || pk > ENT_DHI_PROJ_MAX)
        return NULL;
    size_t nn = ent_dhi_node_count(n, leaf);
    if (nn > ENT_DHI_NODES_MAX || mul_overflows(n, d + pk + 1) ||
        mul_overflows(n * (d + pk + 1), sizeof(double)) ||
        mul_overflows(nn, d + 2 * pk + 2) ||
        mul_overflows(nn * (d + 2 * pk + 2), sizeof(double)))
        return NULL;
    ent_dh_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->n = n;
    ix->d = d;
    ix->leaf = leaf;
    ix->nnodes = nn;
    ix->pk = pk;
    ix->start = malloc(nn * sizeof *ix->start);
    ix->count = malloc(nn * sizeof *ix->count);
    ix->right = malloc(nn * sizeof *ix->right);
    ix->leaf_id = malloc(nn * sizeof *ix->leaf_id);
    ix->leaf_node = malloc((nn + 1) / 2 * sizeof *ix->leaf_node); /* a full binary tree */
    ix->centre = malloc(nn * d * sizeof *ix->centre);
    ix->radius = malloc(nn * sizeof *ix->radius);
    ix->pts = malloc(n * d * sizeof *ix->pts);
    ix->perm = malloc(n * sizeof *ix->perm);
    ix->pcorr = malloc(n * sizeof *ix->pcorr);
    ix->pjn = malloc(n * sizeof *ix->pjn);
    ix->pmean = malloc(d * sizeof *ix->pmean);
    ix->pvec = malloc(pk * d * sizeof *ix->pvec);
    ix->pbox = malloc(nn * 2 * (pk + 1) * sizeof *ix->pbox);
    ix->proj = malloc(n * (pk + 1) * sizeof *ix->proj);
    if (!ix->start || !ix->count || !ix->right || !ix->leaf_id || !ix->leaf_node ||
        !ix->centre || !ix->radius || !ix->pts || !ix->perm || !ix->pcorr || !ix->pjn ||
        !ix->pmean || !ix->pvec || !ix->pbox || !ix->proj) {
        ent_dh_index_destroy(ix);
        return NULL;
    }
    shape_fill(ix, 0, 0, n);
    return ix;
}

void ent_dhi_finish(ent_dh_index *ix)
{
    size_t d = ix->d;
#pragma omp parallel for schedule(static) default(none) shared(ix) firstprivate(d)
    for (size_t l = 0; l < ix->nleaves; l++) {
        size_t v = ix->leaf_node[l], s = ix->start[v], c = ix->count[v];
        const double *p = ix->pts + s * d, *ce = ix->centre + v * d;
        for (size_t j = 0; j < c; j++) {
            double n2 = 0.0, cx = 0.0;
            for (size_t k = 0; k < d; k++) {
                double t = p[ent_dhi_at(d, c, j, k)];
                n2 += t * t;
                cx += ce[k] * t;
            }
            ix->pcorr[s + j] = n2 + 2.0 * cx;
        }
        const double *pr = ix->proj + s * (ix->pk + 1);
        for (size_t j = 0; j < c; j++) {
            double acc = 0.0;
            for (size_t k = 0; k <= ix->pk; k++)
                acc = fma(pr[ent_dhi_at(ix->pk + 1, c, j, k)],
                          pr[ent_dhi_at(ix->pk + 1, c, j, k)], acc);
            ix->pjn[s + j] = acc;
        }
    }
}

void ent_dh_index_destroy(ent_dh_index *ix)
{
    if (!ix)
        return;
    free(ix->start);
    free(ix->count);
    free(ix->right);
    free(ix->leaf_id);
    free(ix->leaf_node);
    free(ix->centre);
    free(ix->radius);
    free(ix->pts);
    free(ix->perm);
    free(ix->pcorr);
    free(ix->pjn);
    free(ix->pmean);
    free(ix->pvec);
    free(ix->pbox);
    free(ix->proj);
    free(ix);
}

size_t ent_dh_index_size(const ent_dh_index *ix)
{
    return ix ? ix->n : 0;
}

size_t ent_dh_index_dim(const ent_dh_index *ix)
{
    return ix ? ix->d : 0;
}

size_t ent_dh_index_leaf_size(const ent_dh_index *ix)
{
    return ix ? ix->leaf : 0;
}

size_t ent_dh_index_memory(const ent_dh_index *ix)
{
    if (!ix)
        return 0;
    size_t d = ix->d, pk = ix->pk;
    return sizeof *ix + (d + pk * d) * sizeof(double) +
           ix->nnodes * (3 * sizeof(size_t) + sizeof(uint32_t) +
                         (d + 1 + 2 * (pk + 1)) * sizeof(double)) +
           ix->nleaves * sizeof(uint32_t) +
           ix->n * ((d + pk + 3) * sizeof(double) + sizeof(uint64_t));
}

uint64_t ent_dh_index_data_checksum(const ent_dh_index *ix)
{
    return ix ? ix->data_sum : 0;
}

void ent_dh_index_permutation(const ent_dh_index *ix, size_t *perm)
{
    if (!ix || !perm)
        return;
    for (size_t i = 0; i < ix->n; i++)
        perm[i] = (size_t)ix->perm[i];
}

/* ---------------------------------------------------------------------------------------
 * Building */

typedef struct keyed {
    double v;
    size_t i;
} keyed;

static int kless(const keyed *a, const keyed *b)
{
    return a->v < b->v || (a->v == b->v && a->i < b->i);
}

static void kswap(keyed *a, ptrdiff_t i, ptrdiff_t j)
{
    keyed t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Partial sort of a[0..n) (keys unique thanks to the index tie-break) so that a[k] is the
 * k-th smallest, everything before it smaller and everything after it larger
 * (Hoare quickselect, median-of-three pivot; deterministic). */
static void select_kth(keyed *a, size_t n, size_t k)
{
    ptrdiff_t l = 0, r = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (r > l) {
        ptrdiff_t m = l + (r - l) / 2;
        if (kless(&a[m], &a[l]))
            kswap(a, l, m);
        if (kless(&a[r], &a[l]))
            kswap(a, l, r);
        if (kless(&a[r], &a[m]))
            kswap(a, m, r);
        keyed piv = a[m];
        ptrdiff_t i = l, j = r;
        while (i <= j) {
            while (kless(&a[i], &piv))
                i++;
            while (kless(&piv, &a[j]))
                j--;
            if (i <= j) {
                kswap(a, i, j);
                i++;
                j--;
            }
        }
        if (kk <= j)
            r = j;
        else if (kk >= i)
            l = i;
        else
            break;
    }
}

typedef struct build_ctx {
    const double *x;
    size_t d;
    size_t *idx;     /* internal row -> caller's row */
    keyed *tmp;      /* n */
    double *scratch; /* per thread 4d: box lo, hi and the power-iteration vectors (a node's
                        split is computed without a task scheduling point, so the tied task
                        keeps its thread throughout) */
    ent_dh_index *ix;
} build_ctx;

/* Centre (mean) and radius of node v from its points, and their box (lo, hi: d values each,
 * scratch). Returns the internal row of the point farthest from the centre (the start of
 * the power iteration). */
static size_t node_bounds(const build_ctx *b, size_t v, double *lo, double *hi)
{
    ent_dh_index *ix = b->ix;
    size_t d = b->d, s = ix->start[v], c = ix->count[v];
    double *ce = ix->centre + v * d;
    const double *r0 = b->x + b->idx[s] * d;
    for (size_t k = 0; k < d; k++) {
        lo[k] = hi[k] = r0[k];
        ce[k] = 0.0;
    }
    for (size_t i = s; i < s + c; i++) {
        const double *r = b->x + b->idx[i] * d;
        for (size_t k = 0; k < d; k++) {
            lo[k] = r[k] < lo[k] ? r[k] : lo[k];
            hi[k] = r[k] > hi[k] ? r[k] : hi[k];
            ce[k] += r[k];
        }
    }
    for (size_t k = 0; k < d; k++) {
        ce[k] /= (double)c;
        /* The mean of equal values can round outside [lo, hi]; keep it inside. */
        ce[k] = ce[k] < lo[k] ? lo[k] : (ce[k] > hi[k] ? hi[k] : ce[k]);
    }
    double r2 = 0.0;
    size_t far = s;
    for (size_t i = s; i < s + c; i++) {
        const double *r = b->x + b->idx[i] * d;
        double t = 0.0;
        for (size_t k = 0; k < d; k++)
            t += (r[k] - ce[k]) * (r[k] - ce[k]);
        if (t > r2) {
            r2 = t;
            far = i;
        }
    }
    /* Inflated so that rounding in |y - c| - r can never exceed the true distance. */
    ix->radius[v] = sqrt(r2) * (1.0 + 1e-12);
    return far;
}

/* Split direction of node v into dir (unit vector, d values). Returns 0 if all points of
 * the node coincide (any split is then as good as another). */
static int split_direction(const build_ctx *b, size_t v, size_t far, const double *lo,
                           const double *hi, double *dir, double *w)
{
    const ent_dh_index *ix = b->ix;
    size_t d = b->d, s = ix->start[v], c = ix->count[v];
    const double *ce = ix->centre + v * d;
    size_t kbest = 0;
    for (size_t k = 1; k < d; k++)
        if (hi[k] - lo[k] > hi[kbest] - lo[kbest])
            kbest = k;
    if (!(hi[kbest] - lo[kbest] > 0.0))
        return 0;
    if (ix->split == ENT_DH_SPLIT_WIDEST) {
        for (size_t k = 0; k < d; k++)
            dir[k] = k == kbest ? 1.0 : 0.0;
        return 1;
    }
    /* Power iteration on the scatter matrix, from the farthest point's offset. */
    const double *rf = b->x + b->idx[far] * d;
    for (size_t k = 0; k < d; k++)
        dir[k] = rf[k] - ce[k];
    /* On an evenly spaced sample of at most POWER_SAMPLE points: the direction needs no
     * more, and the top levels of a large tree would otherwise dominate the build. */
    size_t ns = c < POWER_SAMPLE ? c : POWER_SAMPLE;
    for (int step = 0; step < POWER_STEPS; step++) {
        for (size_t k = 0; k < d; k++)
            w[k] = 0.0;
        for (size_t u = 0; u < ns; u++) {
            const double *r = b->x + b->idx[s + u * (c / ns) + u * (c % ns) / ns] * d;
            double t = 0.0;
            for (size_t k = 0; k < d; k++)
                t += (r[k] - ce[k]) * dir[k];
            for (size_t k = 0; k < d; k++)
                w[k] += t * (r[k] - ce[k]);
        }
        double nw = 0.0;
        for (size_t k = 0; k < d; k++)
            nw += w[k] * w[k];
        if (!(nw > 0.0))
            break; /* keep the previous direction */
        nw = 1.0 / sqrt(nw);
        for (size_t k = 0; k < d; k++)
            dir[k] = w[k] * nw;
    }
    return 1;
}

static void build_node(const build_ctx *b, size_t v)
{
    const ent_dh_index *ix = b->ix;
    size_t d = b->d, s = ix->start[v], c = ix->count[v];
    double *lo = b->scratch + (size_t)thread_id() * 4 * d, *hi = lo + d, *dir = hi + d,
           *w = dir + d;
    size_t far = node_bounds(b, v, lo, hi);
    if (!ix->right[v])
        return;
    if (split_direction(b, v, far, lo, hi, dir, w)) {
        keyed *t = b->tmp + s;
        for (size_t i = 0; i < c; i++) {
            const double *r = b->x + b->idx[s + i] * d;
            double p = 0.0;
            for (size_t k = 0; k < d; k++)
                p += r[k] * dir[k];
            t[i].v = p;
            t[i].i = b->idx[s + i];
        }
        select_kth(t, c, ent_dhi_left_count(c, ix->leaf));
        for (size_t i = 0; i < c; i++)
            b->idx[s + i] = t[i].i;
    }
#pragma omp task if (c > TASK_MIN_POINTS) default(none) firstprivate(b, v)
    build_node(b, v + 1);
    build_node(b, ix->right[v]);
#pragma omp taskwait
}

/* Copy the points into leaf order, relative to the leaf's centre, in panels (see
 * dh_index_internal.h). */
static void fill_points(const build_ctx *b)
{
    ent_dh_index *ix = b->ix;
    size_t d = b->d;
#pragma omp parallel for schedule(dynamic, 64) default(none) shared(ix, b) firstprivate(d)
    for (size_t v = 0; v < ix->nnodes; v++) {
        if (ix->right[v])
            continue;
        size_t s = ix->start[v], c = ix->count[v];
        double *p = ix->pts + s * d;
        const double *ce = ix->centre + v * d;
        for (size_t j = 0; j < c; j++) {
            const double *r = b->x + b->idx[s + j] * d;
            for (size_t k = 0; k < d; k++)
                p[ent_dhi_at(d, c, j, k)] = r[k] - ce[k];
        }
    }
    for (size_t i = 0; i < ix->n; i++)
        ix->perm[i] = (uint64_t)b->idx[i];
}

/* ---------------------------------------------------------------------------------------
 * Projection: mean, principal axes (Jacobi eigen-decomposition of the covariance of a fixed
 * sample of rows), per-point (z, r) and per-node boxes of them. */

/* Rows per partial sum of the mean (fixed, so the sum does not depend on threads). */
#define MEAN_CHUNK 65536
/* Rows of the covariance sample (evenly spaced). */
#define COV_SAMPLE 65536

/* Eigen-decomposition of the symmetric n x n matrix a (destroyed) by cyclic Jacobi
 * rotations: w[i] eigenvalues, column i of v (v[k*n + i]) the eigenvector. */
static void jacobi_eigen(double *a, size_t n, double *w, double *v)
{
    for (size_t i = 0; i < n * n; i++)
        v[i] = (i / n == i % n) ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag = 0.0;
        for (size_t p = 0; p < n; p++) {
            diag += a[p * n + p] * a[p * n + p];
            for (size_t q = p + 1; q < n; q++)
                off += a[p * n + q] * a[p * n + q];
        }
        if (!(off > 1e-30 * diag))
            break;
        for (size_t p = 0; p + 1 < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0.0)
                    continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                double t =
                    (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), sn = t * c;
                for (size_t k = 0; k < n; k++) { /* A J */
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - sn * akq;
                    a[k * n + q] = sn * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) { /* J^T (A J) */
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - sn * aqk;
                    a[q * n + k] = sn * apk + c * aqk;
                }
                for (size_t k = 0; k < n; k++) { /* V J */
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - sn * vkq;
                    v[k * n + q] = sn * vkp + c * vkq;
                }
            }
    }
    for (size_t i = 0; i < n; i++)
        w[i] = a[i * n + i];
}

/* mu and V from the rows x (caller's order). work: d*d*3 + d + ceil(n/MEAN_CHUNK)*d. */
static void projection_axes(const double *x, size_t n, size_t d, size_t pk, double *mu,
                            double *vec, double *work)
{
    size_t nch = (n + MEAN_CHUNK - 1) / MEAN_CHUNK;
    double *cov = work, *ev = cov + d * d, *w = ev + d * d, *part = w + d;
#pragma omp parallel for schedule(static) default(none) shared(x, part)                    \
    firstprivate(n, d, nch)
    for (size_t ch = 0; ch < nch; ch++) {
        double *ps = part + ch * d;
        for (size_t k = 0; k < d; k++)
            ps[k] = 0.0;
        size_t hi = (ch + 1) * MEAN_CHUNK < n ? (ch + 1) * MEAN_CHUNK : n;
        for (size_t i = ch * MEAN_CHUNK; i < hi; i++)
            for (size_t k = 0; k < d; k++)
                ps[k] += x[i * d + k];
    }
    for (size_t k = 0; k < d; k++) {
        double t = 0.0;
        for (size_t ch = 0; ch < nch; ch++)
            t += part[ch * d + k];
        mu[k] = t / (double)n;
    }
    size_t ns = n < COV_SAMPLE ? n : COV_SAMPLE;
    for (size_t i = 0; i < d * d; i++)
        cov[i] = 0.0;
    for (size_t t = 0; t < ns; t++) {
        size_t i = t * (n / ns) + t * (n % ns) / ns;
        const double *r = x + i * d;
        for (size_t a = 0; a < d; a++) {
            double ua = r[a] - mu[a];
            for (size_t b = a; b < d; b++)
                cov[a * d + b] += ua * (r[b] - mu[b]);
        }
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++)
            cov[b * d + a] = cov[a * d + b];
    jacobi_eigen(cov, d, w, ev);
    /* The pk largest eigenvalues, ties by index. */
    for (size_t k = 0; k < pk; k++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < d; i++)
            if (w[i] > -INFINITY && (best == SIZE_MAX || w[i] > w[best]))
                best = i;
        for (size_t m = 0; m < d; m++)
            vec[k * d + m] = ev[m * d + best];
        w[best] = -INFINITY;
    }
}

/* (z, r) of every point, in the panel layout, and the boxes of all nodes. */
static void projection_fill(const build_ctx *b)
{
    ent_dh_index *ix = b->ix;
    size_t d = b->d, pk = ix->pk, w = 2 * (pk + 1);
#pragma omp parallel for schedule(dynamic, 16) default(none) shared(ix, b)                 \
    firstprivate(d, pk, w)
    for (size_t l = 0; l < ix->nleaves; l++) {
        size_t v = ix->leaf_node[l], s = ix->start[v], c = ix->count[v];
        double *pr = ix->proj + s * (pk + 1), *box = ix->pbox + v * w;
        for (size_t k = 0; k <= pk; k++) {
            box[k] = INFINITY;
            box[pk + 1 + k] = -INFINITY;
        }
        for (size_t j = 0; j < c; j++) {
            const double *r = b->x + b->idx[s + j] * d;
            double u[ENT_DHI_PROJ_MAX], res2 = 0.0;
            for (size_t k = 0; k < pk; k++) {
                const double *vk = ix->pvec + k * d;
                double z = 0.0;
                for (size_t m = 0; m < d; m++)
                    z += vk[m] * (r[m] - ix->pmean[m]);
                u[k] = z;
            }
            for (size_t m = 0; m < d; m++) {
                double t = r[m] - ix->pmean[m];
                for (size_t k = 0; k < pk; k++)
                    t -= u[k] * ix->pvec[k * d + m];
                res2 += t * t;
            }
            u[pk] = sqrt(res2);
            for (size_t k = 0; k <= pk; k++) {
                pr[ent_dhi_at(pk + 1, c, j, k)] = u[k];
                box[k] = u[k] < box[k] ? u[k] : box[k];
                box[pk + 1 + k] = u[k] > box[pk + 1 + k] ? u[k] : box[pk + 1 + k];
            }
        }
    }
    /* Inner nodes from their children (children have larger numbers). */
    for (size_t v = ix->nnodes; v-- > 0;) {
        if (!ix->right[v])
            continue;
        double *box = ix->pbox + v * w;
        const double *l = ix->pbox + (v + 1) * w, *r = ix->pbox + ix->right[v] * w;
        for (size_t k = 0; k <= pk; k++) {
            box[k] = l[k] < r[k] ? l[k] : r[k];
            box[pk + 1 + k] = l[pk + 1 + k] > r[pk + 1 + k] ? l[pk + 1 + k] : r[pk + 1 + k];
        }
    }
}

ent_status ent_dh_index_build(const double *x, size_t n, size_t d,
                              const ent_dh_index_params *p, ent_dh_index **out,
                              ent_error *err)
{
    if (!out)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL output pointer");
    if (n == 0 || d == 0)
        return ent_error_set(err, ENT_EINVAL,
                             "dh_index: empty reference set (n = %zu, d = %zu)", n, d);
    if (!x)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL reference array");
    size_t leaf = p && p->leaf_size ? p->leaf_size : ENT_DH_INDEX_LEAF_DEFAULT;
    if (leaf > ENT_DH_INDEX_LEAF_MAX)
        return ent_error_set(err, ENT_EINVAL, "dh_index: leaf_size = %zu exceeds %d", leaf,
                             ENT_DH_INDEX_LEAF_MAX);
    ent_dh_split split = p ? p->split : ENT_DH_SPLIT_PRINCIPAL;
    if (split != ENT_DH_SPLIT_PRINCIPAL && split != ENT_DH_SPLIT_WIDEST)
        return ent_error_set(err, ENT_EINVAL, "dh_index: unknown split rule %d",
                             (int)split);
    if (mul_overflows(n, d) || mul_overflows(n * d, 2 * sizeof(double)))
        return ent_error_set(err, ENT_ENOMEM, "dh_index: %zu x %zu overflows", n, d);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++)
            if (!isfinite(x[i * d + k]))
                return ent_error_set(err, ENT_EINVAL,
                                     "dh_index: reference row %zu column %zu is not finite",
                                     i, k);

    size_t pk = p && p->proj_dims ? p->proj_dims : ENT_DH_INDEX_PROJ_DEFAULT;
    if (pk > ENT_DHI_PROJ_MAX)
        return ent_error_set(err, ENT_EINVAL, "dh_index: proj_dims = %zu exceeds %d", pk,
                             ENT_DHI_PROJ_MAX);
    pk = pk < d ? pk : d;
    if (ent_dhi_node_count(n, leaf) > ENT_DHI_NODES_MAX)
        return ent_error_set(
            err, ENT_EINVAL,
            "dh_index: %zu rows with leaf size %zu need too many nodes; use a "
            "larger leaf size",
            n, leaf);
    ent_dh_index *ix = ent_dhi_alloc(n, d, leaf, pk);
    build_ctx b = {x, d, malloc(n * sizeof(size_t)), malloc(n * sizeof(keyed)), NULL, ix};
    size_t nt = (size_t)max_threads(), nch = (n + MEAN_CHUNK - 1) / MEAN_CHUNK;
    size_t nscr = 3 * d * d + d + nch * d; /* projection_axes' work, more than 4 d nt */
    nscr = nscr > 4 * d * nt ? nscr : 4 * d * nt;
    if (ix && !mul_overflows(nt, 4 * d) && !mul_overflows(d, d))
        b.scratch = malloc(nscr * sizeof(double));
    if (!ix || !b.idx || !b.tmp || !b.scratch) {
        free(b.idx);
        free(b.tmp);
        free(b.scratch);
        ent_dh_index_destroy(ix);
        return ent_error_set(err, ENT_ENOMEM, "dh_index: out of memory (%zu x %zu rows)", n,
                             d);
    }
    ix->split = (uint32_t)split;
    ix->data_sum = ent_dh_data_checksum(x, n, d);
    for (size_t i = 0; i < n; i++)
        b.idx[i] = i;
    const build_ctx *bp = &b;
#pragma omp parallel default(none) shared(bp)
#pragma omp single
    build_node(bp, 0);
    fill_points(&b);
    projection_axes(x, n, d, pk, ix->pmean, ix->pvec, b.scratch);
    projection_fill(&b);
    ent_dhi_finish(ix);
    free(b.idx);
    free(b.tmp);
    free(b.scratch);
    *out = ix;
    return ENT_OK;
}
