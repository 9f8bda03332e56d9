/* Shared inside src/store only: the ent_store handle, SQLite helpers that retry busy
 * reads and turn every failure into an ent_error naming the file and carrying
 * sqlite3_errmsg, BLOB <-> array codecs and the migrations entry point. */
#ifndef ENT_STORE_INTERNAL_H
#define ENT_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "store/store.h"

struct ent_store {
    sqlite3 *db;
    char *path;
    int version;   /* user_version after migrations */
    int writer;    /* holds the writer lock */
    int txn;       /* 0 none, 1 read, 2 write: an explicit transaction is open */
    int took_over; /* the writer lock was taken from a dead holder: previous */
    ent_store_writer_info previous;
    long pid;
    long long pid_start; /* start time of this process (/proc), 0 if unknown */
    char host[256];
    void *md;             /* OpenSSL EVP_MD (SHA-256), fetched once */
    void *md_ctx;         /* EVP_MD_CTX reused for every hash */
    unsigned char *canon; /* canonical-bytes buffer of the hash */
    size_t canon_cap;
};

/* Busy handling: every connection waits STORE_BUSY_MS in SQLite's busy handler; a
 * statement that still gets SQLITE_BUSY before returning its first row is retried up to
 * STORE_BUSY_RETRIES times, so a reader never reports "database is locked" while a writer
 * works (WAL readers only meet BUSY during recovery or a checkpoint restart). */
#define STORE_BUSY_MS 5000
#define STORE_BUSY_RETRIES 6

/* Record an SQLite failure: "PATH: what: errmsg" with the status rc maps to. */
ent_status store_sqlite_error(ent_store *st, int rc, ent_error *err, const char *what);

/* sqlite3_prepare_v2 with error reporting. */
ent_status store_prepare(ent_store *st, const char *sql, sqlite3_stmt **stmt,
                         ent_error *err);

/* sqlite3_step with busy retries (only before the first row). Returns the SQLite code. */
int store_step(ent_store *st, sqlite3_stmt *stmt);

/* Run one statement that returns no rows (or whose rows are ignored), bound values only
 * through the stmt-based helpers; sql may hold several statements. */
ent_status store_exec(ent_store *st, const char *sql, ent_error *err);

/* Step a prepared, bound statement to completion (SQLITE_DONE), reset it. */
ent_status store_step_done(ent_store *st, sqlite3_stmt *stmt, const char *what,
                           ent_error *err);

/* Single integer result of a query without parameters (0 when no row). */
ent_status store_query_int(ent_store *st, const char *sql, long long *out, ent_error *err);

/* Implicit transaction for a helper: if the caller has none open, begin one (write or
 * read) and remember to finish it. store_txn_end commits (or rolls back when s != OK). */
typedef struct store_txn {
    int own;
} store_txn;
ent_status store_txn_begin(ent_store *st, int write, store_txn *t, ent_error *err);
ent_status store_txn_end(ent_store *st, store_txn *t, ent_status s, ent_error *err);

/* Require the writer lock for a write helper. */
ent_status store_require_writer(ent_store *st, const char *what, ent_error *err);

/* Current UTC time as ISO 8601 ("2026-11-22T02:50:00Z"). */
void store_now(char buf[32]);

/* Copy a column's text (NULL → "") into a fixed buffer, truncating. */
void store_column_text(sqlite3_stmt *s, int col, char *buf, size_t cap);

/* Float64 arrays as little-endian BLOBs (the file format is the same on every host).
 * encode returns x itself on little-endian hosts, else a swapped copy in *owned (free it);
 * NULL when out of memory. */
const void *store_f64_encode(const double *x, size_t n, void **owned);
void store_f64_decode(const void *blob, size_t n, double *out);

/* Per-atom columns and info items of a frame <-> one typed, exact BLOB (props.c). */
ent_status store_props_encode(const ent_frame *f, unsigned char **blob, size_t *len,
                              ent_error *err);
ent_status store_props_decode(const unsigned char *blob, size_t len, ent_frame *f,
                              ent_error *err);

/* Structure rows <-> frames (structures.c). */
ent_status store_frame_from_row(ent_store *st, sqlite3_stmt *s, int col_n_atoms,
                                ent_frame **out, ent_error *err);

/* Migrations (schema.c): bring the open database up to target (<= latest). */
ent_status store_migrate(ent_store *st, int target, ent_error *err);
int store_schema_latest(void);

/* Start time of a process (store.c), 0 if unknown. */
long long store_process_start(long pid);

/* Writer lock (lock.c). */
ent_status store_lock_acquire(ent_store *st, const char *command, ent_error *err);
void store_lock_release(ent_store *st);

/* Remove the invisible rows of imports left 'running' by a dead writer (import.c). */
ent_status store_imports_cleanup(ent_store *st, ent_error *err);

/* SQL for "visible structure" (joined with import): use as a WHERE fragment on alias s. */
#define STORE_VISIBLE                                                                      \
    "(s.import_id IS NULL OR EXISTS (SELECT 1 FROM import i WHERE i.id = s.import_id AND " \
    "i.state = 'done'))"

#endif
