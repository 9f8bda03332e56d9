/* Descriptors: the sets of parameters that made them, one n_atoms x width float64 BLOB
 * per structure and set, and dH of new environments against everything labelled so far,
 * streamed from the stored BLOBs chunk by chunk (never all in memory, never recomputed). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "info/kernel.h"
#include "store/store_internal.h"

static ent_status set_lookup(ent_store *st, const ent_store_descriptor_params *p,
                             int64_t *id, size_t *width, ent_error *err)
{
    *id = 0;
    if (width)
        *width = 0;
    sqlite3_stmt *q;
    ent_status s =
        store_prepare(st,
                      "SELECT id, width FROM descriptor_set WHERE k = ? AND cutoff = ? "
                      "AND species = ? AND quests_compat = ?",
                      &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int(q, 1, p->k);
    sqlite3_bind_double(q, 2, p->cutoff);
    sqlite3_bind_text(q, 3, p->species ? p->species : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, p->quests_compat != 0);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        if (width)
            *width = (size_t)sqlite3_column_int64(q, 1);
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "looking up a descriptor set");
    }
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_descriptor_set_find(ent_store *st,
                                         const ent_store_descriptor_params *p, int64_t *id,
                                         size_t *width, ent_error *err)
{
    return set_lookup(st, p, id, width, err);
}

ent_status ent_store_descriptor_set_ensure(ent_store *st,
                                           const ent_store_descriptor_params *p,
                                           size_t width, int64_t *id, ent_error *err)
{
    ent_status s = store_require_writer(st, "creating a descriptor set", err);
    if (s != ENT_OK)
        return s;
    if (p->k < 1 || !(p->cutoff > 0) || width == 0)
        return ent_error_set(err, ENT_EINVAL, "descriptor set: invalid k, cutoff or width");
    store_txn t;
    s = store_txn_begin(st, 1, &t, err);
    size_t have = 0;
    if (s == ENT_OK)
        s = set_lookup(st, p, id, &have, err);
    if (s == ENT_OK && *id && have != width)
        s = ent_error_set(err, ENT_EINVAL, "descriptor set %lld has width %zu, not %zu",
                          (long long)*id, have, width);
    if (s == ENT_OK && !*id) {
        sqlite3_stmt *q;
        s = store_prepare(
            st,
            "INSERT INTO descriptor_set (k, cutoff, species, quests_compat, width) "
            "VALUES (?, ?, ?, ?, ?)",
            &q, err);
        if (s == ENT_OK) {
            sqlite3_bind_int(q, 1, p->k);
            sqlite3_bind_double(q, 2, p->cutoff);
            sqlite3_bind_text(q, 3, p->species ? p->species : "", -1, SQLITE_STATIC);
            sqlite3_bind_int(q, 4, p->quests_compat != 0);
            sqlite3_bind_int64(q, 5, (sqlite3_int64)width);
            s = store_step_done(st, q, "creating a descriptor set", err);
            *id = sqlite3_last_insert_rowid(st->db);
            sqlite3_finalize(q);
        }
    }
    return store_txn_end(st, &t, s, err);
}

ent_status ent_store_descriptor_put(ent_store *st, int64_t structure_id, int64_t set_id,
                                    const double *x, size_t n_atoms, ent_error *err)
{
    ent_status s = store_require_writer(st, "storing descriptors", err);
    if (s != ENT_OK)
        return s;
    long long width = 0;
    sqlite3_stmt *q;
    s = store_prepare(st, "SELECT width FROM descriptor_set WHERE id = ?", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, set_id);
    if (store_step(st, q) == SQLITE_ROW)
        width = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (width <= 0)
        return ent_error_set(err, ENT_EINVAL, "no descriptor set %lld", (long long)set_id);
    size_t nv = n_atoms * (size_t)width;
    void *own = NULL;
    const void *blob = store_f64_encode(x, nv, &own);
    if (!blob)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    s = store_prepare(st,
                      "INSERT OR REPLACE INTO descriptor (structure_id, set_id, data) "
                      "VALUES (?, ?, ?)",
                      &q, err);
    if (s == ENT_OK) {
        sqlite3_bind_int64(q, 1, structure_id);
        sqlite3_bind_int64(q, 2, set_id);
        sqlite3_bind_blob64(q, 3, blob, 8 * nv, SQLITE_STATIC);
        s = store_step_done(st, q, "storing descriptors", err);
        sqlite3_finalize(q);
    }
    free(own);
    return s;
}

ent_status ent_store_descriptor_get(ent_store *st, int64_t structure_id, int64_t set_id,
                                    double *out, size_t n_atoms, int *found, ent_error *err)
{
    *found = 0;
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st,
        "SELECT d.data, t.width FROM descriptor d JOIN descriptor_set t ON t.id = d.set_id "
        "WHERE d.structure_id = ? AND d.set_id = ?",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, structure_id);
    sqlite3_bind_int64(q, 2, set_id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        size_t bytes = (size_t)sqlite3_column_bytes(q, 0);
        size_t width = (size_t)sqlite3_column_int64(q, 1);
        if (bytes != 8 * n_atoms * width)
            s = ent_error_set(err, ENT_EPARSE,
                              "%s: descriptors of structure %lld: %zu bytes, expected %zu",
                              st->path, (long long)structure_id, bytes,
                              8 * n_atoms * width);
        else {
            store_f64_decode(sqlite3_column_blob(q, 0), n_atoms * width, out);
            *found = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading descriptors");
    }
    sqlite3_finalize(q);
    return s;
}

/* ---------------------------------------------------------------------------------------
 * dH against everything labelled, streamed */

