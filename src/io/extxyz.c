/* Extended XYZ (the ASE dialect) frame parser. A frame is an atom-count line, a comment
 * line of key=value pairs (Lattice, Properties, pbc and free info keys) and one line per
 * atom whose columns follow Properties. The writer is in extxyz_write.c. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

#define XYZ_INITIAL_CAP 256

typedef struct xyz_prop {
    char *name;
    ent_value_type type;
    int ncols;
    int role; /* 0: column (index `col`), 1: species, 2: pos */
    size_t col;
} xyz_prop;

typedef struct xyz_props {
    xyz_prop *p;
    size_t n;
    size_t total; /* sum of ncols: tokens per atom line */
} xyz_props;

static void props_free(xyz_props *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->p[i].name);
    free(ps->p);
    ps->p = NULL;
    ps->n = 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* ---- comment line: key=value scanning ---- */

typedef enum { WORD_BARE, WORD_QUOTED, WORD_BRACKET } word_kind;

/* Scan one key or value starting at *pp (not at a blank). A key stops at a blank or '=';
 * a value stops at a blank. Quoted words unescape \" \\ and \n; bracketed words ([...] or
 * {...}, nesting allowed) are returned with their brackets. *out is malloc'ed. */
static ent_status scan_word(const ent_reader *r, const char **pp, int is_key, char **out,
                            word_kind *kind, ent_error *err)
{
    const char *p = *pp;
    size_t line = r->lineno;
    if (*p == '"') {
        const char *start = ++p;
        size_t n = 0;
        for (; *p && *p != '"'; p++, n++)
            if (*p == '\\' && p[1])
                p++;
        if (*p != '"')
            return ent_rd_fail(r, err, ENT_EPARSE, line, "comment line",
                               "unterminated quoted string starting at column %zu",
                               (size_t)(start - r->line));
        (void)n;
        /* Unknown escapes keep their backslash, so the text never grows: raw length. */
        char *s = malloc((size_t)(p - start) + 1), *d = s;
        if (!s)
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        for (const char *q = start; q < p; q++) {
            if (*q == '\\' && q + 1 < p) {
                q++;
                if (*q == 'n')
                    *d++ = '\n';
                else if (*q == '"' || *q == '\\')
                    *d++ = *q;
                else {
                    *d++ = '\\';
                    *d++ = *q;
                }
            } else {
                *d++ = *q;
            }
        }
        *d = 0;
        *pp = p + 1;
        *out = s;
        *kind = WORD_QUOTED;
        return ENT_OK;
    }
    if (!is_key && (*p == '[' || *p == '{')) {
        char open = *p, close = open == '[' ? ']' : '}';
        const char *start = p;
        int depth = 0;
        for (; *p; p++) {
            if (*p == open)
                depth++;
            else if (*p == close && --depth == 0)
                break;
        }
        if (!*p)
            return ent_rd_fail(r, err, ENT_EPARSE, line, "comment line",
                               "unterminated '%c' starting at column %zu", open,
                               (size_t)(start - r->line) + 1);
        p++;
        if (!(*out = dup_n(start, (size_t)(p - start))))
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        *pp = p;
        *kind = WORD_BRACKET;
        return ENT_OK;
    }
    const char *start = p;
    while (*p && !is_space((unsigned char)*p) && !(is_key && *p == '='))
        p++;
    if (!(*out = dup_n(start, (size_t)(p - start))))
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    *pp = p;
    *kind = WORD_BARE;
    return ENT_OK;
}

/* Split s in place into tokens separated by blanks (and by , [ ] { } when `brackets`). */
static size_t split(char *s, int brackets, char ***toks, size_t *cap)
{
    size_t n = 0;
    char *p = s;
    for (;;) {
        while (*p && (is_space((unsigned char)*p) ||
                      (brackets && strchr(",[]{}", *p))))
            p++;
        if (!*p)
            return n;
        if (n == *cap) {
            size_t nc = *cap ? *cap * 2 : 16;
            char **t = realloc(*toks, nc * sizeof *t);
            if (!t)
                return SIZE_MAX;
            *toks = t;
            *cap = nc;
        }
        (*toks)[n++] = p;
        while (*p && !is_space((unsigned char)*p) && !(brackets && strchr(",[]{}", *p)))
            p++;
        if (*p)
            *p++ = 0;
    }
}

/* Type of a list of tokens: INT if all integers, REAL if all reals, BOOL if all booleans,
 * STR otherwise (or when empty). */
