/* The Lua sandbox: a lua_State with a capped allocator, an instruction-count hook, an
 * allow-list of libraries, read-only library tables, locked globals, a seeded math.random,
 * and the single protected-call helper through which every call into Lua goes (so an
 * error, a runaway loop or a memory bomb is a status code, never a crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua/lua_internal.h"

#define HOOK_STEP 1000 /* instructions between two count-hook calls */

/* Registry keys (addresses of these statics are unique light userdata). */
static const char locked_key = 0; /* weak set of read-only tables (rawset refuses them) */

ent_lua_sandbox *ent_lua_sandbox_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* ---- Memory cap ----
 * Lua passes osize = the block's size when ptr != NULL (else a type tag). Shrinks and
 * frees never fail; growth beyond the cap returns NULL, which Lua turns into a memory
 * error after one emergency collection. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    ent_lua_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->mem_used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > sb->mem_limit - sb->mem_used) {
        sb->mem_hit = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    sb->mem_used = sb->mem_used - old + nsize;
    return p;
}

/* ---- Instruction budget ----
 * Once the budget is spent the hook fires on every instruction of the thread that hit it
 * and raises again on every count of the others, so a recipe that catches the error with
 * pcall cannot keep running: the next instruction outside its pcall fails too. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    sb->used += HOOK_STEP;
    if (sb->used <= sb->budget)
        return;
    sb->budget_hit = 1;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    lua_Debug d;
    if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
        lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
    else
        lua_pushliteral(L, "");
    lua_pushfstring(
        L, "instruction budget exceeded (%I instructions; a loop that never ends?)",
        (lua_Integer)sb->budget);
    lua_concat(L, 2);
    lua_error(L);
}

void ent_lua_charge(lua_State *L, double cost, const char *what)
{
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    double left = sb->used < sb->budget ? (double)(sb->budget - sb->used) : 0;
    if (!(cost <= left)) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "instruction budget exceeded by %s: it would cost ~%.3g "
                 "instructions, %.3g are left",
                 what, cost, left);
        sb->budget_hit = 1;
        luaL_error(L, "%s", msg);
    }
    sb->used += (uint64_t)cost;
}

/* ---- Replacements of base functions ---- */

/* load(chunk [, chunkname [, mode [, env]]]): text chunks only; "expected failure" style
 * (nil, message) like the original. */
static int sb_load(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, s ? s : "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    int has_env = !lua_isnone(L, 4);
    if (!s || lua_type(L, 1) != LUA_TSTRING) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: only string chunks are allowed in the sandbox");
        return 2;
    }
    if (strcmp(mode, "t") != 0) {
        luaL_pushfail(L);
        lua_pushliteral(
            L, "load: binary chunks are not allowed in the sandbox (mode must be \"t\")");
        return 2;
    }
    int rc = luaL_loadbufferx(L, s, len, name, "t");
    if (rc != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) {
        lua_pushvalue(L, 4);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

static int is_locked(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &locked_key);
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    int locked = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return locked;
}

static void mark_locked(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &locked_key);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int sb_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_locked(L, 1))
        return luaL_error(L, "rawset: this table is read-only");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* setmetatable refusing finalizers: Lua runs __gc with debug hooks switched off, so the
 * instruction budget could not stop a finalizer that loops. An object is only marked for
 * finalization if its metatable has a __gc field when it is set, so checking here (raw,
 * any non-nil value) is enough. */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in the "
                                 "sandbox (finalizers cannot be interrupted)");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static int sb_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (!strcmp(opt, "count")) {
        int kb = lua_gc(L, LUA_GCCOUNT, 0), b = lua_gc(L, LUA_GCCOUNTB, 0);
        lua_pushnumber(L, (lua_Number)kb + (lua_Number)b / 1024.0);
        return 1;
    }
    if (!strcmp(opt, "collect")) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        lua_pushinteger(L, 0);
        return 1;
    }
    if (!strcmp(opt, "step")) {
        lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, (int)luaL_optinteger(L, 2, 0)));
        return 1;
    }
    return luaL_error(L,
                      "collectgarbage: option '%s' is not allowed in the sandbox "
                      "(use \"collect\", \"count\" or \"step\")",
                      opt);
}

