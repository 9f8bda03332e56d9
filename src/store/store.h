/* The campaign database: one SQLite file holding a whole campaign (structures, descriptors,
 * labels, scores, decisions, jobs, metrics) so that it can be audited and resumed from it
 * alone. src/store is the only code that includes sqlite3.h; this header is its whole
 * public face. Every function takes a caller-owned ent_error; SQLite failures carry the
 * file name and sqlite3_errmsg in its message. */
#ifndef ENT_STORE_STORE_H
#define ENT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "io/frame.h"

/* PRAGMA application_id of every entrain database: 'ENTR' in ASCII. */
#define ENT_STORE_APPLICATION_ID 0x454E5452
/* PRAGMA user_version this build migrates to (the list is in schema.c). */
#define ENT_STORE_SCHEMA_VERSION 2

/* How status codes are used here (no store-specific codes, so every front end's mapping
 * of ent_status stays exhaustive):
 *   ENT_EIO          cannot open/read/write the file: missing, read-only, disk full,
 *                    another process is driving the campaign (message names pid, host,
 * since) ENT_EPARSE       the file is not an SQLite database, or is corrupt
 *   ENT_EUNSUPPORTED an SQLite database of another application, or of a newer schema
 *   ENT_EINVAL       bad arguments (unknown status name, generation < 0, no such structure)
 *   ENT_ENOMEM       out of memory (SQLite's or ours) */

typedef struct ent_store ent_store;

enum {
    ENT_STORE_CREATE =
        1 << 0, /* create a new database: the file must not exist or be empty */
    ENT_STORE_WRITER = 1 << 1,   /* take the single-writer lock (see below) */
    ENT_STORE_READONLY = 1 << 2, /* open read-only: no migrations, no writes */
};

typedef struct ent_store_open_opts {
    unsigned flags;      /* ENT_STORE_* */
    const char *command; /* recorded with the writer lock ("import"); may be NULL */
    int max_version;     /* tests only: migrate no further than this (0 = the latest) */
} ent_store_open_opts;

/* Open (or create) a campaign database. On open: WAL journal, synchronous=NORMAL,
 * foreign_keys=ON, a busy timeout plus retries (readers never report "database is
 * locked"), application_id checked, pending migrations applied (each in its own
 * transaction; not with ENT_STORE_READONLY). With ENT_STORE_WRITER the single-writer lock
 * is taken: refused (ENT_EIO, "PATH is being driven by pid P on host H since T") while a
 * live process holds it; taken over, in one transaction, from a holder on this host whose
 * pid is dead (or was reused by another process); then imports left unfinished by a dead
 * writer are removed. opts may be NULL (plain reader). *out = NULL on error. */
ent_status ent_store_open(const char *path, const ent_store_open_opts *opts,
                          ent_store **out, ent_error *err);

/* Release the writer lock (if held) and close. Accepts NULL. */
void ent_store_close(ent_store *st);

int ent_store_schema_version(const ent_store *st);
const char *ent_store_path(const ent_store *st);

/* Who holds the writer lock (held = 0 when nobody). */
typedef struct ent_store_writer_info {
    int held;
    long pid;
    char host[256];
    char since[32];     /* ISO 8601 UTC, "2026-11-22T02:50:00Z" */
    char heartbeat[32]; /* last sign of life of the holder */
    char command[64];
    int gone; /* the holder runs on this host and is no longer alive (stale lock) */
} ent_store_writer_info;

ent_status ent_store_writer_get(ent_store *st, ent_store_writer_info *info, ent_error *err);
/* 1 if this handle took the writer lock over from a dead holder (described in previous,
 * which may be NULL), else 0. */
int ent_store_writer_took_over(const ent_store *st, ent_store_writer_info *previous);
/* Refresh the holder's heartbeat (writers call it between their transactions). */
ent_status ent_store_writer_heartbeat(ent_store *st, ent_error *err);

