/* dH index queries (dh_index.h): blocks of query rows traverse the tree together; each row
 * decides for itself which nodes and leaves it leaves out; leaves are summed for all rows
 * of the block that reach them with a register-blocked kernel.
 *
 * Per block of up to BLOCK rows (sorted by the leaf a greedy descent reaches, their "home"
 * leaf, so that a block holds nearby rows):
 *  1. pilot: each row's home leaf sum S1 <= S (S: the exact sum over all references);
 *  2. estimate: the sum over an evenly spaced sample of leaves, scaled up, gives an
 * estimate of S; the speculated lower bound is S_spec = max(S1, SPEC_FRACTION * estimate);
 *  3. depth-first traversal (left child first) with the set of rows still interested in a
 *     node as a bit mask. A row leaves out a node whose mass bound w (count * exp(-e), e
 * the projection-box bound on dmin^2 / 2h^2) fits its budget, or, at a leaf, whose
 * screening bound (a per-point projected bound, see kernel_group) fits. The budget rel_eps
 * S_spec is spread over the points in tree order and unused shares carry forward: a node
 * may use the share of every point up to its last one, minus what earlier skips used, so
 * the skipped bounds add up to B <= rel_eps S_spec. Nodes whose kernels all underflow are
 *     left out for any rel_eps, also 0. At a leaf the kernel sums it for the rows left;
 *  4. check: S_spec is a valid basis only if S_spec <= S_v (the sum the row evaluated, a
 *     proven lower bound on S). Rows where it is not (S1 always is: the home leaf is never
 *     left out) are traversed again with the budget rel_eps S_v of their first pass.
 * So B <= rel_eps L with L <= S proven, the premise of the bound stated in dh_index.h.
 *
 * Leaf kernel: with c the leaf's ball centre and x' = x - c the stored points,
 * |y - x|^2 = |y - c|^2 - 2 y.x' + (|x'|^2 + 2 c.x'); |y - c|^2 is computed per row and
 * leaf, the last term is precomputed per point, so the kernel is 8 rows x 24 points of dot
 * products (one fma per coordinate) and a fused exp. All terms are of the size of the
 * distances (|x'| is at most the leaf radius), so no precision is lost to large norms.
 *
 * Determinism: a row's decisions depend only on the row and the index; it adds its leaf
 * sums in ascending leaf order; every per-leaf sum is computed with the same operations
 * whatever other rows share the call (SIMD lanes are independent). So each row's result is
 * independent of the thread count, of its block and of the other rows. */
#include "info/dh_index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define DHQ_SIMD 1
#include <immintrin.h>
#else
#define DHQ_SIMD 0
#endif
#include "info/simd_exp.h"

#include "info/dh_index_internal.h"

#include "info/omp_util.h"

/* Rows per block: a uint64_t mask says which rows of the block are still interested. */
#define BLOCK 64
/* Rows per kernel group (one SIMD vector of rows in the bound pass). */
#define MR 8
/* A group with at least this many rows in use is computed in place, others are packed. */
#define PACK_MIN 6
/* Leaves sampled to estimate S (every stride-th, stride >= SAMPLE_STRIDE_MIN), and the
 * fraction of the estimate the budget is speculated on. */
#define SAMPLE_LEAVES 256
#define SAMPLE_STRIDE_MIN 32
#define SPEC_FRACTION 0.25
/* exp(-t) is exactly 0 in double precision for t > 745.14. */
#define ZERO_EXPONENT 746.0
/* Lower distance bounds are shrunk by this relative amount so that rounding in computing
 * them can never make a bound exceed the true distance. */
#define BOUND_SAFETY (1.0 - 1e-12)
/* Absolute safety of the screening bound, relative to the norms it is computed from. */
#define SCREEN_TOL 1e-13

