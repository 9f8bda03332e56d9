/* Unit tests of the QUESTS descriptors (src/info/descriptor.c, neighbors.c): argument
 * errors first, then the reference numbers of the Python package (<= 1e-9 absolute, x2
 * only on tie-safe rows), a brute-force implementation on random cells of every kind, and
 * the invariants entrain promises (permutation, translation, rotation, supercell, thread
 * count, handedness, slabs, self-images, padding, multicomponent blocks). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "info/descriptor.h"
#include "io/reader.h"
#include "support/refdata.h"

#define K 32
#define RC 5.0
#define TOL_REF 1e-9
#define W_K (2 * K - 1)

static const int TTT[3] = {1, 1, 1}, FFF[3] = {0, 0, 0};

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double urand(void) /* [0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static ent_frame **read_all(const char *name, size_t *n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/data/%s.xyz", name);
    ent_reader *r = NULL;
    ent_error err = {0};
    if (ent_reader_open(test_data_path(rel), NULL, &r, &err) != ENT_OK)
        fail_msg("open %s: %s", rel, err.msg);
    ent_frame **v = NULL, *f;
    ent_status s;
    *n = 0;
    while ((s = ent_reader_next(r, &f, &err)) == ENT_OK) {
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = f;
    }
    if (s != ENT_EEOF)
        fail_msg("read %s: %s", rel, err.msg);
    ent_reader_close(r);
    return v;
}

static void free_frames(ent_frame **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ent_frame_destroy(v[i]);
    free(v);
}

static double *desc_k(const double *pos, size_t n, const double *cell, const int *pbc,
                      int k, double rc, int compat)
{
    ent_descriptor_params p = {k, rc, compat};
    double *out = malloc((n ? n : 1) * ent_descriptor_width(k) * sizeof *out);
    assert_non_null(out);
    ent_error err = {0};
    ent_status s = ent_descriptors(pos, n, cell, pbc, &p, out, &err);
    if (s != ENT_OK)
        fail_msg("ent_descriptors: %s", err.msg);
    return out;
}

static double *desc(const double *pos, size_t n, const double *cell, const int *pbc,
                    int compat)
{
    return desc_k(pos, n, cell, pbc, K, RC, compat);
}

static double *desc_frame(const ent_frame *f, int compat)
{
    return desc(f->positions, f->n_atoms, f->cell, f->pbc, compat);
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= m))
            m = d; /* NaN propagates as "huge" */
    }
    return m;
}

static double norm3(const double *u)
{
    return sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
}

static void cross3(const double *u, const double *v, double *x)
{
    x[0] = u[1] * v[2] - u[2] * v[1];
    x[1] = u[2] * v[0] - u[0] * v[2];
    x[2] = u[0] * v[1] - u[1] * v[0];
}

/* Spacing of the lattice planes along each periodic axis, within the periodic
 * sub-lattice only (3-D, 2-D or 1-D). */
static void lattice_heights(const double *c, const int *per, int np, double *h)
{
    for (int i = 0; i < 3; i++) {
        const double *u = c + 3 * ((i + 1) % 3), *v = c + 3 * ((i + 2) % 3), *a = c + 3 * i;
        double x[3];
        h[i] = 0;
        if (!per[i])
            continue;
        if (np == 3) {
            cross3(u, v, x);
            h[i] = fabs(a[0] * x[0] + a[1] * x[1] + a[2] * x[2]) / norm3(x);
        } else if (np == 2) {
            const double *o = per[(i + 1) % 3] ? u : v;
            cross3(a, o, x);
            h[i] = norm3(x) / norm3(o);
        } else {
            h[i] = norm3(a);
        }
    }
}

/* ---- brute force: every image in a generous box, qsort, the formulas read literally ----
 */

typedef struct cand {
    double d2, d[3];
    size_t j;
    long s[3];
} cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->d2 != b->d2)
        return a->d2 < b->d2 ? -1 : 1;
    if (a->j != b->j)
        return a->j < b->j ? -1 : 1;
    for (int i = 0; i < 3; i++)
        if (a->s[i] != b->s[i])
            return a->s[i] < b->s[i] ? -1 : 1;
    return 0;
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static double fc(double r, double rc)
{
    double z = fmin(r, rc) / rc;
    return (1 - z * z) * (1 - z * z);
}

/* reach[i]: image range per periodic axis (positions must lie within one cell of each
 * other along periodic axes). tie_safe[i] = 0 when the k-th and (k+1)-th neighbour are
 * closer than 1e-9 in distance. */
