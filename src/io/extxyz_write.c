/* Extended XYZ writer (ent_extxyz_write): the exact inverse of extxyz.c. Reals are printed
 * in the shortest form that reads back to the same double, so read → write → read is
 * exact; strings are quoted and escaped only when needed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

/* Bytes for one formatted value ("-1.2345678901234567e-308" is 24). */
#define WRITE_CELL 40

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

/* Shortest of %.15g/%.16g/%.17g that reads back to v; ".0" appended to integral-looking
 * output so the value stays a real when re-read as an info item. */
static void fmt_real(char out[WRITE_CELL], double v)
{
    char buf[WRITE_CELL]; /* local: GCC cannot always prove `out` non-NULL under ASan */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (isfinite(v) && !strpbrk(buf, ".eE"))
        strcat(buf, ".0");
    memcpy(out, buf, strlen(buf) + 1);
}

/* Append `sep` blanks, then s padded to `width` (left- or right-aligned), to a growing
 * line buffer. 0 on allocation failure. */
static int line_put(char **line, size_t *len, size_t *cap, const char *s, int width, int left,
                    int sep)
{
    size_t n = strlen(s), pad = width > 0 && (size_t)width > n ? (size_t)width - n : 0;
    size_t need = *len + (size_t)sep + pad + n + 1;
    if (need > *cap) {
        size_t nc = *cap ? *cap : 256;
        while (nc < need)
            nc *= 2;
        char *p = realloc(*line, nc);
        if (!p)
            return 0;
        *line = p;
        *cap = nc;
    }
    char *d = *line + *len;
    memset(d, ' ', (size_t)sep + pad + n);
    memcpy(d + sep + (left ? 0 : pad), s, n);
    *len = need - 1;
    return 1;
}

static int needs_quotes(const char *s)
{
    if (!*s || *s == '[' || *s == '{')
        return 1;
    for (; *s; s++)
        if (is_space((unsigned char)*s) || *s == '"' || *s == '\\' || *s == '=')
            return 1;
    return 0;
}

static int put_quoted(FILE *fp, const char *s)
{
    if (fputc('"', fp) == EOF)
        return 0;
    for (; *s; s++) {
        int ok;
        if (*s == '"' || *s == '\\')
            ok = fputc('\\', fp) != EOF && fputc(*s, fp) != EOF;
        else if (*s == '\n')
            ok = fputs("\\n", fp) != EOF;
        else
            ok = fputc(*s, fp) != EOF;
        if (!ok)
            return 0;
    }
    return fputc('"', fp) != EOF;
}

static int put_word(FILE *fp, const char *s)
{
    return needs_quotes(s) ? put_quoted(fp, s) : fputs(s, fp) != EOF;
}

static int column_name_ok(const char *s)
{
    if (!s || !*s || !strcmp(s, "species") || !strcmp(s, "pos"))
        return 0;
    for (; *s; s++)
        if (is_space((unsigned char)*s) || *s == ':' || *s == '"' || *s == '=' ||
            (unsigned char)*s < 32)
            return 0;
    return 1;
}

static int info_key_ok(const char *s)
{
    return s && *s && strcmp(s, "Lattice") && strcmp(s, "Properties") && strcmp(s, "pbc");
}

/* Print one value of an info item (or a per-atom cell) into buf. */
static void fmt_value(char buf[WRITE_CELL], ent_value_type t, const void *data, size_t i)
{
    switch (t) {
    case ENT_VAL_REAL: fmt_real(buf, ((const double *)data)[i]); break;
    case ENT_VAL_INT: snprintf(buf, WRITE_CELL, "%ld", ((const long *)data)[i]); break;
    case ENT_VAL_BOOL: strcpy(buf, ((const int *)data)[i] ? "T" : "F"); break;
    case ENT_VAL_STR: buf[0] = 0; break;
    }
}

