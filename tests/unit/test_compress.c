/* Compression against the reference implementation's index lists (exact) and summaries
 * (1e-9 relative), plus reproducibility of the seeded methods and invalid arguments. */
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

#include "info/compress.h"
#include "info/kernel.h"
#include "support/refdata.h"

#define H 0.015

/* al_md_300K frames then al_md_1500K frames: 40 structures of 108 atoms. */
typedef struct fixture {
    double *x;
    size_t n, d;
    size_t offsets[41];
    ent_structure_set set;
    double *entropies;
} fixture;

static fixture fx;

static int setup(void **state)
{
    size_t r1, c1, r2, c2;
    double *a = test_reference_npy("desc/al_md_300K_k32_c5.npy", &r1, &c1);
    double *b = test_reference_npy("desc/al_md_1500K_k32_c5.npy", &r2, &c2);
    fx.d = c1;
    fx.n = r1 + r2;
    fx.x = malloc(fx.n * fx.d * sizeof(double));
    memcpy(fx.x, a, r1 * c1 * sizeof(double));
    memcpy(fx.x + r1 * c1, b, r2 * c2 * sizeof(double));
    free(a);
    free(b);
    for (size_t s = 0; s <= 40; s++)
        fx.offsets[s] = 108 * s;
    fx.set = (ent_structure_set){fx.x, fx.d, fx.offsets, 40};
    fx.entropies = malloc(40 * sizeof(double));
    ent_error err = {0};
    if (ent_structure_entropies(&fx.set, H, fx.entropies, &err) != ENT_OK)
        return -1;
    (void)state;
    return 0;
}

static int teardown(void **state)
{
    free(fx.x);
    free(fx.entropies);
    (void)state;
    return 0;
}

static void assert_indices(const size_t *got, size_t n, const char *ref_path)
{
    const cJSON *arr = test_reference_get(ref_path);
    assert_int_equal(cJSON_GetArraySize(arr), n);
    for (size_t i = 0; i < n; i++) {
        int want = cJSON_GetArrayItem(arr, (int)i)->valueint;
        if ((int)got[i] != want)
            fail_msg("%s[%zu]: got %zu, reference %d", ref_path, i, got[i], want);
    }
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40], n;
    assert_int_equal(ent_compress_msc(&fx.set, fx.entropies, 0, H, sel, &err), ENT_EINVAL);
    assert_int_equal(ent_compress_msc(&fx.set, fx.entropies, 5, 0.0, sel, &err), ENT_EINVAL);
    assert_int_equal(ent_compress_msc(&fx.set, fx.entropies, 5, NAN, sel, &err), ENT_EINVAL);
    ent_structure_set empty = {fx.x, fx.d, fx.offsets, 0};
    assert_int_equal(ent_compress_fps(&empty, fx.entropies, 5, sel, &err), ENT_EINVAL);
    assert_int_equal(ent_compress_msc_conditional(&empty, fx.entropies, 5, NULL, 0, H, sel,
                                                  &n, &err),
                     ENT_EINVAL);
    assert_int_equal(ent_compress_random(0, 5, 1, sel, &err), ENT_EINVAL);
    assert_int_equal(ent_compress_kmeans(&fx.set, 0, 1, sel, &err), ENT_EINVAL);
    assert_non_null(strstr(err.msg, "size"));
}

static void test_structure_entropies(void **state)
{
    (void)state;
    size_t rows, cols;
    double *want = test_reference_npy("arrays/compress_al_md_structure_entropies.npy", &rows,
                                      &cols);
    assert_int_equal(rows, 40);
    for (size_t s = 0; s < 40; s++)
        assert_true(fabs(fx.entropies[s] - want[s]) <= 1e-9 * fabs(want[s]));
    free(want);
}

static void test_msc_matches_reference(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40];
    assert_int_equal(ent_compress_msc(&fx.set, fx.entropies, 20, H, sel, &err), ENT_OK);
    assert_indices(sel, 20, "compression_al_md/msc_indices");
}