static void naive(const double *pos, size_t n, const double *cell, const int *pbc,
                  const long *reach, int k, double rc, double *out, int *tie_safe)
{
    size_t cap = 1024, w = ent_descriptor_width(k);
    cand *c = malloc(cap * sizeof *c);
    double *A = malloc((size_t)k * k * sizeof *A);
    assert_true(c && A);
    long r0 = pbc[0] ? reach[0] : 0, r1 = pbc[1] ? reach[1] : 0, r2 = pbc[2] ? reach[2] : 0;
    for (size_t i = 0; i < n; i++) {
        size_t nc = 0;
        for (size_t j = 0; j < n; j++)
            for (long a = -r0; a <= r0; a++)
                for (long b = -r1; b <= r1; b++)
                    for (long e = -r2; e <= r2; e++) {
                        if (j == i && a == 0 && b == 0 && e == 0)
                            continue;
                        cand x = {0, {0, 0, 0}, j, {a, b, e}};
                        for (int q = 0; q < 3; q++) {
                            x.d[q] = pos[3 * j + q] - pos[3 * i + q];
                            if (a || b || e)
                                x.d[q] += a * cell[q] + b * cell[3 + q] + e * cell[6 + q];
                        }
                        x.d2 = x.d[0] * x.d[0] + x.d[1] * x.d[1] + x.d[2] * x.d[2];
                        if (!(x.d2 < rc * rc))
                            continue;
                        if (nc == cap) {
                            c = realloc(c, (cap *= 2) * sizeof *c);
                            assert_non_null(c);
                        }
                        c[nc++] = x;
                    }
        qsort(c, nc, sizeof *c, cand_cmp);
        size_t nn = nc < (size_t)k ? nc : (size_t)k;
        if (tie_safe)
            tie_safe[i] = nc <= (size_t)k || sqrt(c[k].d2) - sqrt(c[k - 1].d2) > 1e-9;
        double *row = out + i * w;
        for (int j = 0; j < k; j++) {
            double r = (size_t)j < nn ? sqrt(c[j].d2) + 1e-16 : 0;
            row[j] = (size_t)j < nn ? fc(r, rc) / r : 0.0;
        }
        memset(A, 0, (size_t)k * k * sizeof *A);
        for (size_t j = 0; j < nn; j++)
            for (size_t l = 0; l < nn; l++) {
                if (j == l)
                    continue;
                double dx = c[j].d[0] - c[l].d[0], dy = c[j].d[1] - c[l].d[1],
                       dz = c[j].d[2] - c[l].d[2];
                A[j * k + l] = sqrt(fc(sqrt(c[j].d2), rc) * fc(sqrt(c[l].d2), rc)) /
                               (sqrt(dx * dx + dy * dy + dz * dz) + 1e-15);
            }
        for (int j = 0; j < k; j++)
            qsort(A + (size_t)j * k, (size_t)k, sizeof *A, dbl_cmp);
        for (int col = 1; col < k; col++) {
            double s = 0;
            for (int j = 0; j < k; j++)
                s += A[(size_t)j * k + col];
            row[k + (k - 1 - col)] = s / k;
        }
    }
    free(c);
    free(A);
}

/* ---- 1. invalid arguments ---- */

