/* Imports: all or nothing, yet only short transactions. Rows are written in batches
 * (one BEGIN IMMEDIATE ... COMMIT per `batch` structures) under an import record in state
 * 'running'; every query hides them (STORE_VISIBLE) until the final one-row transaction
 * sets the record to 'done'. A writer killed in between leaves invisible rows, which the
 * next writer removes (store_imports_cleanup) before doing anything else, so a campaign
 * holds either none or all of an import. A single transaction per import would also be
 * atomic, but would hold SQLite's write lock for the whole file and grow the WAL to the
 * size of the import. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

/* With the default batch size, a batch also ends once its BLOBs pass this size, bounding
 * the WAL between checkpoints, or after IMPORT_BATCH_SECONDS, so that a slow input (a
 * pipe) does not keep the write transaction open. */
#define IMPORT_BATCH_BYTES (64u << 20)
#define IMPORT_BATCH_SECONDS 1.0

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct ent_store_import {
    ent_store *st;
    int64_t id;
    long generation;
    char *tag;
    char status[16];
    int64_t set_id;
    size_t width, batch, batch_cap, in_batch, batch_bytes;
    double batch_start;
    int committed;
    int created_generation; /* the generation row is this import's */
    ent_store_import_stats stats;
    sqlite3_stmt *ins_structure, *find_hash, *ins_descriptor;
};

/* Run one statement with its single parameter (an id) bound. */
static ent_status exec_id(ent_store *st, const char *sql, int64_t id, const char *what,
                          ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st, sql, &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, id);
    s = store_step_done(st, q, what, err);
    sqlite3_finalize(q);
    return s;
}

/* Inside a write transaction: delete a generation row an import created, unless something
 * refers to it now. The foreign keys decide, inside a savepoint. */
static ent_status drop_generation_if_unused(ent_store *st, long long gen, ent_error *err)
{
    ent_status s = store_exec(st, "SAVEPOINT drop_generation", err);
    if (s != ENT_OK)
        return s;
    ent_status d = exec_id(st, "DELETE FROM generation WHERE id = ?", gen,
                           "dropping an empty generation", NULL);
    return store_exec(st,
                      d == ENT_OK ? "RELEASE drop_generation"
                                  : "ROLLBACK TO drop_generation; RELEASE drop_generation",
                      err);
}

/* Remove the rows of one unfinished import in short transactions (cascading to its
 * descriptors and labels), then mark it aborted and drop the generation it created if
 * nothing else uses it. Safe to interrupt: the next writer continues. */
static ent_status cleanup_import(ent_store *st, int64_t id, ent_error *err)
{
    ent_status s = ENT_OK;
    for (;;) {
        s = ent_store_write_begin(st, err);
        if (s != ENT_OK)
            return s;
        s = exec_id(st,
                    "DELETE FROM structure WHERE id IN (SELECT id FROM structure WHERE "
                    "import_id = ? LIMIT 500)",
                    id, "removing an unfinished import", err);
        int more = s == ENT_OK && sqlite3_changes(st->db) > 0;
        s = s == ENT_OK ? ent_store_commit(st, err) : (ent_store_rollback(st), s);
        if (s != ENT_OK || !more)
            break;
    }
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    s = ent_store_write_begin(st, err);
    if (s != ENT_OK)
        return s;
    sqlite3_stmt *u;
    s = store_prepare(st,
                      "UPDATE import SET state = 'aborted', finished = ?, n_added = 0 "
                      "WHERE id = ? RETURNING generation, created_generation",
                      &u, err);
    long long gen = -1, created = 0;
    if (s == ENT_OK) {
        sqlite3_bind_text(u, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(u, 2, id);
        int rc = store_step(st, u);
        if (rc == SQLITE_ROW) {
            gen = sqlite3_column_int64(u, 0);
            created = sqlite3_column_int64(u, 1);
            rc = store_step(st, u);
        }
        if (rc != SQLITE_DONE)
            s = store_sqlite_error(st, rc, err, "marking an import aborted");
        sqlite3_finalize(u);
    }
    if (s == ENT_OK && created)
        s = drop_generation_if_unused(st, gen, err);
    return s == ENT_OK ? ent_store_commit(st, err) : (ent_store_rollback(st), s);
}

ent_status store_imports_cleanup(ent_store *st, ent_error *err)
{
    int64_t ids[64];
    size_t n = 0;
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st, "SELECT id FROM import WHERE state = 'running' LIMIT 64", &q, err);
    if (s != ENT_OK)
        return s;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(q, 0);
    if (rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, "listing unfinished imports");
    sqlite3_finalize(q);
    /* We hold the writer lock, so no live process is importing: all of them are left over
     * from a writer that died. */
    for (size_t i = 0; i < n && s == ENT_OK; i++)
        s = cleanup_import(st, ids[i], err);
    return s;
}

