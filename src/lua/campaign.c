/* Campaign files: run the file in the sandbox with a global `campaign` function that
 * receives the table and validates it into an ent_campaign_config, collecting every
 * problem with file:line (from the key scan in keylines.c) and key path. Jobs are
 * validated in campaign_jobs.c, the typed getters are in campaign_values.c. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/campaign_internal.h"
#include "store/store.h"

/* ---- Top-level keys ---- */

static const char *const top_keys[] = {
    "name",   "description", "database", "seed",        "descriptor", "bandwidth", "jobs",
    "recipe", "params",      "limits",   "random_seed", "sandbox",    "validation", NULL};

static void check_name(cv_ctx *v, int t)
{
    if (cv_string(v, t, "name", "", 1, &v->cfg->name) != 1)
        return;
    const char *n = v->cfg->name;
    size_t len = strlen(n);
    int ok = len <= 64;
    for (size_t i = 0; ok && i < len; i++) {
        char c = n[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             (i > 0 && (c == '-' || c == '_' || c == '.'));
    }
    if (!ok)
        cv_diag(v, "name",
                "'%s': use at most 64 letters, digits, '-', '_', '.' (not first)", n);
}

static void check_database(cv_ctx *v, int t)
{
    char *db = NULL;
    if (cv_string(v, t, "database", "", 1, &db) != 1)
        return;
    v->cfg->database = cv_resolve(v->cfg->dir, db);
    free(db);
    if (!v->cfg->database)
        return;
    char *slash = strrchr(v->cfg->database, '/');
    if (slash && slash != v->cfg->database) {
        *slash = 0;
        struct stat st;
        int ok = stat(v->cfg->database, &st) == 0 && S_ISDIR(st.st_mode);
        if (!ok)
            cv_diag(v, "database", "directory '%s' does not exist", v->cfg->database);
        *slash = '/';
    }
}

/* "labelled", "all", "generation=N", "status=S", "tag=T" joined with ','. */
static int selector_ok(const char *sel, char *bad, size_t badsz)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", sel);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        int ok = 0;
        if (!eq) {
            ok = !strcmp(tok, "labelled") || !strcmp(tok, "all");
        } else {
            *eq = 0;
            const char *val = eq + 1;
            if (!strcmp(tok, "generation")) {
                char *end;
                long g = strtol(val, &end, 10);
                ok = *val && !*end && g >= 0;
            } else if (!strcmp(tok, "status")) {
                ok = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS,
                                          val) >= 0;
            } else if (!strcmp(tok, "tag")) {
                ok = *val != 0;
            }
            *eq = '=';
        }
        if (!ok) {
            snprintf(bad, badsz, "%s", tok);
            return 0;
        }
    }
    return 1;
}

static void seed_entry(cv_ctx *v, const char *s, const char *path, int only)
{
    ent_campaign_config *c = v->cfg;
    if (!strncmp(s, "db:", 3)) {
        char bad[256];
        if (!only)
            cv_diag(v, path,
                    "a database selector (\"db:...\") must be the only seed entry");
        else if (!s[3] || !selector_ok(s + 3, bad, sizeof bad))
            cv_diag(v, path,
                    "bad database selector '%s' (use db:labelled, db:all, "
                    "db:generation=N, db:status=S, db:tag=T, joined with ',')",
                    s[3] ? bad : s);
        else
            c->seed_selector = ent_lua_strdup(s + 3);
        return;
    }
    char *r = cv_resolve(c->dir, s);
    if (!r)
        return;
    if (!cv_readable_file(r))
        cv_diag(v, path, "seed file '%s' not found or not readable", r);
    char **files = realloc(c->seed_files, (c->n_seed_files + 1) * sizeof *files);
    if (!files) {
        free(r);
        return;
    }
    c->seed_files = files;
    c->seed_files[c->n_seed_files++] = r;
}

