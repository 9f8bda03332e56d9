/* Unit tests of src/store, the campaign database: invalid arguments and bad files give the
 * documented errors; structures, labels and descriptors come back bit-exact; duplicates
 * are skipped; an import is all or nothing (a child process dies mid-import); the writer
 * lock refuses a second writer and takes over a dead one; the shipped schema-version-1
 * fixture (tests/data/store/campaign_v1.db) is upgraded; dH streamed from the database
 * equals dH on arrays in memory.
 * ENTRAIN_STORE_WRITE_FIXTURE=PATH test_store writes that fixture (version 1) and exits. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "info/descriptor.h"
#include "info/kernel.h"
#include "io/reader.h"
#include "store/store.h"
#include "support/refdata.h"

/* ---- helpers ---- */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static ent_frame **read_all(const char *path, size_t *n)
{
    ent_reader *r = NULL;
    ent_error err = {0};
    if (ent_reader_open(path, NULL, &r, &err) != ENT_OK)
        fail_msg("open %s: %s", path, err.msg);
    ent_frame **v = NULL, *f;
    *n = 0;
    ent_status s;
    while ((s = ent_reader_next(r, &f, &err)) == ENT_OK) {
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = f;
    }
    if (s != ENT_EEOF)
        fail_msg("read %s: %s", path, err.msg);
    ent_reader_close(r);
    return v;
}

static void free_all(ent_frame **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ent_frame_destroy(v[i]);
    free(v);
}

static ent_store *open_db(const char *path, unsigned flags)
{
    ent_store *st = NULL;
    ent_error err = {0};
    ent_store_open_opts o = {.flags = flags, .command = "test"};
    if (ent_store_open(path, &o, &st, &err) != ENT_OK)
        fail_msg("open %s: %s", path, err.msg);
    return st;
}

static ent_store *create_db(const char *name)
{
    unlink(tmp_path(name));
    return open_db(tmp_path(name), ENT_STORE_CREATE | ENT_STORE_WRITER);
}

static size_t value_size(ent_value_type t)
{
    return t == ENT_VAL_REAL   ? sizeof(double)
           : t == ENT_VAL_INT  ? sizeof(long)
           : t == ENT_VAL_BOOL ? sizeof(int)
                               : sizeof(char *);
}

static void assert_values_equal(ent_value_type t, const void *a, const void *b, size_t n)
{
    if (t != ENT_VAL_STR) {
        assert_memory_equal(a, b, n * value_size(t)); /* bit-exact, also for doubles */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *x = ((char *const *)a)[i], *y = ((char *const *)b)[i];
        if (!x || !y)
            assert_ptr_equal(x, y);
        else
            assert_string_equal(x, y);
    }
}

static void assert_frames_equal(const ent_frame *a, const ent_frame *b)
{
    assert_int_equal(a->n_atoms, b->n_atoms);
    for (size_t i = 0; i < a->n_atoms; i++)
        assert_string_equal(a->species[i], b->species[i]);
    assert_memory_equal(a->positions, b->positions, a->n_atoms * 3 * sizeof(double));
    assert_int_equal(a->has_cell, b->has_cell);
    if (a->has_cell)
        assert_memory_equal(a->cell, b->cell, sizeof a->cell);
    assert_memory_equal(a->pbc, b->pbc, sizeof a->pbc);
    assert_int_equal(a->n_columns, b->n_columns);
    for (size_t c = 0; c < a->n_columns; c++) {
        assert_string_equal(a->columns[c].name, b->columns[c].name);
        assert_int_equal(a->columns[c].type, b->columns[c].type);
        assert_int_equal(a->columns[c].ncols, b->columns[c].ncols);
        assert_values_equal(a->columns[c].type, a->columns[c].data, b->columns[c].data,
                            a->n_atoms * (size_t)a->columns[c].ncols);
    }
    assert_int_equal(a->n_info, b->n_info);
    for (size_t i = 0; i < a->n_info; i++) {
        assert_string_equal(a->info[i].key, b->info[i].key);
        assert_int_equal(a->info[i].type, b->info[i].type);
        assert_int_equal(a->info[i].is_array, b->info[i].is_array);
        assert_int_equal(a->info[i].count, b->info[i].count);
        assert_values_equal(a->info[i].type, a->info[i].data, b->info[i].data,
                            a->info[i].count);
    }
}

