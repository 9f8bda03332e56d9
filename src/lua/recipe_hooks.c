/* Calling recipe hooks: reseed math.random, mark the borrowed data live, call the hook
 * through the protected-call helper, and convert its return values into C results while
 * still inside the protected call (so a malformed value is a recipe error, with the hook's
 * file:line). Partial results live in the call record and are freed on failure. Absent
 * hooks run the C defaults. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_internal.h"

#define MAX_REASON 2000
#define MAX_TASKS 100000

typedef struct id_pos {
    int64_t id;
    size_t pos;
} id_pos;

typedef struct hook_call {
    ent_lua_recipe *r;
    ent_lua_hook h;
    const ent_lua_call *c;
    const ent_lua_set *set;
    const ent_lua_metrics *m;
    ent_lua_decisions dec;
    ent_lua_tasks tasks;
    ent_lua_stop stop;
    id_pos *ids; /* the set's ids, sorted (validation scratch) */
    unsigned char *seen;
} hook_call;

/* Raise "novelty.lua:42: select: <message>" (the hook's definition line). */
static int bad(lua_State *L, const hook_call *hc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(lua_State *L, const hook_call *hc, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return luaL_error(L, "%s:%d: %s %s", hc->r->src[hc->h], hc->r->line[hc->h],
                      ent_lua_hook_name(hc->h), msg);
}

static int id_cmp(const void *pa, const void *pb)
{
    const id_pos *a = pa, *b = pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int get_id(lua_State *L, int idx, int64_t *id)
{
    if (lua_isinteger(L, idx)) {
        *id = (int64_t)lua_tointeger(L, idx);
        return 1;
    }
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double d = (double)lua_tonumber(L, idx);
        if (d == floor(d) && fabs(d) < 9e15) {
            *id = (int64_t)d;
            return 1;
        }
    }
    return 0;
}

/* The hook's list of {id=..., reason=...} at idx into hc->dec. */
static void to_decisions(lua_State *L, hook_call *hc, int idx)
{
    const ent_lua_set *set = hc->set;
    if (lua_isnil(L, idx))
        bad(L, hc, "returned nothing (return {} to choose none)");
    if (luaL_testudata(L, idx, ENT_LUA_MT_CANDIDATES) ||
        luaL_testudata(L, idx, ENT_LUA_MT_DATASET))
        bad(L, hc, "returned a view: turn it into decisions with view:decide(reason)");
    if (!lua_istable(L, idx))
        bad(L, hc, "must return a list of {id = ..., reason = ...}, not a %s",
            luaL_typename(L, idx));
    size_t n = lua_rawlen(L, idx);
    if (hc->h == ENT_LUA_HOOK_SELECT && n > hc->c->budget)
        bad(L, hc, "chose %zu candidates but the label budget of this generation is %zu", n,
            hc->c->budget);
    hc->ids = malloc((set->n ? set->n : 1) * sizeof *hc->ids);
    hc->seen = calloc(set->n ? set->n : 1, 1);
    hc->dec.items = calloc(n ? n : 1, sizeof *hc->dec.items);
    if (!hc->ids || !hc->seen || !hc->dec.items)
        luaL_error(L, "out of memory");
    for (size_t i = 0; i < set->n; i++)
        hc->ids[i] = (id_pos){set->items[i].id, i};
    qsort(hc->ids, set->n, sizeof *hc->ids, id_cmp);
    const char *what = hc->h == ENT_LUA_HOOK_SELECT ? "candidates" : "the data set";
    for (size_t i = 1; i <= n; i++) {
        if (lua_rawgeti(L, idx, (lua_Integer)i) != LUA_TTABLE)
            bad(L, hc, "entry %zu is a %s, not {id = ..., reason = ...}", i,
                luaL_typename(L, -1));
        int64_t id = 0;
        lua_getfield(L, -1, "id");
        if (!get_id(L, -1, &id))
            bad(L, hc, "entry %zu has no integer 'id'", i);
        lua_getfield(L, -2, "reason");
        size_t rl = 0;
        const char *reason =
            lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &rl) : NULL;
        if (!reason || rl == 0)
            bad(L, hc,
                "entry %zu (id %lld) has no reason string (every decision is audited "
                "with its reason)",
                i, (long long)id);
        if (rl > MAX_REASON)
            bad(L, hc, "entry %zu (id %lld): reason longer than %d bytes", i, (long long)id,
                MAX_REASON);
        id_pos key = {id, 0};
        const id_pos *hit = bsearch(&key, hc->ids, set->n, sizeof *hc->ids, id_cmp);
        if (!hit)
            bad(L, hc, "entry %zu: id %lld is not one of %s", i, (long long)id, what);
        if (hc->seen[hit->pos])
            bad(L, hc, "entry %zu: id %lld chosen twice", i, (long long)id);
        hc->seen[hit->pos] = 1;
        char *copy = ent_lua_strdup(reason);
        if (!copy)
            luaL_error(L, "out of memory");
        hc->dec.items[hc->dec.n++] = (ent_lua_decision){id, copy};
        lua_pop(L, 3);
    }
}

