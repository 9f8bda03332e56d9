/* Recipes against a campaign database: read candidates / the data set / metrics into the
 * plain structs of recipe.h, and write decisions back, all through src/store's public API
 * (this file never touches Lua: hooks stay independent of the store). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_internal.h"
#include "lua/lua_store.h"

void ent_lua_store_set_clear(ent_lua_store_set *s)
{
    if (!s)
        return;
    free(s->items);
    free(s->strings);
    free(s->x);
    free(s->dh);
    free(s->ref_x);
    free(s->offsets);
    memset(s, 0, sizeof *s);
}

/* Items, offsets and descriptors of the structures matching f (reading inside the
 * caller's snapshot). */
static ent_status load_set(ent_store *st, const ent_store_filter *f, int64_t set_id,
                           ent_lua_store_set *o, const size_t *width, ent_error *err)
{
    int64_t *ids = NULL;
    size_t n = 0, w = *width, rows = 0;
    ent_status s = ent_store_structure_ids(st, f, &ids, &n, err);
    if (s == ENT_OK) {
        o->items = calloc(n ? n : 1, sizeof *o->items);
        o->strings = calloc(n ? n : 1, sizeof *o->strings);
        o->offsets = calloc(n + 1, sizeof *o->offsets);
        if (!o->items || !o->strings || !o->offsets)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        ent_store_structure_info info;
        s = ent_store_structure_get(st, ids[i], NULL, &info, err);
        if (s != ENT_OK)
            break;
        ent_lua_item *it = &o->items[i];
        it->id = ids[i];
        it->n_atoms = info.n_atoms;
        it->generation = info.generation;
        snprintf(o->strings[i][0], sizeof o->strings[i][0], "%s", info.origin);
        snprintf(o->strings[i][1], sizeof o->strings[i][1], "%s", info.tag);
        it->origin = o->strings[i][0];
        it->tag = info.tag[0] ? o->strings[i][1] : NULL;
        it->dh_max = it->dh_mean = it->dh_min = it->frac_novel = NAN;
        rows += info.n_atoms;
        o->offsets[i + 1] = rows;
    }
    if (s == ENT_OK && w && !(o->x = malloc((rows ? rows : 1) * w * sizeof *o->x)))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; s == ENT_OK && w && i < n; i++) {
        int found = 0;
        s = ent_store_descriptor_get(st, ids[i], set_id, o->x + o->offsets[i] * w,
                                     o->items[i].n_atoms, &found, err);
        if (s == ENT_OK && !found)
            s = ent_error_set(err, ENT_EINVAL,
                              "structure %lld has no descriptors in descriptor set %lld",
                              (long long)ids[i], (long long)set_id);
    }
    free(ids);
    o->set.items = o->items;
    o->set.n = n;
    o->set.x = o->x;
    o->set.d = w;
    o->set.offsets = o->offsets;
    return s;
}

static ent_status find_set(ent_store *st, const ent_store_descriptor_params *dp,
                           int64_t *set_id, size_t *width, ent_error *err)
{
    ent_status s = ent_store_descriptor_set_find(st, dp, set_id, width, err);
    if (s == ENT_OK && *set_id == 0)
        s = ent_error_set(err, ENT_EINVAL,
                          "no descriptors with k = %d, cutoff = %g%s%s in "
                          "this database",
                          dp->k, dp->cutoff,
                          dp->species && *dp->species ? ", species " : "",
                          dp->species ? dp->species : "");
    return s;
}

ent_status ent_lua_store_candidates(ent_store *st, long generation,
                                    const ent_store_descriptor_params *dp, double bandwidth,
                                    double threshold, ent_lua_store_set *out,
                                    ent_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(bandwidth > 0))
        return ent_error_set(err, ENT_EINVAL, "bandwidth must be > 0");
    ent_status s = ent_store_read_begin(st, err);
    if (s != ENT_OK)
        return s;
    ent_store_filter cf = {
        .generation = generation, .has_generation = 1, .status = "candidate"};
    ent_store_filter lf = {.status = "labelled"};
    size_t w = 0;
    int64_t set_id = 0;
    s = find_set(st, dp, &set_id, &w, err);
    out->set_id = set_id;
    if (s == ENT_OK)
        s = load_set(st, &cf, set_id, out, &w, err);
    ent_lua_store_set ref = {0};
    if (s == ENT_OK)
        s = load_set(st, &lf, set_id, &ref, &w, err);
    size_t m = out->offsets ? out->offsets[out->set.n] : 0;
    if (s == ENT_OK && !(out->dh = malloc((m ? m : 1) * sizeof *out->dh)))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK && m)
        s = ent_store_dh_against_labelled(st, set_id, out->x, m, &bandwidth, 1, 0, out->dh,
                                          NULL, err);
    ent_store_commit(st, NULL);
    if (s == ENT_OK) {
        out->ref_x = ref.x; /* keep the reference rows, drop the rest of ref */
        ref.x = NULL;
        out->set.ref_x = out->ref_x;
        out->set.n_ref = ref.offsets ? ref.offsets[ref.set.n] : 0;
        out->set.dh = out->dh;
        out->set.bandwidth = bandwidth;
        out->set.threshold = threshold;
        s = ent_lua_set_fill_stats(&out->set, out->items, err);
    }
    ent_lua_store_set_clear(&ref);
    if (s != ENT_OK)
        ent_lua_store_set_clear(out);
    return s;
}

