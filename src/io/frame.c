/* ent_frame lifetime, deep copy, look-up and setters (see frame.h), plus the growth
 * helpers the readers use to build a frame whose atom count is only trusted as far as
 * lines actually arrive (reader_internal.h). */
#include "io/frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

size_t ent_rd_value_size(ent_value_type t)
{
    switch (t) {
    case ENT_VAL_REAL: return sizeof(double);
    case ENT_VAL_INT: return sizeof(long);
    case ENT_VAL_BOOL: return sizeof(int);
    case ENT_VAL_STR: return sizeof(char *);
    }
    return sizeof(double);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* calloc that never returns NULL for zero sizes and checks the product. */
static void *zalloc(size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    if (size && n > SIZE_MAX / size)
        return NULL;
    return calloc(n, size);
}

static void free_values(ent_value_type type, void *data, size_t count)
{
    if (type == ENT_VAL_STR && data) {
        char **s = data;
        for (size_t i = 0; i < count; i++)
            free(s[i]);
    }
    free(data);
}

static void column_clear(ent_column *c, size_t n_atoms)
{
    free_values(c->type, c->data, n_atoms * (size_t)c->ncols);
    free(c->name);
    c->name = NULL;
    c->data = NULL;
}

static void info_clear(ent_info_item *it)
{
    free_values(it->type, it->data, it->count);
    free(it->key);
    it->key = NULL;
    it->data = NULL;
}

ent_frame *ent_frame_create(size_t n_atoms)
{
    ent_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->species = zalloc(n_atoms, sizeof *f->species);
    f->positions = zalloc(n_atoms, 3 * sizeof(double));
    if (!f->species || !f->positions) {
        ent_frame_destroy(f);
        return NULL;
    }
    f->n_atoms = n_atoms;
    return f;
}

void ent_frame_destroy(ent_frame *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_columns; i++)
        column_clear(&f->columns[i], f->n_atoms);
    for (size_t i = 0; i < f->n_info; i++)
        info_clear(&f->info[i]);
    free(f->columns);
    free(f->info);
    free(f->species);
    free(f->positions);
    free(f);
}

/* Deep copy of count values; NULL on allocation failure. */
static void *copy_values(ent_value_type type, const void *src, size_t count)
{
    size_t es = ent_rd_value_size(type);
    void *dst = zalloc(count, es);
    if (!dst)
        return NULL;
    if (type != ENT_VAL_STR) {
        if (count)
            memcpy(dst, src, count * es);
        return dst;
    }
    char **d = dst;
    char *const *s = src;
    for (size_t i = 0; i < count; i++) {
        if (s[i] && !(d[i] = dup_str(s[i]))) {
            free_values(type, dst, count);
            return NULL;
        }
    }
    return dst;
}

ent_frame *ent_frame_copy(const ent_frame *f)
{
    if (!f)
        return NULL;
    ent_frame *c = ent_frame_create(f->n_atoms);
    if (!c)
        return NULL;
    if (f->n_atoms) {
        memcpy(c->species, f->species, f->n_atoms * sizeof *f->species);
        memcpy(c->positions, f->positions, f->n_atoms * 3 * sizeof(double));
    }
    memcpy(c->cell, f->cell, sizeof c->cell);
    c->has_cell = f->has_cell;
    memcpy(c->pbc, f->pbc, sizeof c->pbc);
    if (f->n_columns) {
        c->columns = zalloc(f->n_columns, sizeof *c->columns);
        if (!c->columns)
            goto fail;
        for (size_t i = 0; i < f->n_columns; i++) {
            const ent_column *s = &f->columns[i];
            ent_column *d = &c->columns[c->n_columns];
            d->type = s->type;
            d->ncols = s->ncols;
            d->name = dup_str(s->name);
            d->data = copy_values(s->type, s->data, f->n_atoms * (size_t)s->ncols);
            c->n_columns++; /* counted even when partial, so destroy frees it */
            if (!d->name || !d->data)
                goto fail;
        }
    }
    if (f->n_info) {
        c->info = zalloc(f->n_info, sizeof *c->info);
        if (!c->info)
            goto fail;
        for (size_t i = 0; i < f->n_info; i++) {
            const ent_info_item *s = &f->info[i];
            ent_info_item *d = &c->info[c->n_info];
            d->type = s->type;
            d->is_array = s->is_array;
            d->count = s->count;
            d->key = dup_str(s->key);
            d->data = copy_values(s->type, s->data, s->count);
            c->n_info++;
            if (!d->key || !d->data)
                goto fail;
        }
    }
    return c;
fail:
    ent_frame_destroy(c);
    return NULL;
}

