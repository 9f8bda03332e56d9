/* The job runner: content hashes, the job state machine and its database rows, the
 * bounded pool, timeouts, retries, and taking jobs over after a restart. Processes are
 * the backend's business (backend.h); this file never forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/job.h"

extern char **environ;

typedef enum job_phase { PHASE_QUEUED, PHASE_ACTIVE, PHASE_DONE } job_phase;

typedef struct job {
    int64_t id;
    char hash[65];
    char *kind, *workdir, *path; /* path: resolved executable */
    char **argv, **envp;         /* NULL-terminated, owned */
    ent_job_input *inputs;       /* owned copies */
    size_t n_inputs;
    double timeout;
    int max_attempts;
    int *transient;
    size_t n_transient;
    int retry_signal;
    job_phase phase;
    int attempt; /* of the current (or last) attempt */
    ent_backend_extid ext;
    int term_sent, term_delivered, kill_sent, cancelled;
    int pid_recorded; /* the database holds ext.pid or ext.scheduler_id (adopted jobs may
                         learn it late) */
    double term_at;
} job;

struct ent_jobs {
    ent_store *st;
    ent_backend *be;
    char *root;
    int parallel;
    double grace, interval;
    int crash_point;
    job **jobs;
    size_t n_jobs, cap_jobs;
};

static double now_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->kind);
    free(j->workdir);
    free(j->path);
    for (char **p = j->argv; p && *p; p++)
        free(*p);
    free(j->argv);
    for (char **p = j->envp; p && *p; p++)
        free(*p);
    free(j->envp);
    for (size_t i = 0; i < j->n_inputs; i++) {
        free((char *)j->inputs[i].name);
        free((void *)j->inputs[i].data);
    }
    free(j->inputs);
    free(j->transient);
    free(j);
}

/* ---- runner ---- */

static int mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

ent_status ent_jobs_create(ent_store *st, const ent_jobs_opts *o, ent_jobs **out,
                           ent_error *err)
{
    if (!st || !o || !out || !o->work_root || !*o->work_root)
        return ent_error_set(err, ENT_EINVAL,
                             "ent_jobs_create: NULL argument or no work root");
    if (o->parallel < 0 || o->kill_grace < 0 || o->poll_interval < 0)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_create: negative option");
    *out = NULL;
    if (mkdir_p(o->work_root) != 0)
        return ent_error_set(err, ENT_EIO, "cannot create %s: %s", o->work_root,
                             strerror(errno));
    ent_jobs *r = calloc(1, sizeof *r);
    if (!r)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    r->st = st;
    r->root = realpath(o->work_root, NULL); /* workdirs are absolute: the job's cwd */
    if (!r->root) {
        free(r);
        return ent_error_set(err, ENT_EIO, "cannot resolve %s: %s", o->work_root,
                             strerror(errno));
    }
    r->parallel = o->parallel ? o->parallel : 1;
    r->grace = o->kill_grace > 0 ? o->kill_grace : 5.0;
    r->interval = o->poll_interval > 0 ? o->poll_interval : 0.05;
    r->crash_point = o->crash_point;
    ent_status s = ent_backend_create(o->backend, o->backend_opts, o->n_backend_opts, &r->be,
                                      err);
    if (s != ENT_OK) {
        free(r->root);
        free(r);
        return s;
    }
    *out = r;
    return ENT_OK;
}

void ent_jobs_destroy(ent_jobs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_jobs; i++)
        job_free(r->jobs[i]);
    free(r->jobs);
    if (r->be)
        r->be->ops->destroy(r->be);
    free(r->root);
    free(r);
}

/* ---- content hash ---- */

static int hash_count(EVP_MD_CTX *c, size_t n)
{
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    return EVP_DigestUpdate(c, len, 8) == 1;
}

static int hash_bytes(EVP_MD_CTX *c, const void *p, size_t n)
{
    /* Every field is length-prefixed (8 bytes, little endian) so that no two different
     * specs concatenate to the same bytes. */
    return hash_count(c, n) && (n == 0 || EVP_DigestUpdate(c, p, n) == 1);
}

