/* Typed reading of a campaign file's tables for campaign*.c: diagnostics (file:line from
 * the key scan, key path, message), raw field getters that check types and ranges, key
 * and list checks with "did you mean" hints, path resolution. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/campaign_internal.h"

/* ---- Diagnostics ---- */

void ent_lua_campaign_diags_clear(ent_campaign_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

void ent_lua_campaign_diag_format(const ent_campaign_diag *d, char *buf, size_t size)
{
    char where[64] = "";
    if (d->line > 0)
        snprintf(where, sizeof where, ":%ld", d->line);
    snprintf(buf, size, "%s%s: %s%s%s", d->file ? d->file : "", where,
             d->path ? d->path : "", d->path && d->path[0] ? ": " : "",
             d->message ? d->message : "");
}

void cv_diag_add(ent_campaign_diags *d, const char *file, long line, const char *path,
                 const char *msg)
{
    ent_campaign_diag *items = realloc(d->items, (d->n + 1) * sizeof *items);
    if (!items)
        return; /* the count of problems is then short by one; the load still fails */
    d->items = items;
    d->items[d->n++] = (ent_campaign_diag){ent_lua_strdup(file), line, ent_lua_strdup(path),
                                           ent_lua_strdup(msg)};
}

void cv_diag(cv_ctx *v, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long line = ent_lua_keylines_find(v->kl, path);
    cv_diag_add(v->diags, v->cfg->file, line > 0 ? line : v->call_line, path, msg);
}

void cv_path(char *out, size_t size, const char *prefix, const char *key)
{
    snprintf(out, size, "%s%s%s", prefix, *prefix ? "." : "", key);
}

/* ---- Getters ---- */

void cv_describe(lua_State *L, int idx, char *buf, size_t size)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        snprintf(buf, size, "a string (\"%.40s\")", lua_tostring(L, idx));
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, size, "a number (%lld)", (long long)lua_tointeger(L, idx));
        else
            snprintf(buf, size, "a number (%.6g)", (double)lua_tonumber(L, idx));
        break;
    case LUA_TBOOLEAN:
        snprintf(buf, size, "a boolean (%s)", lua_toboolean(L, idx) ? "true" : "false");
        break;
    default: snprintf(buf, size, "a %s", luaL_typename(L, idx)); break;
    }
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

void cv_check_keys(cv_ctx *v, int t, const char *prefix, const char *const *allowed)
{
    lua_State *L = v->L;
    t = lua_absindex(L, t);
    char path[512], list[512];
    list[0] = 0;
    for (const char *const *a = allowed; *a; a++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 a == allowed ? "" : ", ", *a);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            char what[96];
            cv_describe(L, -1, what, sizeof what);
            cv_diag(v, prefix,
                    "unexpected positional entry or key %s (only named keys: %s)", what,
                    list);
            continue;
        }
        const char *k = lua_tostring(L, -1);
        const char *const *a = allowed;
        while (*a && strcmp(*a, k))
            a++;
        if (*a)
            continue;
        const char *best = NULL;
        size_t bd = 3;
        for (a = allowed; *a; a++) {
            size_t d = edit_distance(k, *a);
            if (d < bd)
                bd = d, best = *a;
        }
        cv_path(path, sizeof path, prefix, k);
        if (best)
            cv_diag(v, path, "unknown key '%s' (did you mean '%s'?)", k, best);
        else
            cv_diag(v, path, "unknown key '%s' (allowed: %s)", k, list);
    }
}

void cv_check_list(cv_ctx *v, int t, const char *path)
{
    lua_State *L = v->L;
    t = lua_absindex(L, t);
    lua_Integer n = (lua_Integer)lua_rawlen(L, t);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= n)
            continue;
        char what[96];
        cv_describe(L, -1, what, sizeof what);
        cv_diag(v, path, "expected a list, but it has the key %s", what);
    }
}

/* Push t[key] (raw) and return its type. */
int cv_field(cv_ctx *v, int t, const char *key)
{
    lua_pushstring(v->L, key);
    return lua_rawget(v->L, t);
}

