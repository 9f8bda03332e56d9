/* Internal to src/lua: the sandboxed lua_State and the helpers the module's files share.
 * This is the only header of the project that includes lua.h (through lauxlib.h); the
 * public headers (sandbox.h, campaign.h, recipe.h, lua_store.h) never expose Lua types. */
#ifndef ENT_LUA_INTERNAL_H
#define ENT_LUA_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "base/status.h"
#include "lua/recipe.h"
#include "lua/sandbox.h"

/* One sandboxed state. The allocator's user data is this struct, so any C function can
 * find it from its lua_State (ent_lua_sandbox_of). */
typedef struct ent_lua_sandbox {
    lua_State *L;
    size_t mem_used, mem_limit;
    int mem_hit;           /* an allocation was refused by the cap during this call */
    uint64_t budget, used; /* instructions allowed / counted in this call */
    int budget_hit;
    ent_rng rng; /* math.random; reseeded by the caller before each hook call */
    ent_lua_log_fn log;
    void *log_ud;
    char *last_error; /* full message + traceback of the last failed call (malloc) */
    /* Borrowed data given to a hook is valid while its userdata's serial equals
     * active_serial; the C caller sets active_serial to 0 when the call returns, error or
     * not, so a userdata a recipe kept is refused afterwards without touching Lua. */
    uint64_t serial_counter, active_serial;
} ent_lua_sandbox;

/* Runs inside the protected setup, after the allowed libraries are open and before the
 * globals are sealed. The (still plain) `entrain` table is on top of the stack: add fields
 * to it, or globals with lua_setglobal. Errors with luaL_error. */
typedef void (*ent_lua_setup_fn)(lua_State *L, void *ud);

/* A loaded recipe (recipe.c loads it, recipe_hooks.c calls it). */
struct ent_lua_recipe {
    ent_lua_sandbox *sb;
    int ref[ENT_LUA_N_HOOKS];   /* registry references of the hooks; LUA_NOREF = absent */
    char *src[ENT_LUA_N_HOOKS]; /* module defining each hook ("novelty.lua") */
    int line[ENT_LUA_N_HOOKS];  /* line where it is defined */
    char *text;
    char hash[65];
};

/* Build a sandbox: base (minus dofile, loadfile, and with load/rawset/collectgarbage/print
 * wrapped), table, string (minus dump), math (random replaced), utf8, coroutine; then
 * setup(L, ud) if not NULL; then seal: library tables and `entrain` become read-only
 * proxies (deeply), the string metatable is hidden, and the global table refuses new
 * names and reads of undeclared ones. Errors: ENT_ENOMEM, ENT_ERECIPE (setup failed). */
ent_status ent_lua_sandbox_create(const ent_lua_limits *lim, ent_lua_log_fn log,
                                  void *log_ud, ent_lua_setup_fn setup, void *setup_ud,
                                  ent_lua_sandbox **out, ent_error *err);
void ent_lua_sandbox_destroy(ent_lua_sandbox *sb); /* accepts NULL */

ent_lua_sandbox *ent_lua_sandbox_of(lua_State *L);

/* The one way into Lua: run fn (a lua_CFunction that receives ud as a light userdata at
 * index 1 and returns nothing) in a protected call with a fresh instruction budget and a
 * traceback handler. On failure err gets "chunk.lua:LINE: message" followed by the
 * traceback (truncated to fit; the whole text stays in sb->last_error), the stack is
 * reset, garbage is collected, and `code` is returned (ENT_ENOMEM for a real allocation
 * failure, not the cap). The state stays usable. */
ent_status ent_lua_sandbox_call(ent_lua_sandbox *sb, lua_CFunction fn, void *ud,
                                ent_status code, ent_error *err);

/* Compile text (mode "t" only) as a function with the sealed globals; raises a Lua error
 * carrying the compiler's message on failure. chunkname as in lua_load ("@file.lua"). */
void ent_lua_load_text(lua_State *L, const char *text, size_t len, const char *chunkname);

/* Charge work done in C (invisible to the count hook) to the instruction budget before
 * doing it; raises "instruction budget exceeded by WHAT: ..." when it does not fit. */
void ent_lua_charge(lua_State *L, double cost, const char *what);
/* Kernel evaluations per charged instruction for the numerical methods. */
#define ENT_LUA_PAIRS_PER_INSTRUCTION 10000.0

/* Replace string.find/match/gmatch/gsub (in the real string table at t) and table.move,
 * insert, remove (real table library at t) by wrappers that charge a bound of their C
 * work to the instruction budget first (sandbox_guards.c). */