static void test_invalid_arguments(void **state)
{
    (void)state;
    double pos[6] = {0, 0, 0, 1.5, 0, 0}, cell[9] = {5, 0, 0, 0, 5, 0, 0, 0, 5};
    double out[2 * W_K], sentinel[2 * W_K];
    for (size_t i = 0; i < 2 * W_K; i++)
        out[i] = sentinel[i] = -7.0;
    ent_error err = {0};
    struct {
        int k;
        double rc;
    } bad[] = {{0, 5.0}, {-3, 5.0},    {ENT_DESCRIPTOR_K_MAX + 1, 5.0}, {K, 0.0}, {K, -1.0},
               {K, NAN}, {K, INFINITY}};
    for (size_t t = 0; t < sizeof bad / sizeof *bad; t++) {
        ent_descriptor_params p = {bad[t].k, bad[t].rc, 0};
        err.msg[0] = 0;
        assert_int_equal(ent_descriptors(pos, 2, cell, TTT, &p, out, &err), ENT_EINVAL);
        assert_true(strlen(err.msg) > 0);
        int sp[2] = {0, 0};
        assert_int_equal(ent_descriptors_multi(pos, 2, cell, TTT, sp, 1, &p, out, &err),
                         ENT_EINVAL);
    }
    ent_descriptor_params p = {K, RC, 0};
    assert_int_equal(ent_descriptors(pos, 2, cell, TTT, NULL, out, &err), ENT_EINVAL);
    assert_int_equal(ent_descriptors(NULL, 2, cell, TTT, &p, out, &err), ENT_EINVAL);
    assert_int_equal(ent_descriptors(pos, 2, NULL, TTT, &p, out, &err), ENT_EINVAL);

    /* Non-finite coordinates: the message names the atom. */
    double bad_pos[6] = {0, 0, 0, 1.5, NAN, 0};
    assert_int_equal(ent_descriptors(bad_pos, 2, cell, TTT, &p, out, &err), ENT_EGEOMETRY);
    assert_non_null(strstr(err.msg, "atom 1"));
    bad_pos[4] = 0;
    bad_pos[0] = -INFINITY;
    assert_int_equal(ent_descriptors(bad_pos, 2, NULL, FFF, &p, out, &err), ENT_EGEOMETRY);
    assert_non_null(strstr(err.msg, "atom 0"));

    /* An atom so far outside a periodic cell that it cannot be wrapped exactly. */
    double far_pos[6] = {0, 0, 0, 1e17, 0, 0};
    assert_int_equal(ent_descriptors(far_pos, 2, cell, TTT, &p, out, &err), ENT_EGEOMETRY);
    assert_non_null(strstr(err.msg, "atom 1"));

    /* Singular / degenerate cells on periodic axes; fine when the axis is not periodic. */
    double same[9] = {5, 0, 0, 5, 0, 0, 0, 0, 5}, zero[9] = {0};
    double flat[9] = {5, 0, 0, 0, 5, 0, 2.5, 2.5, 0}; /* c in the a-b plane */
    double thin[9] = {5, 0, 0, 0, 5, 0, 0, 0, 1e-9};  /* 5e9 images along c */
    double nan_cell[9] = {5, 0, 0, 0, NAN, 0, 0, 0, 5};
    const double *cells[] = {same, zero, flat, thin, nan_cell};
    for (size_t t = 0; t < 5; t++) {
        err.msg[0] = 0;
        assert_int_equal(ent_descriptors(pos, 2, cells[t], TTT, &p, out, &err),
                         ENT_EGEOMETRY);
        assert_true(strlen(err.msg) > 0);
    }
    int ttf[3] = {1, 1, 0};
    assert_int_equal(ent_descriptors(pos, 2, zero, ttf, &p, out, &err), ENT_EGEOMETRY);
    assert_int_equal(ent_descriptors(pos, 2, thin, ttf, &p, out, &err), ENT_OK);
    assert_int_equal(ent_descriptors(pos, 2, zero, FFF, &p, out, &err), ENT_OK);
    for (size_t i = 0; i < 2 * W_K; i++)
        out[i] = -7.0;

    /* Multicomponent: species out of range, no species. */
    int sp[2] = {0, 2};
    assert_int_equal(ent_descriptors_multi(pos, 2, cell, TTT, sp, 2, &p, out, &err),
                     ENT_EINVAL);
    assert_non_null(strstr(err.msg, "atom 1"));
    sp[1] = -1;
    assert_int_equal(ent_descriptors_multi(pos, 2, cell, TTT, sp, 2, &p, out, &err),
                     ENT_EINVAL);
    sp[1] = 0;
    assert_int_equal(ent_descriptors_multi(pos, 2, cell, TTT, sp, 0, &p, out, &err),
                     ENT_EINVAL);
    assert_int_equal(ent_descriptors_multi(pos, 2, cell, TTT, NULL, 1, &p, out, &err),
                     ENT_EINVAL);
    assert_int_equal(ent_descriptors_multi(bad_pos, 2, cell, TTT, sp, 1, &p, out, &err),
                     ENT_EGEOMETRY);
    /* Outputs untouched by every failing call. */
    assert_memory_equal(out, sentinel, sizeof out);

    /* Zero atoms is not an error. */
    assert_int_equal(ent_descriptors(NULL, 0, NULL, NULL, &p, NULL, &err), ENT_OK);
    assert_int_equal(ent_descriptor_width(32), 63);
    assert_int_equal(ent_descriptor_width(0), 0);
    assert_int_equal(ent_descriptor_multi_width(32, 2), 189);
}

/* ---- 2. reference numbers of the Python package ---- */

static void check_reference_file(const char *name, int compat)
{
    char key[256];
    size_t nf, rows, cols, trows, tcols;
    ent_frame **fr = read_all(name, &nf);
    snprintf(key, sizeof key, "files/%s/n_frames", name);
    assert_int_equal(nf, (size_t)test_reference_number(key));
    snprintf(key, sizeof key, "desc/%s_k32_c5.npy", name);
    double *ref = test_reference_npy(key, &rows, &cols);
    snprintf(key, sizeof key, "desc/%s_k32_c5.tie_safe.npy", name);
    double *safe = test_reference_npy(key, &trows, &tcols);
    assert_int_equal(cols, W_K);
    assert_int_equal(trows, rows);

    size_t row = 0, n_safe = 0;
    double m1 = 0, m2 = 0;
    for (size_t f = 0; f < nf; f++) {
        double *d = desc_frame(fr[f], compat);
        for (size_t i = 0; i < fr[f]->n_atoms; i++, row++) {
            assert_true(row < rows);
            const double *a = d + i * W_K, *b = ref + row * W_K;
            m1 = fmax(m1, max_diff(a, b, K));
            if (safe[row] != 0.0) {
                n_safe++;
                m2 = fmax(m2, max_diff(a + K, b + K, K - 1));
            }
        }
        free(d);
    }
    assert_int_equal(row, rows);
    print_message("  %-12s %s: %zu rows, max |dx1| %.2e, max |dx2| %.2e (%zu tie-safe)\n",
                  name, compat ? "compat " : "entrain", rows, m1, m2, n_safe);
    assert_true(m1 <= TOL_REF);
    assert_true(m2 <= TOL_REF);
    free(ref);
    free(safe);
    free_frames(fr, nf);
}

