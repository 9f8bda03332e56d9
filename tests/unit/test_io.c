/* Unit tests of src/io: frame helpers, the extended-XYZ reader and writer (reference
 * files, exact round trip), POSCAR and LAMMPS dump fixtures in tests/data/io/, and a
 * table of malformed inputs checking the status and the "FILE:LINE: field" message. */
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

#include "io/frame.h"
#include "io/reader.h"
#include "support/refdata.h"

/* ---- helpers ---- */

static ent_reader *open_text(const char *text, const char *name, ent_format fmt,
                             const ent_reader_options *base, FILE **fp)
{
    *fp = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(*fp);
    ent_reader_options o = {0};
    if (base)
        o = *base;
    o.format = fmt;
    ent_reader *r = NULL;
    ent_error err = {0};
    ent_status s = ent_reader_open_stream(*fp, name, &o, &r, &err);
    if (s != ENT_OK)
        fail_msg("open_stream: %s", err.msg);
    return r;
}

/* Read all frames of a file (path relative to tests/data). */
static ent_frame **read_all(const char *rel, const ent_reader_options *o, size_t *n)
{
    ent_reader *r = NULL;
    ent_error err = {0};
    if (ent_reader_open(test_data_path(rel), o, &r, &err) != ENT_OK)
        fail_msg("open %s: %s", rel, err.msg);
    ent_frame **v = NULL;
    *n = 0;
    ent_frame *f;
    ent_status s;
    while ((s = ent_reader_next(r, &f, &err)) == ENT_OK) {
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = f;
    }
    if (s != ENT_EEOF)
        fail_msg("read %s: %s", rel, err.msg);
    ent_reader_close(r);
    return v;
}

static void free_all(ent_frame **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ent_frame_destroy(v[i]);
    free(v);
}

static size_t value_size(ent_value_type t)
{
    return t == ENT_VAL_REAL ? sizeof(double)
           : t == ENT_VAL_INT ? sizeof(long)
           : t == ENT_VAL_BOOL ? sizeof(int)
                               : sizeof(char *);
}

static void assert_values_equal(ent_value_type t, const void *a, const void *b, size_t n)
{
    if (t != ENT_VAL_STR) {
        /* bit-exact, also for doubles */
        assert_memory_equal(a, b, n * value_size(t));
        return;
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(((char *const *)a)[i], ((char *const *)b)[i]);
}

static void assert_frames_equal(const ent_frame *a, const ent_frame *b)
{
    assert_int_equal(a->n_atoms, b->n_atoms);
    for (size_t i = 0; i < a->n_atoms; i++)
        assert_string_equal(a->species[i], b->species[i]);
    if (a->n_atoms)
        assert_memory_equal(a->positions, b->positions, a->n_atoms * 3 * sizeof(double));
    assert_int_equal(a->has_cell, b->has_cell);
    assert_memory_equal(a->cell, b->cell, sizeof a->cell);
    assert_memory_equal(a->pbc, b->pbc, sizeof a->pbc);
    assert_int_equal(a->n_columns, b->n_columns);
    for (size_t k = 0; k < a->n_columns; k++) {
        const ent_column *x = &a->columns[k], *y = &b->columns[k];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->ncols, y->ncols);
        assert_values_equal(x->type, x->data, y->data, a->n_atoms * (size_t)x->ncols);
    }
    assert_int_equal(a->n_info, b->n_info);
    for (size_t k = 0; k < a->n_info; k++) {
        const ent_info_item *x = &a->info[k], *y = &b->info[k];
        assert_string_equal(x->key, y->key);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->is_array, y->is_array);
        assert_int_equal(x->count, y->count);
        assert_values_equal(x->type, x->data, y->data, x->count);
    }
}

/* Write frames to a memory buffer (malloc'ed text). */
static char *write_all(ent_frame *const *v, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    ent_error err = {0};
    for (size_t i = 0; i < n; i++)
        if (ent_extxyz_write(fp, v[i], &err) != ENT_OK)
            fail_msg("write: %s", err.msg);
    assert_int_equal(fclose(fp), 0);
    return buf;
}

/* Read all frames from text (extended XYZ). */
static ent_frame **read_text(const char *text, ent_format fmt, const ent_reader_options *o,
                             size_t *n)
{
    FILE *fp;
    ent_reader *r = open_text(text, "mem.xyz", fmt, o, &fp);
    ent_frame **v = NULL;
    ent_frame *f;
    ent_error err = {0};
    ent_status s;
    *n = 0;
    while ((s = ent_reader_next(r, &f, &err)) == ENT_OK) {
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = f;
    }
    if (s != ENT_EEOF)
        fail_msg("read text: %s\n%s", err.msg, text);
    ent_reader_close(r);
    fclose(fp);
    return v;
}

