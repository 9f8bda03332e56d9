/* Opening and closing a campaign database: file checks before SQLite sees the file, the
 * connection's pragmas, application_id and schema version checks, migrations, the writer
 * lock; plus the SQLite helpers every other file of the module uses (errors, busy
 * retries, implicit transactions, time stamps, float64 BLOBs). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_internal.h"

/* ---------------------------------------------------------------------------------------
 * Errors and statement helpers */

static ent_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return ENT_ENOMEM;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return ENT_EPARSE;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return ENT_EINVAL;
    default: return ENT_EIO; /* FULL, IOERR, READONLY, CANTOPEN, BUSY, PERM, ... */
    }
}

ent_status store_sqlite_error(ent_store *st, int rc, ent_error *err, const char *what)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    const char *hint = "";
    if ((rc & 0xff) == SQLITE_FULL)
        hint = " (disk full: free space and retry; data already committed is intact)";
    else if ((rc & 0xff) == SQLITE_READONLY)
        hint = " (the file or its directory is read-only)";
    return ent_error_set(err, status_of(rc), "%s: %s: %s%s", st ? st->path : "?", what, msg,
                         hint);
}

ent_status store_prepare(ent_store *st, const char *sql, sqlite3_stmt **stmt,
                         ent_error *err)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        *stmt = NULL;
        char what[160];
        snprintf(what, sizeof what, "preparing \"%.120s\"", sql);
        return store_sqlite_error(st, rc, err, what);
    }
    return ENT_OK;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

int store_step(ent_store *st, sqlite3_stmt *stmt)
{
    /* A statement that has already returned rows is never restarted: it would return
     * them twice. Before the first row a retry is safe. */
    int started = sqlite3_stmt_busy(stmt);
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_step(stmt);
        int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        if (!busy || started || attempt == STORE_BUSY_RETRIES || st->txn == 2)
            return rc;
        sqlite3_reset(stmt);
        sleep_ms(20L << (attempt < 5 ? attempt : 5));
    }
}

ent_status store_step_done(ent_store *st, sqlite3_stmt *stmt, const char *what,
                           ent_error *err)
{
    int rc = store_step(st, stmt);
    ent_status s = rc == SQLITE_DONE || rc == SQLITE_ROW
                       ? ENT_OK
                       : store_sqlite_error(st, rc, err, what);
    sqlite3_reset(stmt);
    return s;
}

ent_status store_exec(ent_store *st, const char *sql, ent_error *err)
{
    while (sql && *sql) {
        sqlite3_stmt *stmt = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, &tail);
        if (rc != SQLITE_OK) {
            char what[160];
            snprintf(what, sizeof what, "preparing \"%.120s\"", sql);
            return store_sqlite_error(st, rc, err, what);
        }
        if (stmt) {
            while ((rc = store_step(st, stmt)) == SQLITE_ROW) {
            }
            if (rc != SQLITE_DONE) {
                char what[160];
                snprintf(what, sizeof what, "running \"%.120s\"", sql);
                ent_status s = store_sqlite_error(st, rc, err, what);
                sqlite3_finalize(stmt);
                return s;
            }
            sqlite3_finalize(stmt);
        }
        sql = tail;
    }
    return ENT_OK;
}

ent_status store_query_int(ent_store *st, const char *sql, long long *out, ent_error *err)
{
    sqlite3_stmt *stmt;
    ent_status s = store_prepare(st, sql, &stmt, err);
    if (s != ENT_OK)
        return s;
    int rc = store_step(st, stmt);
    *out = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        s = store_sqlite_error(st, rc, err, sql);
    sqlite3_finalize(stmt);
    return s;
}

/* ---------------------------------------------------------------------------------------
 * Transactions */

ent_status ent_store_read_begin(ent_store *st, ent_error *err)
{
    if (st->txn)
        return ent_error_set(err, ENT_EINVAL, "%s: a transaction is already open",
                             st->path);
    /* BEGIN alone takes no snapshot; the first read does. Reading the schema version makes
     * it start here, with busy retries. */
    ent_status s = store_exec(st, "BEGIN", err);
    long long v;
    if (s == ENT_OK && (s = store_query_int(st, "PRAGMA user_version", &v, err)) != ENT_OK)
        store_exec(st, "ROLLBACK", NULL);
    if (s == ENT_OK)
        st->txn = 1;
    return s;
}