/* Workspace of one thread. */
typedef struct workspace {
    double *qp;    /* d x BLOCK: the block's rows, coordinate-major (qp[k*BLOCK + q]) */
    double *panel; /* BLOCK x d: rows packed in 8-row groups (d x MR each) for the kernel */
    double zp[(ENT_DHI_PROJ_MAX + 1) * BLOCK]; /* the rows' (z, r), coordinate-major */
    double zn[BLOCK];                          /* |(z, r)|^2 of each row */
    double avail[BLOCK], res[BLOCK];
    double spec[BLOCK]; /* sample sums, then the speculated lower bound on S */
    double sum[BLOCK], s1[BLOCK], missed[BLOCK], out[MR];
    double budget[BLOCK], lnbudget[BLOCK]; /* rel_eps * (lower bound on S), its log */
    double e[BLOCK];    /* bound exponents dmin^2 / 2h^2 at the current node */
    double yc2[BLOCK];  /* |y - c|^2 to the current leaf's centre */
    size_t home[BLOCK]; /* home leaf node of each row */
    uint64_t pairs, leaves, bounded, screened, redone;
} workspace;

/* ---------------------------------------------------------------------------------------
 * Leaf kernel: for a group of 8 rows against the c points of a leaf (p: d coordinates per
 * point in the panel layout of dh_index_internal.h), with t_rj = yc2[r] - 2 y_r.p_j +
 * pc[j]:
 *  - kernel mode (pow2 = 0, coef = -1/2h^2): out[r] = sum_j exp(coef * max(t_rj, 0)); with
 *    p = x - c, pc = |x - c|^2 + 2 c.(x - c) and yc2 = |y - c|^2, t_rj = |y - x_j|^2;
 *  - screening mode (pow2 = 1, coef = log2(e)/2h^2 * BOUND_SAFETY): with p the points'
 *    (z, r), pc = |(z, r)|^2 and yc2 the row's |(z, r)|^2, t_rj is the projected lower
 *    bound on |y - x_j|^2; it is lowered by SCREEN_TOL * (yc2 + pc) (far more than the
 *    rounding of the dot-product form) and out[r] = sum_j 2^-floor(coef * max(t_rj, 0)),
 *    an upper bound on the leaf's kernel sum (each term at most doubles exp).
 * Each row's result depends only on that row (SIMD lanes are independent). */

#if DHQ_SIMD

static __mmask8 lanes(size_t left)
{
    return left >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << left) - 1u);
}

/* One group of 8 rows against the leaf: row r's coordinate k at qg[k*ys + r]. Points in
 * chunks of 24 (three vectors per row, 24 accumulators). */