static ent_value_type classify(char **t, size_t n)
{
    if (n == 0)
        return ENT_VAL_STR;
    int all_int = 1, all_real = 1, all_bool = 1;
    for (size_t i = 0; i < n; i++) {
        long l;
        double d;
        int b;
        if (all_int && !ent_rd_parse_long(t[i], &l))
            all_int = 0;
        if (all_real && !ent_rd_parse_real(t[i], &d))
            all_real = 0;
        if (all_bool && !ent_rd_parse_bool(t[i], &b))
            all_bool = 0;
    }
    return all_int ? ENT_VAL_INT : all_real ? ENT_VAL_REAL : all_bool ? ENT_VAL_BOOL : ENT_VAL_STR;
}

/* Store a free info key. `value` is the unescaped text (owned by the caller). */
static ent_status put_info(ent_reader *r, ent_frame *f, const char *key, const char *value,
                           word_kind kind, ent_error *err)
{
    char *copy = dup_n(value, strlen(value));
    char **t = NULL;
    size_t cap = 0;
    if (!copy)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    size_t n = split(copy, kind == WORD_BRACKET, &t, &cap);
    ent_status s = ENT_OK;
    if (n == SIZE_MAX) {
        s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        goto out;
    }
    ent_value_type type = classify(t, n);
    int is_array = kind != WORD_BARE && type != ENT_VAL_STR;
    ent_info_item *it = NULL;
    s = ent_rd_frame_add_info(f, key, type, is_array, type == ENT_VAL_STR ? 1 : n, &it, err);
    if (s != ENT_OK)
        goto out;
    for (size_t i = 0; i < it->count; i++) {
        switch (type) {
        case ENT_VAL_INT: ent_rd_parse_long(t[i], (long *)it->data + i); break;
        case ENT_VAL_REAL: ent_rd_parse_real(t[i], (double *)it->data + i); break;
        case ENT_VAL_BOOL: ent_rd_parse_bool(t[i], (int *)it->data + i); break;
        case ENT_VAL_STR:
            if (!(((char **)it->data)[0] = dup_n(value, strlen(value))))
                s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
            break;
        }
    }
out:
    free(t);
    free(copy);
    return s;
}

static ent_status parse_lattice(ent_reader *r, ent_frame *f, char *value, word_kind kind,
                                ent_error *err)
{
    char **t = NULL;
    size_t cap = 0, line = r->lineno;
    size_t n = split(value, kind == WORD_BRACKET, &t, &cap);
    ent_status s = ENT_OK;
    if (n == SIZE_MAX)
        s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    else if (n != 9)
        s = ent_rd_fail(r, err, ENT_EPARSE, line, "Lattice", "expected 9 numbers, got %zu", n);
    for (size_t i = 0; s == ENT_OK && i < 9; i++) {
        if (!ent_rd_parse_real(t[i], &f->cell[i]))
            s = ent_rd_fail(r, err, ENT_EPARSE, line, "Lattice", "not a number '%.40s'", t[i]);
        else if (!isfinite(f->cell[i]))
            s = ent_rd_fail(r, err, ENT_EGEOMETRY, line, "Lattice", "non-finite value '%s'",
                            t[i]);
    }
    free(t);
    f->has_cell = s == ENT_OK;
    return s;
}

static ent_status parse_pbc(ent_reader *r, ent_frame *f, char *value, word_kind kind,
                            ent_error *err)
{
    char **t = NULL;
    size_t cap = 0, line = r->lineno;
    size_t n = split(value, kind == WORD_BRACKET, &t, &cap);
    ent_status s = ENT_OK;
    int v[3];
    if (n == SIZE_MAX)
        s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    else if (n != 3 && n != 1)
        s = ent_rd_fail(r, err, ENT_EPARSE, line, "pbc", "expected 3 booleans (T/F), got %zu",
                        n);
    for (size_t i = 0; s == ENT_OK && i < n; i++)
        if (!ent_rd_parse_bool(t[i], &v[i]))
            s = ent_rd_fail(r, err, ENT_EPARSE, line, "pbc", "not a boolean '%.40s'", t[i]);
    if (s == ENT_OK)
        for (int i = 0; i < 3; i++)
            f->pbc[i] = n == 1 ? v[0] : v[i];
    free(t);
    return s;
}

/* Properties=name:TYPE:ncols:... with TYPE in S R I L. species must be S:1, pos R:3. */
static ent_status props_fail(ent_reader *r, ent_error *err, char *name, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));

/* Free the pending column name and report a Properties error. */
static ent_status props_fail(ent_reader *r, ent_error *err, char *name, const char *fmt, ...)
{
    char what[ENT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    free(name);
    return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "Properties", "%s", what);
}

