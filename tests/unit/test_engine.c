/* Unit tests of the engine's pieces that need no campaign: invalid arguments of
 * ent_engine_run and ent_engine_stop_file, the extxyz text of frames, and the label checks
 * (accepted label; wrong atom count, missing or non-finite energy, missing or non-finite
 * forces, atoms too close, also across a periodic boundary). The generation loop itself is
 * tested end to end by tests/e2e/test_engine.sh. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

/* Two atoms 2 A apart along x in a periodic 10 A cube, with energy and forces. */
static ent_frame *pair(double dx, int with_energy, int with_forces, double bad_force)
{
    ent_frame *f = ent_frame_create(2);
    assert_non_null(f);
    strcpy(f->species[0], "Ar");
    strcpy(f->species[1], "Ar");
    f->positions[0] = 1.0;
    f->positions[3] = 1.0 + dx;
    f->cell[0] = f->cell[4] = f->cell[8] = 10.0;
    f->has_cell = 1;
    f->pbc[0] = f->pbc[1] = f->pbc[2] = 1;
    if (with_energy)
        assert_int_equal(ent_frame_info_set_real(f, "energy", -1.25, NULL), ENT_OK);
    if (with_forces) {
        double fv[6] = {0.1, 0, 0, -0.1, 0, bad_force};
        assert_int_equal(ent_frame_column_set_real(f, "forces", 3, fv, NULL), ENT_OK);
    }
    return f;
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_engine_result res;
    assert_int_equal(ent_engine_run(NULL, NULL, &res, &err), ENT_EINVAL);
    char buf[8];
    assert_int_equal(ent_engine_stop_file(NULL, buf, sizeof buf, &err), ENT_EINVAL);
    assert_int_equal(ent_engine_stop_file("a-rather-long-name.db", buf, sizeof buf, &err),
                     ENT_EINVAL);
    char ok[64];
    assert_int_equal(ent_engine_stop_file("c.db", ok, sizeof ok, &err), ENT_OK);
    assert_string_equal(ok, "c.db.stop");
}

static void test_xyz_text(void **state)
{
    (void)state;
    ent_frame *f = pair(2.0, 1, 1, 0.0);
    ent_frame *fs[2] = {f, f};
    char *text = NULL;
    size_t len = 0;
    ent_error err = {0};
    assert_int_equal(ent_engine_xyz_text(fs, 2, &text, &len, &err), ENT_OK);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "energy=-1.25"));
    assert_non_null(strstr(text, "forces:R:3"));
    const char *second = strstr(text, "Lattice=");
    assert_non_null(second);
    assert_non_null(strstr(second + 1, "Lattice=")); /* two frames */
    free(text);
    ent_frame_destroy(f);
}

static void check(const ent_frame *f, const ent_frame *out, double dmin, const char *want)
{
    double e = NAN, forces[6];
    char reason[256];
    ent_engine_label_check(f, out, dmin, &e, forces, reason, sizeof reason);
    if (!want) {
        assert_string_equal(reason, "");
        assert_true(e == -1.25);
        assert_true(forces[0] == 0.1 && forces[3] == -0.1);
    } else {
        if (!strstr(reason, want))
            fail_msg("reason '%s' lacks '%s'", reason, want);
    }
}

static void test_label_checks(void **state)
{
    (void)state;
    ent_frame *s = pair(2.0, 0, 0, 0.0);
    ent_frame *good = pair(2.0, 1, 1, 0.0);
    check(s, good, 0.5, NULL);
    ent_frame *no_e = pair(2.0, 0, 1, 0.0);
    check(s, no_e, 0.5, "missing energy");
    ent_frame *no_f = pair(2.0, 1, 0, 0.0);
    check(s, no_f, 0.5, "missing forces");
    ent_frame *nan_f = pair(2.0, 1, 1, NAN);
    check(s, nan_f, 0.5, "non-finite force on atom 1");
    ent_frame *inf_e = pair(2.0, 1, 1, 0.0);
    assert_int_equal(ent_frame_info_set_real(inf_e, "energy", INFINITY, NULL), ENT_OK);
    check(s, inf_e, 0.5, "non-finite energy");
    check(s, good, 2.5, "atoms 0 and 1 are 2.000 A apart");
    check(s, good, 0.0, NULL); /* 0 disables the distance check */
    /* 9.8 A apart in the cell = 0.2 A through the periodic boundary */
    ent_frame *wrap = pair(9.8, 0, 0, 0.0);
    check(wrap, good, 0.5, "0.200 A apart");
    ent_frame *one = ent_frame_create(1);
    strcpy(one->species[0], "Ar");
    check(one, good, 0.5, "output has 2 atoms, the structure 1");
    ent_frame_destroy(one);
    ent_frame_destroy(wrap);
    ent_frame_destroy(inf_e);
    ent_frame_destroy(nan_f);
    ent_frame_destroy(no_f);
    ent_frame_destroy(no_e);
    ent_frame_destroy(good);
    ent_frame_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_xyz_text),
        cmocka_unit_test(test_label_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
