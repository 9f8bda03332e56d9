/* Unit tests of the campaign's extra label checks (src/engine/engine_outliers.c): reduced
 * formulas, validation.max_force, and per-atom energy outliers judged against the accepted
 * labels of a real campaign database with the same reduced formula (median +- k robust
 * standard deviations, at least 8 references, MAD floor for identical energies). */
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
#include <unistd.h>

#include "engine/engine_outliers.h"
#include "store/store.h"

#define OK(call)                                                                           \
    do {                                                                                   \
        if ((call) != ENT_OK)                                                              \
            fail_msg("%s: %s", #call, err.msg);                                            \
    } while (0)

static char db_path[256];

/* n atoms of the given symbols cycling, on a line 2.5 A apart, shifted by `shift`. */
static ent_frame *chain(const char *const *sym, size_t n_sym, size_t n, double shift)
{
    ent_frame *f = ent_frame_create(n);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        snprintf(f->species[i], ENT_SYMBOL_MAX, "%s", sym[i % n_sym]);
        f->positions[3 * i] = 2.5 * (double)i + shift;
        f->positions[3 * i + 1] = 0.1 * shift;
    }
    return f;
}

static void test_reduced_formula(void **state)
{
    (void)state;
    char out[64];
    const char *al4[] = {"Al", "Al", "Al", "Al"};
    eng_reduced_formula(al4, 4, out, sizeof out);
    assert_string_equal(out, "Al");
    const char *alo[] = {"O", "Al", "O", "Al", "O", "O", "Al", "Al", "O", "O"};
    eng_reduced_formula(alo, 10, out, sizeof out);
    assert_string_equal(out, "Al2O3");
    const char *h2o[] = {"H", "O", "H"};
    eng_reduced_formula(h2o, 3, out, sizeof out);
    assert_string_equal(out, "H2O");
    eng_reduced_formula(alo, 10, out, 4); /* does not fit: empty, never truncated */
    assert_string_equal(out, "");
}

static void test_max_force(void **state)
{
    (void)state;
    const char *al[] = {"Al"};
    ent_frame *f = chain(al, 1, 2, 0);
    double forces[6] = {0.1, -0.2, 0.3, 0.0, -7.5, 0.0};
    char reason[256] = "";
    eng_label_extra_check(NULL, 0, 10.0, f, -7.0, forces, reason, sizeof reason);
    assert_string_equal(reason, "");
    eng_label_extra_check(NULL, 0, 5.0, f, -7.0, forces, reason, sizeof reason);
    assert_non_null(strstr(reason, "atom 1 exceeds validation.max_force = 5"));
    /* An earlier reason is kept. */
    snprintf(reason, sizeof reason, "non-finite energy");
    eng_label_extra_check(NULL, 0, 5.0, f, -7.0, forces, reason, sizeof reason);
    assert_string_equal(reason, "non-finite energy");
    ent_frame_destroy(f);
}

/* A database with n_al labelled Al chains (energies -3.40 +- 0.01 eV/atom, one wild
 * -1.0 eV/atom among them) and 3 labelled AlO chains. */
static ent_store *make_db(size_t n_al)
{
    ent_error err = {0};
    unlink(db_path);
    ent_store *st = NULL;
    ent_store_open_opts o = {.flags = ENT_STORE_CREATE | ENT_STORE_WRITER, .command = "test"};
    OK(ent_store_open(db_path, &o, &st, &err));
    ent_store_import_params ip = {.files = "test", .generation = 0, .status = "labelled"};
    ent_store_import *im = NULL;
    OK(ent_store_import_begin(st, &ip, &im, &err));
    const char *al[] = {"Al"}, *alo[] = {"Al", "O"};
    for (size_t i = 0; i < n_al + 3; i++) {
        int is_al = i < n_al;
        size_t n = is_al ? 4 + 4 * (i % 2) : 2; /* Al4 and Al8: one formula */
        ent_frame *f = chain(is_al ? al : alo, is_al ? 1 : 2, n, 0.01 * (double)i);
        double epa = is_al ? -3.40 + 0.01 * sin((double)i) : -6.0;
        if (is_al && i == 3)
            epa = -1.0; /* a bad reference must not drag the median */
        ent_store_label lb = {.has_energy = 1, .energy = epa * (double)n, .validation = "ok"};
        int64_t id;
        OK(ent_store_import_add(im, f, "test", (long)i, NULL, &lb, &id, NULL, &err));
        ent_frame_destroy(f);
    }
    OK(ent_store_import_commit(im, NULL, &err));
    ent_store_import_destroy(im);
    return st;
}

static void check(const eng_energy_ref *ref, const char *const *sym, size_t n_sym, size_t n,
                  double epa, double k, int rejected)
{
    ent_frame *f = chain(sym, n_sym, n, 0);
    char reason[512] = "";
    eng_label_extra_check(ref, k, 0, f, epa * (double)n, NULL, reason, sizeof reason);
    if (rejected)
        assert_non_null(strstr(reason, "energy outlier"));
    else
        assert_string_equal(reason, "");
    ent_frame_destroy(f);
}

static void test_energy_outliers(void **state)
{
    (void)state;
    ent_error err = {0};
    const char *al[] = {"Al"}, *alo[] = {"O", "Al"}, *cu[] = {"Cu"};
    ent_store *st = make_db(12);
    eng_energy_ref *ref = NULL;
    OK(eng_energy_ref_load(st, &ref, &err));
    check(ref, al, 1, 32, -3.405, 10, 0); /* normal, any cell size */
    check(ref, al, 1, 4, -2.9, 10, 1);    /* 0.5 eV/atom off */
    check(ref, al, 1, 4, -2.9, 0, 0);     /* check off */
    check(ref, al, 1, 4, -2.9, 1e6, 0);   /* very tolerant */
    check(ref, alo, 2, 4, -1.0, 10, 0);   /* only 3 AlO references: not judged */
    check(ref, cu, 1, 4, 100.0, 10, 0);   /* no reference of this formula */
    eng_energy_ref_free(ref);
    ent_store_close(st);

    st = make_db(7); /* fewer than 8 references: nothing is judged yet */
    OK(eng_energy_ref_load(st, &ref, &err));
    check(ref, al, 1, 4, 50.0, 10, 0);
    eng_energy_ref_free(ref);
    ent_store_close(st);
}

int main(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/entrain-outliers-%ld.db", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduced_formula),
        cmocka_unit_test(test_max_force),
        cmocka_unit_test(test_energy_outliers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char p[300];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
    return rc;
}
