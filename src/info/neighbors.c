/* Effective geometry (which axes are periodic, the frame of reference, validation) and the
 * cell-list search behind the descriptors. Atoms are binned in fractional coordinates so
 * skewed and left-handed cells need no special case; a periodic axis whose height is
 * below the cutoff gets one bin and a reach of several cells (self-images). */
#include "info/neighbors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A cell whose volume is below this fraction of |a||b||c| is treated as singular. */
#define NBR_SINGULAR_REL 1e-10
/* Refuse geometries where one atom would have to visit more periodic images. */
#define NBR_MAX_IMAGES 1e7
/* Atoms further than this many cell lengths from the cell cannot be wrapped exactly. */
#define NBR_MAX_CELLS 1e15

static const char AXIS[3] = {'a', 'b', 'c'};

static void cross(const double *u, const double *v, double *w)
{
    w[0] = u[1] * v[2] - u[2] * v[1];
    w[1] = u[2] * v[0] - u[0] * v[2];
    w[2] = u[0] * v[1] - u[1] * v[0];
}

static double dot(const double *u, const double *v)
{
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
}

static double norm(const double *u)
{
    return sqrt(dot(u, u));
}

static double det3(const double *b)
{
    double c[3];
    cross(b + 3, b + 6, c);
    return dot(b, c);
}

static int cell_rows_finite(const double *cell, const int *axes)
{
    for (int i = 0; i < 3; i++)
        for (int c = 0; axes[i] && c < 3; c++)
            if (!isfinite(cell[3 * i + c]))
                return 0;
    return 1;
}

/* Relative volume |det| / (|a||b||c|) in [0, 1]; 0 for a zero row. */
static double rel_volume(const double *b)
{
    double l = norm(b) * norm(b + 3) * norm(b + 6);
    return l > 0 ? fabs(det3(b)) / l : 0.0;
}

static void unit(double *v)
{
    double l = norm(v);
    for (int c = 0; c < 3; c++)
        v[c] /= l;
}

/* Rows of b on non-periodic axes: unit vectors orthogonal to the periodic rows (and to
 * each other), so that the fractional coordinate along them is a length in Angstrom. */
static void complete_basis(double *b, const int *p)
{
    int np = p[0] + p[1] + p[2];
    if (np == 0) {
        memset(b, 0, 9 * sizeof *b);
        b[0] = b[4] = b[8] = 1.0;
    } else if (np == 2) {
        int i = !p[0] ? 0 : !p[1] ? 1 : 2;
        cross(b + 3 * ((i + 1) % 3), b + 3 * ((i + 2) % 3), b + 3 * i);
        unit(b + 3 * i);
    } else if (np == 1) {
        int i = p[0] ? 0 : p[1] ? 1 : 2;
        const double *a = b + 3 * i;
        double t[3] = {0, 0, 0}, e1[3], e2[3];
        int m = 0; /* Cartesian axis least aligned with a */
        for (int c = 1; c < 3; c++)
            if (fabs(a[c]) < fabs(a[m]))
                m = c;
        t[m] = 1.0;
        cross(a, t, e1);
        unit(e1);
        cross(a, e1, e2);
        unit(e2);
        memcpy(b + 3 * ((i + 1) % 3), e1, sizeof e1);
        memcpy(b + 3 * ((i + 2) % 3), e2, sizeof e2);
    }
}

