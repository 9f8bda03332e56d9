/* Plain data out of Lua: campaign `params` (and job options) become a canonical Lua
 * literal (what recipes get back as entrain.params, byte-identical for identical values)
 * and JSON (what the database and `entrain check --json` show). Also small helpers:
 * caller-held buffers, SHA-256 in hex, reading a whole file. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lua/lua_internal.h"

#define PLAIN_MAX_DEPTH 16

void ent_lua_buf_add(ent_lua_buf *b, const char *s, size_t len)
{
    if (!b || b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

void ent_lua_buf_addf(ent_lua_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0)
        ent_lua_buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void ent_lua_buf_free(ent_lua_buf *b)
{
    if (b) {
        free(b->p);
        memset(b, 0, sizeof *b);
    }
}

char *ent_lua_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- Strings ---- */

static void lit_string(ent_lua_buf *b, const char *s, size_t len)
{
    ent_lua_buf_add(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ent_lua_buf_add(b, e, 2);
        } else if (c == '\n') {
            ent_lua_buf_add(b, "\\n", 2);
        } else if (c < 32 || c == 127) {
            ent_lua_buf_addf(b, "\\%03u",
                             c); /* 3 digits: never merges with a digit after */
        } else {
            ent_lua_buf_add(b, (const char *)&s[i], 1);
        }
    }
    ent_lua_buf_add(b, "\"", 1);
}

static void json_string(ent_lua_buf *b, const char *s, size_t len)
{
    ent_lua_buf_add(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ent_lua_buf_add(b, e, 2);
        } else if (c == '\n') {
            ent_lua_buf_add(b, "\\n", 2);
        } else if (c == '\t') {
            ent_lua_buf_add(b, "\\t", 2);
        } else if (c < 32 || c == 127) {
            ent_lua_buf_addf(b, "\\u%04x", c);
        } else {
            ent_lua_buf_add(b, (const char *)&s[i], 1);
        }
    }
    ent_lua_buf_add(b, "\"", 1);
}

static int is_identifier(const char *s, size_t len)
{
    static const char *const reserved[] = {
        "and",      "break",  "do",   "else", "elseif", "end",   "false", "for",
        "function", "goto",   "if",   "in",   "local",  "nil",   "not",   "or",
        "repeat",   "return", "then", "true", "until",  "while", NULL};
    if (len == 0 || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    for (const char *const *r = reserved; *r; r++)
        if (!strcmp(s, *r))
            return 0;
    return 1;
}

/* ---- The walk ---- */

static void number_text(lua_State *L, int idx, char *out, size_t sz)
{
    if (lua_isinteger(L, idx)) {
        snprintf(out, sz, "%lld", (long long)lua_tointeger(L, idx));
        return;
    }
    /* The shortest %.Ng that reads back to the same double (0.05, not
     * 0.05000000000000000277). */
    double v = (double)lua_tonumber(L, idx);
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, sz, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".eEn")) /* keep it a float when read back */
        strncat(out, ".0", sz - strlen(out) - 1);
}

static int fail(char *msg, size_t msgsz, const char *path, const char *what)
{
    snprintf(msg, msgsz, "%s: %s", path, what);
    return -1;
}