static void check_seed(cv_ctx *v, int t)
{
    lua_State *L = v->L;
    int ty = cv_field(v, t, "seed");
    if (ty == LUA_TNIL) {
        cv_absent(v, "seed", 1, "a file name, a list of file names or \"db:SELECTOR\"");
        return;
    }
    if (ty == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
        seed_entry(v, lua_tostring(L, -1), "seed", 1);
    } else if (ty == LUA_TTABLE) {
        size_t n = lua_rawlen(L, -1);
        if (n == 0)
            cv_diag(v, "seed", "empty list (give at least one structure file)");
        for (size_t i = 1; i <= n; i++) {
            char path[64];
            snprintf(path, sizeof path, "seed[%zu]", i);
            if (lua_rawgeti(L, -1, (lua_Integer)i) == LUA_TSTRING && lua_rawlen(L, -1) > 0)
                seed_entry(v, lua_tostring(L, -1), path, n == 1);
            else
                cv_wrong_type(v, path, "a file name"), lua_pushnil(L);
            lua_pop(L, 1);
        }
        cv_check_list(v, -1, "seed");
    } else {
        cv_wrong_type(v, "seed", "a file name, a list of file names or \"db:SELECTOR\"");
        return;
    }
    lua_pop(L, 1);
}

static void check_descriptor(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    c->k = 32;
    c->cutoff = 5.0;
    if (cv_table(v, t, "descriptor", "", 0) != 1)
        return;
    static const char *const keys[] = {"k", "cutoff", "multicomponent", NULL};
    cv_check_keys(v, -1, "descriptor", keys);
    long k;
    if (cv_integer(v, -1, "k", "descriptor", 0, 1, 4096, &k) == 1)
        c->k = (int)k;
    double cut;
    if (cv_number(v, -1, "cutoff", "descriptor", 0, &cut) == 1) {
        if (cut <= 0 || cut > 100)
            cv_diag(v, "descriptor.cutoff", "must be in (0, 100] Angstrom, got %g", cut);
        else
            c->cutoff = cut;
    }
    cv_bool(v, -1, "multicomponent", "descriptor", 0, &c->multicomponent);
    lua_pop(v->L, 1);
}

static void check_bandwidth(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    c->bandwidth = 0.015;
    int ty = cv_field(v, t, "bandwidth");
    if (ty == LUA_TNIL) {
        lua_pop(v->L, 1);
        return;
    }
    if (ty == LUA_TSTRING && !strcmp(lua_tostring(v->L, -1), "auto")) {
        c->bandwidth_auto = 1;
    } else if (ty == LUA_TNUMBER && isfinite((double)lua_tonumber(v->L, -1))) {
        double h = (double)lua_tonumber(v->L, -1);
        if (h <= 0)
            cv_diag(v, "bandwidth", "must be > 0, got %g", h);
        else
            c->bandwidth = h;
    } else {
        cv_wrong_type(v, "bandwidth", "a number or \"auto\"");
        return;
    }
    lua_pop(v->L, 1);
}

