/* The Lua sandbox's public knobs: memory cap, instruction budget, where print() goes.
 * Campaign files and recipes each run in their own sandboxed lua_State (see
 * lua_internal.h for how it is built); the rest of the program only sets these limits and
 * never sees the Lua stack. */
#ifndef ENT_LUA_SANDBOX_H
#define ENT_LUA_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* Defaults: 64 MiB of Lua memory per state, 100 million VM instructions per hook call. */
#define ENT_LUA_DEFAULT_MEMORY ((size_t)64 << 20)
#define ENT_LUA_DEFAULT_INSTRUCTIONS ((uint64_t)100000000)

typedef struct ent_lua_limits {
    size_t memory_bytes;   /* cap on everything the state allocates; 0 = default */
    uint64_t instructions; /* per protected call (load, one hook call); 0 = default */
} ent_lua_limits;

/* Receives each line a recipe prints (print(...) in the sandbox). NULL = stderr with a
 * "recipe: " prefix. */
typedef void (*ent_lua_log_fn)(void *ud, const char *line);

#endif