/* Import frames with k = 8 descriptors (small, fast); returns the descriptor set id. */
static int64_t import_frames(ent_store *st, ent_frame **v, size_t n, long gen,
                             const char *status, const ent_store_label *labels,
                             size_t batch, int64_t *ids, int *dups)
{
    ent_error err = {0};
    ent_descriptor_params dp = {.k = 8, .cutoff = 5.0};
    ent_store_descriptor_params sp = {8, 5.0, "", 0};
    int64_t set = 0;
    assert_int_equal(
        ent_store_descriptor_set_ensure(st, &sp, ent_descriptor_width(8), &set, &err),
        ENT_OK);
    ent_store_import_params ip = {.files = "test",
                                  .generation = gen,
                                  .status = status,
                                  .descriptor_set = set,
                                  .batch = batch};
    ent_store_import *im = NULL;
    if (ent_store_import_begin(st, &ip, &im, &err) != ENT_OK)
        fail_msg("import_begin: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        double *x = malloc((v[i]->n_atoms + 1) * ent_descriptor_width(8) * sizeof *x);
        assert_int_equal(ent_descriptors(v[i]->positions, v[i]->n_atoms, v[i]->cell,
                                         v[i]->pbc, &dp, x, &err),
                         ENT_OK);
        if (ent_store_import_add(im, v[i], "test", (long)i, x, labels ? &labels[i] : NULL,
                                 ids ? &ids[i] : NULL, dups ? &dups[i] : NULL,
                                 &err) != ENT_OK)
            fail_msg("import_add: %s", err.msg);
        free(x);
    }
    if (ent_store_import_commit(im, NULL, &err) != ENT_OK)
        fail_msg("import_commit: %s", err.msg);
    ent_store_import_destroy(im);
    return set;
}

static size_t count_structures(ent_store *st, const ent_store_filter *f)
{
    int64_t *ids = NULL;
    size_t n = 0;
    ent_error err = {0};
    assert_int_equal(ent_store_structure_ids(st, f, &ids, &n, &err), ENT_OK);
    free(ids);
    return n;
}

/* Overwrite a big-endian u32 of the database header (the file must be closed). */
static void patch_header(const char *path, long offset, uint32_t v)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    assert_int_equal(fseek(fp, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(b, 1, 4, fp), 4);
    fclose(fp);
}

static void expect_open_error(const char *path, unsigned flags, ent_status want,
                              const char *needle)
{
    ent_store *st = NULL;
    ent_error err = {0};
    ent_store_open_opts o = {.flags = flags};
    ent_status s = ent_store_open(path, &o, &st, &err);
    if (s != want || !strstr(err.msg, needle))
        fail_msg("open %s: status %d, message '%s'; wanted %d and '%s'", path, s, err.msg,
                 want, needle);
    assert_null(st);
}

