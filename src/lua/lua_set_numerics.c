/* The numerical methods of candidate / data-set views; the work runs in C (src/info):
 * diverse (msc_conditional within the batch against the data set), redundant (greedy,
 * audited removal of structures the rest already covers), entropy, novelty, env_dh.
 * Scratch arrays are malloc'ed and freed before any Lua call that could raise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "info/compress.h"
#include "info/kernel.h"
#include "lua/lua_set.h"

static const ent_lua_set *need_descriptors(lua_State *L, const lset_batch *b,
                                           const char *what)
{
    const ent_lua_set *s = b->set;
    if (!s->x || !s->offsets || s->d == 0 || !(s->bandwidth > 0))
        luaL_error(L, "%s needs descriptors and a bandwidth, and this set has none", what);
    return s;
}

/* Copy the rows of the view's entries into one block (malloc); offsets get n + 1 values. */
static double *gather(const ent_lua_set *s, const lset_view *v, size_t *offsets,
                      size_t *rows)
{
    size_t total = 0;
    offsets[0] = 0;
    for (size_t p = 0; p < v->n; p++) {
        size_t i = v->idx[p];
        total += s->offsets[i + 1] - s->offsets[i];
        offsets[p + 1] = total;
    }
    *rows = total;
    double *x = malloc((total ? total : 1) * s->d * sizeof *x);
    if (!x)
        return NULL;
    for (size_t p = 0; p < v->n; p++) {
        size_t i = v->idx[p];
        memcpy(x + offsets[p] * s->d, s->x + s->offsets[i] * s->d,
               (s->offsets[i + 1] - s->offsets[i]) * s->d * sizeof *x);
    }
    return x;
}

/* view:diverse(n) -> up to n entries, each adding the most information given the data set
 * and the entries picked before it (QUESTS msc_conditional), in selection order. */
int lset_diverse(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    lua_Integer want = luaL_checkinteger(L, 2);
    luaL_argcheck(L, want >= 0, 2, "must be >= 0");
    const ent_lua_set *s = need_descriptors(L, b, "diverse");
    size_t cap = (size_t)want < v->n ? (size_t)want : v->n;
    double rows_d = 0;
    for (size_t p = 0; p < v->n; p++)
        rows_d += (double)(s->offsets[v->idx[p] + 1] - s->offsets[v->idx[p]]);
    ent_lua_charge(L, rows_d * ((double)s->n_ref + rows_d) / ENT_LUA_PAIRS_PER_INSTRUCTION,
                   "diverse");
    lset_view *out = lset_new(L, 1, cap, 0); /* allocated before any malloc */
    if (cap == 0) {
        out->n = 0;
        return 1;
    }
    size_t *offsets = malloc((v->n + 1) * sizeof *offsets);
    double *ent = malloc(v->n * sizeof *ent);
    size_t *sel = malloc(v->n * sizeof *sel);
    size_t rows = 0, n_sel = 0;
    double *x = offsets ? gather(s, v, offsets, &rows) : NULL;
    ent_error e = {0};
    ent_status st = ENT_ENOMEM;
    if (x && ent && sel) {
        ent_structure_set vs = {x, s->d, offsets, v->n};
        st = ent_structure_entropies(&vs, s->bandwidth, ent, &e);
        if (st == ENT_OK)
            st = ent_compress_msc_conditional(&vs, ent, cap, s->ref_x,
                                              s->ref_x ? s->n_ref : 0, s->bandwidth, sel,
                                              &n_sel, &e);
    }
    if (st == ENT_OK)
        for (size_t q = 0; q < n_sel; q++)
            out->idx[q] = v->idx[sel[q]];
    free(offsets);
    free(ent);
    free(sel);
    free(x);
    if (st != ENT_OK)
        return luaL_error(L, "diverse: %s", e.msg[0] ? e.msg : "out of memory");
    out->n = n_sel;
    return 1;
}