static void test_reference(void **state)
{
    (void)state;
    const char *names[] = {"al_md_300K", "al_md_1500K", "molecules", "ch4", "al_perfect"};
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < 5; i++)
            check_reference_file(names[i], c);
}

/* ---- 3. brute force on random structures ---- */

static void random_case(const double *cell, const int *pbc, size_t n, int k, double rc,
                        double spread)
{
    double *pos = malloc(3 * n * sizeof *pos), h[3];
    assert_non_null(pos);
    for (size_t i = 0; i < n; i++) {
        double f[3];
        for (int q = 0; q < 3; q++)
            f[q] = pbc[q] ? urand() : spread * urand();
        for (int q = 0; q < 3; q++)
            pos[3 * i + q] = f[0] * cell[q] + f[1] * cell[3 + q] + f[2] * cell[6 + q];
    }
    /* Generous image box: heights of the periodic sub-lattice, plus the largest possible
     * separation of two atoms. */
    int per[3], np = pbc[0] + pbc[1] + pbc[2];
    double diam = 0;
    for (int q = 0; q < 3; q++) {
        per[q] = pbc[q];
        diam += sqrt(cell[3 * q] * cell[3 * q] + cell[3 * q + 1] * cell[3 * q + 1] +
                     cell[3 * q + 2] * cell[3 * q + 2]) *
                (pbc[q] ? 1.0 : spread);
    }
    lattice_heights(cell, per, np, h);
    long reach[3];
    for (int q = 0; q < 3; q++)
        reach[q] = pbc[q] ? (long)ceil((rc + diam) / h[q]) + 1 : 0;
    size_t w = ent_descriptor_width(k);
    double *ref = malloc(n * w * sizeof *ref);
    int *safe = malloc(n * sizeof *safe);
    assert_true(ref && safe);
    naive(pos, n, cell, pbc, reach, k, rc, ref, safe);
    double *got = desc_k(pos, n, cell, pbc, k, rc, 0);
    double m1 = 0, m2 = 0;
    for (size_t i = 0; i < n; i++) {
        m1 = fmax(m1, max_diff(got + i * w, ref + i * w, (size_t)k));
        if (safe[i])
            m2 = fmax(m2, max_diff(got + i * w + k, ref + i * w + k, (size_t)k - 1));
    }
    if (!(m1 <= 1e-10 && m2 <= 1e-10))
        fail_msg("pbc %d%d%d n %zu k %d: max |dx1| %.3e |dx2| %.3e", pbc[0], pbc[1], pbc[2],
                 n, k, m1, m2);
    free(pos);
    free(ref);
    free(safe);
    free(got);
}

static void test_brute_force(void **state)
{
    (void)state;
    double cubic[9] = {9, 0, 0, 0, 9, 0, 0, 0, 9};
    double tric[9] = {8.5, 0, 0, 3.1, 7.9, 0, -2.2, 1.7, 8.8};
    double left[9] = {3.1, 7.9, 0, 8.5, 0, 0, -2.2, 1.7, 8.8}; /* det < 0 */
    double small[9] = {3.0, 0.2, 0, 0.9, 3.2, 0, 0.4, -0.7, 3.5};
    double slab[9] = {8.1, 0, 0, 2.0, 7.4, 0, 0.3, 0.2, 1.0}; /* c: unit-ish, unused */
    double wire[9] = {4.4, 1.0, 0.5, 0, 1, 0, 0, 0, 1};
    int ttf[3] = {1, 1, 0}, tft[3] = {1, 0, 1}, tff[3] = {1, 0, 0}, ftf[3] = {0, 1, 0};
    random_case(cubic, TTT, 40, 32, 5.0, 0);
    random_case(cubic, TTT, 40, 1, 5.0, 0);
    random_case(cubic, TTT, 40, 2, 5.0, 0);
    random_case(cubic, TTT, 40, 33, 5.0, 0); /* network padded to 64 */
    random_case(tric, TTT, 30, 16, 5.0, 0);
    random_case(left, TTT, 30, 32, 5.0, 0);
    random_case(small, TTT, 2, 40, 5.0, 0); /* self-images */
    random_case(small, TTT, 1, 12, 4.0, 0);
    random_case(tric, ttf, 30, 32, 5.0, 0);
    random_case(slab, ttf, 30, 24, 5.0, 9.0);
    random_case(tric, tft, 25, 7, 4.5, 0);
    random_case(wire, tff, 20, 32, 5.0, 7.0);
    random_case(small, ftf, 6, 32, 5.0, 3.0);
    random_case(cubic, FFF, 50, 32, 5.0, 1.5);
    random_case(cubic, FFF, 50, 5, 3.0, 1.5);
    random_case(cubic, FFF, 1, 3, 5.0, 1.0);
}