/* ---- invalid arguments and bad files ---- */

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_store *st = NULL;
    ent_error err = {0};
    assert_int_equal(ent_store_open(NULL, NULL, &st, &err), ENT_EINVAL);
    ent_store_open_opts ro = {.flags = ENT_STORE_READONLY | ENT_STORE_WRITER};
    assert_int_equal(ent_store_open(tmp_path("x.db"), &ro, &st, &err), ENT_EINVAL);
    expect_open_error(tmp_path("missing.db"), 0, ENT_EIO, "entrain init");

    st = create_db("args.db");
    ent_store_filter f = {.status = "bogus"};
    int64_t *ids;
    size_t n;
    assert_int_equal(ent_store_structure_ids(st, &f, &ids, &n, &err), ENT_EINVAL);
    assert_non_null(strstr(err.msg, "bogus"));
    ent_store_import *im = NULL;
    ent_store_import_params ip = {.generation = -1};
    assert_int_equal(ent_store_import_begin(st, &ip, &im, &err), ENT_EINVAL);
    assert_int_equal(ent_store_structure_get(st, 42, NULL, NULL, &err), ENT_EINVAL);
    assert_non_null(strstr(err.msg, "no structure with id 42"));
    assert_int_equal(ent_store_structure_set_status(st, 1, "nonsense", NULL, &err),
                     ENT_EINVAL);
    ent_store_close(st);

    /* A reader may not write. */
    st = open_db(tmp_path("args.db"), 0);
    assert_int_equal(ent_store_generation_ensure(st, 1, NULL, &err), ENT_EINVAL);
    assert_non_null(strstr(err.msg, "writer"));
    ent_store_close(st);
    ent_store_close(NULL);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *text = tmp_path("text.db");
    FILE *fp = fopen(text, "w");
    fputs("this is not a database, it is a text file long enough\n", fp);
    fclose(fp);
    expect_open_error(text, 0, ENT_EPARSE, "not an SQLite file");
    expect_open_error(text, ENT_STORE_CREATE, ENT_EPARSE, "not an SQLite file");

    const char *empty = tmp_path("empty.db");
    fclose(fopen(empty, "w"));
    expect_open_error(empty, 0, ENT_EUNSUPPORTED, "entrain init");

    /* init on an existing database */
    ent_store_close(create_db("exists.db"));
    expect_open_error(tmp_path("exists.db"), ENT_STORE_CREATE, ENT_EIO, "already exists");

    /* another application's database, and a newer schema: headers patched after close */
    ent_store_close(create_db("other.db"));
    patch_header(tmp_path("other.db"), 68, 0x12345678);
    expect_open_error(tmp_path("other.db"), 0, ENT_EUNSUPPORTED, "another application");
    ent_store_close(create_db("newer.db"));
    patch_header(tmp_path("newer.db"), 60, 99);
    expect_open_error(tmp_path("newer.db"), ENT_STORE_WRITER, ENT_EUNSUPPORTED,
                      "schema version 99 is newer");
}

/* ---- structures ---- */

static void test_round_trip_exact(void **state)
{
    (void)state;
    ent_store *st = create_db("rt.db");
    const char *files[] = {"reference/data/al_md_300K.xyz", "reference/data/molecules.xyz",
                           "io/POSCAR_selective", "io/ortho.dump", "io/nacl.vasp"};
    ent_error err = {0};
    for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
        size_t n;
        ent_frame **v = read_all(test_data_path(files[fi]), &n);
        /* Values that text formats rarely carry but the store must keep exactly. */
        double odd[] = {-0.0, NAN, INFINITY, 5e-324, 1.0 / 3.0};
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ent_frame_info_set_real(v[i], "odd", odd[i % 5], &err),
                             ENT_OK);
            assert_int_equal(ent_frame_info_set_int(v[i], "big", 9007199254740993L, &err),
                             ENT_OK);
            assert_int_equal(
                ent_frame_info_set_str(v[i], "note", "two words \"quoted\"", &err), ENT_OK);
        }
        int64_t *ids = calloc(n, sizeof *ids);
        int *dups = calloc(n, sizeof *dups);
        import_frames(st, v, n, 0, NULL, NULL, 1000, ids, dups);
        for (size_t i = 0; i < n; i++) {
            ent_frame *back = NULL;
            ent_store_structure_info info;
            if (ent_store_structure_get(st, ids[i], &back, &info, &err) != ENT_OK)
                fail_msg("get: %s", err.msg);
            assert_frames_equal(v[i], back);
            assert_string_equal(info.origin, "imported");
            assert_string_equal(info.status, "candidate");
            assert_int_equal(info.frame_index, (long)i);
            ent_frame_destroy(back);
        }
        free(ids);
        free(dups);
        free_all(v, n);
    }
    ent_store_close(st);
}