ent_status ent_lua_store_dataset(ent_store *st, const ent_store_descriptor_params *dp,
                                 double bandwidth, ent_lua_store_set *out, ent_error *err)
{
    memset(out, 0, sizeof *out);
    ent_status s = ent_store_read_begin(st, err);
    if (s != ENT_OK)
        return s;
    ent_store_filter lf = {.status = "labelled"};
    size_t w = 0;
    int64_t set_id = 0;
    s = find_set(st, dp, &set_id, &w, err);
    out->set_id = set_id;
    if (s == ENT_OK)
        s = load_set(st, &lf, set_id, out, &w, err);
    ent_store_commit(st, NULL);
    out->set.bandwidth = bandwidth;
    out->set.threshold = 0;
    if (s != ENT_OK)
        ent_lua_store_set_clear(out);
    return s;
}

ent_status ent_lua_store_metrics(ent_store *st, ent_lua_metrics_row **rows, size_t *n,
                                 ent_error *err)
{
    *rows = NULL;
    *n = 0;
    ent_store_gen_summary *sum = NULL;
    size_t ns = 0, running = 0;
    ent_status s = ent_store_summary(st, &sum, &ns, &running, err);
    if (s != ENT_OK)
        return s;
    ent_lua_metrics_row *r = calloc(ns ? ns : 1, sizeof *r);
    if (!r) {
        free(sum);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    int ic = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "candidate");
    int is = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "selected");
    int il = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "labelled");
    for (size_t i = 0; i < ns; i++) {
        const ent_store_gen_summary *g = &sum[i];
        r[i] = (ent_lua_metrics_row){
            .generation = g->generation,
            .entropy = g->has_metric ? g->entropy : NAN,
            .diversity = g->has_metric ? g->diversity : NAN,
            .novelty = g->has_metric ? g->novelty : NAN,
            .info_gap = NAN,
            .n_structures = g->n_structures,
            .n_environments = g->n_environments,
            .n_candidates = ic >= 0 ? g->n_status[ic] : SIZE_MAX,
            .n_selected = is >= 0 ? g->n_status[is] : SIZE_MAX,
            .n_labelled = il >= 0 ? g->n_status[il] : SIZE_MAX,
        };
    }
    free(sum);
    *rows = r;
    *n = ns;
    return ENT_OK;
}

ent_status ent_lua_store_decisions(ent_store *st, long generation, const char *kind,
                                   const ent_lua_decisions *d, const char *recipe_hash,
                                   ent_error *err)
{
    const char *status = !strcmp(kind, "select")   ? "selected"
                         : !strcmp(kind, "drop")   ? "dropped"
                         : !strcmp(kind, "reject") ? "rejected"
                                                   : NULL;
    if (!status)
        return ent_error_set(err, ENT_EINVAL, "unknown decision kind '%s'", kind);
    ent_status s = ent_store_write_begin(st, err);
    for (size_t i = 0; s == ENT_OK && i < d->n; i++) {
        s = ent_store_decision_insert(st, generation, d->items[i].id, kind,
                                      d->items[i].reason, recipe_hash, err);
        if (s == ENT_OK)
            s = ent_store_structure_set_status(st, d->items[i].id, status,
                                               d->items[i].reason, err);
    }
    if (s == ENT_OK)
        return ent_store_commit(st, err);
    ent_store_rollback(st);
    return s;
}

ent_status ent_lua_store_stop(ent_store *st, long generation, const ent_lua_stop *stop,
                              const char *recipe_hash, ent_error *err)
{
    return ent_store_decision_insert(st, generation, 0, stop->stop ? "stop" : "continue",
                                     stop->reason, recipe_hash, err);
}

ent_status ent_lua_store_scores(ent_store *st, long generation, const ent_lua_store_set *c,
                                ent_error *err)
{
    ent_status s = ent_store_write_begin(st, err);
    size_t n_ref = c->set.n_ref;
    for (size_t i = 0; s == ENT_OK && i < c->set.n; i++) {
        const ent_lua_item *it = &c->set.items[i];
        ent_store_score sc = {.structure_id = it->id,
                              .generation = generation,
                              .descriptor_set = c->set_id,
                              .bandwidth = c->set.bandwidth,
                              .threshold = c->set.threshold,
                              .dh_min = it->dh_min,
                              .dh_mean = it->dh_mean,
                              .dh_max = it->dh_max,
                              .frac_novel = it->frac_novel,
                              .n_inf = it->n_inf,
                              .reference_envs = n_ref};
        s = ent_store_score_insert(st, &sc, err);
    }
    if (s == ENT_OK)
        return ent_store_commit(st, err);
    ent_store_rollback(st);
    return s;
}
