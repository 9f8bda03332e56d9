/* What a job backend (local processes, Slurm, an HTTP labelling service) implements for the
 * runner in job.c: start one attempt of a job, find an attempt again after a restart,
 * poll it, and signal it. The runner owns the database and the state machine; a backend
 * only knows processes (or scheduler jobs) and the files of the job's workdir. */
#ifndef ENT_ENGINE_BACKEND_H
#define ENT_ENGINE_BACKEND_H

#include <stddef.h>

#include "base/status.h"

/* One attempt of a job as the backend sees it; all borrowed for the call. */
typedef struct ent_backend_job {
    const char *hash;    /* hex content hash (the job's identity) */
    const char *workdir; /* exists; the job's cwd */
    const char *path;    /* resolved executable (argv[0] looked up on PATH) */
    char *const *argv;   /* NULL-terminated */
    char *const *envp;   /* the full environment of the job, NULL-terminated */
    int attempt;         /* 1, 2, ... */
} ent_backend_job;

/* External id of a started attempt. Local: pid and start time of the wrapper process
 * (the engine's child that waits for the job and writes its exit status), pgid of the
 * job's process group. Schedulers: scheduler_id. */
typedef struct ent_backend_extid {
    long pid;
    long long pid_start; /* /proc/PID/stat field 22 */
    long pgid;           /* 0 = not known yet */
    double started;      /* wall clock (epoch seconds) when the attempt was started */
    char scheduler_id[64];
} ent_backend_extid;

typedef enum ent_backend_state {
    ENT_BACKEND_NOT_STARTED = 0, /* find: this attempt never ran; safe to start it */
    ENT_BACKEND_RUNNING,
    ENT_BACKEND_EXITED,      /* code = exit status */
    ENT_BACKEND_SIGNALED,    /* code = signal number */
    ENT_BACKEND_EXEC_FAILED, /* code = errno of exec (the program never ran) */
    ENT_BACKEND_LOST,        /* started, but it is gone without an exit status */
} ent_backend_state;

typedef struct ent_backend_probe {
    ent_backend_state state;
    int code;
} ent_backend_probe;

typedef struct ent_backend ent_backend;

typedef struct ent_backend_ops {
    const char *name;  /* "local", "slurm", "http": as stored in job.backend */
    int needs_program; /* jobs are an argv run as a program (local, slurm); 0: http */
    /* Start the attempt; fills ext. Must leave enough behind (marker, job name) for find
     * to recognise the attempt if the engine dies before recording ext. */
    ent_status (*start)(ent_backend *be, const ent_backend_job *job, ent_backend_extid *ext,
                        ent_error *err);
    /* After a restart: the attempt's external id and state from what start left behind.
     * known (may be NULL) is what the database recorded, used to cross-check. Returns
     * ENT_BACKEND_NOT_STARTED only when the attempt provably never ran and never will. */
    ent_status (*find)(ent_backend *be, const ent_backend_job *job,
                       const ent_backend_extid *known, ent_backend_extid *ext,
                       ent_backend_probe *probe, ent_error *err);
    /* Current state of a started attempt (may complete ext, e.g. pgid). */
    ent_status (*poll)(ent_backend *be, const ent_backend_job *job, ent_backend_extid *ext,
                       ent_backend_probe *probe, ent_error *err);
    /* Send sig to the attempt's whole process tree (or cancel it). */
    ent_status (*kill)(ent_backend *be, const ent_backend_extid *ext, int sig,
                       ent_error *err);
    void (*destroy)(ent_backend *be);
} ent_backend_ops;

struct ent_backend {
    const ent_backend_ops *ops;
};

/* A backend option from the campaign file, flattened to text ("partition" = "cpu",
 * "env.OMP_NUM_THREADS" = "1", "extra[1]" = "--exclusive"); see recipes/API.md. */
typedef struct ent_backend_option {
    const char *key;
    const char *value;
} ent_backend_option;

/* The backend called name ("local", "slurm", "http") with its options (borrowed for the
 * call). ENT_EINVAL for an unknown name or a bad option. */
ent_status ent_backend_create(const char *name, const ent_backend_option *opts, size_t n_opts,
                              ent_backend **out, ent_error *err);

/* The local backend: fork/exec through a wrapper process (see backend_local.c). */
ent_status ent_backend_local_create(ent_backend **out, ent_error *err);
/* Slurm: sbatch/squeue/scontrol/sacct (backend_slurm.c). */
ent_status ent_backend_slurm_create(const ent_backend_option *opts, size_t n_opts,
                                    ent_backend **out, ent_error *err);
/* An HTTP labelling service through libcurl (backend_http.c). */
ent_status ent_backend_http_create(const ent_backend_option *opts, size_t n_opts,
                                   ent_backend **out, ent_error *err);

#endif