/* Properties=name:TYPE:ncols:... with TYPE in S R I L. species must be S:1, pos R:3. */
static ent_status parse_properties(ent_reader *r, const char *value, xyz_props *ps,
                                   ent_error *err)
{
    const char *p = value;
    int have_species = 0, have_pos = 0;
    while (*p) {
        const char *f[3];
        size_t len[3];
        for (int k = 0; k < 3; k++) {
            f[k] = p;
            while (*p && *p != ':')
                p++;
            len[k] = (size_t)(p - f[k]);
            if (k < 2 && *p != ':')
                return props_fail(r, err, NULL, "expected name:type:count triples in '%.100s'",
                                  value);
            if (*p == ':')
                p++;
        }
        if (len[0] == 0)
            return props_fail(r, err, NULL, "empty column name");
        char *name = dup_n(f[0], len[0]);
        if (!name)
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        /* Only names the writer can print back (no blanks, quotes, '=' or controls). */
        for (size_t k = 0; k < len[0]; k++)
            if (is_space((unsigned char)name[k]) || name[k] == '"' || name[k] == '=' ||
                (unsigned char)name[k] < 32)
                return props_fail(r, err, name,
                                  "column name '%.60s' contains a blank, quote, '=' or "
                                  "control character",
                                  name);
        if (len[1] != 1 || !strchr("SRIL", f[1][0]))
            return props_fail(r, err, name,
                              "column '%.60s': unknown type '%.*s' (expected S, R, I or L)",
                              name, (int)(len[1] > 20 ? 20 : len[1]), f[1]);
        ent_value_type type = f[1][0] == 'S'   ? ENT_VAL_STR
                              : f[1][0] == 'R' ? ENT_VAL_REAL
                              : f[1][0] == 'I' ? ENT_VAL_INT
                                               : ENT_VAL_BOOL;
        char num[24];
        long nc = 0;
        if (len[2] == 0 || len[2] >= sizeof num)
            return props_fail(r, err, name, "column '%.60s': bad column count", name);
        memcpy(num, f[2], len[2]);
        num[len[2]] = 0;
        if (!ent_rd_parse_long(num, &nc) || nc < 1 || nc > ENT_READER_MAX_VALUES)
            return props_fail(r, err, name, "column '%.60s': bad column count '%s' (1..%d)",
                              name, num, ENT_READER_MAX_VALUES);
        for (size_t i = 0; i < ps->n; i++)
            if (!strcmp(ps->p[i].name, name))
                return props_fail(r, err, name, "duplicate column '%.60s'", name);
        int role = 0;
        if (!strcmp(name, "species")) {
            if (type != ENT_VAL_STR || nc != 1)
                return props_fail(r, err, name, "species must be species:S:1");
            role = 1;
            have_species = 1;
        } else if (!strcmp(name, "pos")) {
            if (type != ENT_VAL_REAL || nc != 3)
                return props_fail(r, err, name, "pos must be pos:R:3");
            role = 2;
            have_pos = 1;
        }
        if (ps->total + (size_t)nc > ENT_READER_MAX_VALUES)
            return props_fail(r, err, name, "more than %d values per atom",
                              ENT_READER_MAX_VALUES);
        xyz_prop *np = realloc(ps->p, (ps->n + 1) * sizeof *np);
        if (!np) {
            free(name);
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        }
        ps->p = np;
        np[ps->n] = (xyz_prop){.name = name, .type = type, .ncols = (int)nc, .role = role};
        ps->n++;
        ps->total += (size_t)nc;
    }
    if (!have_species)
        return props_fail(r, err, NULL, "no species:S:1 column in '%.100s'", value);
    if (!have_pos)
        return props_fail(r, err, NULL, "no pos:R:3 column in '%.100s'", value);
    return ENT_OK;
}

static int key_seen(const ent_frame *f, const char *key, const int *special)
{
    if (!strcmp(key, "Lattice"))
        return special[0];
    if (!strcmp(key, "Properties"))
        return special[1];
    if (!strcmp(key, "pbc"))
        return special[2];
    return ent_frame_info_find(f, key) != NULL;
}