/* ---- invalid arguments ---- */

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_reader *r = (ent_reader *)1;
    assert_int_equal(ent_reader_open(NULL, NULL, &r, &err), ENT_EINVAL);
    assert_null(r);
    assert_int_equal(ent_reader_open("x.xyz", NULL, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_reader_open("/nonexistent/dir/x.xyz", NULL, &r, &err), ENT_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.xyz"));
    assert_null(r);
    ent_reader_options bad = {.format = (ent_format)42};
    assert_int_equal(ent_reader_open(test_data_path("reference/data/ch4.xyz"), &bad, &r, &err),
                     ENT_EINVAL);
    const char *syms[] = {"Al", "this-is-too-long"};
    ent_reader_options badmap = {.lammps_type_symbols = syms, .lammps_n_types = 2};
    assert_int_equal(
        ent_reader_open(test_data_path("reference/data/ch4.xyz"), &badmap, &r, &err),
        ENT_EINVAL);
    ent_reader_options nullmap = {.lammps_n_types = 1};
    assert_int_equal(
        ent_reader_open(test_data_path("reference/data/ch4.xyz"), &nullmap, &r, &err),
        ENT_EINVAL);
    assert_int_equal(ent_reader_open_stream(NULL, "x", NULL, &r, &err), ENT_EINVAL);

    ent_frame *f = (ent_frame *)1;
    assert_int_equal(ent_reader_next(NULL, &f, &err), ENT_EINVAL);
    assert_null(f);
    ent_reader_close(NULL);
    assert_int_equal(ent_reader_frame_index(NULL), 0);
    assert_int_equal(ent_reader_format(NULL), ENT_FORMAT_AUTO);

    assert_int_equal(ent_extxyz_write(NULL, NULL, &err), ENT_EINVAL);
    assert_int_equal(ent_extxyz_write(stdout, NULL, &err), ENT_EINVAL);

    ent_frame_destroy(NULL);
    assert_null(ent_frame_copy(NULL));
    assert_null(ent_frame_column_find(NULL, "x"));
    assert_null(ent_frame_info_find(NULL, "x"));
    ent_frame *g = ent_frame_create(2);
    assert_non_null(g);
    double v[6] = {0};
    assert_int_equal(ent_frame_column_set_real(g, "pos", 3, v, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_column_set_real(g, "species", 1, v, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_column_set_real(g, "forces", 0, v, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_column_set_real(NULL, "forces", 3, v, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_info_set_real(g, "Lattice", 1.0, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_info_set_real(g, "", 1.0, &err), ENT_EINVAL);
    assert_int_equal(ent_frame_info_set_str(g, "x", NULL, &err), ENT_EINVAL);
    double d;
    assert_int_equal(ent_frame_info_get_real(g, "missing", &d), ENT_EINVAL);
    /* The writer refuses frames it cannot represent. */
    assert_int_equal(ent_extxyz_write(stdout, g, &err), ENT_EINVAL); /* empty species */
    ent_frame_destroy(g);
}

/* ---- frame helpers ---- */

static void test_frame_helpers(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_frame *f = ent_frame_create(2);
    assert_non_null(f);
    assert_int_equal(f->n_atoms, 2);
    assert_int_equal(f->has_cell, 0);
    assert_int_equal(f->pbc[0] | f->pbc[1] | f->pbc[2], 0);
    strcpy(f->species[0], "Cu");
    strcpy(f->species[1], "O");
    double forces[6] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(ent_frame_column_set_real(f, "forces", 3, forces, &err), ENT_OK);
    forces[0] = -1;
    assert_int_equal(ent_frame_column_set_real(f, "forces", 3, forces, &err), ENT_OK);
    assert_int_equal(f->n_columns, 1); /* replaced, not added */
    const ent_column *c = ent_frame_column_find(f, "forces");
    assert_non_null(c);
    assert_true(((double *)c->data)[0] == -1.0);
    assert_null(ent_frame_column_find(f, "missing"));
    assert_int_equal(ent_frame_info_set_real(f, "energy", -1.5, &err), ENT_OK);
    assert_int_equal(ent_frame_info_set_real(f, "energy", -2.5, &err), ENT_OK);
    assert_int_equal(ent_frame_info_set_int(f, "step", 7, &err), ENT_OK);
    assert_int_equal(ent_frame_info_set_str(f, "note", "a \"quoted\" note", &err), ENT_OK);
    assert_int_equal(f->n_info, 3);
    double e;
    assert_int_equal(ent_frame_info_get_real(f, "energy", &e), ENT_OK);
    assert_true(e == -2.5);
    assert_int_equal(ent_frame_info_get_real(f, "step", &e), ENT_OK);
    assert_true(e == 7.0);
    assert_int_equal(ent_frame_info_get_real(f, "note", &e), ENT_EINVAL);

    /* cell volume: a·(b×c) of a sheared cell */
    double cell[9] = {2, 0, 0, 1, 3, 0, 0.5, 0.25, 4};
    memcpy(f->cell, cell, sizeof cell);
    f->has_cell = 1;
    assert_true(fabs(ent_frame_cell_volume(f) - 24.0) < 1e-12);
    double left[9] = {0, 3, 0, 2, 0, 0, 0, 0, 4}; /* left-handed: negative */
    memcpy(f->cell, left, sizeof left);
    assert_true(fabs(ent_frame_cell_volume(f) + 24.0) < 1e-12);

    ent_frame *g = ent_frame_copy(f);
    assert_non_null(g);
    assert_frames_equal(f, g);
    ent_frame_destroy(f);
    ent_frame_destroy(g);

    ent_frame *z = ent_frame_create(0);
    assert_non_null(z);
    assert_int_equal(ent_frame_column_set_real(z, "q", 1, NULL, &err), ENT_OK);
    ent_frame *z2 = ent_frame_copy(z);
    assert_non_null(z2);
    ent_frame_destroy(z);
    ent_frame_destroy(z2);
}

/* ---- reference files ---- */

static void test_reference_counts(void **state)
{
    (void)state;
    size_t n;
    ent_frame **v = read_all("reference/data/al_md_300K.xyz", NULL, &n);
    assert_int_equal(n, 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i]->n_atoms, 108);
        assert_int_equal(v[i]->has_cell, 1);
        assert_true(v[i]->pbc[0] && v[i]->pbc[1] && v[i]->pbc[2]);
        assert_int_equal(v[i]->n_columns, 0);
    }
    const ent_frame *f = v[0];
    assert_true(f->cell[0] == 12.149999999999999);
    assert_true(f->cell[1] == 0.0 && f->cell[3] == 0.0);
    assert_true(f->cell[4] == 12.149999999999999 && f->cell[8] == 12.149999999999999);
    assert_string_equal(f->species[0], "Al");
    assert_true(f->positions[0] == 0.02191005);
    assert_true(f->positions[1] == -0.09272255);
    assert_true(f->positions[2] == 0.21028386);
    const ent_info_item *t = ent_frame_info_find(f, "temperature_K");
    assert_non_null(t);
    assert_int_equal(t->type, ENT_VAL_REAL);
    assert_int_equal(t->is_array, 0);
    assert_true(*(double *)t->data == 300.0);
    const ent_info_item *st = ent_frame_info_find(f, "md_step");
    assert_non_null(st);
    assert_int_equal(st->type, ENT_VAL_INT);
    const ent_info_item *en = ent_frame_info_find(f, "emt_energy");
    assert_non_null(en);
    assert_true(*(double *)en->data == 2.2739601248791104);
    assert_null(ent_frame_info_find(f, "pbc"));
    assert_null(ent_frame_info_find(f, "Lattice"));
    assert_null(ent_frame_info_find(f, "Properties"));
    free_all(v, n);

    v = read_all("reference/data/al_md_1500K.xyz", NULL, &n);
    assert_int_equal(n, 20);
    assert_int_equal(v[19]->n_atoms, 108);
    free_all(v, n);

    v = read_all("reference/data/al_perfect.xyz", NULL, &n);
    assert_int_equal(n, 1);
    const ent_info_item *note = ent_frame_info_find(v[0], "note");
    assert_non_null(note);
    assert_int_equal(note->type, ENT_VAL_STR);
    assert_string_equal(((char **)note->data)[0],
                        "perfect fcc, x2 depends on argsort tie-breaking");
    assert_true(v[0]->positions[4] == 2.025);
    free_all(v, n);

    v = read_all("reference/data/molecules.xyz", NULL, &n);
    const size_t expect[5] = {5, 3, 12, 9, 60};
    const char *names[5] = {"CH4", "H2O", "C6H6", "CH3CH2OH", "C60"};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i]->n_atoms, expect[i]);
        assert_int_equal(v[i]->has_cell, 0);
        assert_int_equal(v[i]->pbc[0] | v[i]->pbc[1] | v[i]->pbc[2], 0);
        const ent_info_item *nm = ent_frame_info_find(v[i], "name");
        assert_non_null(nm);
        assert_int_equal(nm->type, ENT_VAL_STR);
        assert_string_equal(((char **)nm->data)[0], names[i]);
    }
    free_all(v, n);

    v = read_all("reference/data/ch4.xyz", NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(v[0]->n_atoms, 5);
    assert_string_equal(v[0]->species[0], "C");
    assert_string_equal(v[0]->species[4], "H");
    assert_true(v[0]->positions[3] == 0.629118);
    assert_int_equal(v[0]->has_cell, 0);
    assert_int_equal(v[0]->pbc[0] | v[0]->pbc[1] | v[0]->pbc[2], 0);
    free_all(v, n);
}

static void test_frame_index_and_eof(void **state)
{
    (void)state;
    ent_reader *r = NULL;
    ent_error err = {0};
    assert_int_equal(
        ent_reader_open(test_data_path("reference/data/molecules.xyz"), NULL, &r, &err),
        ENT_OK);
    assert_int_equal(ent_reader_format(r), ENT_FORMAT_EXTXYZ);
    ent_frame *f;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ent_reader_next(r, &f, &err), ENT_OK);
        assert_int_equal(ent_reader_frame_index(r), i);
        ent_frame_destroy(f);
    }
    assert_int_equal(ent_reader_next(r, &f, &err), ENT_EEOF);
    assert_null(f);
    assert_int_equal(ent_reader_next(r, &f, &err), ENT_EEOF); /* stays at the end */
    ent_reader_close(r);
}