ent_status ent_nbr_geom_init(const double *cell, const int *pbc, ent_nbr_mode mode,
                             double cutoff, ent_nbr_geom *g, ent_error *err)
{
    static const int ALL[3] = {1, 1, 1};
    memset(g, 0, sizeof *g);
    int p[3];
    for (int i = 0; i < 3; i++)
        p[i] = pbc && pbc[i];
    int compat_left_handed = 0;

    if (mode == ENT_NBR_COMPAT_MULTI) {
        /* The reference multicomponent call always takes the periodic path; it can only
         * do so with an invertible cell (it crashes otherwise, we fall back below). */
        if (cell && cell_rows_finite(cell, ALL) && rel_volume(cell) >= NBR_SINGULAR_REL)
            p[0] = p[1] = p[2] = 1;
        mode = ENT_NBR_COMPAT;
    }
    if (mode == ENT_NBR_COMPAT) {
        if (!(p[0] && p[1] && p[2])) {
            p[0] = p[1] = p[2] = 0; /* any non-periodic axis: isolated cluster */
        } else {
            g->compat_wrap = 1;
            if (cell && cell_rows_finite(cell, ALL) && det3(cell) < 0)
                compat_left_handed = 1;
        }
    }

    int np = p[0] + p[1] + p[2];
    if (np > 0 && !cell)
        return ent_error_set(err, ENT_EINVAL, "periodic structure without a cell");
    double *b = g->basis;
    if (np > 0)
        memcpy(b, cell, 9 * sizeof *b);
    for (int i = 0; i < 3; i++) {
        if (!p[i])
            continue;
        for (int c = 0; c < 3; c++)
            if (!isfinite(b[3 * i + c]))
                return ent_error_set(err, ENT_EGEOMETRY,
                                     "cell vector %c has a non-finite component", AXIS[i]);
        if (norm(b + 3 * i) == 0.0)
            return ent_error_set(err, ENT_EGEOMETRY,
                                 "cell vector %c is zero on a periodic axis", AXIS[i]);
    }
    complete_basis(b, p);
    if (rel_volume(b) < NBR_SINGULAR_REL)
        return ent_error_set(err, ENT_EGEOMETRY,
                             "singular cell: the periodic cell vectors are linearly "
                             "dependent (relative volume %.3g)",
                             rel_volume(b));

    double det = det3(b);
    for (int i = 0; i < 3; i++) {
        double c[3];
        cross(b + 3 * ((i + 1) % 3), b + 3 * ((i + 2) % 3), c);
        for (int r = 0; r < 3; r++)
            g->inv[3 * r + i] = c[r] / det;
        g->height[i] = fabs(det) / norm(c);
    }

    if (compat_left_handed) {
        /* Reference bug kept on request (QUESTS_MATH.md §3): negative heights give no
         * images, atoms are wrapped into the cell and then see only each other. */
        for (int i = 0; i < 3; i++)
            g->wrap[i] = 1;
        return ENT_OK;
    }

    double images = 1.0;
    for (int i = 0; i < 3; i++) {
        g->periodic[i] = g->wrap[i] = p[i];
        if (!p[i])
            continue;
        double ratio = cutoff / g->height[i];
        if (ratio > NBR_MAX_IMAGES)
            return ent_error_set(err, ENT_EGEOMETRY,
                                 "cell height %.6g along %c is too small for cutoff %.6g",
                                 g->height[i], AXIS[i], cutoff);
        double nb = fmax(1.0, floor(1.0 / ratio));
        images *= 2.0 * ceil(ratio * nb) + 1.0;
    }
    if (images > NBR_MAX_IMAGES)
        return ent_error_set(
            err, ENT_EGEOMETRY,
            "cell too small for cutoff %.6g: %.3g periodic images per atom "
            "(heights %.6g %.6g %.6g)",
            cutoff, images, g->height[0], g->height[1], g->height[2]);
    return ENT_OK;
}

static void fractional(const ent_nbr_geom *g, const double *x, double *u)
{
    for (int i = 0; i < 3; i++)
        u[i] = x[0] * g->inv[i] + x[1] * g->inv[3 + i] + x[2] * g->inv[6 + i];
}

