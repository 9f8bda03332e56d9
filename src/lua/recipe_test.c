/* Recipe tests: a NAME.test.lua file runs in the production sandbox and returns a table of
 * cases (data + expectations). Each case is turned into C data (candidates with
 * descriptors and dH computed by src/info, data sets, metrics), the recipe is loaded
 * afresh with the case's params, the hook is called through the public API exactly as the
 * engine calls it, and the expectations are checked here in C. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info/kernel.h"
#include "lua/lua_internal.h"

typedef struct expect_kv {
    const char *key, *text;
    int is_number;
    double number;
} expect_kv;

typedef struct tcase {
    const char *name;
    ent_lua_hook hook;
    long generation;
    uint64_t seed;
    size_t budget;
    const char *params_lua;
    long limits[3];
    ent_lua_set set;
    ent_lua_metrics metrics;
    /* expectations */
    const char *x_error, *x_reason, *x_kind;
    const int64_t *x_ids;
    size_t n_x_ids;
    int has_ids, x_count, x_stop, x_deterministic; /* -1 = not given */
    expect_kv *x_task;
    size_t n_x_task;
} tcase;

typedef struct tctx {
    const char *file;
    char *recipe;
    tcase *cases;
    size_t n_cases;
    void **arena;
    size_t n_arena, cap_arena;
} tctx;

/* malloc registered in the context (freed with it, whatever happens). */
static void *arena(lua_State *L, tctx *c, size_t size)
{
    if (c->n_arena == c->cap_arena) {
        size_t cap = c->cap_arena ? 2 * c->cap_arena : 64;
        void **a = realloc(c->arena, cap * sizeof *a);
        if (!a)
            luaL_error(L, "out of memory");
        c->arena = a;
        c->cap_arena = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p)
        luaL_error(L, "out of memory");
    c->arena[c->n_arena++] = p;
    return p;
}