typedef struct dh_job {
    const double *y;
    size_t m, d, nh;
    const double *h;
    double *acc, *part; /* m x nh running sums, one chunk's sums */
    double *chunk;      /* cap x d */
    size_t rows, cap;
} dh_job;

static ent_status dh_flush(dh_job *j, ent_store_dh_stats *stats, ent_error *err)
{
    if (!j->rows)
        return ENT_OK;
    ent_status s =
        ent_kernel_sum(j->y, j->m, j->chunk, j->rows, j->d, j->h, j->nh, j->part, err);
    if (s != ENT_OK)
        return s;
    for (size_t i = 0; i < j->m * j->nh; i++)
        j->acc[i] += j->part[i];
    stats->chunks++;
    if (j->rows > stats->peak_chunk_rows)
        stats->peak_chunk_rows = j->rows;
    j->rows = 0;
    return ENT_OK;
}

ent_status ent_store_dh_against_labelled(ent_store *st, int64_t set_id, const double *y,
                                         size_t m, const double *h, size_t nh,
                                         size_t chunk_rows, double *out,
                                         ent_store_dh_stats *stats, ent_error *err)
{
    ent_store_dh_stats local = {0};
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!st || (m && (!y || !out)) || !h || nh == 0)
        return ent_error_set(err, ENT_EINVAL, "dh_against_labelled: bad arguments");
    store_txn t;
    ent_status s = store_txn_begin(st, 0, &t, err);
    if (s != ENT_OK)
        return s;
    long long width = 0;
    sqlite3_stmt *q = NULL;
    s = store_prepare(st, "SELECT width FROM descriptor_set WHERE id = ?", &q, err);
    if (s == ENT_OK) {
        sqlite3_bind_int64(q, 1, set_id);
        if (store_step(st, q) == SQLITE_ROW)
            width = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        q = NULL;
        if (width <= 0)
            s = ent_error_set(err, ENT_EINVAL, "%s: no descriptor set %lld", st->path,
                              (long long)set_id);
    }
    dh_job j = {.y = y, .m = m, .d = (size_t)width, .nh = nh, .h = h};
    j.cap = chunk_rows ? chunk_rows : 65536;
    if (s == ENT_OK) {
        j.acc = calloc(m * nh + 1, sizeof *j.acc);
        j.part = malloc((m * nh + 1) * sizeof *j.part);
        j.chunk = malloc(j.cap * j.d * sizeof *j.chunk);
        if (!j.acc || !j.part || !j.chunk)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory for dH chunks");
    }
    /* LEFT JOIN: a labelled structure without descriptors in this set is an error, not a
     * silent gap in the reference. */
    if (s == ENT_OK)
        s = store_prepare(
            st,
            "SELECT s.id, s.n_atoms, d.data FROM structure s LEFT JOIN descriptor d "
            "ON d.structure_id = s.id AND d.set_id = ? "
            "WHERE s.status = 'labelled' AND " STORE_VISIBLE " ORDER BY s.id",
            &q, err);
    if (s == ENT_OK) {
        sqlite3_bind_int64(q, 1, set_id);
        int rc;
        while (s == ENT_OK && (rc = store_step(st, q)) == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_int64(q, 1);
            const void *blob = sqlite3_column_blob(q, 2);
            size_t bytes = (size_t)sqlite3_column_bytes(q, 2);
            if (!blob && n) {
                s = ent_error_set(
                    err, ENT_EINVAL,
                    "%s: labelled structure %lld has no descriptors in set %lld; "
                    "store them first (they are never recomputed here)",
                    st->path, (long long)sqlite3_column_int64(q, 0), (long long)set_id);
                break;
            }
            if (bytes != 8 * n * j.d) {
                s = ent_error_set(err, ENT_EPARSE,
                                  "%s: descriptors of structure %lld: bad size", st->path,
                                  (long long)sqlite3_column_int64(q, 0));
                break;
            }
            /* A structure larger than a chunk is summed on its own from a bigger buffer. */
            if (n > j.cap) {
                s = dh_flush(&j, stats, err);
                double *p = s == ENT_OK ? realloc(j.chunk, n * j.d * sizeof *p) : NULL;
                if (s == ENT_OK && !p)
                    s = ent_error_set(err, ENT_ENOMEM, "out of memory for dH chunks");
                if (p) {
                    j.chunk = p;
                    j.cap = n;
                }
            } else if (j.rows + n > j.cap) {
                s = dh_flush(&j, stats, err);
            }
            if (s != ENT_OK)
                break;
            store_f64_decode(blob, n * j.d, j.chunk + j.rows * j.d);
            j.rows += n;
            stats->reference_envs += n;
            stats->reference_structures++;
        }
        if (s == ENT_OK && rc != SQLITE_DONE)
            s = store_sqlite_error(st, rc, err, "reading labelled descriptors");
        if (s == ENT_OK)
            s = dh_flush(&j, stats, err);
    }
    sqlite3_finalize(q);
    if (s == ENT_OK)
        for (size_t i = 0; i < m * nh; i++)
            out[i] = j.acc[i] > 0 ? -log(j.acc[i]) : INFINITY;
    free(j.acc);
    free(j.part);
    free(j.chunk);
    return store_txn_end(st, &t, s, err);
}
