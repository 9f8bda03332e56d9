/* Benchmark of the dH index (src/info/dh_index.h) against the exact kernel sum
 * (ent_delta_entropy): build time, query time, recall of kernel mass and memory, on QUESTS
 * descriptors of rattled and strained fcc Al supercells (ent_descriptors, k = 32, rc = 5,
 * d = 63) at h = 0.015. Prints; asserts nothing.
 *
 *   bench_dh_index [--quick] [--refs N] [--queries M] [--scaling N1,N2,...] [--leaf L]
 *                  [--proj K] [--widest] [--threads T] [--calibrate TESTDATA_DIR] [--dump
 * DIR]
 *
 * --calibrate compares the synthetic data's statistics with the real Al MD descriptors in
 * TESTDATA_DIR/reference/desc (nearest-neighbour distance, dH of one set given another).
 * --dump writes the main comparison's references and queries as raw float64 files
 * (refs.f64, in.f64, out.f64, plus exact dH) for outside tools (the FAISS comparison). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "base/rng.h"
#include "info/descriptor.h"
#include "info/dh_index.h"
#include "info/kernel.h"
#include "io/npy.h"

#define H 0.015
#define K_NBR 32
#define CUTOFF 5.0
#define A_AL 4.05 /* fcc Al lattice constant, Angstrom */
#define REPS 4    /* 4 x 4 x 4 conventional cells = 256 atoms per frame */
#define ATOMS (4 * REPS * REPS * REPS)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void die(const char *what, const ent_error *err)
{
    fprintf(stderr, "bench_dh_index: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        die("out of memory", NULL);
    return p;
}

/* ---------------------------------------------------------------------------------------
 * Synthetic descriptors: frames of a 256-atom fcc Al supercell under a random symmetric
 * strain (components uniform in [-strain, strain]) with every atom displaced by
 * N(0, sigma^2) per Cartesian direction (an Einstein-model stand-in for temperature:
 * sigma ~ 0.1 A is Al near 300 K). */

typedef struct gen_cfg {
    double sigma, strain;
} gen_cfg;

static double *gen_al(uint64_t seed, size_t rows, gen_cfg g)
{
    size_t d = ent_descriptor_width(K_NBR);
    double *out = xmalloc(rows * d * sizeof *out);
    double *desc = xmalloc((size_t)ATOMS * d * sizeof *desc);
    double pos[ATOMS * 3];
    static const double basis[4][3] = {
        {0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    const int pbc[3] = {1, 1, 1};
    ent_descriptor_params p = {K_NBR, CUTOFF, 0};
    ent_rng r;
    ent_rng_seed(&r, seed);
    for (size_t done = 0; done < rows;) {
        double e[3][3], cell[9];
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                e[i][j] = e[j][i] = g.strain * (2.0 * ent_rng_uniform(&r) - 1.0);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                cell[3 * i + j] = A_AL * REPS * ((i == j) + e[i][j]);
        size_t a = 0;
        for (int i = 0; i < REPS; i++)
            for (int j = 0; j < REPS; j++)
                for (int k = 0; k < REPS; k++)
                    for (int b = 0; b < 4; b++, a++) {
                        double f[3] = {(i + basis[b][0]) / REPS, (j + basis[b][1]) / REPS,
                                       (k + basis[b][2]) / REPS};
                        for (int c = 0; c < 3; c++)
                            pos[3 * a + c] = f[0] * cell[c] + f[1] * cell[3 + c] +
                                             f[2] * cell[6 + c] +
                                             g.sigma * ent_rng_normal(&r);
                    }
        ent_error err = {0};
        if (ent_descriptors(pos, ATOMS, cell, pbc, &p, desc, &err) != ENT_OK)
            die("descriptors", &err);
        size_t take = rows - done < ATOMS ? rows - done : ATOMS;
        memcpy(out + done * d, desc, take * d * sizeof *out);
        done += take;
    }
    free(desc);
    return out;
}

/* A campaign-like reference set: equal shares of MD-like conditions from cold to hot and
 * from unstrained to 5 % strain (the "gen0 ... genN" data an active-learning campaign has
 * accumulated). Rows of one condition are contiguous. */
static const gen_cfg MIX[] = {{0.05, 0.01}, {0.08, 0.02}, {0.10, 0.03}, {0.13, 0.01},
                              {0.16, 0.02}, {0.20, 0.03}, {0.25, 0.04}, {0.30, 0.05}};
#define NMIX (sizeof MIX / sizeof *MIX)

static double *gen_mix(uint64_t seed, size_t rows)
{
    size_t d = ent_descriptor_width(K_NBR);
    double *out = xmalloc(rows * d * sizeof *out);
    for (size_t c = 0, done = 0; c < NMIX; c++) {
        size_t take = (rows - done) / (NMIX - c);
        double *part = gen_al(seed * 100 + c, take, MIX[c]);
        memcpy(out + done * d, part, take * d * sizeof *out);
        free(part);
        done += take;
    }
    return out;
}

/* ---------------------------------------------------------------------------------------
 * Measurements */

static double *exact_dh(const double *y, size_t m, const double *x, size_t n, size_t d,
                        double *seconds)
{
    double *dh = xmalloc(m * sizeof *dh), h = H;
    ent_error err = {0};
    double t0 = now();
    if (ent_delta_entropy(y, m, x, n, d, &h, 1, dh, &err) != ENT_OK)
        die("ent_delta_entropy", &err);
    *seconds = now() - t0;
    return dh;
}

typedef struct qres {
    double seconds, recall_min, recall_mean, pairs_frac, screened_frac, max_abs_err;
    ent_dh_query_stats st;
} qres;

static qres run_query(const ent_dh_index *ix, const double *y, size_t m, double eps,
                      const double *exact, size_t n_exact)
{
    qres q = {0};
    double *dh = xmalloc(m * sizeof *dh);
    ent_error err = {0};
    double t0 = now();
    if (ent_dh_index_query(ix, y, m, H, eps, dh, &q.st, &err) != ENT_OK)
        die("query", &err);
    q.seconds = now() - t0;
    q.pairs_frac =
        (double)q.st.pairs_evaluated / ((double)m * (double)ent_dh_index_size(ix));
    q.screened_frac =
        (double)q.st.pairs_screened / ((double)m * (double)ent_dh_index_size(ix));
    q.recall_min = 1.0;
    size_t cnt = 0;
    for (size_t i = 0; i < n_exact; i++) {
        if (isinf(exact[i]))
            continue;
        double rec = exp(exact[i] - dh[i]), e = fabs(dh[i] - exact[i]);
        q.recall_min = rec < q.recall_min ? rec : q.recall_min;
        q.recall_mean += rec;
        q.max_abs_err = e > q.max_abs_err ? e : q.max_abs_err;
        cnt++;
    }
    q.recall_mean = cnt ? q.recall_mean / (double)cnt : 1.0;
    free(dh);
    return q;
}

static size_t g_proj; /* --proj: projection directions (0 = the library default) */

static ent_dh_index *build_index(const double *x, size_t n, size_t d, size_t leaf,
                                 ent_dh_split split, double *seconds)
{
    ent_dh_index_params p = {.leaf_size = leaf, .split = split, .proj_dims = g_proj};
    ent_dh_index *ix = NULL;
    ent_error err = {0};
    double t0 = now();
    if (ent_dh_index_build(x, n, d, &p, &ix, &err) != ENT_OK)
        die("build", &err);
    *seconds = now() - t0;
    return ix;
}

static void summarize(const char *label, const double *v, size_t m)
{
    double mn = INFINITY, mx = -INFINITY, mean = 0.0;
    size_t ninf = 0, fin = 0;
    for (size_t i = 0; i < m; i++) {
        if (isinf(v[i])) {
            ninf++;
            continue;
        }
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
        mean += v[i];
        fin++;
    }
    printf("  %-34s dH min %7.2f  mean %7.2f  max %7.2f  (+inf rows %zu of %zu)\n", label,
           mn, fin ? mean / (double)fin : NAN, mx, ninf, m);
}

/* Median nearest-neighbour distance (in units of h) from the first rows of y to x. */
static double median_nn(const double *y, size_t m, const double *x, size_t n, size_t d)
{
    size_t s = m < 200 ? m : 200;
    double *nn = xmalloc(s * sizeof *nn);
    for (size_t i = 0; i < s; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < n; j++) {
            double t = 0.0;
            for (size_t k = 0; k < d; k++)
                t += (y[i * d + k] - x[j * d + k]) * (y[i * d + k] - x[j * d + k]);
            if (t > 0.0 && t < best)
                best = t;
        }
        nn[i] = sqrt(best) / H;
    }
    for (size_t i = 1; i < s; i++) /* insertion sort, s <= 200 */
        for (size_t j = i; j > 0 && nn[j] < nn[j - 1]; j--) {
            double t = nn[j];
            nn[j] = nn[j - 1];
            nn[j - 1] = t;
        }
    double med = nn[s / 2];
    free(nn);
    return med;
}

static void calibrate(const char *dir)
{
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/reference/desc/al_md_300K_k32_c5.npy", dir);
    snprintf(p2, sizeof p2, "%s/reference/desc/al_md_1500K_k32_c5.npy", dir);
    double *a, *b, t;
    size_t na, da, nb, db;
    ent_error err = {0};
    if (ent_npy_read(p1, &a, &na, &da, &err) != ENT_OK ||
        ent_npy_read(p2, &b, &nb, &db, &err))
        die("reading reference descriptors", &err);
    printf("calibration (real Al MD descriptors, %zu rows each, h = %g)\n", na, H);
    double *v = exact_dh(b, nb, a, na, da, &t);
    summarize("real 1500K given 300K", v, nb);
    free(v);
    /* 300K given the first half of 300K (frames 0-9 vs 10-19). */
    v = exact_dh(a + na / 2 * da, na - na / 2, a, na / 2, da, &t);
    summarize("real 300K (2nd half) given 1st half", v, na - na / 2);
    free(v);
    printf("  median NN distance / h: 300K->300K %.2f, 1500K->300K %.2f\n",
           median_nn(a + na / 2 * da, na - na / 2, a, na / 2, da),
           median_nn(b, nb, a, na, da));

    const gen_cfg cfgs[] = {{0.05, 0.01}, {0.08, 0.01}, {0.10, 0.01},
                            {0.15, 0.03}, {0.20, 0.03}, {0.30, 0.03}};
    double *ref = gen_al(1, 1080, cfgs[2]);
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        double *q = gen_al(100 + c, 1080, cfgs[c]);
        char label[128];
        snprintf(label, sizeof label, "synthetic s=%.2f e=%.2f | s=0.10", cfgs[c].sigma,
                 cfgs[c].strain);
        v = exact_dh(q, 1080, ref, 1080, da, &t);
        summarize(label, v, 1080);
        printf("  %-34s median NN distance / h %.2f\n", "",
               median_nn(q, 1080, ref, 1080, da));
        free(v);
        free(q);
    }
    free(ref);
    free(a);
    free(b);
}

static void dump(const char *dir, const char *name, const double *v, size_t count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(v, sizeof *v, count, fp) != count)
        die(path, NULL);
    fclose(fp);
}