static const char *arena_str(lua_State *L, tctx *c, const char *s)
{
    char *p = arena(L, c, strlen(s) + 1);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

static const char *opt_str(lua_State *L, tctx *c, int t, const char *k)
{
    const char *r = NULL;
    if (lua_getfield(L, t, k) == LUA_TSTRING)
        r = arena_str(L, c, lua_tostring(L, -1));
    lua_pop(L, 1);
    return r;
}

static double opt_num(lua_State *L, int t, const char *k, double def)
{
    double r = def;
    if (lua_getfield(L, t, k) == LUA_TNUMBER)
        r = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
    return r;
}

static int opt_bool(lua_State *L, int t, const char *k)
{
    int ty = lua_getfield(L, t, k);
    int r = ty == LUA_TBOOLEAN ? lua_toboolean(L, -1) : -1;
    lua_pop(L, 1);
    return r;
}

/* rows = {{...}, {...}} at the top: appended to x (n_rows x d; d fixed by the first row).
 */
static size_t read_rows(lua_State *L, int t, size_t *d, double *x, size_t at,
                        const char *what)
{
    size_t n = lua_rawlen(L, t);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        size_t w = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
        if (w == 0 || (*d && w != *d))
            luaL_error(L, "%s: row %d must be a list of %d numbers", what, (int)i, (int)*d);
        *d = w;
        for (size_t j = 1; j <= w; j++) {
            lua_rawgeti(L, -1, (lua_Integer)j);
            if (x)
                x[(at + i - 1) * w + j - 1] = (double)luaL_checknumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return n;
}

/* candidates / dataset = { {id=, x={rows}, dh={...}, generation=, origin=, tag=}, ... } */
static void read_set(lua_State *L, tctx *c, tcase *tc, int t, const char *key)
{
    ent_lua_set *s = &tc->set;
    size_t ref_d = s->d;
    if (lua_getfield(L, t, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int st = lua_gettop(L);
    size_t n = lua_rawlen(L, st), rows = 0, d = 0, dh_given = 0;
    for (size_t i = 1; i <= n; i++) { /* sizes first */
        lua_rawgeti(L, st, (lua_Integer)i);
        if (lua_getfield(L, -1, "x") == LUA_TTABLE)
            rows += read_rows(L, lua_gettop(L), &d, NULL, 0, key);
        else if (lua_getfield(L, -2, "dh") == LUA_TTABLE)
            rows += lua_rawlen(L, -1), lua_pop(L, 1);
        else
            lua_pop(L, 1);
        lua_pop(L, 2);
    }
    ent_lua_item *items = arena(L, c, n * sizeof *items);
    size_t *off = arena(L, c, (n + 1) * sizeof *off);
    double *x = d ? arena(L, c, rows * d * sizeof *x) : NULL;
    double *dh = arena(L, c, rows * sizeof *dh);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, st, (lua_Integer)i);
        int e = lua_gettop(L);
        ent_lua_item *it = &items[i - 1];
        it->id = (int64_t)opt_num(L, e, "id", (double)i);
        it->generation = (long)opt_num(L, e, "generation", (double)tc->generation);
        it->origin = opt_str(L, c, e, "origin");
        it->tag = opt_str(L, c, e, "tag");
        size_t at = off[i - 1], m = 0;
        if (lua_getfield(L, e, "x") == LUA_TTABLE)
            m = read_rows(L, lua_gettop(L), &d, x, at, key);
        lua_pop(L, 1);
        if (lua_getfield(L, e, "dh") == LUA_TTABLE) {
            size_t k = lua_rawlen(L, -1);
            if (m && k != m)
                luaL_error(L, "%s[%d]: dh has %d values for %d environments", key, (int)i,
                           (int)k, (int)m);
            m = k;
            for (size_t j = 1; j <= k; j++) {
                lua_rawgeti(L, -1, (lua_Integer)j);
                dh[at + j - 1] = (double)luaL_checknumber(L, -1);
                lua_pop(L, 1);
            }
            dh_given++;
        }
        lua_pop(L, 1);
        it->n_atoms = m;
        off[i] = at + m;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    *s = (ent_lua_set){.items = items,
                       .n = n,
                       .x = x,
                       .d = d,
                       .offsets = off,
                       .dh = dh,
                       .bandwidth = s->bandwidth,
                       .threshold = s->threshold,
                       .ref_x = s->ref_x,
                       .n_ref = s->n_ref};
    /* dH of every environment against the reference when the case gives descriptors only.
     */
    if (dh_given == 0 && x && rows) {
        ent_error err = {0};
        if (s->n_ref == 0) {
            for (size_t r = 0; r < rows; r++)
                dh[r] = INFINITY;
        } else if (ref_d != d || ent_delta_entropy(x, rows, s->ref_x, s->n_ref, d,
                                                   &s->bandwidth, 1, dh, &err) != ENT_OK) {
            luaL_error(L, "%s: cannot compute dH against the reference (%s)", key,
                       err.msg[0] ? err.msg : "widths differ");
        }
    }
    ent_error err = {0};
    ent_lua_set_fill_stats(s, items, &err);
}

static void read_metrics(lua_State *L, tctx *c, tcase *tc, int t)
{
    if (lua_getfield(L, t, "metrics") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    size_t n = lua_rawlen(L, -1);
    ent_lua_metrics_row *rows = arena(L, c, n * sizeof *rows);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i);
        int e = lua_gettop(L);
        ent_lua_metrics_row *r = &rows[i - 1];
        r->generation = (long)opt_num(L, e, "generation", (double)(i - 1));
        r->entropy = opt_num(L, e, "entropy", NAN);
        r->diversity = opt_num(L, e, "diversity", NAN);
        r->novelty = opt_num(L, e, "novelty", NAN);
        r->info_gap = opt_num(L, e, "info_gap", NAN);
        double v;
        r->n_structures =
            (v = opt_num(L, e, "n_structures", -1)) < 0 ? SIZE_MAX : (size_t)v;
        r->n_environments =
            (v = opt_num(L, e, "n_environments", -1)) < 0 ? SIZE_MAX : (size_t)v;
        r->n_candidates =
            (v = opt_num(L, e, "n_candidates", -1)) < 0 ? SIZE_MAX : (size_t)v;
        r->n_selected = (v = opt_num(L, e, "n_selected", -1)) < 0 ? SIZE_MAX : (size_t)v;
        r->n_labelled = (v = opt_num(L, e, "n_labelled", -1)) < 0 ? SIZE_MAX : (size_t)v;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    tc->metrics = (ent_lua_metrics){rows, n};
}

static void read_expect(lua_State *L, tctx *c, tcase *tc, int t)
{
    tc->has_ids = 0;
    tc->x_count = tc->x_stop = tc->x_deterministic = -1;
    if (lua_getfield(L, t, "expect") != LUA_TTABLE)
        luaL_error(L, "case '%s': no expect table", tc->name);
    int e = lua_gettop(L);
    tc->x_error = opt_str(L, c, e, "error");
    tc->x_reason = opt_str(L, c, e, "reason");
    tc->x_kind = opt_str(L, c, e, "kind");
    tc->x_count = (int)opt_num(L, e, "count", -1);
    tc->x_stop = opt_bool(L, e, "stop");
    tc->x_deterministic = opt_bool(L, e, "deterministic");
    if (lua_getfield(L, e, "ids") == LUA_TTABLE) {
        size_t n = lua_rawlen(L, -1);
        int64_t *ids = arena(L, c, n * sizeof *ids);
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i);
            ids[i - 1] = (int64_t)luaL_checkinteger(L, -1);
            lua_pop(L, 1);
        }
        tc->x_ids = ids;
        tc->n_x_ids = n;
        tc->has_ids = 1;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, e, "task") == LUA_TTABLE) {
        int tt = lua_gettop(L);
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, tt))
            n++, lua_pop(L, 1);
        tc->x_task = arena(L, c, n * sizeof *tc->x_task);
        lua_pushnil(L);
        while (lua_next(L, tt)) {
            expect_kv *kv = &tc->x_task[tc->n_x_task++];
            kv->key = arena_str(L, c, luaL_checkstring(L, -2));
            kv->is_number = lua_type(L, -1) == LUA_TNUMBER;
            kv->number = (double)lua_tonumber(L, -1);
            kv->text = kv->is_number ? "" : arena_str(L, c, luaL_tolstring(L, -1, NULL));
            lua_pop(L, kv->is_number ? 1 : 2);
        }
    }
    lua_pop(L, 2);
}