ent_status ent_store_write_begin(ent_store *st, ent_error *err)
{
    if (st->txn)
        return ent_error_set(err, ENT_EINVAL, "%s: a transaction is already open",
                             st->path);
    ent_status s = store_exec(st, "BEGIN IMMEDIATE", err);
    if (s == ENT_OK)
        st->txn = 2;
    return s;
}

ent_status ent_store_commit(ent_store *st, ent_error *err)
{
    if (!st->txn)
        return ENT_OK;
    ent_status s = store_exec(st, "COMMIT", err);
    if (s != ENT_OK) {
        store_exec(st, "ROLLBACK", NULL);
    }
    st->txn = 0;
    return s;
}

void ent_store_rollback(ent_store *st)
{
    if (st && st->txn) {
        store_exec(st, "ROLLBACK", NULL);
        st->txn = 0;
    }
}

ent_status store_txn_begin(ent_store *st, int write, store_txn *t, ent_error *err)
{
    t->own = 0;
    if (st->txn == 2 || (st->txn == 1 && !write))
        return ENT_OK;
    if (st->txn == 1)
        return ent_error_set(err, ENT_EINVAL, "%s: write inside a read transaction",
                             st->path);
    ent_status s = write ? ent_store_write_begin(st, err) : ent_store_read_begin(st, err);
    t->own = s == ENT_OK;
    return s;
}

ent_status store_txn_end(ent_store *st, store_txn *t, ent_status s, ent_error *err)
{
    if (!t->own)
        return s;
    t->own = 0;
    if (s != ENT_OK) {
        ent_store_rollback(st);
        return s;
    }
    return ent_store_commit(st, err);
}

ent_status store_require_writer(ent_store *st, const char *what, ent_error *err)
{
    if (st->writer)
        return ENT_OK;
    return ent_error_set(err, ENT_EINVAL, "%s: %s needs the writer lock (open as writer)",
                         st->path, what);
}

/* ---------------------------------------------------------------------------------------
 * Small helpers */

