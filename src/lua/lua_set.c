/* "entrain.candidates" and "entrain.dataset": views over a set of structures borrowed for
 * one hook call. Indexing gives plain tables (id, n_atoms, dh_max, ...); methods rank,
 * filter, cut and turn a view into decisions; the numerical ones (diversity, redundancy,
 * entropy, novelty) are in lua_set_numerics.c. Every view re-checks on use that its hook
 * call is still running. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_set.h"

static const char *const mt_names[2] = {ENT_LUA_MT_CANDIDATES, ENT_LUA_MT_DATASET};

/* ---- Creating and checking ---- */

static lset_view *view_alloc(lua_State *L, int kind, size_t cap, int has_score)
{
    size_t bytes =
        sizeof(lset_view) + cap * sizeof(size_t) + (has_score ? cap * sizeof(double) : 0);
    lset_view *v = lua_newuserdatauv(L, bytes, 1);
    v->kind = kind;
    v->has_score = has_score;
    v->n = v->cap = cap;
    luaL_setmetatable(L, mt_names[kind]);
    return v;
}

void ent_lua_set_push(lua_State *L, const ent_lua_set *set, int kind, size_t budget)
{
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    lset_batch *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->set = set;
    b->serial = sb->active_serial;
    b->budget = budget;
    luaL_setmetatable(L, ENT_LUA_MT_BATCH);
    lset_view *v = view_alloc(L, kind, set->n, 0);
    for (size_t i = 0; i < set->n; i++)
        v->idx[i] = i;
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1);
    lua_remove(L, -2);
}

lset_view *lset_check(lua_State *L, int idx, const lset_batch **batch)
{
    lset_view *v = luaL_testudata(L, idx, ENT_LUA_MT_CANDIDATES);
    if (!v)
        v = luaL_testudata(L, idx, ENT_LUA_MT_DATASET);
    if (!v)
        luaL_typeerror(L, idx, "entrain.candidates or entrain.dataset");
    lua_getiuservalue(L, idx, 1);
    const lset_batch *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    if (!b || b->serial == 0 || b->serial != sb->active_serial)
        luaL_error(L,
                   "%s used after the hook call that received it returned (keep ids, "
                   "not views, between calls)",
                   mt_names[v->kind]);
    *batch = b;
    return v;
}

lset_view *lset_new(lua_State *L, int like, size_t cap, int has_score)
{
    const lset_batch *b;
    lset_view *old = lset_check(L, like, &b);
    lset_view *v = view_alloc(L, old->kind, cap, has_score);
    lua_getiuservalue(L, like, 1);
    lua_setiuservalue(L, -2, 1);
    return v;
}

/* ---- Items ---- */

enum { K_DH_MAX, K_DH_MEAN, K_DH_MIN, K_FRAC, K_N_ATOMS, K_N_INF, K_GEN, K_ID, K_SCORE };
static const char *const key_names[] = {"dh_max",  "dh_mean", "dh_min",     "frac_novel",
                                        "n_atoms", "n_inf",   "generation", "id",
                                        "score",   NULL};

static double item_key(const lset_view *v, size_t pos, const ent_lua_item *it, int key)
{
    switch (key) {
    case K_DH_MAX: return it->dh_max;
    case K_DH_MEAN: return it->dh_mean;
    case K_DH_MIN: return it->dh_min;
    case K_FRAC: return it->frac_novel;
    case K_N_ATOMS: return (double)it->n_atoms;
    case K_N_INF: return (double)it->n_inf;
    case K_GEN: return (double)it->generation;
    case K_ID: return (double)it->id;
    default: return v->has_score ? lset_scores((lset_view *)v)[pos] : NAN;
    }
}

static int check_key(lua_State *L, int arg, const lset_view *v)
{
    int k = luaL_checkoption(L, arg, "dh_max", key_names);
    if (k == K_SCORE && !v->has_score)
        luaL_argerror(L, arg, "this view has no scores");
    return k;
}

