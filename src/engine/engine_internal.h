/* Shared state of the engine's files: engine.c (loop, seeds, metrics, decide) and
 * engine_steps.c (the steps that run jobs: explore, ingest, score, select, label,
 * ingest_labels). Not a public header. */
#ifndef ENT_ENGINE_INTERNAL_H
#define ENT_ENGINE_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "info/descriptor.h"
#include "lua/recipe.h"
#include "store/store.h"

typedef struct eng {
    const ent_campaign_config *c;
    ent_engine_opts o;
    double min_distance, max_failed;
    double max_force, energy_outlier; /* 0 = check off */
    ent_store *st;
    ent_lua_recipe *rc;
    ent_descriptor_params desc;
    ent_store_descriptor_params dp;
    int64_t set_id;
    size_t width;
    double h;
    uint64_t seed; /* the current generation's */
    char work_root[4096];
    char stop_file[4096];
    char stop_reason[512];
    char crash_at[64];
    long crash_gen;
    time_t started;
} eng;

void eng_crash_point(eng *e, const char *point, long generation);
ent_status eng_tx_begin(eng *e, ent_error *err);
ent_status eng_tx_end(eng *e, ent_status s, ent_error *err);
ent_status eng_advance(eng *e, long g, const char *done, const char *next, ent_error *err);
void eng_log(eng *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

ent_status eng_step_explore(eng *e, long g, ent_error *err);
ent_status eng_step_ingest(eng *e, long g, ent_error *err);
ent_status eng_step_score(eng *e, long g, ent_error *err);
ent_status eng_step_select(eng *e, long g, ent_error *err);
ent_status eng_step_label(eng *e, long g, ent_error *err);
ent_status eng_step_ingest_labels(eng *e, long g, ent_error *err);
ent_status eng_step_compress(eng *e, long g, ent_error *err); /* engine_phases.c */
ent_status eng_step_train(eng *e, long g, ent_error *err);

#endif