static int write_info(FILE *fp, const ent_info_item *it)
{
    char buf[WRITE_CELL];
    if (!put_word(fp, it->key) || fputc('=', fp) == EOF)
        return 0;
    if (it->type == ENT_VAL_STR) {
        if (it->count == 1 && !it->is_array) {
            const char *v = ((char *const *)it->data)[0];
            return put_word(fp, v ? v : "");
        }
        /* Several strings: joined with blanks into one quoted string. */
        size_t len = 1;
        for (size_t i = 0; i < it->count; i++) {
            const char *v = ((char *const *)it->data)[i];
            len += (v ? strlen(v) : 0) + 1;
        }
        char *joined = malloc(len);
        if (!joined)
            return 0;
        joined[0] = 0;
        for (size_t i = 0; i < it->count; i++) {
            const char *v = ((char *const *)it->data)[i];
            if (i)
                strcat(joined, " ");
            strcat(joined, v ? v : "");
        }
        int ok = put_quoted(fp, joined);
        free(joined);
        return ok;
    }
    if (it->count == 1 && !it->is_array) {
        fmt_value(buf, it->type, it->data, 0);
        return fputs(buf, fp) != EOF;
    }
    if (fputc('"', fp) == EOF)
        return 0;
    for (size_t i = 0; i < it->count; i++) {
        fmt_value(buf, it->type, it->data, i);
        if ((i && fputc(' ', fp) == EOF) || fputs(buf, fp) == EOF)
            return 0;
    }
    return fputc('"', fp) != EOF;
}

static ent_status validate(const ent_frame *f, ent_error *err)
{
    for (size_t i = 0; i < f->n_atoms; i++)
        if (!memchr(f->species[i], 0, ENT_SYMBOL_MAX) || !ent_rd_symbol_ok(f->species[i]))
            return ent_error_set(err, ENT_EINVAL, "extxyz write: atom %zu: invalid species",
                                 i + 1);
    for (size_t k = 0; k < f->n_columns; k++) {
        const ent_column *c = &f->columns[k];
        if (!column_name_ok(c->name) || c->ncols < 1 || c->type < ENT_VAL_REAL ||
            c->type > ENT_VAL_STR || (!c->data && f->n_atoms))
            return ent_error_set(err, ENT_EINVAL, "extxyz write: column %zu ('%s'): invalid",
                                 k + 1, c->name ? c->name : "(null)");
        for (size_t k2 = 0; k2 < k; k2++)
            if (!strcmp(c->name, f->columns[k2].name))
                return ent_error_set(err, ENT_EINVAL,
                                     "extxyz write: duplicate column '%s'", c->name);
        if (c->type != ENT_VAL_STR)
            continue;
        char *const *sv = c->data;
        for (size_t i = 0; i < f->n_atoms * (size_t)c->ncols; i++)
            if (!sv[i] || !*sv[i] || strpbrk(sv[i], " \t\r\n\v\f"))
                return ent_error_set(err, ENT_EINVAL,
                                     "extxyz write: column '%s' atom %zu: empty string or "
                                     "string with blanks",
                                     c->name, i / (size_t)c->ncols + 1);
    }
    for (size_t k = 0; k < f->n_info; k++) {
        const ent_info_item *it = &f->info[k];
        if (!info_key_ok(it->key) || it->type < ENT_VAL_REAL || it->type > ENT_VAL_STR ||
            (!it->data && it->count))
            return ent_error_set(err, ENT_EINVAL, "extxyz write: info %zu ('%s'): invalid",
                                 k + 1, it->key ? it->key : "(null)");
    }
    return ENT_OK;
}

