/* The engine's campaign bookkeeping beyond records.c: the campaign row (the campaign file's
 * text and hash, so `entrain resume DB` needs nothing else), a generation's phase and RNG
 * seed, the latest generation, and the origin of structures the engine ingested through
 * an import (imports mark everything 'imported'; the engine relabels its own 'explored'). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

ent_status ent_store_campaign_put(ent_store *st, const char *name, const char *text,
                                  const char *hash, const char *recipe_text,
                                  const char *recipe_hash, const char *params,
                                  ent_error *err)
{
    ent_status s = store_require_writer(st, "recording the campaign", err);
    if (s != ENT_OK)
        return s;
    if (!name)
        return ent_error_set(err, ENT_EINVAL, "campaign name is NULL");
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(st,
                      "INSERT INTO campaign (id, name, created, campaign_text, campaign_hash,"
                      " recipe_text, recipe_hash, params) VALUES (1, ?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                      " campaign_text = excluded.campaign_text,"
                      " campaign_hash = excluded.campaign_hash,"
                      " recipe_text = excluded.recipe_text,"
                      " recipe_hash = excluded.recipe_hash, params = excluded.params",
                      &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, recipe_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, recipe_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, params, -1, SQLITE_STATIC);
    s = store_step_done(st, q, "recording the campaign", err);
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_campaign_text(ent_store *st, char **text, char hash[65], int *found,
                                   ent_error *err)
{
    *found = 0;
    *text = NULL;
    if (hash)
        hash[0] = '\0';
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st, "SELECT campaign_text, campaign_hash FROM campaign WHERE id = 1", &q, err);
    if (s != ENT_OK)
        return s;
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
        const char *t = (const char *)sqlite3_column_text(q, 0);
        *text = strdup(t ? t : "");
        if (!*text)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        else
            *found = 1;
        if (hash)
            store_column_text(q, 1, hash, 65);
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading the campaign");
    }
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_generation_get(ent_store *st, long generation, char phase[24],
                                    uint64_t *seed, int *has_seed, int *found,
                                    ent_error *err)
{
    *found = 0;
    if (has_seed)
        *has_seed = 0;
    sqlite3_stmt *q;
    ent_status s =
        store_prepare(st, "SELECT phase, rng_seed FROM generation WHERE id = ?", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, generation);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        *found = 1;
        store_column_text(q, 0, phase, 24);
        if (sqlite3_column_type(q, 1) != SQLITE_NULL) {
            if (seed)
                *seed = (uint64_t)sqlite3_column_int64(q, 1);
            if (has_seed)
                *has_seed = 1;
        }
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading a generation");
    }
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_generation_last(ent_store *st, long *generation, int *found,
                                     ent_error *err)
{
    long long n = 0, mx = 0;
    ent_status s = store_query_int(st, "SELECT count(*) FROM generation", &n, err);
    if (s == ENT_OK && n > 0)
        s = store_query_int(st, "SELECT max(id) FROM generation", &mx, err);
    if (s != ENT_OK)
        return s;
    *found = n > 0;
    *generation = (long)mx;
    return ENT_OK;
}

ent_status ent_store_generation_set_seed(ent_store *st, long generation, uint64_t seed,
                                         ent_error *err)
{
    ent_status s = store_require_writer(st, "storing a generation's seed", err);
    if (s != ENT_OK)
        return s;
    sqlite3_stmt *q;
    s = store_prepare(st, "UPDATE generation SET rng_seed = ? WHERE id = ?", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)seed);
    sqlite3_bind_int64(q, 2, generation);
    s = store_step_done(st, q, "storing a generation's seed", err);
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_generation_finish(ent_store *st, long generation, ent_error *err)
{
    ent_status s = store_require_writer(st, "finishing a generation", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(st, "UPDATE generation SET finished = ? WHERE id = ?", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, generation);
    s = store_step_done(st, q, "finishing a generation", err);
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_structure_set_origin(ent_store *st, int64_t id, long generation,
                                          const char *origin, int64_t parent_job,
                                          ent_error *err)
{
    ent_status s = store_require_writer(st, "changing a structure's origin", err);
    if (s != ENT_OK)
        return s;
    sqlite3_stmt *q;
    s = store_prepare(st,
                      "UPDATE structure SET origin = ?, parent_job = ? "
                      "WHERE id = ? AND generation = ? AND origin = 'imported'",
                      &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, origin, -1, SQLITE_STATIC);
    if (parent_job > 0)
        sqlite3_bind_int64(q, 2, parent_job);
    else
        sqlite3_bind_null(q, 2);
    sqlite3_bind_int64(q, 3, id);
    sqlite3_bind_int64(q, 4, generation);
    s = store_step_done(st, q, "changing a structure's origin", err);
    sqlite3_finalize(q);
    return s;
}