/* Parse the comment line (r->line) into cell, pbc, info items and the property list. */
static ent_status parse_comment(ent_reader *r, ent_frame *f, xyz_props *ps, ent_error *err)
{
    size_t line = r->lineno;
    int special[3] = {0, 0, 0}; /* Lattice, Properties, pbc seen */
    ent_status s = ENT_OK;
    if (!strchr(r->line, '=')) {
        /* Plain XYZ: free text. Kept as info "comment" (trimmed) unless blank. */
        const char *a = r->line, *b = r->line + r->line_len;
        while (*a && is_space((unsigned char)*a))
            a++;
        while (b > a && is_space((unsigned char)b[-1]))
            b--;
        if (b > a) {
            char *text = dup_n(a, (size_t)(b - a));
            if (!text)
                return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
            s = ent_frame_info_set_str(f, "comment", text, err);
            free(text);
            if (s != ENT_OK)
                return s;
        }
    } else {
        const char *p = r->line;
        while (s == ENT_OK) {
            while (*p && is_space((unsigned char)*p))
                p++;
            if (!*p)
                break;
            if (*p == '=')
                return ent_rd_fail(r, err, ENT_EPARSE, line, "comment line",
                                   "'=' without a key at column %zu",
                                   (size_t)(p - r->line) + 1);
            char *key = NULL, *value = NULL;
            word_kind kk, vk = WORD_BARE;
            s = scan_word(r, &p, 1, &key, &kk, err);
            if (s != ENT_OK)
                return s;
            const char *q = p;
            while (*q && is_space((unsigned char)*q))
                q++;
            if (*q == '=') {
                p = q + 1;
                while (*p && is_space((unsigned char)*p))
                    p++;
                if (!*p) {
                    s = ent_rd_fail(r, err, ENT_EPARSE, line, key[0] ? key : "comment line",
                                    "'=' without a value");
                    free(key);
                    return s;
                }
                s = scan_word(r, &p, 0, &value, &vk, err);
            }
            if (s == ENT_OK && !key[0])
                s = ent_rd_fail(r, err, ENT_EPARSE, line, "comment line", "empty key");
            if (s == ENT_OK && key_seen(f, key, special))
                s = ent_rd_fail(r, err, ENT_EPARSE, line, key, "duplicate key");
            if (s == ENT_OK) {
                if (!strcmp(key, "Lattice") || !strcmp(key, "Properties") ||
                    !strcmp(key, "pbc")) {
                    if (!value)
                        s = ent_rd_fail(r, err, ENT_EPARSE, line, key, "needs a value");
                    else if (key[0] == 'L') {
                        special[0] = 1;
                        s = parse_lattice(r, f, value, vk, err);
                    } else if (key[0] == 'P') {
                        special[1] = 1;
                        s = parse_properties(r, value, ps, err);
                    } else {
                        special[2] = 1;
                        s = parse_pbc(r, f, value, vk, err);
                    }
                } else if (value) {
                    s = put_info(r, f, key, value, vk, err);
                } else {
                    ent_info_item *it = NULL;
                    s = ent_rd_frame_add_info(f, key, ENT_VAL_BOOL, 0, 1, &it, err);
                    if (s == ENT_OK)
                        *(int *)it->data = 1; /* bare key: flag set */
                }
            }
            free(key);
            free(value);
            if (s == ENT_OK && *p && !is_space((unsigned char)*p))
                s = ent_rd_fail(r, err, ENT_EPARSE, line, "comment line",
                                "expected a blank after the value at column %zu",
                                (size_t)(p - r->line) + 1);
        }
        if (s != ENT_OK)
            return s;
    }
    /* ASE: a Lattice without pbc means periodic in all three directions. */
    if (special[0] && !special[2])
        f->pbc[0] = f->pbc[1] = f->pbc[2] = 1;
    if (!special[1]) {
        /* No Properties (plain XYZ): species and positions only. */
        static const char *const def[2] = {"species", "pos"};
        ps->p = calloc(2, sizeof *ps->p);
        if (!ps->p)
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        for (int i = 0; i < 2; i++) {
            if (!(ps->p[i].name = dup_n(def[i], strlen(def[i]))))
                return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
            ps->n++;
            ps->p[i].type = i ? ENT_VAL_REAL : ENT_VAL_STR;
            ps->p[i].ncols = i ? 3 : 1;
            ps->p[i].role = i + 1;
        }
        ps->total = 4;
    }
    return ENT_OK;
}

/* ---- atom lines ---- */

