/* Internal to lua_set*.c: views over a borrowed ent_lua_set. A batch userdata holds the
 * borrowed pointer and the serial of the hook call it belongs to; a view ("entrain.
 * candidates" / "entrain.dataset") owns an index array into it (and optional per-entry
 * scores) and keeps the batch alive as its user value. */
#ifndef ENT_LUA_SET_H
#define ENT_LUA_SET_H

#include "lua/lua_internal.h"

typedef struct lset_batch {
    const ent_lua_set *set;
    uint64_t serial;
    size_t budget; /* SIZE_MAX = none */
} lset_batch;

typedef struct lset_view {
    int kind;      /* 0 candidates, 1 data set */
    int has_score; /* score[] follows idx[] */
    size_t n, cap;
    size_t idx[]; /* positions in the batch's set (cap of them), then double score[cap] */
} lset_view;

static inline double *lset_scores(lset_view *v)
{
    return (double *)(void *)(v->idx + v->cap);
}

/* The view at idx (either kind) and its batch, checked to be still valid (raises
 * otherwise). */
lset_view *lset_check(lua_State *L, int idx, const lset_batch **batch);
/* A new view of the same batch as the view at like (pushed), with room for cap entries
 * and n = cap (callers may lower n). */
lset_view *lset_new(lua_State *L, int like, size_t cap, int has_score);

/* Numerical methods (lua_set_numerics.c), registered with the others. */
int lset_diverse(lua_State *L);
int lset_redundant(lua_State *L);
int lset_entropy(lua_State *L);
int lset_novelty(lua_State *L);
int lset_env_dh(lua_State *L);

#endif
