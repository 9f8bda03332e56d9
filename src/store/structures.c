/* Structures: the content hash (SHA-256 of canonical identity bytes), rows back to
 * frames, selections by generation/status/tag, species lists and status changes.
 * Inserting is import.c's (batched, invisible until the import commits). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* ---------------------------------------------------------------------------------------
 * Identity hash */

static void canon_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void canon_f64(unsigned char *p, double v)
{
    uint64_t bits;
    if (v == 0)
        v = 0; /* -0.0 and 0.0 are the same position */
    memcpy(&bits, &v, 8);
    canon_u64(p, bits);
}

/* Canonical bytes: "entrain-structure-1\0", u64 atoms, 8 bytes per species symbol (zero
 * padded), positions, 9 cell values (zeros without a cell), has_cell, pbc[3]; numbers
 * little-endian. Info and per-atom columns are deliberately not part of it: the same
 * geometry with another MD step number, temperature note or label is the same structure
 * for the data set (labels live in their own table), and counting it twice would weigh
 * its environments twice in H and dH. */
ent_status ent_store_structure_hash(ent_store *st, const ent_frame *f,
                                    unsigned char hash[ENT_STORE_HASH_SIZE], ent_error *err)
{
    static const char tag[20] = "entrain-structure-1";
    size_t n = f->n_atoms;
    if (n > (SIZE_MAX - 256) / 40)
        return ent_error_set(err, ENT_EINVAL, "structure too large to hash");
    size_t need = sizeof tag + 8 + n * 8 + n * 24 + 72 + 4;
    if (need > st->canon_cap) {
        unsigned char *p = realloc(st->canon, need);
        if (!p)
            return ent_error_set(err, ENT_ENOMEM, "out of memory hashing a structure");
        st->canon = p;
        st->canon_cap = need;
    }
    unsigned char *p = st->canon;
    memcpy(p, tag, sizeof tag);
    p += sizeof tag;
    canon_u64(p, n);
    p += 8;
    for (size_t i = 0; i < n; i++, p += 8) {
        memset(p, 0, 8);
        memcpy(p, f->species[i], strnlen(f->species[i], ENT_SYMBOL_MAX - 1));
    }
    for (size_t i = 0; i < 3 * n; i++, p += 8)
        canon_f64(p, f->positions[i]);
    for (int i = 0; i < 9; i++, p += 8)
        canon_f64(p, f->has_cell ? f->cell[i] : 0.0);
    *p++ = (unsigned char)(f->has_cell != 0);
    for (int i = 0; i < 3; i++)
        *p++ = (unsigned char)(f->pbc[i] != 0);
    unsigned int len = 0;
    if (EVP_DigestInit_ex(st->md_ctx, st->md, NULL) != 1 ||
        EVP_DigestUpdate(st->md_ctx, st->canon, (size_t)(p - st->canon)) != 1 ||
        EVP_DigestFinal_ex(st->md_ctx, hash, &len) != 1 || len != ENT_STORE_HASH_SIZE)
        return ent_error_set(err, ENT_EIO, "SHA-256 failed (OpenSSL)");
    return ENT_OK;
}

/* ---------------------------------------------------------------------------------------
 * Rows -> frames */

/* Columns s.n_atoms, s.species, s.positions, s.cell, s.pbc, s.props from col0 on. */
ent_status store_frame_from_row(ent_store *st, sqlite3_stmt *s, int col0, ent_frame **out,
                                ent_error *err)
{
    sqlite3_int64 n = sqlite3_column_int64(s, col0);
    const char *species = (const char *)sqlite3_column_text(s, col0 + 1);
    const void *pos = sqlite3_column_blob(s, col0 + 2);
    size_t pos_len = (size_t)sqlite3_column_bytes(s, col0 + 2);
    const void *cell = sqlite3_column_blob(s, col0 + 3);
    size_t cell_len = (size_t)sqlite3_column_bytes(s, col0 + 3);
    const char *pbc = (const char *)sqlite3_column_text(s, col0 + 4);
    const unsigned char *props = sqlite3_column_blob(s, col0 + 5);
    size_t props_len = (size_t)sqlite3_column_bytes(s, col0 + 5);
    if (n < 0 || pos_len != (size_t)n * 24 || (cell && cell_len != 72) || !pbc ||
        strlen(pbc) != 3 || !species)
        return ent_error_set(err, ENT_EPARSE, "%s: corrupt structure row", st->path);
    ent_frame *f = ent_frame_create((size_t)n);
    if (!f)
        return ent_error_set(err, ENT_ENOMEM, "out of memory for a %lld-atom structure",
                             (long long)n);
    ent_status ret = ENT_OK;
    const char *p = species;
    for (size_t i = 0; i < (size_t)n && ret == ENT_OK; i++) {
        size_t len = strcspn(p, " ");
        if (len == 0 || len >= ENT_SYMBOL_MAX)
            ret = ent_error_set(err, ENT_EPARSE, "%s: corrupt species list", st->path);
        else {
            memcpy(f->species[i], p, len);
            p += len + (p[len] == ' ');
        }
    }
    if (ret == ENT_OK) {
        store_f64_decode(pos, 3 * (size_t)n, f->positions);
        if (cell) {
            store_f64_decode(cell, 9, f->cell);
            f->has_cell = 1;
        }
        for (int i = 0; i < 3; i++)
            f->pbc[i] = pbc[i] == 'T';
        if (props && props_len)
            ret = store_props_decode(props, props_len, f, err);
    }
    if (ret != ENT_OK) {
        ent_frame_destroy(f);
        return ret;
    }
    *out = f;
    return ENT_OK;
}

