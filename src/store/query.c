/* Reports over the whole campaign: the per-generation summary behind `entrain status`
 * and a structure's lineage behind `entrain audit`. Each runs in one read snapshot, so
 * the numbers agree with each other even while a writer works. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

static double column_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* Row of generation g in rows (sorted by generation), appended when missing. */
static ent_store_gen_summary *gen_row(ent_store_gen_summary **rows, size_t *n, size_t *cap,
                                      long g)
{
    for (size_t i = 0; i < *n; i++)
        if ((*rows)[i].generation == g)
            return &(*rows)[i];
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        ent_store_gen_summary *p = realloc(*rows, c * sizeof *p);
        if (!p)
            return NULL;
        *rows = p;
        *cap = c;
    }
    ent_store_gen_summary *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    r->generation = g;
    strcpy(r->phase, "-");
    r->entropy = r->diversity = r->novelty = NAN;
    return r;
}

static int gen_cmp(const void *a, const void *b)
{
    long x = ((const ent_store_gen_summary *)a)->generation;
    long y = ((const ent_store_gen_summary *)b)->generation;
    return (x > y) - (x < y);
}

enum { Q_GEN, Q_STRUCT, Q_METRIC, Q_JOB, N_Q };

static const char *const summary_sql[N_Q] = {
    "SELECT id, phase FROM generation",
    "SELECT s.generation, s.status, count(*), sum(s.n_atoms) FROM structure s "
    "WHERE " STORE_VISIBLE " GROUP BY 1, 2",
    "SELECT generation, entropy, diversity, novelty FROM metric",
    "SELECT generation, state, count(*) FROM job WHERE generation IS NOT NULL GROUP BY 1, "
    "2",
};

ent_status ent_store_summary(ent_store *st, ent_store_gen_summary **rows, size_t *n,
                             size_t *running_imports, ent_error *err)
{
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    store_txn t;
    ent_status s = store_txn_begin(st, 0, &t, err);
    for (int k = 0; k < N_Q && s == ENT_OK; k++) {
        sqlite3_stmt *q;
        if ((s = store_prepare(st, summary_sql[k], &q, err)) != ENT_OK)
            break;
        int rc;
        while (s == ENT_OK && (rc = store_step(st, q)) == SQLITE_ROW) {
            ent_store_gen_summary *r =
                gen_row(rows, n, &cap, (long)sqlite3_column_int64(q, 0));
            if (!r) {
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                break;
            }
            const char *name = (const char *)sqlite3_column_text(q, 1);
            int i;
            switch (k) {
            case Q_GEN: store_column_text(q, 1, r->phase, sizeof r->phase); break;
            case Q_STRUCT:
                i = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, name);
                if (i >= 0)
                    r->n_status[i] += (size_t)sqlite3_column_int64(q, 2);
                r->n_structures += (size_t)sqlite3_column_int64(q, 2);
                r->n_environments += (size_t)sqlite3_column_int64(q, 3);
                break;
            case Q_METRIC:
                r->has_metric = 1;
                r->entropy = column_real(q, 1);
                r->diversity = column_real(q, 2);
                r->novelty = column_real(q, 3);
                break;
            case Q_JOB:
                i = ent_store_name_index(ent_store_job_state_names, ENT_STORE_N_JOB_STATES,
                                         name);
                if (i >= 0)
                    r->n_jobs[i] += (size_t)sqlite3_column_int64(q, 2);
                break;
            }
        }
        if (s == ENT_OK && rc != SQLITE_DONE)
            s = store_sqlite_error(st, rc, err, "summarising the campaign");
        sqlite3_finalize(q);
    }
    long long running = 0;
    if (s == ENT_OK)
        s = store_query_int(st, "SELECT count(*) FROM import WHERE state = 'running'",
                            &running, err);
    s = store_txn_end(st, &t, s, err);
    if (s != ENT_OK) {
        free(*rows);
        *rows = NULL;
        *n = 0;
        return s;
    }
    if (*n)
        qsort(*rows, *n, sizeof **rows, gen_cmp);
    if (running_imports)
        *running_imports = (size_t)running;
    return ENT_OK;
}

/* ---------------------------------------------------------------------------------------
 * Audit */

/* Grow *arr (elements of size es) to hold one more; NULL on OOM. */
static void *grow(void **arr, size_t *n, size_t es)
{
    void *p = realloc(*arr, (*n + 1) * es);
    if (!p)
        return NULL;
    *arr = p;
    memset((char *)p + *n * es, 0, es);
    return (char *)p + (*n)++ * es;
}

static ent_status audit_job(ent_store *st, int64_t id, ent_store_audit_job *j, int *has,
                            ent_error *err)
{
    *has = 0;
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st, "SELECT id, kind, backend, state, argv, exit_code FROM job WHERE id = ?", &q,
        err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        *has = 1;
        j->id = sqlite3_column_int64(q, 0);
        store_column_text(q, 1, j->kind, sizeof j->kind);
        store_column_text(q, 2, j->backend, sizeof j->backend);
        store_column_text(q, 3, j->state, sizeof j->state);
        store_column_text(q, 4, j->argv, sizeof j->argv);
        j->has_exit_code = sqlite3_column_type(q, 5) != SQLITE_NULL;
        j->exit_code = sqlite3_column_int(q, 5);
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading a job");
    }
    sqlite3_finalize(q);
    return s;
}

