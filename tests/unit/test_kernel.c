/* Unit tests of src/info/kernel*.c and bandwidth.c: argument errors first, then p(x), H, D,
 * dH and overlap against the reference numbers of the original QUESTS package
 * (tests/data/reference, tolerance 1e-9 relative), then cross-checks of the tiled engine
 * against the serial reference on random data (several bandwidths, far-apart clusters
 * that exercise tile skipping, m or n = 1, d = 1, both dot-product back ends) and the
 * invariants (bounds, thread-count and row-order independence). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "info/kernel.h"
#include "support/refdata.h"

#define REF_RTOL 1e-9
static const char *const NAMES[] = {"al_md_300K", "al_md_1500K", "molecules", "ch4",
                                    "al_perfect"};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

/* ---------------------------------------------------------------------------------------
 * Helpers */

static double rel_err(double a, double b)
{
    if (a == b)
        return 0.0; /* includes +inf == +inf */
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) / s;
}

/* Largest relative difference of two arrays; fails on NaN. */
static double max_rel(const double *a, const double *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        assert_false(isnan(a[i]) || isnan(b[i]));
        double r = rel_err(a[i], b[i]);
        worst = r > worst ? r : worst;
    }
    return worst;
}

#define assert_close(a, b, tol)                                                           \
    do {                                                                                  \
        double a_ = (a), b_ = (b), r_ = rel_err(a_, b_);                                  \
        if (!(r_ <= (tol)))                                                               \
            fail_msg("%s = %.17g vs %s = %.17g: rel %.3g > %.3g", #a, a_, #b, b_, r_,      \
                     (double)(tol));                                                      \
    } while (0)

static double *load_desc(const char *name, size_t *n, size_t *d)
{
    char rel[256];
    snprintf(rel, sizeof rel, "desc/%s_k32_c5.npy", name);
    return test_reference_npy(rel, n, d);
}

/* Deterministic pseudo-random numbers (splitmix64), uniform in [0,1) and N(0,1). */
static uint64_t rng_state;
static double urand(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* n rows of width d in `ncl` Gaussian clusters of width sigma whose centres are `sep` apart
 * along the first axes (cluster of row i = i % ncl, so clusters are interleaved). */
static double *clusters(size_t n, size_t d, size_t ncl, double sep, double sigma)
{
    double *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % ncl;
        for (size_t k = 0; k < d; k++)
            x[i * d + k] = 0.3 + sigma * nrand() + (k == c % d ? sep * (double)(c / d + 1) : 0);
    }
    return x;
}

/* ---------------------------------------------------------------------------------------
 * Invalid arguments */

