/* Shared by the fuzz targets (header-only, static): read every frame of an input with a
 * given format, and check that each frame survives an extended-XYZ write → read cycle.
 * Any inconsistency aborts, so libFuzzer reports it as a crash. */
#ifndef ENT_FUZZ_ROUNDTRIP_H
#define ENT_FUZZ_ROUNDTRIP_H

#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader.h"

#define FUZZ_CHECK(cond, ...)                                                               \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);                              \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static int fuzz_values_equal(ent_value_type t, const void *a, const void *b, size_t n)
{
    if (t == ENT_VAL_STR) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(((char *const *)a)[i], ((char *const *)b)[i]))
                return 0;
        return 1;
    }
    if (t == ENT_VAL_REAL) {
        const double *x = a, *y = b;
        for (size_t i = 0; i < n; i++)
            if (!(isnan(x[i]) && isnan(y[i])) && memcmp(&x[i], &y[i], sizeof(double)))
                return 0;
        return 1;
    }
    size_t es = t == ENT_VAL_INT ? sizeof(long) : sizeof(int);
    return n == 0 || !memcmp(a, b, n * es);
}

/* strict = 0 tolerates a string info item coming back typed (a free-text comment "42"
 * reads back as the integer 42: documented limitation of the format). */
static void fuzz_frames_equal(const ent_frame *a, const ent_frame *b, int strict)
{
    FUZZ_CHECK(a->n_atoms == b->n_atoms, "%zu vs %zu atoms", a->n_atoms, b->n_atoms);
    for (size_t i = 0; i < a->n_atoms; i++)
        FUZZ_CHECK(!strcmp(a->species[i], b->species[i]), "species %zu", i);
    FUZZ_CHECK(!a->n_atoms ||
                   !memcmp(a->positions, b->positions, a->n_atoms * 3 * sizeof(double)),
               "positions");
    FUZZ_CHECK(a->has_cell == b->has_cell, "has_cell");
    FUZZ_CHECK(!memcmp(a->cell, b->cell, sizeof a->cell), "cell");
    FUZZ_CHECK(!memcmp(a->pbc, b->pbc, sizeof a->pbc), "pbc");
    FUZZ_CHECK(a->n_columns == b->n_columns, "n_columns %zu vs %zu", a->n_columns,
               b->n_columns);
    for (size_t k = 0; k < a->n_columns; k++) {
        const ent_column *x = &a->columns[k], *y = &b->columns[k];
        FUZZ_CHECK(!strcmp(x->name, y->name) && x->type == y->type && x->ncols == y->ncols,
                   "column %zu header", k);
        FUZZ_CHECK(fuzz_values_equal(x->type, x->data, y->data, a->n_atoms * (size_t)x->ncols),
                   "column %s values", x->name);
    }
    FUZZ_CHECK(a->n_info == b->n_info, "n_info %zu vs %zu", a->n_info, b->n_info);
    for (size_t k = 0; k < a->n_info; k++) {
        const ent_info_item *x = &a->info[k], *y = &b->info[k];
        FUZZ_CHECK(!strcmp(x->key, y->key), "info key %zu", k);
        if (!strict && x->type == ENT_VAL_STR && y->type != ENT_VAL_STR)
            continue;
        FUZZ_CHECK(x->type == y->type && x->is_array == y->is_array && x->count == y->count,
                   "info %s header", x->key);
        FUZZ_CHECK(fuzz_values_equal(x->type, x->data, y->data, x->count), "info %s values",
                   x->key);
    }
}

static char *fuzz_write(const ent_frame *f, size_t *len)
{
    char *buf = NULL;
    FILE *fp = open_memstream(&buf, len);
    FUZZ_CHECK(fp, "open_memstream");
    ent_error err = {0};
    ent_status s = ent_extxyz_write(fp, f, &err);
    FUZZ_CHECK(s == ENT_OK, "write of a frame we read failed: %s", err.msg);
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    return buf;
}

static ent_frame *fuzz_read_one(const char *text, size_t len)
{
    FILE *fp = fmemopen((void *)text, len, "r");
    FUZZ_CHECK(fp, "fmemopen");
    ent_reader_options o = {.format = ENT_FORMAT_EXTXYZ};
    ent_reader *r = NULL;
    ent_error err = {0};
    FUZZ_CHECK(ent_reader_open_stream(fp, "roundtrip.xyz", &o, &r, &err) == ENT_OK, "open");
    ent_frame *f = NULL, *g = NULL;
    ent_status s = ent_reader_next(r, &f, &err);
    FUZZ_CHECK(s == ENT_OK, "re-reading written frame: %s\n---\n%s---", err.msg, text);
    s = ent_reader_next(r, &g, &err);
    FUZZ_CHECK(s == ENT_EEOF, "more than one frame written");
    ent_reader_close(r);
    fclose(fp);
    return f;
}

/* f → text1 → f2 (≈ f) → text2 → f3 (== f2 exactly, text3 == text2). */
static void fuzz_roundtrip(const ent_frame *f)
{
    size_t l1, l2, l3;
    char *t1 = fuzz_write(f, &l1);
    ent_frame *f2 = fuzz_read_one(t1, l1);
    fuzz_frames_equal(f, f2, 0);
    char *t2 = fuzz_write(f2, &l2);
    ent_frame *f3 = fuzz_read_one(t2, l2);
    fuzz_frames_equal(f2, f3, 1);
    char *t3 = fuzz_write(f3, &l3);
    FUZZ_CHECK(l2 == l3 && !memcmp(t2, t3, l2), "writer output not stable");
    ent_frame_destroy(f2);
    ent_frame_destroy(f3);
    free(t1);
    free(t2);
    free(t3);
}

/* Read every frame of data with the given options; round-trip each one when asked. */
static void fuzz_read_all(const uint8_t *data, size_t size, const ent_reader_options *o,
                          int roundtrip)
{
    if (size == 0)
        return; /* fmemopen needs a non-empty buffer; the empty file is a unit test */
    FILE *fp = fmemopen((void *)data, size, "r");
    if (!fp)
        return;
    ent_reader *r = NULL;
    ent_error err = {0};
    if (ent_reader_open_stream(fp, "fuzz", o, &r, &err) == ENT_OK) {
        ent_frame *f = NULL;
        ent_status s;
        size_t n = 0;
        while ((s = ent_reader_next(r, &f, &err)) == ENT_OK) {
            FUZZ_CHECK(f != NULL, "OK without a frame");
            if (roundtrip)
                fuzz_roundtrip(f);
            ent_frame_destroy(f);
            n++;
        }
        FUZZ_CHECK(f == NULL, "frame left after status %d", (int)s);
        FUZZ_CHECK(s == ENT_EEOF || err.msg[0], "error %d without a message", (int)s);
        FUZZ_CHECK(s == ENT_EEOF || s == ENT_EPARSE || s == ENT_EGEOMETRY || s == ENT_ENOMEM,
                   "unexpected status %d: %s", (int)s, err.msg);
        ent_reader_close(r);
    }
    fclose(fp);
}

#endif
