/* Reader front end: opening files or streams, format detection (by name, then by
 * sniffing the first lines), dispatch to the format parsers, and the helpers they share —
 * the line reader with line numbers, tokenizer, strict number parsing and the
 * "FILE:LINE: field: what" error formatter. */
#define _POSIX_C_SOURCE 200809L
#include "io/reader_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ---- strict token parsing ---- */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int ieq(const char *a, const char *b)
{
    while (*a && *b && lower((unsigned char)*a) == lower((unsigned char)*b))
        a++, b++;
    return *a == 0 && *b == 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int ent_rd_parse_real(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (ieq(p, "nan") || ieq(p, "inf") || ieq(p, "infinity")) {
        double v = strtod(s, NULL);
        *out = v;
        return 1;
    }
    int digits = 0;
    while (is_digit((unsigned char)*p))
        p++, digits++;
    if (*p == '.') {
        p++;
        while (is_digit((unsigned char)*p))
            p++, digits++;
    }
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit((unsigned char)*p))
            return 0;
        while (is_digit((unsigned char)*p))
            p++;
    }
    if (*p)
        return 0;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != p || (errno == ERANGE && isinf(v)))
        return 0;
    *out = v;
    return 1;
}

int ent_rd_parse_long(const char *s, long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!is_digit((unsigned char)*p))
        return 0;
    while (is_digit((unsigned char)*p))
        p++;
    if (*p)
        return 0;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end != p || errno == ERANGE)
        return 0;
    *out = v;
    return 1;
}