void ent_lua_guard_patterns(lua_State *L, int t);
void ent_lua_guard_tables(lua_State *L, int t);

/* Reseed math.random (before every hook call, from the generation's seed and the hook). */
void ent_lua_sandbox_seed(ent_lua_sandbox *sb, uint64_t seed);

/* splitmix-style mixing of a generation seed with a hook number. */
uint64_t ent_lua_mix_seed(uint64_t seed, uint64_t salt);

/* ---- Canonical plain data (serialize.c) ----
 * Values a campaign may pass to recipes: booleans, finite numbers, strings, and tables
 * that are arrays (keys 1..n) or maps with string keys, at most 16 deep, no cycles. */

/* A growing C buffer held by the caller, so that a Lua error raised in the middle of a
 * walk (memory cap) leaks nothing: the caller frees p whatever happens. */
typedef struct ent_lua_buf {
    char *p;
    size_t n, cap;
    int oom;
} ent_lua_buf;
void ent_lua_buf_add(ent_lua_buf *b, const char *s, size_t len);
void ent_lua_buf_addf(ent_lua_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ent_lua_buf_free(ent_lua_buf *b);

/* Append the canonical Lua literal (sorted keys; floats in the shortest form that reads
 * back exactly, keeping a '.' or an exponent) and the JSON text of the plain value at idx
 * to lit / json (either may be NULL). Returns 0, or -1 with a message naming the key path
 * (prefix + ".key" /
 * "[i]") in msg when the value is not plain data. May raise a Lua memory error. */
int ent_lua_plain(lua_State *L, int idx, const char *prefix, ent_lua_buf *lit,
                  ent_lua_buf *json, char *msg, size_t msgsz);

/* Push an array of the keys of the table at t in deterministic order (numbers ascending,
 * then strings by strcmp, then the rest). */
void ent_lua_sorted_keys(lua_State *L, int t);

/* Small string helpers (serialize.c). */
char *ent_lua_strdup(const char *s);
/* Hex SHA-256 (65 bytes with the terminator) of a buffer; ENT_ENOMEM/ENT_EINVAL on an
 * OpenSSL failure. */
ent_status ent_lua_sha256_hex(const void *data, size_t len, char hex[65], ent_error *err);
/* Read a whole text file (malloc, NUL-terminated). ENT_EIO with the path in err. */
ent_status ent_lua_read_file(const char *path, char **text, size_t *len, ent_error *err);

/* The shipped recipes' directory: given, else $ENTRAIN_RECIPES_DIR, else the source
 * tree's recipes/ (compiled in). */
const char *ent_lua_recipes_dir(const char *given);

/* ---- Per-key line numbers of a campaign{} constructor (keylines.c) ---- */
typedef struct ent_lua_keylines ent_lua_keylines;

/* Scan the text of a campaign file and record the line of every key of the table
 * constructor passed to `campaign` on call_line (<= 0: the first such call), as dotted
 * paths ("jobs.label.timeout", "jobs.explore.command[2]"). Keys whose values are not
 * written inline (a variable, a function call) have no entries below them. Returns NULL
 * only on allocation failure. */
ent_lua_keylines *ent_lua_keylines_scan(const char *text, size_t len, long call_line);
void ent_lua_keylines_free(ent_lua_keylines *kl);
/* Line of path, else of its nearest recorded ancestor, else 0. */
long ent_lua_keylines_find(const ent_lua_keylines *kl, const char *path);
/* Keys written twice in one constructor (Lua keeps the last): the i-th duplicate's path
 * and both lines; returns 0 past the end. */
int ent_lua_keylines_duplicate(const ent_lua_keylines *kl, size_t i, const char **path,
                               long *first, long *second);

/* ---- Userdata (lua_set.c, lua_metrics.c) ---- */
#define ENT_LUA_MT_BATCH "entrain.batch"
#define ENT_LUA_MT_CANDIDATES "entrain.candidates"
#define ENT_LUA_MT_DATASET "entrain.dataset"
#define ENT_LUA_MT_METRICS "entrain.metrics"

/* Register the metatables (inside sandbox setup). */
void ent_lua_set_register(lua_State *L);
void ent_lua_metrics_register(lua_State *L);

/* Push a view of all of set (kind 0: "entrain.candidates", 1: "entrain.dataset"),
 * borrowed for the current hook call (sb->active_serial must be set). budget: what
 * view:budget() reports (SIZE_MAX = none). */
void ent_lua_set_push(lua_State *L, const ent_lua_set *set, int kind, size_t budget);
/* Push "entrain.metrics" over m, borrowed likewise. */
void ent_lua_metrics_push(lua_State *L, const ent_lua_metrics *m);

#endif