/* Explicit transactions. read_begin opens a snapshot so that several queries see the same
 * state; write_begin is BEGIN IMMEDIATE (writer only; keep it short, never across an
 * external process). Functions below run inside the caller's transaction if one is open,
 * else in their own. */
ent_status ent_store_read_begin(ent_store *st, ent_error *err);
ent_status ent_store_write_begin(ent_store *st, ent_error *err);
ent_status ent_store_commit(ent_store *st, ent_error *err);
void ent_store_rollback(ent_store *st); /* no-op outside a transaction */

/* ---- Names of enumerated columns (the CHECK constraints in schema.c hold the same) ----
 */

#define ENT_STORE_N_STATUS 5 /* candidate, selected, labelled, rejected, dropped */
extern const char *const ent_store_status_names[ENT_STORE_N_STATUS];
#define ENT_STORE_N_JOB_STATES                                                             \
    8 /* queued submitted running succeeded failed timed_out cancelled lost */
extern const char *const ent_store_job_state_names[ENT_STORE_N_JOB_STATES];
/* Index of a name in one of the lists above, -1 if absent. */
int ent_store_name_index(const char *const *names, int n, const char *name);

/* ---- Structures ---- */

/* Content hash (SHA-256, 32 bytes) of a structure's identity: atom count, species,
 * positions, cell (zeros without one) and pbc — not its info or per-atom columns (see
 * README, "Campaign database"). -0.0 hashes as 0.0. */
#define ENT_STORE_HASH_SIZE 32
ent_status ent_store_structure_hash(ent_store *st, const ent_frame *f,
                                    unsigned char hash[ENT_STORE_HASH_SIZE],
                                    ent_error *err);

/* Which structures a query means; zero-initialise, then set what matters. Only structures
 * of finished imports (and of the engine) are ever visible. */
typedef struct ent_store_filter {
    long generation; /* valid when has_generation */
    int has_generation;
    const char *status; /* one of ent_store_status_names, NULL = any */
    const char *tag;    /* NULL = any */
} ent_store_filter;

/* Ids of the visible structures matching f (NULL = all), ascending (= insertion order).
 * *ids is malloc'ed (NULL when *n == 0). */
ent_status ent_store_structure_ids(ent_store *st, const ent_store_filter *f, int64_t **ids,
                                   size_t *n, ent_error *err);

/* Where a structure came from and where it stands. */
typedef struct ent_store_structure_info {
    int64_t id;
    size_t n_atoms;
    unsigned char hash[ENT_STORE_HASH_SIZE];
    char origin[16]; /* seed, explored, imported, generated */
    long generation;
    char status[16];
    char status_reason[256];
    char tag[128];
    char source[512];              /* file of an import, "" otherwise */
    long frame_index;              /* frame in the source file or job output, -1 if none */
    int64_t import_id, parent_job; /* 0 = none */
    char created[32];
} ent_store_structure_info;

/* The stored structure as a frame, exactly as it was imported (positions, cell, pbc,
 * species, per-atom columns and info, in their order), and/or its record. frame and info
 * may each be NULL. ENT_EINVAL if no visible structure has this id. */
ent_status ent_store_structure_get(ent_store *st, int64_t id, ent_frame **frame,
                                   ent_store_structure_info *info, ent_error *err);

/* Atom count and periodic-cell volume without decoding the structure (vol = 0 unless the
 * cell is periodic along all three axes). */
ent_status ent_store_structure_size(ent_store *st, int64_t id, size_t *n_atoms,
                                    double *volume, ent_error *err);

/* Sorted distinct species of the visible structures matching f, as one string of symbols
 * separated by single blanks ("Al Cu"); caller frees *species. */
ent_status ent_store_species(ent_store *st, const ent_store_filter *f, char **species,
                             ent_error *err);

/* Change a structure's status (writer), with an optional reason. */
ent_status ent_store_structure_set_status(ent_store *st, int64_t id, const char *status,
                                          const char *reason, ent_error *err);

/* ---- Labels ---- */

