/* QUESTS descriptors (QUESTS_MATH.md §2): x1 and x2 of every atom from its k nearest
 * neighbours (neighbors.c), OpenMP over atoms with per-thread scratch allocated up front,
 * and the multicomponent layout. The k row sorts of x2 and the sort of x1 run as one
 * sorting network whose compare-exchanges are vectorised across the rows. */
#include "info/descriptor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if !defined(ENT_NO_SIMD) && (defined(__AVX__) || defined(__SSE2__))
#include <immintrin.h>
#endif

#include "info/neighbors.h"

#define X1_EPS 1e-16 /* added to r before fc and the division (§2) */
#define X2_EPS 1e-15 /* added to the neighbour-neighbour distance only */
#define SCRATCH_ALIGN 64

/* A few SIMD operations on doubles. Written with intrinsics because GCC will not
 * vectorise sqrt without -fno-math-errno nor turn the compare-exchange into min/max
 * without -ffinite-math-only; these give the same IEEE results as the scalar forms
 * (min/max of finite values, correctly rounded sqrt/div) on every width; -DENT_NO_SIMD
 * selects the plain C forms. */
#if !defined(ENT_NO_SIMD) && defined(__AVX__)
#define VW 4
typedef __m256d vd;
#define V_LOAD _mm256_loadu_pd
#define V_STORE _mm256_storeu_pd
#define V_SET1 _mm256_set1_pd
#define V_MIN _mm256_min_pd
#define V_MAX _mm256_max_pd
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_MUL _mm256_mul_pd
#define V_DIV _mm256_div_pd
#define V_SQRT _mm256_sqrt_pd
#elif !defined(ENT_NO_SIMD) && defined(__SSE2__)
#define VW 2
typedef __m128d vd;
#define V_LOAD _mm_loadu_pd
#define V_STORE _mm_storeu_pd
#define V_SET1 _mm_set1_pd
#define V_MIN _mm_min_pd
#define V_MAX _mm_max_pd
#define V_ADD _mm_add_pd
#define V_SUB _mm_sub_pd
#define V_MUL _mm_mul_pd
#define V_DIV _mm_div_pd
#define V_SQRT _mm_sqrt_pd
#else
#define VW 1
typedef double vd;
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_SET1(x) (x)
#define V_MIN(a, b) ((a) < (b) ? (a) : (b))
#define V_MAX(a, b) ((a) > (b) ? (a) : (b))
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_DIV(a, b) ((a) / (b))
#define V_SQRT(a) sqrt(a)
#endif

size_t ent_descriptor_width(int k)
{
    return k < 1 ? 0 : (size_t)(2 * k - 1);
}

size_t ent_descriptor_multi_width(int k, int n_species)
{
    return (k < 1 || n_species < 0) ? 0 : (size_t)(n_species + 1) * (size_t)(2 * k - 1);
}

/* ---- workspace: everything the parallel region needs, allocated before it ---- */

typedef struct scratch {
    ent_nbr *nb;              /* k neighbour records, unordered */
    ent_nbr_key *order;       /* k: search heap, then indices into nb by distance */
    double *px, *py, *pz, *w; /* P: neighbour vectors and sqrt(fc) */
    double *tmp;              /* P */
    double *m;                /* P x Q: m[e * Q + r] = element e of row r */
} scratch;

typedef struct workspace {
    int k;
    size_t P;      /* k rounded up to a power of two (sorting network size) */
    size_t Q;      /* row stride of the x2 matrix: P rows of A, x1, filler */
    size_t ncmp;   /* compare-exchanges of the network */
    uint32_t *cmp; /* 2 * ncmp: (lo, hi) pairs, lo < hi */
    int nthreads;
    scratch *sc;   /* nthreads */
    void **blocks; /* nthreads aligned blocks backing sc */
    ent_nbr_grid *grid;
} workspace;

/* Batcher's odd-even merge sort on P (a power of two) keys; returns the number of
 * compare-exchanges, writes them if cmp is not NULL. */
static size_t batcher_network(size_t P, uint32_t *cmp)
{
    size_t c = 0;
    for (size_t p = 1; p < P; p <<= 1)
        for (size_t kk = p; kk >= 1; kk >>= 1)
            for (size_t j = kk % p; j + kk < P; j += 2 * kk)
                for (size_t i = 0; i < kk && i + j + kk < P; i++)
                    if ((i + j) / (2 * p) == (i + j + kk) / (2 * p)) {
                        if (cmp) {
                            cmp[2 * c] = (uint32_t)(i + j);
                            cmp[2 * c + 1] = (uint32_t)(i + j + kk);
                        }
                        c++;
                    }
    return c;
}

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static size_t round_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