static int parse_file(lua_State *L)
{
    tctx *c = lua_touserdata(L, 1);
    char *text;
    size_t len;
    ent_error err = {0};
    if (ent_lua_read_file(c->file, &text, &len, &err) != ENT_OK)
        return luaL_error(L, "%s", err.msg);
    const char *base = strrchr(c->file, '/') ? strrchr(c->file, '/') + 1 : c->file;
    const char *chunk = lua_pushfstring(L, "@%s", base);
    int rc = luaL_loadbufferx(L, text, len, chunk, "t");
    free(text);
    if (rc != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    int top = lua_gettop(L);
    const char *recipe = opt_str(L, c, top, "recipe");
    if (!recipe) { /* novelty.test.lua -> novelty */
        char name[256];
        snprintf(name, sizeof name, "%s", base);
        char *dot = strstr(name, ".test.lua");
        if (dot)
            *dot = 0;
        recipe = arena_str(L, c, name);
    }
    c->recipe = (char *)recipe;
    if (lua_getfield(L, top, "cases") != LUA_TTABLE)
        return luaL_error(L, "%s: no cases table", base);
    int cs = lua_gettop(L);
    c->n_cases = lua_rawlen(L, cs);
    c->cases = arena(L, c, c->n_cases * sizeof *c->cases);
    for (size_t i = 1; i <= c->n_cases; i++) {
        lua_rawgeti(L, cs, (lua_Integer)i);
        int t = lua_gettop(L);
        tcase *tc = &c->cases[i - 1];
        tc->name = opt_str(L, c, t, "name");
        if (!tc->name)
            tc->name = arena_str(L, c, lua_pushfstring(L, "case %d", (int)i));
        const char *hook = opt_str(L, c, t, "hook");
        int h = 0;
        while (hook && h < ENT_LUA_N_HOOKS &&
               strcmp(hook, ent_lua_hook_name((ent_lua_hook)h)))
            h++;
        if (!hook || h == ENT_LUA_N_HOOKS)
            return luaL_error(L, "case '%s': hook must name a hook", tc->name);
        tc->hook = (ent_lua_hook)h;
        tc->generation = (long)opt_num(L, t, "generation", 1);
        tc->seed = (uint64_t)opt_num(L, t, "seed", 0);
        double b = opt_num(L, t, "budget", -1);
        tc->budget = b < 0 ? SIZE_MAX : (size_t)b;
        tc->limits[0] = (long)opt_num(L, t, "max_generations", 0);
        tc->limits[1] = (long)opt_num(L, t, "label_budget_per_generation", 0);
        tc->limits[2] = (long)opt_num(L, t, "label_budget_total", 0);
        tc->params_lua = "{}";
        if (lua_getfield(L, t, "params") == LUA_TTABLE) {
            ent_lua_buf lit = {0};
            char msg[256];
            int bad = ent_lua_plain(L, -1, "params", &lit, NULL, msg, sizeof msg);
            tc->params_lua = lit.p ? arena_str(L, c, lit.p) : "{}";
            ent_lua_buf_free(&lit); /* (an error in arena_str leaks lit: tests only) */
            if (bad)
                return luaL_error(L, "case '%s': %s", tc->name, msg);
        }
        lua_pop(L, 1);
        tc->set.bandwidth = opt_num(L, t, "bandwidth", 1.0);
        tc->set.threshold = opt_num(L, t, "threshold", 0.0);
        if (lua_getfield(L, t, "reference") == LUA_TTABLE) {
            size_t d = 0, n = read_rows(L, lua_gettop(L), &d, NULL, 0, "reference");
            double *ref = arena(L, c, n * (d ? d : 1) * sizeof *ref);
            read_rows(L, lua_gettop(L), &d, ref, 0, "reference");
            tc->set.ref_x = ref;
            tc->set.n_ref = n;
            tc->set.d = d;
        }
        lua_pop(L, 1);
        read_set(L, c, tc, t, tc->hook == ENT_LUA_HOOK_COMPRESS ? "dataset" : "candidates");
        read_metrics(L, c, tc, t);
        read_expect(L, c, tc, t);
        lua_settop(L, cs);
    }
    return 0;
}

/* ---- Running ---- */

static void say(ent_lua_buf *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(ent_lua_buf *log, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ent_lua_buf_add(log, line, strlen(line));
    ent_lua_buf_add(log, "\n", 1);
}

typedef struct outcome {
    ent_status s;
    ent_error err;
    ent_lua_decisions dec;
    ent_lua_tasks tasks;
    ent_lua_stop stop;
} outcome;

static void run_case(const tctx *c, const tcase *tc, const char *recipes_dir, outcome *o)
{
    memset(o, 0, sizeof *o);
    const char *names[1] = {c->recipe};
    ent_lua_recipe_opts ro = {.recipes = names,
                              .n_recipes = 1,
                              .recipes_dir = recipes_dir,
                              .params_lua = tc->params_lua,
                              .campaign_name = "test",
                              .max_generations = tc->limits[0],
                              .label_budget_per_generation = tc->limits[1],
                              .label_budget_total = tc->limits[2]};
    ent_lua_recipe *r = NULL;
    o->s = ent_lua_recipe_load(&ro, &r, &o->err);
    if (o->s != ENT_OK)
        return;
    ent_lua_call call = {tc->generation, tc->seed, tc->budget};
    switch (tc->hook) {
    case ENT_LUA_HOOK_PLAN: o->s = ent_lua_recipe_plan(r, &call, &o->tasks, &o->err); break;
    case ENT_LUA_HOOK_SELECT:
        o->s = ent_lua_recipe_select(r, &call, &tc->set, &o->dec, &o->err);
        break;
    case ENT_LUA_HOOK_COMPRESS:
        o->s = ent_lua_recipe_compress(r, &call, &tc->set, &o->dec, &o->err);
        break;
    case ENT_LUA_HOOK_SHOULD_STOP:
        o->s = ent_lua_recipe_should_stop(r, &call, &tc->metrics, &o->stop, &o->err);
        break;
    default: o->s = ent_lua_recipe_generation_end(r, &call, &tc->metrics, &o->err); break;
    }
    ent_lua_recipe_destroy(r);
}

static void outcome_clear(outcome *o)
{
    ent_lua_decisions_clear(&o->dec);
    ent_lua_tasks_clear(&o->tasks);
}

static int same(const outcome *a, const outcome *b)
{
    if (a->s != b->s || a->dec.n != b->dec.n || a->tasks.n != b->tasks.n ||
        a->stop.stop != b->stop.stop || strcmp(a->stop.reason, b->stop.reason))
        return 0;
    for (size_t i = 0; i < a->dec.n; i++)
        if (a->dec.items[i].id != b->dec.items[i].id ||
            strcmp(a->dec.items[i].reason, b->dec.items[i].reason))
            return 0;
    for (size_t i = 0; i < a->tasks.n; i++) {
        const ent_lua_task *x = &a->tasks.items[i], *y = &b->tasks.items[i];
        if (strcmp(x->kind, y->kind) || x->n_params != y->n_params)
            return 0;
        for (size_t j = 0; j < x->n_params; j++)
            if (strcmp(x->params[j].key, y->params[j].key) ||
                strcmp(x->params[j].text, y->params[j].text))
                return 0;
    }
    return 1;
}

/* Why the outcome misses the expectations, or NULL. */
static const char *check(const tcase *tc, const outcome *o, const char *recipes_dir,
                         const tctx *c, char *why, size_t sz)
{
    if (tc->x_error) {
        if (o->s == ENT_OK)
            return snprintf(why, sz,
                            "expected an error containing '%s', the hook succeeded",
                            tc->x_error),
                   why;
        if (!strstr(o->err.msg, tc->x_error))
            return snprintf(why, sz, "expected an error containing '%s', got: %s",
                            tc->x_error, o->err.msg),
                   why;
        return NULL;
    }
    if (o->s != ENT_OK)
        return snprintf(why, sz, "hook failed: %s", o->err.msg), why;
    size_t count = tc->hook == ENT_LUA_HOOK_PLAN ? o->tasks.n : o->dec.n;
    if (tc->x_count >= 0 && count != (size_t)tc->x_count)
        return snprintf(why, sz, "expected %d results, got %zu", tc->x_count, count), why;
    if (tc->has_ids) {
        int ok = o->dec.n == tc->n_x_ids;
        for (size_t i = 0; ok && i < tc->n_x_ids; i++)
            ok = o->dec.items[i].id == tc->x_ids[i];
        if (!ok) {
            char got[256] = "";
            for (size_t i = 0; i < o->dec.n && strlen(got) < 200; i++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld",
                         i ? "," : "", (long long)o->dec.items[i].id);
            return snprintf(why, sz, "ids differ: got {%s}", got), why;
        }
    }
    if (tc->x_reason) {
        for (size_t i = 0; i < o->dec.n; i++)
            if (!strstr(o->dec.items[i].reason, tc->x_reason))
                return snprintf(why, sz, "reason '%s' lacks '%s'", o->dec.items[i].reason,
                                tc->x_reason),
                       why;
        if (tc->hook == ENT_LUA_HOOK_SHOULD_STOP && !strstr(o->stop.reason, tc->x_reason))
            return snprintf(why, sz, "stop reason '%s' lacks '%s'", o->stop.reason,
                            tc->x_reason),
                   why;
    }
    if (tc->x_stop >= 0 && o->stop.stop != tc->x_stop)
        return snprintf(why, sz, "expected stop = %s (reason: %s)",
                        tc->x_stop ? "true" : "false", o->stop.reason),
               why;
    for (size_t i = 0; tc->x_kind && i < o->tasks.n; i++)
        if (strcmp(o->tasks.items[i].kind, tc->x_kind))
            return snprintf(why, sz, "task %zu has kind '%s'", i + 1,
                            o->tasks.items[i].kind),
                   why;
    for (size_t k = 0; k < tc->n_x_task; k++) {
        const expect_kv *kv = &tc->x_task[k];
        const ent_lua_param *p =
            o->tasks.n ? ent_lua_task_param(&o->tasks.items[0], kv->key) : NULL;
        int ok = p && (kv->is_number
                           ? (p->type == 'i' || p->type == 'n') &&
                                 fabs(p->number - kv->number) <= 1e-9 * fabs(kv->number)
                           : !strcmp(p->text, kv->text));
        if (!ok)
            return snprintf(why, sz, "first task: '%s' is %s", kv->key,
                            p ? p->text : "absent"),
                   why;
    }
    if (tc->x_deterministic == 1) {
        outcome again;
        run_case(c, tc, recipes_dir, &again);
        int ok = same(o, &again);
        outcome_clear(&again);
        if (!ok)
            return snprintf(why, sz, "a second call with the same seed differs"), why;
    }
    return NULL;
}

ent_status ent_lua_recipe_test_run(const char *test_file, const char *recipes_dir,
                                   ent_lua_test_report *rep, ent_error *err)
{
    memset(rep, 0, sizeof *rep);
    ent_lua_sandbox *sb = NULL;
    ent_status s = ent_lua_sandbox_create(NULL, NULL, NULL, NULL, NULL, &sb, err);
    if (s != ENT_OK)
        return s;
    tctx c = {.file = test_file};
    s = ent_lua_sandbox_call(sb, parse_file, &c, ENT_EPARSE, err);
    ent_lua_buf log = {0};
    for (size_t i = 0; s == ENT_OK && i < c.n_cases; i++) {
        const tcase *tc = &c.cases[i];
        outcome o;
        run_case(&c, tc, recipes_dir, &o);
        char why[1200];
        const char *fail = check(tc, &o, recipes_dir, &c, why, sizeof why);
        rep->n_cases++;
        if (fail) {
            rep->n_failed++;
            say(&log, "FAIL %s: %s", tc->name, fail);
        } else {
            say(&log, "ok   %s", tc->name);
        }
        outcome_clear(&o);
    }
    for (size_t i = 0; i < c.n_arena; i++)
        free(c.arena[i]);
    free(c.arena);
    ent_lua_sandbox_destroy(sb);
    rep->log = log.p ? log.p : ent_lua_strdup("");
    return s;
}

void ent_lua_test_report_clear(ent_lua_test_report *rep)
{
    if (rep) {
        free(rep->log);
        memset(rep, 0, sizeof *rep);
    }
}