static int sb_print(lua_State *L)
{
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    const char *line = lua_tostring(L, -1);
    if (sb->log)
        sb->log(sb->log_ud, line);
    else
        fprintf(stderr, "recipe: %s\n", line);
    return 0;
}

/* math.random with the sandbox's generator, same argument rules as Lua 5.4's. */
static int sb_random(lua_State *L)
{
    ent_lua_sandbox *sb = ent_lua_sandbox_of(L);
    lua_Integer lo, hi;
    switch (lua_gettop(L)) {
    case 0: lua_pushnumber(L, ent_rng_uniform(&sb->rng)); return 1;
    case 1:
        lo = 1;
        hi = luaL_checkinteger(L, 1);
        if (hi == 0) { /* math.random(0): a random integer, all bits */
            lua_pushinteger(L, (lua_Integer)ent_rng_next(&sb->rng));
            return 1;
        }
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
        break;
    default: return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t r =
        span == UINT64_MAX ? ent_rng_next(&sb->rng) : ent_rng_below(&sb->rng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + r));
    return 1;
}

static int sb_randomseed(lua_State *L)
{
    return luaL_error(L, "math.randomseed is not available: entrain seeds math.random for "
                         "every generation (and stores the seed) so that a resumed "
                         "campaign makes the same choices");
}

/* ---- Read-only proxies ----
 * A frozen table is an empty proxy whose metatable has __index = the real table,
 * __newindex = error, __len, __pairs (sorted keys: numbers, then strings, so iteration
 * order is deterministic) and __metatable = "locked". Nested tables are frozen too. */

static int ro_newindex(lua_State *L)
{
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    if (k)
        return luaL_error(L, "attempt to modify read-only table (field '%s')", k);
    return luaL_error(L, "attempt to modify read-only table");
}

static void ro_real(lua_State *L, int proxy)
{
    lua_getmetatable(L, proxy);
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
}

static int ro_len(lua_State *L)
{
    ro_real(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

static int ro_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    if (lua_rawgeti(L, lua_upvalueindex(2), i) == LUA_TNIL)
        return 0;
    lua_pushvalue(L, -1);
    lua_rawget(L, lua_upvalueindex(1));
    return 2;
}

static int ro_pairs(lua_State *L)
{
    ro_real(L, 1);
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__keys");
    lua_remove(L, -2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, ro_iter, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Order of keys for deterministic pairs(): numbers ascending, then strings, then others. */
static int key_rank(lua_State *L, int i)
{
    int t = lua_type(L, i);
    return t == LUA_TNUMBER ? 0 : t == LUA_TSTRING ? 1 : 2;
}

static int key_less(lua_State *L, int a, int b)
{
    int ra = key_rank(L, a), rb = key_rank(L, b);
    if (ra != rb)
        return ra < rb;
    if (ra == 0)
        return lua_compare(L, a, b, LUA_OPLT);
    if (ra == 1)
        return strcmp(lua_tostring(L, a), lua_tostring(L, b)) < 0;
    return 0;
}

/* Sorted array of the keys of the table at t, pushed. Insertion sort: frozen tables are
 * small (library tables, params). */
void ent_lua_sorted_keys(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        lua_Integer j = n;
        while (j > 0) {
            lua_rawgeti(L, keys, j);
            int less = key_less(L, -2, -1);
            if (!less) {
                lua_pop(L, 1);
                break;
            }
            lua_rawseti(L, keys, j + 1);
            j--;
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, j + 1);
        n++;
    }
}

/* Replace the table at idx by its frozen proxy; cache (a table real -> proxy) handles
 * shared and cyclic references. */
static void freeze(lua_State *L, int idx, int cache)
{
    luaL_checkstack(L, 8, "freezing a table");
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, cache) != LUA_TNIL) { /* seen before (shared or cyclic) */
        lua_replace(L, idx);
        return;
    }
    lua_pop(L, 1);
    if (is_locked(L, idx)) /* already a proxy */
        return;
    lua_newtable(L); /* proxy */
    int proxy = lua_gettop(L);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, proxy);
    lua_rawset(L, cache);
    /* Freeze nested tables in place (changing existing fields during lua_next is allowed).
     */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            freeze(L, -1, cache);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, idx);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, ro_pairs);
    lua_setfield(L, -2, "__pairs");
    ent_lua_sorted_keys(L, idx);
    lua_setfield(L, -2, "__keys");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, proxy);
    mark_locked(L, proxy);
    lua_replace(L, idx);
}