/* ---------------------------------------------------------------------------------------
 * Main */

static void print_q(const char *label, double eps, const qres *q, double exact_s,
                    double build_s)
{
    printf("  %-6s eps=%-6g query %7.3f s %6.2fx exact (incl. build %5.2fx)  pairs %6.2f%% "
           "screened %6.2f%%  recall min %.6f mean %.6f  max|ddH| %.1e\n",
           label, eps, q->seconds, exact_s / q->seconds, exact_s / (q->seconds + build_s),
           100.0 * q->pairs_frac, 100.0 * q->screened_frac, q->recall_min, q->recall_mean,
           q->max_abs_err);
}

/* Exact and index on one reference set for the given query sets. */
static void compare(const char *title, const double *x, size_t n, size_t d, size_t leaf,
                    int split, const double *const *ys, const char *const *labels,
                    size_t nsets, size_t m, const char *dumpdir)
{
    double build_s;
    printf("%s: %zu references, %zu queries per set\n", title, n, m);
    ent_dh_index *ix = build_index(x, n, d, leaf, (ent_dh_split)split, &build_s);
    printf("  index build %.3f s, index %.1f MB (reference rows alone %.1f MB)\n", build_s,
           (double)ent_dh_index_memory(ix) / 1e6, (double)(n * d * 8) / 1e6);
    for (size_t q = 0; q < nsets; q++) {
        double ex_s;
        double *ex = exact_dh(ys[q], m, x, n, d, &ex_s);
        printf("  %-6s exact (ent_delta_entropy) %.3f s;", labels[q], ex_s);
        summarize("", ex, m);
        const double eps_list[] = {0.0, 1e-3, 1e-2};
        for (size_t e = 0; e < 3; e++) {
            qres r = run_query(ix, ys[q], m, eps_list[e], ex, m);
            print_q(labels[q], eps_list[e], &r, ex_s, build_s);
        }
        if (dumpdir) {
            char name[64];
            snprintf(name, sizeof name, "%s.f64", labels[q]);
            dump(dumpdir, name, ys[q], m * d);
            snprintf(name, sizeof name, "exact_%s.f64", labels[q]);
            dump(dumpdir, name, ex, m);
        }
        free(ex);
    }
    if (dumpdir)
        dump(dumpdir, "refs.f64", x, n * d);
    ent_dh_index_destroy(ix);
}