ent_status ent_extxyz_write(FILE *fp, const ent_frame *f, ent_error *err)
{
    if (!fp || !f || (f->n_atoms && (!f->species || !f->positions)))
        return ent_error_set(err, ENT_EINVAL, "extxyz write: NULL stream or frame");
    ent_status s = validate(f, err);
    if (s != ENT_OK)
        return s;
    char buf[WRITE_CELL];
    int ok = fprintf(fp, "%zu\n", f->n_atoms) > 0;
    if (ok && f->has_cell) {
        ok = fputs("Lattice=\"", fp) != EOF;
        for (int i = 0; ok && i < 9; i++) {
            fmt_real(buf, f->cell[i]);
            ok = fprintf(fp, i ? " %s" : "%s", buf) > 0;
        }
        ok = ok && fputs("\" ", fp) != EOF;
    }
    ok = ok && fputs("Properties=species:S:1:pos:R:3", fp) != EOF;
    for (size_t k = 0; ok && k < f->n_columns; k++) {
        static const char tc[] = {'R', 'I', 'L', 'S'};
        ok = fprintf(fp, ":%s:%c:%d", f->columns[k].name, tc[f->columns[k].type],
                     f->columns[k].ncols) > 0;
    }
    for (size_t k = 0; ok && k < f->n_info; k++)
        ok = fputc(' ', fp) != EOF && write_info(fp, &f->info[k]);
    ok = ok && fprintf(fp, " pbc=\"%c %c %c\"\n", f->pbc[0] ? 'T' : 'F',
                       f->pbc[1] ? 'T' : 'F', f->pbc[2] ? 'T' : 'F') > 0;
    if (!ok)
        return ent_error_set(err, ENT_EIO, "extxyz write: write failed");

    /* Layout: species left-aligned to the longest symbol; every other sub-column
     * right-aligned to the widest value seen so far. Values are formatted once, a block
     * of atoms at a time (bounded memory), so widths can only grow from block to block. */
    size_t total = 3;
    for (size_t k = 0; k < f->n_columns; k++)
        total += (size_t)f->columns[k].ncols;
    size_t block = ((size_t)1 << 20) / (total * WRITE_CELL);
    if (block < 1)
        block = 1;
    if (block > f->n_atoms)
        block = f->n_atoms ? f->n_atoms : 1; /* small frames: small buffer */
    int *w = calloc(total, sizeof *w);
    char *cells = malloc(block * total * WRITE_CELL), *line = NULL;
    size_t line_cap = 0;
    if (!w || !cells) {
        free(w);
        free(cells);
        return ent_error_set(err, ENT_ENOMEM, "extxyz write: out of memory");
    }
    int wsp = 2;
    for (size_t i = 0; i < f->n_atoms; i++)
        if ((int)strlen(f->species[i]) > wsp)
            wsp = (int)strlen(f->species[i]);
    for (size_t b = 0; ok && b < f->n_atoms; b += block) {
        size_t m = f->n_atoms - b < block ? f->n_atoms - b : block;
        for (size_t i = 0; i < m; i++) {
            char *row = cells + i * total * WRITE_CELL;
            size_t j = 0;
            for (int d = 0; d < 3; d++, j++)
                fmt_real(row + j * WRITE_CELL, f->positions[3 * (b + i) + (size_t)d]);
            for (size_t k = 0; k < f->n_columns; k++) {
                const ent_column *c = &f->columns[k];
                for (int d = 0; d < c->ncols; d++, j++) {
                    size_t at = (b + i) * (size_t)c->ncols + (size_t)d;
                    if (c->type == ENT_VAL_STR) {
                        /* printed from the column itself; the cell stays empty so the
                         * width loop below reads a valid string */
                        row[j * WRITE_CELL] = 0;
                        int l = (int)strlen(((char *const *)c->data)[at]);
                        if (l > w[j])
                            w[j] = l;
                    } else {
                        fmt_value(row + j * WRITE_CELL, c->type, c->data, at);
                    }
                }
            }
            for (j = 0; j < total; j++) {
                int l = (int)strlen(row + j * WRITE_CELL);
                if (l > w[j])
                    w[j] = l;
            }
        }
        for (size_t i = 0; ok && i < m; i++) {
            const char *row = cells + i * total * WRITE_CELL;
            size_t len = 0;
            ok = line_put(&line, &len, &line_cap, f->species[b + i], wsp, 1, 0);
            size_t j = 0;
            for (int d = 0; ok && d < 3; d++, j++)
                ok = line_put(&line, &len, &line_cap, row + j * WRITE_CELL, w[j], 0, 2);
            for (size_t k = 0; ok && k < f->n_columns; k++) {
                const ent_column *c = &f->columns[k];
                for (int d = 0; ok && d < c->ncols; d++, j++) {
                    size_t at = (b + i) * (size_t)c->ncols + (size_t)d;
                    ok = c->type == ENT_VAL_STR
                             ? line_put(&line, &len, &line_cap, ((char *const *)c->data)[at],
                                        w[j], 1, 2)
                             : line_put(&line, &len, &line_cap, row + j * WRITE_CELL, w[j], 0,
                                        2);
                }
            }
            while (ok && len && line[len - 1] == ' ') /* padding of a last string column */
                len--;
            ok = ok && line_put(&line, &len, &line_cap, "\n", 0, 0, 0) &&
                 fwrite(line, 1, len, fp) == len;
        }
    }
    free(line);
    free(w);
    free(cells);
    if (!ok || ferror(fp))
        return ent_error_set(err, ENT_EIO, "extxyz write: write failed");
    return ENT_OK;
}