ent_status ent_nbr_check_positions(const ent_nbr_geom *g, const double *positions, size_t n,
                                   ent_error *err)
{
    for (size_t a = 0; a < n; a++) {
        const double *x = positions + 3 * a;
        if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(x[2]))
            return ent_error_set(err, ENT_EGEOMETRY,
                                 "atom %zu has a non-finite coordinate (%g %g %g)", a, x[0],
                                 x[1], x[2]);
        double u[3];
        fractional(g, x, u);
        for (int i = 0; i < 3; i++)
            if (g->wrap[i] && !(fabs(u[i]) <= NBR_MAX_CELLS))
                return ent_error_set(err, ENT_EGEOMETRY,
                                     "atom %zu lies %.3g cell lengths away along %c", a,
                                     u[i], AXIS[i]);
    }
    return ENT_OK;
}

/* ---- the cell list ---- */

struct ent_nbr_grid {
    size_t cap_atoms, cap_bins, n;
    const ent_nbr_geom *geom;
    double rc2;
    int64_t nb[3], reach[3];
    double origin[3], width[3]; /* bin b along axis i covers origin + [b, b+1) * width */
    size_t *bin_start;          /* cap_bins + 1 */
    size_t *atom_bin;           /* build scratch, per input atom */
    size_t *slot_bin, *atom;    /* per slot */
    double *x, *y, *z;          /* wrapped Cartesian positions per slot */
    int64_t *shift;             /* 3 per slot: x_wrapped = x - shift . lattice */
};

ent_nbr_grid *ent_nbr_grid_create(size_t cap_atoms)
{
    ent_nbr_grid *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    size_t c = cap_atoms ? cap_atoms : 1;
    g->cap_atoms = cap_atoms;
    g->cap_bins = 2 * c + 64;
    g->bin_start = malloc((g->cap_bins + 1) * sizeof *g->bin_start);
    g->atom_bin = malloc(c * sizeof *g->atom_bin);
    g->slot_bin = malloc(c * sizeof *g->slot_bin);
    g->atom = malloc(c * sizeof *g->atom);
    g->x = malloc(c * sizeof *g->x);
    g->y = malloc(c * sizeof *g->y);
    g->z = malloc(c * sizeof *g->z);
    g->shift = malloc(3 * c * sizeof *g->shift);
    if (!g->bin_start || !g->atom_bin || !g->slot_bin || !g->atom || !g->x || !g->y ||
        !g->z || !g->shift) {
        ent_nbr_grid_destroy(g);
        return NULL;
    }
    return g;
}

void ent_nbr_grid_destroy(ent_nbr_grid *g)
{
    if (!g)
        return;
    free(g->bin_start);
    free(g->atom_bin);
    free(g->slot_bin);
    free(g->atom);
    free(g->x);
    free(g->y);
    free(g->z);
    free(g->shift);
    free(g);
}

size_t ent_nbr_grid_size(const ent_nbr_grid *g)
{
    return g->n;
}

size_t ent_nbr_grid_atom(const ent_nbr_grid *g, size_t slot)
{
    return g->atom[slot];
}

/* Python's x % 1.0 (result in [0, 1), sign of the divisor). */
static double py_mod1(double x)
{
    double m = fmod(x, 1.0);
    if (m != 0.0 && m < 0.0)
        m += 1.0;
    return m == 0.0 ? 0.0 : m;
}

/* Wrapped position w, the lattice shift s with w ~ x - s . lattice, and the coordinate u
 * used for binning (fractional in [0, 1] on wrapped axes). */
static void wrap_atom(const ent_nbr_geom *g, const double *x, double *w, int64_t *s,
                      double *u)
{
    const double *b = g->basis;
    fractional(g, x, u);
    if (g->compat_wrap) {
        /* Reference: f = round(x inv(cell), 12) % 1, position rebuilt as f . cell. */
        for (int i = 0; i < 3; i++) {
            double r = rint(u[i] * 1e12) / 1e12;
            s[i] = (int64_t)floor(r);
            u[i] = py_mod1(r);
        }
        for (int c = 0; c < 3; c++)
            w[c] = u[0] * b[c] + u[1] * b[3 + c] + u[2] * b[6 + c];
        return;
    }
    for (int i = 0; i < 3; i++) {
        double f = g->wrap[i] ? floor(u[i]) : 0.0;
        s[i] = (int64_t)f;
        u[i] -= f;
    }
    for (int c = 0; c < 3; c++)
        w[c] = x[c] -
               ((double)s[0] * b[c] + (double)s[1] * b[3 + c] + (double)s[2] * b[6 + c]);
}

