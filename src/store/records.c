/* The campaign's other records, as typed insert/update/select functions: labels,
 * generations, jobs, scores, decisions, metrics, training-set membership. The engine
 * drives most of them; the commands and tests here use them through this file only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* Bind a double, NULL when it is NaN (SQLite stores NaN as NULL anyway; this says so). */
static void bind_real(sqlite3_stmt *q, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, v);
}

static double column_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

/* Prepare, bind through a callback-free sequence, step, finalize: the common shape of
 * the single-row writes below. */
static ent_status write_one(ent_store *st, sqlite3_stmt *q, const char *what,
                            ent_error *err)
{
    ent_status s = store_step_done(st, q, what, err);
    sqlite3_finalize(q);
    return s;
}

/* ---- labels ---- */

ent_status ent_store_label_insert(ent_store *st, int64_t structure_id,
                                  const ent_store_label *l, int64_t *id, ent_error *err)
{
    ent_status s = store_require_writer(st, "storing a label", err);
    if (s != ENT_OK)
        return s;
    if (l->stress && l->n_stress != 6 && l->n_stress != 9)
        return ent_error_set(err, ENT_EINVAL, "stress needs 6 or 9 values, got %zu",
                             l->n_stress);
    size_t n_atoms = 0;
    double vol;
    if (l->forces &&
        (s = ent_store_structure_size(st, structure_id, &n_atoms, &vol, err)) != ENT_OK)
        return s;
    sqlite3_stmt *q;
    s = store_prepare(st,
                      "INSERT INTO label (structure_id, energy, forces, stress, job_id, "
                      "validation, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      &q, err);
    if (s != ENT_OK)
        return s;
    void *own_f = NULL, *own_s = NULL;
    const void *fb = l->forces ? store_f64_encode(l->forces, 3 * n_atoms, &own_f) : NULL;
    const void *sb = l->stress ? store_f64_encode(l->stress, l->n_stress, &own_s) : NULL;
    char now[32];
    store_now(now);
    sqlite3_bind_int64(q, 1, structure_id);
    if (l->has_energy)
        bind_real(q, 2, l->energy);
    sqlite3_bind_blob64(q, 3, fb, fb ? 24 * n_atoms : 0, SQLITE_STATIC);
    sqlite3_bind_blob64(q, 4, sb, sb ? 8 * l->n_stress : 0, SQLITE_STATIC);
    if (l->job_id)
        sqlite3_bind_int64(q, 5, l->job_id);
    sqlite3_bind_text(q, 6, l->validation ? l->validation : "ok", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
    if ((l->forces && !fb) || (l->stress && !sb)) {
        sqlite3_finalize(q);
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    } else {
        s = write_one(st, q, "storing a label", err);
    }
    if (s == ENT_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    free(own_f);
    free(own_s);
    return s;
}

ent_status ent_store_label_latest(ent_store *st, int64_t structure_id,
                                  ent_store_label_rec *r, int *found, ent_error *err)
{
    memset(r, 0, sizeof *r);
    *found = 0;
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st,
        "SELECT l.id, l.energy, l.forces, l.stress, l.job_id, l.validation, l.created, "
        "s.n_atoms FROM label l JOIN structure s ON s.id = l.structure_id "
        "WHERE l.structure_id = ? ORDER BY l.id DESC LIMIT 1",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, structure_id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        r->id = sqlite3_column_int64(q, 0);
        r->has_energy = sqlite3_column_type(q, 1) != SQLITE_NULL;
        r->energy = column_real(q, 1);
        r->n_atoms = (size_t)sqlite3_column_int64(q, 7);
        size_t fb = (size_t)sqlite3_column_bytes(q, 2);
        if (fb) {
            if (fb != 24 * r->n_atoms)
                s = ent_error_set(err, ENT_EPARSE, "%s: label %lld: bad forces size",
                                  st->path, (long long)r->id);
            else if (!(r->forces = malloc(fb)))
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
            else
                store_f64_decode(sqlite3_column_blob(q, 2), 3 * r->n_atoms, r->forces);
        }
        size_t sb = (size_t)sqlite3_column_bytes(q, 3);
        if (sb == 48 || sb == 72) {
            r->n_stress = sb / 8;
            store_f64_decode(sqlite3_column_blob(q, 3), r->n_stress, r->stress);
        }
        r->job_id = sqlite3_column_int64(q, 4);
        store_column_text(q, 5, r->validation, sizeof r->validation);
        store_column_text(q, 6, r->created, sizeof r->created);
        *found = s == ENT_OK;
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading a label");
    }
    sqlite3_finalize(q);
    if (s != ENT_OK)
        ent_store_label_rec_clear(r);
    return s;
}

void ent_store_label_rec_clear(ent_store_label_rec *r)
{
    if (r) {
        free(r->forces);
        memset(r, 0, sizeof *r);
    }
}

/* ---- generations ---- */

ent_status ent_store_generation_ensure(ent_store *st, long generation, const char *phase,
                                       ent_error *err)
{
    ent_status s = store_require_writer(st, "creating a generation", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(st,
                      "INSERT INTO generation (id, phase, started) VALUES (?, ?, ?) "
                      "ON CONFLICT (id) DO NOTHING",
                      &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, generation);
    sqlite3_bind_text(q, 2, phase ? phase : "plan", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, now, -1, SQLITE_STATIC);
    return write_one(st, q, "creating a generation", err);
}

ent_status ent_store_generation_set_phase(ent_store *st, long generation, const char *phase,
                                          ent_error *err)
{
    ent_status s = store_require_writer(st, "changing a generation's phase", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(st,
                      "UPDATE generation SET phase = ?1, finished = CASE WHEN ?1 = 'done' "
                      "THEN ?2 ELSE finished END WHERE id = ?3",
                      &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, phase, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, generation);
    s = write_one(st, q, "changing a generation's phase", err);
    if (s == ENT_OK && sqlite3_changes(st->db) == 0)
        s = ent_error_set(err, ENT_EINVAL, "%s: no generation %ld", st->path, generation);
    return s;
}

/* ---- jobs ---- */

ent_status ent_store_job_insert(ent_store *st, const ent_store_job *j, int64_t *id,
                                ent_error *err)
{
    ent_status s = store_require_writer(st, "recording a job", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "INSERT INTO job (generation, kind, backend, argv, workdir, content_hash, "
        "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, j->generation);
    sqlite3_bind_text(q, 2, j->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, j->backend, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, j->argv ? j->argv : "[]", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, j->workdir, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, j->content_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
    s = write_one(st, q, "recording a job", err);
    if (s == ENT_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return s;
}

ent_status ent_store_job_set_state(ent_store *st, int64_t id, const char *state, long pid,
                                   const char *scheduler_id, int exit_code, ent_error *err)
{
    ent_status s = store_require_writer(st, "updating a job", err);
    if (s != ENT_OK)
        return s;
    if (ent_store_name_index(ent_store_job_state_names, ENT_STORE_N_JOB_STATES, state) < 0)
        return ent_error_set(err, ENT_EINVAL, "unknown job state '%s'",
                             state ? state : "(null)");
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "UPDATE job SET state = ?1, pid = COALESCE(?2, pid), "
        "scheduler_id = COALESCE(?3, scheduler_id), exit_code = COALESCE(?4, exit_code), "
        "attempts = attempts + (?1 = 'submitted'), "
        "submitted = CASE WHEN ?1 = 'submitted' THEN ?5 ELSE submitted END, "
        "started = CASE WHEN ?1 = 'running' THEN ?5 ELSE started END, "
        "finished = CASE WHEN ?1 IN ('succeeded','failed','timed_out','cancelled','lost') "
        "THEN ?5 ELSE finished END WHERE id = ?6",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
    if (pid > 0)
        sqlite3_bind_int64(q, 2, pid);
    sqlite3_bind_text(q, 3, scheduler_id, -1, SQLITE_STATIC);
    if (exit_code >= -999)
        sqlite3_bind_int(q, 4, exit_code);
    sqlite3_bind_text(q, 5, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, id);
    s = write_one(st, q, "updating a job", err);
    if (s == ENT_OK && sqlite3_changes(st->db) == 0)
        s = ent_error_set(err, ENT_EINVAL, "%s: no job %lld", st->path, (long long)id);
    return s;
}

/* ---- scores, decisions, metrics, training sets ---- */

ent_status ent_store_score_insert(ent_store *st, const ent_store_score *sc, ent_error *err)
{
    ent_status s = store_require_writer(st, "storing a score", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "INSERT INTO score (structure_id, generation, set_id, bandwidth, threshold, "
        "dh_min, dh_mean, dh_max, frac_novel, n_inf, reference_envs, "
        "reference_structures, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, sc->structure_id);
    sqlite3_bind_int64(q, 2, sc->generation);
    if (sc->descriptor_set)
        sqlite3_bind_int64(q, 3, sc->descriptor_set);
    bind_real(q, 4, sc->bandwidth);
    bind_real(q, 5, sc->threshold);
    /* dH may be +inf (nothing labelled nearby): SQLite REAL holds infinities. */
    bind_real(q, 6, sc->dh_min);
    bind_real(q, 7, sc->dh_mean);
    bind_real(q, 8, sc->dh_max);
    bind_real(q, 9, sc->frac_novel);
    sqlite3_bind_int64(q, 10, (sqlite3_int64)sc->n_inf);
    sqlite3_bind_int64(q, 11, (sqlite3_int64)sc->reference_envs);
    sqlite3_bind_int64(q, 12, (sqlite3_int64)sc->reference_structures);
    sqlite3_bind_text(q, 13, now, -1, SQLITE_STATIC);
    return write_one(st, q, "storing a score", err);
}

ent_status ent_store_decision_insert(ent_store *st, long generation, int64_t structure_id,
                                     const char *kind, const char *reason,
                                     const char *recipe_hash, ent_error *err)
{
    ent_status s = store_require_writer(st, "recording a decision", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "INSERT INTO decision (generation, structure_id, kind, reason, recipe_hash, "
        "created) VALUES (?, ?, ?, ?, ?, ?)",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, generation);
    if (structure_id)
        sqlite3_bind_int64(q, 2, structure_id);
    sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, recipe_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, now, -1, SQLITE_STATIC);
    return write_one(st, q, "recording a decision", err);
}

ent_status ent_store_metric_put(ent_store *st, const ent_store_metric *m, ent_error *err)
{
    ent_status s = store_require_writer(st, "storing metrics", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "INSERT OR REPLACE INTO metric (generation, bandwidth, entropy, diversity, "
        "novelty, info_gap, n_structures, n_environments, wall_seconds, created, "
        "jobs_succeeded, jobs_failed, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, m->generation);
    bind_real(q, 2, m->bandwidth);
    bind_real(q, 3, m->entropy);
    bind_real(q, 4, m->diversity);
    bind_real(q, 5, m->novelty);
    bind_real(q, 6, m->info_gap);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)m->n_structures);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)m->n_environments);
    bind_real(q, 9, m->wall_seconds);
    sqlite3_bind_text(q, 10, now, -1, SQLITE_STATIC);
    if (m->jobs_succeeded >= 0)
        sqlite3_bind_int64(q, 11, m->jobs_succeeded);
    if (m->jobs_failed >= 0)
        sqlite3_bind_int64(q, 12, m->jobs_failed);
    sqlite3_bind_text(q, 13, m->extra, -1, SQLITE_STATIC);
    return write_one(st, q, "storing metrics", err);
}

ent_status ent_store_train_set_add(ent_store *st, long generation, int64_t structure_id,
                                   ent_error *err)
{
    ent_status s = store_require_writer(st, "recording a training set", err);
    if (s != ENT_OK)
        return s;
    if (st->version < 2)
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "%s: training sets need schema version 2", st->path);
    sqlite3_stmt *q;
    s = store_prepare(
        st, "INSERT OR IGNORE INTO train_set (generation, structure_id) VALUES (?, ?)", &q,
        err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, generation);
    sqlite3_bind_int64(q, 2, structure_id);
    return write_one(st, q, "recording a training set", err);
}