/* ---- Locked globals ---- */

static int strict_index(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L,
                          "undeclared global '%s' (the sandbox has no such name; "
                          "declare variables with 'local')",
                          lua_tostring(L, 2));
    return luaL_error(L, "undeclared global");
}

static int strict_newindex(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L,
                          "assignment to undeclared global '%s' (globals are locked; "
                          "use 'local')",
                          lua_tostring(L, 2));
    return luaL_error(L, "assignment to a global (globals are locked; use 'local')");
}

/* ---- Setup ---- */

typedef struct setup_args {
    ent_lua_setup_fn fn;
    void *ud;
} setup_args;

static const char *const removed_base[] = {"dofile", "loadfile", "warn", NULL};
static const char *const frozen_libs[] = {"string",    "table",   "math", "utf8",
                                          "coroutine", "entrain", NULL};

static int setup(lua_State *L)
{
    setup_args *a = lua_touserdata(L, 1);
    lua_newtable(L); /* the weak set of locked tables */
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &locked_key);

    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                                    {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},
                                    {LUA_COLIBNAME, luaopen_coroutine},
                                    {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* requiref also keeps the real library tables in the registry's _LOADED table; Lua
     * code cannot reach the registry (no debug library), and tracebacks use it to name
     * library functions. */
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    for (const char *const *n = removed_base; *n; n++) {
        lua_pushnil(L);
        lua_setfield(L, g, *n);
    }
    lua_pushcfunction(L, sb_load);
    lua_setfield(L, g, "load");
    lua_pushcfunction(L, sb_rawset);
    lua_setfield(L, g, "rawset");
    lua_pushcfunction(L, sb_setmetatable);
    lua_setfield(L, g, "setmetatable");
    lua_pushcfunction(L, sb_collectgarbage);
    lua_setfield(L, g, "collectgarbage");
    lua_pushcfunction(L, sb_print);
    lua_setfield(L, g, "print");
    lua_getfield(L, g, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    ent_lua_guard_patterns(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, g, "table");
    ent_lua_guard_tables(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, g, "math");
    lua_pushcfunction(L, sb_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, sb_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);

    lua_newtable(L); /* entrain */
    lua_pushliteral(L, "0.1.0");
    lua_setfield(L, -2, "version");
    if (a->fn)
        a->fn(L, a->ud);
    lua_settop(L, g + 1);
    lua_setfield(L, g, "entrain");

    /* Seal: libraries (and entrain) become read-only proxies. */
    lua_newtable(L);
    int cache = lua_gettop(L);
    for (const char *const *n = frozen_libs; *n; n++) {
        lua_getfield(L, g, *n);
        freeze(L, -1, cache);
        lua_setfield(L, g, *n);
    }
    lua_pop(L, 1);
    /* The string metatable (its __index is the real string table) is hidden. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    /* Globals: the real table g is hidden behind an empty proxy that refuses new names;
     * reading a name g does not have raises (g's own metatable). */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, strict_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, g);
    lua_newtable(L);
    int proxy = lua_gettop(L);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, g);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, strict_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, proxy);
    lua_pushvalue(L, proxy);
    lua_setfield(L, g, "_G");
    mark_locked(L, proxy);
    mark_locked(L, g);
    lua_pushvalue(L, proxy);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    return 0;
}

static int panic(lua_State *L)
{
    /* Unreachable by design: every call into Lua is protected. */
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "entrain: unprotected Lua error: %s\n", msg ? msg : "?");
    return 0;
}