static void test_fps_matches_reference(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40];
    assert_int_equal(ent_compress_fps(&fx.set, fx.entropies, 20, sel, &err), ENT_OK);
    assert_indices(sel, 20, "compression_al_md/fps_indices");
}

static void test_msc_conditional_matches_reference(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40], n = 0;
    /* candidates: the 1500 K structures; reference: all 300 K environments */
    ent_structure_set cand = {fx.x + 20 * 108 * fx.d, fx.d, fx.offsets, 20};
    assert_int_equal(ent_compress_msc_conditional(&cand, fx.entropies + 20, 5, fx.x,
                                                  20 * 108, H, sel, &n, &err),
                     ENT_OK);
    assert_int_equal(n, 5);
    assert_indices(sel, 5, "compression_al_md/msc_conditional_1500K_given_300K_size5");
    /* an empty reference is plain msc */
    assert_int_equal(ent_compress_msc_conditional(&fx.set, fx.entropies, 7, NULL, 0, H, sel,
                                                  &n, &err),
                     ENT_OK);
    assert_int_equal(n, 7);
    assert_indices(sel, 7, "compression_al_md/msc_conditional_empty_reference");
}

/* Summary of a selection as DatasetCompressor.get_summary: H and D of the pooled selected
 * environments (in selection order) and overlap of all environments in them. */
static void check_summary(const size_t *sel, size_t n_sel, const char *ref)
{
    double *pool = malloc(n_sel * 108 * fx.d * sizeof(double));
    for (size_t i = 0; i < n_sel; i++)
        memcpy(pool + i * 108 * fx.d, fx.x + sel[i] * 108 * fx.d, 108 * fx.d * sizeof(double));
    ent_error err = {0};
    double h = H, ent, div, ov;
    assert_int_equal(ent_entropy(pool, n_sel * 108, fx.d, &h, 1, &ent, &div, NULL, &err), ENT_OK);
    assert_int_equal(ent_overlap(fx.x, fx.n, pool, n_sel * 108, fx.d, h, 1e-5, &ov, &err), ENT_OK);
    char path[128];
    snprintf(path, sizeof path, "compression_al_md/%s/entropy", ref);
    double want = test_reference_number(path);
    assert_true(fabs(ent - want) <= 1e-9 * fabs(want));
    snprintf(path, sizeof path, "compression_al_md/%s/diversity", ref);
    want = test_reference_number(path);
    assert_true(fabs(div - want) <= 1e-9 * fabs(want));
    snprintf(path, sizeof path, "compression_al_md/%s/overlap", ref);
    want = test_reference_number(path);
    assert_true(fabs(ov - want) <= 1e-12);
    free(pool);
}

static void test_summaries(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40];
    assert_int_equal(ent_compress_msc(&fx.set, fx.entropies, 20, H, sel, &err), ENT_OK);
    check_summary(sel, 20, "summary_msc");
    assert_int_equal(ent_compress_fps(&fx.set, fx.entropies, 20, sel, &err), ENT_OK);
    check_summary(sel, 20, "summary_fps");
    for (size_t i = 0; i < 40; i++)
        sel[i] = i;
    check_summary(sel, 40, "summary_full");
}

static void test_size_capped_and_all_distinct(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t sel[40], n;
    assert_int_equal(ent_compress_msc_conditional(&fx.set, fx.entropies, 100, NULL, 0, H, sel,
                                                  &n, &err),
                     ENT_OK);
    assert_int_equal(n, 40);
    int seen[40] = {0};
    for (size_t i = 0; i < 40; i++)
        seen[sel[i]]++;
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(seen[i], 1);
}

