/* Kernel sums over descriptor sets and the QUESTS quantities built on them (kernel.h):
 * argument checks, preparing a set (row order, norms, packing, tile bounds), the two
 * parallel schedules (symmetric self sum, cross sum) and the serial reference.
 * The per-tile arithmetic lives in kernel_tile.c.
 *
 * Determinism: the work is cut into tiles of a fixed number of rows (independent of the
 * thread count). Every output row accumulates its per-tile partial sums in an order fixed
 * by the tiling alone:
 *  - self sum: tile pairs (I, J), I <= J, are processed in rounds of a round-robin
 *    tournament (circle method): within one round every tile appears in at most one pair,
 *    so a pair may add its row sums to rows I and its column sums to rows J without races,
 *    and each row receives its contributions in round order whatever thread ran them;
 *  - cross sum: the reference tiles are split into a fixed number of chunks (depending on
 *    the sizes only); each (query tile, chunk) task sums its chunk's tiles in order into its
 *    own partial array, and the partials are added in chunk order at the end. */
#include "info/kernel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "info/kernel_internal.h"

#include "info/omp_util.h"

/* Below this much work (pairs x d) a sum runs on the calling thread: waking a team costs
 * more than it saves, and far more on a busy machine, where spinning threads wait for a
 * time slice. The result does not depend on it (the summation order is per tile). */
#define SERIAL_BELOW 2.0e7

/* Cross sums are split into at least this many tasks when the reference has enough
 * tiles, so that a small query set still keeps every thread busy. */
#define CROSS_MIN_TASKS 64

/* ---------------------------------------------------------------------------------------
 * Argument checks */

static ent_status check_bandwidths(const double *h, size_t nh, ent_error *err)
{
    if (nh == 0)
        return ent_error_set(err, ENT_EINVAL, "kernel: no bandwidth given (nh == 0)");
    if (!h)
        return ent_error_set(err, ENT_EINVAL, "kernel: bandwidth array is NULL");
    for (size_t b = 0; b < nh; b++)
        if (!(h[b] > 0.0) || !isfinite(h[b]))
            return ent_error_set(err, ENT_EINVAL,
                                 "kernel: bandwidth h[%zu] = %g must be finite and > 0", b,
                                 h[b]);
    return ENT_OK;
}

static ent_status check_opts(const ent_kernel_opts *o, ent_error *err)
{
    if (o && o->tile && (o->tile % ENT_KT_NR || o->tile > 100000))
        return ent_error_set(err, ENT_EINVAL,
                             "kernel: tile = %zu must be a multiple of %d (at most 100000)",
                             o->tile, ENT_KT_NR);
    return ENT_OK;
}

static ent_status check_common(const double *y, size_t m, const double *x, size_t n,
                               size_t d, const double *h, size_t nh, const void *out,
                               ent_error *err)
{
    if (d == 0)
        return ent_error_set(err, ENT_EINVAL, "kernel: descriptor width d == 0");
    if ((m && !y) || (n && !x))
        return ent_error_set(err, ENT_EINVAL, "kernel: NULL descriptor array");
    if (m && !out)
        return ent_error_set(err, ENT_EINVAL, "kernel: NULL output array");
    size_t big = m > n ? m : n;
    if (big > SIZE_MAX / 16 / d || (nh && big > SIZE_MAX / 16 / nh / CROSS_MIN_TASKS))
        return ent_error_set(err, ENT_ENOMEM, "kernel: array sizes overflow");
    return check_bandwidths(h, nh, err);
}

/* ---------------------------------------------------------------------------------------
 * Row ordering: recursive bisection along the coordinate of largest spread. Where the
 * sorted coordinate has a gap so wide that every kernel across it is exactly 0, the split
 * goes there (whatever the sizes: this is what separates clusters); otherwise at a
 * tile-aligned median, so that the leaves are full tiles. Leaves (<= tile rows) become the
 * tiles. Deterministic: ties are broken by row index. */

typedef struct keyed {
    double v;
    size_t i;
} keyed;

