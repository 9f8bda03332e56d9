/* Read-only queries behind `entrain report`: the campaign row, per-generation metrics,
 * candidate scores, jobs with wall times, decision counts and the campaign-level decisions
 * (drop/stop/continue), all read in one snapshot by ent_store_report_get. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

const char *const ent_store_decision_kind_names[ENT_STORE_N_DECISION_KINDS] = {
    "select", "reject", "drop", "stop", "continue"};

static double col_double(sqlite3_stmt *q, int c)
{
    return sqlite3_column_type(q, c) == SQLITE_NULL ? NAN : sqlite3_column_double(q, c);
}

static char *col_dup(sqlite3_stmt *q, int c, int *oom)
{
    if (sqlite3_column_type(q, c) == SQLITE_NULL)
        return NULL;
    const char *t = (const char *)sqlite3_column_text(q, c);
    char *d = t ? strdup(t) : NULL;
    if (t && !d)
        *oom = 1;
    return d;
}

/* Grow *arr (of elem bytes) to hold at least n + 1 elements. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, c * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

typedef int (*row_fn)(sqlite3_stmt *q, void *slot);

/* Run sql, appending one element per row through fn. */
static ent_status collect(ent_store *st, const char *sql, const char *what, size_t elem,
                          row_fn fn, void **arr, size_t *n, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st, sql, &q, err);
    if (s != ENT_OK)
        return s;
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        if (grow(arr, &cap, *n, elem) != 0) {
            sqlite3_finalize(q);
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory reading %s", st->path,
                                 what);
        }
        void *slot = (char *)*arr + *n * elem;
        memset(slot, 0, elem);
        if (fn(q, slot) != 0) {
            sqlite3_finalize(q);
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory reading %s", st->path,
                                 what);
        }
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, what);
    sqlite3_finalize(q);
    return s;
}

static int metric_row(sqlite3_stmt *q, void *slot)
{
    ent_store_report_metric *m = slot;
    m->generation = (long)sqlite3_column_int64(q, 0);
    m->bandwidth = col_double(q, 1);
    m->entropy = col_double(q, 2);
    m->diversity = col_double(q, 3);
    m->novelty = col_double(q, 4);
    m->info_gap = col_double(q, 5);
    m->n_structures =
        sqlite3_column_type(q, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 6);
    m->n_environments =
        sqlite3_column_type(q, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 7);
    m->wall_seconds = col_double(q, 8);
    return 0;
}

static int score_row(sqlite3_stmt *q, void *slot)
{
    ent_store_report_score *r = slot;
    r->generation = (long)sqlite3_column_int64(q, 0);
    r->structure_id = sqlite3_column_int64(q, 1);
    r->threshold = col_double(q, 2);
    r->dh_min = col_double(q, 3);
    r->dh_mean = col_double(q, 4);
    r->dh_max = col_double(q, 5);
    r->frac_novel = col_double(q, 6);
    return 0;
}

static int job_row(sqlite3_stmt *q, void *slot)
{
    ent_store_report_job *j = slot;
    j->id = sqlite3_column_int64(q, 0);
    j->generation =
        sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(q, 1);
    store_column_text(q, 2, j->kind, sizeof j->kind);
    store_column_text(q, 3, j->state, sizeof j->state);
    j->wall_seconds = col_double(q, 4);
    store_column_text(q, 5, j->error, sizeof j->error);
    return 0;
}

static int event_row(sqlite3_stmt *q, void *slot)
{
    ent_store_report_event *e = slot;
    e->generation = (long)sqlite3_column_int64(q, 0);
    e->structure_id = sqlite3_column_int64(q, 1);
    store_column_text(q, 2, e->kind, sizeof e->kind);
    store_column_text(q, 3, e->reason, sizeof e->reason);
    store_column_text(q, 4, e->recipe_hash, sizeof e->recipe_hash);
    return 0;
}

static ent_status read_campaign(ent_store *st, ent_store_report *r, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st,
                                 "SELECT name, campaign_text, campaign_hash, recipe_hash, "
                                 "params, created FROM campaign WHERE id = 1",
                                 &q, err);
    if (s != ENT_OK)
        return s;
    int rc = store_step(st, q), oom = 0;
    if (rc == SQLITE_ROW) {
        r->has_campaign = 1;
        store_column_text(q, 0, r->name, sizeof r->name);
        r->campaign_text = col_dup(q, 1, &oom);
        store_column_text(q, 2, r->campaign_hash, sizeof r->campaign_hash);
        store_column_text(q, 3, r->recipe_hash, sizeof r->recipe_hash);
        r->params = col_dup(q, 4, &oom);
        store_column_text(q, 5, r->created, sizeof r->created);
        if (oom)
            s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory reading the campaign",
                              st->path);
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading the campaign");
    }
    sqlite3_finalize(q);
    return s;
}