const ent_column *ent_frame_column_find(const ent_frame *f, const char *name)
{
    if (!f || !name)
        return NULL;
    for (size_t i = 0; i < f->n_columns; i++)
        if (!strcmp(f->columns[i].name, name))
            return &f->columns[i];
    return NULL;
}

const ent_info_item *ent_frame_info_find(const ent_frame *f, const char *key)
{
    if (!f || !key)
        return NULL;
    for (size_t i = 0; i < f->n_info; i++)
        if (!strcmp(f->info[i].key, key))
            return &f->info[i];
    return NULL;
}

ent_status ent_frame_column_set_real(ent_frame *f, const char *name, int ncols,
                                     const double *values, ent_error *err)
{
    if (!f || !name || !*name || ncols < 1 || (!values && f->n_atoms))
        return ent_error_set(err, ENT_EINVAL, "column: invalid arguments");
    if (!strcmp(name, "species") || !strcmp(name, "pos"))
        return ent_error_set(err, ENT_EINVAL, "column '%s': reserved name", name);
    size_t n = f->n_atoms * (size_t)ncols;
    double *data = zalloc(n, sizeof(double));
    if (!data)
        return ent_error_set(err, ENT_ENOMEM, "column '%s': out of memory", name);
    if (n)
        memcpy(data, values, n * sizeof(double));
    ent_column *c = (ent_column *)ent_frame_column_find(f, name);
    if (c) {
        free_values(c->type, c->data, f->n_atoms * (size_t)c->ncols);
    } else {
        char *nm = dup_str(name);
        ent_column *cols = nm ? realloc(f->columns, (f->n_columns + 1) * sizeof *cols) : NULL;
        if (!cols) {
            free(nm);
            free(data);
            return ent_error_set(err, ENT_ENOMEM, "column '%s': out of memory", name);
        }
        f->columns = cols;
        c = &cols[f->n_columns++];
        c->name = nm;
    }
    c->type = ENT_VAL_REAL;
    c->ncols = ncols;
    c->data = data;
    return ENT_OK;
}

/* Replace or append info `key` with the given (already allocated) values. On failure
 * the values are freed. */
static ent_status info_put(ent_frame *f, const char *key, ent_value_type type, int is_array,
                           size_t count, void *data, ent_error *err)
{
    ent_info_item *it = (ent_info_item *)ent_frame_info_find(f, key);
    if (it) {
        free_values(it->type, it->data, it->count);
    } else {
        char *k = dup_str(key);
        ent_info_item *items = k ? realloc(f->info, (f->n_info + 1) * sizeof *items) : NULL;
        if (!items) {
            free(k);
            free_values(type, data, count);
            return ent_error_set(err, ENT_ENOMEM, "info '%s': out of memory", key);
        }
        f->info = items;
        it = &items[f->n_info++];
        it->key = k;
    }
    it->type = type;
    it->is_array = is_array;
    it->count = count;
    it->data = data;
    return ENT_OK;
}

static int info_key_ok(const char *key)
{
    return key && *key && strcmp(key, "Lattice") && strcmp(key, "Properties") &&
           strcmp(key, "pbc");
}

ent_status ent_frame_info_set_real(ent_frame *f, const char *key, double value,
                                   ent_error *err)
{
    if (!f || !info_key_ok(key))
        return ent_error_set(err, ENT_EINVAL, "info: invalid or reserved key");
    double *d = malloc(sizeof *d);
    if (!d)
        return ent_error_set(err, ENT_ENOMEM, "info '%s': out of memory", key);
    *d = value;
    return info_put(f, key, ENT_VAL_REAL, 0, 1, d, err);
}

ent_status ent_frame_info_set_int(ent_frame *f, const char *key, long value, ent_error *err)
{
    if (!f || !info_key_ok(key))
        return ent_error_set(err, ENT_EINVAL, "info: invalid or reserved key");
    long *d = malloc(sizeof *d);
    if (!d)
        return ent_error_set(err, ENT_ENOMEM, "info '%s': out of memory", key);
    *d = value;
    return info_put(f, key, ENT_VAL_INT, 0, 1, d, err);
}

