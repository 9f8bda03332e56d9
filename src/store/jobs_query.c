/* Job rows for the engine's runner (src/engine/job.c): lookup by content hash, read back,
 * and the one update that records attempts, the external id (pid + start time) and the
 * outcome (exit code, error, stdout/stderr tails). Each call is one short statement. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

#define JOB_COLUMNS                                                                        \
    "id, generation, kind, backend, state, workdir, content_hash, attempts, pid, "         \
    "pid_start, scheduler_id, exit_code, error, submitted, started, finished"

static void job_from_row(sqlite3_stmt *q, ent_store_job_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(q, 0);
    r->generation = (long)sqlite3_column_int64(q, 1);
    store_column_text(q, 2, r->kind, sizeof r->kind);
    store_column_text(q, 3, r->backend, sizeof r->backend);
    store_column_text(q, 4, r->state, sizeof r->state);
    store_column_text(q, 5, r->workdir, sizeof r->workdir);
    store_column_text(q, 6, r->content_hash, sizeof r->content_hash);
    r->attempts = sqlite3_column_int(q, 7);
    r->pid = (long)sqlite3_column_int64(q, 8);
    r->pid_start = sqlite3_column_int64(q, 9);
    store_column_text(q, 10, r->scheduler_id, sizeof r->scheduler_id);
    r->has_exit_code = sqlite3_column_type(q, 11) != SQLITE_NULL;
    r->exit_code = sqlite3_column_int(q, 11);
    store_column_text(q, 12, r->error, sizeof r->error);
    store_column_text(q, 13, r->submitted, sizeof r->submitted);
    store_column_text(q, 14, r->started, sizeof r->started);
    store_column_text(q, 15, r->finished, sizeof r->finished);
}

/* Run a one-row select bound by bind(), filling rec; *found says whether a row came. */
static ent_status job_select(ent_store *st, const char *sql, int64_t id, const char *hash,
                             ent_store_job_rec *rec, int *found, ent_error *err)
{
    sqlite3_stmt *q;
    ent_status s = store_prepare(st, sql, &q, err);
    if (s != ENT_OK)
        return s;
    if (hash)
        sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(q, 1, id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        job_from_row(q, rec);
        *found = 1;
    } else if (rc == SQLITE_DONE) {
        memset(rec, 0, sizeof *rec);
        *found = 0;
    } else {
        s = store_sqlite_error(st, rc, err, "reading a job");
    }
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_job_find(ent_store *st, const char *content_hash,
                              ent_store_job_rec *rec, int *found, ent_error *err)
{
    if (!st || !content_hash || !rec || !found)
        return ent_error_set(err, ENT_EINVAL, "ent_store_job_find: NULL argument");
    return job_select(st, "SELECT " JOB_COLUMNS " FROM job WHERE content_hash = ?1", 0,
                      content_hash, rec, found, err);
}

ent_status ent_store_job_get(ent_store *st, int64_t id, ent_store_job_rec *rec,
                             ent_error *err)
{
    if (!st || !rec)
        return ent_error_set(err, ENT_EINVAL, "ent_store_job_get: NULL argument");
    int found = 0;
    ent_status s = job_select(st, "SELECT " JOB_COLUMNS " FROM job WHERE id = ?1", id, NULL,
                              rec, &found, err);
    if (s == ENT_OK && !found)
        s = ent_error_set(err, ENT_EINVAL, "%s: no job %lld", st->path, (long long)id);
    return s;
}

ent_status ent_store_job_update_row(ent_store *st, int64_t id,
                                    const ent_store_job_update *u, ent_error *err)
{
    if (!st || !u)
        return ent_error_set(err, ENT_EINVAL, "ent_store_job_update_row: NULL argument");
    ent_status s = store_require_writer(st, "updating a job", err);
    if (s != ENT_OK)
        return s;
    if (u->state && ent_store_name_index(ent_store_job_state_names, ENT_STORE_N_JOB_STATES,
                                         u->state) < 0)
        return ent_error_set(err, ENT_EINVAL, "unknown job state '%s'", u->state);
    char now[32];
    store_now(now);
    sqlite3_stmt *q;
    s = store_prepare(
        st,
        "UPDATE job SET state = COALESCE(?1, state), "
        "attempts = COALESCE(?2, attempts), "
        "pid = CASE WHEN ?11 THEN NULL ELSE COALESCE(?3, pid) END, "
        "pid_start = CASE WHEN ?11 THEN NULL WHEN ?3 IS NOT NULL THEN ?4 ELSE pid_start "
        "END, "
        "scheduler_id = CASE WHEN ?11 THEN NULL ELSE COALESCE(?12, scheduler_id) END, "
        "exit_code = CASE WHEN ?11 THEN NULL ELSE COALESCE(?5, exit_code) END, "
        "error = CASE WHEN ?11 THEN ?6 ELSE COALESCE(?6, error) END, "
        "stdout_tail = COALESCE(?7, stdout_tail), stderr_tail = COALESCE(?8, stderr_tail), "
        "submitted = CASE WHEN ?1 = 'submitted' THEN ?9 ELSE submitted END, "
        "started = CASE WHEN ?1 = 'running' THEN ?9 ELSE started END, "
        "finished = CASE WHEN ?1 IN ('succeeded','failed','timed_out','cancelled','lost') "
        "THEN ?9 WHEN ?1 IS NOT NULL THEN NULL ELSE finished END WHERE id = ?10",
        &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(q, 1, u->state, -1, SQLITE_STATIC);
    if (u->attempts >= 0)
        sqlite3_bind_int(q, 2, u->attempts);
    if (u->pid > 0) {
        sqlite3_bind_int64(q, 3, u->pid);
        sqlite3_bind_int64(q, 4, u->pid_start);
    }
    if (u->has_exit_code)
        sqlite3_bind_int(q, 5, u->exit_code);
    sqlite3_bind_text(q, 6, u->error, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, u->stdout_tail, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, u->stderr_tail, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 9, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 10, id);
    sqlite3_bind_int(q, 11, u->clear_process ? 1 : 0);
    sqlite3_bind_text(q, 12, u->scheduler_id, -1, SQLITE_STATIC);
    s = store_step_done(st, q, "updating a job", err);
    sqlite3_finalize(q);
    if (s == ENT_OK && sqlite3_changes(st->db) == 0)
        s = ent_error_set(err, ENT_EINVAL, "%s: no job %lld", st->path, (long long)id);
    return s;
}

static char *dup_column(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return strdup(t ? (const char *)t : "");
}

ent_status ent_store_job_tails(ent_store *st, int64_t id, char **stdout_tail,
                               char **stderr_tail, ent_error *err)
{
    if (!st)
        return ent_error_set(err, ENT_EINVAL, "ent_store_job_tails: NULL argument");
    sqlite3_stmt *q;
    ent_status s = store_prepare(
        st, "SELECT stdout_tail, stderr_tail FROM job WHERE id = ?1", &q, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_int64(q, 1, id);
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        char *o = stdout_tail ? dup_column(q, 0) : NULL;
        char *e = stderr_tail ? dup_column(q, 1) : NULL;
        if ((stdout_tail && !o) || (stderr_tail && !e)) {
            free(o);
            free(e);
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        } else {
            if (stdout_tail)
                *stdout_tail = o;
            if (stderr_tail)
                *stderr_tail = e;
        }
    } else if (rc == SQLITE_DONE) {
        s = ent_error_set(err, ENT_EINVAL, "%s: no job %lld", st->path, (long long)id);
    } else {
        s = store_sqlite_error(st, rc, err, "reading a job's output tails");
    }
    sqlite3_finalize(q);
    return s;
}