static inline __attribute__((always_inline)) void
kernel_group(const double *qg, size_t ys, const double *yc2, const double *p,
             const double *pc, size_t c, size_t d, double coef, int pow2, double *out)
{
    const __m512d zero = _mm512_setzero_pd(), m2 = _mm512_set1_pd(-2.0),
                  vc = _mm512_set1_pd(coef), tol = _mm512_set1_pd(SCREEN_TOL),
                  one = _mm512_set1_pd(1.0), cap = _mm512_set1_pd(1100.0);
    __m512d s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero,
            s7 = zero;
    for (size_t j0 = 0; j0 < c; j0 += ENT_DHI_PANEL) {
        const size_t left = c - j0, w = left < ENT_DHI_PANEL ? left : ENT_DHI_PANEL;
        const __mmask8 k0 = lanes(left), k1 = left > 8 ? lanes(left - 8) : 0,
                       k2 = left > 16 ? lanes(left - 16) : 0;
        __m512d a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero,
                a20 = zero, a21 = zero, a22 = zero, a30 = zero, a31 = zero, a32 = zero,
                a40 = zero, a41 = zero, a42 = zero, a50 = zero, a51 = zero, a52 = zero,
                a60 = zero, a61 = zero, a62 = zero, a70 = zero, a71 = zero, a72 = zero;
        const double *pk = p + j0 * d, *yk = qg; /* the panel: d x w, coordinate-major */
        for (size_t k = 0; k < d; k++, pk += w, yk += ys) {
            __m512d b0 = _mm512_maskz_loadu_pd(k0, pk),
                    b1 = _mm512_maskz_loadu_pd(k1, pk + 8),
                    b2 = _mm512_maskz_loadu_pd(k2, pk + 16);
            __m512d y;
#define DHQ_ROW(r)                                                                         \
    y = _mm512_set1_pd(yk[r]);                                                             \
    a##r##0 = _mm512_fmadd_pd(y, b0, a##r##0);                                             \
    a##r##1 = _mm512_fmadd_pd(y, b1, a##r##1);                                             \
    a##r##2 = _mm512_fmadd_pd(y, b2, a##r##2);
            DHQ_ROW(0)
            DHQ_ROW(1)
            DHQ_ROW(2)
            DHQ_ROW(3)
            DHQ_ROW(4)
            DHQ_ROW(5)
            DHQ_ROW(6)
            DHQ_ROW(7)
#undef DHQ_ROW
        }
        __m512d c0 = _mm512_maskz_loadu_pd(k0, pc + j0),
                c1 = _mm512_maskz_loadu_pd(k1, pc + j0 + 8),
                c2 = _mm512_maskz_loadu_pd(k2, pc + j0 + 16);
#define DHQ_TERM(r, i, ki)                                                                 \
    {                                                                                      \
        __m512d nc = _mm512_add_pd(n, c##i), dd = _mm512_fmadd_pd(m2, a##r##i, nc), ee;    \
        if (pow2) {                                                                        \
            dd = _mm512_max_pd(_mm512_fnmadd_pd(tol, nc, dd), zero);                       \
            __m512d f = _mm512_roundscale_pd(_mm512_min_pd(_mm512_mul_pd(dd, vc), cap),    \
                                             _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);   \
            ee = _mm512_scalef_pd(one, _mm512_sub_pd(zero, f));                            \
        } else {                                                                           \
            ee = ent_exp8(_mm512_mul_pd(_mm512_max_pd(dd, zero), vc));                         \
        }                                                                                  \
        s##r = _mm512_add_pd(s##r, _mm512_maskz_mov_pd(ki, ee));                           \
    }
#define DHQ_EXP(r)                                                                         \
    {                                                                                      \
        __m512d n = _mm512_set1_pd(yc2[r]);                                                \
        DHQ_TERM(r, 0, k0)                                                                 \
        DHQ_TERM(r, 1, k1)                                                                 \
        DHQ_TERM(r, 2, k2)                                                                 \
    }
        DHQ_EXP(0)
        DHQ_EXP(1)
        DHQ_EXP(2)
        DHQ_EXP(3)
        DHQ_EXP(4)
        DHQ_EXP(5)
        DHQ_EXP(6)
        DHQ_EXP(7)
#undef DHQ_EXP
#undef DHQ_TERM
    }
    out[0] = _mm512_reduce_add_pd(s0);
    out[1] = _mm512_reduce_add_pd(s1);
    out[2] = _mm512_reduce_add_pd(s2);
    out[3] = _mm512_reduce_add_pd(s3);
    out[4] = _mm512_reduce_add_pd(s4);
    out[5] = _mm512_reduce_add_pd(s5);
    out[6] = _mm512_reduce_add_pd(s6);
    out[7] = _mm512_reduce_add_pd(s7);
}
#else
static inline void kernel_group(const double *qg, size_t ys, const double *yc2,
                                const double *p, const double *pc, size_t c, size_t d,
                                double coef, int pow2, double *out)
{
    for (size_t r = 0; r < MR; r++) {
        double s = 0.0;
        for (size_t j = 0; j < c; j++) {
            double dot = 0.0;
            for (size_t k = 0; k < d; k++)
                dot = fma(qg[k * ys + r], p[ent_dhi_at(d, c, j, k)], dot);
            double nc = yc2[r] + pc[j], d2 = fma(-2.0, dot, nc);
            if (pow2) {
                d2 = fma(-SCREEN_TOL, nc, d2);
                double u = (d2 > 0.0 ? d2 : 0.0) * coef;
                s += u < 1100.0 ? ldexp(1.0, -(int)floor(u)) : 0.0;
            } else {
                s += exp((d2 > 0.0 ? d2 : 0.0) * coef);
            }
        }
        out[r] = s;
    }
}
#endif

/* ---------------------------------------------------------------------------------------
 * Bounds */

/* For the rows of the 8-row groups of the block that have a bit in mask (other rows are
 * left stale): e = a lower bound on |y - x|^2 / 2h^2 over the points of node v, the squared
 * distance from the row's (z, r) to the node's projection box, shrunk by BOUND_SAFETY.
 * (pk + 1 operations per row; the ball bound (|y - c| - radius)^2 costs d and skipped no
 * more nodes in measurements, see bench/README.md.) */
static void box_bounds(const ent_dh_index *ix, size_t v, const double *zp, uint64_t mask,
                       double cpos, double *e)
{
    size_t pk = ix->pk, gl[BLOCK / MR], ng = 0;
    const double *box = ix->pbox + v * 2 * (pk + 1);
    for (size_t g = 0; g < BLOCK; g += MR)
        if (mask >> g & 0xFF) {
            gl[ng++] = g;
            for (size_t q = 0; q < MR; q++)
                e[g + q] = 0.0;
        }
    /* Coordinate-outer so that the active groups give independent accumulations. */
    for (size_t k = 0; k <= pk; k++) {
        const double *zk = zp + k * BLOCK, lo = box[k], hi = box[pk + 1 + k];
        for (size_t i = 0; i < ng; i++) {
            const double *zg = zk + gl[i];
            double *ag = e + gl[i];
#pragma omp simd
            for (size_t q = 0; q < MR; q++) {
                double a = lo - zg[q], b = zg[q] - hi;
                double t = a > b ? a : b;
                t = t > 0.0 ? t : 0.0;
                ag[q] += t * t;
            }
        }
    }
    for (size_t i = 0; i < ng; i++)
        for (size_t q = 0; q < MR; q++)
            e[gl[i] + q] *= BOUND_SAFETY * cpos;
}

/* yc2[q] = |y_q - c|^2 to leaf v's centre for the rows of the 8-row groups with a bit in
 * mask (the kernel's first term). */
static void centre_dist2(const ent_dh_index *ix, size_t v, const double *qp, uint64_t mask,
                         double *yc2)
{
    size_t d = ix->d, gl[BLOCK / MR], ng = 0;
    const double *ce = ix->centre + v * d;
    for (size_t g = 0; g < BLOCK; g += MR)
        if (mask >> g & 0xFF) {
            gl[ng++] = g;
            for (size_t q = 0; q < MR; q++)
                yc2[g + q] = 0.0;
        }
    for (size_t k = 0; k < d; k++) {
        const double *yk = qp + k * BLOCK, c = ce[k];
        for (size_t i = 0; i < ng; i++) {
            const double *yg = yk + gl[i];
            double *ag = yc2 + gl[i];
#pragma omp simd
            for (size_t q = 0; q < MR; q++) {
                double u = yg[q] - c;
                ag[q] += u * u;
            }
        }
    }
}

/* The same for one row (y: d values); returns the bound on |y - x|^2. */
static double node_dmin2(const ent_dh_index *ix, size_t v, const double *y)
{
    size_t d = ix->d;
    const double *ce = ix->centre + v * d;
    double sc = 0.0;
#pragma omp simd reduction(+ : sc)
    for (size_t k = 0; k < d; k++) {
        double u = y[k] - ce[k];
        sc += u * u;
    }
    double t = sqrt(sc) - ix->radius[v];
    return t > 0.0 ? t * t : 0.0;
}

/* ---------------------------------------------------------------------------------------
 * Traversal */

/* The two modes as separate functions, so that each is compiled with its mode constant. */
static void kernel_exp(const double *qg, size_t ys, const double *yc2, const double *p,
                       const double *pc, size_t c, size_t d, double coef, double *out)
{
    kernel_group(qg, ys, yc2, p, pc, c, d, coef, 0, out);
}

static void kernel_pow2(const double *qg, size_t ys, const double *yc2, const double *p,
                        const double *pc, size_t c, size_t d, double coef, double *out)
{
    kernel_group(qg, ys, yc2, p, pc, c, d, coef, 1, out);
}

/* Leaf node v for the rows in mask: res[q] = the kernel sum (screen = 0; ws->yc2 must hold
 * |y - c|^2 to the leaf's centre) or the projected upper bound on it (screen = 1). */
static void leaf_pass(const ent_dh_index *ix, size_t v, uint64_t mask, int screen,
                      double coef, workspace *ws, double *res)
{
    size_t s = ix->start[v], c = ix->count[v];
    size_t dd = screen ? ix->pk + 1 : ix->d;
    const double *src = screen ? ws->zp : ws->qp, *yn = screen ? ws->zn : ws->yc2;
    const double *p = screen ? ix->proj + s * dd : ix->pts + s * dd;
    const double *pc = screen ? ix->pjn + s : ix->pcorr + s;
    /* Groups with at least PACK_MIN of their 8 rows in use are computed in place (the
     * idle lanes cost less than packing the rows); the rest are packed densely. */
    uint64_t dense = 0;
    for (size_t g = 0; g < BLOCK; g += MR) {
        uint64_t gm = mask >> g & 0xFF;
        if (__builtin_popcountll(gm) >= PACK_MIN) {
            dense |= gm << g;
            (screen ? kernel_pow2 : kernel_exp)(src + g, BLOCK, yn + g, p, pc, c, dd, coef,
                                                ws->out);
            for (size_t r = 0; r < MR; r++)
                res[g + r] = ws->out[r];
        }
    }
    mask &= ~dense;
    if (!mask)
        return;
    size_t slot[BLOCK], g = 0;
    double ynp[BLOCK];
    for (uint64_t m = mask; m; m &= m - 1, g++) {
        size_t q = (size_t)__builtin_ctzll(m);
        double *dst = ws->panel + (g / MR) * dd * MR + g % MR;
        for (size_t k = 0; k < dd; k++)
            dst[k * MR] = src[k * BLOCK + q];
        ynp[g] = yn[q];
        slot[g] = q;
    }
    for (size_t r = g; r % MR; r++) /* padding lanes: finite, results unused */
        ynp[r] = 0.0;
    for (size_t g0 = 0; g0 < g; g0 += MR) {
        (screen ? kernel_pow2 : kernel_exp)(ws->panel + g0 * dd, MR, ynp + g0, p, pc, c, dd,
                                            coef, ws->out);
        size_t nr = g - g0 < MR ? g - g0 : MR;
        for (size_t r = 0; r < nr; r++)
            res[slot[g0 + r]] = ws->out[r];
    }
}

/* Sum leaf node v for the rows in mask into acc[q]. */
static void eval_leaf(const ent_dh_index *ix, size_t v, uint64_t mask, double negc,
                      workspace *ws, double *acc)
{
    size_t nrows = (size_t)__builtin_popcountll(mask);
    ws->pairs += (uint64_t)nrows * ix->count[v];
    ws->leaves += nrows;
    leaf_pass(ix, v, mask, 0, negc, ws, ws->res);
    for (uint64_t m = mask; m; m &= m - 1) {
        size_t q = (size_t)__builtin_ctzll(m);
        acc[q] += ws->res[q];
    }
}

/* Is node v an ancestor of (or equal to) node u? */
static int contains(const ent_dh_index *ix, size_t v, size_t u)
{
    return ix->start[u] >= ix->start[v] && ix->start[u] < ix->start[v] + ix->count[v];
}

/* Depth-first traversal for the rows of one block (mask `all`). A row leaves a node (skips
 * its subtree, adding the node's mass bound w to missed[q]) when all its kernels underflow,
 * or when w fits in the budget the row has accumulated so far: budget[q] is spread over the
 * points in tree order, and a node may use the share of every point up to its last one,
 * minus what earlier skips used, so the skips of a row add up to at most budget[q]. At a
 * leaf the same test is made with the screening bound. Never on the path to the row's home
 * leaf, whose sum the row takes from the pilot. */
static void traverse(const ent_dh_index *ix, uint64_t all, double negc, workspace *ws)
{
    struct {
        size_t node;
        uint64_t mask;
    } stack[80]; /* holds at most depth + 1 entries; depth <= 34 (leaves halve per level,
                    fewer than 2^32 nodes) */
    size_t top = 0;
    stack[top].node = 0;
    stack[top++].mask = all;
    while (top) {
        top--;
        size_t v = stack[top].node;
        uint64_t mask = stack[top].mask;
        box_bounds(ix, v, ws->zp, mask, -negc, ws->e);
        ws->bounded += (uint64_t)__builtin_popcountll(mask);
        const double cnt = (double)ix->count[v], lncnt = log(cnt),
                     share = (double)(ix->start[v] + ix->count[v]) / (double)ix->n;
        for (uint64_t m = mask; m; m &= m - 1) {
            size_t q = (size_t)__builtin_ctzll(m);
            double e = ws->e[q], w = 0.0;
            if (e < ZERO_EXPONENT) {
                if (e < lncnt - ws->lnbudget[q]) /* w > budget: cannot fit */
                    continue;
                w = cnt * exp(-e);
                if (w > ws->budget[q] * share - ws->missed[q])
                    continue;
            }
            if (contains(ix, v, ws->home[q]))
                continue;
            mask &= ~((uint64_t)1 << q);
            ws->missed[q] += w;
        }
        if (!mask)
            continue;
        if (!ix->right[v]) {
            /* Rows whose home leaf this is take the pilot's sum; the others are screened
             * with the projected per-point bound and leave if it fits their budget. */
            uint64_t pilot = 0, screen = 0;
            for (uint64_t m = mask; m; m &= m - 1) {
                size_t q = (size_t)__builtin_ctzll(m);
                if (ws->home[q] == v) {
                    pilot |= (uint64_t)1 << q;
                    ws->sum[q] += ws->s1[q];
                    continue;
                }
                ws->avail[q] = ws->budget[q] * share - ws->missed[q];
                if (ws->avail[q] > 0.0)
                    screen |= (uint64_t)1 << q;
            }
            if (screen) {
                leaf_pass(ix, v, screen, 1, -negc * BOUND_SAFETY * 1.4426950408889634, ws,
                          ws->res);
                ws->screened += (uint64_t)__builtin_popcountll(screen) * ix->count[v];
                for (uint64_t m = screen; m; m &= m - 1) {
                    size_t q = (size_t)__builtin_ctzll(m);
                    if (ws->res[q] <= ws->avail[q]) {
                        mask &= ~((uint64_t)1 << q);
                        ws->missed[q] += ws->res[q];
                    }
                }
            }
            if (mask & ~pilot) {
                centre_dist2(ix, v, ws->qp, mask & ~pilot, ws->yc2);
                eval_leaf(ix, v, mask & ~pilot, negc, ws, ws->sum);
            }
            continue;
        }
        stack[top].node = ix->right[v];
        stack[top++].mask = mask;
        stack[top].node = v + 1;
        stack[top++].mask = mask;
    }
}

/* ---------------------------------------------------------------------------------------
 * Row order: rows are grouped into blocks by their home leaf (nearby rows share leaves).
 * This only affects speed, never results. */

typedef struct keyed_row {
    uint32_t leaf;
    size_t row;
} keyed_row;

static int cmp_keyed_row(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->leaf != y->leaf)
        return (x->leaf > y->leaf) - (x->leaf < y->leaf);
    return (x->row > y->row) - (x->row < y->row);
}