/* ---------------------------------------------------------------------------------------
 * Import */

static void import_free(ent_store_import *im)
{
    sqlite3_finalize(im->ins_structure);
    sqlite3_finalize(im->find_hash);
    sqlite3_finalize(im->ins_descriptor);
    free(im->tag);
    free(im);
}

static ent_status import_prepare(ent_store_import *im, ent_error *err)
{
    ent_store *st = im->st;
    ent_status s = store_prepare(
        st,
        "INSERT INTO structure (hash, n_atoms, species, positions, cell, pbc, props, "
        "origin, generation, import_id, source, frame_index, status, status_reason, tag, "
        "created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'imported', ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (hash) DO NOTHING",
        &im->ins_structure, err);
    if (s == ENT_OK)
        s = store_prepare(st, "SELECT id FROM structure WHERE hash = ?", &im->find_hash,
                          err);
    if (s == ENT_OK)
        s = store_prepare(
            st, "INSERT INTO descriptor (structure_id, set_id, data) VALUES (?, ?, ?)",
            &im->ins_descriptor, err);
    return s;
}

ent_status ent_store_import_begin(ent_store *st, const ent_store_import_params *p,
                                  ent_store_import **out, ent_error *err)
{
    *out = NULL;
    ent_status s = store_require_writer(st, "import", err);
    if (s != ENT_OK)
        return s;
    if (!p || p->generation < 0)
        return ent_error_set(err, ENT_EINVAL, "import: generation must be >= 0");
    const char *status = p->status ? p->status : "candidate";
    if (ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, status) < 0)
        return ent_error_set(err, ENT_EINVAL, "import: unknown status '%s'", status);
    ent_store_import *im = calloc(1, sizeof *im);
    if (!im || (p->tag && !(im->tag = strdup(p->tag)))) {
        free(im);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    im->st = st;
    im->generation = p->generation;
    snprintf(im->status, sizeof im->status, "%s", status);
    im->set_id = p->descriptor_set;
    im->batch = p->batch ? p->batch : 1000;
    im->batch_cap = p->batch ? 0 : IMPORT_BATCH_BYTES; /* 0: count only */
    s = import_prepare(im, err);
    if (s == ENT_OK && im->set_id) {
        sqlite3_stmt *q;
        s = store_prepare(st, "SELECT width FROM descriptor_set WHERE id = ?", &q, err);
        if (s == ENT_OK) {
            sqlite3_bind_int64(q, 1, im->set_id);
            int rc = store_step(st, q);
            if (rc == SQLITE_ROW)
                im->width = (size_t)sqlite3_column_int64(q, 0);
            else
                s = rc == SQLITE_DONE
                        ? ent_error_set(err, ENT_EINVAL, "import: no descriptor set %lld",
                                        (long long)im->set_id)
                        : store_sqlite_error(st, rc, err, "reading a descriptor set");
            sqlite3_finalize(q);
        }
    }
    /* The import record (and the generation, if new) in one short transaction. */
    if (s == ENT_OK)
        s = ent_store_write_begin(st, err);
    if (s == ENT_OK) {
        char now[32];
        store_now(now);
        sqlite3_stmt *g = NULL, *i = NULL;
        s = store_prepare(st,
                          "INSERT INTO generation (id, phase, started, finished) VALUES "
                          "(?, 'done', ?, ?) ON CONFLICT (id) DO NOTHING",
                          &g, err);
        int created = 0;
        if (s == ENT_OK) {
            sqlite3_bind_int64(g, 1, p->generation);
            sqlite3_bind_text(g, 2, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(g, 3, now, -1, SQLITE_STATIC);
            s = store_step_done(st, g, "creating the generation", err);
            created = im->created_generation = sqlite3_changes(st->db) > 0;
        }
        if (s == ENT_OK)
            s = store_prepare(
                st,
                "INSERT INTO import (state, files, generation, created_generation, "
                "tag, pid, host, started) VALUES ('running', ?, ?, ?, ?, ?, ?, ?)",
                &i, err);
        if (s == ENT_OK) {
            sqlite3_bind_text(i, 1, p->files ? p->files : "", -1, SQLITE_STATIC);
            sqlite3_bind_int64(i, 2, p->generation);
            sqlite3_bind_int(i, 3, created);
            sqlite3_bind_text(i, 4, p->tag, -1, SQLITE_STATIC);
            sqlite3_bind_int64(i, 5, st->pid);
            sqlite3_bind_text(i, 6, st->host, -1, SQLITE_STATIC);
            sqlite3_bind_text(i, 7, now, -1, SQLITE_STATIC);
            s = store_step_done(st, i, "recording the import", err);
            im->id = sqlite3_last_insert_rowid(st->db);
        }
        sqlite3_finalize(g);
        sqlite3_finalize(i);
        s = s == ENT_OK ? ent_store_commit(st, err) : (ent_store_rollback(st), s);
    }
    if (s != ENT_OK) {
        import_free(im);
        return s;
    }
    im->stats.import_id = im->id;
    *out = im;
    return ENT_OK;
}

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Why a label cannot be used, or NULL. */
static const char *label_problem(const ent_store_label *l, size_t n_atoms)
{
    if (l->validation && strcmp(l->validation, "ok"))
        return l->validation;
    if (l->has_energy && !isfinite(l->energy))
        return "non-finite energy";
    if (l->forces && !all_finite(l->forces, 3 * n_atoms))
        return "non-finite forces";
    if (l->stress && !all_finite(l->stress, l->n_stress))
        return "non-finite stress";
    return NULL;
}

static ent_status batch_end(ent_store_import *im, ent_error *err)
{
    ent_status s = ent_store_writer_heartbeat(im->st, err);
    s = s == ENT_OK ? ent_store_commit(im->st, err) : (ent_store_rollback(im->st), s);
    im->in_batch = im->batch_bytes = 0;
    return s;
}

static ent_status insert_structure(ent_store_import *im, const ent_frame *f,
                                   const char *source, long frame_index,
                                   const unsigned char *hash, const char *reason,
                                   ent_error *err)
{
    ent_store *st = im->st;
    size_t n = f->n_atoms;
    char *species = malloc(n * ENT_SYMBOL_MAX + 1);
    unsigned char *props = NULL;
    size_t props_len = 0;
    void *own_pos = NULL, *own_cell = NULL;
    if (!species)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    char *p = species;
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(f->species[i], ENT_SYMBOL_MAX - 1);
        if (len == 0 || memchr(f->species[i], ' ', len)) {
            free(species);
            return ent_error_set(err, ENT_EINVAL, "atom %zu: invalid species symbol",
                                 i + 1);
        }
        if (i)
            *p++ = ' ';
        memcpy(p, f->species[i], len);
        p += len;
    }
    *p = 0;
    ent_status s = store_props_encode(f, &props, &props_len, err);
    const void *pos = s == ENT_OK ? store_f64_encode(f->positions, 3 * n, &own_pos) : NULL;
    const void *cell = f->has_cell ? store_f64_encode(f->cell, 9, &own_cell) : NULL;
    if (s == ENT_OK && (!pos || (f->has_cell && !cell)))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK) {
        char pbc[4] = {f->pbc[0] ? 'T' : 'F', f->pbc[1] ? 'T' : 'F', f->pbc[2] ? 'T' : 'F',
                       0};
        char now[32];
        store_now(now);
        sqlite3_stmt *q = im->ins_structure;
        sqlite3_bind_blob(q, 1, hash, ENT_STORE_HASH_SIZE, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)n);
        sqlite3_bind_text(q, 3, species, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(q, 4, pos, 24 * n, SQLITE_STATIC);
        if (cell)
            sqlite3_bind_blob(q, 5, cell, 72, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 5);
        sqlite3_bind_text(q, 6, pbc, -1, SQLITE_TRANSIENT);
        if (f->n_columns || f->n_info)
            sqlite3_bind_blob64(q, 7, props, props_len, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 7);
        sqlite3_bind_int64(q, 8, im->generation);
        sqlite3_bind_int64(q, 9, im->id);
        sqlite3_bind_text(q, 10, source, -1, SQLITE_STATIC);
        if (frame_index >= 0)
            sqlite3_bind_int64(q, 11, frame_index);
        else
            sqlite3_bind_null(q, 11);
        sqlite3_bind_text(q, 12, reason ? "rejected" : im->status, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 13, reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 14, im->tag, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 15, now, -1, SQLITE_TRANSIENT);
        s = store_step_done(st, q, "inserting a structure", err);
        sqlite3_clear_bindings(q);
        im->batch_bytes += 24 * n + props_len;
    }
    free(species);
    free(props);
    free(own_pos);
    free(own_cell);
    return s;
}