static int shipped_name(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static void recipe_entry(cv_ctx *v, const char *s, const char *path)
{
    ent_campaign_config *c = v->cfg;
    char *r;
    if (shipped_name(s)) {
        size_t n = strlen(v->recipes_dir) + strlen(s) + 6;
        char *file = malloc(n);
        if (!file)
            return;
        snprintf(file, n, "%s/%s.lua", v->recipes_dir, s);
        if (!cv_readable_file(file))
            cv_diag(v, path,
                    "unknown recipe '%s' (no %s; shipped: novelty, compress, "
                    "converged; or give a path to a .lua file)",
                    s, file);
        free(file);
        r = ent_lua_strdup(s);
    } else {
        r = cv_resolve(c->dir, s);
        if (r && !cv_readable_file(r))
            cv_diag(v, path, "recipe file '%s' not found or not readable", r);
    }
    if (!r)
        return;
    char **list = realloc(c->recipes, (c->n_recipes + 1) * sizeof *list);
    if (!list) {
        free(r);
        return;
    }
    c->recipes = list;
    c->recipes[c->n_recipes++] = r;
}

static void check_recipe(cv_ctx *v, int t)
{
    lua_State *L = v->L;
    int ty = cv_field(v, t, "recipe");
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        recipe_entry(v, "novelty", "recipe");
        return;
    }
    if (ty == LUA_TSTRING && lua_rawlen(L, -1) > 0) {
        recipe_entry(v, lua_tostring(L, -1), "recipe");
    } else if (ty == LUA_TTABLE && lua_rawlen(L, -1) > 0) {
        size_t n = lua_rawlen(L, -1);
        for (size_t i = 1; i <= n; i++) {
            char path[64];
            snprintf(path, sizeof path, "recipe[%zu]", i);
            if (lua_rawgeti(L, -1, (lua_Integer)i) == LUA_TSTRING && lua_rawlen(L, -1) > 0)
                recipe_entry(v, lua_tostring(L, -1), path);
            else
                cv_wrong_type(v, path, "a recipe name or path"), lua_pushnil(L);
            lua_pop(L, 1);
        }
        cv_check_list(v, -1, "recipe");
    } else {
        cv_wrong_type(v, "recipe", "a recipe name, a path, or a non-empty list of them");
        return;
    }
    lua_pop(L, 1);
}

static void check_params(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    ent_lua_buf lit = {0}, json = {0};
    if (cv_table(v, t, "params", "", 0) == 1) {
        char msg[600];
        if (ent_lua_plain(v->L, -1, "params", &lit, &json, msg, sizeof msg) != 0) {
            char *colon = strstr(msg, ": ");
            if (colon)
                *colon = 0;
            cv_diag(v, msg, "%s", colon ? colon + 2 : msg);
        }
        lua_pop(v->L, 1);
    } else {
        ent_lua_buf_add(&lit, "{}", 2);
        ent_lua_buf_add(&json, "{}", 2);
    }
    /* Keep the buffers whatever happened: the config owns them from here. */
    c->params_lua = lit.p ? lit.p : ent_lua_strdup("{}");
    c->params_json = json.p ? json.p : ent_lua_strdup("{}");
}

static void check_limits(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    if (cv_table(v, t, "limits", "", 1) != 1)
        return;
    static const char *const keys[] = {"max_generations", "label_budget_per_generation",
                                       "label_budget_total", "max_failed_fraction", NULL};
    cv_check_keys(v, -1, "limits", keys);
    int g =
        cv_integer(v, -1, "max_generations", "limits", 1, 1, 1000000, &c->max_generations);
    int p = cv_integer(v, -1, "label_budget_per_generation", "limits", 1, 1, 100000000,
                       &c->label_budget_per_generation);
    int tt = cv_integer(v, -1, "label_budget_total", "limits", 0, 1, LONG_MAX,
                        &c->label_budget_total);
    double ff;
    if (cv_number(v, -1, "max_failed_fraction", "limits", 0, &ff) == 1) {
        if (ff < 0 || ff > 1)
            cv_diag(v, "limits.max_failed_fraction",
                    "must be a fraction between 0 and 1, got %g", ff);
        else
            c->max_failed_fraction = ff;
    }
    lua_pop(v->L, 1);
    if (p == 1 && tt == 1 && c->label_budget_per_generation > c->label_budget_total)
        cv_diag(v, "limits.label_budget_per_generation",
                "%ld labels per generation exceeds label_budget_total (%ld)",
                c->label_budget_per_generation, c->label_budget_total);
    if (tt == 0 && g == 1 && p == 1)
        c->label_budget_total = c->max_generations * c->label_budget_per_generation;
}

/* validation = { min_distance = A, max_force = eV/A, energy_outlier = k }: checks every
 * label passes before it is accepted (engine_adapt.c, engine_outliers.c). */
