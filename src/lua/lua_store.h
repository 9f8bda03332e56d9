/* The adapter between recipes and the campaign database: build the plain C data hooks
 * take (candidates with dH against everything labelled, the labelled data set, metrics)
 * from a store, and record what hooks return (decisions with reasons and the recipe hash,
 * status changes) in one transaction. src/lua may call src/store; never the reverse. */
#ifndef ENT_LUA_STORE_H
#define ENT_LUA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "lua/recipe.h"
#include "store/store.h"

/* A set read from the database, owning every array set points into. */
typedef struct ent_lua_store_set {
    ent_lua_set set;
    int64_t set_id; /* the descriptor set read */
    ent_lua_item *items;
    char (*strings)[2][128]; /* origin and tag of each item */
    double *x, *dh, *ref_x;
    size_t *offsets;
} ent_lua_store_set;
void ent_lua_store_set_clear(ent_lua_store_set *s);

/* The candidates of a generation (status 'candidate'), with their stored descriptors of
 * the descriptor set with parameters dp, the dH of every environment against every labelled
 * structure (streamed by ent_store_dh_against_labelled), per-candidate statistics at
 * threshold, and the labelled structures' descriptors as the reference of msc_conditional.
 * Read in one snapshot. Errors: those of the store; ENT_EINVAL when the descriptor set does
 * not exist or a structure has no descriptors in it. */
ent_status ent_lua_store_candidates(ent_store *st, long generation,
                                    const ent_store_descriptor_params *dp, double bandwidth,
                                    double threshold, ent_lua_store_set *out,
                                    ent_error *err);

/* The labelled data set (status 'labelled'), with its descriptors (parameters dp). */
ent_status ent_lua_store_dataset(ent_store *st, const ent_store_descriptor_params *dp,
                                 double bandwidth, ent_lua_store_set *out, ent_error *err);

/* One metrics row per generation from the store's summary (entropy, diversity, novelty
 * where computed; counts by status). *rows is malloc'ed. */
ent_status ent_lua_store_metrics(ent_store *st, ent_lua_metrics_row **rows, size_t *n,
                                 ent_error *err);

/* Record decisions of one kind ("select" sets status 'selected', "drop" sets 'dropped',
 * "reject" sets 'rejected') with their reasons and the recipe hash, in one write
 * transaction: all of them or none. ENT_EINVAL for another kind. */
ent_status ent_lua_store_decisions(ent_store *st, long generation, const char *kind,
                                   const ent_lua_decisions *d, const char *recipe_hash,
                                   ent_error *err);

/* Record should_stop's answer as a campaign-level "stop" or "continue" decision. */
ent_status ent_lua_store_stop(ent_store *st, long generation, const ent_lua_stop *stop,
                              const char *recipe_hash, ent_error *err);

/* Record each candidate's dH statistics (the score table) for generation. */
ent_status ent_lua_store_scores(ent_store *st, long generation,
                                const ent_lua_store_set *cands, ent_error *err);

#endif