static int keyed_cmp(const void *p, const void *q)
{
    const keyed *a = p, *b = q;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

typedef struct order_ctx {
    const double *x;
    size_t d, tile;
    double cmin;
    size_t *idx;      /* n: the order being built */
    keyed *tmp;       /* n */
    double *lohi;     /* 2d */
    size_t *leaf_end; /* up to n leaves */
    size_t nleaf;
} order_ctx;

/* Gap splits may make the recursion lopsided; past this depth only medians are used. */
#define ORDER_MAX_GAP_DEPTH 64

static void bisect(order_ctx *c, size_t lo, size_t hi, int depth)
{
    const size_t d = c->d, tile = c->tile;
    if (hi - lo <= tile) {
        c->leaf_end[c->nleaf++] = hi;
        return;
    }
    double *mn = c->lohi, *mx = c->lohi + d;
    for (size_t k = 0; k < d; k++) {
        mn[k] = INFINITY;
        mx[k] = -INFINITY;
    }
    for (size_t i = lo; i < hi; i++) {
        const double *r = c->x + c->idx[i] * d;
        for (size_t k = 0; k < d; k++) {
            mn[k] = r[k] < mn[k] ? r[k] : mn[k];
            mx[k] = r[k] > mx[k] ? r[k] : mx[k];
        }
    }
    size_t best = 0;
    double span = -1.0;
    for (size_t k = 0; k < d; k++)
        if (mx[k] - mn[k] > span) {
            span = mx[k] - mn[k];
            best = k;
        }
    size_t nt = (hi - lo + tile - 1) / tile, mid = lo + (nt / 2) * tile;
    if (span > 0.0) {
        keyed *t = c->tmp;
        for (size_t i = lo; i < hi; i++) {
            t[i].v = c->x[c->idx[i] * d + best];
            t[i].i = c->idx[i];
        }
        qsort(t + lo, hi - lo, sizeof *t, keyed_cmp);
        double gap = 0.0;
        size_t at = lo;
        for (size_t i = lo + 1; i < hi; i++) {
            c->idx[i - 1] = t[i - 1].i;
            if (t[i].v - t[i - 1].v > gap) {
                gap = t[i].v - t[i - 1].v;
                at = i;
            }
        }
        c->idx[hi - 1] = t[hi - 1].i;
        if (depth < ORDER_MAX_GAP_DEPTH && gap * gap * c->cmin > ENT_KT_ZERO_EXPONENT)
            mid = at;
    } /* else: all rows identical (or NaN), any split will do */
    bisect(c, lo, mid, depth + 1);
    bisect(c, mid, hi, depth + 1);
}

/* Centre (mean) and radius of rows src[lo..hi) of x (src NULL: rows lo..hi; entries of
 * src equal to SIZE_MAX are skipped). */
static double centre_radius(const double *x, const size_t *src, size_t lo, size_t hi,
                            size_t d, double *c)
{
    size_t cnt = 0;
    for (size_t k = 0; k < d; k++)
        c[k] = 0.0;
    for (size_t i = lo; i < hi; i++) {
        size_t row = src ? src[i] : i;
        if (row == SIZE_MAX)
            continue;
        cnt++;
        for (size_t k = 0; k < d; k++)
            c[k] += x[row * d + k];
    }
    for (size_t k = 0; k < d; k++)
        c[k] /= (double)(cnt ? cnt : 1);
    double r2 = 0.0;
    for (size_t i = lo; i < hi; i++) {
        size_t row = src ? src[i] : i;
        if (row == SIZE_MAX)
            continue;
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += (x[row * d + k] - c[k]) * (x[row * d + k] - c[k]);
        r2 = s > r2 ? s : r2;
    }
    /* Inflate so that rounding in the bound can never cause a wrong skip. */
    return sqrt(r2) * (1.0 + 1e-9) + 1e-300;
}

/* ---------------------------------------------------------------------------------------
 * Prepared sets */

static void kset_free(ent_kset *s)
{
    free(s->tstart);
    free(s->tcount);
    free(s->src);
    free(s->pack);
    free(s->rows_owned);
    free(s->norm);
    free(s->centre);
    free(s->radius);
    memset(s, 0, sizeof *s);
}

/* Tiles and slots: from the bisection leaves (reorder) or contiguous full tiles. */
static ent_status kset_layout(ent_kset *s, const double *x, int reorder, double cmin)
{
    const size_t n = s->n, d = s->d, tile = s->tile;
    size_t *idx = NULL, *leaf_end = NULL, nleaf;
    if (reorder) {
        order_ctx c = {.x = x, .d = d, .tile = tile, .cmin = cmin};
        c.idx = idx = malloc(n * sizeof *idx);
        c.leaf_end = leaf_end = malloc(n * sizeof *leaf_end);
        c.tmp = malloc(n * sizeof *c.tmp);
        c.lohi = malloc(2 * d * sizeof *c.lohi);
        if (!c.idx || !c.leaf_end || !c.tmp || !c.lohi) {
            free(idx);
            free(leaf_end);
            free(c.tmp);
            free(c.lohi);
            return ENT_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        bisect(&c, 0, n, 0);
        free(c.tmp);
        free(c.lohi);
        nleaf = c.nleaf;
    } else {
        nleaf = (n + tile - 1) / tile;
    }
    s->ntiles = nleaf;
    s->tstart = malloc(nleaf * sizeof *s->tstart);
    s->tcount = malloc(nleaf * sizeof *s->tcount);
    size_t npad = 0;
    for (size_t t = 0; t < nleaf && s->tstart && s->tcount; t++) {
        size_t lo = reorder ? (t ? leaf_end[t - 1] : 0) : t * tile;
        size_t hi = reorder ? leaf_end[t] : (lo + tile < n ? lo + tile : n);
        s->tstart[t] = npad;
        s->tcount[t] = hi - lo;
        npad += (hi - lo + ENT_KT_NR - 1) / ENT_KT_NR * ENT_KT_NR;
    }
    s->npad = npad;
    s->src = malloc(npad * sizeof *s->src);
    if (!s->tstart || !s->tcount || !s->src) {
        free(idx);
        free(leaf_end);
        return ENT_ENOMEM;
    }
    for (size_t i = 0; i < npad; i++)
        s->src[i] = SIZE_MAX;
    size_t sorted = 0;
    for (size_t t = 0; t < nleaf; t++)
        for (size_t r = 0; r < s->tcount[t]; r++, sorted++)
            s->src[s->tstart[t] + r] = idx ? idx[sorted] : sorted;
    free(idx);
    free(leaf_end);
    return ENT_OK;
}

static ent_status kset_init(ent_kset *s, const double *x, size_t n, size_t d, size_t tile,
                            int reorder, int use_blas, double cmin, ent_error *err)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->d = d;
    s->tile = tile;
    if (kset_layout(s, x, reorder, cmin) != ENT_OK) {
        kset_free(s);
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory (row order)");
    }
    const size_t npad = s->npad;
    s->norm = calloc(npad, sizeof *s->norm);
    s->centre = malloc(s->ntiles * d * sizeof *s->centre);
    s->radius = malloc(s->ntiles * sizeof *s->radius);
    if (use_blas) {
        if (reorder) {
            s->rows_owned = calloc(npad * d, sizeof *s->rows_owned);
            if (s->rows_owned)
                for (size_t i = 0; i < npad; i++)
                    if (s->src[i] != SIZE_MAX)
                        memcpy(s->rows_owned + i * d, x + s->src[i] * d, d * sizeof(double));
            s->rows = s->rows_owned;
        } else {
            s->rows = x; /* slots are rows; padding only past the end, never read */
        }
    } else {
        size_t bytes = npad * d * sizeof(double); /* a multiple of 64: NR * 8 = 192 */
        s->pack = aligned_alloc(64, bytes);
        if (s->pack) {
            memset(s->pack, 0, bytes);
            for (size_t i = 0; i < npad; i++) {
                if (s->src[i] == SIZE_MAX)
                    continue;
                const double *r = x + s->src[i] * d;
                double *p = s->pack + (i / ENT_KT_NR) * ENT_KT_NR * d + i % ENT_KT_NR;
                for (size_t k = 0; k < d; k++)
                    p[k * ENT_KT_NR] = r[k];
            }
        }
    }
    if (!s->norm || !s->centre || !s->radius || !(s->rows || s->pack)) {
        kset_free(s);
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory (%zu x %zu set)", n, d);
    }
    for (size_t i = 0; i < npad; i++) {
        if (s->src[i] == SIZE_MAX)
            continue;
        const double *r = x + s->src[i] * d;
        /* Same operation sequence as the micro-kernel's dot products (one fma per k, in
         * order, from 0), so a row against itself gives d2 = 0 exactly. */
        double acc = 0.0;
        for (size_t k = 0; k < d; k++)
            acc = fma(r[k], r[k], acc);
        s->norm[i] = acc;
    }
    for (size_t t = 0; t < s->ntiles; t++)
        s->radius[t] = centre_radius(x, s->src, s->tstart[t], s->tstart[t] + s->tcount[t],
                                     d, s->centre + t * d);
    return ENT_OK;
}

/* Bandwidth constants; returns cmin = min_b 0.5/h_b^2. negc must hold nh values. */
static double kparams_init(ent_kparams *kp, const double *h, size_t nh, double *negc,
                           const ent_kernel_opts *o)
{
    double cmin = INFINITY;
    for (size_t b = 0; b < nh; b++) {
        double c = 0.5 / (h[b] * h[b]);
        negc[b] = -c;
        cmin = c < cmin ? c : cmin;
    }
    kp->negc = negc;
    kp->nh = nh;
    kp->cmin = cmin;
    kp->use_blas = (o && o->use_blas) || !ent_kt_have_simd();
    kp->no_skip = o && o->no_skip;
    return cmin;
}

/* Could any pair of rows, one within radius ra of ca and one within rb of cb, have a
 * kernel that is exactly 0? If not, reordering is pointless. */
static int far_pairs_possible(const double *ca, double ra, const double *cb, double rb,
                              size_t d, double cmin)
{
    double s = 0.0;
    for (size_t k = 0; k < d; k++)
        s += (ca[k] - cb[k]) * (ca[k] - cb[k]);
    double ub = sqrt(s) + ra + rb;
    return ub * ub * cmin > ENT_KT_ZERO_EXPONENT;
}

static double *ws_alloc(size_t tile, size_t nh, size_t *per_thread)
{
    size_t w = ent_kt_workspace(tile, nh);
    w = (w + 7) / 8 * 8; /* keep every thread's block 64-byte aligned */
    *per_thread = w;
    return aligned_alloc(64, w * (size_t)max_threads() * sizeof(double));
}

/* ---------------------------------------------------------------------------------------
 * Self sum (symmetric, round-robin schedule) */

static ent_status self_sum(const double *x, size_t n, size_t d, const double *h, size_t nh,
                           const ent_kernel_opts *o, double *p, ent_error *err)
{
    ent_status st = check_common(x, n, x, n, d, h, nh, p, err);
    if (st == ENT_OK)
        st = check_opts(o, err);
    if (st != ENT_OK || n == 0)
        return st;
    size_t tile = o && o->tile ? o->tile : ENT_KT_TILE_DEFAULT;

    double *negc = malloc(nh * sizeof *negc);
    if (!negc)
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory");
    ent_kparams kp;
    double cmin = kparams_init(&kp, h, nh, negc, o);

    int reorder = 0;
    if (!(o && (o->no_reorder || o->no_skip))) {
        double *c = malloc(d * sizeof *c);
        if (!c) {
            free(negc);
            return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory");
        }
        double r = centre_radius(x, NULL, 0, n, d, c);
        reorder = far_pairs_possible(c, r, c, r, d, cmin);
        free(c);
    }

    ent_kset s;
    st = kset_init(&s, x, n, d, tile, reorder, kp.use_blas, cmin, err);
    if (st != ENT_OK) {
        free(negc);
        return st;
    }
    size_t wpt;
    double *acc = calloc(s.npad * nh, sizeof *acc);
    double *ws = ws_alloc(tile, nh, &wpt);
    if (!acc || !ws) {
        free(acc);
        free(ws);
        kset_free(&s);
        free(negc);
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory (accumulators)");
    }

    const size_t nt = s.ntiles, rounds = nt % 2 ? nt : nt + 1, ntask = (rounds + 1) / 2;
    size_t evaluated = 0;
#pragma omp parallel reduction(+ : evaluated) if ((double)n * (double)n * (double)d >= SERIAL_BELOW)
    {
        double *w = ws + (size_t)thread_id() * wpt;
        double *colacc = w + tile * tile;
        for (size_t r = 0; r < rounds; r++) {
#pragma omp for schedule(dynamic, 1)
            for (size_t t = 0; t < ntask; t++) {
                if (t == 0) { /* the tile that sits this round out does its own block */
                    if (r < nt) {
                        ent_kt_block(&s, r, &s, r, &kp, acc + s.tstart[r] * nh, NULL, w);
                        evaluated += s.tcount[r] * s.tcount[r];
                    }
                    continue;
                }
                size_t ta = (r + t) % rounds, tb = (r + rounds - t) % rounds;
                if (ta > tb) {
                    size_t tmp = ta;
                    ta = tb;
                    tb = tmp;
                }
                if (tb >= nt || ent_kt_skippable(&s, ta, &s, tb, &kp))
                    continue;
                const size_t rows_b = s.tcount[tb];
                memset(colacc, 0, nh * tile * sizeof *colacc);
                ent_kt_block(&s, ta, &s, tb, &kp, acc + s.tstart[ta] * nh, colacc, w);
                double *pb = acc + s.tstart[tb] * nh;
                for (size_t j = 0; j < rows_b; j++)
                    for (size_t b = 0; b < nh; b++)
                        pb[j * nh + b] += colacc[b * tile + j];
                evaluated += 2 * s.tcount[ta] * rows_b;
            }
        }
    }
    if (o && o->stats) {
        o->stats->pairs_total = (double)n * (double)n;
        o->stats->pairs_evaluated = (double)evaluated;
        o->stats->tiles_rows = o->stats->tiles_cols = nt;
        o->stats->reordered = reorder;
    }
    for (size_t i = 0; i < s.npad; i++)
        if (s.src[i] != SIZE_MAX)
            memcpy(p + s.src[i] * nh, acc + i * nh, nh * sizeof *p);
    free(acc);
    free(ws);
    kset_free(&s);
    free(negc);
    return ENT_OK;
}

/* ---------------------------------------------------------------------------------------
 * Cross sum (query rows against reference rows) */

static ent_status cross_sum(const double *y, size_t m, const double *x, size_t n, size_t d,
                            const double *h, size_t nh, const ent_kernel_opts *o, double *out,
                            ent_error *err)
{
    ent_status st = check_common(y, m, x, n, d, h, nh, out, err);
    if (st == ENT_OK)
        st = check_opts(o, err);
    if (st != ENT_OK || m == 0)
        return st;
    if (n == 0) {
        memset(out, 0, m * nh * sizeof *out);
        if (o && o->stats)
            memset(o->stats, 0, sizeof *o->stats);
        return ENT_OK;
    }
    size_t tile = o && o->tile ? o->tile : ENT_KT_TILE_DEFAULT;

    double *negc = malloc(nh * sizeof *negc);
    double *cy = malloc(2 * d * sizeof *cy);
    if (!negc || !cy) {
        free(negc);
        free(cy);
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory");
    }
    ent_kparams kp;
    double cmin = kparams_init(&kp, h, nh, negc, o);
    int reorder = 0;
    if (!(o && (o->no_reorder || o->no_skip))) {
        double ry = centre_radius(y, NULL, 0, m, d, cy);
        double rx = centre_radius(x, NULL, 0, n, d, cy + d);
        reorder = far_pairs_possible(cy, ry, cy + d, rx, d, cmin);
    }
    free(cy);

    ent_kset sy, sx;
    st = kset_init(&sy, y, m, d, tile, reorder, kp.use_blas, cmin, err);
    if (st == ENT_OK) {
        st = kset_init(&sx, x, n, d, tile, reorder, kp.use_blas, cmin, err);
        if (st != ENT_OK)
            kset_free(&sy);
    }
    if (st != ENT_OK) {
        free(negc);
        return st;
    }
    const size_t nty = sy.ntiles, ntx = sx.ntiles;
    size_t chunks = nty >= CROSS_MIN_TASKS ? 1 : (CROSS_MIN_TASKS + nty - 1) / nty;
    chunks = chunks < ntx ? chunks : ntx;
    size_t wpt;
    const size_t mp = sy.npad;
    double *part = calloc(chunks * mp * nh, sizeof *part);
    double *ws = ws_alloc(tile, nh, &wpt);
    if (!part || !ws) {
        free(part);
        free(ws);
        kset_free(&sy);
        kset_free(&sx);
        free(negc);
        return ent_error_set(err, ENT_ENOMEM, "kernel: out of memory (accumulators)");
    }
    const size_t ntask = nty * chunks;
    size_t evaluated = 0;
#pragma omp parallel reduction(+ : evaluated) if ((double)m * (double)n * (double)d >= SERIAL_BELOW)
    {
        double *w = ws + (size_t)thread_id() * wpt;
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < ntask; t++) {
            size_t ti = t / chunks, c = t % chunks;
            size_t j0 = c * ntx / chunks, j1 = (c + 1) * ntx / chunks;
            double *rowacc = part + (c * mp + sy.tstart[ti]) * nh;
            for (size_t tj = j0; tj < j1; tj++) {
                if (ent_kt_skippable(&sy, ti, &sx, tj, &kp))
                    continue;
                ent_kt_block(&sy, ti, &sx, tj, &kp, rowacc, NULL, w);
                evaluated += sy.tcount[ti] * sx.tcount[tj];
            }
        }
    }
    if (o && o->stats) {
        o->stats->pairs_total = (double)m * (double)n;
        o->stats->pairs_evaluated = (double)evaluated;
        o->stats->tiles_rows = nty;
        o->stats->tiles_cols = ntx;
        o->stats->reordered = reorder;
    }
    for (size_t i = 0; i < mp; i++) {
        if (sy.src[i] == SIZE_MAX)
            continue;
        for (size_t b = 0; b < nh; b++) {
            double s = 0.0;
            for (size_t c = 0; c < chunks; c++)
                s += part[(c * mp + i) * nh + b];
            out[sy.src[i] * nh + b] = s;
        }
    }
    free(part);
    free(ws);
    kset_free(&sy);
    kset_free(&sx);
    free(negc);
    return ENT_OK;
}