static void check_validation(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    if (cv_table(v, t, "validation", "", 0) != 1)
        return;
    static const char *const keys[] = {"min_distance", "max_force", "energy_outlier", NULL};
    cv_check_keys(v, -1, "validation", keys);
    static const char *const what[] = {"min_distance", "max_force", "energy_outlier"};
    double *dst[] = {&c->min_distance, &c->max_force, &c->energy_outlier};
    for (int i = 0; i < 3; i++) {
        double x;
        if (cv_number(v, -1, what[i], "validation", 0, &x) != 1)
            continue;
        char path[64];
        snprintf(path, sizeof path, "validation.%s", what[i]);
        if (x < 0)
            cv_diag(v, path, "must be >= 0 (0 turns the check off), got %g", x);
        else
            *dst[i] = x;
    }
    lua_pop(v->L, 1);
}

static void check_sandbox(cv_ctx *v, int t)
{
    ent_campaign_config *c = v->cfg;
    c->sandbox.memory_bytes = ENT_LUA_DEFAULT_MEMORY;
    c->sandbox.instructions = ENT_LUA_DEFAULT_INSTRUCTIONS;
    if (cv_table(v, t, "sandbox", "", 0) != 1)
        return;
    static const char *const keys[] = {"memory_mb", "instructions", NULL};
    cv_check_keys(v, -1, "sandbox", keys);
    long mb, ins;
    if (cv_integer(v, -1, "memory_mb", "sandbox", 0, 4, 65536, &mb) == 1)
        c->sandbox.memory_bytes = (size_t)mb << 20;
    if (cv_integer(v, -1, "instructions", "sandbox", 0, 10000, LONG_MAX, &ins) == 1)
        c->sandbox.instructions = (uint64_t)ins;
    lua_pop(v->L, 1);
}

/* The global `campaign` function: validates its table into the loader's config. */
static int campaign_fn(lua_State *L)
{
    cv_ctx *v = lua_touserdata(L, lua_upvalueindex(1));
    v->L = L; /* the calling thread (a campaign file may call from a coroutine) */
    lua_Debug ar;
    long line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
        line = ar.currentline;
    if (++v->calls > 1) {
        cv_diag_add(v->diags, v->cfg->file, line, "",
                    "campaign{} is called more than once (one campaign per file)");
        return 0;
    }
    v->call_line = line;
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE) {
        cv_diag_add(v->diags, v->cfg->file, line, "",
                    "campaign expects one table: campaign { name = ..., ... }");
        return 0;
    }
    v->kl = ent_lua_keylines_scan(v->cfg->text, v->cfg->text_len, line);
    const char *dpath;
    long first, second;
    for (size_t i = 0; ent_lua_keylines_duplicate(v->kl, i, &dpath, &first, &second); i++) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "given twice (first on line %ld); Lua would silently keep "
                 "the last",
                 first);
        cv_diag_add(v->diags, v->cfg->file, second, dpath, msg);
    }
    cv_check_keys(v, 1, "", top_keys);
    check_name(v, 1);
    cv_string(v, 1, "description", "", 0, &v->cfg->description);
    check_database(v, 1);
    check_seed(v, 1);
    check_descriptor(v, 1);
    check_bandwidth(v, 1);
    if (cv_table(v, 1, "jobs", "", 1) == 1) {
        cv_jobs(v, -1);
        lua_pop(L, 1);
    }
    check_recipe(v, 1);
    check_params(v, 1);
    check_limits(v, 1);
    check_validation(v, 1);
    long rs;
    if (cv_integer(v, 1, "random_seed", "", 0, 0, LONG_MAX, &rs) == 1)
        v->cfg->random_seed = (uint64_t)rs;
    check_sandbox(v, 1);
    return 0;
}

/* ---- Loading ---- */

static void setup_campaign(lua_State *L, void *ud)
{
    lua_pushlightuserdata(L, ud);
    lua_pushcclosure(L, campaign_fn, 1);
    lua_setglobal(L, "campaign");
}