static void workspace_free(workspace *ws)
{
    if (ws->blocks)
        for (int t = 0; t < ws->nthreads; t++)
            free(ws->blocks[t]);
    free(ws->blocks);
    free(ws->sc);
    free(ws->cmp);
    ent_nbr_grid_destroy(ws->grid);
    memset(ws, 0, sizeof *ws);
}

static ent_status workspace_init(workspace *ws, int k, size_t cap_atoms, ent_error *err)
{
    memset(ws, 0, sizeof *ws);
    ws->k = k;
    ws->P = 1;
    while (ws->P < (size_t)k)
        ws->P <<= 1;
    ws->Q = ws->P + 8;
    ws->ncmp = batcher_network(ws->P, NULL);
    ws->nthreads = max_threads();
    ws->cmp = malloc((2 * ws->ncmp + 1) * sizeof *ws->cmp);
    ws->sc = calloc((size_t)ws->nthreads, sizeof *ws->sc);
    ws->blocks = calloc((size_t)ws->nthreads, sizeof *ws->blocks);
    ws->grid = ent_nbr_grid_create(cap_atoms);
    if (!ws->cmp || !ws->sc || !ws->blocks || !ws->grid)
        goto oom;
    batcher_network(ws->P, ws->cmp);

    size_t P = ws->P;
    size_t nb_bytes = round_up((size_t)k * sizeof(ent_nbr), SCRATCH_ALIGN);
    size_t key_bytes = round_up((size_t)k * sizeof(ent_nbr_key), SCRATCH_ALIGN);
    /* Neighbour vectors are read in whole SIMD blocks past n: room for P + VW. */
    size_t vec_bytes = round_up((P + VW) * sizeof(double), SCRATCH_ALIGN);
    size_t mat_bytes = round_up(P * ws->Q * sizeof(double), SCRATCH_ALIGN);
    size_t bytes = nb_bytes + key_bytes + 5 * vec_bytes + mat_bytes;
    for (int t = 0; t < ws->nthreads; t++) {
        char *b = aligned_alloc(SCRATCH_ALIGN, bytes);
        if (!b)
            goto oom;
        ws->blocks[t] = b;
        scratch *sc = &ws->sc[t];
        sc->nb = (ent_nbr *)b;
        b += nb_bytes;
        sc->order = (ent_nbr_key *)b;
        b += key_bytes;
        double **vecs[5] = {&sc->px, &sc->py, &sc->pz, &sc->w, &sc->tmp};
        for (int v = 0; v < 5; v++, b += vec_bytes)
            *vecs[v] = (double *)b;
        sc->m = (double *)b;
    }
    return ENT_OK;
oom:
    workspace_free(ws);
    return ent_error_set(err, ENT_ENOMEM, "out of memory for descriptor workspace (k = %d)",
                         k);
}

/* ---- one descriptor row ---- */

/* Sort m[e * Q + r] ascending in e, for every row r < R at once: each compare-exchange
 * is a min/max over contiguous rows. */
static void network_sort(double *m, size_t Q, size_t R, const uint32_t *cmp, size_t ncmp)
{
    for (size_t c = 0; c < ncmp; c++) {
        double *a = m + (size_t)cmp[2 * c] * Q;
        double *b = m + (size_t)cmp[2 * c + 1] * Q;
        size_t r = 0;
        for (; r + VW <= R; r += VW) {
            vd u = V_LOAD(a + r), v = V_LOAD(b + r);
            V_STORE(a + r, V_MIN(u, v));
            V_STORE(b + r, V_MAX(u, v));
        }
        for (; r < R; r++) {
            double u = a[r], v = b[r];
            a[r] = u < v ? u : v;
            b[r] = u < v ? v : u;
        }
    }
}

/* tmp[e] = w_r w_e / (|p_e - p_r| + X2_EPS) for e in [r+1, n), whole SIMD blocks (the
 * arrays have VW readable entries past n). */
static void coupling_row(const double *px, const double *py, const double *pz,
                         const double *w, size_t r, size_t n, double *tmp)
{
    const vd xr = V_SET1(px[r]), yr = V_SET1(py[r]), zr = V_SET1(pz[r]);
    const vd wr = V_SET1(w[r]), eps = V_SET1(X2_EPS);
    for (size_t e = r + 1; e < n; e += VW) {
        vd dx = V_SUB(V_LOAD(px + e), xr), dy = V_SUB(V_LOAD(py + e), yr);
        vd dz = V_SUB(V_LOAD(pz + e), zr);
        vd d2 = V_ADD(V_ADD(V_MUL(dx, dx), V_MUL(dy, dy)), V_MUL(dz, dz));
        V_STORE(tmp + e, V_DIV(V_MUL(wr, V_LOAD(w + e)), V_ADD(V_SQRT(d2), eps)));
    }
}