int cv_wrong_type(cv_ctx *v, const char *path, const char *expected)
{
    char what[96];
    cv_describe(v->L, -1, what, sizeof what);
    cv_diag(v, path, "expected %s, got %s", expected, what);
    lua_pop(v->L, 1);
    return -1;
}

int cv_absent(cv_ctx *v, const char *path, int required, const char *expected)
{
    lua_pop(v->L, 1);
    if (required)
        cv_diag(v, path, "missing (%s required)", expected);
    return 0;
}

int cv_string(cv_ctx *v, int t, const char *key, const char *prefix, int required,
              char **out)
{
    char path[512];
    cv_path(path, sizeof path, prefix, key);
    t = lua_absindex(v->L, t);
    int ty = cv_field(v, t, key);
    if (ty == LUA_TNIL)
        return cv_absent(v, path, required, "a string");
    if (ty != LUA_TSTRING)
        return cv_wrong_type(v, path, "a string");
    size_t len;
    const char *s = lua_tolstring(v->L, -1, &len);
    if (len == 0 || strlen(s) != len) {
        cv_diag(v, path, len ? "must not contain NUL bytes" : "must not be empty");
        lua_pop(v->L, 1);
        return -1;
    }
    free(*out);
    *out = ent_lua_strdup(s);
    lua_pop(v->L, 1);
    return 1;
}

int cv_integer(cv_ctx *v, int t, const char *key, const char *prefix, int required,
               long min, long max, long *out)
{
    char path[512];
    cv_path(path, sizeof path, prefix, key);
    t = lua_absindex(v->L, t);
    int ty = cv_field(v, t, key);
    if (ty == LUA_TNIL)
        return cv_absent(v, path, required, "an integer");
    lua_Integer i;
    if (ty != LUA_TNUMBER)
        return cv_wrong_type(v, path, "an integer");
    if (lua_isinteger(v->L, -1)) {
        i = lua_tointeger(v->L, -1);
    } else {
        double d = (double)lua_tonumber(v->L, -1);
        if (!(d == floor(d) && fabs(d) < 9e15))
            return cv_wrong_type(v, path, "an integer");
        i = (lua_Integer)d;
    }
    lua_pop(v->L, 1);
    if (i < min || i > max) {
        if (max == LONG_MAX)
            cv_diag(v, path, "must be >= %ld, got %lld", min, (long long)i);
        else
            cv_diag(v, path, "must be between %ld and %ld, got %lld", min, max,
                    (long long)i);
        return -1;
    }
    *out = (long)i;
    return 1;
}

int cv_number(cv_ctx *v, int t, const char *key, const char *prefix, int required,
              double *out)
{
    char path[512];
    cv_path(path, sizeof path, prefix, key);
    t = lua_absindex(v->L, t);
    int ty = cv_field(v, t, key);
    if (ty == LUA_TNIL)
        return cv_absent(v, path, required, "a number");
    if (ty != LUA_TNUMBER || !isfinite((double)lua_tonumber(v->L, -1)))
        return cv_wrong_type(v, path, "a finite number");
    *out = (double)lua_tonumber(v->L, -1);
    lua_pop(v->L, 1);
    return 1;
}

int cv_bool(cv_ctx *v, int t, const char *key, const char *prefix, int required, int *out)
{
    char path[512];
    cv_path(path, sizeof path, prefix, key);
    t = lua_absindex(v->L, t);
    int ty = cv_field(v, t, key);
    if (ty == LUA_TNIL)
        return cv_absent(v, path, required, "a boolean");
    if (ty != LUA_TBOOLEAN)
        return cv_wrong_type(v, path, "a boolean (true or false)");
    *out = lua_toboolean(v->L, -1);
    lua_pop(v->L, 1);
    return 1;
}

int cv_table(cv_ctx *v, int t, const char *key, const char *prefix, int required)
{
    char path[512];
    cv_path(path, sizeof path, prefix, key);
    t = lua_absindex(v->L, t);
    int ty = cv_field(v, t, key);
    if (ty == LUA_TNIL)
        return cv_absent(v, path, required, "a table");
    if (ty != LUA_TTABLE)
        return cv_wrong_type(v, path, "a table");
    return 1;
}

char *cv_resolve(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir || !strcmp(dir, "."))
        return ent_lua_strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, p);
    return r;
}

int cv_readable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}