static int run_file(lua_State *L)
{
    cv_ctx *v = lua_touserdata(L, 1);
    size_t n = strlen(v->cfg->file) + 2;
    char *chunk = lua_newuserdatauv(L, n, 0); /* Lua-owned: no leak if loading raises */
    snprintf(chunk, n, "@%s", v->cfg->file);
    ent_lua_load_text(L, v->cfg->text, v->cfg->text_len, chunk);
    lua_call(L, 0, 0);
    return 0;
}

/* "file:LINE: message\ntraceback" -> a diagnostic on that line. */
static void diag_from_error(cv_ctx *v, const char *msg)
{
    const char *file = v->cfg->file;
    size_t fl = strlen(file);
    long line = 0;
    const char *text = msg;
    if (!strncmp(msg, file, fl) && msg[fl] == ':') {
        char *end;
        line = strtol(msg + fl + 1, &end, 10);
        if (end != msg + fl + 1 && *end == ':')
            text = end + 1 + (end[1] == ' ');
        else
            line = 0;
    }
    char first[ENT_ERROR_MSG_MAX];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(text, "\n"), text);
    cv_diag_add(v->diags, file, line, "", first);
}

void ent_lua_campaign_free(ent_campaign_config *c)
{
    if (!c)
        return;
    free(c->file);
    free(c->dir);
    free(c->text);
    free(c->name);
    free(c->description);
    free(c->database);
    for (size_t i = 0; i < c->n_seed_files; i++)
        free(c->seed_files[i]);
    free(c->seed_files);
    free(c->seed_selector);
    for (int j = 0; j < ENT_CAMPAIGN_N_JOBS; j++) {
        ent_campaign_job *jb = &c->jobs[j];
        for (size_t i = 0; jb->argv && i < jb->argc; i++)
            free(jb->argv[i]);
        free(jb->argv);
        free(jb->executable);
        free(jb->adapter);
        free(jb->backend);
        for (size_t i = 0; i < jb->n_options; i++) {
            free(jb->options[i].key);
            free(jb->options[i].value);
        }
        free(jb->options);
        free(jb->options_json);
    }
    for (size_t i = 0; i < c->n_recipes; i++)
        free(c->recipes[i]);
    free(c->recipes);
    free(c->params_lua);
    free(c->params_json);
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        free(c->hook_source[h]);
    free(c);
}

ent_status ent_lua_campaign_recipe(const ent_campaign_config *c, const char *recipes_dir,
                                   ent_lua_log_fn log, void *log_ud, ent_lua_recipe **out,
                                   ent_error *err)
{
    ent_lua_recipe_opts ro = {
        .recipes = (const char *const *)c->recipes,
        .n_recipes = c->n_recipes,
        .recipes_dir = recipes_dir,
        .params_lua = c->params_lua,
        .campaign_name = c->name,
        .max_generations = c->max_generations,
        .label_budget_per_generation = c->label_budget_per_generation,
        .label_budget_total = c->label_budget_total,
        .limits = c->sandbox,
        .log = log,
        .log_ud = log_ud,
    };
    return ent_lua_recipe_load(&ro, out, err);
}

static void check_recipe_loads(cv_ctx *v, const ent_campaign_opts *o)
{
    ent_campaign_config *c = v->cfg;
    ent_lua_recipe *r = NULL;
    ent_error e = {0};
    ent_status s =
        ent_lua_campaign_recipe(c, o ? o->recipes_dir : NULL, NULL, NULL, &r, &e);
    if (s != ENT_OK) {
        char first[ENT_ERROR_MSG_MAX];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(e.msg, "\n"), e.msg);
        cv_diag(v, "recipe", "does not load: %s", first);
        return;
    }
    snprintf(c->recipe_hash, sizeof c->recipe_hash, "%s", ent_lua_recipe_hash(r));
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++) {
        const char *src = ent_lua_recipe_hook_source(r, (ent_lua_hook)h);
        c->hook_source[h] = src ? ent_lua_strdup(src) : NULL;
    }
    ent_lua_recipe_destroy(r);
}