static int plain(lua_State *L, int idx, const char *path, int depth, ent_lua_buf *lit,
                 ent_lua_buf *json, char *msg, size_t msgsz)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: {
        const char *v = lua_toboolean(L, idx) ? "true" : "false";
        ent_lua_buf_add(lit, v, strlen(v));
        ent_lua_buf_add(json, v, strlen(v));
        return 0;
    }
    case LUA_TNUMBER: {
        if (!lua_isinteger(L, idx) && !isfinite((double)lua_tonumber(L, idx)))
            return fail(msg, msgsz, path, "numbers must be finite");
        char t[64];
        number_text(L, idx, t, sizeof t);
        ent_lua_buf_add(lit, t, strlen(t));
        ent_lua_buf_add(json, t, strlen(t));
        return 0;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        lit_string(lit, s, len);
        json_string(json, s, len);
        return 0;
    }
    case LUA_TTABLE: break;
    default: {
        char what[80];
        snprintf(what, sizeof what,
                 "a %s is not plain data (use booleans, numbers, strings, "
                 "tables)",
                 luaL_typename(L, idx));
        return fail(msg, msgsz, path, what);
    }
    }
    if (depth >= PLAIN_MAX_DEPTH)
        return fail(msg, msgsz, path, "tables nested too deep (or a cycle)");
    if (lua_getmetatable(L, idx)) {
        lua_pop(L, 1);
        return fail(msg, msgsz, path, "a table with a metatable is not plain data");
    }
    luaL_checkstack(L, 6, "serializing a table");
    /* Array (keys exactly 1..n) or map (string keys only)? */
    size_t n_keys = 0, n_str = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n_keys++;
        if (lua_type(L, -1) == LUA_TSTRING)
            n_str++;
    }
    size_t len = lua_rawlen(L, idx);
    int is_array = n_keys == len;
    if (!is_array && n_str != n_keys)
        return fail(msg, msgsz, path,
                    "a table must be an array (keys 1..n) or have only "
                    "string keys");
    char sub[512];
    ent_lua_buf_add(lit, "{", 1);
    ent_lua_buf_add(json, is_array && len ? "[" : "{", 1);
    if (is_array) {
        for (size_t i = 1; i <= len; i++) {
            if (i > 1) {
                ent_lua_buf_add(lit, ",", 1);
                ent_lua_buf_add(json, ",", 1);
            }
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            lua_rawgeti(L, idx, (lua_Integer)i);
            int rc = plain(L, -1, sub, depth + 1, lit, json, msg, msgsz);
            lua_pop(L, 1);
            if (rc)
                return rc;
        }
    } else {
        ent_lua_sorted_keys(L, idx);
        int keys = lua_gettop(L);
        for (size_t i = 1; i <= n_keys; i++) {
            lua_rawgeti(L, keys, (lua_Integer)i);
            size_t kl;
            const char *k = lua_tolstring(L, -1, &kl);
            if (i > 1) {
                ent_lua_buf_add(lit, ",", 1);
                ent_lua_buf_add(json, ",", 1);
            }
            if (is_identifier(k, kl)) {
                ent_lua_buf_add(lit, k, kl);
            } else {
                ent_lua_buf_add(lit, "[", 1);
                lit_string(lit, k, kl);
                ent_lua_buf_add(lit, "]", 1);
            }
            ent_lua_buf_add(lit, "=", 1);
            json_string(json, k, kl);
            ent_lua_buf_add(json, ":", 1);
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            lua_pushvalue(L, -1);
            lua_rawget(L, idx);
            int rc = plain(L, -1, sub, depth + 1, lit, json, msg, msgsz);
            lua_pop(L, 2);
            if (rc) {
                lua_pop(L, 1);
                return rc;
            }
        }
        lua_pop(L, 1);
    }
    ent_lua_buf_add(lit, "}", 1);
    ent_lua_buf_add(json, is_array && len ? "]" : "}", 1);
    return 0;
}

int ent_lua_plain(lua_State *L, int idx, const char *prefix, ent_lua_buf *lit,
                  ent_lua_buf *json, char *msg, size_t msgsz)
{
    return plain(L, idx, prefix, 0, lit, json, msg, msgsz);
}

/* ---- Hashes and files ---- */

ent_status ent_lua_sha256_hex(const void *data, size_t len, char hex[65], ent_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return ent_error_set(err, ENT_ENOMEM, "SHA-256 failed (OpenSSL)");
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return ENT_OK;
}

ent_status ent_lua_read_file(const char *path, char **text, size_t *len, ent_error *err)
{
    *text = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open (%s)", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n < cap - 1)
            break;
        if (cap > ((size_t)64 << 20)) {
            free(buf);
            fclose(fp);
            return ent_error_set(err, ENT_EIO, "%s: larger than 64 MiB, not a Lua file?",
                                 path);
        }
        char *p = realloc(buf, cap * 2);
        if (!p) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf)
        return ent_error_set(err, ENT_ENOMEM, "out of memory reading %s", path);
    if (bad) {
        free(buf);
        return ent_error_set(err, ENT_EIO, "%s: read error", path);
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return ENT_OK;
}
