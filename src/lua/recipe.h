/* Recipes: Lua modules returning a table of optional hooks (plan, select, compress,
 * should_stop, on_generation_end), loaded once into one sandbox and called with plain C
 * structs. Data passed to a hook is BORROWED for that call only: the Lua userdata built on
 * it are invalidated when the hook returns (a recipe that keeps one gets an error on use).
 * Results are owned by the caller (free with the *_clear functions). */
#ifndef ENT_LUA_RECIPE_H
#define ENT_LUA_RECIPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "lua/sandbox.h"

typedef enum ent_lua_hook {
    ENT_LUA_HOOK_PLAN = 0,
    ENT_LUA_HOOK_SELECT,
    ENT_LUA_HOOK_COMPRESS,
    ENT_LUA_HOOK_SHOULD_STOP,
    ENT_LUA_HOOK_GENERATION_END,
    ENT_LUA_N_HOOKS
} ent_lua_hook;

const char *ent_lua_hook_name(ent_lua_hook h);

/* ---- Data given to hooks (borrowed) ---- */

/* One structure of a candidate batch or of the data set. Statistics are over its
 * environments' dH against the reference (NaN = unknown); ent_lua_set_fill_stats
 * computes them from per-environment dH. */
typedef struct ent_lua_item {
    int64_t id; /* structure id in the campaign database (or the caller's key) */
    size_t n_atoms;
    long generation;
    const char *origin; /* seed, explored, imported, generated; may be NULL */
    const char *tag;    /* may be NULL */
    double dh_max, dh_mean, dh_min, frac_novel;
    size_t n_inf; /* environments with dH = +inf (far from all reference data) */
} ent_lua_item;

/* A set of structures: candidates (for select) or the labelled data set (for compress).
 * Descriptors and dH are optional; methods needing them raise a clear Lua error. */
typedef struct ent_lua_set {
    const ent_lua_item *items;
    size_t n;
    const double *x; /* environments of all items, offsets[n] x d, row-major */
    size_t d;
    const size_t *offsets; /* n + 1 row offsets (NULL when x is NULL) */
    const double *dh;    /* dH of each environment against ref (offsets[n]); may be NULL */
    const double *ref_x; /* the data set's environments, n_ref x d (candidates only) */
    size_t n_ref;
    double bandwidth; /* h of the kernel; > 0 when x is given */
    double threshold; /* novelty threshold the stats were computed with */
} ent_lua_set;

/* dh_max/mean/min, frac_novel (dH > threshold) and n_inf of every item from set->dh.
 * items is the caller's writable copy of set->items. ENT_EINVAL without dh/offsets. */
ent_status ent_lua_set_fill_stats(const ent_lua_set *set, ent_lua_item *items,
                                  ent_error *err);

/* Campaign metrics, one row per generation so far, ascending; the last row is the current
 * generation. NaN = not computed; n_* = SIZE_MAX when unknown. */
typedef struct ent_lua_metrics_row {
    long generation;
    double entropy, diversity, novelty, info_gap;
    size_t n_structures, n_environments, n_candidates, n_selected, n_labelled;
} ent_lua_metrics_row;

typedef struct ent_lua_metrics {
    const ent_lua_metrics_row *rows;
    size_t n;
} ent_lua_metrics;

/* ---- Results (owned by the caller) ---- */

/* One decision: a structure id and the reason string the recipe gave. */
typedef struct ent_lua_decision {
    int64_t id;
    char *reason;
} ent_lua_decision;

typedef struct ent_lua_decisions {
    ent_lua_decision *items; /* NULL when n == 0 */
    size_t n;
} ent_lua_decisions;
void ent_lua_decisions_clear(ent_lua_decisions *d);

/* One exploration task: a kind ("md", "mcmc", "explore", ...) and scalar parameters.
 * Every value keeps its text (numbers formatted with %.17g / as integers). */
typedef struct ent_lua_param {
    char *key;
    int type;      /* 'n' number, 'i' integer, 's' string, 'b' boolean */
    double number; /* for 'n', 'i' and 'b' (0/1) */
    char *text;
} ent_lua_param;

typedef struct ent_lua_task {
    char *kind;
    ent_lua_param *params; /* sorted by key */
    size_t n_params;
} ent_lua_task;

typedef struct ent_lua_tasks {
    ent_lua_task *items; /* NULL when n == 0 */
    size_t n;
} ent_lua_tasks;
void ent_lua_tasks_clear(ent_lua_tasks *t);
/* A task's parameter by key, NULL if absent. */
const ent_lua_param *ent_lua_task_param(const ent_lua_task *t, const char *key);

typedef struct ent_lua_stop {
    int stop;
    char reason[512];
} ent_lua_stop;

/* ---- Loading ---- */

typedef struct ent_lua_recipe ent_lua_recipe;