static int param_cmp(const void *pa, const void *pb)
{
    return strcmp(((const ent_lua_param *)pa)->key, ((const ent_lua_param *)pb)->key);
}

static void to_tasks(lua_State *L, hook_call *hc, int idx)
{
    if (lua_isnil(L, idx))
        bad(L, hc, "returned nothing (return {} to plan no exploration)");
    if (!lua_istable(L, idx))
        bad(L, hc, "must return a list of tasks ({kind = \"md\", ...}), not a %s",
            luaL_typename(L, idx));
    size_t n = lua_rawlen(L, idx);
    if (n > MAX_TASKS)
        bad(L, hc, "returned %zu tasks (at most %d)", n, MAX_TASKS);
    hc->tasks.items = calloc(n ? n : 1, sizeof *hc->tasks.items);
    if (!hc->tasks.items)
        luaL_error(L, "out of memory");
    for (size_t i = 1; i <= n; i++) {
        if (lua_rawgeti(L, idx, (lua_Integer)i) != LUA_TTABLE)
            bad(L, hc, "task %zu is a %s, not a table", i, luaL_typename(L, -1));
        int t = lua_gettop(L);
        ent_lua_task *task = &hc->tasks.items[hc->tasks.n++];
        size_t cap = 0;
        lua_pushnil(L);
        while (lua_next(L, t))
            cap++, lua_pop(L, 1);
        task->params = calloc(cap ? cap : 1, sizeof *task->params);
        if (!task->params)
            luaL_error(L, "out of memory");
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                bad(L, hc, "task %zu: keys must be names", i);
            const char *k = lua_tostring(L, -2);
            int ty = lua_type(L, -1);
            if (!strcmp(k, "kind")) {
                if (ty != LUA_TSTRING || lua_rawlen(L, -1) == 0)
                    bad(L, hc, "task %zu: 'kind' must be a non-empty string", i);
                task->kind = ent_lua_strdup(lua_tostring(L, -1));
                if (!task->kind)
                    luaL_error(L, "out of memory");
                lua_pop(L, 1);
                continue;
            }
            ent_lua_param p = {0};
            char text[64];
            if (ty == LUA_TSTRING) {
                p.type = 's';
                p.text = ent_lua_strdup(lua_tostring(L, -1));
            } else if (ty == LUA_TBOOLEAN) {
                p.type = 'b';
                p.number = lua_toboolean(L, -1);
                p.text = ent_lua_strdup(p.number ? "true" : "false");
            } else if (ty == LUA_TNUMBER) {
                p.number = (double)lua_tonumber(L, -1);
                if (!isfinite(p.number))
                    bad(L, hc, "task %zu: '%s' is not a finite number", i, k);
                if (lua_isinteger(L, -1)) {
                    p.type = 'i';
                    snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(L, -1));
                } else {
                    p.type = 'n';
                    snprintf(text, sizeof text, "%.17g", p.number);
                }
                p.text = ent_lua_strdup(text);
            } else {
                bad(L, hc,
                    "task %zu: '%s' is a %s (task values are numbers, strings or "
                    "booleans)",
                    i, k, luaL_typename(L, -1));
            }
            p.key = ent_lua_strdup(k);
            task->params[task->n_params++] = p;
            if (!p.key || !p.text)
                luaL_error(L, "out of memory");
            lua_pop(L, 1);
        }
        if (!task->kind)
            bad(L, hc, "task %zu has no 'kind' (\"md\", \"mcmc\", \"explore\", ...)", i);
        qsort(task->params, task->n_params, sizeof *task->params, param_cmp);
        lua_settop(L, t - 1);
    }
}