ent_status ent_job_hash(const ent_job_spec *sp, char hex[65], ent_error *err)
{
    if (!sp || !hex || !sp->kind || (sp->argc && !sp->argv) ||
        (sp->n_inputs && !sp->inputs))
        return ent_error_set(err, ENT_EINVAL, "ent_job_hash: NULL argument");
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    static const char tag[] = "entrain-job-v1";
    int ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
             hash_bytes(c, tag, sizeof tag - 1) &&
             hash_bytes(c, sp->kind, strlen(sp->kind));
    /* Counts are hashed as 8 bytes too, so argv/input boundaries are unambiguous. */
    ok = ok && hash_count(c, sp->argc);
    for (size_t i = 0; ok && i < sp->argc; i++)
        ok = sp->argv[i] && hash_bytes(c, sp->argv[i], strlen(sp->argv[i]));
    ok = ok && hash_count(c, sp->n_inputs);
    for (size_t i = 0; ok && i < sp->n_inputs; i++)
        ok = sp->inputs[i].name && (sp->inputs[i].data || !sp->inputs[i].size) &&
             hash_bytes(c, sp->inputs[i].name, strlen(sp->inputs[i].name)) &&
             hash_bytes(c, sp->inputs[i].data, sp->inputs[i].size);
    unsigned char md[32];
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(c, md, &n) == 1 && n == 32;
    EVP_MD_CTX_free(c);
    if (!ok)
        return ent_error_set(err, ENT_EINVAL, "cannot hash job (NULL argument or input)");
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return ENT_OK;
}

/* ---- spec checks and copies ---- */

static const char *const reserved_names[] = {"stdout", "stderr",      "submitted",
                                             "pid",    "exit_status", NULL};

static ent_status check_spec(const ent_job_spec *sp, int needs_program, ent_error *err)
{
    if (!sp->kind ||
        ent_store_name_index((const char *const[]){"explore", "label", "train", "score"}, 4,
                             sp->kind) < 0)
        return ent_error_set(err, ENT_EINVAL,
                             "job kind must be explore, label, train or score");
    if (needs_program && (sp->argc < 1 || !sp->argv || !sp->argv[0] || !*sp->argv[0]))
        return ent_error_set(err, ENT_EINVAL, "a job needs a non-empty argv");
    for (size_t i = 0; i < sp->argc; i++)
        if (!sp->argv[i])
            return ent_error_set(err, ENT_EINVAL, "argv[%zu] is NULL", i);
    if (sp->timeout < 0 || sp->max_attempts < 0 ||
        (sp->n_transient && !sp->transient_exit_codes))
        return ent_error_set(err, ENT_EINVAL,
                             "bad timeout, attempts or transient exit codes");
    for (size_t i = 0; i < sp->n_env; i++)
        if (!sp->env || !sp->env[i] || !strchr(sp->env[i], '=') || sp->env[i][0] == '=')
            return ent_error_set(err, ENT_EINVAL, "environment entry %zu is not NAME=VALUE",
                                 i);
    for (size_t i = 0; i < sp->n_inputs; i++) {
        const char *n = sp->inputs[i].name;
        size_t len = n ? strlen(n) : 0;
        int bad = !len || strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, "..") ||
                  (len >= 4 && !strcmp(n + len - 4, ".tmp"));
        for (const char *const *r = reserved_names; !bad && *r; r++)
            bad = !strcmp(n, *r);
        if (bad)
            return ent_error_set(err, ENT_EINVAL, "bad job input file name '%s'",
                                 n ? n : "");
    }
    return ENT_OK;
}

/* Where argv[0] is: itself when it holds a '/', else the first executable on PATH (the
 * job's PATH if its environment sets one). NULL when not found. */
static char *resolve_exec(const char *prog, const char *path_env)
{
    struct stat sb;
    if (strchr(prog, '/')) {
        char *abs = realpath(prog, NULL);
        if (abs &&
            (stat(abs, &sb) != 0 || !S_ISREG(sb.st_mode) || access(abs, X_OK) != 0)) {
            free(abs);
            abs = NULL;
        }
        return abs;
    }
    const char *p = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len == 0)
            snprintf(buf, sizeof buf, "./%s", prog);
        else
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, prog);
        if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) && access(buf, X_OK) == 0)
            return realpath(buf, NULL);
        if (!colon)
            break;
        p = colon + 1;
    }
    return NULL;
}

static int env_overridden(const char *entry, const ent_job_spec *sp)
{
    size_t n = strcspn(entry, "=");
    for (size_t i = 0; i < sp->n_env; i++)
        if (strncmp(sp->env[i], entry, n) == 0 && sp->env[i][n] == '=')
            return 1;
    return 0;
}

