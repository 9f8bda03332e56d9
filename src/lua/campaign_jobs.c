/* The `jobs` table of a campaign file: explore and label (required), train (optional).
 * Each job is an argv (never a shell string), an adapter, a backend with its options, a
 * timeout, retries and parallelism; the executable must be found on PATH (or exist, for a
 * path) unless the job says check_path = false. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/campaign_internal.h"

const char *const ent_campaign_job_names[ENT_CAMPAIGN_N_JOBS] = {"explore", "label",
                                                                 "train"};

static const char *const job_keys[] = {"command",  "adapter",    "backend",
                                       "options",  "timeout",    "retries",
                                       "parallel", "check_path", NULL};
static const char *const adapters[] = {"extxyz", "lammps", "qe", "cp2k", "xtb", "mcmc", NULL};

/* Backend options: s string, i integer in [min, max], b boolean, t string or integer
 * (Slurm times), S table of string -> string|number (environment, headers), A list of
 * strings. */
typedef struct opt_spec {
    const char *name;
    char type;
    int required;
    long min, max;
} opt_spec;

static const opt_spec local_opts[] = {
    {"env", 'S', 0, 0, 0}, {"nice", 'i', 0, 0, 19}, {NULL, 0, 0, 0, 0}};
static const opt_spec slurm_opts[] = {{"partition", 's', 0, 0, 0},
                                      {"account", 's', 0, 0, 0},
                                      {"qos", 's', 0, 0, 0},
                                      {"time", 't', 0, 1, LONG_MAX},
                                      {"nodes", 'i', 0, 1, 100000},
                                      {"ntasks", 'i', 0, 1, 10000000},
                                      {"cpus_per_task", 'i', 0, 1, 100000},
                                      {"gpus", 'i', 0, 0, 100000},
                                      {"mem", 's', 0, 0, 0},
                                      {"constraint", 's', 0, 0, 0},
                                      {"gres", 's', 0, 0, 0},
                                      {"array_max", 'i', 0, 1, 1000000},
                                      {"extra", 'A', 0, 0, 0},
                                      {"env", 'S', 0, 0, 0},
                                      {NULL, 0, 0, 0, 0}};
static const opt_spec http_opts[] = {{"url", 's', 1, 0, 0},
                                     {"headers", 'S', 0, 0, 0},
                                     {"token_env", 's', 0, 0, 0},
                                     {"verify_tls", 'b', 0, 0, 0},
                                     {NULL, 0, 0, 0, 0}};

/* t[key] without metamethods (a campaign file's tables may carry any metatable). */
static int rawfield(lua_State *L, int t, const char *key)
{
    t = lua_absindex(L, t);
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

static void option_add(ent_campaign_job *jb, const char *key, const char *value)
{
    ent_campaign_option *o = realloc(jb->options, (jb->n_options + 1) * sizeof *o);
    if (!o)
        return;
    jb->options = o;
    jb->options[jb->n_options++] =
        (ent_campaign_option){ent_lua_strdup(key), ent_lua_strdup(value)};
}

/* Text of a scalar at idx for the flattened options (no in-place number conversion). */
static void scalar_text(lua_State *L, int idx, char *out, size_t size)
{
    if (lua_type(L, idx) == LUA_TSTRING)
        snprintf(out, size, "%s", lua_tostring(L, idx));
    else if (lua_isinteger(L, idx))
        snprintf(out, size, "%lld", (long long)lua_tointeger(L, idx));
    else if (lua_type(L, idx) == LUA_TNUMBER)
        snprintf(out, size, "%.17g", (double)lua_tonumber(L, idx));
    else
        snprintf(out, size, "%s", lua_toboolean(L, idx) ? "true" : "false");
}

static void check_map(cv_ctx *v, ent_campaign_job *jb, const char *path, const char *name)
{
    lua_State *L = v->L;
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        char sub[512], text[512];
        if (lua_type(L, -2) != LUA_TSTRING) {
            cv_diag(v, path, "keys must be names (strings)");
        } else {
            cv_path(sub, sizeof sub, path, lua_tostring(L, -2));
            int ty = lua_type(L, -1);
            if (ty != LUA_TSTRING && ty != LUA_TNUMBER) {
                char what[96];
                cv_describe(L, -1, what, sizeof what);
                cv_diag(v, sub, "expected a string or a number, got %s", what);
            } else {
                char key[300];
                snprintf(key, sizeof key, "%s.%s", name, lua_tostring(L, -2));
                scalar_text(L, -1, text, sizeof text);
                option_add(jb, key, text);
            }
        }
        lua_pop(L, 1);
    }
}