/* Sum of row[0..R) in a fixed order (eight interleaved partial sums): vectorisable and
 * independent of threads. */
static double fixed_sum(const double *row, size_t R)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t r = 0;
    for (; r + 8 <= R; r += 8)
        for (int t = 0; t < 8; t++)
            acc[t] += row[r + t];
    for (int t = 0; r < R; r++, t++)
        acc[t] += row[r];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* x1 (k values) and x2 (k - 1 values) of one atom from its n <= k neighbours, given in
 * any order (x2 does not depend on it beyond rounding; x1 is sorted here). */
static void descriptor_row(const ent_nbr *nb, const ent_nbr_key *order, size_t n, double rc,
                           const workspace *ws, scratch *sc, double *x1, double *x2)
{
    const size_t k = (size_t)ws->k, P = ws->P, Q = ws->Q;
    double *restrict px = sc->px, *restrict py = sc->py, *restrict pz = sc->pz;
    double *restrict w = sc->w, *restrict tmp = sc->tmp;
    for (size_t j = 0; j < n; j++) {
        const ent_nbr *v = &nb[order[j].idx];
        double r = sqrt(v->d2);
        double re = r + X1_EPS;
        /* min(r, rc) written out: fmin is a libm call unless -ffinite-math-only. */
        double z = (re < rc ? re : rc) / rc, t = 1.0 - z * z;
        tmp[j] = t * t / re;
        double zw = (r < rc ? r : rc) / rc;
        w[j] = 1.0 - zw * zw; /* sqrt(fc(r)) = 1 - z^2 exactly */
        px[j] = v->d[0];
        py[j] = v->d[1];
        pz[j] = v->d[2];
    }
    if (n < 2) { /* at most one neighbour: x1 is sorted, A is all zero */
        for (size_t j = 0; j < k; j++)
            x1[j] = j < n ? tmp[j] : 0.0;
        for (size_t j = 0; j + 1 < k; j++)
            x2[j] = 0.0;
        return;
    }
    for (size_t j = n; j < n + VW; j++) /* padding read by coupling_row */
        px[j] = py[j] = pz[j] = w[j] = 0.0;

    /* m[e * Q + r] = element e of row r. Rows r < n hold A (rows n..R-1 of A are zero
     * and stay zero); row R holds the x1 values, sorted by the same network pass.
     * Elements e in [k, P) pad every row to the network size with -1, below every real
     * entry (all >= 0), so the top k - 1 of P are the top k - 1 of a row of A. */
    size_t R = round_up(n, 8);
    if (R > P)
        R = P;
    const size_t Rs = R + VW; /* sorted rows: A, the x1 row, filler */
    double *m = sc->m;
    for (size_t e = 0; e < P; e++) {
        double fill = e < k ? 0.0 : -1.0, *row = m + e * Q;
        for (size_t r = 0; r < Rs; r++)
            row[r] = fill;
    }
    for (size_t j = 0; j < n; j++)
        m[j * Q + R] = tmp[j];
    for (size_t r = 0; r + 1 < n; r++) {
        coupling_row(px, py, pz, w, r, n, tmp);
        for (size_t e = r + 1; e < n; e++) {
            m[e * Q + r] = tmp[e];
            m[r * Q + e] = tmp[e];
        }
    }
    network_sort(m, Q, Rs, ws->cmp, ws->ncmp);
    /* Element P-1-j of a row is its j-th largest; x2[j] averages it over the k rows. */
    for (size_t j = 0; j < k; j++)
        x1[j] = m[(P - 1 - j) * Q + R];
    for (size_t j = 0; j + 1 < k; j++)
        x2[j] = fixed_sum(m + (P - 1 - j) * Q, R) / (double)k;
}

/* Rows of every atom in the grid: out[atom * stride + x1_off ...], [... + x2_off]. */
static void run_grid(workspace *ws, double rc, double *out, size_t stride, size_t x1_off,
                     size_t x2_off)
{
    const ent_nbr_grid *g = ws->grid;
    const size_t n = ent_nbr_grid_size(g), k = (size_t)ws->k;
#ifdef _OPENMP
#pragma omp parallel num_threads(ws->nthreads) if (n >= 512)
#endif
    {
        scratch *sc = &ws->sc[thread_num()];
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 32)
#endif
        for (size_t s = 0; s < n; s++) {
            size_t cnt = ent_nbr_nearest(g, s, k, sc->nb, sc->order);
            double *row = out + ent_nbr_grid_atom(g, s) * stride;
            descriptor_row(sc->nb, sc->order, cnt, rc, ws, sc, row + x1_off, row + x2_off);
        }
    }
}