/* ---------------------------------------------------------------------------------------
 * Public API */

ent_status ent_kernel_sum_opts(const double *y, size_t m, const double *x, size_t n,
                               size_t d, const double *h, size_t nh, double *out,
                               const ent_kernel_opts *opts, ent_error *err)
{
    return cross_sum(y, m, x, n, d, h, nh, opts, out, err);
}

ent_status ent_kernel_sum(const double *y, size_t m, const double *x, size_t n, size_t d,
                          const double *h, size_t nh, double *out, ent_error *err)
{
    return cross_sum(y, m, x, n, d, h, nh, NULL, out, err);
}

ent_status ent_kernel_self_sum_opts(const double *x, size_t n, size_t d, const double *h,
                                    size_t nh, double *p, const ent_kernel_opts *opts,
                                    ent_error *err)
{
    return self_sum(x, n, d, h, nh, opts, p, err);
}

ent_status ent_kernel_self_sum(const double *x, size_t n, size_t d, const double *h,
                               size_t nh, double *p, ent_error *err)
{
    return self_sum(x, n, d, h, nh, NULL, p, err);
}

ent_status ent_entropy_from_p(const double *p, size_t n, size_t nh, double *entropy,
                              double *diversity)
{
    if (n == 0 || nh == 0 || !p)
        return ENT_EINVAL;
    const double logn = log((double)n);
    for (size_t b = 0; b < nh; b++) {
        double sl = 0.0, si = 0.0;
        for (size_t i = 0; i < n; i++) {
            sl += log(p[i * nh + b]);
            si += 1.0 / p[i * nh + b];
        }
        if (entropy)
            entropy[b] = logn - sl / (double)n;
        if (diversity)
            diversity[b] = log(si);
    }
    return ENT_OK;
}