/* The job's full environment: the engine's, with the spec's entries added or replaced. */
static char **build_envp(const ent_job_spec *sp)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **v = calloc(n + sp->n_env + 1, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (!env_overridden(*e, sp) && !(v[k++] = strdup(*e)))
            goto oom;
    for (size_t i = 0; i < sp->n_env; i++)
        if (!(v[k++] = strdup(sp->env[i])))
            goto oom;
    return v;
oom:
    for (size_t i = 0; i < k; i++)
        free(v[i]);
    free(v);
    return NULL;
}

static const char *env_lookup(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static job *job_from_spec(ent_jobs *r, const ent_job_spec *sp, const char *hash)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    snprintf(j->hash, sizeof j->hash, "%s", hash);
    char wd[4096];
    snprintf(wd, sizeof wd, "%s/%s-%.16s", r->root, sp->kind, hash);
    j->kind = strdup(sp->kind);
    j->workdir = strdup(wd);
    j->argv = calloc(sp->argc + 1, sizeof *j->argv);
    j->envp = build_envp(sp);
    j->inputs = sp->n_inputs ? calloc(sp->n_inputs, sizeof *j->inputs) : NULL;
    j->transient = sp->n_transient ? malloc(sp->n_transient * sizeof *j->transient) : NULL;
    if (!j->kind || !j->workdir || !j->argv || !j->envp || (sp->n_inputs && !j->inputs) ||
        (sp->n_transient && !j->transient))
        goto oom;
    for (size_t i = 0; i < sp->argc; i++)
        if (!(j->argv[i] = strdup(sp->argv[i])))
            goto oom;
    for (size_t i = 0; i < sp->n_inputs; i++) {
        ent_job_input *in = &j->inputs[i];
        j->n_inputs++;
        in->name = strdup(sp->inputs[i].name);
        in->data = malloc(sp->inputs[i].size ? sp->inputs[i].size : 1);
        if (!in->name || !in->data)
            goto oom;
        if (sp->inputs[i].size)
            memcpy((void *)in->data, sp->inputs[i].data, sp->inputs[i].size);
        in->size = sp->inputs[i].size;
    }
    if (sp->n_transient)
        memcpy(j->transient, sp->transient_exit_codes,
               sp->n_transient * sizeof *j->transient);
    j->n_transient = sp->n_transient;
    j->timeout = sp->timeout;
    j->max_attempts = sp->max_attempts > 0 ? sp->max_attempts : 1;
    j->retry_signal = !sp->no_retry_on_signal;
    if (sp->argc > 0)
        j->path = resolve_exec(sp->argv[0], env_lookup(j->envp, "PATH"));
    return j;
oom:
    job_free(j);
    return NULL;
}

/* argv as a JSON array of strings (the job.argv column). */
static char *argv_json(const ent_job_spec *sp)
{
    size_t cap = 3;
    for (size_t i = 0; i < sp->argc; i++)
        cap += 6 * strlen(sp->argv[i]) + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '[';
    for (size_t i = 0; i < sp->argc; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const unsigned char *c = (const unsigned char *)sp->argv[i]; *c; c++) {
            if (*c == '"' || *c == '\\') {
                *p++ = '\\';
                *p++ = (char)*c;
            } else if (*c < 0x20) {
                p += sprintf(p, "\\u%04x", *c);
            } else {
                *p++ = (char)*c;
            }
        }
        *p++ = '"';
    }
    *p++ = ']';
    *p = 0;
    return out;
}

/* ---- database rows ---- */

static ent_status row_update(ent_jobs *r, job *j, const ent_store_job_update *u,
                             ent_error *err)
{
    return ent_store_job_update_row(r->st, j->id, u, err);
}

