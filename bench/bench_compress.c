/* Compression benchmark: msc (and fps) on generated data sets of 108-atom fcc Al cells,
 * rattled (sigma 0.02-0.20 A, like MD from room temperature to near melting) and strained
 * (+-3 %), compressed to half. Prints the set-up time (descriptors + per-structure
 * entropies), the msc time, the ratio to the reference implementation's figures on this
 * machine kind (2.9 s msc + 0.76 s set-up for 200 -> 100 structures, 2 threads), and how
 * time grows with the number of structures. No assertions: a benchmark, not a test.
 *
 * usage: bench_compress [--threads N] [--max S] [--quick]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "base/rng.h"
#include "info/compress.h"
#include "info/descriptor.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One 3x3x3 conventional fcc Al cell (108 atoms), strained and rattled. */
static void make_structure(ent_rng *rng, double *pos, double cell[9])
{
    const double a = 4.05;
    const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    double strain[3];
    for (int k = 0; k < 3; k++)
        strain[k] = 1.0 + 0.03 * (2 * ent_rng_uniform(rng) - 1);
    double sigma = 0.02 + 0.18 * ent_rng_uniform(rng);
    memset(cell, 0, 9 * sizeof *cell);
    for (int k = 0; k < 3; k++)
        cell[k * 4] = 3 * a * strain[k];
    size_t i = 0;
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++)
            for (int z = 0; z < 3; z++)
                for (int b = 0; b < 4; b++, i++) {
                    double f[3] = {x + basis[b][0], y + basis[b][1], z + basis[b][2]};
                    for (int k = 0; k < 3; k++)
                        pos[i * 3 + k] = f[k] * a * strain[k] + sigma * ent_rng_normal(rng);
                }
}

typedef struct dataset {
    double *x;
    size_t *offsets;
    ent_structure_set set;
    double *entropies;
    double t_desc, t_ent;
} dataset;

static int build(size_t S, dataset *ds)
{
    const size_t natoms = 108, d = 63;
    ent_descriptor_params p = {32, 5.0, 0};
    int pbc[3] = {1, 1, 1};
    ds->x = malloc(S * natoms * d * sizeof(double));
    ds->offsets = malloc((S + 1) * sizeof(size_t));
    ds->entropies = malloc(S * sizeof(double));
    double *pos = malloc(natoms * 3 * sizeof(double)), cell[9];
    if (!ds->x || !ds->offsets || !ds->entropies || !pos)
        return -1;
    ent_rng rng;
    ent_rng_seed(&rng, 2026);
    ent_error err = {0};
    double t0 = now();
    for (size_t s = 0; s < S; s++) {
        make_structure(&rng, pos, cell);
        if (ent_descriptors(pos, natoms, cell, pbc, &p, ds->x + s * natoms * d, &err) != ENT_OK) {
            fprintf(stderr, "descriptors: %s\n", err.msg);
            return -1;
        }
        ds->offsets[s] = s * natoms;
    }
    ds->offsets[S] = S * natoms;
    ds->t_desc = now() - t0;
    ds->set = (ent_structure_set){ds->x, d, ds->offsets, S};
    t0 = now();
    if (ent_structure_entropies(&ds->set, 0.015, ds->entropies, &err) != ENT_OK) {
        fprintf(stderr, "entropies: %s\n", err.msg);
        return -1;
    }
    ds->t_ent = now() - t0;
    free(pos);
    return 0;
}

static void release(dataset *ds)
{
    free(ds->x);
    free(ds->offsets);
    free(ds->entropies);
}

int main(int argc, char **argv)
{
    size_t max_s = 20000;
    int threads = 2, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max_s = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else {
            fprintf(stderr, "usage: bench_compress [--threads N] [--max S] [--quick]\n");
            return 2;
        }
    }
    if (quick)
        max_s = 1000;
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    printf("# compression benchmark: 108-atom fcc Al cells, rattled 0.02-0.20 A, strained +-3%%,\n"
           "# k = 32, rc = 5, h = 0.015, compressed to half, %d threads\n", threads);
    ent_error err = {0};

    /* The reference figure: 200 structures -> 100 with msc. */
    dataset ds;
    if (build(200, &ds) != 0)
        return 1;
    size_t *sel = malloc(200 * sizeof *sel);
    double best = INFINITY;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        if (ent_compress_msc(&ds.set, ds.entropies, 100, 0.015, sel, &err) != ENT_OK) {
            fprintf(stderr, "msc: %s\n", err.msg);
            return 1;
        }
        best = fmin(best, now() - t0);
    }
    double t0 = now();
    size_t n_eager;
    ent_compress_msc_conditional_eager(&ds.set, ds.entropies, 100, NULL, 0, 0.015, sel,
                                       &n_eager, &err);
    double t_eager = now() - t0;
    t0 = now();
    ent_compress_fps(&ds.set, ds.entropies, 100, sel, &err);
    double t_fps = now() - t0;
    printf("\n200 -> 100 structures (21,600 environments)\n");
    printf("  set-up: descriptors %.4f s + per-structure entropies %.4f s = %.4f s "
           "(reference 0.76 s: %.1fx)\n",
           ds.t_desc, ds.t_ent, ds.t_desc + ds.t_ent, 0.76 / (ds.t_desc + ds.t_ent));
    printf("  msc: %.4f s (best of 5)  reference 2.9 s -> %.1fx faster\n", best, 2.9 / best);
    printf("  msc eager form (baseline, same process): %.4f s -> lazy greedy is %.1fx faster\n",
           t_eager, t_eager / best);
    printf("  fps: %.4f s\n", t_fps);
    release(&ds);
    free(sel);

    printf("\nscaling (msc to half; set-up = descriptors + entropies)\n");
    printf("%10s %12s %12s %12s %14s\n", "structures", "envs", "set-up (s)", "msc (s)",
           "msc/(S^2) ns");
    for (size_t S = 250; S <= max_s; S *= 2) {
        if (build(S, &ds) != 0)
            return 1;
        sel = malloc(S * sizeof *sel);
        t0 = now();
        if (ent_compress_msc(&ds.set, ds.entropies, S / 2, 0.015, sel, &err) != ENT_OK) {
            fprintf(stderr, "msc: %s\n", err.msg);
            return 1;
        }
        double t = now() - t0;
        printf("%10zu %12zu %12.3f %12.3f %14.2f\n", S, S * 108, ds.t_desc + ds.t_ent, t,
               1e9 * t / ((double)S * (double)S));
        fflush(stdout);
        release(&ds);
        free(sel);
        if (t > 120) {
            printf("(stopping: the next size would take about %.0f s)\n", 4 * t);
            break;
        }
    }
    return 0;
}