static void to_stop(lua_State *L, hook_call *hc, int idx)
{
    if (lua_type(L, idx) != LUA_TBOOLEAN)
        bad(L, hc, "must return true or false (and a reason), not a %s",
            luaL_typename(L, idx));
    hc->stop.stop = lua_toboolean(L, idx);
    int rt = lua_type(L, idx + 1);
    if (rt != LUA_TSTRING && rt != LUA_TNIL)
        bad(L, hc, "reason must be a string, not a %s", luaL_typename(L, idx + 1));
    if (hc->stop.stop && (rt != LUA_TSTRING || lua_rawlen(L, idx + 1) == 0))
        bad(L, hc, "returned true without a reason (the stop decision is audited)");
    snprintf(hc->stop.reason, sizeof hc->stop.reason, "%s",
             rt == LUA_TSTRING ? lua_tostring(L, idx + 1) : "");
}

static int run_hook(lua_State *L)
{
    hook_call *hc = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, hc->r->ref[hc->h]);
    lua_pushinteger(L, (lua_Integer)hc->c->generation);
    switch (hc->h) {
    case ENT_LUA_HOOK_SELECT: ent_lua_set_push(L, hc->set, 0, hc->c->budget); break;
    case ENT_LUA_HOOK_COMPRESS: ent_lua_set_push(L, hc->set, 1, SIZE_MAX); break;
    case ENT_LUA_HOOK_SHOULD_STOP:
    case ENT_LUA_HOOK_GENERATION_END: ent_lua_metrics_push(L, hc->m); break;
    default: break;
    }
    lua_call(L, hc->h == ENT_LUA_HOOK_PLAN ? 1 : 2, 2);
    int res = lua_gettop(L) - 1;
    switch (hc->h) {
    case ENT_LUA_HOOK_PLAN: to_tasks(L, hc, res); break;
    case ENT_LUA_HOOK_SELECT:
    case ENT_LUA_HOOK_COMPRESS: to_decisions(L, hc, res); break;
    case ENT_LUA_HOOK_SHOULD_STOP: to_stop(L, hc, res); break;
    default: break;
    }
    return 0;
}

static ent_status call_hook(hook_call *hc, ent_error *err)
{
    ent_lua_sandbox *sb = hc->r->sb;
    ent_lua_sandbox_seed(sb, ent_lua_mix_seed(hc->c->seed, (uint64_t)hc->h));
    sb->active_serial = ++sb->serial_counter;
    ent_status s = ent_lua_sandbox_call(sb, run_hook, hc, ENT_ERECIPE, err);
    sb->active_serial = 0; /* every userdata given to this call is dead from now on */
    free(hc->ids);
    free(hc->seen);
    hc->ids = NULL;
    hc->seen = NULL;
    if (s != ENT_OK) {
        ent_lua_decisions_clear(&hc->dec);
        ent_lua_tasks_clear(&hc->tasks);
    }
    if (hc->dec.n == 0) /* empty results carry no array: nothing to free */
        ent_lua_decisions_clear(&hc->dec);
    if (hc->tasks.n == 0)
        ent_lua_tasks_clear(&hc->tasks);
    return s;
}

static ent_status check_args(ent_lua_recipe *r, const ent_lua_call *c, const void *in,
                             const void *out, ent_error *err)
{
    if (!r || !c || !in || !out)
        return ent_error_set(err, ENT_EINVAL, "recipe hook: NULL argument");
    return ENT_OK;
}

/* ---- Public calls and defaults ---- */

ent_status ent_lua_recipe_plan(ent_lua_recipe *r, const ent_lua_call *c, ent_lua_tasks *out,
                               ent_error *err)
{
    ent_status s = check_args(r, c, out, out, err);
    if (s != ENT_OK)
        return s;
    hook_call hc = {.r = r, .h = ENT_LUA_HOOK_PLAN, .c = c};
    if (r->ref[hc.h] == LUA_NOREF) { /* default: run the explore command once */
        hc.tasks.items = calloc(1, sizeof *hc.tasks.items);
        if (!hc.tasks.items || !(hc.tasks.items[0].kind = ent_lua_strdup("explore"))) {
            free(hc.tasks.items);
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        }
        hc.tasks.n = 1;
    } else if ((s = call_hook(&hc, err)) != ENT_OK) {
        return s;
    }
    *out = hc.tasks;
    return ENT_OK;
}