ent_status ent_lua_campaign_load(const char *path, const ent_campaign_opts *o,
                                 ent_campaign_config **out, ent_campaign_diags *diags,
                                 ent_error *err)
{
    *out = NULL;
    ent_campaign_diags local = {0};
    if (!diags)
        diags = &local;
    size_t before = diags->n;
    ent_campaign_config *c = calloc(1, sizeof *c);
    if (!c)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    c->max_failed_fraction = c->min_distance = c->max_force = c->energy_outlier = -1;
    ent_status s = ENT_OK;
    if (o && o->text) {
        c->text = malloc(o->text_len + 1);
        if (!c->text)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        else {
            memcpy(c->text, o->text, o->text_len);
            c->text[o->text_len] = 0;
            c->text_len = o->text_len;
        }
    } else {
        s = ent_lua_read_file(path, &c->text, &c->text_len, err);
    }
    if (s == ENT_OK)
        s = ent_lua_sha256_hex(c->text, c->text_len, c->hash, err);
    c->file = ent_lua_strdup(o && o->display_name ? o->display_name : path);
    const char *slash = strrchr(path, '/');
    c->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                   : ent_lua_strdup(".");
    if (s == ENT_OK && (!c->file || !c->dir))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s != ENT_OK) {
        ent_lua_campaign_free(c);
        return s;
    }
    cv_ctx v = {.cfg = c,
                .diags = diags,
                .path_env = o && o->path_env ? o->path_env : getenv("PATH"),
                .no_path_check = o && o->no_path_check,
                .recipes_dir = ent_lua_recipes_dir(o ? o->recipes_dir : NULL)};
    if (!v.path_env)
        v.path_env = "/usr/local/bin:/usr/bin:/bin";
    ent_lua_sandbox *sb = NULL;
    s = ent_lua_sandbox_create(o ? &o->limits : NULL, NULL, NULL, setup_campaign, &v, &sb,
                               err);
    if (s != ENT_OK) {
        ent_lua_campaign_free(c);
        return s;
    }
    v.L = sb->L;
    ent_error e = {0};
    s = ent_lua_sandbox_call(sb, run_file, &v, ENT_EPARSE, &e);
    ent_lua_sandbox_destroy(sb);
    v.L = NULL;
    if (s == ENT_ENOMEM) {
        ent_lua_keylines_free(v.kl);
        ent_lua_campaign_free(c);
        ent_lua_campaign_diags_clear(&local);
        return ent_error_set(err, s, "%s", e.msg);
    }
    if (s != ENT_OK)
        diag_from_error(&v, e.msg);
    else if (v.calls == 0)
        cv_diag_add(
            diags, c->file, 0, "",
            "no campaign { ... } in this file (a campaign file calls campaign once)");
    if (diags->n == before && !(o && o->no_recipe_check))
        check_recipe_loads(&v, o);
    ent_lua_keylines_free(v.kl);
    if (diags->n > before) {
        /* In file order (stable: problems of one line keep their order). */
        for (size_t i = before + 1; i < diags->n; i++)
            for (size_t j = i;
                 j > before && diags->items[j - 1].line > diags->items[j].line; j--) {
                ent_campaign_diag t = diags->items[j];
                diags->items[j] = diags->items[j - 1];
                diags->items[j - 1] = t;
            }
        char first[ENT_ERROR_MSG_MAX];
        ent_lua_campaign_diag_format(&diags->items[before], first, sizeof first);
        size_t more = diags->n - before - 1;
        if (more)
            ent_error_set(err, ENT_EPARSE, "%s (and %zu more problem%s)", first, more,
                          more > 1 ? "s" : "");
        else
            ent_error_set(err, ENT_EPARSE, "%s", first);
        ent_lua_campaign_free(c);
        ent_lua_campaign_diags_clear(&local);
        return ENT_EPARSE;
    }
    *out = c;
    return ENT_OK;
}