static void test_invalid_arguments(void **state)
{
    (void)state;
    double x[6] = {0, 1, 2, 3, 4, 5}, out[8], h1 = 0.1, h2[2] = {0.1, 0.2};
    ent_error err = {0};
    const double bad_h[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_h / sizeof bad_h[0]; i++) {
        double hb[2] = {0.1, bad_h[i]};
        assert_int_equal(ent_kernel_sum(x, 3, x, 3, 2, hb, 2, out, &err), ENT_EINVAL);
        assert_int_equal(err.code, ENT_EINVAL);
        assert_true(strstr(err.msg, "h[1]") != NULL);
        assert_int_equal(ent_kernel_self_sum(x, 3, 2, hb, 2, out, &err), ENT_EINVAL);
        assert_int_equal(ent_entropy(x, 3, 2, hb, 2, out, NULL, NULL, &err), ENT_EINVAL);
        assert_int_equal(ent_delta_entropy(x, 3, x, 3, 2, hb, 2, out, &err), ENT_EINVAL);
        assert_int_equal(ent_overlap(x, 3, x, 3, 2, bad_h[i], 1e-5, out, &err), ENT_EINVAL);
        assert_int_equal(ent_kernel_sum_reference(x, 3, x, 3, 2, hb, 2, out, &err),
                         ENT_EINVAL);
    }
    /* d == 0, nh == 0, NULL bandwidths */
    assert_int_equal(ent_kernel_sum(x, 3, x, 3, 0, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum(x, 3, 0, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_entropy(x, 3, 0, &h1, 1, out, NULL, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_sum(x, 3, x, 3, 2, h2, 0, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum(x, 3, 2, h2, 0, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_sum(x, 3, x, 3, 2, NULL, 1, out, &err), ENT_EINVAL);
    /* NULL arrays with nonzero sizes */
    assert_int_equal(ent_kernel_sum(NULL, 3, x, 3, 2, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_sum(x, 3, NULL, 3, 2, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_sum(x, 3, x, 3, 2, &h1, 1, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum(NULL, 3, 2, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum(x, 3, 2, &h1, 1, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_entropy(NULL, 3, 2, &h1, 1, out, NULL, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_delta_entropy(x, 3, NULL, 3, 2, &h1, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_overlap(x, 3, x, 3, 2, h1, 1e-5, NULL, &err), ENT_EINVAL);
    /* n == 0: an error for entropy and overlap (m == 0), fine for sums */
    err.code = ENT_OK;
    assert_int_equal(ent_entropy(x, 0, 2, &h1, 1, out, out + 1, NULL, &err), ENT_EINVAL);
    assert_int_equal(err.code, ENT_EINVAL);
    assert_int_equal(ent_overlap(x, 0, x, 3, 2, h1, 1e-5, out, &err), ENT_EINVAL);
    assert_int_equal(ent_overlap(x, 3, x, 3, 2, h1, NAN, out, &err), ENT_EINVAL);
    assert_int_equal(ent_entropy_from_p(NULL, 3, 1, out, NULL), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum(NULL, 0, 2, &h1, 1, NULL, &err), ENT_OK);
    assert_int_equal(ent_kernel_sum(NULL, 0, x, 3, 2, &h1, 1, NULL, &err), ENT_OK);
    /* n == 0 reference: all sums 0, dH = +inf, overlap 0 */
    out[0] = out[1] = -1.0;
    assert_int_equal(ent_kernel_sum(x, 2, NULL, 0, 3, &h1, 1, out, &err), ENT_OK);
    assert_true(out[0] == 0.0 && out[1] == 0.0);
    assert_int_equal(ent_delta_entropy(x, 2, NULL, 0, 3, &h1, 1, out, &err), ENT_OK);
    assert_true(isinf(out[0]) && out[0] > 0);
    /* a bad tile option */
    ent_kernel_opts o = {.tile = 100};
    assert_int_equal(ent_kernel_sum_opts(x, 3, x, 3, 2, &h1, 1, out, &o, &err), ENT_EINVAL);
    assert_int_equal(ent_kernel_self_sum_opts(x, 3, 2, &h1, 1, out, &o, &err), ENT_EINVAL);
    /* outputs untouched on failure */
    for (int i = 0; i < 8; i++)
        out[i] = 42.0;
    assert_int_equal(ent_kernel_sum(x, 3, x, 3, 2, bad_h, 1, out, &err), ENT_EINVAL);
    assert_int_equal(ent_entropy(x, 3, 2, bad_h, 1, out, out + 1, out + 2, &err), ENT_EINVAL);
    for (int i = 0; i < 8; i++)
        assert_true(out[i] == 42.0);
    /* bandwidth */
    double hv = 42.0;
    assert_int_equal(ent_bandwidth(0.0, ENT_BANDWIDTH_GAUSSIAN, &hv, &err), ENT_EINVAL);
    assert_int_equal(ent_bandwidth(-3.0, ENT_BANDWIDTH_CUTOFF, &hv, &err), ENT_EINVAL);
    assert_int_equal(ent_bandwidth(NAN, ENT_BANDWIDTH_CUTOFF, &hv, &err), ENT_EINVAL);
    assert_int_equal(ent_bandwidth(INFINITY, ENT_BANDWIDTH_CUTOFF, &hv, &err), ENT_EINVAL);
    assert_int_equal(ent_bandwidth(10.0, (ent_bandwidth_method)7, &hv, &err), ENT_EINVAL);
    assert_int_equal(ent_bandwidth(10.0, ENT_BANDWIDTH_CUTOFF, NULL, &err), ENT_EINVAL);
    assert_true(hv == 42.0);
}

/* ---------------------------------------------------------------------------------------
 * Against the reference package */

static void test_reference_px(void **state)
{
    (void)state;
    const double h = 0.015;
    for (size_t f = 0; f < NNAMES; f++) {
        size_t n, d, pn, pc;
        double *x = load_desc(NAMES[f], &n, &d);
        char rel[256];
        snprintf(rel, sizeof rel, "arrays/%s_px_h0.015.npy", NAMES[f]);
        double *px = test_reference_npy(rel, &pn, &pc);
        assert_int_equal(pn, n);
        double *p = malloc(n * sizeof *p);
        ent_error err = {0};
        for (int blas = 0; blas < 2; blas++) {
            ent_kernel_opts o = {.use_blas = blas};
            assert_int_equal(ent_kernel_self_sum_opts(x, n, d, &h, 1, p, &o, &err), ENT_OK);
            double e1 = max_rel(p, px, n);
            assert_int_equal(ent_kernel_sum_opts(x, n, x, n, d, &h, 1, p, &o, &err), ENT_OK);
            double e2 = max_rel(p, px, n);
            print_message("  p(x) %-12s n=%5zu blas=%d: self %.2e cross %.2e\n", NAMES[f], n,
                          blas, e1, e2);
            assert_true(e1 <= REF_RTOL);
            assert_true(e2 <= REF_RTOL);
        }
        free(p);
        free(px);
        free(x);
    }
}

static void test_reference_entropy_diversity(void **state)
{
    (void)state;
    const double h = 0.015;
    char key[256];
    for (size_t f = 0; f < NNAMES; f++) {
        size_t n, d;
        double *x = load_desc(NAMES[f], &n, &d);
        double H, D;
        ent_error err = {0};
        assert_int_equal(ent_entropy(x, n, d, &h, 1, &H, &D, NULL, &err), ENT_OK);
        snprintf(key, sizeof key, "files/%s/entropy_h0.015/value", NAMES[f]);
        assert_close(H, test_reference_number(key), REF_RTOL);
        snprintf(key, sizeof key, "files/%s/diversity_h0.015/value", NAMES[f]);
        assert_close(D, test_reference_number(key), REF_RTOL);
        assert_true(H >= 0.0 && H <= log((double)n) + 1e-12);

        /* per frame */
        snprintf(key, sizeof key, "files/%s/frame_offsets", NAMES[f]);
        const cJSON *off = test_reference_get(key);
        snprintf(key, sizeof key, "files/%s/per_frame/values", NAMES[f]);
        const cJSON *vals = test_reference_get(key);
        int nf = cJSON_GetArraySize(vals);
        assert_int_equal(cJSON_GetArraySize(off), nf + 1);
        for (int i = 0; i < nf; i++) {
            size_t lo = (size_t)cJSON_GetArrayItem(off, i)->valuedouble;
            size_t hi = (size_t)cJSON_GetArrayItem(off, i + 1)->valuedouble;
            const cJSON *v = cJSON_GetArrayItem(vals, i);
            double Hf, Df;
            assert_int_equal(ent_entropy(x + lo * d, hi - lo, d, &h, 1, &Hf, &Df, NULL, &err),
                             ENT_OK);
            assert_close(Hf, cJSON_GetObjectItem(v, "entropy")->valuedouble, REF_RTOL);
            assert_close(Df, cJSON_GetObjectItem(v, "diversity")->valuedouble, REF_RTOL);
        }
        free(x);
    }
}

static void test_reference_all_metrics_self_dh(void **state)
{
    (void)state;
    const double h = 0.015;
    size_t n, d, rn, rc;
    double *x = load_desc("al_md_300K", &n, &d);
    double *ref = test_reference_npy("arrays/al_md_300K_dH_self.npy", &rn, &rc);
    assert_int_equal(rn, n);
    double *p = malloc(n * sizeof *p), *dh = malloc(n * sizeof *dh);
    double H, D;
    ent_error err = {0};
    /* get_all_metrics: H, D and -ln p from one pass */
    assert_int_equal(ent_entropy(x, n, d, &h, 1, &H, &D, p, &err), ENT_OK);
    assert_close(H, test_reference_number("get_all_metrics_al_md_300K/entropy"), REF_RTOL);
    assert_close(D, test_reference_number("get_all_metrics_al_md_300K/diversity"), REF_RTOL);
    for (size_t i = 0; i < n; i++)
        p[i] = -log(p[i]);
    assert_true(max_rel(p, ref, n) <= REF_RTOL);
    /* the same through delta_entropy(X | X) */
    assert_int_equal(ent_delta_entropy(x, n, x, n, d, &h, 1, dh, &err), ENT_OK);
    assert_true(max_rel(dh, ref, n) <= REF_RTOL);
    for (size_t i = 0; i < n; i++)
        assert_true(dh[i] <= 0.0); /* self term: sum >= 1 */
    free(p);
    free(dh);
    free(ref);
    free(x);
}

static void test_reference_delta_entropy(void **state)
{
    (void)state;
    const double h = 0.015;
    size_t n3, n15, d, d2, rn, rc;
    double *x300 = load_desc("al_md_300K", &n3, &d);
    double *x1500 = load_desc("al_md_1500K", &n15, &d2);
    assert_int_equal(d, d2);
    double *ref = test_reference_npy("arrays/dH_1500K_given_300K.npy", &rn, &rc);
    assert_int_equal(rn, n15);
    double *dh = malloc(n15 * sizeof *dh);
    ent_error err = {0};
    for (int blas = 0; blas < 2; blas++) {
        ent_kernel_opts o = {.use_blas = blas};
        assert_int_equal(ent_kernel_sum_opts(x1500, n15, x300, n3, d, &h, 1, dh, &o, &err),
                         ENT_OK);
        for (size_t i = 0; i < n15; i++)
            dh[i] = -log(dh[i]);
        /* dH can be near 0, where a relative tolerance on dH is meaningless: compare the
         * sums, i.e. |dH - ref| <= 1e-9 absolute on the log scale. */
        double worst = 0.0;
        for (size_t i = 0; i < n15; i++) {
            double e = fabs(dh[i] - ref[i]) / (1.0 + fabs(ref[i]));
            worst = e > worst ? e : worst;
        }
        print_message("  dH 1500K|300K blas=%d: max |diff|/(1+|ref|) = %.2e\n", blas, worst);
        assert_true(worst <= REF_RTOL);
    }
    assert_int_equal(ent_delta_entropy(x1500, n15, x300, n3, d, &h, 1, dh, &err), ENT_OK);
    double mn = INFINITY, mx = -INFINITY, sum = 0.0;
    size_t nfin = 0, ninf = 0;
    for (size_t i = 0; i < n15; i++) {
        if (isinf(dh[i])) {
            ninf++;
            continue;
        }
        mn = dh[i] < mn ? dh[i] : mn;
        mx = dh[i] > mx ? dh[i] : mx;
        sum += dh[i];
        nfin++;
    }
    assert_int_equal(ninf, (size_t)test_reference_number("delta_entropy/dH_1500K_given_300K/n_inf"));
    assert_close(mn, test_reference_number("delta_entropy/dH_1500K_given_300K/min"), REF_RTOL);
    assert_close(mx, test_reference_number("delta_entropy/dH_1500K_given_300K/max"), REF_RTOL);
    assert_close(sum / (double)nfin,
                 test_reference_number("delta_entropy/dH_1500K_given_300K/mean_finite"),
                 REF_RTOL);
    free(dh);
    free(ref);
    free(x300);
    free(x1500);
}

static void test_reference_overlap(void **state)
{
    (void)state;
    const double h = 0.015, eps = 1e-5;
    size_t n3, n15, d, d2;
    double *x300 = load_desc("al_md_300K", &n3, &d);
    double *x1500 = load_desc("al_md_1500K", &n15, &d2);
    double ov;
    ent_error err = {0};
    assert_int_equal(ent_overlap(x1500, n15, x300, n3, d, h, eps, &ov, &err), ENT_OK);
    assert_close(ov, test_reference_number("overlap/1500K_in_300K"), 1e-15);
    assert_int_equal(ent_overlap(x300, n3, x300, n3, d, h, eps, &ov, &err), ENT_OK);
    assert_close(ov, test_reference_number("overlap/300K_in_300K"), 1e-15);
    assert_int_equal(ent_overlap(x300, n3, x300, 1080, d, h, eps, &ov, &err), ENT_OK);
    assert_close(ov, test_reference_number("overlap/frames0to9_in_all_300K"), 1e-15);
    free(x300);
    free(x1500);
}

static void test_reference_bandwidth(void **state)
{
    (void)state;
    const cJSON *vol = test_reference_get("get_bandwidth/volumes");
    const cJSON *g = test_reference_get("get_bandwidth/gaussian");
    const cJSON *c = test_reference_get("get_bandwidth/cutoff");
    int nv = cJSON_GetArraySize(vol);
    assert_true(nv > 0);
    for (int i = 0; i < nv; i++) {
        double v = cJSON_GetArrayItem(vol, i)->valuedouble, h;
        ent_error err = {0};
        assert_int_equal(ent_bandwidth(v, ENT_BANDWIDTH_GAUSSIAN, &h, &err), ENT_OK);
        assert_close(h, cJSON_GetArrayItem(g, i)->valuedouble, 1e-12);
        assert_int_equal(ent_bandwidth(v, ENT_BANDWIDTH_CUTOFF, &h, &err), ENT_OK);
        assert_close(h, cJSON_GetArrayItem(c, i)->valuedouble, 1e-12);
    }
}

/* ---------------------------------------------------------------------------------------
 * Tiled engine against the serial reference */

/* Compare ent_kernel_sum_opts and (when y == x) ent_kernel_self_sum_opts with the serial
 * reference, for both back ends and a few tilings. Returns the evaluated fraction of
 * pairs of the default run. */
static double check_against_reference(const double *y, size_t m, const double *x, size_t n,
                                      size_t d, const double *h, size_t nh, double tol)
{
    double *ref = malloc((m ? m : 1) * nh * sizeof *ref);
    double *got = malloc((m ? m : 1) * nh * sizeof *got);
    ent_error err = {0};
    assert_int_equal(ent_kernel_sum_reference(y, m, x, n, d, h, nh, ref, &err), ENT_OK);
    /* The engine uses d2 = |a|^2 + |b|^2 - 2 a.b, the reference sum_k (a_k - b_k)^2: their
     * difference is a few ulps of max|a|^2, i.e. a relative error of about
     * eps * max|a|^2 / (2 h^2) in each kernel. */
    double big = 0.0, hmin = INFINITY;
    for (size_t i = 0; i < m + n; i++) {
        const double *r = i < m ? y + i * d : x + (i - m) * d;
        double s = 0.0;
        for (size_t k = 0; k < d; k++)
            s += r[k] * r[k];
        big = s > big ? s : big;
    }
    for (size_t b = 0; b < nh; b++)
        hmin = h[b] < hmin ? h[b] : hmin;
    tol += 32.0 * 0x1p-52 * big * 0.5 / (hmin * hmin);
    double frac = -1.0;
    const size_t tiles[] = {0, 24, 48};
    for (int blas = 0; blas < 2; blas++)
        for (size_t t = 0; t < 3; t++)
            for (int noskip = 0; noskip < 2; noskip++) {
                ent_kernel_stats st = {0};
                ent_kernel_opts o = {
                    .use_blas = blas, .tile = tiles[t], .no_skip = noskip, .stats = &st};
                assert_int_equal(ent_kernel_sum_opts(y, m, x, n, d, h, nh, got, &o, &err),
                                 ENT_OK);
                double e = max_rel(got, ref, m * nh);
                if (!(e <= tol))
                    fail_msg("cross m=%zu n=%zu d=%zu nh=%zu blas=%d tile=%zu noskip=%d: "
                             "rel %.3g",
                             m, n, d, nh, blas, tiles[t], noskip, e);
                if (blas == 0 && t == 0 && noskip == 0 && st.pairs_total > 0)
                    frac = st.pairs_evaluated / st.pairs_total;
                if (y == x && m == n) {
                    assert_int_equal(
                        ent_kernel_self_sum_opts(x, n, d, h, nh, got, &o, &err), ENT_OK);
                    e = max_rel(got, ref, m * nh);
                    if (!(e <= tol))
                        fail_msg("self n=%zu d=%zu nh=%zu blas=%d tile=%zu noskip=%d: "
                                 "rel %.3g",
                                 n, d, nh, blas, tiles[t], noskip, e);
                }
            }
    free(ref);
    free(got);
    return frac;
}

static void test_random_vs_serial(void **state)
{
    (void)state;
    rng_state = 12345;
    const double hs[3] = {0.05, 0.2, 1.0};
    /* one compact cloud, several sizes around tile and panel boundaries */
    const size_t sizes[] = {1, 2, 7, 8, 23, 24, 25, 100, 241, 500};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s], d = 5;
        double *x = clusters(n, d, 1, 0.0, 0.1);
        check_against_reference(x, n, x, n, d, hs, 3, 1e-12);
        free(x);
    }
    /* d = 1 */
    double *x1 = clusters(300, 1, 3, 0.5, 0.1);
    check_against_reference(x1, 300, x1, 300, 1, hs, 3, 1e-12);
    free(x1);
    /* m = 1 or n = 1 against a larger set */
    double *x = clusters(400, 63, 1, 0.0, 0.05);
    check_against_reference(x, 1, x, 400, 63, hs, 2, 1e-12);
    check_against_reference(x + 63, 399, x, 1, 63, hs, 2, 1e-12);
    check_against_reference(x, 157, x + 157 * 63, 243, 63, hs + 1, 1, 1e-12);
    free(x);
}

static void test_skipping_far_clusters(void **state)
{
    (void)state;
    rng_state = 777;
    /* 6 tight clusters 5 units apart, h = 0.05: every cross-cluster kernel is exactly 0
     * (d^2/(2h^2) >= 5000), so the cross-cluster tile pairs must be skipped (all but those
     * of tiles straddling two clusters) and the result still equal the serial reference. */
    const size_t n = 2880, d = 10;
    double *x = clusters(n, d, 6, 5.0, 0.04);
    const double h[2] = {0.05, 0.03};
    double frac = check_against_reference(x, n, x, n, d, h, 2, 1e-12);
    print_message("  far clusters: %.1f%% of the pairs evaluated\n", 100.0 * frac);
    assert_true(frac > 0.0 && frac < 0.5);
    /* queries from the clusters plus a far point: dH = +inf for the far point */
    double *y = malloc(11 * d * sizeof *y);
    memcpy(y, x, 10 * d * sizeof *y);
    for (size_t k = 0; k < d; k++)
        y[10 * d + k] = 1000.0;
    check_against_reference(y, 11, x, n, d, h, 2, 1e-12);
    double dh[22];
    ent_error err = {0};
    assert_int_equal(ent_delta_entropy(y, 11, x, n, d, h, 2, dh, &err), ENT_OK);
    for (size_t i = 0; i < 10; i++)
        assert_true(dh[2 * i] <= 0.0 && dh[2 * i + 1] <= 0.0); /* y_i is in X */
    assert_true(isinf(dh[20]) && dh[20] > 0 && isinf(dh[21]));
    double ov;
    assert_int_equal(ent_overlap(y, 11, x, n, d, 0.05, 1e-5, &ov, &err), ENT_OK);
    assert_close(ov, 10.0 / 11.0, 1e-15);
    free(y);
    free(x);
}

/* ---------------------------------------------------------------------------------------
 * Invariants */

static void test_multiple_bandwidths_one_pass(void **state)
{
    (void)state;
    size_t n, d;
    double *x = load_desc("al_md_1500K", &n, &d);
    const double h[3] = {0.015, 0.05, 0.008};
    double *all = malloc(n * 3 * sizeof *all), *one = malloc(n * sizeof *one);
    double H3[3], D3[3], H, D;
    ent_error err = {0};
    assert_int_equal(ent_entropy(x, n, d, h, 3, H3, D3, all, &err), ENT_OK);
    for (size_t b = 0; b < 3; b++) {
        assert_int_equal(ent_entropy(x, n, d, h + b, 1, &H, &D, one, &err), ENT_OK);
        assert_close(H3[b], H, 1e-14);
        assert_close(D3[b], D, 1e-14);
        for (size_t i = 0; i < n; i++)
            assert_close(all[i * 3 + b], one[i], 1e-14);
    }
    /* and for the cross sum */
    assert_int_equal(ent_delta_entropy(x, 500, x + 500 * d, n - 500, d, h, 3, all, &err),
                     ENT_OK);
    for (size_t b = 0; b < 3; b++) {
        assert_int_equal(ent_delta_entropy(x, 500, x + 500 * d, n - 500, d, h + b, 1, one,
                                           &err),
                         ENT_OK);
        for (size_t i = 0; i < 500; i++)
            assert_close(all[i * 3 + b], one[i], 1e-14);
    }
    free(all);
    free(one);
    free(x);
}

static void test_thread_count_independence(void **state)
{
    (void)state;
#ifdef _OPENMP
    rng_state = 99;
    size_t n, d;
    double *x300 = load_desc("al_md_300K", &n, &d);
    /* a diverse set: the 300 K data plus far-apart synthetic clusters (skipping active) */
    const size_t nc = 1500, nt = n + nc;
    double *x = malloc(nt * d * sizeof *x);
    memcpy(x, x300, n * d * sizeof *x);
    double *c = clusters(nc, d, 5, 2.0, 0.03);
    memcpy(x + n * d, c, nc * d * sizeof *x);
    free(c);
    const double h[2] = {0.015, 0.04};
    double *p1 = malloc(nt * 2 * sizeof *p1), *p2 = malloc(nt * 2 * sizeof *p2);
    double *q1 = malloc(nt * 2 * sizeof *q1), *q2 = malloc(nt * 2 * sizeof *q2);
    ent_error err = {0};
    int saved = omp_get_max_threads();
    for (int blas = 0; blas < 2; blas++) {
        ent_kernel_opts o = {.use_blas = blas};
        omp_set_num_threads(1);
        assert_int_equal(ent_kernel_self_sum_opts(x, nt, d, h, 2, p1, &o, &err), ENT_OK);
        assert_int_equal(ent_kernel_sum_opts(x, 700, x, nt, d, h, 2, q1, &o, &err), ENT_OK);
        omp_set_num_threads(2);
        assert_int_equal(ent_kernel_self_sum_opts(x, nt, d, h, 2, p2, &o, &err), ENT_OK);
        assert_int_equal(ent_kernel_sum_opts(x, 700, x, nt, d, h, 2, q2, &o, &err), ENT_OK);
        double e1 = max_rel(p1, p2, nt * 2), e2 = max_rel(q1, q2, 700 * 2);
        print_message("  threads 1 vs 2 (blas=%d): self %.2e, cross %.2e\n", blas, e1, e2);
        assert_true(e1 <= 1e-12);
        assert_true(e2 <= 1e-12);
    }
    omp_set_num_threads(saved);
    free(p1);
    free(p2);
    free(q1);
    free(q2);
    free(x);
    free(x300);
#else
    skip();
#endif
}

static void test_bounds_and_permutation(void **state)
{
    (void)state;
    const double h = 0.015;
    size_t n, d;
    double *x = load_desc("al_md_1500K", &n, &d);
    double H, D, Hp, Dp;
    ent_error err = {0};
    assert_int_equal(ent_entropy(x, n, d, &h, 1, &H, &D, NULL, &err), ENT_OK);
    assert_true(H >= 0.0 && H <= log((double)n));
    /* reverse + interleave the rows */
    double *xp = malloc(n * d * sizeof *xp);
    for (size_t i = 0; i < n; i++) {
        size_t src = (i * 7919) % n; /* 7919 is prime, n = 2160: a permutation */
        memcpy(xp + i * d, x + src * d, d * sizeof *xp);
    }
    assert_int_equal(ent_entropy(xp, n, d, &h, 1, &Hp, &Dp, NULL, &err), ENT_OK);
    assert_close(Hp, H, 1e-12);
    assert_close(Dp, D, 1e-12);
    /* one environment: H = 0, D = 0; identical copies: H = 0 */
    assert_int_equal(ent_entropy(x, 1, d, &h, 1, &H, &D, NULL, &err), ENT_OK);
    assert_true(H == 0.0 && D == 0.0);
    for (size_t i = 0; i < 50; i++)
        memcpy(xp + i * d, x, d * sizeof *xp);
    assert_int_equal(ent_entropy(xp, 50, d, &h, 1, &H, &D, NULL, &err), ENT_OK);
    assert_true(fabs(H) <= 1e-12 && fabs(D) <= 1e-12);
    /* large h: everything is one environment, H -> 0; tiny h: H -> ln n */
    double big = 1e3, tiny = 1e-6;
    assert_int_equal(ent_entropy(x, n, d, &big, 1, &H, NULL, NULL, &err), ENT_OK);
    assert_true(H >= 0.0 && H < 1e-6);
    assert_int_equal(ent_entropy(x, n, d, &tiny, 1, &H, NULL, NULL, &err), ENT_OK);
    assert_close(H, log((double)n), 1e-12);
    free(xp);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_reference_px),
        cmocka_unit_test(test_reference_entropy_diversity),
        cmocka_unit_test(test_reference_all_metrics_self_dh),
        cmocka_unit_test(test_reference_delta_entropy),
        cmocka_unit_test(test_reference_overlap),
        cmocka_unit_test(test_reference_bandwidth),
        cmocka_unit_test(test_random_vs_serial),
        cmocka_unit_test(test_skipping_far_clusters),
        cmocka_unit_test(test_multiple_bandwidths_one_pass),
        cmocka_unit_test(test_thread_count_independence),
        cmocka_unit_test(test_bounds_and_permutation),
    };
    print_message("kernel back end: %s\n", ent_kernel_backend(NULL));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