/* ---- 4. invariants ---- */

static void test_permutation(void **state)
{
    (void)state;
    size_t nf;
    ent_frame **fr = read_all("al_md_1500K", &nf);
    const ent_frame *f = fr[0];
    size_t n = f->n_atoms, *perm = malloc(n * sizeof *perm);
    double *pos = malloc(3 * n * sizeof *pos);
    assert_true(perm && pos);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(urand() * (double)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(pos + 3 * i, f->positions + 3 * perm[i], 3 * sizeof *pos);
    double *a = desc_frame(f, 0), *b = desc(pos, n, f->cell, f->pbc, 0), m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, max_diff(b + i * W_K, a + perm[i] * W_K, W_K));
    assert_true(m <= 1e-12);
    free(a);
    free(b);
    free(pos);
    free(perm);
    free_frames(fr, nf);
}

static void test_translation_rotation(void **state)
{
    (void)state;
    const char *names[] = {"al_md_1500K", "molecules"};
    for (int t = 0; t < 2; t++) {
        size_t nf;
        ent_frame **fr = read_all(names[t], &nf);
        const ent_frame *f = fr[0];
        size_t n = f->n_atoms;
        double *pos = malloc(3 * n * sizeof *pos), cell[9];
        assert_non_null(pos);
        double *a = desc_frame(f, 0);
        /* Translation far outside the cell (wrapping included). */
        const double shift[3] = {37.31, -18.02, 29.77};
        for (size_t i = 0; i < 3 * n; i++)
            pos[i] = f->positions[i] + shift[i % 3];
        double *b = desc(pos, n, f->cell, f->pbc, 0);
        assert_true(max_diff(a, b, n * W_K) <= 1e-9);
        free(b);
        /* Rotation of positions and cell together (x' = R x). */
        double th = 0.7, ph = -1.1, c1 = cos(th), s1 = sin(th), c2 = cos(ph), s2 = sin(ph);
        double R[9] = {c1, -s1, 0, s1 * c2, c1 * c2, -s2, s1 * s2, c1 * s2, c2};
        for (size_t i = 0; i < n + 3; i++) {
            const double *x = i < n ? f->positions + 3 * i : f->cell + 3 * (i - n);
            double *y = i < n ? pos + 3 * i : cell + 3 * (i - n);
            for (int r = 0; r < 3; r++)
                y[r] = R[3 * r] * x[0] + R[3 * r + 1] * x[1] + R[3 * r + 2] * x[2];
        }
        b = desc(pos, n, cell, f->pbc, 0);
        assert_true(max_diff(a, b, n * W_K) <= 1e-9);
        free(a);
        free(b);
        free(pos);
        free_frames(fr, nf);
    }
}

/* Replicate a periodic structure na x nb x nc times (images in blocks of n atoms). */
static double *replicate(const ent_frame *f, int na, int nb, int nc, double *cell)
{
    size_t n = f->n_atoms, r = 0;
    double *pos = malloc(3 * n * (size_t)(na * nb * nc) * sizeof *pos);
    assert_non_null(pos);
    for (int a = 0; a < na; a++)
        for (int b = 0; b < nb; b++)
            for (int c = 0; c < nc; c++, r++)
                for (size_t i = 0; i < n; i++)
                    for (int q = 0; q < 3; q++)
                        pos[3 * (r * n + i) + q] = f->positions[3 * i + q] +
                                                   a * f->cell[q] + b * f->cell[3 + q] +
                                                   c * f->cell[6 + q];
    for (int q = 0; q < 3; q++) {
        cell[q] = na * f->cell[q];
        cell[3 + q] = nb * f->cell[3 + q];
        cell[6 + q] = nc * f->cell[6 + q];
    }
    return pos;
}