ent_status ent_frame_info_set_str(ent_frame *f, const char *key, const char *value,
                                  ent_error *err)
{
    if (!f || !info_key_ok(key) || !value)
        return ent_error_set(err, ENT_EINVAL, "info: invalid or reserved key");
    char **d = malloc(sizeof *d);
    if (!d || !(*d = dup_str(value))) {
        free(d);
        return ent_error_set(err, ENT_ENOMEM, "info '%s': out of memory", key);
    }
    return info_put(f, key, ENT_VAL_STR, 0, 1, d, err);
}

ent_status ent_frame_info_get_real(const ent_frame *f, const char *key, double *out)
{
    if (!f || !key || !out)
        return ENT_EINVAL;
    const ent_info_item *it = ent_frame_info_find(f, key);
    if (!it || it->count != 1)
        return ENT_EINVAL;
    if (it->type == ENT_VAL_REAL)
        *out = *(const double *)it->data;
    else if (it->type == ENT_VAL_INT)
        *out = (double)*(const long *)it->data;
    else
        return ENT_EINVAL;
    return ENT_OK;
}

double ent_frame_cell_volume(const ent_frame *f)
{
    if (!f)
        return 0.0;
    const double *a = f->cell, *b = f->cell + 3, *c = f->cell + 6;
    return a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
           a[2] * (b[0] * c[1] - b[1] * c[0]);
}

/* ---- construction helpers for the readers (reader_internal.h) ---- */

static int grow(void **p, size_t old_n, size_t new_n, size_t es)
{
    if (new_n > SIZE_MAX / es)
        return 0;
    void *q = realloc(*p, new_n ? new_n * es : 1);
    if (!q)
        return 0;
    if (new_n > old_n)
        memset((char *)q + old_n * es, 0, (new_n - old_n) * es);
    *p = q;
    return 1;
}

ent_status ent_rd_frame_reserve(ent_frame *f, size_t *cap, size_t need, ent_error *err)
{
    if (need <= *cap)
        return ENT_OK;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    if (!grow((void **)&f->species, *cap, nc, sizeof *f->species) ||
        !grow((void **)&f->positions, *cap, nc, 3 * sizeof(double)))
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu atoms", need);
    for (size_t i = 0; i < f->n_columns; i++) {
        ent_column *c = &f->columns[i];
        size_t row = (size_t)c->ncols * ent_rd_value_size(c->type);
        if (!grow(&c->data, *cap, nc, row))
            return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu atoms", need);
    }
    *cap = nc;
    return ENT_OK;
}

ent_status ent_rd_frame_add_column(ent_frame *f, const char *name, ent_value_type type,
                                   int ncols, size_t cap, ent_column **out, ent_error *err)
{
    ent_column *cols = realloc(f->columns, (f->n_columns + 1) * sizeof *cols);
    if (!cols)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    f->columns = cols;
    ent_column *c = &cols[f->n_columns];
    memset(c, 0, sizeof *c);
    c->type = type;
    c->ncols = ncols;
    c->name = dup_str(name);
    c->data = zalloc(cap, (size_t)ncols * ent_rd_value_size(type));
    if (!c->name || !c->data) {
        free(c->name);
        free(c->data);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    f->n_columns++;
    *out = c;
    return ENT_OK;
}

ent_status ent_rd_frame_add_info(ent_frame *f, const char *key, ent_value_type type,
                                 int is_array, size_t count, ent_info_item **out,
                                 ent_error *err)
{
    ent_info_item *items = realloc(f->info, (f->n_info + 1) * sizeof *items);
    if (!items)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    f->info = items;
    ent_info_item *it = &items[f->n_info];
    memset(it, 0, sizeof *it);
    it->type = type;
    it->is_array = is_array;
    it->count = count;
    it->key = dup_str(key);
    it->data = zalloc(count, ent_rd_value_size(type));
    if (!it->key || !it->data) {
        free(it->key);
        free(it->data);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    f->n_info++;
    *out = it;
    return ENT_OK;
}

void ent_rd_frame_trim(ent_frame *f)
{
    size_t n = f->n_atoms ? f->n_atoms : 1;
    void *p = realloc(f->species, n * sizeof *f->species);
    if (p)
        f->species = p;
    p = realloc(f->positions, n * 3 * sizeof(double));
    if (p)
        f->positions = p;
    for (size_t i = 0; i < f->n_columns; i++) {
        ent_column *c = &f->columns[i];
        p = realloc(c->data, n * (size_t)c->ncols * ent_rd_value_size(c->type));
        if (p)
            c->data = p;
    }
}

int ent_rd_symbol_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ENT_SYMBOL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
            return 0;
    return 1;
}
