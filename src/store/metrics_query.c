/* Per-generation statistics the engine's metrics step records (QUESTS_MATH.md §10): the
 * candidates' per-frame dH spread, the novelty of the data labelled in the generation,
 * job outcomes and wall times. Read-only queries over score, structure, job and
 * generation; callers hold the transaction they want. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

static double col_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* Candidates' scores: per-frame mean dH averaged over frames and its spread (population
 * standard deviation), the largest dH, and the pooled novelty of the structures labelled
 * in this generation (their environments' frac_novel weighted by n_atoms). */
static ent_status score_stats(ent_store *st, long g, ent_store_gen_stats *out,
                              ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st,
                                 "SELECT sc.dh_mean, sc.dh_max, sc.frac_novel, s.n_atoms, "
                                 "s.status FROM score sc JOIN structure s ON s.id = "
                                 "sc.structure_id WHERE sc.generation = ?1 AND " STORE_VISIBLE,
                                 &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, g);
    double sum = 0, sum2 = 0, novel = 0;
    size_t n_mean = 0, envs = 0;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        double mean = col_real(q, 0), mx = col_real(q, 1), frac = col_real(q, 2);
        size_t n_atoms = (size_t)sqlite3_column_int64(q, 3);
        const char *status = (const char *)sqlite3_column_text(q, 4);
        out->n_scored++;
        if (isfinite(mean)) { /* +inf when an environment is far from every reference */
            sum += mean;
            sum2 += mean * mean;
            n_mean++;
        } else if (!isnan(mean)) {
            out->n_scored_inf++;
        }
        if (!isnan(mx) && (isnan(out->dh_max) || mx > out->dh_max))
            out->dh_max = mx;
        if (status && !strcmp(status, "labelled") && !isnan(frac)) {
            envs += n_atoms;
            novel += frac * (double)n_atoms;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(st, rc, err, "reading scores");
    if (n_mean > 0) {
        out->dh_frame_mean = sum / (double)n_mean;
        double var = sum2 / (double)n_mean - out->dh_frame_mean * out->dh_frame_mean;
        out->dh_frame_spread = sqrt(var > 0 ? var : 0);
    }
    out->new_environments = envs;
    out->new_novelty = envs ? novel / (double)envs : NAN;
    return ENT_OK;
}

static ent_status job_stats(ent_store *st, long g, ent_store_gen_stats *out, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st,
        "SELECT kind, state, COUNT(*), "
        "SUM((julianday(finished) - julianday(started)) * 86400.0), "
        "MAX((julianday(finished) - julianday(started)) * 86400.0) "
        "FROM job WHERE generation = ?1 GROUP BY kind, state",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, g);
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(q, 0);
        const char *state = (const char *)sqlite3_column_text(q, 1);
        int k = kind ? ent_store_name_index((const char *const[]){"explore", "label",
                                                                  "train", "score"},
                                            ENT_STORE_N_JOB_KINDS, kind)
                     : -1;
        if (k < 0 || !state)
            continue;
        ent_store_job_stats *js = &out->jobs[k];
        size_t n = (size_t)sqlite3_column_int64(q, 2);
        js->n += n;
        if (!strcmp(state, "succeeded"))
            js->succeeded += n;
        else if (!strcmp(state, "failed") || !strcmp(state, "timed_out") ||
                 !strcmp(state, "lost") || !strcmp(state, "cancelled"))
            js->failed += n;
        double total = col_real(q, 3), mx = col_real(q, 4);
        if (!isnan(total))
            js->wall_total = (isnan(js->wall_total) ? 0 : js->wall_total) + total;
        if (!isnan(mx) && (isnan(js->wall_max) || mx > js->wall_max))
            js->wall_max = mx;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? ENT_OK : store_sqlite_error(st, rc, err, "reading jobs");
}

ent_status ent_store_generation_stats(ent_store *st, long g, ent_store_gen_stats *out,
                                      ent_error *err)
{
    if (!st || !out)
        return ent_error_set(err, ENT_EINVAL, "ent_store_generation_stats: NULL argument");
    memset(out, 0, sizeof *out);
    out->dh_frame_mean = out->dh_frame_spread = out->dh_max = out->new_novelty = NAN;
    out->wall_seconds = NAN;
    for (int k = 0; k < ENT_STORE_N_JOB_KINDS; k++)
        out->jobs[k].wall_total = out->jobs[k].wall_max = NAN;
    store_txn t;
    ent_status s = store_txn_begin(st, 0, &t, err);
    if (s != ENT_OK)
        return s;
    s = score_stats(st, g, out, err);
    if (s == ENT_OK)
        s = job_stats(st, g, out, err);
    if (s == ENT_OK) {
        sqlite3_stmt *q;
        s = store_prepare(st,
                          "SELECT (julianday('now') - julianday(started)) * 86400.0 FROM "
                          "generation WHERE id = ?1",
                          &q, err);
        if (s == ENT_OK) {
            sqlite3_bind_int64(q, 1, g);
            if (store_step(st, q) == SQLITE_ROW)
                out->wall_seconds = col_real(q, 0);
            sqlite3_finalize(q);
        }
    }
    return store_txn_end(st, &t, s, err);
}

void ent_store_labelled_energies_free(ent_store_energy_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].species);
    free(rows);
}

ent_status ent_store_labelled_energies(ent_store *st, ent_store_energy_row **rows, size_t *n,
                                       ent_error *err)
{
    if (!st || !rows || !n)
        return ent_error_set(err, ENT_EINVAL, "ent_store_labelled_energies: NULL argument");
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *q;
    /* The latest label of each labelled structure (highest id), energy known and valid. */
    ent_status s = store_prepare(
        st,
        "SELECT s.species, s.n_atoms, l.energy FROM structure s JOIN label l ON l.id = "
        "(SELECT MAX(id) FROM label WHERE structure_id = s.id) WHERE s.status = 'labelled' "
        "AND l.energy IS NOT NULL AND l.validation = 'ok' AND " STORE_VISIBLE,
        &q, err);
    if (s != ENT_OK)
        return s;
    ent_store_energy_row *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = store_step(st, q)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 64;
            ent_store_energy_row *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        const char *sp = (const char *)sqlite3_column_text(q, 0);
        v[cnt].species = strdup(sp ? sp : "");
        v[cnt].n_atoms = (size_t)sqlite3_column_int64(q, 1);
        v[cnt].energy = sqlite3_column_double(q, 2);
        if (!v[cnt].species) {
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
            break;
        }
        cnt++;
    }
    sqlite3_finalize(q);
    if (s == ENT_OK && rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, "reading labelled energies");
    if (s != ENT_OK) {
        ent_store_labelled_energies_free(v, cnt);
        return s;
    }
    *rows = v;
    *n = cnt;
    return ENT_OK;
}
