/* Learning curve sampling and the completeness fit. */
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

#include "info/learning.h"
#include "support/refdata.h"

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_curve_fit fit;
    double n[2] = {10, 100}, H[2] = {1, 2};
    assert_int_equal(ent_learning_curve_fit(n, H, 2, &fit, &err), ENT_EINVAL);
    double n3[3] = {1, 10, 100}, H3[3] = {0, 1, 2};
    assert_int_equal(ent_learning_curve_fit(n3, H3, 3, &fit, &err), ENT_EINVAL);
    double x[4] = {0, 0, 0, 0};
    size_t off[3] = {0, 1, 2};
    ent_structure_set set = {x, 2, off, 2};
    double fr[1] = {1.5};
    ent_curve_point pt[1];
    assert_int_equal(ent_learning_curve(&set, 1, fr, 1, 1, 0, 0.015, pt, &err), ENT_EINVAL);
    fr[0] = 0.5;
    assert_int_equal(ent_learning_curve(&set, 1, fr, 1, 0, 0, 0.015, pt, &err), ENT_EINVAL);
    assert_int_equal(ent_learning_curve(&set, 1, fr, 1, 1, 0, -1, pt, &err), ENT_EINVAL);
}

static void test_fit_recovers_parameters(void **state)
{
    (void)state;
    double n[12], H[12];
    ent_curve_fit truth = {5.0, 3.0, 0.05, 0, 0}, fit;
    for (int i = 0; i < 12; i++) {
        n[i] = pow(10, 1 + 4.0 * i / 11);
        H[i] = ent_learning_curve_eval(&truth, n[i]);
    }
    ent_error err = {0};
    assert_int_equal(ent_learning_curve_fit(n, H, 12, &fit, &err), ENT_OK);
    assert_true(fabs(fit.a - 5.0) < 1e-6);
    assert_true(fabs(fit.b - 3.0) < 1e-6);
    assert_true(fabs(fit.c - 0.05) < 1e-7);
    assert_true(fit.rms < 1e-8);
}

static void test_curve_on_reference_data(void **state)
{
    (void)state;
    size_t rows, cols;
    double *x = test_reference_npy("desc/al_md_1500K_k32_c5.npy", &rows, &cols);
    size_t off[21];
    for (int s = 0; s <= 20; s++)
        off[s] = 108 * (size_t)s;
    ent_structure_set set = {x, cols, off, 20};
    double fr[4] = {0.1, 0.25, 0.5, 1.0};
    ent_curve_point a[4], b[4];
    ent_error err = {0};
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    assert_int_equal(ent_learning_curve(&set, 1, fr, 4, 3, 11, 0.015, a, &err), ENT_OK);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    assert_int_equal(ent_learning_curve(&set, 1, fr, 4, 3, 11, 0.015, b, &err), ENT_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(a[i].n_items, (size_t)round(fr[i] * 20));
        assert_true(fabs(a[i].entropy_mean - b[i].entropy_mean) <= 1e-12 * a[i].entropy_mean);
        assert_true(a[i].entropy_mean <= log(a[i].n_envs) + 1e-12);
        assert_true(a[i].efficiency > 0 && a[i].efficiency <= 1);
    }
    /* more data, more entropy (on average; holds clearly on this data set) */
    assert_true(a[3].entropy_mean > a[0].entropy_mean);
    /* by environments: single rows */
    assert_int_equal(ent_learning_curve(&set, 0, fr, 1, 2, 11, 0.015, a, &err), ENT_OK);
    assert_int_equal(a[0].n_items, 216);
    assert_true(a[0].n_envs == 216);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_fit_recovers_parameters),
        cmocka_unit_test(test_curve_on_reference_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