static ent_status parse_atom(ent_reader *r, ent_frame *f, const xyz_props *ps, size_t i,
                             ent_error *err)
{
    size_t line = r->lineno;
    ent_status s = ent_rd_tokenize(r, err);
    if (s != ENT_OK)
        return s;
    if (r->n_tok != ps->total)
        return ent_rd_fail(r, err, ENT_EPARSE, line, NULL,
                           "atom %zu: expected %zu columns (per Properties), got %zu", i + 1,
                           ps->total, r->n_tok);
    char field[160];
    size_t t = 0;
    for (size_t k = 0; k < ps->n; k++) {
        const xyz_prop *pr = &ps->p[k];
        snprintf(field, sizeof field, "atom %zu column %s", i + 1, pr->name);
        if (pr->role == 1) {
            const char *sym = r->tok[t++];
            if (!ent_rd_symbol_ok(sym))
                return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                                   "invalid symbol '%.40s' (1 to %d characters)", sym,
                                   ENT_SYMBOL_MAX - 1);
            strcpy(f->species[i], sym);
            continue;
        }
        ent_column *c = pr->role == 0 ? &f->columns[pr->col] : NULL;
        for (int j = 0; j < pr->ncols; j++) {
            const char *tok = r->tok[t++];
            size_t at = i * (size_t)pr->ncols + (size_t)j;
            int ok = 1;
            switch (pr->type) {
            case ENT_VAL_REAL: {
                double v;
                ok = ent_rd_parse_real(tok, &v);
                if (!ok)
                    return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                                       "not a number '%.40s'", tok);
                if (pr->role == 2) {
                    if (!isfinite(v))
                        return ent_rd_fail(r, err, ENT_EGEOMETRY, line, field,
                                           "non-finite coordinate '%s'", tok);
                    f->positions[3 * i + (size_t)j] = v;
                } else {
                    ((double *)c->data)[at] = v;
                }
                break;
            }
            case ENT_VAL_INT:
                if (!ent_rd_parse_long(tok, (long *)c->data + at))
                    return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                                       "not an integer '%.40s'", tok);
                break;
            case ENT_VAL_BOOL:
                if (!ent_rd_parse_bool(tok, (int *)c->data + at))
                    return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                                       "not a boolean (T/F) '%.40s'", tok);
                break;
            case ENT_VAL_STR:
                if (!(((char **)c->data)[at] = dup_n(tok, strlen(tok))))
                    return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
                break;
            }
            (void)ok;
        }
    }
    return ENT_OK;
}

ent_status ent_extxyz_next(ent_reader *r, ent_frame **out, ent_error *err)
{
    ent_status s = ent_rd_getline(r, err);
    if (s != ENT_OK)
        return s; /* ENT_EEOF: no more frames */
    if (ent_rd_is_blank(r->line))
        return ent_rd_expect_only_blank(r, err);
    size_t count_line = r->lineno;
    if ((s = ent_rd_tokenize(r, err)) != ENT_OK)
        return s;
    long n = 0;
    if (r->n_tok != 1 || !ent_rd_parse_long(r->tok[0], &n))
        return ent_rd_fail(r, err, ENT_EPARSE, count_line, "atom count",
                           "expected a single integer, got '%.40s'", r->line);
    if (n < 0)
        return ent_rd_fail(r, err, ENT_EPARSE, count_line, "atom count", "negative (%ld)", n);
    if (n > ENT_READER_MAX_ATOMS)
        return ent_rd_fail(r, err, ENT_EPARSE, count_line, "atom count",
                           "%ld exceeds the limit of %ld atoms", n,
                           (long)ENT_READER_MAX_ATOMS);
    size_t natoms = (size_t)n;

    s = ent_rd_getline(r, err);
    if (s == ENT_EEOF)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, "comment line",
                           "missing (end of file after the atom count)");
    if (s != ENT_OK)
        return s;

    ent_frame *f = ent_frame_create(0);
    if (!f)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    *out = f; /* destroyed by ent_reader_next on error */
    xyz_props ps = {0};
    size_t cap = 0;
    s = parse_comment(r, f, &ps, err);
    if (s == ENT_OK)
        s = ent_rd_frame_reserve(f, &cap, natoms < XYZ_INITIAL_CAP ? natoms : XYZ_INITIAL_CAP,
                                 err);
    for (size_t k = 0; s == ENT_OK && k < ps.n; k++) {
        if (ps.p[k].role != 0)
            continue;
        ent_column *c = NULL;
        ps.p[k].col = f->n_columns;
        s = ent_rd_frame_add_column(f, ps.p[k].name, ps.p[k].type, ps.p[k].ncols, cap, &c, err);
    }
    for (size_t i = 0; s == ENT_OK && i < natoms; i++) {
        s = ent_rd_getline(r, err);
        if (s == ENT_EEOF) {
            s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, "truncated frame",
                            "expected %zu atom lines, found %zu", natoms, i);
            break;
        }
        if (s == ENT_OK)
            s = ent_rd_frame_reserve(f, &cap, i + 1, err);
        if (s != ENT_OK)
            break;
        f->n_atoms = i + 1; /* row i's string slots are zeroed: safe to destroy */
        s = parse_atom(r, f, &ps, i, err);
    }
    props_free(&ps);
    if (s != ENT_OK)
        return s;
    ent_rd_frame_trim(f);
    return ENT_OK;
}