static void test_supercell_and_threads(void **state)
{
    (void)state;
    size_t nf;
    ent_frame **fr = read_all("al_md_300K", &nf);
    const ent_frame *f = fr[5];
    size_t n = f->n_atoms;
    double cell[9];
    double *pos = replicate(f, 2, 2, 2, cell);
    double *a = desc_frame(f, 0), *b = desc(pos, 8 * n, cell, TTT, 0);
    for (size_t r = 0; r < 8; r++)
        assert_true(max_diff(a, b + r * n * W_K, n * W_K) <= 1e-9);

    /* Thread count: bit-identical, also with the k-th-neighbour ties of perfect fcc. */
    size_t np;
    ent_frame **perfect = read_all("al_perfect", &np);
    double pcell[9];
    double *ppos = replicate(perfect[0], 2, 2, 1, pcell);
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    double *b1 = desc(pos, 8 * n, cell, TTT, 0), *p1 = desc(ppos, 4 * 108, pcell, TTT, 0);
#ifdef _OPENMP
    omp_set_num_threads(saved > 1 ? saved : 2);
#endif
    double *b2 = desc(pos, 8 * n, cell, TTT, 0), *p2 = desc(ppos, 4 * 108, pcell, TTT, 0);
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    assert_memory_equal(b1, b2, 8 * n * W_K * sizeof *b1);
    assert_memory_equal(p1, p2, 4 * 108 * W_K * sizeof *p1);
    assert_memory_equal(b, b2, 8 * n * W_K * sizeof *b1);
    free(a);
    free(b);
    free(b1);
    free(b2);
    free(p1);
    free(p2);
    free(pos);
    free(ppos);
    free_frames(perfect, np);
    free_frames(fr, nf);
}

static void test_left_handed(void **state)
{
    (void)state;
    size_t nf;
    ent_frame **fr = read_all("al_md_1500K", &nf);
    const ent_frame *f = fr[3];
    size_t n = f->n_atoms;
    double cell[9], *wrapped = malloc(3 * n * sizeof *wrapped);
    assert_non_null(wrapped);
    memcpy(cell, f->cell + 3, 3 * sizeof *cell); /* swap a and b: det < 0 */
    memcpy(cell + 3, f->cell, 3 * sizeof *cell);
    memcpy(cell + 6, f->cell + 6, 3 * sizeof *cell);
    double *right = desc_frame(f, 0), *left = desc(f->positions, n, cell, TTT, 0);
    assert_true(max_diff(right, left, n * W_K) <= 1e-9);

    /* quests_compat reproduces the reference bug: the left-handed cell loses its images,
     * the atoms (wrapped into the cell) form an isolated cluster. */
    double L = f->cell[0]; /* cubic cell */
    for (size_t i = 0; i < 3 * n; i++)
        wrapped[i] = f->positions[i] - L * floor(f->positions[i] / L);
    double *bug = desc(f->positions, n, cell, TTT, 1);
    double *cluster = desc(wrapped, n, NULL, FFF, 0);
    assert_true(max_diff(bug, cluster, n * W_K) <= 1e-9);
    assert_true(max_diff(bug, right, n * W_K) > 0.05);
    double *compat_right = desc_frame(f, 1);
    assert_true(max_diff(compat_right, right, n * W_K) <= 1e-9);
    free(right);
    free(left);
    free(bug);
    free(cluster);
    free(compat_right);
    free(wrapped);
    free_frames(fr, nf);
}

static void test_slab(void **state)
{
    (void)state;
    size_t nf;
    ent_frame **fr = read_all("al_md_300K", &nf);
    const ent_frame *f = fr[7];
    size_t n = f->n_atoms;
    double vac[9], zero_c[9];
    memcpy(vac, f->cell, sizeof vac);
    memcpy(zero_c, f->cell, sizeof zero_c);
    vac[8] += 30.0; /* 30 A of vacuum along c */
    zero_c[6] = zero_c[7] = zero_c[8] = 0.0;
    int ttf[3] = {1, 1, 0};
    double *t3 = desc(f->positions, n, vac, TTT, 0);
    double *t2 = desc(f->positions, n, f->cell, ttf, 0);
    double *t2z = desc(f->positions, n, zero_c, ttf, 0); /* c ignored on a free axis */
    double *bulk = desc_frame(f, 0);
    assert_true(max_diff(t3, t2, n * W_K) <= 1e-9);
    assert_memory_equal(t2, t2z, n * W_K * sizeof *t2);
    assert_true(max_diff(t2, bulk, n * W_K) > 0.01); /* surfaces differ from bulk */
    /* quests_compat: a T T F slab is an isolated cluster, cell ignored. */
    double *c2 = desc(f->positions, n, f->cell, ttf, 1);
    double *cl = desc(f->positions, n, NULL, FFF, 1);
    assert_memory_equal(c2, cl, n * W_K * sizeof *c2);
    assert_true(max_diff(c2, t2, n * W_K) > 0.01);
    free(t3);
    free(t2);
    free(t2z);
    free(bulk);
    free(c2);
    free(cl);
    free_frames(fr, nf);
}