static int64_t clamp_bin(double v, int64_t nb)
{
    if (!(v >= 0.0))
        return 0;
    if (v >= (double)(nb - 1))
        return nb - 1;
    return (int64_t)v;
}

void ent_nbr_grid_build(ent_nbr_grid *g, const ent_nbr_geom *geom, double cutoff,
                        const double *positions, const size_t *subset, size_t n)
{
    g->geom = geom;
    g->n = n;
    g->rc2 = cutoff * cutoff;

    /* Extent of the non-periodic coordinates. */
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    for (size_t a = 0; a < n; a++) {
        double w[3], u[3];
        int64_t s[3];
        wrap_atom(geom, positions + 3 * (subset ? subset[a] : a), w, s, u);
        for (int i = 0; i < 3; i++) {
            if (a == 0 || u[i] < lo[i])
                lo[i] = u[i];
            if (a == 0 || u[i] > hi[i])
                hi[i] = u[i];
        }
    }

    /* Bins at least one cutoff wide (perpendicular), capped at cap_bins in total so
     * that sparse or far-flung structures do not allocate a huge empty grid. */
    double nb[3], ext[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (geom->periodic[i]) {
            nb[i] = fmax(1.0, floor(geom->height[i] / cutoff));
            g->origin[i] = 0.0;
            g->width[i] = 1.0 / nb[i];
        } else {
            ext[i] = hi[i] - lo[i];
            g->origin[i] = lo[i];
            g->width[i] = cutoff / geom->height[i];
            nb[i] = isfinite(ext[i]) ? floor(ext[i] / g->width[i]) + 1.0 : 1.0;
            if (!isfinite(ext[i]))
                g->width[i] = INFINITY;
        }
    }
    while (nb[0] * nb[1] * nb[2] > (double)g->cap_bins) {
        int i = nb[0] >= nb[1] && nb[0] >= nb[2] ? 0 : nb[1] >= nb[2] ? 1 : 2;
        if (geom->periodic[i]) {
            nb[i] = fmax(1.0, floor(nb[i] / 2));
            g->width[i] = 1.0 / nb[i];
        } else {
            g->width[i] *= 2.0;
            nb[i] = floor(ext[i] / g->width[i]) + 1.0;
        }
    }
    for (int i = 0; i < 3; i++) {
        g->nb[i] = (int64_t)nb[i];
        double m = ceil(cutoff / (g->width[i] * geom->height[i]));
        if (!geom->periodic[i])
            m = fmin(m, nb[i] - 1.0); /* no images: never look beyond the grid */
        g->reach[i] = (int64_t)fmax(m, 0.0);
    }
    size_t nbins = (size_t)(g->nb[0] * g->nb[1] * g->nb[2]);

    /* Counting sort by bin; stable, so a bin lists its atoms by input order. */
    memset(g->bin_start, 0, (nbins + 1) * sizeof *g->bin_start);
    for (size_t a = 0; a < n; a++) {
        double w[3], u[3];
        int64_t s[3], bi[3];
        wrap_atom(geom, positions + 3 * (subset ? subset[a] : a), w, s, u);
        for (int i = 0; i < 3; i++)
            bi[i] = clamp_bin((u[i] - g->origin[i]) / g->width[i], g->nb[i]);
        size_t id = (size_t)((bi[2] * g->nb[1] + bi[1]) * g->nb[0] + bi[0]);
        g->atom_bin[a] = id;
        g->bin_start[id + 1]++;
    }
    for (size_t b = 0; b < nbins; b++)
        g->bin_start[b + 1] += g->bin_start[b];
    for (size_t a = 0; a < n; a++) {
        size_t orig = subset ? subset[a] : a;
        double w[3], u[3];
        int64_t s[3];
        wrap_atom(geom, positions + 3 * orig, w, s, u);
        size_t id = g->atom_bin[a];
        size_t slot = g->bin_start[id]++;
        g->slot_bin[slot] = id;
        g->atom[slot] = orig;
        g->x[slot] = w[0];
        g->y[slot] = w[1];
        g->z[slot] = w[2];
        memcpy(g->shift + 3 * slot, s, sizeof s);
    }
    for (size_t b = nbins; b > 0; b--)
        g->bin_start[b] = g->bin_start[b - 1];
    g->bin_start[0] = 0;
}