static void test_dedup_and_hash_identity(void **state)
{
    (void)state;
    ent_store *st = create_db("dedup.db");
    ent_error err = {0};
    size_t n;
    ent_frame **v = read_all(test_data_path("reference/data/molecules.xyz"), &n);
    int64_t ids[16], ids2[16];
    int dups[16], dups2[16];
    assert_true(n <= 16);
    import_frames(st, v, n, 0, NULL, NULL, 2, ids, dups);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dups[i], 0);
    /* Info is not identity: a new note does not make a new structure. */
    assert_int_equal(ent_frame_info_set_str(v[0], "note", "changed", &err), ENT_OK);
    import_frames(st, v, n, 1, NULL, NULL, 2, ids2, dups2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(dups2[i], 1);
        assert_int_equal(ids2[i], ids[i]);
    }
    assert_int_equal(count_structures(st, NULL), n);
    /* An import of duplicates only leaves no empty generation behind. */
    ent_store_gen_summary *rows;
    size_t nrows, running;
    assert_int_equal(ent_store_summary(st, &rows, &nrows, &running, &err), ENT_OK);
    assert_int_equal(nrows, 1);
    free(rows);
    /* Geometry is identity; -0.0 equals 0.0. */
    unsigned char h1[ENT_STORE_HASH_SIZE], h2[ENT_STORE_HASH_SIZE];
    ent_frame *c = ent_frame_copy(v[0]);
    assert_int_equal(ent_store_structure_hash(st, c, h1, &err), ENT_OK);
    c->positions[0] = c->positions[0] == 0 ? -0.0 : c->positions[0];
    assert_int_equal(ent_store_structure_hash(st, c, h2, &err), ENT_OK);
    assert_memory_equal(h1, h2, sizeof h1);
    c->positions[1] += 1e-12;
    assert_int_equal(ent_store_structure_hash(st, c, h2, &err), ENT_OK);
    assert_memory_not_equal(h1, h2, sizeof h1);
    ent_frame_destroy(c);
    free_all(v, n);
    ent_store_close(st);
}

static void test_descriptors_bit_identical(void **state)
{
    (void)state;
    ent_store *st = create_db("desc.db");
    ent_error err = {0};
    size_t n;
    ent_frame **v = read_all(test_data_path("reference/data/al_md_1500K.xyz"), &n);
    int64_t ids[32];
    assert_true(n <= 32);
    int64_t set = import_frames(st, v, n, 0, NULL, NULL, 3, ids, NULL);
    ent_descriptor_params dp = {.k = 8, .cutoff = 5.0};
    size_t w = ent_descriptor_width(8);
    for (size_t i = 0; i < n; i++) {
        double *x = malloc(v[i]->n_atoms * w * sizeof *x),
               *y = malloc(v[i]->n_atoms * w * sizeof *y);
        assert_int_equal(ent_descriptors(v[i]->positions, v[i]->n_atoms, v[i]->cell,
                                         v[i]->pbc, &dp, x, &err),
                         ENT_OK);
        int found = 0;
        assert_int_equal(
            ent_store_descriptor_get(st, ids[i], set, y, v[i]->n_atoms, &found, &err),
            ENT_OK);
        assert_true(found);
        assert_memory_equal(x, y, v[i]->n_atoms * w * sizeof *x);
        free(x);
        free(y);
    }
    int64_t other = 0;
    size_t width = 0;
    ent_store_descriptor_params p2 = {32, 5.0, "", 0};
    assert_int_equal(ent_store_descriptor_set_find(st, &p2, &other, &width, &err), ENT_OK);
    assert_int_equal(other, 0);
    free_all(v, n);
    ent_store_close(st);
}

/* ---- labels ---- */

