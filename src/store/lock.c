/* The single-writer lock: one row in writer_lock naming the process that drives the
 * campaign (pid + its start time, host, since, heartbeat). Taking it is one BEGIN
 * IMMEDIATE transaction (read the row, decide, write ours), so two processes racing for a
 * free or stale lock cannot both win: SQLite serialises the transactions. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

/* Is the recorded holder (pid, start time) still running on this host? A pid that is
 * alive but started at another time was reused by an unrelated process: the holder is
 * gone. */
static int holder_alive(long pid, long long start)
{
    if (pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    long long now = store_process_start(pid);
    return !(start && now && now != start);
}

static ent_status read_holder(ent_store *st, ent_store_writer_info *info, long long *start,
                              ent_error *err)
{
    memset(info, 0, sizeof *info);
    *start = 0;
    sqlite3_stmt *q;
    ent_status s = store_prepare(st,
                                 "SELECT pid, pid_start, host, since, heartbeat, command "
                                 "FROM writer_lock WHERE id = 1",
                                 &q, err);
    if (s != ENT_OK)
        return s;
    int rc = store_step(st, q);
    if (rc == SQLITE_ROW) {
        info->held = 1;
        info->pid = (long)sqlite3_column_int64(q, 0);
        *start = sqlite3_column_int64(q, 1);
        store_column_text(q, 2, info->host, sizeof info->host);
        store_column_text(q, 3, info->since, sizeof info->since);
        store_column_text(q, 4, info->heartbeat, sizeof info->heartbeat);
        store_column_text(q, 5, info->command, sizeof info->command);
    } else if (rc != SQLITE_DONE) {
        s = store_sqlite_error(st, rc, err, "reading the writer lock");
    }
    sqlite3_finalize(q);
    return s;
}

ent_status ent_store_writer_get(ent_store *st, ent_store_writer_info *info, ent_error *err)
{
    long long start;
    ent_status s = read_holder(st, info, &start, err);
    if (s == ENT_OK && info->held)
        info->gone = !strcmp(info->host, st->host) && !holder_alive(info->pid, start);
    return s;
}

ent_status store_lock_acquire(ent_store *st, const char *command, ent_error *err)
{
    ent_status s = ent_store_write_begin(st, err);
    if (s != ENT_OK)
        return s;
    ent_store_writer_info h;
    long long start = 0;
    s = read_holder(st, &h, &start, err);
    if (s == ENT_OK && h.held) {
        int same_host = !strcmp(h.host, st->host);
        if (!same_host || holder_alive(h.pid, start))
            s = ent_error_set(err, ENT_EIO,
                              "%s is being driven by pid %ld on host %s since %s (%s, last "
                              "heartbeat %s)%s",
                              st->path, h.pid, h.host, h.since,
                              h.command[0] ? h.command : "writer", h.heartbeat,
                              same_host ? ""
                                        : "; it runs on another host, so entrain cannot "
                                          "tell whether it is still alive");
    }
    if (s == ENT_OK) {
        char now[32];
        store_now(now);
        sqlite3_stmt *w;
        s = store_prepare(
            st,
            "INSERT OR REPLACE INTO writer_lock (id, pid, pid_start, host, since, "
            "heartbeat, command) VALUES (1, ?, ?, ?, ?, ?, ?)",
            &w, err);
        if (s == ENT_OK) {
            sqlite3_bind_int64(w, 1, st->pid);
            sqlite3_bind_int64(w, 2, st->pid_start);
            sqlite3_bind_text(w, 3, st->host, -1, SQLITE_STATIC);
            sqlite3_bind_text(w, 4, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(w, 5, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(w, 6, command ? command : "", -1, SQLITE_STATIC);
            s = store_step_done(st, w, "taking the writer lock", err);
            sqlite3_finalize(w);
        }
    }
    if (s != ENT_OK) {
        ent_store_rollback(st);
        return s;
    }
    s = ent_store_commit(st, err);
    if (s == ENT_OK) {
        st->writer = 1;
        st->took_over = h.held;
        st->previous = h;
    }
    return s;
}

int ent_store_writer_took_over(const ent_store *st, ent_store_writer_info *previous)
{
    if (!st || !st->took_over)
        return 0;
    if (previous)
        *previous = st->previous;
    return 1;
}

/* Only our own row is removed: if another process took the lock over (it judged us
 * dead), it is theirs now. Best effort: on a full disk the row stays and the next writer
 * finds our pid dead. */
void store_lock_release(ent_store *st)
{
    sqlite3_stmt *d;
    if (store_prepare(st, "DELETE FROM writer_lock WHERE id = 1 AND pid = ? AND host = ?",
                      &d, NULL) != ENT_OK)
        return;
    sqlite3_bind_int64(d, 1, st->pid);
    sqlite3_bind_text(d, 2, st->host, -1, SQLITE_STATIC);
    store_step_done(st, d, "releasing the writer lock", NULL);
    sqlite3_finalize(d);
    st->writer = 0;
}

ent_status ent_store_writer_heartbeat(ent_store *st, ent_error *err)
{
    ent_status s = store_require_writer(st, "heartbeat", err);
    if (s != ENT_OK)
        return s;
    char now[32];
    store_now(now);
    sqlite3_stmt *u;
    s = store_prepare(
        st, "UPDATE writer_lock SET heartbeat = ? WHERE id = 1 AND pid = ? AND host = ?",
        &u, err);
    if (s != ENT_OK)
        return s;
    sqlite3_bind_text(u, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(u, 2, st->pid);
    sqlite3_bind_text(u, 3, st->host, -1, SQLITE_STATIC);
    s = store_step_done(st, u, "heartbeat", err);
    sqlite3_finalize(u);
    if (s == ENT_OK && sqlite3_changes(st->db) == 0) {
        st->writer = 0;
        s = ent_error_set(err, ENT_EIO,
                          "%s: the writer lock was taken over by another process",
                          st->path);
    }
    return s;
}
