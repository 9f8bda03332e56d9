/* "entrain.metrics": the campaign's per-generation metrics, borrowed for one hook call.
 * m.entropy etc. read the current (last) generation; m:history(key) and m:get(key, gen)
 * reach earlier ones. Unknown values (not computed) read as nil. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lua/lua_internal.h"

typedef struct mbox {
    const ent_lua_metrics *m;
    uint64_t serial;
} mbox;

static const char *const fields[] = {"generation",
                                     "entropy",
                                     "diversity",
                                     "novelty",
                                     "info_gap",
                                     "n_structures",
                                     "n_environments",
                                     "n_candidates",
                                     "n_selected",
                                     "n_labelled",
                                     NULL};

static const mbox *check(lua_State *L, int idx)
{
    const mbox *b = luaL_checkudata(L, idx, ENT_LUA_MT_METRICS);
    if (b->serial == 0 || b->serial != ent_lua_sandbox_of(L)->active_serial)
        luaL_error(L, "entrain.metrics used after the hook call that received it returned");
    return b;
}

/* Push field f of row r; returns 0 (nothing pushed) when unknown. */
static int push_field(lua_State *L, const ent_lua_metrics_row *r, int f)
{
    double x;
    size_t n;
    switch (f) {
    case 0: lua_pushinteger(L, (lua_Integer)r->generation); return 1;
    case 1: x = r->entropy; break;
    case 2: x = r->diversity; break;
    case 3: x = r->novelty; break;
    case 4: x = r->info_gap; break;
    default:
        n = f == 5   ? r->n_structures
            : f == 6 ? r->n_environments
            : f == 7 ? r->n_candidates
            : f == 8 ? r->n_selected
                     : r->n_labelled;
        if (n == SIZE_MAX)
            return 0;
        lua_pushinteger(L, (lua_Integer)n);
        return 1;
    }
    if (isnan(x))
        return 0;
    lua_pushnumber(L, (lua_Number)x);
    return 1;
}

static int field_index(const char *k)
{
    for (int i = 0; fields[i]; i++)
        if (!strcmp(fields[i], k))
            return i;
    return -1;
}

static int m_index(lua_State *L)
{
    const mbox *b = check(L, 1);
    const char *k = luaL_checkstring(L, 2);
    int f = field_index(k);
    if (f >= 0)
        return b->m->n ? push_field(L, &b->m->rows[b->m->n - 1], f) : 0;
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static int m_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check(L, 1)->m->n);
    return 1;
}

/* m:history(key) -> values, generations: the generations where key is known, ascending. */
static int m_history(lua_State *L)
{
    const mbox *b = check(L, 1);
    int f = luaL_checkoption(L, 2, NULL, fields);
    lua_newtable(L);
    lua_newtable(L);
    lua_Integer k = 0;
    for (size_t i = 0; i < b->m->n; i++)
        if (push_field(L, &b->m->rows[i], f)) {
            lua_rawseti(L, -3, ++k);
            lua_pushinteger(L, (lua_Integer)b->m->rows[i].generation);
            lua_rawseti(L, -2, k);
        }
    return 2;
}

/* m:get(key, generation) -> value or nil. */
static int m_get(lua_State *L)
{
    const mbox *b = check(L, 1);
    int f = luaL_checkoption(L, 2, NULL, fields);
    lua_Integer g = luaL_checkinteger(L, 3);
    for (size_t i = 0; i < b->m->n; i++)
        if (b->m->rows[i].generation == g)
            return push_field(L, &b->m->rows[i], f);
    return 0;
}

static int m_newindex(lua_State *L)
{
    return luaL_error(L, "entrain.metrics is read-only");
}

static int m_tostring(lua_State *L)
{
    const mbox *b = luaL_checkudata(L, 1, ENT_LUA_MT_METRICS);
    lua_pushfstring(L, "entrain.metrics (%d generations)", (int)(b->m ? b->m->n : 0));
    return 1;
}

void ent_lua_metrics_register(lua_State *L)
{
    luaL_newmetatable(L, ENT_LUA_MT_METRICS);
    lua_newtable(L);
    lua_pushcfunction(L, m_history);
    lua_setfield(L, -2, "history");
    lua_pushcfunction(L, m_get);
    lua_setfield(L, -2, "get");
    lua_pushcclosure(L, m_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, m_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, m_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, m_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, ENT_LUA_MT_METRICS);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void ent_lua_metrics_push(lua_State *L, const ent_lua_metrics *m)
{
    mbox *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->m = m;
    b->serial = ent_lua_sandbox_of(L)->active_serial;
    luaL_setmetatable(L, ENT_LUA_MT_METRICS);
}