/* Every reference file: read → write → read gives bit-identical doubles and metadata,
 * and writing again gives the same text. */
static void test_roundtrip_reference(void **state)
{
    (void)state;
    const char *files[] = {"al_md_300K.xyz", "al_md_1500K.xyz", "al_perfect.xyz", "ch4.xyz",
                           "molecules.xyz"};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        char rel[128];
        snprintf(rel, sizeof rel, "reference/data/%s", files[k]);
        size_t n, n2;
        ent_frame **v = read_all(rel, NULL, &n);
        char *text = write_all(v, n);
        ent_frame **w = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n2);
        assert_int_equal(n, n2);
        for (size_t i = 0; i < n; i++)
            assert_frames_equal(v[i], w[i]);
        char *text2 = write_all(w, n2);
        assert_string_equal(text, text2);
        free(text);
        free(text2);
        free_all(v, n);
        free_all(w, n2);
    }
}

/* The written text keeps values the way ASE printed them when that is the shortest
 * round-trip form. */
static void test_writer_format(void **state)
{
    (void)state;
    size_t n;
    ent_frame **v = read_all("reference/data/al_md_300K.xyz", NULL, &n);
    char *text = write_all(v, 1);
    assert_non_null(strstr(text, "0.02191005"));
    assert_non_null(strstr(text, "-0.09272255"));
    assert_non_null(strstr(text, "Lattice=\"12.149999999999999 0.0 0.0 0.0 "
                                 "12.149999999999999 0.0 0.0 0.0 12.149999999999999\""));
    assert_non_null(strstr(text, "Properties=species:S:1:pos:R:3 "));
    assert_non_null(strstr(text, "temperature_K=300.0 "));
    assert_non_null(strstr(text, "md_step=220 "));
    assert_non_null(strstr(text, "emt_energy=2.2739601248791104 "));
    assert_non_null(strstr(text, "pbc=\"T T T\"\n"));
    assert_int_equal(strncmp(text, "108\n", 4), 0);
    assert_non_null(strstr(text, "\nAl  ")); /* species left-aligned */
    free(text);
    free_all(v, n);
}

/* Typed columns and info items of every kind survive write → read exactly. */
static void test_roundtrip_typed(void **state)
{
    (void)state;
    const char *text =
        "3\n"
        "Lattice=\"5.0 0.0 0.0 0.1 5.0 0.0 0.0 0.2 5.0\" "
        "Properties=species:S:1:pos:R:3:forces:R:3:tags:I:1:fixed:L:1:label:S:1:dH:R:2 "
        "energy=-12.5 step=42 converged=T flagged note=\"say \\\"hi\\\" \\\\ there\" "
        "stress=\"1.5 0.0 0.0 0.0 1.5 0.0 0.0 0.0 1.5\" ids=\"1 2 3\" mask=\"T F T\" "
        "one=\"2.5\" \"quoted key\"=x list=[1, 2, 3] big=1e300 tiny=4.9e-324 "
        "neg0=-0.0 pbc=\"T T F\"\n"
        "Cu 0.1 0.2 0.3 1e-3 -2e-3 3.25 7 T a 0.1 0.2\n"
        "O  -1.5 2.5 3.5 0 0 0 -8 F bb 1e-310 -0.0\n"
        "H  0.30000000000000004 1 2 0.1 0.2 0.3 0 True ccc nan inf\n";
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    assert_int_equal(n, 1);
    ent_frame *f = v[0];
    assert_int_equal(f->n_columns, 5);
    assert_int_equal(f->pbc[2], 0);
    assert_true(f->cell[3] == 0.1);
    const ent_column *c = ent_frame_column_find(f, "tags");
    assert_non_null(c);
    assert_int_equal(c->type, ENT_VAL_INT);
    assert_int_equal(((long *)c->data)[1], -8);
    c = ent_frame_column_find(f, "fixed");
    assert_int_equal(c->type, ENT_VAL_BOOL);
    assert_int_equal(((int *)c->data)[2], 1);
    c = ent_frame_column_find(f, "label");
    assert_int_equal(c->type, ENT_VAL_STR);
    assert_string_equal(((char **)c->data)[2], "ccc");
    c = ent_frame_column_find(f, "dH");
    assert_int_equal(c->ncols, 2);
    assert_true(isnan(((double *)c->data)[4]));
    assert_true(isinf(((double *)c->data)[5]));

    const ent_info_item *it = ent_frame_info_find(f, "flagged");
    assert_non_null(it);
    assert_int_equal(it->type, ENT_VAL_BOOL);
    assert_int_equal(*(int *)it->data, 1);
    it = ent_frame_info_find(f, "note");
    assert_string_equal(((char **)it->data)[0], "say \"hi\" \\ there");
    it = ent_frame_info_find(f, "stress");
    assert_int_equal(it->type, ENT_VAL_REAL);
    assert_int_equal(it->count, 9);
    assert_int_equal(it->is_array, 1);
    it = ent_frame_info_find(f, "ids");
    assert_int_equal(it->type, ENT_VAL_INT);
    assert_int_equal(it->count, 3);
    it = ent_frame_info_find(f, "mask");
    assert_int_equal(it->type, ENT_VAL_BOOL);
    assert_int_equal(((int *)it->data)[1], 0);
    it = ent_frame_info_find(f, "one");
    assert_int_equal(it->type, ENT_VAL_REAL);
    assert_int_equal(it->is_array, 1);
    assert_int_equal(it->count, 1);
    double d;
    assert_int_equal(ent_frame_info_get_real(f, "one", &d), ENT_OK);
    assert_true(d == 2.5);
    it = ent_frame_info_find(f, "quoted key");
    assert_non_null(it);
    assert_string_equal(((char **)it->data)[0], "x");
    it = ent_frame_info_find(f, "list");
    assert_int_equal(it->type, ENT_VAL_INT);
    assert_int_equal(it->count, 3);
    assert_int_equal(((long *)it->data)[2], 3);
    it = ent_frame_info_find(f, "converged");
    assert_int_equal(it->type, ENT_VAL_BOOL);
    it = ent_frame_info_find(f, "step");
    assert_int_equal(it->type, ENT_VAL_INT);
    assert_int_equal(*(long *)it->data, 42);

    char *out = write_all(v, 1);
    size_t n2;
    ent_frame **w = read_text(out, ENT_FORMAT_EXTXYZ, NULL, &n2);
    assert_int_equal(n2, 1);
    assert_frames_equal(f, w[0]);
    free(out);
    free_all(v, n);
    free_all(w, n2);
}