#define FRAME_COLS "s.n_atoms, s.species, s.positions, s.cell, s.pbc, s.props"

ent_status ent_store_structure_get(ent_store *st, int64_t id, ent_frame **frame,
                                   ent_store_structure_info *info, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st,
        "SELECT " FRAME_COLS ", s.hash, s.origin, s.generation, s.status, s.status_reason, "
        "s.tag, s.source, s.frame_index, s.import_id, s.parent_job, s.created "
        "FROM structure s WHERE s.id = ? AND " STORE_VISIBLE,
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, id);
    int rc = store_step(st, q);
    if (rc == SQLITE_DONE)
        s = ent_error_set(err, ENT_EINVAL, "%s: no structure with id %lld", st->path,
                          (long long)id);
    else if (rc != SQLITE_ROW)
        s = store_sqlite_error(st, rc, err, "reading a structure");
    if (s == ENT_OK && info) {
        memset(info, 0, sizeof *info);
        info->id = id;
        info->n_atoms = (size_t)sqlite3_column_int64(q, 0);
        if (sqlite3_column_bytes(q, 6) == ENT_STORE_HASH_SIZE)
            memcpy(info->hash, sqlite3_column_blob(q, 6), ENT_STORE_HASH_SIZE);
        store_column_text(q, 7, info->origin, sizeof info->origin);
        info->generation = (long)sqlite3_column_int64(q, 8);
        store_column_text(q, 9, info->status, sizeof info->status);
        store_column_text(q, 10, info->status_reason, sizeof info->status_reason);
        store_column_text(q, 11, info->tag, sizeof info->tag);
        store_column_text(q, 12, info->source, sizeof info->source);
        info->frame_index = sqlite3_column_type(q, 13) == SQLITE_NULL
                                ? -1
                                : (long)sqlite3_column_int64(q, 13);
        info->import_id = sqlite3_column_int64(q, 14);
        info->parent_job = sqlite3_column_int64(q, 15);
        store_column_text(q, 16, info->created, sizeof info->created);
    }
    if (s == ENT_OK && frame)
        s = store_frame_from_row(st, q, 0, frame, err);
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_structure_size(ent_store *st, int64_t id, size_t *n_atoms,
                                    double *volume, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s =
        store_prepare(st, "SELECT n_atoms, cell, pbc FROM structure WHERE id = ?", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        *n_atoms = (size_t)sqlite3_column_int64(q, 0);
        *volume = 0;
        const char *pbc = (const char *)sqlite3_column_text(q, 2);
        if (sqlite3_column_bytes(q, 1) == 72 && pbc && !strcmp(pbc, "TTT")) {
            double c[9];
            store_f64_decode(sqlite3_column_blob(q, 1), 9, c);
            *volume = fabs(c[0] * (c[4] * c[8] - c[5] * c[7]) -
                           c[1] * (c[3] * c[8] - c[5] * c[6]) +
                           c[2] * (c[3] * c[7] - c[4] * c[6]));
        }
    } else {
        s = rc == SQLITE_DONE
                ? ent_error_set(err, ENT_EINVAL, "%s: no structure with id %lld", st->path,
                                (long long)id)
                : store_sqlite_error(st, rc, err, "reading a structure");
    }
    sqlite3_finalize(q);
    return s;
}

/* ---------------------------------------------------------------------------------------
 * Selections */

/* "SELECT <what> FROM structure s WHERE visible [AND ...]" for a filter; bind with
 * bind_filter. */
