/* Line numbers of the keys of a campaign{} table constructor. Lua keeps no line per table
 * field, so after the campaign file ran we scan its text with a small Lua lexer, find the
 * constructor passed to `campaign` on the line the call was made (from lua_getinfo), and
 * walk it: `name = value`, `["name"] = value` and positional fields, recursing into values
 * that are themselves constructors. Values built elsewhere (variables, function calls)
 * give no lines below them; lookups then fall back to the nearest ancestor. */
#include <stdlib.h>
#include <string.h>

#include "lua/lua_internal.h"

enum { T_EOF, T_NAME, T_STRING, T_NUMBER, T_OP };

typedef struct token {
    int type;
    long line;
    const char *s; /* start in the text (for strings: the decoded value if simple) */
    size_t len;
} token;

typedef struct entry {
    char *path;
    long line;
} entry;

typedef struct dup {
    char *path;
    long first, second;
} dup;

struct ent_lua_keylines {
    entry *e;
    size_t n, cap;
    dup *d;
    size_t nd, capd;
};

typedef struct lexer {
    const char *p, *end;
    long line;
    token *t;
    size_t n, cap;
    int oom;
} lexer;

static void push(lexer *lx, int type, long line, const char *s, size_t len)
{
    if (lx->n == lx->cap) {
        size_t cap = lx->cap ? 2 * lx->cap : 256;
        token *t = realloc(lx->t, cap * sizeof *t);
        if (!t) {
            lx->oom = 1;
            return;
        }
        lx->t = t;
        lx->cap = cap;
    }
    lx->t[lx->n++] = (token){type, line, s, len};
}

/* Length of a long bracket opener at p ("[[", "[==["): level + 2, or 0. */
static size_t long_open(const char *p, const char *end, int *level)
{
    if (p >= end || *p != '[')
        return 0;
    const char *q = p + 1;
    while (q < end && *q == '=')
        q++;
    if (q < end && *q == '[') {
        *level = (int)(q - p - 1);
        return (size_t)(q - p + 1);
    }
    return 0;
}

/* Skip to the end of a long bracket of the given level; returns the content span. */
static void skip_long(lexer *lx, int level, const char **cs, size_t *cl)
{
    const char *start = lx->p;
    while (lx->p < lx->end) {
        if (*lx->p == '\n')
            lx->line++;
        if (*lx->p == ']') {
            const char *q = lx->p + 1;
            int l = 0;
            while (q < lx->end && *q == '=')
                q++, l++;
            if (l == level && q < lx->end && *q == ']') {
                *cs = start;
                *cl = (size_t)(lx->p - start);
                lx->p = q + 1;
                return;
            }
        }
        lx->p++;
    }
    *cs = start;
    *cl = (size_t)(lx->p - start);
}

