/* Guards on library functions whose work runs in C, where the instruction hook never
 * fires: the bound of their work is charged to the instruction budget before they run.
 * Patterns (string.find/match/gmatch/gsub): backtracking is polynomial in the subject
 * (".-.-.-b" on 1200 bytes ran 7 minutes). Bound: starts x prod over quantified items
 * (longest run of the item's class in the subject + 1) x 2^(optional items) x (pattern
 * length + subject length x (balances + back-references)); plain searches cost starts x
 * needle length. Tables: table.move, insert and remove cost the elements they shift
 * (table.move({}, 1, 1e15, 1, {}) would loop 1e15 times without allocating anything). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/lua_internal.h"

#define SPECIALS "^$*+?.([%-"

/* Does character c belong to class %cl (cl a letter)? Lua's classes, in the C locale. */
static int class_match(int c, int cl)
{
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    default: return cl == c;
    }
    if (isupper(cl))
        r = !r;
    return r != 0;
}

/* End of the single-character class starting at p ('.', %x, [set] or a literal). */
static const char *class_end(const char *p, const char *end)
{
    if (*p == '%')
        return p + 2 <= end ? p + 2 : end;
    if (*p == '[') {
        const char *q = p + 1;
        if (q < end && *q == '^')
            q++;
        do { /* the first ']' is literal */
            if (q >= end)
                return end;
            if (*q == '%' && q + 1 < end)
                q++;
            q++;
        } while (q < end && *q != ']');
        return q < end ? q + 1 : end;
    }
    return p + 1;
}

static int set_match(int c, const char *p, const char *ep) /* p at '[', ep past ']' */
{
    int neg = 0;
    p++;
    ep--;
    if (p < ep && *p == '^')
        neg = 1, p++;
    for (; p < ep; p++) {
        if (*p == '%' && p + 1 < ep) {
            p++;
            if (class_match(c, (unsigned char)*p))
                return !neg;
        } else if (p + 2 < ep && p[1] == '-') {
            if ((unsigned char)*p <= c && c <= (unsigned char)p[2])
                return !neg;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return !neg;
        }
    }
    return neg;
}

static int single_match(int c, const char *p, const char *ep)
{
    switch (*p) {
    case '.': return 1;
    case '%': return p + 1 < ep && class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep);
    default: return (unsigned char)*p == c;
    }
}

/* Longest run of subject characters in the class [p, ep). */
static double longest_run(const char *s, size_t n, const char *p, const char *ep)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        cur = single_match((unsigned char)s[i], p, ep) ? cur + 1 : 0;
        if (cur > best)
            best = cur;
    }
    return (double)best;
}

/* Upper bound of the matcher's steps for pattern p on subject s. */
static double pattern_cost(const char *s, size_t n, const char *p, size_t lp, int plain)
{
    int special = 0;
    for (size_t i = 0; i < lp && !special; i++)
        special = p[i] && strchr(SPECIALS, p[i]);
    if (plain || !special)
        return (double)(n + 1) * (double)(lp + 1);
    const char *q = p, *end = p + lp;
    double starts = (double)n + 1, leaves = 1, linear = 0;
    if (*q == '^')
        starts = 1, q++;
    while (q < end && leaves < 1e30) {
        if (*q == '(' || *q == ')' || (*q == '$' && q + 1 == end)) {
            q++;
            continue;
        }
        if (*q == '%' && q + 1 < end && q[1] == 'b') { /* %bxy: one scan, no choices */
            linear += 1;
            q += 4;
            continue;
        }
        if (*q == '%' && q + 1 < end && q[1] == 'f') { /* %f[set]: zero width */
            q = q + 2 < end ? class_end(q + 2, end) : end;
            continue;
        }
        if (*q == '%' && q + 1 < end && isdigit((unsigned char)q[1])) { /* back-reference */
            linear += 1;
            q += 2;
            continue;
        }
        const char *ep = class_end(q, end);
        if (ep < end && (*ep == '*' || *ep == '+' || *ep == '-')) {
            leaves *= longest_run(s, n, q, ep) + 1;
            ep++;
        } else if (ep < end && *ep == '?') {
            leaves *= 2;
            ep++;
        }
        q = ep;
    }
    return starts * leaves * ((double)lp + 1 + (double)n * linear);
}

/* Wrapper: upvalue 1 is the real function; plain_arg is the index of find's "plain"
 * argument (0 for the others). */
static int guarded(lua_State *L, const char *name, int plain_arg)
{
    size_t n, lp;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &lp);
    int plain = plain_arg && lua_toboolean(L, plain_arg);
    char what[64];
    snprintf(what, sizeof what, "string.%s (this pattern on %zu bytes)", name, n);
    ent_lua_charge(L, pattern_cost(s, n, p, lp, plain), what);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int g_find(lua_State *L)
{
    return guarded(L, "find", 4);
}

static int g_match(lua_State *L)
{
    return guarded(L, "match", 0);
}

static int g_gmatch(lua_State *L)
{
    return guarded(L, "gmatch", 0);
}

static int g_gsub(lua_State *L)
{
    return guarded(L, "gsub", 0);
}

/* ---- Tables ---- */

static int call_original(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* table.move(a1, f, e, t [, a2]): e - f + 1 elements. */
static int g_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    double n = e >= f ? (double)e - (double)f + 1 : 0;
    ent_lua_charge(L, n, "table.move");
    return call_original(L);
}

/* table.insert(t, pos, v) / table.remove(t [, pos]): the elements from pos on shift. */
static int g_shift(lua_State *L, const char *name)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double len = (double)luaL_len(L, 1);
    double pos = lua_gettop(L) >= 2 ? (double)luaL_checkinteger(L, 2) : len;
    ent_lua_charge(L, len >= pos ? len - pos + 1 : 1, name);
    return call_original(L);
}

static int g_insert(lua_State *L)
{
    if (lua_gettop(L) != 3) /* table.insert(t, v) appends: nothing shifts */
        return call_original(L);
    return g_shift(L, "table.insert");
}

static int g_remove(lua_State *L)
{
    return g_shift(L, "table.remove");
}

void ent_lua_guard_tables(lua_State *L, int t)
{
    static const luaL_Reg g[] = {
        {"move", g_move}, {"insert", g_insert}, {"remove", g_remove}, {NULL, NULL}};
    t = lua_absindex(L, t);
    for (const luaL_Reg *r = g; r->name; r++) {
        lua_getfield(L, t, r->name);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, t, r->name);
    }
}

/* Replace the four functions in the (real) string table at t. */
void ent_lua_guard_patterns(lua_State *L, int t)
{
    static const luaL_Reg g[] = {{"find", g_find},
                                 {"match", g_match},
                                 {"gmatch", g_gmatch},
                                 {"gsub", g_gsub},
                                 {NULL, NULL}};
    t = lua_absindex(L, t);
    for (const luaL_Reg *r = g; r->name; r++) {
        lua_getfield(L, t, r->name);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, t, r->name);
    }
}