ent_status ent_entropy(const double *x, size_t n, size_t d, const double *h, size_t nh,
                       double *entropy, double *diversity, double *p_out, ent_error *err)
{
    if (n == 0)
        return ent_error_set(err, ENT_EINVAL, "entropy: empty descriptor set (n == 0)");
    ent_status st = check_common(x, n, x, n, d, h, nh, x, err);
    if (st != ENT_OK)
        return st;
    double *p = p_out ? p_out : malloc(n * nh * sizeof *p);
    if (!p)
        return ent_error_set(err, ENT_ENOMEM, "entropy: out of memory (%zu x %zu)", n, nh);
    st = self_sum(x, n, d, h, nh, NULL, p, err);
    if (st == ENT_OK)
        ent_entropy_from_p(p, n, nh, entropy, diversity);
    if (!p_out)
        free(p);
    return st;
}

ent_status ent_delta_entropy(const double *y, size_t m, const double *x, size_t n,
                             size_t d, const double *h, size_t nh, double *out,
                             ent_error *err)
{
    ent_status st = cross_sum(y, m, x, n, d, h, nh, NULL, out, err);
    if (st != ENT_OK)
        return st;
    for (size_t i = 0; i < m * nh; i++)
        out[i] = out[i] > 0.0 ? -log(out[i]) : INFINITY;
    return ENT_OK;
}