static void test_labels(void **state)
{
    (void)state;
    ent_store *st = create_db("labels.db");
    ent_error err = {0};
    size_t n;
    ent_frame **v = read_all(test_data_path("reference/data/molecules.xyz"), &n);
    ent_store_label *l = calloc(n, sizeof *l);
    double *forces = calloc(1000, sizeof *forces), stress[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (size_t i = 0; i < 1000; i++)
        forces[i] = 0.001 * (double)i - 0.3;
    for (size_t i = 0; i < n; i++) {
        l[i].has_energy = 1;
        l[i].energy = -10.0 - (double)i;
        l[i].forces = forces;
        if (i == 1) {
            l[i].stress = stress;
            l[i].n_stress = 9;
        }
    }
    l[2].energy = NAN; /* validation: rejected with the reason */
    int64_t ids[16];
    import_frames(st, v, n, 0, "labelled", l, 1000, ids, NULL);
    for (size_t i = 0; i < n; i++) {
        ent_store_label_rec r;
        int found = 0;
        assert_int_equal(ent_store_label_latest(st, ids[i], &r, &found, &err), ENT_OK);
        assert_true(found);
        assert_memory_equal(r.forces, forces, 3 * v[i]->n_atoms * sizeof *forces);
        if (i == 2) {
            assert_false(r.has_energy);
            assert_string_equal(r.validation, "non-finite energy");
        } else {
            assert_true(r.energy == l[i].energy);
            assert_string_equal(r.validation, "ok");
        }
        assert_int_equal(r.n_stress, i == 1 ? 9 : 0);
        if (i == 1)
            assert_memory_equal(r.stress, stress, sizeof stress);
        ent_store_label_rec_clear(&r);
        ent_store_structure_info info;
        assert_int_equal(ent_store_structure_get(st, ids[i], NULL, &info, &err), ENT_OK);
        assert_string_equal(info.status, i == 2 ? "rejected" : "labelled");
    }
    ent_store_filter f = {.status = "labelled"};
    assert_int_equal(count_structures(st, &f), n - 1);
    free(l);
    free(forces);
    free_all(v, n);
    ent_store_close(st);
}

/* ---- crash safety and the writer lock (child processes) ---- */

/* Child: open as writer, import the frames in batches of 2 (so several batches are
 * committed), then die without committing the import and without closing. */
static void child_dies_mid_import(const char *path, ent_frame **v, size_t n)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ent_store *st = NULL;
        ent_error err = {0};
        ent_store_open_opts o = {.flags = ENT_STORE_WRITER};
        if (ent_store_open(path, &o, &st, &err) != ENT_OK)
            _exit(3);
        ent_store_import_params ip = {.files = "doomed", .generation = 5, .batch = 2};
        ent_store_import *im = NULL;
        if (ent_store_import_begin(st, &ip, &im, &err) != ENT_OK)
            _exit(4);
        for (size_t i = 0; i < n; i++)
            if (ent_store_import_add(im, v[i], "doomed", (long)i, NULL, NULL, NULL, NULL,
                                     &err) != ENT_OK)
                _exit(5);
        _exit(0); /* like SIGKILL: no commit, no close, lock row left behind */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_crash_mid_import_and_stale_lock(void **state)
{
    (void)state;
    ent_store *st = create_db("crash.db");
    ent_error err = {0};
    size_t n;
    ent_frame **v = read_all(test_data_path("reference/data/al_md_300K.xyz"), &n);
    import_frames(st, v, 3, 0, NULL, NULL, 1000, NULL, NULL); /* data that must survive */
    ent_store_close(st);

    child_dies_mid_import(tmp_path("crash.db"), v + 3, n - 3);

    /* A reader sees only the first import, and one unfinished import. */
    st = open_db(tmp_path("crash.db"), 0);
    assert_int_equal(count_structures(st, NULL), 3);
    ent_store_gen_summary *rows;
    size_t nrows, running;
    assert_int_equal(ent_store_summary(st, &rows, &nrows, &running, &err), ENT_OK);
    assert_int_equal(running, 1);
    assert_int_equal(nrows, 2); /* generation 5 was created by the dead import */
    free(rows);
    ent_store_writer_info w;
    assert_int_equal(ent_store_writer_get(st, &w, &err), ENT_OK);
    assert_true(w.held);
    assert_string_equal(w.command, "");
    ent_store_close(st);

    /* The next writer takes the dead holder's lock over and removes the leftovers. */
    st = open_db(tmp_path("crash.db"), ENT_STORE_WRITER);
    ent_store_writer_info prev;
    assert_int_equal(ent_store_writer_took_over(st, &prev), 1);
    assert_int_equal(prev.pid, w.pid);
    assert_int_equal(ent_store_summary(st, &rows, &nrows, &running, &err), ENT_OK);
    assert_int_equal(running, 0);
    assert_int_equal(nrows, 1);
    free(rows);
    assert_int_equal(count_structures(st, NULL), 3);
    /* The same structures import fine now (their hashes are free again). */
    import_frames(st, v + 3, 2, 0, NULL, NULL, 1000, NULL, NULL);
    assert_int_equal(count_structures(st, NULL), 5);
    ent_store_close(st);
    free_all(v, n);
}

static void test_second_writer_refused(void **state)
{
    (void)state;
    ent_store *st = create_db("lock.db");
    ent_store *st2 = NULL;
    ent_error err = {0};
    ent_store_open_opts o = {.flags = ENT_STORE_WRITER};
    assert_int_equal(ent_store_open(tmp_path("lock.db"), &o, &st2, &err), ENT_EIO);
    char want[64];
    snprintf(want, sizeof want, "is being driven by pid %ld on host ", (long)getpid());
    if (!strstr(err.msg, want) || !strstr(err.msg, " since "))
        fail_msg("message: %s", err.msg);
    /* Readers are not affected. */
    st2 = open_db(tmp_path("lock.db"), 0);
    assert_int_equal(count_structures(st2, NULL), 0);
    ent_store_close(st2);
    assert_int_equal(ent_store_writer_heartbeat(st, &err), ENT_OK);
    ent_store_close(st);
    /* Released on close. */
    st = open_db(tmp_path("lock.db"), ENT_STORE_WRITER);
    assert_int_equal(ent_store_writer_took_over(st, NULL), 0);
    ent_store_close(st);
}

/* ---- dH streamed from the database ---- */

static void test_dh_against_labelled(void **state)
{
    (void)state;
    ent_store *st = create_db("dh.db");
    ent_error err = {0};
    size_t n;
    ent_frame **ref = read_all(test_data_path("reference/data/al_md_300K.xyz"), &n);
    int64_t set = import_frames(st, ref, n, 0, "labelled", NULL, 4, NULL, NULL);
    /* Unlabelled structures are not part of the reference. */
    size_t nt;
    ent_frame **test = read_all(test_data_path("reference/data/al_md_1500K.xyz"), &nt);
    import_frames(st, test, 2, 1, NULL, NULL, 4, NULL, NULL);

    size_t w = ent_descriptor_width(8), m = 0, nx = 0;
    ent_descriptor_params dp = {.k = 8, .cutoff = 5.0};
    double *x = malloc(n * 108 * w * sizeof *x), *y = malloc(3 * 108 * w * sizeof *y);
    for (size_t i = 0; i < n; i++, nx += ref[i - 1]->n_atoms)
        assert_int_equal(ent_descriptors(ref[i]->positions, ref[i]->n_atoms, ref[i]->cell,
                                         ref[i]->pbc, &dp, x + nx * w, &err),
                         ENT_OK);
    for (size_t i = 0; i < 3; i++, m += test[i - 1]->n_atoms)
        assert_int_equal(ent_descriptors(test[i]->positions, test[i]->n_atoms,
                                         test[i]->cell, test[i]->pbc, &dp, y + m * w, &err),
                         ENT_OK);
    double h[2] = {0.015, 0.05};
    double *want = malloc(m * 2 * sizeof *want), *got = malloc(m * 2 * sizeof *got);
    assert_int_equal(ent_delta_entropy(y, m, x, nx, w, h, 2, want, &err), ENT_OK);
    ent_store_dh_stats stats;
    /* 250 rows per chunk: one structure at a time, many chunks. */
    assert_int_equal(
        ent_store_dh_against_labelled(st, set, y, m, h, 2, 250, got, &stats, &err), ENT_OK);
    assert_int_equal(stats.reference_envs, nx);
    assert_int_equal(stats.reference_structures, n);
    assert_true(stats.chunks >= n / 2);
    assert_true(stats.peak_chunk_rows <= 250);
    for (size_t i = 0; i < 2 * m; i++) {
        if (isinf(want[i]))
            assert_true(isinf(got[i]));
        else
            assert_true(fabs(got[i] - want[i]) <= 1e-9 * fmax(1, fabs(want[i])));
    }
    assert_int_equal(ent_store_dh_against_labelled(st, 999, y, m, h, 1, 0, got, NULL, &err),
                     ENT_EINVAL);
    free(x);
    free(y);
    free(want);
    free(got);
    free_all(ref, n);
    free_all(test, nt);
    ent_store_close(st);
}

/* ---- engine records, reports ---- */

/* Fill a database with every kind of record (used for the v1 fixture too). */
static void fill_campaign(ent_store *st, int with_train_set)
{
    ent_error err = {0};
    size_t n;
    ent_frame **v = read_all(test_data_path("reference/data/molecules.xyz"), &n);
    ent_store_label l[16] = {{0}};
    for (size_t i = 0; i < n; i++)
        l[i] = (ent_store_label){.has_energy = 1, .energy = -1.0 * (double)(i + 1)};
    int64_t ids[16];
    int64_t set = import_frames(st, v, n, 0, "labelled", l, 1000, ids, NULL);
    ent_store_job job = {.generation = 1,
                         .kind = "label",
                         .backend = "local",
                         .argv = "[\"pw.x\",\"-in\",\"in.pw\"]",
                         .workdir = "jobs/1",
                         .content_hash = "ab12"};
    int64_t job_id = 0;
    if (ent_store_generation_ensure(st, 1, "label", &err) != ENT_OK ||
        ent_store_job_insert(st, &job, &job_id, &err) != ENT_OK ||
        ent_store_job_set_state(st, job_id, "submitted", 4242, NULL, -1000, &err) !=
            ENT_OK ||
        ent_store_job_set_state(st, job_id, "succeeded", 0, NULL, 0, &err) != ENT_OK)
        fail_msg("records: %s", err.msg);
    ent_store_score sc = {.structure_id = ids[1],
                          .generation = 1,
                          .descriptor_set = set,
                          .bandwidth = 0.015,
                          .threshold = 0,
                          .dh_min = -1,
                          .dh_mean = 0.5,
                          .dh_max = INFINITY,
                          .frac_novel = 0.4,
                          .n_inf = 1,
                          .reference_envs = 123,
                          .reference_structures = 4};
    ent_store_label l2 = {.has_energy = 1, .energy = -7.5, .job_id = job_id};
    ent_store_metric met = {.generation = 0,
                            .bandwidth = 0.015,
                            .entropy = 1.5,
                            .diversity = 2.5,
                            .novelty = NAN,
                            .info_gap = NAN,
                            .n_structures = n,
                            .n_environments = 25};
    if (ent_store_score_insert(st, &sc, &err) != ENT_OK ||
        ent_store_decision_insert(st, 1, ids[1], "select", "dH max = inf > 0", "cafe",
                                  &err) != ENT_OK ||
        ent_store_decision_insert(st, 1, 0, "continue", "novelty 0.4", "cafe", &err) !=
            ENT_OK ||
        ent_store_label_insert(st, ids[1], &l2, NULL, &err) != ENT_OK ||
        ent_store_metric_put(st, &met, &err) != ENT_OK)
        fail_msg("records: %s", err.msg);
    if (with_train_set && ent_store_train_set_add(st, 1, ids[1], &err) != ENT_OK)
        fail_msg("train set: %s", err.msg);
    free_all(v, n);
}

/* What fill_campaign wrote, as the reports show it. */
static void check_campaign(ent_store *st, int with_train_set)
{
    ent_error err = {0};
    ent_store_gen_summary *rows;
    size_t nrows, running;
    assert_int_equal(ent_store_summary(st, &rows, &nrows, &running, &err), ENT_OK);
    assert_int_equal(nrows, 2);
    assert_int_equal(rows[0].n_status[2], 5); /* labelled */
    assert_true(rows[0].has_metric && rows[0].entropy == 1.5 && isnan(rows[0].novelty));
    assert_string_equal(rows[1].phase, "label");
    assert_int_equal(rows[1].n_jobs[3], 1); /* succeeded */
    free(rows);
    ent_store_audit a;
    if (ent_store_audit_get(st, 2, &a, &err) != ENT_OK)
        fail_msg("audit: %s", err.msg);
    assert_int_equal(a.n_scores, 1);
    assert_true(isinf(a.scores[0].dh_max));
    assert_int_equal(a.scores[0].reference_envs, 123);
    assert_int_equal(a.n_decisions, 1);
    assert_string_equal(a.decisions[0].reason, "dH max = inf > 0");
    assert_true(a.has_label && a.label.energy == -7.5 && a.n_labels == 2);
    assert_true(a.has_label_job);
    assert_string_equal(a.label_job.state, "succeeded");
    assert_int_equal(a.n_descriptors, 1);
    assert_int_equal(a.n_train_generations, with_train_set ? 1 : 0);
    ent_store_audit_clear(&a);
}

static void test_records_and_reports(void **state)
{
    (void)state;
    ent_store *st = create_db("records.db");
    fill_campaign(st, 1);
    check_campaign(st, 1);
    ent_error err = {0};
    assert_int_equal(ent_store_job_set_state(st, 1, "exploded", 0, NULL, 0, &err),
                     ENT_EINVAL);
    ent_store_job dup = {
        .generation = 1, .kind = "label", .backend = "local", .content_hash = "ab12"};
    assert_int_equal(ent_store_job_insert(st, &dup, NULL, &err),
                     ENT_EINVAL); /* same hash */
    assert_non_null(strstr(err.msg, "UNIQUE"));
    ent_store_close(st);
}

/* ---- migrations ---- */

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, k, b), k);
    fclose(a);
    fclose(b);
}