static void lex(lexer *lx)
{
    while (lx->p < lx->end && !lx->oom) {
        char c = *lx->p;
        if (c == '\n') {
            lx->line++;
            lx->p++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->p++;
        } else if (c == '-' && lx->p + 1 < lx->end && lx->p[1] == '-') {
            lx->p += 2;
            int level;
            size_t ol = long_open(lx->p, lx->end, &level);
            if (ol) {
                const char *cs;
                size_t cl;
                lx->p += ol;
                skip_long(lx, level, &cs, &cl);
            } else {
                while (lx->p < lx->end && *lx->p != '\n')
                    lx->p++;
            }
        } else if (c == '"' || c == '\'') {
            long line = lx->line;
            const char *start = ++lx->p;
            while (lx->p < lx->end && *lx->p != c && *lx->p != '\n') {
                if (*lx->p == '\\' && lx->p + 1 < lx->end) {
                    if (lx->p[1] == '\n')
                        lx->line++;
                    lx->p++;
                }
                lx->p++;
            }
            push(lx, T_STRING, line, start, (size_t)(lx->p - start));
            if (lx->p < lx->end)
                lx->p++;
        } else if (c == '[') {
            int level;
            size_t ol = long_open(lx->p, lx->end, &level);
            if (ol) {
                long line = lx->line;
                const char *cs;
                size_t cl;
                lx->p += ol;
                skip_long(lx, level, &cs, &cl);
                push(lx, T_STRING, line, cs, cl);
            } else {
                push(lx, T_OP, lx->line, lx->p++, 1);
            }
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            const char *start = lx->p;
            while (lx->p < lx->end &&
                   ((*lx->p >= 'a' && *lx->p <= 'z') || (*lx->p >= 'A' && *lx->p <= 'Z') ||
                    (*lx->p >= '0' && *lx->p <= '9') || *lx->p == '_'))
                lx->p++;
            push(lx, T_NAME, lx->line, start, (size_t)(lx->p - start));
        } else if ((c >= '0' && c <= '9') || (c == '.' && lx->p + 1 < lx->end &&
                                              lx->p[1] >= '0' && lx->p[1] <= '9')) {
            const char *start = lx->p;
            while (lx->p < lx->end) {
                char d = *lx->p;
                if ((d == '+' || d == '-') && (lx->p[-1] == 'e' || lx->p[-1] == 'E' ||
                                               lx->p[-1] == 'p' || lx->p[-1] == 'P'))
                    lx->p++;
                else if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') ||
                         (d >= 'A' && d <= 'Z') || d == '.' || d == '_')
                    lx->p++;
                else
                    break;
            }
            push(lx, T_NUMBER, lx->line, start, (size_t)(lx->p - start));
        } else {
            /* Two- and three-character operators matter only for '==' (not a field '='),
             * '...' and '::'; everything else can be one character. */
            size_t len = 1;
            if (lx->p + 1 < lx->end &&
                ((c == '=' && lx->p[1] == '=') || (c == '~' && lx->p[1] == '=') ||
                 (c == '<' && lx->p[1] == '=') || (c == '>' && lx->p[1] == '=') ||
                 (c == ':' && lx->p[1] == ':') || (c == '.' && lx->p[1] == '.')))
                len = 2;
            if (len == 2 && c == '.' && lx->p + 2 < lx->end && lx->p[2] == '.')
                len = 3;
            push(lx, T_OP, lx->line, lx->p, len);
            lx->p += len;
        }
    }
    push(lx, T_EOF, lx->line, lx->end, 0);
}

static int is_op(const token *t, const char *op)
{
    return t->type == T_OP && t->len == strlen(op) && !memcmp(t->s, op, t->len);
}

static int is_name(const token *t, const char *name)
{
    return t->type == T_NAME && t->len == strlen(name) && !memcmp(t->s, name, t->len);
}

static void record(ent_lua_keylines *kl, const char *path, long line)
{
    for (size_t i = 0; i < kl->n; i++)
        if (!strcmp(kl->e[i].path, path)) {
            if (kl->nd == kl->capd) {
                size_t cap = kl->capd ? 2 * kl->capd : 8;
                dup *d = realloc(kl->d, cap * sizeof *d);
                if (!d)
                    return;
                kl->d = d;
                kl->capd = cap;
            }
            char *p = ent_lua_strdup(path);
            if (p)
                kl->d[kl->nd++] = (dup){p, kl->e[i].line, line};
            kl->e[i].line = line; /* Lua keeps the last one */
            return;
        }
    if (kl->n == kl->cap) {
        size_t cap = kl->cap ? 2 * kl->cap : 64;
        entry *e = realloc(kl->e, cap * sizeof *e);
        if (!e)
            return;
        kl->e = e;
        kl->cap = cap;
    }
    char *p = ent_lua_strdup(path);
    if (p)
        kl->e[kl->n++] = (entry){p, line};
}

/* Index just past the expression starting at i (stops at ',' ';' or the closing '}' of
 * the constructor at depth 0), counting brackets and block keywords. */
static size_t skip_expr(const token *t, size_t i)
{
    int depth = 0;
    for (; t[i].type != T_EOF; i++) {
        const token *k = &t[i];
        if (depth == 0 && (is_op(k, ",") || is_op(k, ";") || is_op(k, "}")))
            return i;
        if (is_op(k, "{") || is_op(k, "(") || is_op(k, "[") || is_name(k, "function") ||
            is_name(k, "if") || is_name(k, "do") || is_name(k, "repeat"))
            depth++;
        else if (is_op(k, "}") || is_op(k, ")") || is_op(k, "]") || is_name(k, "end") ||
                 is_name(k, "until"))
            depth--;
    }
    return i;
}