/* Plain XYZ (no Properties, free-text comment) and a zero-atom frame. */
static void test_plain_xyz(void **state)
{
    (void)state;
    const char *text = "2\n"
                       "  water molecule, from somewhere  \n"
                       "O 0 0 0\n"
                       "H 0.9572 0 0\n"
                       "0\n"
                       "\n"
                       "1\r\n"
                       "energy = -3.5 relaxed\r\n"
                       "Xe 1 2 3\r\n"
                       "\n\n   \n";
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_AUTO, NULL, &n);
    assert_int_equal(n, 3);
    const ent_info_item *it = ent_frame_info_find(v[0], "comment");
    assert_non_null(it);
    assert_string_equal(((char **)it->data)[0], "water molecule, from somewhere");
    assert_int_equal(v[0]->n_atoms, 2);
    assert_true(v[0]->positions[3] == 0.9572);
    assert_int_equal(v[1]->n_atoms, 0);
    assert_int_equal(v[1]->n_info, 0);
    assert_int_equal(v[2]->n_atoms, 1);
    double e;
    assert_int_equal(ent_frame_info_get_real(v[2], "energy", &e), ENT_OK);
    assert_true(e == -3.5);
    assert_non_null(ent_frame_info_find(v[2], "relaxed"));
    char *out = write_all(v, n);
    size_t n2;
    ent_frame **w = read_text(out, ENT_FORMAT_EXTXYZ, NULL, &n2);
    assert_int_equal(n2, n);
    for (size_t i = 0; i < n; i++)
        assert_frames_equal(v[i], w[i]);
    free(out);
    free_all(v, n);
    free_all(w, n2);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    const char *texts[] = {"", "\n", "  \n\n\t\n"};
    for (size_t i = 0; i < 3; i++) {
        for (int fmt = 0; fmt <= 3; fmt++) {
            FILE *fp;
            ent_reader *r = open_text(texts[i], "empty", (ent_format)fmt, NULL, &fp);
            ent_frame *f = (ent_frame *)1;
            ent_error err = {0};
            assert_int_equal(ent_reader_next(r, &f, &err), ENT_EEOF);
            assert_null(f);
            ent_reader_close(r);
            fclose(fp);
        }
    }
}

/* Lattice without pbc → periodic (ASE); a frame written from scratch reads back. */
static void test_lattice_default_pbc(void **state)
{
    (void)state;
    const char *text = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3\n"
                       "Na 0 0 0\n";
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    assert_int_equal(n, 1);
    assert_true(v[0]->pbc[0] && v[0]->pbc[1] && v[0]->pbc[2]);
    assert_true(fabs(ent_frame_cell_volume(v[0]) - 27.0) < 1e-12);
    free_all(v, n);
    /* ASE's newer bracketed form, and spelled-out booleans */
    text = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=[T, F, True]\nNa 0 0 0\n"
           "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=\"False True F\"\nNa 0 0 0\n";
    v = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    assert_int_equal(n, 2);
    assert_true(v[0]->pbc[0] && !v[0]->pbc[1] && v[0]->pbc[2]);
    assert_true(!v[1]->pbc[0] && v[1]->pbc[1] && !v[1]->pbc[2]);
    free_all(v, n);
}

/* ---- POSCAR ---- */

static void assert_near(double a, double b)
{
    if (fabs(a - b) > 1e-12)
        fail_msg("%.17g != %.17g", a, b);
}

static void assert_vec(const double *v, double x, double y, double z)
{
    assert_near(v[0], x);
    assert_near(v[1], y);
    assert_near(v[2], z);
}

static ent_frame *read_one(const char *rel, const ent_reader_options *o)
{
    size_t n;
    ent_frame **v = read_all(rel, o, &n);
    assert_int_equal(n, 1);
    ent_frame *f = v[0];
    free(v);
    return f;
}

static void test_poscar_direct(void **state)
{
    (void)state;
    ent_frame *f = read_one("io/POSCAR_direct", NULL);
    assert_int_equal(f->n_atoms, 4);
    assert_string_equal(f->species[0], "Na");
    assert_string_equal(f->species[1], "Na");
    assert_string_equal(f->species[2], "Cl");
    assert_string_equal(f->species[3], "Cl");
    assert_int_equal(f->has_cell, 1);
    assert_true(f->pbc[0] && f->pbc[1] && f->pbc[2]);
    assert_vec(f->cell, 5.64, 0, 0);
    assert_vec(f->cell + 6, 0, 0, 5.64);
    assert_vec(f->positions + 3, 2.82, 2.82, 0);
    assert_vec(f->positions + 9, 0, 2.82, 0);
    const ent_info_item *c = ent_frame_info_find(f, "comment");
    assert_non_null(c);
    assert_string_equal(((char **)c->data)[0], "NaCl rocksalt, direct coordinates");
    assert_int_equal(f->n_columns, 0);
    ent_frame_destroy(f);
    /* by extension */
    f = read_one("io/nacl.vasp", NULL);
    assert_int_equal(f->n_atoms, 4);
    ent_frame_destroy(f);
}

static void test_poscar_cartesian_scaled(void **state)
{
    (void)state;
    ent_frame *f = read_one("io/POSCAR_cartesian", NULL);
    assert_int_equal(f->n_atoms, 2);
    assert_string_equal(f->species[1], "Si");
    assert_vec(f->cell, 0, 2.715, 2.715);
    assert_vec(f->cell + 3, 2.715, 0, 2.715);
    assert_vec(f->positions + 3, 1.3575, 1.3575, 1.3575);
    ent_frame_destroy(f);
}

static void test_poscar_selective(void **state)
{
    (void)state;
    ent_frame *f = read_one("io/POSCAR_selective", NULL);
    assert_int_equal(f->n_atoms, 3);
    const ent_column *m = ent_frame_column_find(f, "move_mask");
    assert_non_null(m);
    assert_int_equal(m->type, ENT_VAL_BOOL);
    assert_int_equal(m->ncols, 3);
    const int expect[9] = {0, 0, 0, 1, 1, 1, 0, 1, 1};
    assert_memory_equal(m->data, expect, sizeof expect);
    assert_vec(f->positions + 3, 1.5, 1.5, 2.0);
    assert_vec(f->positions + 6, 0, 0, 4.0);
    /* the mask survives an extended-XYZ round trip */
    char *text = write_all(&f, 1);
    assert_non_null(strstr(text, ":move_mask:L:3"));
    size_t n;
    ent_frame **w = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    assert_frames_equal(f, w[0]);
    free(text);
    free_all(w, n);
    ent_frame_destroy(f);
}