/* A label to store: energy (eV), forces (n_atoms x 3, eV/A) and stress (6 or 9 values);
 * any may be absent. validation: NULL or "ok" when accepted, else the rejection reason. */
typedef struct ent_store_label {
    int has_energy;
    double energy;
    const double *forces; /* NULL = none */
    const double *stress; /* NULL = none */
    size_t n_stress;      /* 6 or 9 when stress != NULL */
    int64_t job_id;       /* producing job, 0 = none (imported) */
    const char *validation;
} ent_store_label;

/* A stored label (the latest one of a structure). forces is owned: free it with
 * ent_store_label_rec_clear. */
typedef struct ent_store_label_rec {
    int64_t id;
    int has_energy;
    double energy;
    double *forces; /* n_atoms x 3 or NULL */
    size_t n_atoms;
    double stress[9];
    size_t n_stress;
    int64_t job_id;
    char validation[256];
    char created[32];
} ent_store_label_rec;

ent_status ent_store_label_insert(ent_store *st, int64_t structure_id,
                                  const ent_store_label *label, int64_t *id,
                                  ent_error *err);
/* *found = 0 (rec zeroed) when the structure has no label. */
ent_status ent_store_label_latest(ent_store *st, int64_t structure_id,
                                  ent_store_label_rec *rec, int *found, ent_error *err);
void ent_store_label_rec_clear(ent_store_label_rec *rec);

/* ---- Descriptors ---- */

/* The parameters that made a descriptor matrix. species: "" for single-component
 * descriptors, else the sorted multicomponent species list ("Al Cu"). */
typedef struct ent_store_descriptor_params {
    int k;
    double cutoff;
    const char *species;
    int quests_compat;
} ent_store_descriptor_params;

/* Id of the descriptor set with exactly these parameters (*id = 0 if none) and its row
 * width. */
ent_status ent_store_descriptor_set_find(ent_store *st,
                                         const ent_store_descriptor_params *p, int64_t *id,
                                         size_t *width, ent_error *err);
/* Same, creating it if needed (writer). */
ent_status ent_store_descriptor_set_ensure(ent_store *st,
                                           const ent_store_descriptor_params *p,
                                           size_t width, int64_t *id, ent_error *err);

/* Store / read one structure's n_atoms x width descriptor matrix (float64, bit-exact).
 * get: *found = 0 when the structure has none in this set; out must hold n_atoms x width.
 */
ent_status ent_store_descriptor_put(ent_store *st, int64_t structure_id, int64_t set_id,
                                    const double *x, size_t n_atoms, ent_error *err);
ent_status ent_store_descriptor_get(ent_store *st, int64_t structure_id, int64_t set_id,
                                    double *out, size_t n_atoms, int *found,
                                    ent_error *err);

typedef struct ent_store_dh_stats {
    size_t reference_envs; /* stored environments summed over */
    size_t reference_structures;
    size_t chunks; /* kernel calls */
    size_t peak_chunk_rows;
} ent_store_dh_stats;

/* dH(y_i | everything labelled) = -ln sum_j K(y_i, x_j) over the stored descriptors of set
 * set_id of every visible labelled structure, streamed in chunks of about chunk_rows rows
 * (0 = 65536) with ent_kernel_sum, so memory is O(m nh + chunk_rows d) whatever the
 * reference size. y: m x width of the set; out: m x nh (+inf where every kernel
 * underflows, as ent_delta_entropy). Runs in one read snapshot. ENT_EINVAL if a labelled
 * structure has no descriptors in this set (they are never recomputed here). stats may be
 * NULL. */
ent_status ent_store_dh_against_labelled(ent_store *st, int64_t set_id, const double *y,
                                         size_t m, const double *h, size_t nh,
                                         size_t chunk_rows, double *out,
                                         ent_store_dh_stats *stats, ent_error *err);

/* ---- Imports: all or nothing, in short transactions ----
 * Structures are inserted in batches (one short transaction each) into rows that belong
 * to an import record in state 'running' and are invisible to every query; commit flips
 * the record to 'done' in one tiny transaction, making all of them visible at once. A
 * writer killed before that leaves invisible rows, removed by the next writer's open. */
