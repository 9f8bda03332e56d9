/* Campaign files: `campaign { name=..., database=..., seed=..., jobs=..., recipe=...,
 * limits=... }` in Lua, run in the sandbox and turned into a plain C struct, validated as
 * a whole before anything runs. Every problem is reported as a diagnostic with file:line
 * of the offending key and its path ("jobs.label.timeout"); see recipes/API.md for the
 * keys, their types and defaults. */
#ifndef ENT_LUA_CAMPAIGN_H
#define ENT_LUA_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "lua/recipe.h"
#include "lua/sandbox.h"

enum {
    ENT_CAMPAIGN_EXPLORE = 0,
    ENT_CAMPAIGN_LABEL,
    ENT_CAMPAIGN_TRAIN,
    ENT_CAMPAIGN_N_JOBS
};
extern const char *const ent_campaign_job_names[ENT_CAMPAIGN_N_JOBS];

/* A backend option, flattened to text: "partition" = "cpu", "env.OMP_NUM_THREADS" = "4",
 * "extra[1]" = "--exclusive". Sorted by key. */
typedef struct ent_campaign_option {
    char *key;
    char *value;
} ent_campaign_option;

typedef struct ent_campaign_job {
    int present;
    char **argv; /* argc strings + NULL; NULL for the http backend */
    size_t argc;
    char *executable; /* argv[0] as found on PATH; NULL when not checked */
    char *adapter;    /* shipped adapter name ("lammps") or resolved path to a .lua file */
    char *backend;    /* "local", "slurm" or "http" */
    ent_campaign_option *options;
    size_t n_options;
    char *options_json; /* the options table as JSON ("{}" when none) */
    double timeout;     /* seconds, 0 = none */
    int retries;        /* further attempts after a failure */
    int parallel;       /* jobs of this kind running at once */
    int check_path;     /* 0: the executable was not looked up (check_path = false) */
} ent_campaign_job;

typedef struct ent_campaign_config {
    char *file; /* as given */
    char *dir;  /* its directory: relative paths in the file start here */
    char *text; /* the file's text (stored in the database) */
    size_t text_len;
    char hash[65]; /* hex SHA-256 of text */
    char *name;
    char *description; /* may be NULL */
    char *database;    /* resolved path */
    char **seed_files; /* resolved paths; n_seed_files may be 0 when seed_selector is set */
    size_t n_seed_files;
    char *
        seed_selector; /* "labelled,tag=seed" from seed = "db:labelled,tag=seed", or NULL */
    int k;
    double cutoff;
    int multicomponent;
    double bandwidth; /* valid unless bandwidth_auto */
    int bandwidth_auto;
    ent_campaign_job jobs[ENT_CAMPAIGN_N_JOBS];
    char **recipes; /* shipped names as written, paths resolved */
    size_t n_recipes;
    char *params_lua; /* canonical Lua literal of params ("{}" when none) */
    char *params_json;
    long max_generations, label_budget_per_generation, label_budget_total;
    double max_failed_fraction; /* limits: label jobs allowed to fail per generation
                                   (< 0 = not given: the engine's default, 0.25) */
    /* validation: < 0 = not given (the engine's defaults); 0 = check off */
    double min_distance;   /* A: a label with atoms closer than this is rejected */
    double max_force;      /* eV/A: a label with a larger force component is rejected */
    double energy_outlier; /* k: reject per-atom energies more than k robust standard
                              deviations from the labelled data of the same formula */
    uint64_t random_seed;
    ent_lua_limits sandbox; /* limits of the recipe's sandbox */
    /* Filled when the recipe was loaded during validation: */
    char recipe_hash[65];               /* "" if not loaded */
    char *hook_source[ENT_LUA_N_HOOKS]; /* defining module, NULL = default */
} ent_campaign_config;

/* One validation problem. line 0 = unknown; path "" = the file as a whole. */
typedef struct ent_campaign_diag {
    char *file;
    long line;
    char *path;
    char *message;
} ent_campaign_diag;

typedef struct ent_campaign_diags {
    ent_campaign_diag *items;
    size_t n;
} ent_campaign_diags;
void ent_lua_campaign_diags_clear(ent_campaign_diags *d);
/* "file:line: path: message" into buf. */
void ent_lua_campaign_diag_format(const ent_campaign_diag *d, char *buf, size_t size);

typedef struct ent_campaign_opts {
    const char *path_env;    /* PATH searched for executables; NULL = getenv("PATH") */
    int no_path_check;       /* do not look executables up at all */
    int no_recipe_check;     /* do not load the recipe (it is loaded by default) */
    const char *recipes_dir; /* shipped recipes; NULL = default (recipe.h) */
    ent_lua_limits limits;   /* for running the campaign file itself */
    /* Load this text instead of reading the file (resume: the text stored in the
     * database); the path still decides where relative paths start. */
    const char *text;
    size_t text_len;
    const char *display_name; /* names the file in diagnostics; NULL = the path */
} ent_campaign_opts;

/* Read, run and validate a campaign file. opts and diags may be NULL. On success *out is
 * the resolved configuration (free with ent_lua_campaign_free). On a validation failure
 * returns ENT_EPARSE with every problem in diags (err: the first one, "and N more"), and
 * *out = NULL. Other errors: ENT_EIO (the file cannot be read), ENT_ENOMEM. */
ent_status ent_lua_campaign_load(const char *path, const ent_campaign_opts *opts,
                                 ent_campaign_config **out, ent_campaign_diags *diags,
                                 ent_error *err);
void ent_lua_campaign_free(ent_campaign_config *c); /* accepts NULL */

/* Load the campaign's recipe (its recipe list, params, limits and sandbox limits). */
ent_status ent_lua_campaign_recipe(const ent_campaign_config *c, const char *recipes_dir,
                                   ent_lua_log_fn log, void *log_ud, ent_lua_recipe **out,
                                   ent_error *err);

#endif
