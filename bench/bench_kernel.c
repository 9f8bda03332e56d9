/* Benchmark of the kernel sums (src/info/kernel*.c): entropy of N environments and dH of
 * M query environments against N, on QUESTS descriptors of rattled and strained fcc Al
 * supercells computed here with ent_descriptors (synthetic descriptor-like rows with
 * --synthetic). Prints times, peak RSS, GFLOP/s-equivalent of the distance work and
 * ratios to the reference Python figures and to the naive serial loop measured on a
 * subsample. No assertions: it reports figures.
 *
 *   bench_kernel [--n N] [--m M] [--threads T] [--quick] [--synthetic] [--blas]
 *                [--no-reorder]
 */
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

#include "info/descriptor.h"
#include "info/kernel.h"

/* Reference QUESTS package, 2 threads on this machine (QUESTS_MATH.md §8, brief). */
#define REF_ENTROPY_50K_S 21.6
#define REF_DH_10K_50K_S 4.40
#define PEAK_GFLOPS 112.0 /* measured float64 dgemm rate, 2 threads */

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
    return (double)ru.ru_maxrss / 1024.0; /* kB on Linux */
}

static uint64_t rng = 0x1234567;
static double urand(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* Rows of descriptors of 3x3x3 fcc Al supercells (108 atoms, a = 4.05 A), each frame with
 * a random diagonal strain in [-strain, strain] and a Gaussian rattle of sigma in
 * [s0, s1] A. Returns the number of rows written (n), or 0 if ent_descriptors failed. */
static size_t al_descriptors(double *out, size_t n, double strain, double s0, double s1)
{
    const int nc = 3, natoms = 4 * nc * nc * nc;
    const double a = 4.05, basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    const ent_descriptor_params p = {.k = 32, .cutoff = 5.0, .quests_compat = 0};
    const size_t d = ent_descriptor_width(32);
    double pos[108 * 3], cell[9], *buf = malloc(108 * d * sizeof *buf);
    const int pbc[3] = {1, 1, 1};
    size_t done = 0;
    while (done < n && buf) {
        double e[3], sigma = s0 + (s1 - s0) * urand();
        for (int k = 0; k < 3; k++)
            e[k] = strain * (2.0 * urand() - 1.0);
        memset(cell, 0, sizeof cell);
        for (int k = 0; k < 3; k++)
            cell[4 * k] = nc * a * (1.0 + e[k]);
        int at = 0;
        for (int i = 0; i < nc; i++)
            for (int j = 0; j < nc; j++)
                for (int l = 0; l < nc; l++)
                    for (int b = 0; b < 4; b++, at++) {
                        const double f[3] = {i + basis[b][0], j + basis[b][1], l + basis[b][2]};
                        for (int k = 0; k < 3; k++)
                            pos[3 * at + k] = a * (1.0 + e[k]) * f[k] + sigma * nrand();
                    }
        ent_error err = {0};
        if (ent_descriptors(pos, (size_t)natoms, cell, pbc, &p, buf, &err) != ENT_OK) {
            fprintf(stderr, "ent_descriptors failed (%s): using synthetic rows\n", err.msg);
            free(buf);
            return 0;
        }
        size_t take = n - done < (size_t)natoms ? n - done : (size_t)natoms;
        memcpy(out + done * d, buf, take * d * sizeof *out);
        done += take;
    }
    free(buf);
    return done;
}

/* Synthetic fallback: a descriptor-like base row (x1 ~ fc(r)/r decreasing, x2 smaller)
 * plus Gaussian noise of scale `noise`. */
static void synthetic_rows(double *out, size_t n, size_t d, double noise)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++) {
            double base = k < 32 ? 0.35 - 0.008 * (double)k : 0.2 - 0.004 * (double)(k - 32);
            out[i * d + k] = base + noise * nrand();
        }
}

static void make_rows(double *out, size_t n, size_t d, int synthetic, double s0, double s1)
{
    if (synthetic || !al_descriptors(out, n, 0.02, s0, s1))
        synthetic_rows(out, n, d, 0.5 * (s0 + s1) * 0.4);
}

int main(int argc, char **argv)
{
    size_t n = 50000, m = 10000, nbase = 2000;
    int threads = 0, synthetic = 0, blas = 0, no_reorder = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--m") && i + 1 < argc)
            m = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) {
            n = 10000;
            m = 2000;
            nbase = 1000;
        } else if (!strcmp(argv[i], "--synthetic"))
            synthetic = 1;
        else if (!strcmp(argv[i], "--blas"))
            blas = 1;
        else if (!strcmp(argv[i], "--no-reorder"))
            no_reorder = 1;
        else {
            fprintf(stderr,
                    "usage: %s [--n N] [--m M] [--threads T] [--quick] [--synthetic] "
                    "[--blas] [--no-reorder]\n",
                    argv[0]);
            return 2;
        }
    }
    if (n < 2 || m < 1) {
        fprintf(stderr, "need n >= 2 and m >= 1\n");
        return 2;
    }