int main(int argc, char **argv)
{
    int quick = 0;
    size_t nref = 50000, nq = 10000;
    const char *scaling = "50000,200000,1000000", *calib = NULL, *dumpdir = NULL;
    size_t leaf = ENT_DH_INDEX_LEAF_DEFAULT;
    int split = ENT_DH_SPLIT_PRINCIPAL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--refs") && i + 1 < argc)
            nref = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            nq = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--scaling") && i + 1 < argc)
            scaling = argv[++i];
        else if (!strcmp(argv[i], "--leaf") && i + 1 < argc)
            leaf = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--proj") && i + 1 < argc)
            g_proj = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--widest"))
            split = ENT_DH_SPLIT_WIDEST;
#ifdef _OPENMP
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            omp_set_num_threads(atoi(argv[++i]));
#endif
        else if (!strcmp(argv[i], "--calibrate") && i + 1 < argc)
            calib = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dumpdir = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--quick] [--refs N] [--queries M] [--scaling N1,N2,..] "
                    "[--leaf L] [--proj K] [--widest] [--threads T] [--calibrate TESTDATA] "
                    "[--dump DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (quick) {
        nref = 10000;
        nq = 2000;
        scaling = "10000,40000";
    }
    if (calib) {
        calibrate(calib);
        return 0;
    }