/* The leaf a greedy descent reaches (the child with the smaller distance bound, left on
 * ties). */
static size_t home_leaf(const ent_dh_index *ix, const double *y)
{
    size_t v = 0;
    while (ix->right[v]) {
        size_t l = v + 1, r = ix->right[v];
        v = node_dmin2(ix, r, y) < node_dmin2(ix, l, y) ? r : l;
    }
    return v;
}

static void set_budget(workspace *w, size_t q, double budget)
{
    w->budget[q] = budget;
    w->lnbudget[q] = budget > 0.0 ? log(budget) : -INFINITY;
}

/* One block: rows order[0..nb) of y. */
static void query_block(const ent_dh_index *ix, const double *y, const keyed_row *order,
                        size_t nb, double negc, double rel_eps, workspace *w)
{
    size_t d = ix->d;
    const size_t pk = ix->pk;
    for (size_t q = 0; q < nb; q++) {
        const double *row = y + order[q].row * d;
        w->home[q] = ix->leaf_node[order[q].leaf];
        for (size_t k = 0; k < d; k++)
            w->qp[k * BLOCK + q] = row[k];
        w->s1[q] = w->sum[q] = w->missed[q] = 0.0;
        /* z = V (y - mu), r = |y - mu - V^T z|, as the index computed them for its points.
         */
        double z[ENT_DHI_PROJ_MAX], res2 = 0.0;
        for (size_t k = 0; k < pk; k++) {
            const double *vk = ix->pvec + k * d;
            double t = 0.0;
            for (size_t m = 0; m < d; m++)
                t += vk[m] * (row[m] - ix->pmean[m]);
            z[k] = t;
            w->zp[k * BLOCK + q] = t;
        }
        for (size_t m = 0; m < d; m++) {
            double t = row[m] - ix->pmean[m];
            for (size_t k = 0; k < pk; k++)
                t -= z[k] * ix->pvec[k * d + m];
            res2 += t * t;
        }
        w->zp[pk * BLOCK + q] = sqrt(res2);
        double zn = 0.0;
        for (size_t k = 0; k <= pk; k++)
            zn = fma(w->zp[k * BLOCK + q], w->zp[k * BLOCK + q], zn);
        w->zn[q] = zn;
    }
    /* Pilot: the home leaves, run by run (rows are sorted by home leaf). */
    for (size_t q0 = 0; q0 < nb;) {
        size_t q1 = q0;
        uint64_t run = 0;
        while (q1 < nb && w->home[q1] == w->home[q0])
            run |= (uint64_t)1 << q1++;
        centre_dist2(ix, w->home[q0], w->qp, run, w->yc2);
        eval_leaf(ix, w->home[q0], run, negc, w, w->s1);
        q0 = q1;
    }
    const uint64_t all = nb == BLOCK ? ~(uint64_t)0 : (((uint64_t)1 << nb) - 1);
    /* Estimate of S from an evenly spaced sample of leaves, scaled up; the budget is
     * speculated on half of it (never less than S1). */
    size_t stride = (ix->nleaves + SAMPLE_LEAVES - 1) / SAMPLE_LEAVES;
    stride = stride > SAMPLE_STRIDE_MIN ? stride : SAMPLE_STRIDE_MIN;
    for (size_t q = 0; q < nb; q++)
        w->spec[q] = 0.0;
    if (rel_eps > 0.0 && ix->nleaves >= 2 * stride)
        for (size_t l = stride / 2; l < ix->nleaves; l += stride) {
            size_t v = ix->leaf_node[l];
            uint64_t mask = all;
            for (size_t q = 0; q < nb; q++)
                if (w->home[q] == v)
                    mask &= ~((uint64_t)1 << q);
            if (!mask)
                continue;
            centre_dist2(ix, v, w->qp, mask, w->yc2);
            eval_leaf(ix, v, mask, negc, w, w->spec);
        }
    for (size_t q = 0; q < nb; q++) {
        double est = SPEC_FRACTION * (w->s1[q] + (double)stride * w->spec[q]);
        w->spec[q] = est > w->s1[q] ? est : w->s1[q];
        set_budget(w, q, rel_eps * w->spec[q]);
    }
    traverse(ix, all, negc, w);
    /* A speculated S_spec is a valid basis only if it is <= S (S_v <= S is proven). Rows
     * where it is not are traversed again with the budget based on their S_v. */
    uint64_t redo = 0;
    for (size_t q = 0; q < nb; q++)
        if (w->spec[q] > w->s1[q] && !(w->spec[q] <= w->sum[q])) {
            redo |= (uint64_t)1 << q;
            set_budget(w, q, rel_eps * w->sum[q]);
            w->sum[q] = w->missed[q] = 0.0;
            w->redone++;
        }
    if (redo)
        traverse(ix, redo, negc, w);
}