enum { A_IMPORT, A_SCORE, A_DECISION, A_NLABELS, A_TRAIN, A_DESC, N_A };

static const char *const audit_sql[N_A] = {
    "SELECT files FROM import WHERE id = (SELECT import_id FROM structure WHERE id = ?1)",
    "SELECT generation, bandwidth, threshold, dh_min, dh_mean, dh_max, frac_novel, n_inf, "
    "reference_envs, reference_structures, created FROM score WHERE structure_id = ?1 "
    "ORDER BY id",
    "SELECT generation, kind, reason, recipe_hash, created FROM decision WHERE "
    "structure_id = ?1 "
    "ORDER BY id",
    "SELECT count(*) FROM label WHERE structure_id = ?1",
    "SELECT generation FROM train_set WHERE structure_id = ?1 ORDER BY generation",
    "SELECT t.k, t.cutoff, t.species, t.quests_compat, t.width FROM descriptor d JOIN "
    "descriptor_set t ON t.id = d.set_id WHERE d.structure_id = ?1 ORDER BY t.id",
};

static ent_status audit_row(sqlite3_stmt *q, int k, ent_store_audit *a, ent_error *err)
{
    switch (k) {
    case A_IMPORT: store_column_text(q, 0, a->import_files, sizeof a->import_files); break;
    case A_SCORE: {
        ent_store_audit_score *r = grow((void **)&a->scores, &a->n_scores, sizeof *r);
        if (!r)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        r->generation = (long)sqlite3_column_int64(q, 0);
        r->bandwidth = column_real(q, 1);
        r->threshold = column_real(q, 2);
        r->dh_min = column_real(q, 3);
        r->dh_mean = column_real(q, 4);
        r->dh_max = column_real(q, 5);
        r->frac_novel = column_real(q, 6);
        r->n_inf = (size_t)sqlite3_column_int64(q, 7);
        r->reference_envs = (size_t)sqlite3_column_int64(q, 8);
        r->reference_structures = (size_t)sqlite3_column_int64(q, 9);
        store_column_text(q, 10, r->created, sizeof r->created);
        break;
    }
    case A_DECISION: {
        ent_store_audit_decision *r =
            grow((void **)&a->decisions, &a->n_decisions, sizeof *r);
        if (!r)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        r->generation = (long)sqlite3_column_int64(q, 0);
        store_column_text(q, 1, r->kind, sizeof r->kind);
        store_column_text(q, 2, r->reason, sizeof r->reason);
        store_column_text(q, 3, r->recipe_hash, sizeof r->recipe_hash);
        store_column_text(q, 4, r->created, sizeof r->created);
        break;
    }
    case A_NLABELS: a->n_labels = (size_t)sqlite3_column_int64(q, 0); break;
    case A_TRAIN: {
        long *r = grow((void **)&a->train_generations, &a->n_train_generations, sizeof *r);
        if (!r)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        *r = (long)sqlite3_column_int64(q, 0);
        break;
    }
    case A_DESC: {
        ent_store_audit_descriptor *r =
            grow((void **)&a->descriptors, &a->n_descriptors, sizeof *r);
        if (!r)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        r->k = sqlite3_column_int(q, 0);
        r->cutoff = sqlite3_column_double(q, 1);
        store_column_text(q, 2, r->species, sizeof r->species);
        r->quests_compat = sqlite3_column_int(q, 3);
        r->width = (size_t)sqlite3_column_int64(q, 4);
        break;
    }
    }
    return ENT_OK;
}

ent_status ent_store_audit_get(ent_store *st, int64_t id, ent_store_audit *a,
                               ent_error *err)
{
    memset(a, 0, sizeof *a);
    store_txn t;
    ent_status s = store_txn_begin(st, 0, &t, err);
    if (s == ENT_OK)
        s = ent_store_structure_get(st, id, NULL, &a->info, err);
    for (int k = 0; k < N_A && s == ENT_OK; k++) {
        if (k == A_TRAIN && st->version < 2)
            continue;
        sqlite3_stmt *q;
        if ((s = store_prepare(st, audit_sql[k], &q, err)) != ENT_OK)
            break;
        sqlite3_bind_int64(q, 1, id);
        int rc;
        while (s == ENT_OK && (rc = store_step(st, q)) == SQLITE_ROW)
            s = audit_row(q, k, a, err);
        if (s == ENT_OK && rc != SQLITE_DONE)
            s = store_sqlite_error(st, rc, err, "auditing a structure");
        sqlite3_finalize(q);
    }
    if (s == ENT_OK && a->info.parent_job)
        s = audit_job(st, a->info.parent_job, &a->parent_job, &a->has_parent_job, err);
    if (s == ENT_OK)
        s = ent_store_label_latest(st, id, &a->label, &a->has_label, err);
    if (s == ENT_OK && a->has_label && a->label.job_id)
        s = audit_job(st, a->label.job_id, &a->label_job, &a->has_label_job, err);
    s = store_txn_end(st, &t, s, err);
    if (s != ENT_OK)
        ent_store_audit_clear(a);
    return s;
}

void ent_store_audit_clear(ent_store_audit *a)
{
    if (!a)
        return;
    free(a->scores);
    free(a->decisions);
    free(a->train_generations);
    free(a->descriptors);
    ent_store_label_rec_clear(&a->label);
    memset(a, 0, sizeof *a);
}