/* ---- public entry points ---- */

static ent_status check_common(size_t n, const double *positions, const void *out,
                               const ent_descriptor_params *p, ent_error *err)
{
    if (!p)
        return ent_error_set(err, ENT_EINVAL, "descriptor parameters missing");
    if (p->k < 1 || p->k > ENT_DESCRIPTOR_K_MAX)
        return ent_error_set(err, ENT_EINVAL, "k = %d: must be between 1 and %d", p->k,
                             ENT_DESCRIPTOR_K_MAX);
    if (!(p->cutoff > 0.0) || !isfinite(p->cutoff))
        return ent_error_set(err, ENT_EINVAL, "cutoff = %g: must be finite and > 0",
                             p->cutoff);
    if (n > 0 && (!positions || !out))
        return ent_error_set(err, ENT_EINVAL, "positions or output array missing");
    return ENT_OK;
}

ent_status ent_descriptors(const double *positions, size_t n, const double cell[9],
                           const int pbc[3], const ent_descriptor_params *p, double *out,
                           ent_error *err)
{
    ent_status st = check_common(n, positions, out, p, err);
    if (st != ENT_OK)
        return st;
    ent_nbr_geom geom;
    st = ent_nbr_geom_init(cell, pbc, p->quests_compat ? ENT_NBR_COMPAT : ENT_NBR_ENTRAIN,
                           p->cutoff, &geom, err);
    if (st == ENT_OK)
        st = ent_nbr_check_positions(&geom, positions, n, err);
    if (st != ENT_OK || n == 0)
        return st;

    workspace ws;
    if ((st = workspace_init(&ws, p->k, n, err)) != ENT_OK)
        return st;
    ent_nbr_grid_build(ws.grid, &geom, p->cutoff, positions, NULL, n);
    run_grid(&ws, p->cutoff, out, ent_descriptor_width(p->k), 0, (size_t)p->k);
    workspace_free(&ws);
    return ENT_OK;
}

ent_status ent_descriptors_multi(const double *positions, size_t n, const double cell[9],
                                 const int pbc[3], const int *species, int n_species,
                                 const ent_descriptor_params *p, double *out,
                                 ent_error *err)
{
    ent_status st = check_common(n, positions, out, p, err);
    if (st != ENT_OK)
        return st;
    if (n_species < 1)
        return ent_error_set(err, ENT_EINVAL, "n_species = %d: must be >= 1", n_species);
    if (n > 0 && !species)
        return ent_error_set(err, ENT_EINVAL, "species array missing");
    for (size_t a = 0; a < n; a++)
        if (species[a] < 0 || species[a] >= n_species)
            return ent_error_set(err, ENT_EINVAL,
                                 "atom %zu: species index %d out of range [0, %d)", a,
                                 species[a], n_species);
    ent_nbr_geom geom;
    st = ent_nbr_geom_init(cell, pbc,
                           p->quests_compat ? ENT_NBR_COMPAT_MULTI : ENT_NBR_ENTRAIN,
                           p->cutoff, &geom, err);
    if (st == ENT_OK)
        st = ent_nbr_check_positions(&geom, positions, n, err);
    if (st != ENT_OK || n == 0)
        return st;

    workspace ws;
    if ((st = workspace_init(&ws, p->k, n, err)) != ENT_OK)
        return st;
    size_t *subset = malloc(n * sizeof *subset);
    if (!subset) {
        workspace_free(&ws);
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu species indices", n);
    }

    /* Nothing can fail from here on: the output is written only now. */
    const size_t k = (size_t)p->k, S = (size_t)n_species;
    const size_t stride = ent_descriptor_multi_width(p->k, n_species);
    const size_t x2_base = (S + 1) * k;
    memset(out, 0, n * stride * sizeof *out);
    ent_nbr_grid_build(ws.grid, &geom, p->cutoff, positions, NULL, n);
    run_grid(&ws, p->cutoff, out, stride, 0, x2_base);
    for (size_t s = 0; s < S; s++) {
        size_t ns = 0;
        for (size_t a = 0; a < n; a++)
            if ((size_t)species[a] == s)
                subset[ns++] = a;
        if (ns == 0)
            continue;
        ent_nbr_grid_build(ws.grid, &geom, p->cutoff, positions, subset, ns);
        run_grid(&ws, p->cutoff, out, stride, (s + 1) * k, x2_base + (s + 1) * (k - 1));
    }
    free(subset);
    workspace_free(&ws);
    return ENT_OK;
}