static void check_options(cv_ctx *v, int job, ent_campaign_job *jb, const char *prefix)
{
    lua_State *L = v->L;
    const opt_spec *spec = !strcmp(jb->backend, "slurm")  ? slurm_opts
                           : !strcmp(jb->backend, "http") ? http_opts
                                                          : local_opts;
    char path[512], opath[512];
    cv_path(opath, sizeof opath, prefix, "options");
    int have = cv_table(v, job, "options", prefix, 0) == 1;
    if (!have)
        lua_newtable(L);
    int t = lua_gettop(L);
    const char *names[16];
    size_t n = 0;
    for (const opt_spec *s = spec; s->name; s++)
        names[n++] = s->name;
    names[n] = NULL;
    cv_check_keys(v, t, opath, names);
    for (const opt_spec *s = spec; s->name; s++) {
        cv_path(path, sizeof path, opath, s->name);
        char text[512];
        char *str = NULL;
        long iv;
        int bv;
        switch (s->type) {
        case 's':
            if (cv_string(v, t, s->name, opath, s->required, &str) == 1) {
                if (!strcmp(s->name, "url") && strncmp(str, "http://", 7) &&
                    strncmp(str, "https://", 8))
                    cv_diag(v, path, "'%s' is not an http:// or https:// URL", str);
                option_add(jb, s->name, str);
            }
            free(str);
            break;
        case 'i':
            if (cv_integer(v, t, s->name, opath, s->required, s->min, s->max, &iv) == 1) {
                snprintf(text, sizeof text, "%ld", iv);
                option_add(jb, s->name, text);
            }
            break;
        case 'b':
            if (cv_bool(v, t, s->name, opath, s->required, &bv) == 1)
                option_add(jb, s->name, bv ? "true" : "false");
            break;
        case 't':
            rawfield(L, t, s->name);
            if (lua_type(L, -1) == LUA_TSTRING ||
                (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1)) {
                scalar_text(L, -1, text, sizeof text);
                option_add(jb, s->name, text);
            } else if (!lua_isnil(L, -1)) {
                char what[96];
                cv_describe(L, -1, what, sizeof what);
                cv_diag(v, path,
                        "expected a Slurm time (\"HH:MM:SS\", \"D-HH:MM:SS\") or "
                        "minutes, got %s",
                        what);
            }
            lua_pop(L, 1);
            break;
        case 'S':
            if (cv_table(v, t, s->name, opath, s->required) == 1) {
                check_map(v, jb, path, s->name);
                lua_pop(L, 1);
            }
            break;
        case 'A':
            if (cv_table(v, t, s->name, opath, s->required) == 1) {
                size_t len = lua_rawlen(L, -1);
                for (size_t i = 1; i <= len; i++) {
                    char sub[560], key[64];
                    snprintf(sub, sizeof sub, "%s[%zu]", path, i);
                    if (lua_rawgeti(L, -1, (lua_Integer)i) != LUA_TSTRING) {
                        char what[96];
                        cv_describe(L, -1, what, sizeof what);
                        cv_diag(v, sub, "expected a string, got %s", what);
                    } else {
                        snprintf(key, sizeof key, "%s[%zu]", s->name, i);
                        option_add(jb, key, lua_tostring(L, -1));
                    }
                    lua_pop(L, 1);
                }
                cv_check_list(v, -1, path);
                lua_pop(L, 1);
            }
            break;
        }
    }
    ent_lua_buf json = {0};
    char msg[512];
    if (ent_lua_plain(L, t, opath, NULL, &json, msg, sizeof msg) != 0) {
        ent_lua_buf_free(&json);
        ent_lua_buf_add(&json, "{}", 2);
    }
    jb->options_json = json.p ? json.p : ent_lua_strdup("{}");
    lua_settop(L, t - 1);
}

/* "90", "90s", "30m", "2h", "1h30m", "1d" -> seconds; -1 if malformed. */
static double parse_duration(const char *s)
{
    double total = 0;
    int any = 0;
    while (*s) {
        char *end;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x) || x < 0)
            return -1;
        double unit = 1;
        switch (*end) {
        case 's': unit = 1, end++; break;
        case 'm': unit = 60, end++; break;
        case 'h': unit = 3600, end++; break;
        case 'd': unit = 86400, end++; break;
        case 0: break;
        default: return -1;
        }
        total += x * unit;
        any = 1;
        s = end;
    }
    return any ? total : -1;
}