typedef struct ent_store_import_params {
    const char *files;      /* what is imported, recorded (e.g. "a.xyz b.xyz") */
    long generation;        /* >= 0; created (phase 'done') if missing */
    const char *tag;        /* NULL = none */
    const char *status;     /* of new structures: NULL = "candidate"; "labelled" */
    int64_t descriptor_set; /* 0 = structures without descriptors */
    size_t batch;           /* structures per transaction; 0 = the default: 1000
                               structures, 64 MB of BLOBs or 1 s, whichever comes first;
                               a count here disables the other two (tests, benchmarks) */
} ent_store_import_params;

typedef struct ent_store_import ent_store_import;

typedef struct ent_store_import_stats {
    int64_t import_id;
    size_t added, duplicates, rejected;
    size_t environments; /* atoms of the added structures */
} ent_store_import_stats;

ent_status ent_store_import_begin(ent_store *st, const ent_store_import_params *p,
                                  ent_store_import **out, ent_error *err);
/* Add one structure (with its descriptors, n_atoms x width of the import's set, when the
 * import has one; and its label, or NULL). A structure whose content hash is already
 * stored (or was added earlier in this import) is skipped: *duplicate = 1, *id = the
 * stored one. A label with non-finite values is stored with that reason as validation and
 * the structure as 'rejected'. id and duplicate may be NULL. */
ent_status ent_store_import_add(ent_store_import *im, const ent_frame *f,
                                const char *source, long frame_index,
                                const double *descriptors, const ent_store_label *label,
                                int64_t *id, int *duplicate, ent_error *err);
/* Make the whole import visible (one short transaction). stats may be NULL. */
ent_status ent_store_import_commit(ent_store_import *im, ent_store_import_stats *stats,
                                   ent_error *err);
/* Free the import. If it was not committed, its rows are removed (or, if that fails too,
 * left invisible for the next writer). Accepts NULL. */
void ent_store_import_destroy(ent_store_import *im);

/* ---- Campaign records (the engine's; minimal insert/select) ---- */

ent_status ent_store_generation_ensure(ent_store *st, long generation, const char *phase,
                                       ent_error *err);
ent_status ent_store_generation_set_phase(ent_store *st, long generation, const char *phase,
                                          ent_error *err);

typedef struct ent_store_job {
    long generation;
    const char *kind;    /* explore, label, train, score */
    const char *backend; /* local, slurm, http */
    const char *argv;    /* JSON array of strings */
    const char *workdir;
    const char *content_hash; /* hex SHA-256 of (kind, argv, inputs); unique */
} ent_store_job;
ent_status ent_store_job_insert(ent_store *st, const ent_store_job *job, int64_t *id,
                                ent_error *err);
/* Record a state change; exit_code < -999 = unknown, pid <= 0 = unchanged, scheduler_id
 * NULL = unchanged. Timestamps follow the state (submitted, started, finished). */
ent_status ent_store_job_set_state(ent_store *st, int64_t id, const char *state, long pid,
                                   const char *scheduler_id, int exit_code, ent_error *err);

typedef struct ent_store_score {
    int64_t structure_id;
    long generation;
    int64_t descriptor_set;
    double bandwidth, threshold;
    double dh_min, dh_mean, dh_max, frac_novel; /* over the structure's environments */
    size_t n_inf;
    size_t reference_envs, reference_structures;
} ent_store_score;
ent_status ent_store_score_insert(ent_store *st, const ent_store_score *s, ent_error *err);

/* kind: select, reject, drop, stop, continue; structure_id 0 for campaign-level ones. */
ent_status ent_store_decision_insert(ent_store *st, long generation, int64_t structure_id,
                                     const char *kind, const char *reason,
                                     const char *recipe_hash, ent_error *err);