static void set_num(lua_State *L, const char *k, double x)
{
    if (isnan(x))
        return;
    lua_pushnumber(L, (lua_Number)x);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, long long x)
{
    lua_pushinteger(L, (lua_Integer)x);
    lua_setfield(L, -2, k);
}

/* Plain table describing entry pos of view v (a snapshot: changing it changes nothing). */
static void push_item(lua_State *L, lset_view *v, const lset_batch *b, size_t pos)
{
    size_t i = v->idx[pos];
    const ent_lua_item *it = &b->set->items[i];
    lua_createtable(L, 0, 12);
    set_int(L, "id", it->id);
    set_int(L, "index", (long long)i + 1);
    set_int(L, "n_atoms", (long long)it->n_atoms);
    set_int(L, "generation", it->generation);
    if (it->origin) {
        lua_pushstring(L, it->origin);
        lua_setfield(L, -2, "origin");
    }
    if (it->tag) {
        lua_pushstring(L, it->tag);
        lua_setfield(L, -2, "tag");
    }
    set_num(L, "dh_max", it->dh_max);
    set_num(L, "dh_mean", it->dh_mean);
    set_num(L, "dh_min", it->dh_min);
    set_num(L, "frac_novel", it->frac_novel);
    set_int(L, "n_inf", (long long)it->n_inf);
    if (v->has_score)
        set_num(L, "score", lset_scores(v)[pos]);
}

static int m_index(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i < 1 || (size_t)i > v->n)
            return 0;
        push_item(L, v, b, (size_t)i - 1);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1)); /* methods */
    return 1;
}

static int m_len(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    lua_pushinteger(L, (lua_Integer)v->n);
    return 1;
}

static int m_tostring(lua_State *L)
{
    lset_view *v = luaL_testudata(L, 1, ENT_LUA_MT_CANDIDATES);
    if (!v)
        v = luaL_checkudata(L, 1, ENT_LUA_MT_DATASET);
    lua_pushfstring(L, "%s (%d)", mt_names[v->kind], (int)v->n);
    return 1;
}

static int m_newindex(lua_State *L)
{
    return luaL_error(L, "%s is read-only", luaL_typename(L, 1));
}

/* ---- Methods ---- */

static int m_ids(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    lua_createtable(L, (int)v->n, 0);
    for (size_t p = 0; p < v->n; p++) {
        lua_pushinteger(L, (lua_Integer)b->set->items[v->idx[p]].id);
        lua_rawseti(L, -2, (lua_Integer)p + 1);
    }
    return 1;
}

typedef struct rank_rec {
    double key;
    int64_t id;
    size_t idx;
    double score;
} rank_rec;