static void test_poscar_volume_vasp4_contcar(void **state)
{
    (void)state;
    ent_frame *f = read_one("io/POSCAR_volume", NULL);
    assert_vec(f->cell, 2, 0, 0);
    assert_vec(f->cell + 3, 0, 4, 0);
    assert_vec(f->cell + 6, 0, 0, 8);
    assert_near(ent_frame_cell_volume(f), 64.0);
    assert_vec(f->positions, 1, 1, 1);
    ent_frame_destroy(f);

    f = read_one("io/POSCAR_vasp4", NULL);
    assert_int_equal(f->n_atoms, 2);
    assert_string_equal(f->species[0], "Mg");
    assert_string_equal(f->species[1], "O");
    assert_vec(f->positions + 3, 2.1, 2.1, 2.1);
    ent_frame_destroy(f);

    f = read_one("io/CONTCAR_velocities", NULL);
    assert_int_equal(f->n_atoms, 2);
    assert_string_equal(f->species[0], "Fe");
    assert_vec(f->positions + 3, 1.435, 1.435, 1.435);
    ent_frame_destroy(f);
}

/* ---- LAMMPS dump ---- */

static void test_lammps_orthogonal(void **state)
{
    (void)state;
    size_t n;
    ent_frame **v = read_all("io/ortho.dump", NULL, &n);
    assert_int_equal(n, 2);
    const ent_frame *f = v[0];
    assert_int_equal(f->n_atoms, 3);
    /* sorted by id */
    assert_string_equal(f->species[0], "H");
    assert_string_equal(f->species[1], "H");
    assert_string_equal(f->species[2], "O");
    assert_vec(f->positions, 1.0, 1.5, 2.0);
    assert_vec(f->positions + 6, 3.0, 3.5, 4.0);
    assert_vec(f->cell, 10, 0, 0);
    assert_vec(f->cell + 3, 0, 10, 0);
    assert_vec(f->cell + 6, 0, 0, 12);
    assert_true(f->pbc[0] && f->pbc[1] && !f->pbc[2]);
    assert_int_equal(f->n_columns, 4);
    assert_string_equal(f->columns[0].name, "id");
    assert_string_equal(f->columns[1].name, "type");
    assert_string_equal(f->columns[2].name, "forces");
    assert_string_equal(f->columns[3].name, "c_pe");
    const ent_column *fc = ent_frame_column_find(f, "forces");
    assert_int_equal(fc->ncols, 3);
    assert_vec((double *)fc->data, 0.1, 0.2, 0.3);
    assert_vec((double *)fc->data + 6, 0.3, 0.0, -0.3);
    const ent_column *ids = ent_frame_column_find(f, "id");
    assert_int_equal(ids->type, ENT_VAL_INT);
    assert_int_equal(((long *)ids->data)[2], 3);
    const ent_column *pe = ent_frame_column_find(f, "c_pe");
    assert_near(((double *)pe->data)[2], -1.5);
    const ent_info_item *ts = ent_frame_info_find(f, "timestep");
    assert_non_null(ts);
    assert_int_equal(ts->type, ENT_VAL_INT);
    assert_int_equal(*(long *)ts->data, 0);
    ts = ent_frame_info_find(v[1], "timestep");
    assert_int_equal(*(long *)ts->data, 100);
    assert_vec(v[1]->positions, 1.1, 1.5, 2.0);
    /* round trip through extended XYZ */
    char *text = write_all(v, n);
    size_t n2;
    ent_frame **w = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n2);
    assert_int_equal(n2, 2);
    assert_frames_equal(v[0], w[0]);
    assert_frames_equal(v[1], w[1]);
    free(text);
    free_all(w, n2);
    free_all(v, n);
}

static void test_lammps_triclinic_type_map(void **state)
{
    (void)state;
    const char *syms[] = {"Zr", "O"};
    ent_reader_options o = {.lammps_type_symbols = syms, .lammps_n_types = 2};
    ent_frame *f = read_one("io/triclinic.dump", &o);
    assert_int_equal(f->n_atoms, 2);
    assert_string_equal(f->species[0], "Zr");
    assert_string_equal(f->species[1], "O");
    assert_vec(f->cell, 10, 0, 0);
    assert_vec(f->cell + 3, 1, 8, 0);
    assert_vec(f->cell + 6, -0.5, 0.5, 6);
    assert_vec(f->positions + 3, 1, 2, 3);
    assert_true(f->pbc[0] && f->pbc[1] && f->pbc[2]);
    ent_frame_destroy(f);

    /* without a map: a clear error naming the ATOMS line */
    ent_reader *r = NULL;
    ent_error err = {0};
    assert_int_equal(ent_reader_open(test_data_path("io/triclinic.dump"), NULL, &r, &err),
                     ENT_OK);
    ent_frame *g;
    assert_int_equal(ent_reader_next(r, &g, &err), ENT_EPARSE);
    assert_non_null(strstr(err.msg, "triclinic.dump:9: ITEM: ATOMS: no element column"));
    assert_int_equal(ent_reader_next(r, &g, &err), ENT_EINVAL); /* only close after error */
    ent_reader_close(r);
}

static void test_lammps_scaled_units_time(void **state)
{
    (void)state;
    const char *syms[] = {"Ar", "Kr"};
    ent_reader_options o = {.lammps_type_symbols = syms, .lammps_n_types = 2};
    ent_frame *f = read_one("io/scaled.lammpstrj", &o);
    assert_vec(f->positions, 1.5, 2.0, 2.0);
    assert_vec(f->positions + 3, -1.0, 0.0, 4.0);
    assert_string_equal(f->species[1], "Kr");
    const ent_info_item *u = ent_frame_info_find(f, "units");
    assert_non_null(u);
    assert_string_equal(((char **)u->data)[0], "metal");
    double t;
    assert_int_equal(ent_frame_info_get_real(f, "time", &t), ENT_OK);
    assert_near(t, 0.5);
    assert_int_equal(ent_frame_info_get_real(f, "timestep", &t), ENT_OK);
    assert_near(t, 10);
    ent_frame_destroy(f);
}

/* LAMMPS general triclinic ("abc origin"): rows are the vectors; xu yu zu positions;
 * velocities kept as real columns; boundary "fs" is non-periodic. */