typedef struct ent_lua_recipe_opts {
    const char *const *recipes; /* shipped names ("novelty") or paths to .lua files */
    size_t n_recipes;           /* hooks come from the first recipe defining them; two
                                   recipes defining the same hook is an error */
    const char *base_dir;       /* relative recipe paths start here; NULL = cwd */
    const char *recipes_dir;    /* shipped recipes; NULL = $ENTRAIN_RECIPES_DIR or the
                                   source tree's recipes/ */
    const char *params_lua;     /* canonical literal of `params` (campaign.h); NULL = {} */
    const char *campaign_name;  /* entrain.campaign.name; may be NULL */
    long max_generations, label_budget_per_generation,
        label_budget_total; /* entrain.limits */
    ent_lua_limits limits;
    ent_lua_log_fn log;
    void *log_ud;
} ent_lua_recipe_opts;

/* Load, run each module body once (protected, with the instruction budget), probe the
 * hooks. Errors: ENT_EIO (a recipe file cannot be read: the message names the path and
 * the name looked up), ENT_ERECIPE (compile or runtime error "novelty.lua:LINE: ...", the
 * module did not return a table, an unknown hook name, a hook defined twice), ENT_ENOMEM,
 * ENT_EINVAL (no recipes). */
ent_status ent_lua_recipe_load(const ent_lua_recipe_opts *o, ent_lua_recipe **out,
                               ent_error *err);
void ent_lua_recipe_destroy(ent_lua_recipe *r); /* accepts NULL */

/* Hex SHA-256 of the recipe text (all modules in order, see ent_lua_recipe_text), the
 * text itself ("-- entrain recipe: NAME\n" + source, per module), and which module
 * defines a hook (NULL: the documented default runs). */
const char *ent_lua_recipe_hash(const ent_lua_recipe *r);
const char *ent_lua_recipe_text(const ent_lua_recipe *r);
const char *ent_lua_recipe_hook_source(const ent_lua_recipe *r, ent_lua_hook h);
/* Lua memory in use by the recipe's state (bytes). */
size_t ent_lua_recipe_memory(const ent_lua_recipe *r);
/* Full message and traceback of the last failed hook call ("" if none). */
const char *ent_lua_recipe_last_error(const ent_lua_recipe *r);

/* ---- Hook calls ----
 * Every call reseeds math.random from (seed, hook), so a hook called again after a restart
 * with the same seed makes the same choices whatever ran before it. Errors: ENT_ERECIPE
 * (the hook raised, exceeded a budget, or returned something malformed: the message says
 * which, with the recipe file and line), ENT_ENOMEM. Outputs are untouched on error. */
typedef struct ent_lua_call {
    long generation;
    uint64_t seed; /* the generation's RNG seed (stored by the caller) */
    size_t budget; /* select: labels allowed in this call (SIZE_MAX = no limit) */
} ent_lua_call;

/* plan(gen) -> { {kind=..., ...}, ... }. Default (no hook): one task {kind="explore"},
 * i.e. run the configured explore command once. */
ent_status ent_lua_recipe_plan(ent_lua_recipe *r, const ent_lua_call *c, ent_lua_tasks *out,
                               ent_error *err);
/* select(gen, candidates) -> { {id=..., reason=...}, ... }: ids must be candidates, no
 * repeats, at most c->budget of them, reasons non-empty. Default: the candidates with
 * dh_max > set->threshold, most novel first (ties by id), up to the budget. */
ent_status ent_lua_recipe_select(ent_lua_recipe *r, const ent_lua_call *c,
                                 const ent_lua_set *candidates, ent_lua_decisions *out,
                                 ent_error *err);
/* compress(gen, dataset) -> { {id=..., reason=...}, ... } structures to drop. Default:
 * drop nothing. */
ent_status ent_lua_recipe_compress(ent_lua_recipe *r, const ent_lua_call *c,
                                   const ent_lua_set *dataset, ent_lua_decisions *out,
                                   ent_error *err);
/* should_stop(gen, metrics) -> boolean, reason (required when true). Default: false
 * (the engine still enforces limits.max_generations and the label budget). */
ent_status ent_lua_recipe_should_stop(ent_lua_recipe *r, const ent_lua_call *c,
                                      const ent_lua_metrics *m, ent_lua_stop *out,
                                      ent_error *err);
/* on_generation_end(gen, metrics); return values ignored. Default: nothing. */
ent_status ent_lua_recipe_generation_end(ent_lua_recipe *r, const ent_lua_call *c,
                                         const ent_lua_metrics *m, ent_error *err);

/* The RNG seed of a generation from the campaign's random_seed (what the caller stores in
 * the generation record). */
uint64_t ent_lua_generation_seed(uint64_t campaign_seed, long generation);

/* ---- Recipe tests (recipe_test.c) ----
 * Run a recipes/NAME.test.lua file: it is loaded in the same sandbox as production and
 * returns a table of cases (see recipes/API.md, "Testing recipes"); each case loads the
 * recipe afresh with its params, calls one hook through the functions above and checks
 * the expectations in C. */
typedef struct ent_lua_test_report {
    size_t n_cases, n_failed;
    char *log; /* one line per case: "ok NAME" / "FAIL NAME: why" (malloc) */
} ent_lua_test_report;

ent_status ent_lua_recipe_test_run(const char *test_file, const char *recipes_dir,
                                   ent_lua_test_report *rep, ent_error *err);
void ent_lua_test_report_clear(ent_lua_test_report *rep);

#endif