static int rank_cmp(const void *pa, const void *pb)
{
    const rank_rec *a = pa, *b = pb;
    int na = isnan(a->key), nb = isnan(b->key);
    if (na != nb)
        return na - nb; /* unknown values last */
    if (!na && a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* view:rank([key="dh_max" [, order="desc"]]) -> new view sorted by key (ties: by id). */
static int m_rank(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    int key = check_key(L, 2, v);
    static const char *const orders[] = {"desc", "asc", NULL};
    int asc = luaL_checkoption(L, 3, "desc", orders);
    rank_rec *r = lua_newuserdatauv(L, (v->n ? v->n : 1) * sizeof *r, 0); /* Lua-owned */
    for (size_t p = 0; p < v->n; p++) {
        const ent_lua_item *it = &b->set->items[v->idx[p]];
        double k = item_key(v, p, it, key);
        r[p] = (rank_rec){asc ? k : -k, it->id, v->idx[p],
                          v->has_score ? lset_scores(v)[p] : NAN};
    }
    qsort(r, v->n, sizeof *r, rank_cmp);
    lset_view *out = lset_new(L, 1, v->n, v->has_score);
    for (size_t p = 0; p < v->n; p++) {
        out->idx[p] = r[p].idx;
        if (v->has_score)
            lset_scores(out)[p] = r[p].score;
    }
    return 1;
}

/* Copy entries [keep] of v into a new view (pushed). */
static void push_subset(lua_State *L, lset_view *v, const unsigned char *keep, size_t count)
{
    lset_view *out = lset_new(L, 1, count, v->has_score);
    size_t q = 0;
    for (size_t p = 0; p < v->n && q < count; p++)
        if (keep[p]) {
            out->idx[q] = v->idx[p];
            if (v->has_score)
                lset_scores(out)[q] = lset_scores(v)[p];
            q++;
        }
}

/* view:top(n) -> the first n entries. */
static int m_top(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "must be >= 0");
    size_t m = (size_t)n < v->n ? (size_t)n : v->n;
    lset_view *out = lset_new(L, 1, m, v->has_score);
    memcpy(out->idx, v->idx, m * sizeof *out->idx);
    if (v->has_score)
        memcpy(lset_scores(out), lset_scores(v), m * sizeof(double));
    return 1;
}

/* view:above(threshold [, key="dh_max"]) / view:below(...): strict comparisons; entries
 * whose value is unknown are left out. */
static int cut(lua_State *L, int above)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    double thr = (double)luaL_checknumber(L, 2);
    int key = check_key(L, 3, v);
    unsigned char *keep = lua_newuserdatauv(L, v->n + 1, 0);
    size_t count = 0;
    for (size_t p = 0; p < v->n; p++) {
        double k = item_key(v, p, &b->set->items[v->idx[p]], key);
        keep[p] = !isnan(k) && (above ? k > thr : k < thr);
        count += keep[p];
    }
    push_subset(L, v, keep, count);
    return 1;
}

static int m_above(lua_State *L)
{
    return cut(L, 1);
}

static int m_below(lua_State *L)
{
    return cut(L, 0);
}

/* view:filter(function(item) return bool end) -> new view. */
static int m_filter(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    unsigned char *keep = lua_newuserdatauv(L, v->n + 1, 0);
    int keep_idx = lua_gettop(L);
    size_t count = 0;
    for (size_t p = 0; p < v->n; p++) {
        lua_pushvalue(L, 2);
        push_item(L, v, b, p);
        lua_call(L, 1, 1);
        keep[p] = (unsigned char)lua_toboolean(L, -1);
        count += keep[p];
        lua_pop(L, 1);
        v = lset_check(L, 1, &b); /* the callback cannot end the hook call, but be strict */
    }
    (void)keep_idx;
    push_subset(L, v, keep, count);
    return 1;
}

/* view:decide(reason) -> { {id=..., reason=...}, ... } where reason is a string or a
 * function(item) returning one. */
static int m_decide(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    int fn = lua_type(L, 2) == LUA_TFUNCTION;
    if (!fn)
        luaL_checkstring(L, 2);
    lua_createtable(L, (int)v->n, 0);
    for (size_t p = 0; p < v->n; p++) {
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, (lua_Integer)b->set->items[v->idx[p]].id);
        lua_setfield(L, -2, "id");
        if (fn) {
            lua_pushvalue(L, 2);
            push_item(L, v, b, p);
            lua_call(L, 1, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L,
                                  "decide: the reason function returned a %s, not a string",
                                  luaL_typename(L, -1));
        } else {
            lua_pushvalue(L, 2);
        }
        lua_setfield(L, -2, "reason");
        lua_rawseti(L, -2, (lua_Integer)p + 1);
    }
    return 1;
}

/* candidates:budget() -> labels allowed in this call, or nil when unlimited. */
static int m_budget(lua_State *L)
{
    const lset_batch *b;
    lset_check(L, 1, &b);
    if (b->budget == SIZE_MAX)
        return 0;
    lua_pushinteger(L, (lua_Integer)b->budget);
    return 1;
}