static void test_lammps_general_triclinic(void **state)
{
    (void)state;
    const char *syms[] = {"H", "He", "Li"};
    ent_reader_options o = {.lammps_type_symbols = syms, .lammps_n_types = 3};
    ent_frame *f = read_one("io/general_triclinic.dump", &o);
    assert_int_equal(f->n_atoms, 2);
    assert_string_equal(f->species[0], "Li");
    assert_string_equal(f->species[1], "H");
    assert_vec(f->cell, 4, 0, 0);
    assert_vec(f->cell + 3, 1, 4, 0);
    assert_vec(f->cell + 6, 0, 0, 5);
    assert_true(f->pbc[0] && f->pbc[1] && !f->pbc[2]);
    assert_vec(f->positions + 3, 1, 1, 1);
    const ent_column *vx = ent_frame_column_find(f, "vx");
    assert_non_null(vx);
    assert_int_equal(vx->ncols, 1);
    assert_near(((double *)vx->data)[1], 0.1);
    assert_null(ent_frame_column_find(f, "forces"));
    ent_frame_destroy(f);
}

/* A full device: the writer reports ENT_EIO instead of claiming success. */
static void test_writer_io_error(void **state)
{
    (void)state;
    FILE *fp = fopen("/dev/full", "w");
    if (!fp)
        skip();
    setvbuf(fp, NULL, _IONBF, 0);
    size_t n;
    ent_frame **v = read_all("reference/data/ch4.xyz", NULL, &n);
    ent_error err = {0};
    assert_int_equal(ent_extxyz_write(fp, v[0], &err), ENT_EIO);
    fclose(fp);
    free_all(v, n);
}

/* ---- format sniffing on streams ---- */

static void test_sniffing(void **state)
{
    (void)state;
    struct {
        const char *path;
        ent_format expect;
    } cases[] = {
        {"io/POSCAR_direct", ENT_FORMAT_POSCAR},
        {"io/ortho.dump", ENT_FORMAT_LAMMPS_DUMP},
        {"reference/data/ch4.xyz", ENT_FORMAT_EXTXYZ},
    };
    for (size_t k = 0; k < 3; k++) {
        /* content through an anonymous stream: no name to go by */
        FILE *src = fopen(test_data_path(cases[k].path), "r");
        assert_non_null(src);
        ent_reader *r = NULL;
        ent_error err = {0};
        assert_int_equal(ent_reader_open_stream(src, "data.txt", NULL, &r, &err), ENT_OK);
        assert_int_equal(ent_reader_format(r), cases[k].expect);
        ent_frame *f;
        assert_int_equal(ent_reader_next(r, &f, &err), ENT_OK);
        assert_true(f->n_atoms > 0);
        ent_frame_destroy(f);
        ent_reader_close(r);
        fclose(src);
    }
}

/* ---- malformed inputs ---- */

typedef struct bad_case {
    ent_format format;
    const char *name;
    const char *text;
    ent_status code;
    const char *msg; /* must appear in the message (it names file:line: field) */
} bad_case;

