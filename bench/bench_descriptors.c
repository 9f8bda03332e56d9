/* Benchmark of ent_descriptors (k = 32, rc = 5 A) on a rattled fcc Al supercell built
 * in-process: best-of-N wall time, atoms/s, the ratio to the reference implementation's
 * 2.48 s for 97,556 atoms on 2 threads, the speed-up over a 1-thread run and over a
 * brute-force O(N)-per-atom search (timed on a subsample, scaled). Prints figures only.
 * Usage: bench_descriptors [--threads N] [--cells C] [--repeats R] [--quick] */
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

#include "info/descriptor.h"

#define REF_SECONDS 2.48 /* QUESTS get_descriptors, 97,556 atoms, 2 threads */
#define REF_ATOMS 97556.0
#define LATTICE 4.05
#define RATTLE 0.05

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) * 0x1.0p-53;
}

static double gauss(void)
{
    return sqrt(-2.0 * log(urand())) * cos(6.283185307179586 * urand());
}

static void set_threads(int t)
{
#ifdef _OPENMP
    omp_set_num_threads(t);
#else
    (void)t;
#endif
}

static double best_time(const double *pos, size_t n, const double *cell, int repeats,
                        double *out)
{
    static const int pbc[3] = {1, 1, 1};
    ent_descriptor_params p = {32, 5.0, 0};
    double best = INFINITY;
    for (int r = 0; r < repeats; r++) {
        ent_error err = {0};
        double t0 = now();
        if (ent_descriptors(pos, n, cell, pbc, &p, out, &err) != ENT_OK) {
            fprintf(stderr, "ent_descriptors: %s\n", err.msg);
            exit(1);
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

/* ---- brute force baseline: every atom (minimum image, the box is > 2 rc), qsort ---- */

typedef struct cand {
    double d2, d[3];
} cand;

static int cand_cmp(const void *a, const void *b)
{
    double x = ((const cand *)a)->d2, y = ((const cand *)b)->d2;
    return (x > y) - (x < y);
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double fc(double r)
{
    double z = fmin(r, 5.0) / 5.0;
    return (1 - z * z) * (1 - z * z);
}

static void brute_row(const double *pos, size_t n, double L, size_t i, cand *c, double *A,
                      double *row)
{
    enum { k = 32 };
    size_t nc = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == i)
            continue;
        cand x;
        for (int q = 0; q < 3; q++) {
            double d = pos[3 * j + q] - pos[3 * i + q];
            x.d[q] = d - L * rint(d / L);
        }
        x.d2 = x.d[0] * x.d[0] + x.d[1] * x.d[1] + x.d[2] * x.d[2];
        if (x.d2 < 25.0)
            c[nc++] = x;
    }
    qsort(c, nc, sizeof *c, cand_cmp);
    size_t nn = nc < k ? nc : k;
    for (size_t j = 0; j < k; j++) {
        double r = j < nn ? sqrt(c[j].d2) + 1e-16 : 1.0;
        row[j] = j < nn ? fc(r) / r : 0.0;
    }
    memset(A, 0, k * k * sizeof *A);
    for (size_t j = 0; j < nn; j++)
        for (size_t l = 0; l < nn; l++)
            if (j != l) {
                double dx = c[j].d[0] - c[l].d[0], dy = c[j].d[1] - c[l].d[1],
                       dz = c[j].d[2] - c[l].d[2];
                A[j * k + l] = sqrt(fc(sqrt(c[j].d2)) * fc(sqrt(c[l].d2))) /
                               (sqrt(dx * dx + dy * dy + dz * dz) + 1e-15);
            }
    for (size_t j = 0; j < k; j++)
        qsort(A + j * k, k, sizeof *A, dbl_cmp);
    for (size_t col = 1; col < k; col++) {
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += A[j * k + col];
        row[k + (k - 1 - col)] = s / k;
    }
}

int main(int argc, char **argv)
{
    int threads = 2, cells = 29, repeats = 5, sample = 200;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cells") && i + 1 < argc)
            cells = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) {
            cells = 12;
            repeats = 2;
            sample = 50;
        } else {
            fprintf(stderr, "usage: %s [--threads N] [--cells C] [--repeats R] [--quick]\n",
                    argv[0]);
            return 2;
        }
    }
    if (threads < 1 || cells < 3 || repeats < 1) {
        fprintf(stderr, "threads >= 1, cells >= 3, repeats >= 1\n");
        return 2;
    }

    /* fcc, 4 atoms per conventional cell, Gaussian rattle (fixed seed). */
    size_t n = 4 * (size_t)cells * cells * cells;
    double L = cells * LATTICE, cell[9] = {L, 0, 0, 0, L, 0, 0, 0, L};
    static const double basis[4][3] = {{0, 0, 0}, {0, .5, .5}, {.5, 0, .5}, {.5, .5, 0}};
    double *pos = malloc(3 * n * sizeof *pos);
    double *out = malloc(n * 63 * sizeof *out);
    if (!pos || !out) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    size_t a = 0;
    for (int x = 0; x < cells; x++)
        for (int y = 0; y < cells; y++)
            for (int z = 0; z < cells; z++)
                for (int b = 0; b < 4; b++, a++) {
                    pos[3 * a] = (x + basis[b][0]) * LATTICE + RATTLE * gauss();
                    pos[3 * a + 1] = (y + basis[b][1]) * LATTICE + RATTLE * gauss();
                    pos[3 * a + 2] = (z + basis[b][2]) * LATTICE + RATTLE * gauss();
                }

    printf("bench_descriptors: rattled fcc Al, %dx%dx%d cells, %zu atoms, a = %.2f A, "
           "sigma = %.2f A, k = 32, rc = 5 A\n",
           cells, cells, cells, n, LATTICE, RATTLE);

    set_threads(threads);
    double t = best_time(pos, n, cell, repeats, out);
    set_threads(1);
    double t1 = best_time(pos, n, cell, repeats < 3 ? repeats : 3, out);
    set_threads(threads);
    double ref = REF_SECONDS * (double)n / REF_ATOMS;

    /* Brute force on a subsample, checked against the fast rows. */
    cand *c = malloc(n * sizeof *c);
    double *A = malloc(32 * 32 * sizeof *A), row[63], maxdiff = 0;
    if (!c || !A) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    (void)best_time(pos, n, cell, 1, out); /* out = the threaded result */
    size_t stride = n / (size_t)sample ? n / (size_t)sample : 1, done = 0;
    double t0 = now();
    for (size_t i = 0; i < n && done < (size_t)sample; i += stride, done++) {
        brute_row(pos, n, L, i, c, A, row);
        for (int q = 0; q < 63; q++)
            maxdiff = fmax(maxdiff, fabs(row[q] - out[i * 63 + q]));
    }
    double tb = (now() - t0) / (double)done * (double)n;

    printf("  %d threads, best of %d: %.4f s  (%.3g atoms/s)\n", threads, repeats, t,
           (double)n / t);
    printf("  1 thread:               %.4f s  (%.3g atoms/s), parallel speed-up %.2fx\n",
           t1, (double)n / t1, t1 / t);
    printf("  reference (QUESTS, 2 threads): %.2f s%s -> entrain is %.1fx faster\n", ref,
           n == (size_t)REF_ATOMS ? " measured" : " scaled from 2.48 s for 97,556 atoms",
           ref / t);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS %.0f MB (output %zu x 63 doubles = %.0f MB)\n", ru.ru_maxrss / 1024.0,
           n, (double)n * 63 * 8 / 1048576.0);
    printf("  brute force O(N) per atom, 1 thread: %.1f s estimated from %zu atoms "
           "-> %.0fx slower than entrain on %d threads (max |diff| %.1e)\n",
           tb, done, tb / t, threads, maxdiff);
    free(c);
    free(A);
    free(pos);
    free(out);
    return 0;
}