ent_status ent_lua_sandbox_create(const ent_lua_limits *lim, ent_lua_log_fn log,
                                  void *log_ud, ent_lua_setup_fn fn, void *setup_ud,
                                  ent_lua_sandbox **out, ent_error *err)
{
    *out = NULL;
    ent_lua_sandbox *sb = calloc(1, sizeof *sb);
    if (!sb)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    sb->mem_limit = lim && lim->memory_bytes ? lim->memory_bytes : ENT_LUA_DEFAULT_MEMORY;
    sb->budget =
        lim && lim->instructions ? lim->instructions : ENT_LUA_DEFAULT_INSTRUCTIONS;
    sb->log = log;
    sb->log_ud = log_ud;
    ent_rng_seed(&sb->rng, 0);
    sb->L = lua_newstate(sandbox_alloc, sb);
    if (!sb->L) {
        free(sb);
        return ent_error_set(err, ENT_ENOMEM,
                             "cannot create a Lua state (memory cap too small?)");
    }
    lua_atpanic(sb->L, panic);
    setup_args a = {fn, setup_ud};
    ent_status s = ent_lua_sandbox_call(sb, setup, &a, ENT_ERECIPE, err);
    if (s != ENT_OK) {
        ent_lua_sandbox_destroy(sb);
        return s;
    }
    *out = sb;
    return ENT_OK;
}

void ent_lua_sandbox_destroy(ent_lua_sandbox *sb)
{
    if (!sb)
        return;
    if (sb->L) {
        /* Finalizers a recipe left behind run now: give them a small, fresh budget. */
        sb->used = 0;
        sb->budget = 1000000;
        lua_sethook(sb->L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
        lua_close(sb->L);
    }
    free(sb->last_error);
    free(sb);
}

void ent_lua_sandbox_seed(ent_lua_sandbox *sb, uint64_t seed)
{
    ent_rng_seed(&sb->rng, seed);
}

uint64_t ent_lua_mix_seed(uint64_t seed, uint64_t salt)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (salt + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ent_lua_load_text(lua_State *L, const char *text, size_t len, const char *chunkname)
{
    if (len && text[0] == LUA_SIGNATURE[0])
        luaL_error(L, "%s: binary chunks are not allowed", chunkname + (*chunkname == '@'));
    if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK)
        lua_error(L);
}

/* ---- The protected-call helper ---- */

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

ent_status ent_lua_sandbox_call(ent_lua_sandbox *sb, lua_CFunction fn, void *ud,
                                ent_status code, ent_error *err)
{
    lua_State *L = sb->L;
    lua_settop(L, 0);
    sb->used = 0;
    sb->budget_hit = 0;
    sb->mem_hit = 0;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, ud);
    int rc = lua_pcall(L, 1, 0, 1);
    if (rc == LUA_OK) {
        lua_settop(L, 0);
        return ENT_OK;
    }
    char head[256] = "";
    ent_status s = code;
    if (rc == LUA_ERRMEM && !sb->mem_hit)
        s = ENT_ENOMEM, snprintf(head, sizeof head, "out of memory");
    else if (rc == LUA_ERRMEM || (sb->mem_hit && rc == LUA_ERRERR))
        snprintf(head, sizeof head, "memory budget exceeded (%zu MiB of Lua memory)",
                 sb->mem_limit >> 20);
    else if (sb->budget_hit && !strstr(lua_tostring(L, -1) ? lua_tostring(L, -1) : "",
                                       "instruction budget exceeded"))
        /* The recipe caught the budget error and raised something else: say what happened.
         */
        snprintf(head, sizeof head, "instruction budget exceeded (%llu instructions)",
                 (unsigned long long)sb->budget);
    const char *msg = lua_tostring(L, -1);
    if (!msg)
        msg = rc == LUA_ERRERR ? "error in error handling" : "(no message)";
    size_t need = strlen(head) + strlen(msg) + 3;
    free(sb->last_error);
    sb->last_error = malloc(need);
    if (sb->last_error)
        snprintf(sb->last_error, need, "%s%s%s", head, head[0] ? "\n" : "", msg);
    ent_error_set(err, s, "%s", sb->last_error ? sb->last_error : msg);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
    return s;
}
