/* δH-targeted Monte Carlo: arguments, reproducibility, that it approaches its target and
 * respects the closest-approach guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "info/mcmc.h"
#include "io/reader.h"
#include "support/refdata.h"

static ent_frame *first_frame(void)
{
    ent_reader *r = NULL;
    ent_frame *f = NULL;
    ent_error err = {0};
    assert_int_equal(ent_reader_open(test_data_path("reference/data/al_md_300K.xyz"), NULL, &r, &err), ENT_OK);
    assert_int_equal(ent_reader_next(r, &f, &err), ENT_OK);
    ent_reader_close(r);
    return f;
}

typedef struct track {
    double last_mean;
    double min_pair;
} track;

static int remember(void *ctx, const ent_mcmc_state *st)
{
    ((track *)ctx)->last_mean = st->mean_dh;
    return 0;
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_mcmc_params p;
    ent_mcmc_params_default(&p);
    double pos[3] = {0}, cell[9] = {0}, ref[63] = {0};
    int pbc[3] = {0, 0, 0};
    ent_error err = {0};
    assert_int_equal(ent_mcmc_run(&p, pos, 1, cell, pbc, ref, 0, 63, NULL, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_mcmc_run(&p, pos, 1, cell, pbc, ref, 1, 10, NULL, NULL, &err), ENT_EINVAL);
    p.t_end = 0;
    assert_int_equal(ent_mcmc_run(&p, pos, 1, cell, pbc, ref, 1, 63, NULL, NULL, &err), ENT_EINVAL);
    ent_mcmc_params_default(&p);
    p.steps = 0;
    assert_int_equal(ent_mcmc_run(&p, pos, 1, cell, pbc, ref, 1, 63, NULL, NULL, &err), ENT_EINVAL);
}

static void test_reaches_target_reproducibly(void **state)
{
    (void)state;
    size_t rows, cols;
    double *ref = test_reference_npy("desc/al_md_300K_k32_c5.npy", &rows, &cols);
    ent_frame *f = first_frame();
    ent_mcmc_params p;
    ent_mcmc_params_default(&p);
    p.steps = 150;
    p.target = 3.0;
    p.seed = 5;
    p.strain_prob = 0.2;
    double *a = malloc(f->n_atoms * 3 * sizeof *a), *b = malloc(f->n_atoms * 3 * sizeof *b);
    double ca[9], cb[9];
    ent_error err = {0};
    track ta = {0}, tb = {0};
    memcpy(a, f->positions, f->n_atoms * 3 * sizeof *a);
    memcpy(ca, f->cell, sizeof ca);
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    assert_int_equal(ent_mcmc_run(&p, a, f->n_atoms, ca, f->pbc, ref, rows, cols, remember, &ta, &err), ENT_OK);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    memcpy(b, f->positions, f->n_atoms * 3 * sizeof *b);
    memcpy(cb, f->cell, sizeof cb);
    assert_int_equal(ent_mcmc_run(&p, b, f->n_atoms, cb, f->pbc, ref, rows, cols, remember, &tb, &err), ENT_OK);
    /* Same seed → same chain, whatever the thread count (acceptance decisions compare
     * sums that agree to rounding; identical here). */
    assert_memory_equal(a, b, f->n_atoms * 3 * sizeof *a);
    assert_memory_equal(ca, cb, sizeof ca);
    /* Started well below the target (a frame of REF itself: dH < 0); ends near it. */
    assert_true(fabs(ta.last_mean - 3.0) < 0.5);
    /* The cell was strained (accepted strains change it), and stays close to cubic. */
    assert_memory_not_equal(ca, f->cell, sizeof ca);
    assert_true(fabs(ca[1]) < 0.1 * ca[0]);
    free(a);
    free(b);
    free(ref);
    ent_frame_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_reaches_target_reproducibly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