/* view:entropy() -> H, D (nats) of the entries' environments pooled. */
int lset_entropy(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    const ent_lua_set *s = need_descriptors(L, b, "entropy");
    double rows_d = 0;
    for (size_t p = 0; p < v->n; p++)
        rows_d += (double)(s->offsets[v->idx[p] + 1] - s->offsets[v->idx[p]]);
    ent_lua_charge(L, rows_d * rows_d / ENT_LUA_PAIRS_PER_INSTRUCTION, "entropy");
    size_t *offsets = malloc((v->n + 1) * sizeof *offsets);
    size_t rows = 0;
    double *x = offsets ? gather(s, v, offsets, &rows) : NULL;
    double H = NAN, D = NAN;
    ent_error e = {0};
    ent_status st = x ? ENT_OK : ENT_ENOMEM;
    if (st == ENT_OK && rows > 0)
        st = ent_entropy(x, rows, s->d, &s->bandwidth, 1, &H, &D, NULL, &e);
    free(offsets);
    free(x);
    if (st != ENT_OK)
        return luaL_error(L, "entropy: %s", e.msg[0] ? e.msg : "out of memory");
    if (rows == 0)
        return 0;
    lua_pushnumber(L, (lua_Number)H);
    lua_pushnumber(L, (lua_Number)D);
    return 2;
}

/* view:novelty([threshold]) -> fraction of the entries' environments with dH > threshold
 * (default: the one the scores were computed with), count novel, count of environments. */
int lset_novelty(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    const ent_lua_set *s = b->set;
    double thr = (double)luaL_optnumber(L, 2, (lua_Number)s->threshold);
    if (!s->dh || !s->offsets)
        return luaL_error(L, "novelty needs per-environment dH, and this set has none");
    size_t novel = 0, total = 0;
    for (size_t p = 0; p < v->n; p++) {
        size_t i = v->idx[p];
        for (size_t r = s->offsets[i]; r < s->offsets[i + 1]; r++)
            novel += s->dh[r] > thr;
        total += s->offsets[i + 1] - s->offsets[i];
    }
    if (total == 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)novel / (lua_Number)total);
    lua_pushinteger(L, (lua_Integer)novel);
    lua_pushinteger(L, (lua_Integer)total);
    return 3;
}

/* view:env_dh(i) -> array of the dH of entry i's environments (math.huge for +inf). */
int lset_env_dh(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    lua_Integer i = luaL_checkinteger(L, 2);
    luaL_argcheck(L, i >= 1 && (size_t)i <= v->n, 2, "index out of range");
    const ent_lua_set *s = b->set;
    if (!s->dh || !s->offsets)
        return luaL_error(L, "env_dh needs per-environment dH, and this set has none");
    size_t k = v->idx[i - 1];
    size_t a = s->offsets[k], e = s->offsets[k + 1];
    lua_createtable(L, (int)(e - a), 0);
    for (size_t r = a; r < e; r++) {
        lua_pushnumber(L, (lua_Number)s->dh[r]);
        lua_rawseti(L, -2, (lua_Integer)(r - a + 1));
    }
    return 1;
}

/* ---- redundant ---- */

typedef struct cand {
    double mq; /* least coverage of its environments by the rest */
    int64_t id;
    size_t idx;
} cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->mq != b->mq)
        return a->mq > b->mq ? -1 : 1; /* best covered first */
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The greedy removal; returns the number dropped (order in drop[], dH max in score[]) or
 * an error status. q[e]: kernel sum of environment e over the kept structures other than
 * its own. A structure t is dropped when every environment of t is covered by the kept
 * rest (q > tau = exp(-threshold), i.e. dH < threshold) and stays so for every structure
 * dropped before it: after compression every original environment has dH < threshold
 * against the kept set. */
