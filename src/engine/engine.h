/* The engine: a reconciler that drives an active-learning campaign generation by
 * generation from what the campaign database says. Each generation moves through the
 * phases plan -> explore -> ingest -> score -> select -> label -> ingest_labels ->
 * metrics -> decide -> done (compress and train are not run yet); every step ends by
 * committing the next phase in one short transaction, so `run` and `resume` are the same
 * loop and a process killed anywhere continues from the stored phase. Jobs are rebuilt
 * from the database with the same content hash and the job layer (job.h) adopts or
 * ingests them: nothing is run twice.
 *
 * Adapters (MVP, in C): `extxyz` (the engine writes input.xyz and task.json into the job's
 * workdir; the command writes output.xyz: candidate frames for explore, one frame with
 * info `energy` and column `forces` for label) and `mcmc` for explore (the built-in
 * dH-targeted Monte Carlo, run in-process; no job). Backend: local only. */
#ifndef ENT_ENGINE_ENGINE_H
#define ENT_ENGINE_ENGINE_H

#include <stdio.h>

#include "base/status.h"
#include "io/frame.h"
#include "lua/campaign.h"

typedef struct ent_engine_opts {
    double min_distance;        /* labels with atoms closer than this (A) are rejected;
                                   < 0 = the default 0.5, 0 = no check */
    double max_failed_fraction; /* label jobs allowed to fail per generation; < 0 = the
                                   default 0.25 */
    const char *recipes_dir;    /* NULL = default */
    FILE *log;                  /* progress lines; NULL = quiet */
} ent_engine_opts;

typedef enum ent_engine_outcome {
    ENT_ENGINE_FINISHED = 0, /* the recipe or a limit stopped the campaign */
    ENT_ENGINE_STOPPED,      /* `entrain stop` asked; resume continues */
} ent_engine_outcome;

typedef struct ent_engine_result {
    ent_engine_outcome outcome;
    long generation; /* the last generation reached */
    char reason[512];
} ent_engine_result;

/* Create or continue the campaign c in its database (c->database, created when missing)
 * until it finishes or a stop is requested. Takes the writer lock for the whole run.
 * Errors: ENT_EIO (database, jobs, a failed step: the message says which generation and
 * phase; the campaign stays resumable), ENT_ERECIPE (a hook failed), ENT_EINVAL (the
 * campaign file differs from the one the database was created with),
 * ENT_EUNSUPPORTED (multicomponent descriptors, automatic bandwidth, a seed selector,
 * another backend or adapter), ENT_ENOMEM. */
ent_status ent_engine_run(const ent_campaign_config *c, const ent_engine_opts *opts,
                          ent_engine_result *res, ent_error *err);

/* The stop-request file of a database ("DB.stop"): `entrain stop` creates it, a running
 * engine removes it and stops cleanly between two steps. */
ent_status ent_engine_stop_file(const char *db_path, char *buf, size_t size,
                                ent_error *err);

/* ---- engine_adapt.c: the extxyz adapter and label validation ---- */

/* Frames as extended XYZ text (malloc'ed *text, *len). */
ent_status ent_engine_xyz_text(ent_frame *const *frames, size_t n, char **text, size_t *len,
                               ent_error *err);

/* Check a label read back for structure f: out holds the job's output frame. On
 * acceptance *reason = "" and energy/forces are filled (forces: n_atoms x 3, caller's
 * array); otherwise *reason says why (non-finite energy, missing forces, atoms i and j
 * closer than d, ...). */
void ent_engine_label_check(const ent_frame *f, const ent_frame *out, double min_distance,
                            double *energy, double *forces, char *reason, size_t size);

#endif