/* view:has_descriptors() -> true when diverse/entropy/redundant can run. */
static int m_has_descriptors(lua_State *L)
{
    const lset_batch *b;
    lset_check(L, 1, &b);
    lua_pushboolean(L, b->set->x && b->set->offsets && b->set->bandwidth > 0);
    return 1;
}

/* view:threshold() / view:bandwidth() -> what the scores were computed with. */
static int m_threshold(lua_State *L)
{
    const lset_batch *b;
    lset_check(L, 1, &b);
    lua_pushnumber(L, (lua_Number)b->set->threshold);
    return 1;
}

static int m_bandwidth(lua_State *L)
{
    const lset_batch *b;
    lset_check(L, 1, &b);
    lua_pushnumber(L, (lua_Number)b->set->bandwidth);
    return 1;
}

static const luaL_Reg common_methods[] = {{"ids", m_ids},
                                          {"rank", m_rank},
                                          {"top", m_top},
                                          {"above", m_above},
                                          {"below", m_below},
                                          {"filter", m_filter},
                                          {"decide", m_decide},
                                          {"budget", m_budget},
                                          {"has_descriptors", m_has_descriptors},
                                          {"threshold", m_threshold},
                                          {"bandwidth", m_bandwidth},
                                          {"entropy", lset_entropy},
                                          {"novelty", lset_novelty},
                                          {"env_dh", lset_env_dh},
                                          {"diverse", lset_diverse},
                                          {NULL, NULL}};

static int batch_tostring(lua_State *L)
{
    lua_pushliteral(L, "entrain.batch");
    return 1;
}

void ent_lua_set_register(lua_State *L)
{
    luaL_newmetatable(L, ENT_LUA_MT_BATCH);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pushcfunction(L, batch_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    for (int kind = 0; kind < 2; kind++) {
        luaL_newmetatable(L, mt_names[kind]);
        lua_newtable(L); /* methods */
        luaL_setfuncs(L, common_methods, 0);
        if (kind == 1) {
            lua_pushcfunction(L, lset_redundant);
            lua_setfield(L, -2, "redundant");
        }
        lua_pushcclosure(L, m_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, m_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushcfunction(L, m_len);
        lua_setfield(L, -2, "__len");
        lua_pushcfunction(L, m_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushstring(L, mt_names[kind]);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
}

/* ---- Statistics for callers ---- */

ent_status ent_lua_set_fill_stats(const ent_lua_set *set, ent_lua_item *items,
                                  ent_error *err)
{
    if (!set || !items || !set->dh || !set->offsets)
        return ent_error_set(err, ENT_EINVAL,
                             "ent_lua_set_fill_stats: need dh and offsets");
    for (size_t s = 0; s < set->n; s++) {
        size_t a = set->offsets[s], e = set->offsets[s + 1];
        double mx = -INFINITY, mn = INFINITY, sum = 0;
        size_t novel = 0, n_inf = 0, finite = 0;
        for (size_t r = a; r < e; r++) {
            double d = set->dh[r];
            if (d > mx)
                mx = d;
            if (d < mn)
                mn = d;
            if (d > set->threshold)
                novel++;
            if (isinf(d) && d > 0)
                n_inf++;
            else if (isfinite(d))
                sum += d, finite++;
        }
        ent_lua_item *it = &items[s];
        it->n_inf = n_inf;
        if (e == a) {
            it->dh_max = it->dh_min = it->dh_mean = it->frac_novel = NAN;
            continue;
        }
        it->dh_max = mx;
        it->dh_min = mn;
        /* The mean of the finite values (+inf would swamp it); +inf when all are +inf. */
        it->dh_mean = finite ? sum / (double)finite : (n_inf ? INFINITY : NAN);
        it->frac_novel = (double)novel / (double)(e - a);
    }
    return ENT_OK;
}