static ent_status filter_prepare(ent_store *st, const char *what, const ent_store_filter *f,
                                 const char *tail, sqlite3_stmt **q, ent_error *err)
{
    if (f && f->status &&
        ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, f->status) < 0)
        return ent_error_set(
            err, ENT_EINVAL,
            "unknown structure status '%s' (candidate, selected, labelled, "
            "rejected, dropped)",
            f->status);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM structure s WHERE " STORE_VISIBLE "%s%s%s %s",
             what, f && f->has_generation ? " AND s.generation = :gen" : "",
             f && f->status ? " AND s.status = :status" : "",
             f && f->tag ? " AND s.tag = :tag" : "", tail);
    ent_status s = store_prepare(st, sql, q, err);
    if (s != ENT_OK || !f)
        return s;
    if (f->has_generation)
        sqlite3_bind_int64(*q, sqlite3_bind_parameter_index(*q, ":gen"), f->generation);
    if (f->status)
        sqlite3_bind_text(*q, sqlite3_bind_parameter_index(*q, ":status"), f->status, -1,
                          SQLITE_STATIC);
    if (f->tag)
        sqlite3_bind_text(*q, sqlite3_bind_parameter_index(*q, ":tag"), f->tag, -1,
                          SQLITE_STATIC);
    return ENT_OK;
}

ent_status ent_store_structure_ids(ent_store *st, const ent_store_filter *f, int64_t **ids,
                                   size_t *n, ent_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *q;
    ent_status s = filter_prepare(st, "s.id", f, "ORDER BY s.id", &q, err);
    if (s != ENT_OK)
        return s;
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            int64_t *p = realloc(*ids, cap * sizeof *p);
            if (!p) {
                s = ent_error_set(err, ENT_ENOMEM, "out of memory listing structures");
                break;
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    if (s == ENT_OK && rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, "listing structures");
    sqlite3_finalize(q);
    if (s != ENT_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return s;
}

static int sym_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ent_status ent_store_species(ent_store *st, const ent_store_filter *f, char **species,
                             ent_error *err)
{
    *species = NULL;
    sqlite3_stmt *q;
    ent_status s = filter_prepare(st, "DISTINCT s.species", f, "", &q, err);
    if (s != ENT_OK)
        return s;
    char **syms = NULL;
    size_t n = 0, cap = 0, total = 1;
    int rc;
    while (s == ENT_OK && (rc = store_step(st, q)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(q, 0);
        while (p && *p && s == ENT_OK) {
            size_t len = strcspn(p, " ");
            int seen = 0;
            for (size_t i = 0; i < n && !seen; i++)
                seen = strlen(syms[i]) == len && !memcmp(syms[i], p, len);
            if (!seen && len) {
                char **g =
                    n == cap ? realloc(syms, (cap = cap ? 2 * cap : 16) * sizeof *g) : syms;
                char *sym = g ? strndup(p, len) : NULL;
                if (g)
                    syms = g;
                if (!sym)
                    s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                else {
                    syms[n++] = sym;
                    total += len + 1;
                }
            }
            p += len + (p[len] == ' ');
        }
    }
    if (s == ENT_OK && rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, "listing species");
    sqlite3_finalize(q);
    char *out = s == ENT_OK ? calloc(1, total) : NULL;
    if (s == ENT_OK && !out)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK) {
        qsort(syms, n, sizeof *syms, sym_cmp);
        for (size_t i = 0; i < n; i++) {
            if (i)
                strcat(out, " ");
            strcat(out, syms[i]);
        }
        *species = out;
    }
    for (size_t i = 0; i < n; i++)
        free(syms[i]);
    free(syms);
    return s;
}

ent_status ent_store_structure_set_status(ent_store *st, int64_t id, const char *status,
                                          const char *reason, ent_error *err)
{
    ent_status s = store_require_writer(st, "changing a structure's status", err);
    if (s != ENT_OK)
        return s;
    if (ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, status) < 0)
        return ent_error_set(err, ENT_EINVAL, "unknown structure status '%s'",
                             status ? status : "(null)");
    sqlite3_stmt *u;
    s = store_prepare(st, "UPDATE structure SET status = ?, status_reason = ? WHERE id = ?",
                      &u, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(u, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(u, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(u, 3, id);
    s = store_step_done(st, u, "changing a structure's status", err);
    if (s == ENT_OK && sqlite3_changes(st->db) == 0)
        s = ent_error_set(err, ENT_EINVAL, "%s: no structure with id %lld", st->path,
                          (long long)id);
    sqlite3_finalize(u);
    return s;
}