static void test_fixture_v1_upgrades(void **state)
{
    (void)state;
    const char *db = tmp_path("fixture.db");
    copy_file(test_data_path("store/campaign_v1.db"), db);
    /* Read-only open of an old file cannot migrate: a clear error. */
    expect_open_error(db, ENT_STORE_READONLY, ENT_EUNSUPPORTED, "must be upgraded to");
    ent_store *st = open_db(db, ENT_STORE_WRITER);
    assert_int_equal(ent_store_schema_version(st), ENT_STORE_SCHEMA_VERSION);
    check_campaign(st, 0); /* version-1 data intact */
    ent_error err = {0};
    assert_int_equal(ent_store_train_set_add(st, 1, 2, &err), ENT_OK); /* version-2 table */
    ent_store_close(st);
    st = open_db(db, ENT_STORE_READONLY);
    check_campaign(st, 1);
    ent_store_close(st);
}

static void test_migration_stepwise(void **state)
{
    (void)state;
    unlink(tmp_path("v1.db"));
    ent_store_open_opts o = {.flags = ENT_STORE_CREATE | ENT_STORE_WRITER,
                             .max_version = 1};
    ent_store *st = NULL;
    ent_error err = {0};
    assert_int_equal(ent_store_open(tmp_path("v1.db"), &o, &st, &err), ENT_OK);
    assert_int_equal(ent_store_schema_version(st), 1);
    assert_int_equal(ent_store_train_set_add(st, 0, 1, &err), ENT_EUNSUPPORTED);
    ent_store_close(st);
    st = open_db(tmp_path("v1.db"), 0);
    assert_int_equal(ent_store_schema_version(st), 2);
    ent_store_close(st);
}

static int write_fixture(const char *path)
{
    unlink(path);
    ent_store_open_opts o = {.flags = ENT_STORE_CREATE | ENT_STORE_WRITER,
                             .max_version = 1};
    ent_store *st = NULL;
    ent_error err = {0};
    if (ent_store_open(path, &o, &st, &err) != ENT_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    fill_campaign(st, 0);
    ent_store_close(st);
    printf("wrote %s (schema version 1)\n", path);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/entrain_test_store_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const char *fixture = getenv("ENTRAIN_STORE_WRITE_FIXTURE");
    if (fixture)
        return write_fixture(fixture);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_round_trip_exact),
        cmocka_unit_test(test_dedup_and_hash_identity),
        cmocka_unit_test(test_descriptors_bit_identical),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_crash_mid_import_and_stale_lock),
        cmocka_unit_test(test_second_writer_refused),
        cmocka_unit_test(test_dh_against_labelled),
        cmocka_unit_test(test_records_and_reports),
        cmocka_unit_test(test_fixture_v1_upgrades),
        cmocka_unit_test(test_migration_stepwise),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