ent_status ent_store_import_add(ent_store_import *im, const ent_frame *f,
                                const char *source, long frame_index,
                                const double *descriptors, const ent_store_label *label,
                                int64_t *id, int *duplicate, ent_error *err)
{
    if (!im || !f || im->committed)
        return ent_error_set(err, ENT_EINVAL, "import_add: bad arguments");
    if (im->set_id && !descriptors)
        return ent_error_set(err, ENT_EINVAL, "import_add: the import stores descriptors");
    ent_store *st = im->st;
    unsigned char hash[ENT_STORE_HASH_SIZE];
    ent_status s = ent_store_structure_hash(st, f, hash, err);
    if (s != ENT_OK)
        return s;
    if (!im->in_batch) {
        if ((s = ent_store_write_begin(st, err)) != ENT_OK)
            return s;
        im->batch_start = monotonic();
    }
    const char *reason = label ? label_problem(label, f->n_atoms) : NULL;
    s = insert_structure(im, f, source, frame_index, hash, reason, err);
    int dup = s == ENT_OK && sqlite3_changes(st->db) == 0;
    int64_t sid = 0;
    if (s == ENT_OK && dup) {
        sqlite3_bind_blob(im->find_hash, 1, hash, ENT_STORE_HASH_SIZE, SQLITE_STATIC);
        int rc = store_step(st, im->find_hash);
        if (rc == SQLITE_ROW)
            sid = sqlite3_column_int64(im->find_hash, 0);
        else
            s = store_sqlite_error(st, rc, err, "looking up a duplicate");
        sqlite3_reset(im->find_hash);
    } else if (s == ENT_OK) {
        sid = sqlite3_last_insert_rowid(st->db);
    }
    if (s == ENT_OK && !dup && im->set_id) {
        void *own = NULL;
        size_t nv = f->n_atoms * im->width;
        const void *blob = store_f64_encode(descriptors, nv, &own);
        if (!blob)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        if (s == ENT_OK) {
            sqlite3_bind_int64(im->ins_descriptor, 1, sid);
            sqlite3_bind_int64(im->ins_descriptor, 2, im->set_id);
            sqlite3_bind_blob64(im->ins_descriptor, 3, blob, 8 * nv, SQLITE_STATIC);
            s = store_step_done(st, im->ins_descriptor, "inserting descriptors", err);
            im->batch_bytes += 8 * nv;
        }
        free(own);
    }
    if (s == ENT_OK && !dup && label) {
        ent_store_label l = *label;
        l.validation = reason;
        s = ent_store_label_insert(st, sid, &l, NULL, err);
    }
    if (s != ENT_OK) {
        /* The whole batch goes: the import can then only be abandoned (destroy). */
        ent_store_rollback(st);
        im->in_batch = 0;
        im->committed = -1;
        return s;
    }
    if (dup) {
        im->stats.duplicates++;
    } else {
        im->stats.added++;
        im->stats.environments += f->n_atoms;
        im->stats.rejected += reason != NULL;
    }
    if (id)
        *id = sid;
    if (duplicate)
        *duplicate = dup;
    im->in_batch++;
    if (im->in_batch >= im->batch ||
        (im->batch_cap && (im->batch_bytes >= im->batch_cap ||
                           monotonic() - im->batch_start > IMPORT_BATCH_SECONDS))) {
        s = batch_end(im, err);
        if (s != ENT_OK)
            im->committed = -1;
    }
    return s;
}