typedef struct ent_store_metric {
    long generation;
    double bandwidth, entropy, diversity, novelty, info_gap; /* NaN = not computed */
    size_t n_structures, n_environments;
    double wall_seconds;
    long jobs_succeeded, jobs_failed; /* < 0 = unknown */
    const char *extra;                /* JSON object with further statistics, or NULL */
} ent_store_metric;
ent_status ent_store_metric_put(ent_store *st, const ent_store_metric *m, ent_error *err);

/* Jobs of one kind in one generation (metrics_query.c). failed counts failed, timed_out,
 * lost and cancelled; wall times in seconds over jobs that finished (NaN = none). */
enum { ENT_STORE_N_JOB_KINDS = 4 }; /* explore, label, train, score */
typedef struct ent_store_job_stats {
    size_t n, succeeded, failed;
    double wall_total, wall_max;
} ent_store_job_stats;

/* What the engine's metrics step records about a generation beyond H and D (QUESTS_MATH.md
 * §10). NaN = not known. */
typedef struct ent_store_gen_stats {
    size_t n_scored, n_scored_inf; /* candidates scored; of them with mean dH = +inf */
    double dh_frame_mean;          /* per-frame mean dH of candidates, averaged (finite) */
    double dh_frame_spread;        /* ... and its standard deviation over frames */
    double dh_max;                 /* the largest dH of any candidate environment */
    size_t new_environments;       /* environments labelled in this generation */
    double new_novelty;            /* their fraction with dH > 0 against earlier data */
    double wall_seconds;           /* since the generation started */
    ent_store_job_stats jobs[ENT_STORE_N_JOB_KINDS];
} ent_store_gen_stats;
ent_status ent_store_generation_stats(ent_store *st, long generation, ent_store_gen_stats *out,
                                      ent_error *err);

/* Energies of every labelled structure whose latest label passed validation: species as
 * stored (symbols separated by one blank, malloc'ed), atom count and energy (eV). Free
 * with ent_store_labelled_energies_free. */
typedef struct ent_store_energy_row {
    char *species;
    size_t n_atoms;
    double energy;
} ent_store_energy_row;
ent_status ent_store_labelled_energies(ent_store *st, ent_store_energy_row **rows, size_t *n,
                                       ent_error *err);
void ent_store_labelled_energies_free(ent_store_energy_row *rows, size_t n);

/* Record that generation's training set holds the structure (schema version 2). */
ent_status ent_store_train_set_add(ent_store *st, long generation, int64_t structure_id,
                                   ent_error *err);

/* ---- Reports ---- */

/* One row of `entrain status`. */
typedef struct ent_store_gen_summary {
    long generation;
    char phase[24];
    size_t n_status[ENT_STORE_N_STATUS]; /* by ent_store_status_names */
    size_t n_structures, n_environments;
    int has_metric;
    double entropy, diversity, novelty; /* NaN when the metric is missing or NULL */
    size_t n_jobs[ENT_STORE_N_JOB_STATES];
} ent_store_gen_summary;

/* Per-generation summary, ascending; *rows malloc'ed. Also the number of imports still
 * running (invisible rows; a live writer's, or a dead one's awaiting cleanup). */
ent_status ent_store_summary(ent_store *st, ent_store_gen_summary **rows, size_t *n,
                             size_t *running_imports, ent_error *err);

/* A structure's lineage for `entrain audit`. Arrays are malloc'ed; free with
 * ent_store_audit_clear. */
typedef struct ent_store_audit_score {
    long generation;
    double bandwidth, threshold, dh_min, dh_mean, dh_max, frac_novel;
    size_t n_inf, reference_envs, reference_structures;
    char created[32];
} ent_store_audit_score;
typedef struct ent_store_audit_decision {
    long generation;
    char kind[16];
    char reason[512];
    char recipe_hash[80];
    char created[32];
} ent_store_audit_decision;
typedef struct ent_store_audit_job {
    int64_t id;
    char kind[16], backend[16], state[16];
    char argv[1024];
    int has_exit_code;
    int exit_code;
} ent_store_audit_job;
typedef struct ent_store_audit_descriptor {
    int k;
    double cutoff;
    char species[256];
    int quests_compat;
    size_t width;
} ent_store_audit_descriptor;