#ifdef _OPENMP
    int threads = omp_get_max_threads();
#else
    int threads = 1;
#endif
    size_t d = ent_descriptor_width(K_NBR);
    const gen_cfg single = {0.10, 0.01}, hot = {0.40, 0.05};
    printf("dH index benchmark: fcc Al descriptors (k = %d, rc = %g, d = %zu), h = %g, "
           "leaf %zu, split %s, projection %zu, %d threads\n",
           K_NBR, CUTOFF, d, H, leaf, split ? "widest" : "principal",
           g_proj ? g_proj : (size_t)ENT_DH_INDEX_PROJ_DEFAULT, threads);
    printf("campaign references: equal shares of (rattle sigma A, strain) =");
    for (size_t c = 0; c < NMIX; c++)
        printf(" (%.2f, %.2f)", MIX[c].sigma, MIX[c].strain);
    printf(
        "\nqueries: 'in' = new rows of the same mixture; 'hot' = sigma %.2f, strain %.2f "
        "(beyond every reference condition)\n\n",
        hot.sigma, hot.strain);

    double t0 = now();
    double *x = gen_mix(1, nref), *yin = gen_mix(2, nq), *yhot = gen_al(3, nq, hot);
    printf("data generated in %.1f s\n", now() - t0);
    const double *ys[] = {yin, yhot};
    const char *labels[] = {"in", "hot"};
    compare("campaign mixture", x, nref, d, leaf, split, ys, labels, 2, nq, dumpdir);
    free(x);

    /* Worst case: one condition, queries from the same condition (kernel mass spread over
     * most of the reference set). */
    double *xs = gen_al(4, nref, single), *ys1 = gen_al(5, nq, single);
    const double *ys_single[] = {ys1};
    const char *lab_single[] = {"same"};
    printf("\n");
    compare("single condition (sigma 0.10, strain 0.01), worst case", xs, nref, d, leaf,
            split, ys_single, lab_single, 1, nq, NULL);
    free(xs);
    free(ys1);

    /* Scaling with the reference size (campaign mixture): queries = the first nq_s rows of
     * each set, exact time measured on the same rows. */
    size_t nq_s = nq < 2000 ? nq : 2000, ne = nq_s;
    printf(
        "\nscaling, campaign mixture (first %zu queries of each set; exact measured on the "
        "same rows; rec = min recall of kernel mass)\n",
        nq_s);
    printf("  %9s %8s %9s %9s %5s %10s %10s %10s %7s %7s %9s %9s %7s\n", "refs", "build s",
           "index MB", "rows MB", "set", "exact s", "1e-3 s", "1e-2 s", "x1e-3", "x1e-2",
           "rec1e-3", "rec1e-2", "pairs");
    for (const char *s = scaling; *s;) {
        size_t n = strtoul(s, NULL, 10);
        while (*s && *s != ',')
            s++;
        if (*s == ',')
            s++;
        if (n == 0)
            continue;
        double build_s;
        double *xm = gen_mix(1, n);
        ent_dh_index *ixs = build_index(xm, n, d, leaf, (ent_dh_split)split, &build_s);
        for (int set = 0; set < 2; set++) {
            const double *yq = ys[set];
            double es;
            double *ex = exact_dh(yq, ne, xm, n, d, &es);
            qres a = run_query(ixs, yq, nq_s, 1e-3, ex, ne);
            qres b = run_query(ixs, yq, nq_s, 1e-2, ex, ne);
            printf("  %9zu %8.2f %9.1f %9.1f %5s %10.2f %10.3f %10.3f %6.2fx %6.2fx %9.6f "
                   "%9.6f %6.1f%%\n",
                   n, build_s, (double)ent_dh_index_memory(ixs) / 1e6,
                   (double)(n * d * 8) / 1e6, labels[set], es, a.seconds, b.seconds,
                   es / a.seconds, es / b.seconds, a.recall_min, b.recall_min,
                   100.0 * a.pairs_frac);
            free(ex);
        }
        ent_dh_index_destroy(ixs);
        free(xm);
    }
    printf("\npeak RSS %.0f MB\n", peak_rss_mb());
    free(yin);
    free(yhot);
    return 0;
}