ent_status ent_overlap(const double *y, size_t m, const double *x, size_t n, size_t d,
                       double h, double eps, double *overlap, ent_error *err)
{
    if (!overlap)
        return ent_error_set(err, ENT_EINVAL, "overlap: NULL result pointer");
    if (m == 0)
        return ent_error_set(err, ENT_EINVAL, "overlap: empty test set (m == 0)");
    if (isnan(eps))
        return ent_error_set(err, ENT_EINVAL, "overlap: eps is NaN");
    ent_status st = check_common(y, m, x, n, d, &h, 1, y, err);
    if (st != ENT_OK)
        return st;
    double *s = malloc(m * sizeof *s);
    if (!s)
        return ent_error_set(err, ENT_ENOMEM, "overlap: out of memory (%zu rows)", m);
    st = cross_sum(y, m, x, n, d, &h, 1, NULL, s, err);
    if (st == ENT_OK) {
        size_t hits = 0;
        for (size_t i = 0; i < m; i++)
            hits += (s[i] > 0.0 ? -log(s[i]) : INFINITY) < eps;
        *overlap = (double)hits / (double)m;
    }
    free(s);
    return st;
}

const char *ent_kernel_backend(const ent_kernel_opts *opts)
{
    if (ent_kt_have_simd() && !(opts && opts->use_blas))
        return "avx512 micro-kernel + polynomial exp";
    return "cblas_dgemm tiles + vector exp";
}

ent_status ent_kernel_sum_reference(const double *y, size_t m, const double *x, size_t n,
                                    size_t d, const double *h, size_t nh, double *out,
                                    ent_error *err)
{
    ent_status st = check_common(y, m, x, n, d, h, nh, out, err);
    if (st != ENT_OK)
        return st;
    for (size_t i = 0; i < m; i++) {
        for (size_t b = 0; b < nh; b++)
            out[i * nh + b] = 0.0;
        for (size_t j = 0; j < n; j++) {
            double d2 = 0.0;
            for (size_t k = 0; k < d; k++) {
                double t = y[i * d + k] - x[j * d + k];
                d2 += t * t;
            }
            for (size_t b = 0; b < nh; b++)
                out[i * nh + b] += exp(-0.5 * d2 / (h[b] * h[b]));
        }
    }
    return ENT_OK;
}