static int default_cmp(const void *pa, const void *pb)
{
    const ent_lua_item *a = *(const ent_lua_item *const *)pa,
                       *b = *(const ent_lua_item *const *)pb;
    if (a->dh_max != b->dh_max)
        return a->dh_max > b->dh_max ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Default select: dh_max > threshold, most novel first (ties by id), up to the budget. */
static ent_status default_select(const ent_lua_call *c, const ent_lua_set *set,
                                 ent_lua_decisions *out, ent_error *err)
{
    const ent_lua_item **v = malloc((set->n ? set->n : 1) * sizeof *v);
    if (!v)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i].dh_max > set->threshold) /* false for NaN */
            v[n++] = &set->items[i];
    qsort(v, n, sizeof *v, default_cmp);
    if (n > c->budget)
        n = c->budget;
    ent_lua_decisions d = {calloc(n ? n : 1, sizeof *d.items), 0};
    for (size_t i = 0; d.items && i < n; i++) {
        char reason[160];
        snprintf(reason, sizeof reason, "default select: max dH %.6g > threshold %.6g nats",
                 v[i]->dh_max, set->threshold);
        d.items[i] = (ent_lua_decision){v[i]->id, ent_lua_strdup(reason)};
        d.n++;
        if (!d.items[i].reason) {
            ent_lua_decisions_clear(&d);
            free(v);
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        }
    }
    free(v);
    if (!d.items)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (d.n == 0)
        ent_lua_decisions_clear(&d);
    *out = d;
    return ENT_OK;
}

ent_status ent_lua_recipe_select(ent_lua_recipe *r, const ent_lua_call *c,
                                 const ent_lua_set *candidates, ent_lua_decisions *out,
                                 ent_error *err)
{
    ent_status s = check_args(r, c, candidates, out, err);
    if (s != ENT_OK)
        return s;
    if (r->ref[ENT_LUA_HOOK_SELECT] == LUA_NOREF)
        return default_select(c, candidates, out, err);
    hook_call hc = {.r = r, .h = ENT_LUA_HOOK_SELECT, .c = c, .set = candidates};
    if ((s = call_hook(&hc, err)) != ENT_OK)
        return s;
    *out = hc.dec;
    return ENT_OK;
}

ent_status ent_lua_recipe_compress(ent_lua_recipe *r, const ent_lua_call *c,
                                   const ent_lua_set *dataset, ent_lua_decisions *out,
                                   ent_error *err)
{
    ent_status s = check_args(r, c, dataset, out, err);
    if (s != ENT_OK)
        return s;
    if (r->ref[ENT_LUA_HOOK_COMPRESS] == LUA_NOREF) { /* default: drop nothing */
        memset(out, 0, sizeof *out);
        return ENT_OK;
    }
    hook_call hc = {.r = r, .h = ENT_LUA_HOOK_COMPRESS, .c = c, .set = dataset};
    if ((s = call_hook(&hc, err)) != ENT_OK)
        return s;
    *out = hc.dec;
    return ENT_OK;
}

ent_status ent_lua_recipe_should_stop(ent_lua_recipe *r, const ent_lua_call *c,
                                      const ent_lua_metrics *m, ent_lua_stop *out,
                                      ent_error *err)
{
    ent_status s = check_args(r, c, m, out, err);
    if (s != ENT_OK)
        return s;
    if (r->ref[ENT_LUA_HOOK_SHOULD_STOP] == LUA_NOREF) {
        out->stop = 0;
        snprintf(out->reason, sizeof out->reason, "default: no stop rule (limits apply)");
        return ENT_OK;
    }
    hook_call hc = {.r = r, .h = ENT_LUA_HOOK_SHOULD_STOP, .c = c, .m = m};
    if ((s = call_hook(&hc, err)) != ENT_OK)
        return s;
    *out = hc.stop;
    return ENT_OK;
}

ent_status ent_lua_recipe_generation_end(ent_lua_recipe *r, const ent_lua_call *c,
                                         const ent_lua_metrics *m, ent_error *err)
{
    ent_status s = check_args(r, c, m, m, err);
    if (s != ENT_OK || r->ref[ENT_LUA_HOOK_GENERATION_END] == LUA_NOREF)
        return s;
    hook_call hc = {.r = r, .h = ENT_LUA_HOOK_GENERATION_END, .c = c, .m = m};
    return call_hook(&hc, err);
}