/* ---------------------------------------------------------------------------------------
 * Entry points */

static int mul_overflows(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b;
}

ent_status ent_dh_index_query_bounds(const ent_dh_index *ix, const double *y, size_t m,
                                     double h, double rel_eps, double *dh, double *dh_lower,
                                     ent_dh_query_stats *stats, ent_error *err)
{
    if (!ix)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL index");
    if (!(h > 0.0) || !isfinite(h))
        return ent_error_set(err, ENT_EINVAL,
                             "dh_index: bandwidth h = %g must be finite and > 0", h);
    if (!(rel_eps >= 0.0 && rel_eps < 1.0))
        return ent_error_set(err, ENT_EINVAL, "dh_index: rel_eps = %g must be in [0, 1)",
                             rel_eps);
    if (m && (!y || !dh))
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL query or output array");
    size_t d = ix->d;
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < d; k++)
            if (!isfinite(y[i * d + k]))
                return ent_error_set(err, ENT_EINVAL,
                                     "dh_index: query row %zu column %zu is not finite", i,
                                     k);
    ent_dh_query_stats st = {0, 0, 0, 0, 0, 0.0};
    if (m == 0) {
        if (stats)
            *stats = st;
        return ENT_OK;
    }

    /* Per-thread workspace, allocated before the parallel regions. */
    size_t nt = (size_t)max_threads();
    workspace *ws = calloc(nt, sizeof *ws);
    double *dbuf = NULL;
    keyed_row *order = malloc(m * sizeof *order);
    if (ws && !mul_overflows(nt * 2 * BLOCK, d) &&
        !mul_overflows(nt * 2 * BLOCK * d, sizeof(double)))
        dbuf = calloc(nt * 2 * BLOCK * d, sizeof *dbuf); /* zeros: finite unused lanes */
    if (!ws || !dbuf || !order) {
        free(ws);
        free(dbuf);
        free(order);
        return ent_error_set(err, ENT_ENOMEM, "dh_index: out of memory (query workspace)");
    }
    for (size_t t = 0; t < nt; t++) {
        ws[t].qp = dbuf + t * 2 * BLOCK * d;
        ws[t].panel = ws[t].qp + BLOCK * d;
    }