#define XYZ_HDR "Properties=species:S:1:pos:R:3"
static const bad_case bad_cases[] = {
    /* extended XYZ */
    {ENT_FORMAT_EXTXYZ, "al.xyz", "1\nLattice=\"1 0 0 0 1 0 0 0\" " XYZ_HDR "\nAl 0 0 0\n",
     ENT_EPARSE, "al.xyz:2: Lattice: expected 9 numbers, got 8"},
    {ENT_FORMAT_EXTXYZ, "al.xyz", "1\nLattice=\"1 0 0 0 1 0 0 0 x\" " XYZ_HDR "\nAl 0 0 0\n",
     ENT_EPARSE, "al.xyz:2: Lattice: not a number 'x'"},
    {ENT_FORMAT_EXTXYZ, "al.xyz", "1\nLattice=\"1 0 0 0 1 0 0 0 inf\" " XYZ_HDR "\nAl 0 0 0\n",
     ENT_EGEOMETRY, "al.xyz:2: Lattice: non-finite"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "2\n" XYZ_HDR "\nH 0 0 0\nH 0 abc 0\n", ENT_EPARSE,
     "x.xyz:4: atom 2 column pos: not a number 'abc'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0 0 0\n3\n\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:7: truncated frame: expected 3 atom lines, found 1"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1: expected 4 columns"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0 0 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1: expected 4 columns (per Properties), got 5"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "-3\n\n", ENT_EPARSE, "x.xyz:1: atom count: negative"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "99999999999\n\n", ENT_EPARSE,
     "x.xyz:1: atom count: 99999999999 exceeds"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "99999999999999999999999\n\n", ENT_EPARSE,
     "x.xyz:1: atom count: expected a single integer"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "two\n\n", ENT_EPARSE, "x.xyz:1: atom count"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1 2\n\n", ENT_EPARSE, "x.xyz:1: atom count"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nProperties=pos:R:3\n0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: no species:S:1"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nProperties=species:S:1\nH\n", ENT_EPARSE,
     "x.xyz:2: Properties: no pos:R:3"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":q:X:1\nH 0 0 0 1\n", ENT_EPARSE,
     "x.xyz:2: Properties: column 'q': unknown type 'X'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":q:R:0\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: column 'q': bad column count"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":q:R:99999\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: column 'q': bad column count"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":q:R\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: expected name:type:count"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":q:R:1:q:R:1\nH 0 0 0 1 1\n", ENT_EPARSE,
     "x.xyz:2: Properties: duplicate column 'q'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nProperties=species:S:1:pos:R:2\nH 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: pos must be pos:R:3"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nProperties=species:I:1:pos:R:3\n1 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: species must be species:S:1"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH nan 0 0\n", ENT_EGEOMETRY,
     "x.xyz:3: atom 1 column pos: non-finite coordinate 'nan'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0 -inf 0\n", ENT_EGEOMETRY,
     "x.xyz:3: atom 1 column pos: non-finite"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0x1p3 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column pos: not a number '0x1p3'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 1e999 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column pos: not a number '1e999'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 1.0.0 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column pos: not a number"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nHydrogen 0 0 0\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column species: invalid symbol 'Hydrogen'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":tag:I:1\nH 0 0 0 1.5\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column tag: not an integer '1.5'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR ":fix:L:1\nH 0 0 0 X\n", ENT_EPARSE,
     "x.xyz:3: atom 1 column fix: not a boolean"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n\nH 0 0 0\n\n1\n\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:4: blank line followed by more content on line 5"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nnote=\"abc " XYZ_HDR "\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: comment line: unterminated quoted string"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\nlist=[1, 2 " XYZ_HDR "\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: comment line: unterminated '['"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\na=1 " XYZ_HDR " a=2\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: a: duplicate key"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " " XYZ_HDR "\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: Properties: duplicate key"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " pbc=\"T T\"\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: pbc: expected 3 booleans"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " pbc=\"T X T\"\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: pbc: not a boolean 'X'"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " =5\nH 0 0 0\n", ENT_EPARSE,
     "x.xyz:2: comment line: '=' without a key"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " e=\n", ENT_EPARSE,
     "x.xyz:2: e: '=' without a value"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n" XYZ_HDR " s=\"a\"b\n", ENT_EPARSE,
     "x.xyz:2: comment line: expected a blank after the value"},
    {ENT_FORMAT_EXTXYZ, "x.xyz", "1\n", ENT_EPARSE, "x.xyz:2: comment line: missing"},
    /* POSCAR */
    {ENT_FORMAT_POSCAR, "bad.vasp", "generated structure\n1.0\n1 0 0\n0 1 0\n0 0 1\n2\nDirect\n0 0 0\n0.5 0.5 0.5\n",
     ENT_EPARSE, "bad.vasp:6: species: no species line (VASP 4 format)"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1\n0 0 1\nH\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:4: lattice vector b: expected 3 numbers, got 2"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 nan\nH\n1\nDirect\n0 0 0\n",
     ENT_EGEOMETRY, "bad.vasp:5: lattice vector c: non-finite"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n0.0\n1 0 0\n0 1 0\n0 0 1\nH\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:2: scaling factor: must be finite and non-zero"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\nabc\n1 0 0\n0 1 0\n0 0 1\nH\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:2: scaling factor: not a number 'abc'"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1 2 -3\n1 0 0\n0 1 0\n0 0 1\nH\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:2: scaling factor: three factors must be finite and positive"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n-10\n1 0 0\n2 0 0\n0 0 1\nH\n1\nDirect\n0 0 0\n",
     ENT_EGEOMETRY, "bad.vasp:2: scaling factor: negative factor (target volume)"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa Cl\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:7: atom counts: expected 2 counts (one per species), got 1"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n-1\nDirect\n",
     ENT_EPARSE, "bad.vasp:7: atom counts: negative"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\nx\nDirect\n",
     ENT_EPARSE, "bad.vasp:7: atom counts: not an integer 'x'"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nXYZ\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:8: coordinate mode: expected Direct or Cartesian"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n2\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:10: truncated file: expected 2 position lines, found 1"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nDirect\n0 zero 0\n",
     ENT_EPARSE, "bad.vasp:9: atom 1 position: not a number 'zero'"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nDirect\n0 0\n",
     ENT_EPARSE, "bad.vasp:9: atom 1 position: expected 3 numbers, got 2"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nDirect\n0 inf 0\n",
     ENT_EGEOMETRY, "bad.vasp:9: atom 1 position: non-finite"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nSelective\nDirect\n0 0 0 T T\n",
     ENT_EPARSE, "bad.vasp:10: atom 1 selective dynamics: expected 3 T/F flags"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\nSelective\nDirect\n0 0 0 T Q T\n",
     ENT_EPARSE, "bad.vasp:10: atom 1 selective dynamics: not a boolean (T/F) 'Q'"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n", ENT_EPARSE,
     "bad.vasp:4: lattice vector b: missing (end of file)"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nNa\n1\n", ENT_EPARSE,
     "bad.vasp:8: coordinate mode: missing"},
    {ENT_FORMAT_POSCAR, "bad.vasp", "c\n1.0\n1 0 0\n0 1 0\n0 0 1\nVeryLongName\n1\nDirect\n0 0 0\n",
     ENT_EPARSE, "bad.vasp:6: species: invalid symbol"},
    /* LAMMPS dump */
#define DUMP_HDR "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n0 5\n0 5\n0 5\n"
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id type x y z\n1 1 0 0 0\n2 1 1 1 1\n",
     ENT_EPARSE, "bad.dump:9: ITEM: ATOMS: no element column and no type-to-symbol map"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element q\n1 H 0\n2 H 1\n",
     ENT_EPARSE, "bad.dump:9: ITEM: ATOMS: no position columns"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z\n1 H 0 0 0\n",
     ENT_EPARSE, "bad.dump:11: truncated frame: expected 2 atom lines, found 1"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z\n1 H 0 0\n2 H 0 0 0\n",
     ENT_EPARSE, "bad.dump:10: atom 1: expected 5 columns (per ITEM: ATOMS), got 4"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z fx\n1 H 0 0 0 a\n2 H 0 0 0 0\n",
     ENT_EPARSE, "bad.dump:10: atom 1 column fx: not a number 'a'"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z\n1 H 0 0 0\n1 H 1 1 1\n",
     ENT_EPARSE, "bad.dump:9: ITEM: ATOMS: duplicate atom id 1"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z\n1 H 0 0 nan\n2 H 1 1 1\n",
     ENT_EGEOMETRY, "bad.dump:10: atom 1 column z: non-finite"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z x\n",
     ENT_EPARSE, "bad.dump:9: ITEM: ATOMS: duplicate column 'x'"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", DUMP_HDR "ITEM: ATOMS id element x y z\n1 H 0 0 0\n2 H 1 1 1\nITEM: TIMESTEP\n",
     ENT_EPARSE, "bad.dump:13: ITEM: TIMESTEP: missing (end of file)"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump",
     "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp pp pp\n0\n0 5\n0 5\n",
     ENT_EPARSE, "bad.dump:6: ITEM: BOX BOUNDS: expected 2 numbers, got 1"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump",
     "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS px pp pp\n0 5\n0 5\n0 5\n",
     ENT_EPARSE, "bad.dump:5: ITEM: BOX BOUNDS: bad boundary flag 'px'"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump",
     "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: BOX BOUNDS pp pp pp\n5 0\n0 5\n0 5\n",
     ENT_EGEOMETRY, "bad.dump:6: ITEM: BOX BOUNDS: upper bound below lower bound"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: TIMESTEP\nzero\n", ENT_EPARSE,
     "bad.dump:2: ITEM: TIMESTEP: not an integer 'zero'"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: NUMBER OF ATOMS\n-5\n", ENT_EPARSE,
     "bad.dump:2: ITEM: NUMBER OF ATOMS: negative"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: FOO\n", ENT_EPARSE,
     "bad.dump:1: ITEM: unknown item 'FOO'"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "hello\n", ENT_EPARSE,
     "bad.dump:1: ITEM: expected an 'ITEM:' line"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: TIMESTEP\n0\nITEM: TIMESTEP\n1\n", ENT_EPARSE,
     "bad.dump:3: ITEM: 'TIMESTEP' twice in one frame"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: NUMBER OF ATOMS\n1\nITEM: ATOMS id element x y z\n",
     ENT_EPARSE, "bad.dump:3: ITEM: ATOMS: no ITEM: BOX BOUNDS"},
    {ENT_FORMAT_LAMMPS_DUMP, "bad.dump", "ITEM: TIMESTEP\n0\n", ENT_EPARSE,
     "bad.dump:3: truncated frame: end of file before ITEM: ATOMS"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof bad_cases / sizeof *bad_cases; k++) {
        const bad_case *c = &bad_cases[k];
        FILE *fp;
        const char *syms[] = {"H"};
        ent_reader_options o = {0};
        if (strstr(c->msg, "type 3"))
            o = (ent_reader_options){.lammps_type_symbols = syms, .lammps_n_types = 1};
        ent_reader *r = open_text(c->text, c->name, c->format, &o, &fp);
        ent_error err = {0};
        ent_frame *f = NULL;
        ent_status s;
        while ((s = ent_reader_next(r, &f, &err)) == ENT_OK)
            ent_frame_destroy(f);
        if (s != c->code || !strstr(err.msg, c->msg))
            fail_msg("case %zu: got %s '%s', expected %s '%s'", k, ent_strerror(s), err.msg,
                     ent_strerror(c->code), c->msg);
        assert_null(f);
        ent_reader_close(r);
        fclose(fp);
    }
}