typedef struct ent_store_audit {
    ent_store_structure_info info;
    char import_files[512]; /* of the import that brought it, "" if none */
    int has_parent_job;
    ent_store_audit_job parent_job;
    ent_store_audit_score *scores;
    size_t n_scores;
    ent_store_audit_decision *decisions;
    size_t n_decisions;
    int has_label;
    ent_store_label_rec label; /* latest label */
    int has_label_job;
    ent_store_audit_job label_job;
    size_t n_labels; /* all labels ever stored for it */
    long *train_generations;
    size_t n_train_generations;
    ent_store_audit_descriptor *descriptors;
    size_t n_descriptors;
} ent_store_audit;

ent_status ent_store_audit_get(ent_store *st, int64_t id, ent_store_audit *a,
                               ent_error *err);
void ent_store_audit_clear(ent_store_audit *a);

/* ---- Job queries for the engine's runner (jobs_query.c) ----
 * Everything the runner needs beyond insert/set_state: find a job by its content hash,
 * read it back, and record attempts, the external id and the outcome. */

#define ENT_STORE_JOB_TAIL_MAX 4096 /* bytes of stdout/stderr kept in the database */

typedef struct ent_store_job_rec {
    int64_t id;
    long generation;
    char kind[16], backend[16], state[16];
    char workdir[1024];
    char content_hash[80];
    int attempts;
    long pid;            /* 0 = none recorded */
    long long pid_start; /* process start time (/proc/PID/stat field 22), 0 = none */
    char scheduler_id[64];
    int has_exit_code;
    int exit_code;
    char error[512];
    char submitted[32], started[32], finished[32];
} ent_store_job_rec;

/* The job with this content hash (*found = 0 and rec zeroed when none). */
ent_status ent_store_job_find(ent_store *st, const char *content_hash,
                              ent_store_job_rec *rec, int *found, ent_error *err);
/* The job with this id; ENT_EINVAL when none. */
ent_status ent_store_job_get(ent_store *st, int64_t id, ent_store_job_rec *rec,
                             ent_error *err);

/* A change of a job row (writer). state NULL = unchanged (timestamps follow the state as
 * in ent_store_job_set_state); attempts < 0, pid <= 0 = unchanged; pid_start is written
 * with pid; clear_process = 1 forgets pid, pid_start and exit code (a retry);
 * has_exit_code = 1 writes exit_code; error/stdout_tail/stderr_tail NULL = unchanged. */
typedef struct ent_store_job_update {
    const char *state;
    int attempts;
    long pid;
    long long pid_start;
    const char *scheduler_id; /* NULL = unchanged; cleared by clear_process */
    int clear_process;
    int has_exit_code;
    int exit_code;
    const char *error;
    const char *stdout_tail, *stderr_tail;
} ent_store_job_update;
ent_status ent_store_job_update_row(ent_store *st, int64_t id,
                                    const ent_store_job_update *u, ent_error *err);

/* Stored tails of a job's stdout and stderr (malloc'ed, "" when none; either may be
 * NULL when not wanted). */
ent_status ent_store_job_tails(ent_store *st, int64_t id, char **stdout_tail,
                               char **stderr_tail, ent_error *err);


/* ---- Engine bookkeeping (campaign_meta.c; added for the engine) ---- */

/* Record (or replace) the campaign row: name, the campaign file's text and hash, the
 * recipe text and hash, params (JSON). Writer. Errors: ENT_EINVAL, ENT_EIO. */
ent_status ent_store_campaign_put(ent_store *st, const char *name, const char *text,
                                  const char *hash, const char *recipe_text,
                                  const char *recipe_hash, const char *params,
                                  ent_error *err);
/* The stored campaign file text (malloc'ed into *text) and hash; *found = 0 when none. */
ent_status ent_store_campaign_text(ent_store *st, char **text, char hash[65], int *found,
                                   ent_error *err);