/* Decision counts per generation, folded from (generation, kind, count) rows. */
static ent_status read_decision_counts(ent_store *st, ent_store_report *r, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st,
                                 "SELECT generation, kind, count(*) FROM decision "
                                 "GROUP BY generation, kind ORDER BY generation",
                                 &q, err);
    if (s != ENT_OK)
        return s;
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        long g = (long)sqlite3_column_int64(q, 0);
        if (r->n_decisions == 0 || r->decisions[r->n_decisions - 1].generation != g) {
            if (grow((void **)&r->decisions, &cap, r->n_decisions, sizeof *r->decisions)) {
                s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", st->path);
                break;
            }
            memset(&r->decisions[r->n_decisions], 0, sizeof *r->decisions);
            r->decisions[r->n_decisions++].generation = g;
        }
        int k =
            ent_store_name_index(ent_store_decision_kind_names, ENT_STORE_N_DECISION_KINDS,
                                 (const char *)sqlite3_column_text(q, 1));
        if (k >= 0)
            r->decisions[r->n_decisions - 1].n[k] += (size_t)sqlite3_column_int64(q, 2);
    }
    if (s == ENT_OK && rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, "counting decisions");
    sqlite3_finalize(q);
    return s;
}

void ent_store_report_clear(ent_store_report *r)
{
    if (!r)
        return;
    free(r->campaign_text);
    free(r->params);
    free(r->gens);
    free(r->metrics);
    free(r->scores);
    free(r->jobs);
    free(r->events);
    free(r->decisions);
    memset(r, 0, sizeof *r);
}

ent_status ent_store_report_get(ent_store *st, ent_store_report *r, ent_error *err)
{
    if (!st || !r)
        return ent_error_set(err, ENT_EINVAL, "ent_store_report_get: NULL argument");
    memset(r, 0, sizeof *r);
    store_txn t;
    ent_status s = store_txn_begin(st, 0, &t, err);
    if (s != ENT_OK)
        return s;
    size_t running = 0;
    s = ent_store_summary(st, &r->gens, &r->n_gens, &running, err);
    if (s == ENT_OK)
        s = read_campaign(st, r, err);
    if (s == ENT_OK)
        s = collect(st,
                    "SELECT generation, bandwidth, entropy, diversity, novelty, info_gap, "
                    "n_structures, n_environments, wall_seconds FROM metric "
                    "ORDER BY generation",
                    "metrics", sizeof *r->metrics, metric_row, (void **)&r->metrics,
                    &r->n_metrics, err);
    if (s == ENT_OK)
        s = collect(
            st,
            "SELECT c.generation, c.structure_id, c.threshold, c.dh_min, c.dh_mean, "
            "c.dh_max, c.frac_novel FROM score c JOIN structure s ON s.id = "
            "c.structure_id WHERE " STORE_VISIBLE
            " ORDER BY c.generation, c.structure_id, c.id",
            "scores", sizeof *r->scores, score_row, (void **)&r->scores, &r->n_scores, err);
    if (s == ENT_OK)
        s = collect(st,
                    "SELECT id, generation, kind, state, CASE WHEN started IS NOT NULL AND "
                    "finished IS NOT NULL THEN (julianday(finished) - julianday(started)) "
                    "* 86400.0 END, error FROM job ORDER BY id",
                    "jobs", sizeof *r->jobs, job_row, (void **)&r->jobs, &r->n_jobs, err);
    if (s == ENT_OK)
        s = collect(st,
                    "SELECT generation, coalesce(structure_id, 0), kind, reason, "
                    "recipe_hash FROM decision WHERE kind NOT IN ('select','reject') "
                    "ORDER BY id",
                    "decisions", sizeof *r->events, event_row, (void **)&r->events,
                    &r->n_events, err);
    if (s == ENT_OK)
        s = read_decision_counts(st, r, err);
    s = store_txn_end(st, &t, s, err);
    if (s != ENT_OK)
        ent_store_report_clear(r);
    return s;
}