/* Walk the constructor whose '{' is t[i]; returns the index past its '}'. */
static size_t walk(ent_lua_keylines *kl, const token *t, size_t i, const char *prefix,
                   int depth)
{
    i++; /* '{' */
    size_t pos = 0;
    char path[512];
    while (t[i].type != T_EOF && !is_op(&t[i], "}")) {
        size_t value;
        long line = t[i].line;
        if (t[i].type == T_NAME && is_op(&t[i + 1], "=")) {
            snprintf(path, sizeof path, "%s%s%.*s", prefix, *prefix ? "." : "",
                     (int)t[i].len, t[i].s);
            value = i + 2;
        } else if (is_op(&t[i], "[") && t[i + 1].type == T_STRING &&
                   is_op(&t[i + 2], "]") && is_op(&t[i + 3], "=") &&
                   !memchr(t[i + 1].s, '\\', t[i + 1].len)) {
            snprintf(path, sizeof path, "%s%s%.*s", prefix, *prefix ? "." : "",
                     (int)t[i + 1].len, t[i + 1].s);
            value = i + 4;
        } else if (is_op(&t[i], "[")) { /* computed key: skip key and value */
            size_t j = i + 1;
            int d = 1;
            for (; t[j].type != T_EOF && d > 0; j++)
                d += is_op(&t[j], "[") ? 1 : is_op(&t[j], "]") ? -1 : 0;
            path[0] = 0;
            value = is_op(&t[j], "=") ? j + 1 : j;
        } else {
            snprintf(path, sizeof path, "%s[%zu]", prefix, ++pos);
            value = i;
        }
        if (path[0])
            record(kl, path, line);
        size_t end = skip_expr(t, value);
        if (path[0] && depth < 32 && is_op(&t[value], "{"))
            walk(kl, t, value, path, depth + 1);
        i = end;
        if (is_op(&t[i], ",") || is_op(&t[i], ";"))
            i++;
    }
    return t[i].type == T_EOF ? i : i + 1;
}

ent_lua_keylines *ent_lua_keylines_scan(const char *text, size_t len, long call_line)
{
    ent_lua_keylines *kl = calloc(1, sizeof *kl);
    if (!kl)
        return NULL;
    lexer lx = {.p = text, .end = text + len, .line = 1};
    if (len >= 1 && text[0] == '#') /* shebang line */
        while (lx.p < lx.end && *lx.p != '\n')
            lx.p++;
    lex(&lx);
    if (lx.oom) {
        free(lx.t);
        return kl;
    }
    for (size_t i = 0; lx.t[i].type != T_EOF; i++) {
        if (!is_name(&lx.t[i], "campaign") || (call_line > 0 && lx.t[i].line != call_line))
            continue;
        if (i > 0 && (is_op(&lx.t[i - 1], ".") || is_op(&lx.t[i - 1], ":")))
            continue;
        size_t j = i + 1;
        if (is_op(&lx.t[j], "("))
            j++;
        if (is_op(&lx.t[j], "{")) {
            walk(kl, lx.t, j, "", 0);
            break;
        }
    }
    free(lx.t);
    return kl;
}

void ent_lua_keylines_free(ent_lua_keylines *kl)
{
    if (!kl)
        return;
    for (size_t i = 0; i < kl->n; i++)
        free(kl->e[i].path);
    for (size_t i = 0; i < kl->nd; i++)
        free(kl->d[i].path);
    free(kl->e);
    free(kl->d);
    free(kl);
}

long ent_lua_keylines_find(const ent_lua_keylines *kl, const char *path)
{
    if (!kl)
        return 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (;;) {
        for (size_t i = 0; i < kl->n; i++)
            if (!strcmp(kl->e[i].path, buf))
                return kl->e[i].line;
        /* Drop the last component: ".key" or "[i]". */
        char *dot = strrchr(buf, '.'), *br = strrchr(buf, '[');
        char *cut = dot > br ? dot : br;
        if (!cut)
            return 0;
        *cut = 0;
    }
}

int ent_lua_keylines_duplicate(const ent_lua_keylines *kl, size_t i, const char **path,
                               long *first, long *second)
{
    if (!kl || i >= kl->nd)
        return 0;
    *path = kl->d[i].path;
    *first = kl->d[i].first;
    *second = kl->d[i].second;
    return 1;
}