#ifdef _OPENMP
    if (threads > 0)
        omp_set_num_threads(threads);
    threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    const size_t d = ent_descriptor_width(32);
    const double h = 0.015;
    ent_kernel_opts opts = {.use_blas = blas, .no_reorder = no_reorder};
    ent_kernel_stats st = {0};
    opts.stats = &st;
    ent_error err = {0};

    printf("bench_kernel: n = %zu, m = %zu, d = %zu, h = %g, threads = %d\n", n, m, d, h,
           threads);
    printf("back end: %s\n", ent_kernel_backend(&opts));

    double *x = malloc(n * d * sizeof *x);
    if (!x)
        return 1;
    double t0 = now();
    make_rows(x, n, d, synthetic, 0.05, 0.10);
    printf("data: %s, %zu environments in %.2f s (rattle 0.05-0.10 A, strain +-2%%)\n",
           synthetic ? "synthetic descriptor-like rows" : "QUESTS descriptors of fcc Al",
           n, now() - t0);
    double rss0 = peak_rss_mb();

    /* entropy */
    double *p = malloc(n * sizeof *p), H = 0, D = 0;
    t0 = now();
    if (ent_kernel_self_sum_opts(x, n, d, &h, 1, p, &opts, &err) != ENT_OK) {
        fprintf(stderr, "self sum: %s\n", err.msg);
        return 1;
    }
    ent_entropy_from_p(p, n, 1, &H, &D);
    double t_ent = now() - t0, rss1 = peak_rss_mb();
    double flops_ent = (double)n * (double)n * (double)d; /* 2 d per pair, n^2/2 pairs */
    printf("\nentropy N=%zu: %.3f s   H = %.6f  D = %.6f  (%.1f%% of pairs evaluated, %zu "
           "tiles%s)\n",
           n, t_ent, H, D, 100.0 * st.pairs_evaluated / st.pairs_total, st.tiles_rows,
           st.reordered ? ", reordered" : "");
    printf("  distance work 2*d*N^2/2 = %.3g flop -> %.1f GFLOP/s-equivalent = %.0f%% of %.0f\n",
           flops_ent, flops_ent / t_ent * 1e-9, 100.0 * flops_ent / t_ent * 1e-9 / PEAK_GFLOPS,
           PEAK_GFLOPS);
    printf("  peak RSS %.1f MB (%.1f MB before the call; the descriptors alone are %.1f MB)\n",
           rss1, rss0, (double)(n * d * sizeof(double)) / 1048576.0);

    /* three bandwidths in one pass */
    const double h3[3] = {0.015, 0.03, 0.06};
    double *p3 = malloc(3 * n * sizeof *p3);
    t0 = now();
    ent_kernel_self_sum_opts(x, n, d, h3, 3, p3, &opts, &err);
    printf("  3 bandwidths in one pass: %.3f s\n", now() - t0);
    free(p3);

    /* dH of m queries (hotter: rattle 0.10-0.15 A) against the n environments */
    double *y = malloc(m * d * sizeof *y), *dh = malloc(m * sizeof *dh);
    make_rows(y, m, d, synthetic, 0.10, 0.15);
    t0 = now();
    if (ent_kernel_sum_opts(y, m, x, n, d, &h, 1, dh, &opts, &err) != ENT_OK) {
        fprintf(stderr, "cross sum: %s\n", err.msg);
        return 1;
    }
    double t_dh = now() - t0, mean = 0;
    size_t ninf = 0;
    for (size_t i = 0; i < m; i++) {
        if (dh[i] > 0)
            mean += -log(dh[i]);
        else
            ninf++;
    }
    mean /= (double)(m - ninf ? m - ninf : 1);
    double flops_dh = 2.0 * (double)m * (double)n * (double)d;
    printf("\ndH M=%zu vs N=%zu: %.3f s   mean finite dH = %.4f, %zu infinite (%.1f%% of pairs "
           "evaluated)\n",
           m, n, t_dh, mean, ninf, 100.0 * st.pairs_evaluated / st.pairs_total);
    printf("  distance work 2*d*M*N = %.3g flop -> %.1f GFLOP/s-equivalent = %.0f%% of %.0f\n",
           flops_dh, flops_dh / t_dh * 1e-9, 100.0 * flops_dh / t_dh * 1e-9 / PEAK_GFLOPS,
           PEAK_GFLOPS);
    printf("  peak RSS so far %.1f MB\n", peak_rss_mb());

    /* naive serial all-pairs loop on a subsample, scaled */
    size_t nb = nbase < n ? nbase : n;
    double *pb = malloc(nb * sizeof *pb);
    t0 = now();
    ent_kernel_sum_reference(x, nb, x, nb, d, &h, 1, pb, &err);
    double per_pair = (now() - t0) / ((double)nb * (double)nb);
    double naive_ent = per_pair * (double)n * (double)n;
    double naive_dh = per_pair * (double)m * (double)n;
    printf("\nnaive serial loop: %.2f ns/pair (%zu x %zu) -> entropy %.1f s, dH %.1f s "
           "(scaled)\n",
           per_pair * 1e9, nb, nb, naive_ent, naive_dh);

    printf("\nsummary (n=%zu, m=%zu, %d threads):\n", n, m, threads);
    printf("  entropy: %.3f s, %.1fx the naive loop", t_ent, naive_ent / t_ent);
    if (n == 50000)
        printf(", %.1fx the reference Python (%.1f s)", REF_ENTROPY_50K_S / t_ent,
               REF_ENTROPY_50K_S);
    printf("\n  dH:      %.3f s, %.1fx the naive loop", t_dh, naive_dh / t_dh);
    if (n == 50000 && m == 10000)
        printf(", %.1fx the reference Python (%.2f s)", REF_DH_10K_50K_S / t_dh,
               REF_DH_10K_50K_S);
    printf("\n  peak RSS %.1f MB\n", peak_rss_mb());
    free(pb);
    free(y);
    free(dh);
    free(p);
    free(x);
    return 0;
}
