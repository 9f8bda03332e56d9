/* Jobs: external programs the engine runs (explore, label, train), one database row each,
 * run by a bounded runner that survives its own death. A job is an argv (never a shell
 * string), a workdir named after the job's content hash, environment additions, input
 * files written into the workdir, a timeout and a retry policy.
 *
 * States (job.state in the database):
 *   queued -> submitted -> running -> succeeded | failed | timed_out | cancelled | lost
 * and back to queued when a transient failure is retried. The row (with the content hash)
 * is written before anything starts; `submitted` before the process is forked; the
 * external id (pid + start time) right after. Every write is one short statement, never
 * held across a process start or wait.
 *
 * Restart: submitting a job whose hash is already stored never starts it twice: a
 * finished job is reported as stored, a running one is adopted (polled by pid + start
 * time), one that finished while no engine watched is ingested, and one whose start was
 * interrupted is started only when the backend proves it never ran (backend_local.c). */
#ifndef ENT_ENGINE_JOB_H
#define ENT_ENGINE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "engine/backend.h"
#include "store/store.h"

/* A file written into the workdir before each attempt; part of the content hash. name is
 * a plain file name (no '/', not one of the runner's own: stdout, stderr, submitted,
 * pid, exit_status, or ending in .tmp). */
typedef struct ent_job_input {
    const char *name;
    const void *data;
    size_t size;
} ent_job_input;

/* What to run; everything is borrowed for the ent_jobs_submit call (the runner copies). */
typedef struct ent_job_spec {
    const char *kind;        /* explore, label, train, score */
    long generation;         /* an existing generation row */
    const char *const *argv; /* argv[0] is looked up on PATH unless it holds a '/'; */
    size_t argc;             /* argc = 0 only for a backend that runs no program (http) */
    const char *const *env; /* "NAME=VALUE" added to (or replacing in) the engine's */
    size_t n_env;           /* environment; not part of the hash */
    const ent_job_input *inputs;
    size_t n_inputs;
    double timeout;   /* seconds of wall time per attempt; 0 = none */
    int max_attempts; /* attempts in all (1 + retries); 0 = 1 */
    /* Transient failures, retried while attempts remain: exit codes listed here, death
     * by a signal the runner did not send (unless no_retry_on_signal), and lost jobs.
     * Timeouts and a missing executable are never retried. */
    const int *transient_exit_codes;
    size_t n_transient;
    int no_retry_on_signal;
} ent_job_spec;

/* Tests only: stop ent_jobs_poll at a point of an attempt's start, as if the engine were
 * killed there (returns ENT_EIO "simulated crash"; destroy the runner afterwards). */
enum {
    ENT_JOBS_CRASH_NONE = 0,
    ENT_JOBS_CRASH_BEFORE_START, /* after state 'submitted', before the process starts */
    ENT_JOBS_CRASH_AFTER_START,  /* after the process starts, before its pid is recorded */
};

typedef struct ent_jobs_opts {
    const char *work_root; /* workdirs are WORK_ROOT/KIND-HASH16; created if missing */
    const char *backend;   /* "local" (NULL), "slurm" or "http" (backend.h) */
    const ent_backend_option *backend_opts; /* the backend's options, borrowed */
    size_t n_backend_opts;
    int parallel;          /* at most this many jobs running at once; 0 = 1 */
    double kill_grace;     /* seconds from SIGTERM to SIGKILL on timeout; 0 = 5 */
    double poll_interval;  /* sleep between polls in ent_jobs_wait; 0 = 0.05 */
    int crash_point;       /* ENT_JOBS_CRASH_* (tests) */
} ent_jobs_opts;

typedef struct ent_jobs ent_jobs;

/* A runner on an open campaign database (writer; borrowed, must outlive the runner)
 * with the backend named in opts. */
ent_status ent_jobs_create(ent_store *st, const ent_jobs_opts *opts, ent_jobs **out,
                           ent_error *err);
/* Forget the runner's jobs WITHOUT stopping them (a later runner adopts them). Accepts
 * NULL. */
void ent_jobs_destroy(ent_jobs *r);

/* Content hash of (kind, argv, inputs): hex SHA-256, 64 characters + NUL. */
ent_status ent_job_hash(const ent_job_spec *spec, char hex[65], ent_error *err);

/* Register a job: insert its row (state queued) or, when its hash is stored already,
 * take the stored job over as described at the top. A missing executable fails the job
 * here ("executable not found: pw.x"), not retried. *id = its row. Errors: ENT_EINVAL
 * (bad spec), ENT_EIO (workdir, database), ENT_ENOMEM. */
ent_status ent_jobs_submit(ent_jobs *r, const ent_job_spec *spec, int64_t *id,
                           ent_error *err);

/* One round without blocking: finish jobs that ended (tails stored, retries queued),
 * enforce timeouts (SIGTERM to the process group, SIGKILL after the grace), start queued
 * jobs while fewer than `parallel` run. *pending (may be NULL) = jobs not finished yet. */
ent_status ent_jobs_poll(ent_jobs *r, size_t *pending, ent_error *err);

/* Poll until every job has finished or max_seconds (0 = no limit) passed; *pending as
 * above. */
ent_status ent_jobs_wait(ent_jobs *r, double max_seconds, size_t *pending, ent_error *err);

/* Stop a job: its process group gets SIGTERM then SIGKILL after the grace; state
 * cancelled (a queued job is cancelled at once). */
ent_status ent_jobs_cancel(ent_jobs *r, int64_t id, ent_error *err);

typedef struct ent_job_result {
    int64_t id;
    char state[16]; /* one of ent_store_job_state_names */
    int done;       /* a final state */
    int attempts;
    int has_exit_code;
    int exit_code; /* the exit status; minus the signal number when killed by one */
    char error[512];
    char workdir[1024];
    char hash[80];
} ent_job_result;

/* Where a job stands (from the database). */
ent_status ent_jobs_result(ent_jobs *r, int64_t id, ent_job_result *res, ent_error *err);

#endif