#pragma omp parallel for schedule(static) default(none) shared(ix, y, m, d, order)
    for (size_t i = 0; i < m; i++) {
        order[i].leaf = ix->leaf_id[home_leaf(ix, y + i * d)];
        order[i].row = i;
    }
    qsort(order, m, sizeof *order, cmp_keyed_row);

    const double negc = -0.5 / (h * h);
    const size_t nblocks = (m + BLOCK - 1) / BLOCK;
    double missed = 0.0;
#pragma omp parallel for schedule(dynamic, 1) default(none)                                \
    shared(ix, y, m, dh, dh_lower, ws, order) firstprivate(negc, rel_eps, nblocks)         \
        reduction(max                                                                      \
                  : missed)
    for (size_t b = 0; b < nblocks; b++) {
        workspace *w = &ws[thread_id()];
        size_t i0 = b * BLOCK, nb = m - i0 < BLOCK ? m - i0 : BLOCK;
        query_block(ix, y, order + i0, nb, negc, rel_eps, w);
        for (size_t q = 0; q < nb; q++) {
            size_t i = order[i0 + q].row;
            double s = w->sum[q];
            dh[i] = -log(s);
            if (dh_lower)
                dh_lower[i] = -log(s + w->missed[q]);
            double rel = w->missed[q] > 0.0 ? w->missed[q] / (s + w->missed[q]) : 0.0;
            missed = rel > missed ? rel : missed;
        }
    }
    for (size_t t = 0; t < nt; t++) {
        st.pairs_evaluated += ws[t].pairs;
        st.leaves_visited += ws[t].leaves;
        st.nodes_bounded += ws[t].bounded;
        st.pairs_screened += ws[t].screened;
        st.rows_redone += ws[t].redone;
    }
    st.max_missed = missed;
    free(ws);
    free(dbuf);
    free(order);
    if (stats)
        *stats = st;
    return ENT_OK;
}

ent_status ent_dh_index_query(const ent_dh_index *ix, const double *y, size_t m, double h,
                              double rel_eps, double *dh, ent_dh_query_stats *stats,
                              ent_error *err)
{
    return ent_dh_index_query_bounds(ix, y, m, h, rel_eps, dh, NULL, stats, err);
}