int ent_rd_parse_bool(const char *s, int *out)
{
    static const char *const t[] = {"T", "True", "true", "TRUE"};
    static const char *const f[] = {"F", "False", "false", "FALSE"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(s, t[i])) {
            *out = 1;
            return 1;
        }
        if (!strcmp(s, f[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

/* ---- lines and tokens ---- */

static int is_blank_char(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int ent_rd_is_blank(const char *s)
{
    for (; *s; s++)
        if (!is_blank_char((unsigned char)*s))
            return 0;
    return 1;
}

ent_status ent_rd_fail(const ent_reader *r, ent_error *err, ent_status code, size_t line,
                       const char *field, const char *fmt, ...)
{
    char what[ENT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (field)
        return ent_error_set(err, code, "%s:%zu: %s: %s", r->name, line, field, what);
    return ent_error_set(err, code, "%s:%zu: %s", r->name, line, what);
}

/* Strip "\n" or "\r\n" from a line of length *len. */
static void chomp(char *s, size_t *len)
{
    if (*len && s[*len - 1] == '\n')
        s[--*len] = 0;
    if (*len && s[*len - 1] == '\r')
        s[--*len] = 0;
}

/* Raw getline from the stream: 1 line, 0 EOF, -1 error. */
static int raw_getline(ent_reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->line_cap, r->fp);
    if (n < 0)
        return ferror(r->fp) ? -1 : 0;
    r->line_len = (size_t)n;
    return 1;
}

ent_status ent_rd_getline(ent_reader *r, ent_error *err)
{
    int got;
    if (r->pending_pos < r->n_pending) {
        char *p = r->pending[r->pending_pos++];
        /* pending entries hold the length in front of the text */
        size_t len;
        memcpy(&len, p, sizeof len);
        if (r->line_cap < len + 1) {
            char *nl = realloc(r->line, len + 1);
            if (!nl)
                return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
            r->line = nl;
            r->line_cap = len + 1;
        }
        memcpy(r->line, p + sizeof len, len + 1);
        r->line_len = len;
        got = 1;
    } else if (r->pending_eof) {
        got = 0;
    } else {
        got = raw_getline(r);
    }
    if (got < 0)
        return ent_error_set(err, ENT_EIO, "%s:%zu: read error: %s", r->name, r->lineno + 1,
                             strerror(errno ? errno : EIO));
    if (got == 0)
        return ENT_EEOF;
    r->lineno++;
    chomp(r->line, &r->line_len);
    if (strlen(r->line) != r->line_len)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, NULL,
                           "line contains a NUL byte (binary file?)");
    return ENT_OK;
}

ent_status ent_rd_tokenize(ent_reader *r, ent_error *err)
{
    r->n_tok = 0;
    char *p = r->line;
    for (;;) {
        while (*p && is_blank_char((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (r->n_tok == r->tok_cap) {
            size_t nc = r->tok_cap ? r->tok_cap * 2 : 16;
            char **t = realloc(r->tok, nc * sizeof *t);
            if (!t)
                return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
            r->tok = t;
            r->tok_cap = nc;
        }
        r->tok[r->n_tok++] = p;
        while (*p && !is_blank_char((unsigned char)*p))
            p++;
        if (*p)
            *p++ = 0;
    }
    return ENT_OK;
}

ent_status ent_rd_expect_only_blank(ent_reader *r, ent_error *err)
{
    size_t first_blank = r->lineno;
    for (;;) {
        ent_status s = ent_rd_getline(r, err);
        if (s == ENT_EEOF)
            return ENT_EEOF;
        if (s != ENT_OK)
            return s;
        if (!ent_rd_is_blank(r->line))
            return ent_rd_fail(r, err, ENT_EPARSE, first_blank, NULL,
                               "blank line followed by more content on line %zu (blank "
                               "lines are allowed only at the end)",
                               r->lineno);
    }
}

/* ---- format detection ---- */

static int has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && ieq(s + n - m, suffix);
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (lower((unsigned char)*s) != lower((unsigned char)*prefix))
            return 0;
    return 1;
}

static ent_format format_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (has_suffix_ci(base, ".xyz") || has_suffix_ci(base, ".extxyz"))
        return ENT_FORMAT_EXTXYZ;
    if (has_prefix_ci(base, "POSCAR") || has_prefix_ci(base, "CONTCAR") ||
        has_suffix_ci(base, ".vasp") || has_suffix_ci(base, ".poscar"))
        return ENT_FORMAT_POSCAR;
    if (has_suffix_ci(base, ".dump") || has_suffix_ci(base, ".lammpstrj") ||
        has_prefix_ci(base, "dump."))
        return ENT_FORMAT_LAMMPS_DUMP;
    return ENT_FORMAT_AUTO;
}

/* Count blank-separated tokens of s and how many of them are reals. */
static void count_reals(const char *s, int *n_tok, int *n_real)
{
    char buf[128];
    *n_tok = *n_real = 0;
    for (;;) {
        while (*s && is_blank_char((unsigned char)*s))
            s++;
        if (!*s)
            return;
        size_t n = 0;
        while (s[n] && !is_blank_char((unsigned char)s[n]))
            n++;
        double v;
        if (n < sizeof buf) {
            memcpy(buf, s, n);
            buf[n] = 0;
            if (ent_rd_parse_real(buf, &v))
                (*n_real)++;
        }
        (*n_tok)++;
        s += n;
    }
}

/* Read up to ENT_RD_PENDING_MAX lines into the push-back queue and guess the format:
 * "ITEM:" first → LAMMPS dump; a lone integer first → extended XYZ; a scale line of 1 or
 * 3 numbers followed by three lines of 3 numbers → POSCAR; anything else → extended XYZ
 * (whose parser then names what is wrong). */
static ent_status sniff(ent_reader *r, ent_format *out, ent_error *err)
{
    while (r->n_pending < ENT_RD_PENDING_MAX) {
        int got = raw_getline(r);
        if (got < 0)
            return ent_error_set(err, ENT_EIO, "%s: read error: %s", r->name,
                                 strerror(errno ? errno : EIO));
        if (got == 0) {
            r->pending_eof = 1;
            break;
        }
        char *p = malloc(sizeof r->line_len + r->line_len + 1);
        if (!p)
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        memcpy(p, &r->line_len, sizeof r->line_len);
        memcpy(p + sizeof r->line_len, r->line, r->line_len + 1);
        r->pending[r->n_pending++] = p;
    }
    const char *l[ENT_RD_PENDING_MAX] = {0};
    for (size_t i = 0; i < r->n_pending; i++)
        l[i] = r->pending[i] + sizeof(size_t);
    *out = ENT_FORMAT_EXTXYZ;
    if (r->n_pending == 0)
        return ENT_OK;
    const char *first = l[0];
    while (is_blank_char((unsigned char)*first))
        first++;
    if (!strncmp(first, "ITEM:", 5)) {
        *out = ENT_FORMAT_LAMMPS_DUMP;
        return ENT_OK;
    }
    int nt, nr;
    count_reals(l[0], &nt, &nr);
    if (nt == 1) {
        long n;
        char buf[64];
        size_t k = 0;
        while (*first && !is_blank_char((unsigned char)*first) && k + 1 < sizeof buf)
            buf[k++] = *first++;
        buf[k] = 0;
        if (ent_rd_parse_long(buf, &n))
            return ENT_OK; /* extended XYZ */
    }
    if (r->n_pending >= 5) {
        count_reals(l[1], &nt, &nr);
        int ok = (nt == 1 || nt == 3) && nr == nt;
        for (int i = 2; ok && i < 5; i++) {
            count_reals(l[i], &nt, &nr);
            ok = nt == 3 && nr == 3;
        }
        if (ok)
            *out = ENT_FORMAT_POSCAR;
    }
    return ENT_OK;
}

/* ---- public API ---- */

static ent_status reader_new(FILE *fp, int owns_fp, const char *name,
                             const ent_reader_options *opts, ent_reader **out,
                             ent_error *err)
{
    ent_format fmt = opts ? opts->format : ENT_FORMAT_AUTO;
    if (fmt < ENT_FORMAT_AUTO || fmt > ENT_FORMAT_LAMMPS_DUMP)
        return ent_error_set(err, ENT_EINVAL, "%s: unknown format %d", name, (int)fmt);
    if (opts && (opts->lammps_n_types < 0 ||
                 (opts->lammps_n_types > 0 && !opts->lammps_type_symbols)))
        return ent_error_set(err, ENT_EINVAL, "%s: invalid LAMMPS type map", name);
    ent_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", name);
    size_t nl = strlen(name) + 1;
    r->name = malloc(nl);
    if (!r->name) {
        free(r);
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", name);
    }
    memcpy(r->name, name, nl);
    r->fp = fp;
    r->owns_fp = owns_fp;
    ent_status s = ENT_OK;
    if (opts && opts->lammps_n_types > 0) {
        r->type_symbols = calloc((size_t)opts->lammps_n_types, sizeof *r->type_symbols);
        if (!r->type_symbols)
            s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", name);
        for (int i = 0; s == ENT_OK && i < opts->lammps_n_types; i++) {
            const char *sym = opts->lammps_type_symbols[i];
            if (!sym || !ent_rd_symbol_ok(sym)) {
                s = ent_error_set(err, ENT_EINVAL, "LAMMPS type %d: invalid symbol '%s'",
                                  i + 1, sym ? sym : "(null)");
                break;
            }
            size_t n = strlen(sym) + 1;
            if (!(r->type_symbols[i] = malloc(n))) {
                s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", name);
                break;
            }
            memcpy(r->type_symbols[i], sym, n);
            r->n_types = i + 1;
        }
    }
    if (s == ENT_OK && fmt == ENT_FORMAT_AUTO)
        s = sniff(r, &fmt, err);
    if (s != ENT_OK) {
        r->owns_fp = 0; /* the caller keeps its stream / the opener closes the file */
        ent_reader_close(r);
        return s;
    }
    r->format = fmt;
    switch (fmt) {
    case ENT_FORMAT_EXTXYZ: r->next = ent_extxyz_next; break;
    case ENT_FORMAT_POSCAR: r->next = ent_poscar_next; break;
    case ENT_FORMAT_LAMMPS_DUMP: r->next = ent_lammps_dump_next; break;
    case ENT_FORMAT_AUTO: r->next = ent_extxyz_next; break;
    }
    *out = r;
    return ENT_OK;
}

ent_status ent_reader_open(const char *path, const ent_reader_options *opts,
                           ent_reader **out, ent_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return ent_error_set(err, ENT_EINVAL, "reader: NULL path or output");
    if (!strcmp(path, "-"))
        return reader_new(stdin, 0, "<stdin>", opts, out, err);
    ent_reader_options o = {0};
    if (opts)
        o = *opts;
    if (o.format == ENT_FORMAT_AUTO)
        o.format = format_from_name(path);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open: %s", path, strerror(errno));
    ent_status s = reader_new(fp, 1, path, &o, out, err);
    if (s != ENT_OK)
        fclose(fp);
    return s;
}

ent_status ent_reader_open_stream(FILE *fp, const char *name, const ent_reader_options *opts,
                                  ent_reader **out, ent_error *err)
{
    if (out)
        *out = NULL;
    if (!fp || !out)
        return ent_error_set(err, ENT_EINVAL, "reader: NULL stream or output");
    return reader_new(fp, 0, name ? name : "<stream>", opts, out, err);
}

ent_status ent_reader_next(ent_reader *r, ent_frame **out, ent_error *err)
{
    if (out)
        *out = NULL;
    if (!r || !out)
        return ent_error_set(err, ENT_EINVAL, "reader: NULL reader or output");
    if (r->failed)
        return ent_error_set(err, ENT_EINVAL, "%s: reader used after an error", r->name);
    if (r->done)
        return ENT_EEOF;
    ent_frame *f = NULL;
    ent_status s = r->next(r, &f, err);
    if (s == ENT_OK) {
        r->n_returned++;
        *out = f;
        return ENT_OK;
    }
    ent_frame_destroy(f);
    if (s == ENT_EEOF)
        r->done = 1;
    else
        r->failed = 1;
    return s;
}

size_t ent_reader_frame_index(const ent_reader *r)
{
    return r && r->n_returned ? r->n_returned - 1 : 0;
}

ent_format ent_reader_format(const ent_reader *r)
{
    return r ? r->format : ENT_FORMAT_AUTO;
}

void ent_reader_close(ent_reader *r)
{
    if (!r)
        return;
    if (r->owns_fp && r->fp)
        fclose(r->fp);
    for (size_t i = 0; i < r->n_pending; i++)
        free(r->pending[i]);
    for (int i = 0; i < r->n_types; i++)
        free(r->type_symbols[i]);
    free(r->type_symbols);
    free(r->tok);
    free(r->line);
    free(r->name);
    free(r);
}