ent_status ent_store_import_commit(ent_store_import *im, ent_store_import_stats *stats,
                                   ent_error *err)
{
    if (!im || im->committed)
        return ent_error_set(err, ENT_EINVAL, "import_commit: import already %s",
                             im && im->committed > 0 ? "committed" : "failed");
    ent_store *st = im->st;
    ent_status s = im->in_batch ? batch_end(im, err) : ENT_OK;
    if (s == ENT_OK)
        s = ent_store_write_begin(st, err);
    if (s == ENT_OK) {
        char now[32];
        store_now(now);
        sqlite3_stmt *u;
        s = store_prepare(st,
                          "UPDATE import SET state = 'done', finished = ?, n_added = ?, "
                          "n_duplicates = ? WHERE id = ? AND state = 'running'",
                          &u, err);
        if (s == ENT_OK) {
            sqlite3_bind_text(u, 1, now, -1, SQLITE_STATIC);
            sqlite3_bind_int64(u, 2, (sqlite3_int64)im->stats.added);
            sqlite3_bind_int64(u, 3, (sqlite3_int64)im->stats.duplicates);
            sqlite3_bind_int64(u, 4, im->id);
            s = store_step_done(st, u, "finishing the import", err);
            if (s == ENT_OK && sqlite3_changes(st->db) != 1)
                s = ent_error_set(err, ENT_EIO, "%s: import %lld was removed meanwhile",
                                  st->path, (long long)im->id);
            sqlite3_finalize(u);
        }
        /* An import of nothing but duplicates leaves no empty generation behind. */
        if (s == ENT_OK && im->created_generation && !im->stats.added)
            s = drop_generation_if_unused(st, im->generation, err);
        /* Heartbeat in the same transaction: if another process took the lock over, this
         * import is not made visible. */
        if (s == ENT_OK)
            s = ent_store_writer_heartbeat(st, err);
        s = s == ENT_OK ? ent_store_commit(st, err) : (ent_store_rollback(st), s);
    }
    if (s != ENT_OK) {
        im->committed = -1;
        return s;
    }
    im->committed = 1;
    if (stats)
        *stats = im->stats;
    return ENT_OK;
}

void ent_store_import_destroy(ent_store_import *im)
{
    if (!im)
        return;
    if (im->committed <= 0) {
        ent_store_rollback(im->st);
        if (im->st->writer)
            cleanup_import(im->st, im->id, NULL); /* else: the next writer's open does it */
    }
    import_free(im);
}