static void check_timeout(cv_ctx *v, int job, ent_campaign_job *jb, const char *prefix)
{
    lua_State *L = v->L;
    char path[512];
    cv_path(path, sizeof path, prefix, "timeout");
    rawfield(L, job, "timeout");
    double t = -2;
    if (lua_type(L, -1) == LUA_TNUMBER)
        t = (double)lua_tonumber(L, -1);
    else if (lua_type(L, -1) == LUA_TSTRING)
        t = parse_duration(lua_tostring(L, -1));
    else if (lua_isnil(L, -1))
        t = 0;
    if (t == -2 || t < 0 || !isfinite(t) || (t == 0 && !lua_isnil(L, -1))) {
        char what[96];
        cv_describe(L, -1, what, sizeof what);
        cv_diag(v, path,
                "expected a positive number of seconds or a duration (\"90s\", "
                "\"30m\", \"2h\", \"1h30m\"), got %s",
                what);
    } else {
        jb->timeout = t;
    }
    lua_pop(L, 1);
}

/* An executable: a path (relative to the campaign file's directory) or a name on PATH.
 * Returns the resolved path (malloc) or NULL. */
static char *find_executable(const char *name, const char *dir, const char *path_env)
{
    struct stat st;
    if (strchr(name, '/')) {
        char *p = cv_resolve(dir, name);
        if (p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
            return p;
        free(p);
        return NULL;
    }
    const char *s = path_env;
    while (s) {
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        char cand[4096];
        if (len == 0)
            snprintf(cand, sizeof cand, "./%s", name);
        else
            snprintf(cand, sizeof cand, "%.*s/%s", (int)len, s, name);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return ent_lua_strdup(cand);
        s = colon ? colon + 1 : NULL;
    }
    return NULL;
}

static void check_command(cv_ctx *v, int job, ent_campaign_job *jb, const char *prefix,
                          int is_http)
{
    lua_State *L = v->L;
    char path[512];
    cv_path(path, sizeof path, prefix, "command");
    int ty = rawfield(L, job, "command");
    if (is_http) {
        if (ty != LUA_TNIL)
            cv_diag(v, path, "not used by the http backend (it POSTs to options.url)");
        lua_pop(L, 1);
        return;
    }
    if (ty == LUA_TNIL) {
        cv_diag(v, path,
                "missing: the program to run, as a list of arguments "
                "({\"pw.x\", \"-in\", \"pw.in\"})");
    } else if (ty == LUA_TSTRING) {
        cv_diag(v, path,
                "must be a list of arguments, not a shell string: write "
                "{\"%s\", ...}",
                lua_tostring(L, -1));
    } else if (ty != LUA_TTABLE || lua_rawlen(L, -1) == 0) {
        char what[96];
        cv_describe(L, -1, what, sizeof what);
        cv_diag(v, path, "expected a non-empty list of arguments, got %s", what);
    } else {
        size_t n = lua_rawlen(L, -1);
        jb->argv = calloc(n + 1, sizeof *jb->argv);
        int ok = jb->argv != NULL;
        for (size_t i = 1; ok && i <= n; i++) {
            char sub[560];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            int et = lua_rawgeti(L, -1, (lua_Integer)i);
            if (et == LUA_TSTRING && lua_rawlen(L, -1) > 0 &&
                strlen(lua_tostring(L, -1)) == lua_rawlen(L, -1)) {
                jb->argv[jb->argc++] = ent_lua_strdup(lua_tostring(L, -1));
            } else if (et ==
                       LUA_TNUMBER) { /* {"lmp", "-var", "T", 300}: numbers are fine */
                char text[64];
                scalar_text(L, -1, text, sizeof text);
                jb->argv[jb->argc++] = ent_lua_strdup(text);
            } else {
                char what[96];
                cv_describe(L, -1, what, sizeof what);
                cv_diag(v, sub, "expected a non-empty string argument, got %s", what);
                ok = 0;
            }
            lua_pop(L, 1);
        }
        cv_check_list(v, -1, path);
        if (ok && jb->check_path && !v->no_path_check) {
            jb->executable = find_executable(jb->argv[0], v->cfg->dir, v->path_env);
            char sub[560];
            snprintf(sub, sizeof sub, "%s[1]", path);
            if (!jb->executable && strchr(jb->argv[0], '/'))
                cv_diag(v, sub, "'%s' is not an executable file", jb->argv[0]);
            else if (!jb->executable)
                cv_diag(v, sub,
                        "executable '%s' not found on PATH (set check_path = false "
                        "if it only exists where the jobs run)",
                        jb->argv[0]);
        }
    }
    lua_pop(L, 1);
}

static void check_job(cv_ctx *v, int job, int kind, const char *prefix)
{
    ent_campaign_config *c = v->cfg;
    ent_campaign_job *jb = &c->jobs[kind];
    jb->present = 1;
    jb->check_path = 1;
    jb->retries = 1;
    jb->parallel = 1;
    cv_check_keys(v, job, prefix, job_keys);
    cv_bool(v, job, "check_path", prefix, 0, &jb->check_path);
    char path[512];
    cv_path(path, sizeof path, prefix, "backend");
    if (cv_string(v, job, "backend", prefix, 0, &jb->backend) == 1 &&
        strcmp(jb->backend, "local") && strcmp(jb->backend, "slurm") &&
        strcmp(jb->backend, "http"))
        cv_diag(v, path, "unknown backend '%s' (local, slurm or http)", jb->backend);
    if (!jb->backend || (strcmp(jb->backend, "slurm") && strcmp(jb->backend, "http"))) {
        free(jb->backend);
        jb->backend = ent_lua_strdup("local");
    }
    int is_http = !strcmp(jb->backend, "http");
    /* The built-in mcmc explorer runs inside the engine: no command to check. */
    int is_mcmc = 0;
    if (rawfield(v->L, job, "adapter") == LUA_TSTRING)
        is_mcmc = !strcmp(lua_tostring(v->L, -1), "mcmc");
    lua_pop(v->L, 1);
    if (is_mcmc && kind != ENT_CAMPAIGN_EXPLORE) {
        cv_path(path, sizeof path, prefix, "adapter");
        cv_diag(v, path, "the mcmc adapter is for jobs.explore only");
    }
    if (!(is_mcmc && kind == ENT_CAMPAIGN_EXPLORE))
        check_command(v, job, jb, prefix, is_http);
    if (!strcmp(jb->backend, "slurm") && jb->check_path && !v->no_path_check) {
        char *sb = find_executable("sbatch", NULL, v->path_env);
        if (!sb)
            cv_diag(v, path, "the slurm backend needs 'sbatch' on PATH");
        free(sb);
    }
    cv_path(path, sizeof path, prefix, "adapter");
    char *ad = NULL;
    if (cv_string(v, job, "adapter", prefix, 0, &ad) == 1) {
        const char *const *a = adapters;
        while (*a && strcmp(*a, ad))
            a++;
        if (*a) {
            jb->adapter = ad;
            ad = NULL;
        } else if (strlen(ad) > 4 && !strcmp(ad + strlen(ad) - 4, ".lua")) {
            jb->adapter = cv_resolve(c->dir, ad);
            struct stat st;
            if (jb->adapter && stat(jb->adapter, &st) != 0)
                cv_diag(v, path, "adapter file '%s' not found", jb->adapter);
        } else {
            cv_diag(v, path,
                    "unknown adapter '%s' (extxyz, lammps, qe, cp2k, xtb, mcmc, or a "
                    "path to a .lua adapter)",
                    ad);
        }
        free(ad);
    }
    if (!jb->adapter)
        jb->adapter = ent_lua_strdup("extxyz");
    check_options(v, job, jb, prefix);
    check_timeout(v, job, jb, prefix);
    long n;
    if (cv_integer(v, job, "retries", prefix, 0, 0, 100, &n) == 1)
        jb->retries = (int)n;
    if (cv_integer(v, job, "parallel", prefix, 0, 1, 1000000, &n) == 1)
        jb->parallel = (int)n;
}

void cv_jobs(cv_ctx *v, int t)
{
    lua_State *L = v->L;
    t = lua_absindex(L, t);
    static const char *const kinds[] = {"explore", "label", "train", NULL};
    cv_check_keys(v, t, "jobs", kinds);
    for (int k = 0; k < ENT_CAMPAIGN_N_JOBS; k++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "jobs.%s", ent_campaign_job_names[k]);
        if (cv_table(v, t, ent_campaign_job_names[k], "jobs", k != ENT_CAMPAIGN_TRAIN) != 1)
            continue;
        check_job(v, lua_gettop(L), k, prefix);
        lua_pop(L, 1);
    }
}