static ent_status greedy(const ent_lua_set *s, const lset_view *v, double thr,
                         size_t max_drop, size_t *drop, double *score, size_t *n_drop,
                         ent_error *err)
{
    size_t N = s->offsets[s->n], d = s->d;
    double h = s->bandwidth, tau = exp(-thr);
    double *q = malloc((N ? N : 1) * sizeof *q), *col = malloc((N ? N : 1) * sizeof *col);
    double *own = NULL;
    unsigned char *dropped = calloc(s->n ? s->n : 1, 1);
    cand *c = malloc((v->n ? v->n : 1) * sizeof *c);
    ent_status st = q && col && dropped && c ? ENT_OK : ENT_ENOMEM;
    if (st == ENT_OK && N)
        st = ent_kernel_self_sum(s->x, N, d, &h, 1, q, err);
    size_t max_rows = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->offsets[i + 1] - s->offsets[i] > max_rows)
            max_rows = s->offsets[i + 1] - s->offsets[i];
    if (st == ENT_OK && !(own = malloc((max_rows ? max_rows : 1) * sizeof *own)))
        st = ENT_ENOMEM;
    for (size_t i = 0; st == ENT_OK && i < s->n; i++) {
        size_t a = s->offsets[i], m = s->offsets[i + 1] - a;
        if (!m)
            continue;
        st = ent_kernel_self_sum(s->x + a * d, m, d, &h, 1, own, err);
        for (size_t r = 0; st == ENT_OK && r < m; r++)
            q[a + r] = q[a + r] - own[r] > 0 ? q[a + r] - own[r] : 0;
    }
    size_t nc = 0;
    for (size_t p = 0; st == ENT_OK && p < v->n; p++) {
        size_t i = v->idx[p], a = s->offsets[i], e = s->offsets[i + 1];
        if (a == e || dropped[i])
            continue;
        double mq = INFINITY;
        for (size_t r = a; r < e; r++)
            mq = q[r] < mq ? q[r] : mq;
        dropped[i] = 2; /* mark: a candidate (views may repeat entries) */
        c[nc++] = (cand){mq, s->items[i].id, i};
    }
    for (size_t i = 0; i < s->n; i++)
        dropped[i] = 0;
    if (st == ENT_OK)
        qsort(c, nc, sizeof *c, cand_cmp);
    size_t nd = 0;
    for (size_t k = 0; st == ENT_OK && k < nc && nd < max_drop; k++) {
        size_t t = c[k].idx, a = s->offsets[t], e = s->offsets[t + 1];
        double mq = INFINITY;
        for (size_t r = a; r < e; r++)
            mq = q[r] < mq ? q[r] : mq;
        if (!(mq > tau))
            continue;
        st = ent_kernel_sum(s->x, N, s->x + a * d, e - a, d, &h, 1, col, err);
        if (st != ENT_OK)
            break;
        int ok = 1;
        for (size_t j = 0; ok && j < nd; j++) {
            size_t u = drop[j];
            for (size_t r = s->offsets[u]; ok && r < s->offsets[u + 1]; r++)
                ok = q[r] - col[r] > tau;
        }
        if (!ok)
            continue;
        for (size_t r = 0; r < N; r++)
            if (r < a || r >= e)
                q[r] = q[r] - col[r] > 0 ? q[r] - col[r] : 0;
        dropped[t] = 1;
        drop[nd] = t;
        score[nd] = -log(mq);
        nd++;
    }
    free(q);
    free(col);
    free(own);
    free(dropped);
    free(c);
    if (st == ENT_ENOMEM && !err->msg[0])
        ent_error_set(err, ENT_ENOMEM, "out of memory");
    *n_drop = nd;
    return st;
}

/* dataset:redundant([threshold=0 [, max_drop]]) -> view of the entries that can be
 * dropped, in drop order, each with score = its largest dH against the kept structures
 * when it was dropped. Covered means dH < threshold (nats). The kept set is the whole data
 * set minus what is dropped; only the view's entries are considered for dropping. */
int lset_redundant(lua_State *L)
{
    const lset_batch *b;
    lset_view *v = lset_check(L, 1, &b);
    double thr = (double)luaL_optnumber(L, 2, 0.0);
    lua_Integer md = luaL_optinteger(L, 3, (lua_Integer)v->n);
    luaL_argcheck(L, md >= 0, 3, "must be >= 0");
    luaL_argcheck(L, isfinite(thr), 2, "must be finite");
    const ent_lua_set *s = need_descriptors(L, b, "redundant");
    double N = (double)s->offsets[s->n];
    ent_lua_charge(L, 2 * N * N / ENT_LUA_PAIRS_PER_INSTRUCTION, "redundant");
    size_t cap = (size_t)md < v->n ? (size_t)md : v->n;
    lset_view *out = lset_new(L, 1, cap, 1);
    size_t *drop = malloc((cap ? cap : 1) * sizeof *drop);
    double *score = malloc((cap ? cap : 1) * sizeof *score);
    ent_error e = {0};
    size_t nd = 0;
    ent_status st =
        drop && score ? greedy(s, v, thr, cap, drop, score, &nd, &e) : ENT_ENOMEM;
    if (st == ENT_OK)
        for (size_t k = 0; k < nd; k++) {
            out->idx[k] = drop[k];
            lset_scores(out)[k] = score[k];
        }
    free(drop);
    free(score);
    if (st != ENT_OK)
        return luaL_error(L, "redundant: %s", e.msg[0] ? e.msg : "out of memory");
    out->n = nd;
    return 1;
}