static void test_self_images(void **state)
{
    (void)state;
    /* fcc primitive cell, one atom: heights 2.34 A < cutoff, every neighbour is an image
     * of the atom itself. x1 equals that of any atom of the perfect 108-atom crystal. */
    const double a = 4.05;
    double prim[9] = {0, a / 2, a / 2, a / 2, 0, a / 2, a / 2, a / 2, 0};
    double origin[3] = {0.3, -0.2, 0.1};
    double *one = desc(origin, 1, prim, TTT, 0);
    size_t nf, rows, cols;
    ent_frame **fr = read_all("al_perfect", &nf);
    double *big = desc_frame(fr[0], 0);
    double *ref = test_reference_npy("desc/al_perfect_k32_c5.npy", &rows, &cols);
    double m = 0, mref = 0;
    for (size_t i = 0; i < fr[0]->n_atoms; i++) {
        m = fmax(m, max_diff(one, big + i * W_K, K));
        mref = fmax(mref, max_diff(one, ref + i * W_K, K));
    }
    assert_true(m <= 1e-9);
    assert_true(mref <= 1e-9);
    /* 12 + 6 + 24 neighbours within 5 A: all 32 slots filled, x1[0] = fc(a/sqrt2)/r. */
    double r1 = a / sqrt(2.0), z = r1 / RC;
    assert_true(fabs(one[0] - (1 - z * z) * (1 - z * z) / r1) <= 1e-12);
    assert_true(one[K - 1] > 0);
    free(one);
    free(big);
    free(ref);
    free_frames(fr, nf);
}

static void test_padding(void **state)
{
    (void)state;
    /* Three atoms: two neighbours each, x1 padded with zeros, x2 = (sum of the two rows'
     * single coupling) / k, the rest zero. */
    double pos[9] = {0, 0, 0, 1.0, 0, 0, 0, 2.0, 0};
    double *d = desc(pos, 3, NULL, FFF, 0);
    double r01 = 1.0, r02 = 2.0, r12 = sqrt(5.0);
    double x1_01 = fc(r01 + 1e-16, RC) / (r01 + 1e-16), x1_02 = fc(r02 + 1e-16, RC) / r02;
    assert_true(fabs(d[0] - x1_01) <= 1e-15);
    assert_true(fabs(d[1] - x1_02) <= 1e-15);
    for (int j = 2; j < K; j++)
        assert_true(d[j] == 0.0);
    double v = sqrt(fc(r01, RC) * fc(r02, RC)) / (r12 + 1e-15);
    assert_true(fabs(d[K] - 2 * v / K) <= 1e-15);
    for (int j = 1; j < K - 1; j++)
        assert_true(d[K + j] == 0.0);
    free(d);

    /* Isolated atoms: all zero, cluster or periodic; neighbours beyond rc do not count. */
    double lone[6] = {1, 2, 3, 7.5, 2, 3}, box[9] = {12, 0, 0, 0, 12, 0, 0, 0, 12};
    double *z1 = desc(lone, 1, NULL, FFF, 0), *z2 = desc(lone, 1, box, TTT, 0);
    double *z3 = desc(lone, 2, NULL, FFF, 0);
    for (size_t j = 0; j < W_K; j++)
        assert_true(z1[j] == 0.0 && z2[j] == 0.0 && z3[j] == 0.0 && z3[W_K + j] == 0.0);
    free(z1);
    free(z2);
    free(z3);

    /* A coincident distinct atom is a neighbour at r = 0, as in the reference: x1 = 1e16.
     */
    double dup[9] = {0, 0, 0, 0, 0, 0, 1, 0, 0};
    double *dd = desc(dup, 3, NULL, FFF, 0);
    assert_true(dd[0] == 1e16 && dd[W_K] == 1e16);
    assert_true(fabs(dd[1] - fc(1.0, RC)) <= 1e-15 && isfinite(dd[K]));
    free(dd);

    /* A far-flung cluster (the grid is capped, huge extents do not allocate): the five
     * atoms near the origin see only each other. */
    double spread[21] = {0,   0,   0,   1.1, 0.2, 0, 0.3, 1.4,    0.1, -0.9, 0.5,
                         0.8, 2.0, 1.0, 1.5, 1e6, 3, 0,   -1e300, 0,   2};
    double *fa = desc(spread, 7, NULL, FFF, 0), *fb = desc(spread, 5, NULL, FFF, 0);
    assert_true(max_diff(fa, fb, 5 * W_K) <= 1e-14);
    for (size_t j = 0; j < 2 * W_K; j++)
        assert_true(fa[5 * W_K + j] == 0.0);
    free(fa);
    free(fb);
}

/* ---- 5. multicomponent ---- */

static double *multi(const double *pos, size_t n, const double *cell, const int *pbc,
                     const int *sp, int ns, int compat)
{
    ent_descriptor_params p = {K, RC, compat};
    double *out = malloc(n * ent_descriptor_multi_width(K, ns) * sizeof *out);
    assert_non_null(out);
    ent_error err = {0};
    if (ent_descriptors_multi(pos, n, cell, pbc, sp, ns, &p, out, &err) != ENT_OK)
        fail_msg("ent_descriptors_multi: %s", err.msg);
    return out;
}