void store_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void store_column_text(sqlite3_stmt *s, int col, char *buf, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap8(unsigned char *p)
{
    for (int i = 0; i < 4; i++) {
        unsigned char t = p[i];
        p[i] = p[7 - i];
        p[7 - i] = t;
    }
}

const void *store_f64_encode(const double *x, size_t n, void **owned)
{
    *owned = NULL;
    if (host_is_little_endian())
        return x; /* already the file's byte order: bind the array itself */
    unsigned char *p = malloc(n ? 8 * n : 1);
    if (!p)
        return NULL;
    memcpy(p, x, 8 * n);
    for (size_t i = 0; i < n; i++)
        swap8(p + 8 * i);
    *owned = p;
    return p;
}

void store_f64_decode(const void *blob, size_t n, double *out)
{
    memcpy(out, blob, n * sizeof *out);
    if (!host_is_little_endian())
        for (size_t i = 0; i < n; i++)
            swap8((unsigned char *)out + 8 * i);
}

int ent_store_schema_version(const ent_store *st)
{
    return st ? st->version : 0;
}

const char *ent_store_path(const ent_store *st)
{
    return st ? st->path : "";
}

const char *const ent_store_status_names[ENT_STORE_N_STATUS] = {
    "candidate", "selected", "labelled", "rejected", "dropped"};
const char *const ent_store_job_state_names[ENT_STORE_N_JOB_STATES] = {
    "queued", "submitted", "running",   "succeeded",
    "failed", "timed_out", "cancelled", "lost"};

int ent_store_name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* ---------------------------------------------------------------------------------------
 * Open */

/* Before SQLite touches the file: exists (unless creating), regular, and either empty or
 * starting with SQLite's magic. SQLite would otherwise report a text file as "file is not
 * a database" only at the first query, and create a missing file silently. */
static ent_status check_file(const char *path, int create, int *empty, ent_error *err)
{
    struct stat sb;
    *empty = 0;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && create) {
            *empty = 1;
            return ENT_OK;
        }
        if (errno == ENOENT)
            return ent_error_set(err, ENT_EIO,
                                 "%s: no such file (create a campaign database with "
                                 "'entrain init %s')",
                                 path, path);
        return ent_error_set(err, ENT_EIO, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return ent_error_set(err, ENT_EIO, "%s: not a regular file", path);
    if (sb.st_size == 0) {
        *empty = 1;
        return ENT_OK;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open: %s", path, strerror(errno));
    char magic[16] = {0};
    size_t got = fread(magic, 1, sizeof magic, fp);
    fclose(fp);
    if (got != sizeof magic || memcmp(magic, "SQLite format 3", 16) != 0)
        return ent_error_set(err, ENT_EPARSE,
                             "%s: not an entrain campaign database (not an SQLite file)",
                             path);
    if (create)
        return ent_error_set(err, ENT_EIO,
                             "%s: already exists; 'init' creates a new database", path);
    return ENT_OK;
}

/* Can this process write the file and create files beside it (-wal, -shm)? */
static int writable_place(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return 1;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    int ok = access(path, W_OK) == 0 && access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* Read-only directory or file system: SQLite cannot create the -shm file a WAL reader
 * needs. A database nobody can write may then be read as immutable. */
static int open_immutable(ent_store *st)
{
    size_t n = strlen(st->path);
    char *uri = malloc(3 * n + 32);
    if (!uri)
        return SQLITE_NOMEM;
    char *p = uri + sprintf(uri, "file:");
    for (const char *c = st->path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            p += sprintf(p, "%%%02X", (unsigned char)*c);
        else
            *p++ = *c;
    }
    strcpy(p, "?immutable=1");
    sqlite3_close(st->db);
    st->db = NULL;
    int rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc;
}

static ent_status check_identity(ent_store *st, int empty_file, int create, ent_error *err)
{
    long long app = 0, version = 0, tables = 0;
    ent_status s = store_query_int(st, "PRAGMA application_id", &app, err);
    if (s == ENT_OK)
        s = store_query_int(st, "PRAGMA user_version", &version, err);
    if (s == ENT_OK)
        s = store_query_int(st, "SELECT count(*) FROM sqlite_schema", &tables, err);
    if (s != ENT_OK)
        return s;
    st->version = (int)version;
    if ((uint32_t)app == ENT_STORE_APPLICATION_ID) {
        if (version > store_schema_latest())
            return ent_error_set(err, ENT_EUNSUPPORTED,
                                 "%s: schema version %lld is newer than this entrain "
                                 "understands (%d); use a newer entrain",
                                 st->path, version, store_schema_latest());
        if (create)
            return ent_error_set(err, ENT_EIO, "%s: already an entrain database", st->path);
        return ENT_OK;
    }
    if (app == 0 && tables == 0 && version == 0) {
        if (create)
            return ENT_OK;
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "%s: %s, not an entrain campaign database (create one with "
                             "'entrain init')",
                             st->path,
                             empty_file ? "empty file" : "an empty SQLite database");
    }
    return ent_error_set(err, ENT_EUNSUPPORTED,
                         "%s: an SQLite database of another application (application_id "
                         "0x%08X, %lld schema objects), not an entrain campaign database",
                         st->path, (unsigned)(uint32_t)app, tables);
}

static ent_status configure(ent_store *st, int create, int readonly, ent_error *err)
{
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    ent_status s =
        store_exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", err);
    if (s == ENT_OK && create)
        /* Large pages keep a 108-atom structure's positions in its row and cut the overflow
         * chain of a descriptor BLOB (108 x 63 doubles = 54 KB) to four pages. */
        s = store_exec(st, "PRAGMA page_size = 16384", err);
    if (s == ENT_OK && !readonly) {
        /* journal_mode is persistent in the file; only switch when it is not WAL yet
         * (switching needs the write lock, which a mere reader should not take). */
        sqlite3_stmt *stmt;
        s = store_prepare(st, "PRAGMA journal_mode", &stmt, err);
        if (s == ENT_OK) {
            int rc = store_step(st, stmt);
            int wal = rc == SQLITE_ROW &&
                      !strcmp((const char *)sqlite3_column_text(stmt, 0), "wal");
            if (rc != SQLITE_ROW)
                s = store_sqlite_error(st, rc, err, "reading the journal mode");
            sqlite3_finalize(stmt);
            if (s == ENT_OK && !wal && !sqlite3_db_readonly(st->db, "main"))
                s = store_exec(st, "PRAGMA journal_mode = WAL", err);
        }
    }
    if (s == ENT_OK)
        s = store_exec(st, "PRAGMA cache_size = -65536", err); /* 64 MB */
    return s;
}

/* Start time of a process (clock ticks since boot, /proc/PID/stat field 22); 0 when
 * unknown (no /proc, process gone). With the pid it identifies a process even after the
 * pid is reused. */
static long long process_start_ticks(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    /* Field 22 (starttime) counts from after the command name, which may hold blanks:
     * start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    long long v = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 22) {
            v = atoll(tok);
            break;
        }
    }
    return v;
}

long long store_process_start(long pid)
{
    return process_start_ticks(pid);
}

ent_status ent_store_open(const char *path, const ent_store_open_opts *opts,
                          ent_store **out, ent_error *err)
{
    ent_store_open_opts o = {0};
    if (opts)
        o = *opts;
    if (!path || !out)
        return ent_error_set(err, ENT_EINVAL, "ent_store_open: NULL argument");
    *out = NULL;
    int create = !!(o.flags & ENT_STORE_CREATE),
        readonly = !!(o.flags & ENT_STORE_READONLY);
    if (readonly && (create || (o.flags & ENT_STORE_WRITER)))
        return ent_error_set(err, ENT_EINVAL, "%s: read-only open cannot create or write",
                             path);
    int empty = 0;
    ent_status s = check_file(path, create, &empty, err);
    if (s != ENT_OK)
        return s;

    ent_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    st->pid = (long)getpid();
    st->pid_start = process_start_ticks(st->pid);
    if (gethostname(st->host, sizeof st->host - 1) != 0)
        strcpy(st->host, "unknown");
    st->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    st->md_ctx = EVP_MD_CTX_new();
    if (!st->md || !st->md_ctx) {
        ent_store_close(st);
        return ent_error_set(err, ENT_ENOMEM, "%s: cannot set up SHA-256 (OpenSSL)", path);
    }

    int flags = readonly ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        s = store_sqlite_error(st, rc, err, "cannot open");
        ent_store_close(st);
        return s;
    }
    s = configure(st, create, readonly, err);
    if (s == ENT_OK)
        s = check_identity(st, empty, create, err);
    /* A database in a read-only place: SQLite cannot create the -shm file WAL needs. A
     * writer is told so; a reader reads the file as immutable (nobody can write it). */
    if (s == ENT_EIO && !create && !writable_place(path)) {
        if (o.flags & ENT_STORE_WRITER) {
            s = ent_error_set(err, ENT_EIO,
                              "%s: cannot write: the file or its directory is read-only",
                              path);
        } else {
            rc = open_immutable(st);
            ent_error e2 = {0};
            s = rc == SQLITE_OK ? configure(st, 0, 1, &e2)
                                : store_sqlite_error(st, rc, &e2, "cannot open");
            if (s == ENT_OK)
                s = check_identity(st, empty, 0, &e2);
            if (s == ENT_OK)
                readonly = 1;
            else if (err)
                *err = e2;
        }
    }
    int latest = store_schema_latest();
    int target = o.max_version > 0 && o.max_version < latest ? o.max_version : latest;
    if (s == ENT_OK && st->version < target) {
        if (readonly || sqlite3_db_readonly(st->db, "main"))
            s = ent_error_set(err, ENT_EUNSUPPORTED,
                              "%s: schema version %d must be upgraded to %d, but the file "
                              "is opened read-only",
                              path, st->version, target);
        else
            s = store_migrate(st, target, err);
    }
    if (s == ENT_OK && (o.flags & ENT_STORE_WRITER)) {
        if (sqlite3_db_readonly(st->db, "main"))
            s = ent_error_set(err, ENT_EIO,
                              "%s: cannot write: the file or its directory is read-only",
                              path);
        else
            s = store_lock_acquire(st, o.command, err);
        if (s == ENT_OK)
            s = store_imports_cleanup(st, err);
    }
    if (s != ENT_OK) {
        ent_store_close(st);
        return s;
    }
    *out = st;
    return ENT_OK;
}

void ent_store_close(ent_store *st)
{
    if (!st)
        return;
    ent_store_rollback(st);
    if (st->writer)
        store_lock_release(st);
    if (st->db)
        sqlite3_close_v2(st->db);
    EVP_MD_CTX_free(st->md_ctx);
    EVP_MD_free(st->md);
    free(st->canon);
    free(st->path);
    free(st);
}