/* A generation's phase and RNG seed (*has_seed = 0 when NULL); *found = 0 if absent.
 * seed and has_seed may be NULL. */
ent_status ent_store_generation_get(ent_store *st, long generation, char phase[24],
                                    uint64_t *seed, int *has_seed, int *found,
                                    ent_error *err);
/* The highest generation id (*found = 0 when there is none). */
ent_status ent_store_generation_last(ent_store *st, long *generation, int *found,
                                     ent_error *err);
/* Store a generation's RNG seed / its finish time (writer). */
ent_status ent_store_generation_set_seed(ent_store *st, long generation, uint64_t seed,
                                         ent_error *err);
ent_status ent_store_generation_finish(ent_store *st, long generation, ent_error *err);
/* Give a structure that an import of this generation brought in (origin 'imported') its
 * real origin ('explored', 'seed') and producing job (0 = none). Other rows: no change. */
ent_status ent_store_structure_set_origin(ent_store *st, int64_t id, long generation,
                                          const char *origin, int64_t parent_job,
                                          ent_error *err);


/* ---- Report queries (report_query.c; added for `entrain report`, read-only) ----
 * Everything the report shows beyond ent_store_summary, read in one snapshot by
 * ent_store_report_get. Arrays are malloc'ed (NULL when empty); free with
 * ent_store_report_clear. NaN marks a value that was not stored. */

typedef struct ent_store_report_metric {
    long generation;
    double bandwidth, entropy, diversity, novelty, info_gap, wall_seconds;
    long long n_structures, n_environments; /* -1 when not stored */
} ent_store_report_metric;

typedef struct ent_store_report_score { /* one candidate scored in one generation */
    long generation;
    int64_t structure_id;
    double threshold; /* NaN when the recipe stored none */
    double dh_min, dh_mean, dh_max, frac_novel;
} ent_store_report_score;

typedef struct ent_store_report_job {
    int64_t id;
    long generation; /* -1 when NULL */
    char kind[16], state[16];
    double wall_seconds; /* finished - started, NaN unless both are stored */
    char error[256];
} ent_store_report_job;

#define ENT_STORE_N_DECISION_KINDS 5 /* select reject drop stop continue */
extern const char *const ent_store_decision_kind_names[ENT_STORE_N_DECISION_KINDS];

typedef struct ent_store_report_event { /* a decision other than select/reject */
    long generation;
    int64_t structure_id; /* 0 = campaign-level */
    char kind[16];
    char reason[256];
    char recipe_hash[80];
} ent_store_report_event;

typedef struct ent_store_report_decisions { /* decision counts of one generation */
    long generation;
    size_t n[ENT_STORE_N_DECISION_KINDS]; /* by ent_store_decision_kind_names */
} ent_store_report_decisions;

typedef struct ent_store_report {
    int has_campaign;
    char name[256];
    char *campaign_text; /* NULL when not stored */
    char campaign_hash[80], recipe_hash[80];
    char *params; /* JSON text, NULL when not stored */
    char created[32];
    ent_store_gen_summary *gens;
    size_t n_gens;
    ent_store_report_metric *metrics;
    size_t n_metrics;
    ent_store_report_score *scores; /* by generation, then structure id */
    size_t n_scores;
    ent_store_report_job *jobs; /* by id */
    size_t n_jobs;
    ent_store_report_event *events; /* drop/stop/continue, in insertion order */
    size_t n_events;
    ent_store_report_decisions *decisions; /* by generation */
    size_t n_decisions;
} ent_store_report;

/* Read the whole report in one read snapshot. *r is zeroed first; on error it is left
 * cleared. Errors: ENT_EINVAL (NULL argument), ENT_EIO, ENT_ENOMEM. */
ent_status ent_store_report_get(ent_store *st, ent_store_report *r, ent_error *err);
void ent_store_report_clear(ent_store_report *r);

#endif