static void test_lammps_type_out_of_range(void **state)
{
    (void)state;
    const char *syms[] = {"Zr"};
    ent_reader_options o = {.lammps_type_symbols = syms, .lammps_n_types = 1};
    ent_reader *r = NULL;
    ent_error err = {0};
    assert_int_equal(ent_reader_open(test_data_path("io/triclinic.dump"), &o, &r, &err),
                     ENT_OK);
    ent_frame *f;
    assert_int_equal(ent_reader_next(r, &f, &err), ENT_EPARSE);
    assert_non_null(
        strstr(err.msg, "triclinic.dump:10: atom 1 column type: type 2 has no symbol"));
    ent_reader_close(r);
}

/* A NUL byte inside a line (binary file) is a parse error, not a silent truncation. */
static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "1\nabc\0def\nH 0 0 0\n";
    FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(fp);
    ent_reader *r = NULL;
    ent_error err = {0};
    ent_reader_options o = {.format = ENT_FORMAT_EXTXYZ};
    assert_int_equal(ent_reader_open_stream(fp, "bin.xyz", &o, &r, &err), ENT_OK);
    ent_frame *f;
    assert_int_equal(ent_reader_next(r, &f, &err), ENT_EPARSE);
    assert_non_null(strstr(err.msg, "bin.xyz:2: line contains a NUL byte"));
    ent_reader_close(r);
    fclose(fp);
}

/* The writer refuses what extended XYZ cannot carry, and writes nothing then. */
static void test_writer_rejects(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_frame *f = ent_frame_create(1);
    strcpy(f->species[0], "H");
    double q = 1;
    assert_int_equal(ent_frame_column_set_real(f, "a:b", 1, &q, &err), ENT_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_int_equal(ent_extxyz_write(fp, f, &err), ENT_EINVAL);
    assert_non_null(strstr(err.msg, "a:b"));
    fclose(fp);
    assert_int_equal(len, 0);
    free(buf);
    ent_frame_destroy(f);
}

/* ---- regressions found by the fuzzers (scripts/fuzz.sh) ---- */

/* fuzz_extxyz: a quoted value with unknown escapes ("\x") keeps the backslash, so the
 * unescaped text is as long as the raw text; the buffer was sized by the escaped length
 * (heap overflow). */
static void test_fuzz_unknown_escapes(void **state)
{
    (void)state;
    const char *text = "1\n" XYZ_HDR " note=\"a\\xb\\\\c\\yd\\\"e\\q\\w\\e\\r\\t\"\nH 0 0 0\n";
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    const ent_info_item *it = ent_frame_info_find(v[0], "note");
    assert_non_null(it);
    assert_string_equal(((char **)it->data)[0], "a\\xb\\c\\yd\"e\\q\\w\\e\\r\\t");
    char *out = write_all(v, n);
    size_t n2;
    ent_frame **w = read_text(out, ENT_FORMAT_EXTXYZ, NULL, &n2);
    assert_frames_equal(v[0], w[0]);
    free(out);
    free_all(v, n);
    free_all(w, n2);
}

/* fuzz_lammps_dump: a LAMMPS column name longer than the 127 characters the Properties
 * parser used to allow could be read but not read back after writing. Names now have no
 * length limit (and odd bytes are kept). */
static void test_fuzz_long_column_name(void **state)
{
    (void)state;
    char name[301];
    memset(name, 'c', 300);
    name[0] = '\xff';
    name[300] = 0;
    char text[1024];
    snprintf(text, sizeof text, DUMP_HDR "ITEM: ATOMS id element x y z %s\n1 H 0 0 0 1\n2 H 1 1 1 2\n",
             name);
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_LAMMPS_DUMP, NULL, &n);
    assert_int_equal(n, 1);
    assert_non_null(ent_frame_column_find(v[0], name));
    char *out = write_all(v, n);
    size_t n2;
    ent_frame **w = read_text(out, ENT_FORMAT_EXTXYZ, NULL, &n2);
    assert_frames_equal(v[0], w[0]);
    free(out);
    free_all(v, n);
    free_all(w, n2);
}

/* fuzz_extxyz: the block writer left the cells of string columns unformatted and then
 * took strlen of every cell — garbage widths, and a heap overflow once the block buffer
 * was sized to small frames. Exact text, with a string column last and first. */
static void test_fuzz_string_column_widths(void **state)
{
    (void)state;
    const char *text = "2\nProperties=species:S:1:pos:R:3:tag:S:1:q:R:1:lab:S:1 pbc=\"F F F\"\n"
                       "H 0 0 0 a 1 x\n"
                       "He 1 2 3 bcd -2.5 yyyy\n";
    size_t n;
    ent_frame **v = read_text(text, ENT_FORMAT_EXTXYZ, NULL, &n);
    char *out = write_all(v, n);
    assert_string_equal(out,
                        "2\n"
                        "Properties=species:S:1:pos:R:3:tag:S:1:q:R:1:lab:S:1 pbc=\"F F F\"\n"
                        "H   0.0  0.0  0.0  a     1.0  x\n"
                        "He  1.0  2.0  3.0  bcd  -2.5  yyyy\n");
    free(out);
    free_all(v, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_frame_helpers),
        cmocka_unit_test(test_reference_counts),
        cmocka_unit_test(test_frame_index_and_eof),
        cmocka_unit_test(test_roundtrip_reference),
        cmocka_unit_test(test_writer_format),
        cmocka_unit_test(test_roundtrip_typed),
        cmocka_unit_test(test_plain_xyz),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_lattice_default_pbc),
        cmocka_unit_test(test_poscar_direct),
        cmocka_unit_test(test_poscar_cartesian_scaled),
        cmocka_unit_test(test_poscar_selective),
        cmocka_unit_test(test_poscar_volume_vasp4_contcar),
        cmocka_unit_test(test_lammps_orthogonal),
        cmocka_unit_test(test_lammps_triclinic_type_map),
        cmocka_unit_test(test_lammps_scaled_units_time),
        cmocka_unit_test(test_lammps_type_out_of_range),
        cmocka_unit_test(test_lammps_general_triclinic),
        cmocka_unit_test(test_writer_io_error),
        cmocka_unit_test(test_sniffing),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_writer_rejects),
        cmocka_unit_test(test_fuzz_unknown_escapes),
        cmocka_unit_test(test_fuzz_long_column_name),
        cmocka_unit_test(test_fuzz_string_column_widths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