static void test_seeded_methods_reproducible(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t a[40], b[40];
    assert_int_equal(ent_compress_random(40, 10, 42, a, &err), ENT_OK);
    assert_int_equal(ent_compress_random(40, 10, 42, b, &err), ENT_OK);
    assert_memory_equal(a, b, sizeof(size_t) * 10);
    assert_int_equal(ent_compress_random(40, 10, 43, b, &err), ENT_OK);
    assert_memory_not_equal(a, b, sizeof(size_t) * 10);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    assert_int_equal(ent_compress_kmeans(&fx.set, 6, 7, a, &err), ENT_OK);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    assert_int_equal(ent_compress_kmeans(&fx.set, 6, 7, b, &err), ENT_OK);
    assert_memory_equal(a, b, sizeof(size_t) * 6);
    /* k-means on two well-separated temperatures picks from both */
    int low = 0, high = 0;
    assert_int_equal(ent_compress_kmeans(&fx.set, 2, 7, a, &err), ENT_OK);
    for (int i = 0; i < 2; i++)
        if (a[i] < 20)
            low++;
        else
            high++;
    assert_int_equal(low, 1);
    assert_int_equal(high, 1);
    assert_int_equal(ent_compress_mean_fps(&fx.set, fx.entropies, 5, a, &err), ENT_OK);
    assert_int_equal(a[0], 38); /* highest-entropy structure first */
}

/* The lazy-greedy msc must pick exactly what the eager form picks: on the reference data
 * (with and without a reference set, every size) and on random clustered data with far
 * clusters (+inf scores and ties). */
static void test_lazy_equals_eager(void **state)
{
    (void)state;
    ent_error err = {0};
    size_t a[40], b[40], na, nb;
    for (size_t size = 1; size <= 40; size += 13) {
        assert_int_equal(ent_compress_msc_conditional(&fx.set, fx.entropies, size, NULL, 0, H,
                                                      a, &na, &err), ENT_OK);
        assert_int_equal(ent_compress_msc_conditional_eager(&fx.set, fx.entropies, size, NULL,
                                                            0, H, b, &nb, &err), ENT_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
    }
    ent_structure_set cand = {fx.x + 20 * 108 * fx.d, fx.d, fx.offsets, 20};
    assert_int_equal(ent_compress_msc_conditional(&cand, fx.entropies + 20, 20, fx.x, 20 * 108,
                                                  H, a, &na, &err), ENT_OK);
    assert_int_equal(ent_compress_msc_conditional_eager(&cand, fx.entropies + 20, 20, fx.x,
                                                        20 * 108, H, b, &nb, &err), ENT_OK);
    assert_memory_equal(a, b, 20 * sizeof *a);
    /* random data: 30 structures of 1-7 rows in 4 far-apart clusters, some duplicated */
    enum { S = 30, D = 5 };
    double x[S * 7 * D];
    size_t off[S + 1];
    double ent[S];
    uint64_t seed = 12345;
    off[0] = 0;
    for (size_t st = 0; st < S; st++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = 1 + (seed >> 33) % 7, cluster = (seed >> 40) % 4;
        for (size_t r = 0; r < len; r++)
            for (size_t k = 0; k < D; k++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                double noise = ((double)(seed >> 11) / 9007199254740992.0 - 0.5) * 0.05;
                x[(off[st] + r) * D + k] = (double)cluster * 10.0 + (st % 3 ? noise : 0);
            }
        off[st + 1] = off[st] + len;
        ent[st] = (double)(st % 4) * 0.25;
    }
    ent_structure_set rs = {x, D, off, S};
    for (size_t size = 1; size <= S; size += 7) {
        assert_int_equal(ent_compress_msc(&rs, ent, size, 0.01, a, &err), ENT_OK);
        assert_int_equal(ent_compress_msc_conditional_eager(&rs, ent, size, NULL, 0, 0.01, b,
                                                            &nb, &err), ENT_OK);
        assert_memory_equal(a, b, size * sizeof *a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_structure_entropies),
        cmocka_unit_test(test_msc_matches_reference),
        cmocka_unit_test(test_fps_matches_reference),
        cmocka_unit_test(test_msc_conditional_matches_reference),
        cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_size_capped_and_all_distinct),
        cmocka_unit_test(test_seeded_methods_reproducible),
        cmocka_unit_test(test_lazy_equals_eager),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