/* ---- k nearest with a bounded max-heap under the total order (d2, atom, shift) ----
 * The heap holds 16-byte keys pointing into nb[], so sifting moves little data; the
 * full neighbour records are compared only when distances tie. */

static inline int tie_less(const ent_nbr *a, const ent_nbr *b)
{
    if (a->atom != b->atom)
        return a->atom < b->atom;
    for (int i = 0; i < 3; i++)
        if (a->shift[i] != b->shift[i])
            return a->shift[i] < b->shift[i];
    return 0;
}

static inline int key_less(ent_nbr_key a, ent_nbr_key b, const ent_nbr *nb)
{
    if (a.d2 != b.d2)
        return a.d2 < b.d2;
    return tie_less(&nb[a.idx], &nb[b.idx]);
}

static void sift_down(ent_nbr_key *h, size_t i, size_t cnt, const ent_nbr *nb)
{
    ent_nbr_key v = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= cnt)
            break;
        if (c + 1 < cnt && key_less(h[c], h[c + 1], nb))
            c++;
        if (!key_less(v, h[c], nb))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

static void sift_up(ent_nbr_key *h, size_t i, const ent_nbr *nb)
{
    ent_nbr_key v = h[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!key_less(h[p], v, nb))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static inline int64_t floor_div(int64_t t, int64_t n)
{
    int64_t q = t / n;
    return (t % n != 0 && t < 0) ? q - 1 : q;
}

/* State of one k-nearest search. */
typedef struct search {
    const ent_nbr_grid *g;
    size_t slot, k, cnt;
    const int64_t *si; /* wrap shift of the central atom */
    double xi, yi, zi; /* its wrapped position */
    ent_nbr *nb;
    ent_nbr_key *h;
} search;

#define SCAN_CHUNK 64

/* Offer slots [s0, s1) (consecutive bins), translated by q . lattice, to the heap. The
 * squared distances of a chunk are computed first in a vectorisable loop; the few within
 * the cutoff are then recomputed (same expression, same value) and inserted. */
static void scan_range(search *st, size_t s0, size_t s1, int64_t qx, int64_t qy, int64_t qz)
{
    const ent_nbr_grid *g = st->g;
    const double *B = g->geom->basis;
    const double *restrict X = g->x, *restrict Y = g->y, *restrict Z = g->z;
    const double rc2 = g->rc2;
    const size_t k = st->k;
    ent_nbr *nb = st->nb;
    ent_nbr_key *h = st->h;
    size_t cnt = st->cnt;
    /* Candidate image = wrapped position + q . lattice; d = image - x_i. */
    const double fx = (double)qx, fy = (double)qy, fz = (double)qz;
    const double cx = st->xi - (fx * B[0] + fy * B[3] + fz * B[6]);
    const double cy = st->yi - (fx * B[1] + fy * B[4] + fz * B[7]);
    const double cz = st->zi - (fx * B[2] + fy * B[5] + fz * B[8]);
    const size_t self = (qx == 0 && qy == 0 && qz == 0) ? st->slot : SIZE_MAX;
    double d2c[SCAN_CHUNK];
    for (size_t s = s0; s < s1; s += SCAN_CHUNK) {
        const size_t e = s1 - s < SCAN_CHUNK ? s1 : s + SCAN_CHUNK;
        for (size_t t = s; t < e; t++) {
            double ddx = X[t] - cx, ddy = Y[t] - cy, ddz = Z[t] - cz;
            d2c[t - s] = ddx * ddx + ddy * ddy + ddz * ddz;
        }
        for (size_t t = s; t < e; t++) {
            const double d2 = d2c[t - s];
            if (!(d2 < rc2) || (cnt == k && d2 > h[0].d2) || t == self)
                continue;
            const int64_t *sj = g->shift + 3 * t;
            ent_nbr c = {
                d2,
                {X[t] - cx, Y[t] - cy, Z[t] - cz},
                g->atom[t],
                {qx - sj[0] + st->si[0], qy - sj[1] + st->si[1], qz - sj[2] + st->si[2]}};
            if (cnt < k) {
                nb[cnt] = c;
                h[cnt] = (ent_nbr_key){d2, (uint32_t)cnt};
                sift_up(h, cnt, nb);
                cnt++;
            } else if (d2 < h[0].d2 || tie_less(&c, &nb[h[0].idx])) {
                nb[h[0].idx] = c; /* the evicted record's place */
                h[0].d2 = d2;
                sift_down(h, 0, cnt, nb);
            }
        }
    }
    st->cnt = cnt;
}

/* Bin index along one axis after moving by d bins: wrapped with its lattice shift on a
 * periodic axis; -1 when it falls off a non-periodic grid. */
static inline int64_t step_bin(int64_t b, int64_t d, int64_t n, int periodic, int64_t *q)
{
    int64_t t = b + d;
    *q = 0;
    if (periodic) {
        *q = floor_div(t, n);
        return t - *q * n;
    }
    return (t < 0 || t >= n) ? -1 : t;
}

size_t ent_nbr_nearest(const ent_nbr_grid *g, size_t slot, size_t k, ent_nbr *nb,
                       ent_nbr_key *h)
{
    if (k == 0)
        return 0;
    const ent_nbr_geom *geom = g->geom;
    const int64_t *nbin = g->nb, *reach = g->reach;
    size_t id = g->slot_bin[slot];
    int64_t b[3];
    b[0] = (int64_t)(id % (size_t)nbin[0]);
    id /= (size_t)nbin[0];
    b[1] = (int64_t)(id % (size_t)nbin[1]);
    b[2] = (int64_t)(id / (size_t)nbin[1]);
    search st = {.g = g, .slot = slot, .k = k, .si = g->shift + 3 * slot, .nb = nb, .h = h};
    st.xi = g->x[slot];
    st.yi = g->y[slot];
    st.zi = g->z[slot];

    for (int64_t dz = -reach[2]; dz <= reach[2]; dz++) {
        int64_t qz, tz = step_bin(b[2], dz, nbin[2], geom->periodic[2], &qz);
        if (tz < 0)
            continue;
        for (int64_t dy = -reach[1]; dy <= reach[1]; dy++) {
            int64_t qy, ty = step_bin(b[1], dy, nbin[1], geom->periodic[1], &qy);
            if (ty < 0)
                continue;
            /* Bins along x are consecutive in memory: merge runs with the same shift. */
            const size_t row = (size_t)((tz * nbin[1] + ty) * nbin[0]);
            int64_t first = -1, last = -1, qrun = 0;
            for (int64_t dx = -reach[0]; dx <= reach[0] + 1; dx++) {
                int64_t qx = 0, tx = -1;
                if (dx <= reach[0])
                    tx = step_bin(b[0], dx, nbin[0], geom->periodic[0], &qx);
                if (tx >= 0 && first >= 0 && tx == last + 1 && qx == qrun) {
                    last = tx;
                    continue;
                }
                if (first >= 0)
                    scan_range(&st, g->bin_start[row + (size_t)first],
                               g->bin_start[row + (size_t)last + 1], qrun, qy, qz);
                first = last = tx;
                qrun = qx;
            }
        }
    }
    return st.cnt;
}