/* Every block of a multicomponent result against ent_descriptors of the sub-structures
 * (the same computation; only the summation order inside x2 may differ, through the
 * order in which the cell list offers neighbours). */
static void check_multi(const double *pos, size_t n, const double *cell, const int *pbc,
                        const int *sp, int ns)
{
    size_t mw = ent_descriptor_multi_width(K, ns);
    double *m = multi(pos, n, cell, pbc, sp, ns, 0);
    double *all = desc(pos, n, cell, pbc, 0);
    double *sub = malloc(3 * n * sizeof *sub);
    size_t *idx = malloc(n * sizeof *idx);
    assert_true(sub && idx);
    for (size_t i = 0; i < n; i++) {
        assert_true(max_diff(m + i * mw, all + i * W_K, K) <= 1e-14);
        assert_true(max_diff(m + i * mw + (size_t)(ns + 1) * K, all + i * W_K + K, K - 1) <=
                    1e-14);
    }
    for (int s = 0; s < ns; s++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (sp[i] == s) {
                memcpy(sub + 3 * c, pos + 3 * i, 3 * sizeof *sub);
                idx[c++] = i;
            }
        double *ds = c ? desc(sub, c, cell, pbc, 0) : NULL;
        for (size_t i = 0, j = 0; i < n; i++) {
            const double *x1 = m + i * mw + (size_t)(s + 1) * K;
            const double *x2 =
                m + i * mw + (size_t)(ns + 1) * K + (size_t)(s + 1) * (K - 1);
            if (j < c && idx[j] == i) {
                assert_true(max_diff(x1, ds + j * W_K, K) <= 1e-14);
                assert_true(max_diff(x2, ds + j * W_K + K, K - 1) <= 1e-14);
                j++;
            } else {
                for (int q = 0; q < K; q++)
                    assert_true(x1[q] == 0.0 && (q == K - 1 || x2[q] == 0.0));
            }
        }
        free(ds);
    }
    free(m);
    free(all);
    free(sub);
    free(idx);
}

static void test_multicomponent(void **state)
{
    (void)state;
    size_t nf;
    ent_frame **fr = read_all("al_md_1500K", &nf);
    const ent_frame *f = fr[9];
    size_t n = f->n_atoms;
    int *sp = malloc(n * sizeof *sp);
    assert_non_null(sp);
    /* Periodic binary (every third atom relabelled), a third species absent. */
    for (size_t i = 0; i < n; i++)
        sp[i] = i % 3 == 0;
    check_multi(f->positions, n, f->cell, TTT, sp, 2);
    check_multi(f->positions, n, f->cell, TTT, sp, 3);
    /* One species (the reference crashes here): block s0 equals block all. */
    for (size_t i = 0; i < n; i++)
        sp[i] = 0;
    check_multi(f->positions, n, f->cell, TTT, sp, 1);
    /* Slab and cluster. */
    int ttf[3] = {1, 1, 0};
    for (size_t i = 0; i < n; i++)
        sp[i] = i % 2;
    check_multi(f->positions, n, f->cell, ttf, sp, 2);
    check_multi(f->positions, n, NULL, FFF, sp, 2);

    /* quests_compat: the reference multicomponent call always takes the periodic path
     * when it has a cell, whatever pbc says. */
    double *cm = multi(f->positions, n, f->cell, FFF, sp, 2, 1);
    double *pm = multi(f->positions, n, f->cell, TTT, sp, 2, 0);
    assert_true(max_diff(cm, pm, n * ent_descriptor_multi_width(K, 2)) <= 1e-9);
    free(cm);
    free(pm);

    /* CH4 (C = 0, H = 1 in sorted symbol order), no cell, also in compat mode. */
    size_t nc;
    ent_frame **ch4 = read_all("ch4", &nc);
    int csp[5];
    for (size_t i = 0; i < 5; i++)
        csp[i] = strcmp(ch4[0]->species[i], "C") == 0 ? 0 : 1;
    check_multi(ch4[0]->positions, 5, ch4[0]->cell, ch4[0]->pbc, csp, 2);
    double *c0 = multi(ch4[0]->positions, 5, ch4[0]->cell, ch4[0]->pbc, csp, 2, 0);
    double *c1 = multi(ch4[0]->positions, 5, ch4[0]->cell, ch4[0]->pbc, csp, 2, 1);
    assert_memory_equal(c0, c1, 5 * ent_descriptor_multi_width(K, 2) * sizeof *c0);
    free(c0);
    free(c1);
    free_frames(ch4, nc);
    free(sp);
    free_frames(fr, nf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_translation_rotation),
        cmocka_unit_test(test_supercell_and_threads),
        cmocka_unit_test(test_left_handed),
        cmocka_unit_test(test_slab),
        cmocka_unit_test(test_self_images),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_multicomponent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