/* Last ENT_STORE_JOB_TAIL_MAX bytes of workdir/name as text (NUL bytes become '?'). */
static char *read_tail(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(ENT_STORE_JOB_TAIL_MAX + 1, 1);
    if (!fp || !buf) {
        if (fp)
            fclose(fp);
        return buf;
    }
    size_t n = 0;
    if (fseek(fp, 0, SEEK_END) == 0) {
        long size = ftell(fp);
        long from = size > ENT_STORE_JOB_TAIL_MAX ? size - ENT_STORE_JOB_TAIL_MAX : 0;
        if (size >= 0 && fseek(fp, from, SEEK_SET) == 0)
            n = fread(buf, 1, ENT_STORE_JOB_TAIL_MAX, fp);
    }
    fclose(fp);
    for (size_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '?';
    buf[n] = 0;
    return buf;
}

static int is_transient_code(const job *j, int code)
{
    for (size_t i = 0; i < j->n_transient; i++)
        if (j->transient[i] == code)
            return 1;
    return 0;
}

/* The attempt ended: decide the state, store tails and outcome in one statement, and
 * queue a retry when the failure is transient and attempts remain. */
static ent_status job_finish(ent_jobs *r, job *j, const ent_backend_probe *pr,
                             ent_error *err)
{
    const char *state = "failed";
    char reason[512] = "";
    int transient = 0, has_code = 0, code = 0;
    double elapsed = now_epoch() - j->ext.started;
    switch (pr->state) {
    case ENT_BACKEND_EXITED:
        has_code = 1;
        code = pr->code;
        if (code == 0 && !j->term_sent) {
            state = "succeeded";
        } else {
            transient = is_transient_code(j, code);
            snprintf(reason, sizeof reason, "exit code %d", code);
        }
        break;
    case ENT_BACKEND_SIGNALED:
        has_code = 1;
        code = -pr->code;
        transient = j->retry_signal;
        snprintf(reason, sizeof reason, "killed by signal %d (%s)", pr->code,
                 strsignal(pr->code));
        break;
    case ENT_BACKEND_EXEC_FAILED:
        if (pr->code == ENOENT)
            snprintf(reason, sizeof reason, "executable not found: %s", j->argv[0]);
        else
            snprintf(reason, sizeof reason, "cannot execute %s: %s", j->argv[0],
                     strerror(pr->code));
        break;
    case ENT_BACKEND_LOST:
    default:
        state = "lost";
        transient = 1;
        snprintf(reason, sizeof reason,
                 "the job's wrapper process vanished without an exit "
                 "status");
        break;
    }
    /* Our own timeout or cancel, or (after a restart, when we do not remember sending it)
     * a death by SIGTERM/SIGKILL past the deadline. */
    int timed_out = j->term_sent && !j->cancelled;
    if (!j->term_sent && j->timeout > 0 && elapsed > j->timeout &&
        pr->state == ENT_BACKEND_SIGNALED && (pr->code == SIGTERM || pr->code == SIGKILL))
        timed_out = 1;
    if (j->cancelled) {
        state = "cancelled";
        transient = 0;
        snprintf(reason, sizeof reason, "cancelled");
    } else if (timed_out) {
        state = "timed_out";
        transient = 0;
        snprintf(reason, sizeof reason, "timed out after %g s", j->timeout);
    }
    char *out = read_tail(j->workdir, "stdout"), *errt = read_tail(j->workdir, "stderr");
    int retry = transient && j->attempt < j->max_attempts;
    ent_store_job_update u = {
        .state = retry ? "queued" : state,
        .attempts = -1,
        .has_exit_code = has_code && !retry,
        .exit_code = code,
        .error = reason[0] ? reason : NULL,
        .stdout_tail = out ? out : "",
        .stderr_tail = errt ? errt : "",
    };
    char retry_msg[600];
    if (retry) {
        snprintf(retry_msg, sizeof retry_msg, "attempt %d: %s; retrying", j->attempt,
                 reason);
        u.error = retry_msg;
        u.clear_process = 1;
    }
    ent_status s = row_update(r, j, &u, err);
    free(out);
    free(errt);
    if (s != ENT_OK)
        return s;
    j->phase = retry ? PHASE_QUEUED : PHASE_DONE;
    j->term_sent = j->term_delivered = j->kill_sent = 0;
    memset(&j->ext, 0, sizeof j->ext);
    return ENT_OK;
}

static ent_status job_fail_now(ent_jobs *r, job *j, const char *reason, ent_error *err)
{
    ent_store_job_update u = {.state = "failed", .attempts = -1, .error = reason};
    ent_status s = row_update(r, j, &u, err);
    if (s == ENT_OK)
        j->phase = PHASE_DONE;
    return s;
}

static void backend_job(const job *j, ent_backend_job *bj)
{
    *bj = (ent_backend_job){.hash = j->hash,
                            .workdir = j->workdir,
                            .path = j->path,
                            .argv = j->argv,
                            .envp = j->envp,
                            .attempt = j->attempt};
}

static ent_status write_inputs(const job *j, ent_error *err)
{
    for (size_t i = 0; i < j->n_inputs; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", j->workdir, j->inputs[i].name);
        FILE *fp = fopen(path, "wb");
        int ok =
            fp && fwrite(j->inputs[i].data, 1, j->inputs[i].size, fp) == j->inputs[i].size;
        if (fp && fclose(fp) != 0)
            ok = 0;
        if (!ok)
            return ent_error_set(err, ENT_EIO, "cannot write %s: %s", path,
                                 strerror(errno));
    }
    return ENT_OK;
}

/* Record the external id (state running) once it is known and not yet stored: right
 * after a start, or when an adopted wrapper's pid file appears. */
static ent_status record_pid(ent_jobs *r, job *j, ent_error *err)
{
    if (j->pid_recorded || (j->ext.pid <= 0 && !j->ext.scheduler_id[0]))
        return ENT_OK;
    ent_store_job_update u = {.state = "running",
                              .attempts = -1,
                              .pid = j->ext.pid,
                              .pid_start = j->ext.pid_start,
                              .scheduler_id = j->ext.scheduler_id[0] ? j->ext.scheduler_id
                                                                     : NULL};
    ent_status s = row_update(r, j, &u, err);
    j->pid_recorded = s == ENT_OK;
    return s;
}

/* Start the next attempt: state 'submitted' (attempts = n) before the process exists,
 * its pid and start time right after. */
static ent_status job_start(ent_jobs *r, job *j, ent_error *err)
{
    if (mkdir_p(j->workdir) != 0) {
        char why[512];
        snprintf(why, sizeof why, "cannot create %s: %s", j->workdir, strerror(errno));
        return job_fail_now(r, j, why, err);
    }
    ent_status s = write_inputs(j, err);
    if (s != ENT_OK)
        return job_fail_now(r, j, err->msg, err);
    j->attempt++;
    ent_store_job_update u = {
        .state = "submitted", .attempts = j->attempt, .clear_process = 1};
    if ((s = row_update(r, j, &u, err)) != ENT_OK)
        return s;
    if (r->crash_point == ENT_JOBS_CRASH_BEFORE_START)
        return ent_error_set(err, ENT_EIO, "simulated crash before starting job %lld",
                             (long long)j->id);
    ent_backend_job bj;
    backend_job(j, &bj);
    ent_error berr = {0};
    s = r->be->ops->start(r->be, &bj, &j->ext, &berr);
    if (s != ENT_OK) {
        char why[600];
        snprintf(why, sizeof why, "cannot start: %s", berr.msg);
        return job_fail_now(r, j, why, err);
    }
    j->phase = PHASE_ACTIVE;
    j->term_sent = j->term_delivered = j->kill_sent = j->cancelled = 0;
    if (r->crash_point == ENT_JOBS_CRASH_AFTER_START)
        return ent_error_set(err, ENT_EIO, "simulated crash after starting job %lld",
                             (long long)j->id);
    j->pid_recorded = 0;
    return record_pid(r, j, err);
}

/* ---- submit: new job, or take over the stored one ---- */

static ent_status job_adopt(ent_jobs *r, job *j, const ent_store_job_rec *rec,
                            ent_error *err)
{
    j->attempt = rec->attempts;
    ent_backend_job bj;
    backend_job(j, &bj);
    ent_backend_extid known = {.pid = rec->pid, .pid_start = rec->pid_start};
    snprintf(known.scheduler_id, sizeof known.scheduler_id, "%s", rec->scheduler_id);
    ent_backend_probe pr;
    ent_status s = r->be->ops->find(r->be, &bj, &known, &j->ext, &pr, err);
    if (s != ENT_OK)
        return s;
    if (pr.state == ENT_BACKEND_NOT_STARTED) {
        /* Provably never ran: start this same attempt again. */
        j->attempt = rec->attempts > 0 ? rec->attempts - 1 : 0;
        j->phase = PHASE_QUEUED;
        return ENT_OK;
    }
    j->phase = PHASE_ACTIVE;
    if (pr.state != ENT_BACKEND_RUNNING)
        return job_finish(r, j, &pr, err); /* ended while no engine watched */
    j->pid_recorded = !strcmp(rec->state, "running") &&
                      ((rec->pid > 0 && rec->pid == j->ext.pid) ||
                       (rec->scheduler_id[0] &&
                        !strcmp(rec->scheduler_id, j->ext.scheduler_id)));
    return record_pid(r, j, err);
}

static ent_status jobs_push(ent_jobs *r, job *j, ent_error *err)
{
    if (r->n_jobs == r->cap_jobs) {
        size_t cap = r->cap_jobs ? 2 * r->cap_jobs : 16;
        job **v = realloc(r->jobs, cap * sizeof *v);
        if (!v)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        r->jobs = v;
        r->cap_jobs = cap;
    }
    r->jobs[r->n_jobs++] = j;
    return ENT_OK;
}

static job *jobs_find(ent_jobs *r, int64_t id, const char *hash)
{
    for (size_t i = 0; i < r->n_jobs; i++)
        if ((hash && !strcmp(r->jobs[i]->hash, hash)) || (!hash && r->jobs[i]->id == id))
            return r->jobs[i];
    return NULL;
}

ent_status ent_jobs_submit(ent_jobs *r, const ent_job_spec *sp, int64_t *id, ent_error *err)
{
    if (!r || !sp || !id)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_submit: NULL argument");
    ent_status s = check_spec(sp, r->be->ops->needs_program, err);
    char hash[65];
    if (s != ENT_OK || (s = ent_job_hash(sp, hash, err)) != ENT_OK)
        return s;
    job *have = jobs_find(r, 0, hash);
    if (have) {
        *id = have->id;
        return ENT_OK;
    }
    job *j = job_from_spec(r, sp, hash);
    if (!j)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_store_job_rec rec;
    int found = 0;
    s = ent_store_job_find(r->st, hash, &rec, &found, err);
    if (s == ENT_OK && !found) {
        char *json = argv_json(sp);
        ent_store_job row = {.generation = sp->generation,
                             .kind = sp->kind,
                             .backend = r->be->ops->name,
                             .argv = json,
                             .workdir = j->workdir,
                             .content_hash = hash};
        s = json ? ent_store_job_insert(r->st, &row, &j->id, err)
                 : ent_error_set(err, ENT_ENOMEM, "out of memory");
        free(json);
        j->phase = PHASE_QUEUED;
    } else if (s == ENT_OK) {
        j->id = rec.id;
        j->attempt = rec.attempts;
        if (!strcmp(rec.state, "queued"))
            j->phase = PHASE_QUEUED;
        else if (!strcmp(rec.state, "submitted") || !strcmp(rec.state, "running"))
            s = job_adopt(r, j, &rec, err);
        else
            j->phase = PHASE_DONE; /* finished earlier: never run again */
    }
    if (s == ENT_OK && j->phase == PHASE_QUEUED && !j->path && r->be->ops->needs_program) {
        char why[512];
        snprintf(why, sizeof why, "executable not found: %s", sp->argv[0]);
        s = job_fail_now(r, j, why, err);
    }
    if (s == ENT_OK)
        s = jobs_push(r, j, err);
    if (s != ENT_OK) {
        job_free(j);
        return s;
    }
    *id = j->id;
    return ENT_OK;
}

/* ---- polling ---- */

static ent_status job_poll(ent_jobs *r, job *j, double now, ent_error *err)
{
    ent_backend_job bj;
    backend_job(j, &bj);
    ent_backend_probe pr;
    ent_status s = r->be->ops->poll(r->be, &bj, &j->ext, &pr, err);
    if (s != ENT_OK)
        return s;
    if (pr.state == ENT_BACKEND_NOT_STARTED) { /* adopted start that never ran */
        j->attempt--;
        j->phase = PHASE_QUEUED;
        return ENT_OK;
    }
    if ((s = record_pid(r, j, err)) != ENT_OK)
        return s;
    ent_error kerr = {0};
    if (pr.state == ENT_BACKEND_RUNNING && !j->term_sent && j->timeout > 0 &&
        now - j->ext.started > j->timeout) {
        j->term_sent = 1;
        j->term_at = now;
    }
    /* A cancel or timeout before the job's group was known is delivered once it is. */
    if (j->term_sent && !j->term_delivered && (j->ext.pgid > 0 || j->ext.scheduler_id[0]))
        j->term_delivered = r->be->ops->kill(r->be, &j->ext, SIGTERM, &kerr) == ENT_OK;
    /* After SIGTERM the whole group gets SIGKILL once the grace has passed, even if the
     * job's main process already left: stragglers of the tree go too. */
    if (j->term_sent && !j->kill_sent) {
        if (now - j->term_at < r->grace)
            return ENT_OK;
        r->be->ops->kill(r->be, &j->ext, SIGKILL, &kerr);
        j->kill_sent = 1;
    }
    if (pr.state == ENT_BACKEND_RUNNING)
        return ENT_OK;
    return job_finish(r, j, &pr, err);
}

ent_status ent_jobs_poll(ent_jobs *r, size_t *pending, ent_error *err)
{
    if (!r)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_poll: NULL argument");
    double now = now_epoch();
    ent_status s = ENT_OK;
    size_t active = 0;
    for (size_t i = 0; i < r->n_jobs && s == ENT_OK; i++) {
        job *j = r->jobs[i];
        if (j->phase == PHASE_ACTIVE)
            s = job_poll(r, j, now, err);
        active += j->phase == PHASE_ACTIVE;
    }
    /* Start in submission order while slots are free. */
    for (size_t i = 0; i < r->n_jobs && s == ENT_OK && active < (size_t)r->parallel; i++) {
        job *j = r->jobs[i];
        if (j->phase != PHASE_QUEUED)
            continue;
        s = job_start(r, j, err);
        active += j->phase == PHASE_ACTIVE;
    }
    if (pending) {
        size_t n = 0;
        for (size_t i = 0; i < r->n_jobs; i++)
            n += r->jobs[i]->phase != PHASE_DONE;
        *pending = n;
    }
    return s;
}

ent_status ent_jobs_wait(ent_jobs *r, double max_seconds, size_t *pending, ent_error *err)
{
    if (!r)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_wait: NULL argument");
    double t0 = now_epoch();
    for (;;) {
        size_t n = 0;
        ent_status s = ent_jobs_poll(r, &n, err);
        if (pending)
            *pending = n;
        if (s != ENT_OK || n == 0 || (max_seconds > 0 && now_epoch() - t0 >= max_seconds))
            return s;
        struct timespec ts = {
            .tv_sec = (time_t)r->interval,
            .tv_nsec = (long)((r->interval - (double)(time_t)r->interval) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

ent_status ent_jobs_cancel(ent_jobs *r, int64_t id, ent_error *err)
{
    if (!r)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_cancel: NULL argument");
    job *j = jobs_find(r, id, NULL);
    if (!j)
        return ent_error_set(err, ENT_EINVAL, "job %lld is not in this runner",
                             (long long)id);
    if (j->phase == PHASE_QUEUED) {
        ent_store_job_update u = {
            .state = "cancelled", .attempts = -1, .error = "cancelled"};
        ent_status s = row_update(r, j, &u, err);
        if (s == ENT_OK)
            j->phase = PHASE_DONE;
        return s;
    }
    if (j->phase == PHASE_ACTIVE && !j->term_sent) {
        j->cancelled = 1;
        if (j->ext.pgid <= 0) {
            /* pid file not read yet: poll once to learn the group. */
            ent_backend_job bj;
            backend_job(j, &bj);
            ent_backend_probe pr;
            r->be->ops->poll(r->be, &bj, &j->ext, &pr, err);
        }
        ent_error kerr = {0};
        j->term_delivered =
            j->ext.pgid > 0 && r->be->ops->kill(r->be, &j->ext, SIGTERM, &kerr) == ENT_OK;
        j->term_sent = 1;
        j->term_at = now_epoch();
    }
    return ENT_OK;
}

ent_status ent_jobs_result(ent_jobs *r, int64_t id, ent_job_result *res, ent_error *err)
{
    if (!r || !res)
        return ent_error_set(err, ENT_EINVAL, "ent_jobs_result: NULL argument");
    ent_store_job_rec rec;
    ent_status s = ent_store_job_get(r->st, id, &rec, err);
    if (s != ENT_OK)
        return s;
    memset(res, 0, sizeof *res);
    res->id = rec.id;
    snprintf(res->state, sizeof res->state, "%s", rec.state);
    static const char *const final[] = {"succeeded", "failed", "timed_out", "cancelled",
                                        "lost"};
    res->done = ent_store_name_index(final, 5, rec.state) >= 0;
    res->attempts = rec.attempts;
    res->has_exit_code = rec.has_exit_code;
    res->exit_code = rec.exit_code;
    snprintf(res->error, sizeof res->error, "%s", rec.error);
    snprintf(res->workdir, sizeof res->workdir, "%s", rec.workdir);
    snprintf(res->hash, sizeof res->hash, "%s", rec.content_hash);
    return ENT_OK;
}
