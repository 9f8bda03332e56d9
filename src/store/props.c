/* The props BLOB: a frame's per-atom columns (other than species/pos) and info items,
 * typed and in order, so that a structure comes back exactly as it was read: doubles by
 * their bits (NaN payloads, -0.0, inf included), integers as int64, strings verbatim.
 * JSON would lose some of that (cJSON prints doubles with a tolerance, has no NaN/inf,
 * reads integers as doubles), hence a small binary format of our own:
 *
 *   'P' 1                                   magic, format version
 *   u32 n_columns, then per column: u16 name length, name, u8 type, u32 ncols,
 *                                   n_atoms * ncols values
 *   u32 n_info, then per item:      u16 key length, key, u8 type, u8 is_array, u64 count,
 *                                   count values
 *   values: REAL 8-byte IEEE, INT int64, BOOL u8, STR u32 length + bytes; all little-endian
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u(buf *b, uint64_t v, int bytes)
{
    unsigned char t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}

static void put_values(buf *b, ent_value_type type, const void *data, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        switch (type) {
        case ENT_VAL_REAL: {
            uint64_t bits;
            memcpy(&bits, (const double *)data + i, 8);
            put_u(b, bits, 8);
            break;
        }
        case ENT_VAL_INT: put_u(b, (uint64_t)(int64_t)((const long *)data)[i], 8); break;
        case ENT_VAL_BOOL: put_u(b, ((const int *)data)[i] != 0, 1); break;
        case ENT_VAL_STR: {
            const char *s = ((char *const *)data)[i];
            size_t len = s ? strlen(s) : 0;
            put_u(b, s ? (uint32_t)len : UINT32_MAX, 4);
            put(b, s, len);
            break;
        }
        }
    }
}

ent_status store_props_encode(const ent_frame *f, unsigned char **blob, size_t *len,
                              ent_error *err)
{
    buf b = {0};
    put(&b, "P\x01", 2);
    put_u(&b, f->n_columns, 4);
    for (size_t c = 0; c < f->n_columns; c++) {
        const ent_column *col = &f->columns[c];
        size_t nl = strlen(col->name);
        if (nl > UINT16_MAX) {
            free(b.p);
            return ent_error_set(err, ENT_EINVAL, "column name too long");
        }
        put_u(&b, nl, 2);
        put(&b, col->name, nl);
        put_u(&b, (uint64_t)col->type, 1);
        put_u(&b, (uint64_t)col->ncols, 4);
        put_values(&b, col->type, col->data, f->n_atoms * (size_t)col->ncols);
    }
    put_u(&b, f->n_info, 4);
    for (size_t i = 0; i < f->n_info; i++) {
        const ent_info_item *it = &f->info[i];
        size_t kl = strlen(it->key);
        if (kl > UINT16_MAX) {
            free(b.p);
            return ent_error_set(err, ENT_EINVAL, "info key too long");
        }
        put_u(&b, kl, 2);
        put(&b, it->key, kl);
        put_u(&b, (uint64_t)it->type, 1);
        put_u(&b, (uint64_t)(it->is_array != 0), 1);
        put_u(&b, it->count, 8);
        put_values(&b, it->type, it->data, it->count);
    }
    if (b.oom) {
        free(b.p);
        return ent_error_set(err, ENT_ENOMEM, "out of memory encoding a structure");
    }
    *blob = b.p;
    *len = b.n;
    return ENT_OK;
}

/* ---- decoding: every length is checked against what is left ---- */

typedef struct rd {
    const unsigned char *p;
    size_t left;
    int bad;
} rd;

static uint64_t get_u(rd *r, int bytes)
{
    if (r->bad || r->left < (size_t)bytes) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    r->left -= (size_t)bytes;
    return v;
}

static char *get_str(rd *r, size_t len)
{
    if (r->bad || r->left < len) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc(len + 1);
    if (!s) {
        r->bad = 2;
        return NULL;
    }
    memcpy(s, r->p, len);
    s[len] = 0;
    r->p += len;
    r->left -= len;
    return s;
}

static size_t value_size(ent_value_type t)
{
    return t == ENT_VAL_REAL   ? sizeof(double)
           : t == ENT_VAL_INT  ? sizeof(long)
           : t == ENT_VAL_BOOL ? sizeof(int)
                               : sizeof(char *);
}

/* count values of type t; NULL with r->bad set on error. Values need at least one byte
 * each in the BLOB, so a corrupt count cannot make us allocate more than the BLOB holds. */
static void *get_values(rd *r, int t, size_t count)
{
    if (t < ENT_VAL_REAL || t > ENT_VAL_STR || count > r->left) {
        r->bad = 1;
        return NULL;
    }
    void *data = calloc(count ? count : 1, value_size((ent_value_type)t));
    if (!data) {
        r->bad = 2;
        return NULL;
    }
    for (size_t i = 0; i < count && !r->bad; i++) {
        switch ((ent_value_type)t) {
        case ENT_VAL_REAL: {
            uint64_t bits = get_u(r, 8);
            memcpy((double *)data + i, &bits, 8);
            break;
        }
        case ENT_VAL_INT: ((long *)data)[i] = (long)(int64_t)get_u(r, 8); break;
        case ENT_VAL_BOOL: ((int *)data)[i] = (int)get_u(r, 1); break;
        case ENT_VAL_STR: {
            uint64_t len = get_u(r, 4);
            if (len != UINT32_MAX)
                ((char **)data)[i] = get_str(r, (size_t)len);
            break;
        }
        }
    }
    if (r->bad && t == ENT_VAL_STR)
        for (size_t i = 0; i < count; i++)
            free(((char **)data)[i]);
    if (r->bad) {
        free(data);
        return NULL;
    }
    return data;
}

ent_status store_props_decode(const unsigned char *blob, size_t len, ent_frame *f,
                              ent_error *err)
{
    rd r = {blob, len, 0};
    if (len < 2 || blob[0] != 'P' || blob[1] != 1)
        return ent_error_set(err, ENT_EPARSE, "structure properties: unknown format");
    r.p += 2;
    r.left -= 2;
    size_t nc = (size_t)get_u(&r, 4);
    if (!r.bad && nc > r.left)
        r.bad = 1;
    if (!r.bad && nc && !(f->columns = calloc(nc, sizeof *f->columns)))
        r.bad = 2;
    for (size_t c = 0; c < nc && !r.bad; c++) {
        ent_column *col = &f->columns[c];
        col->name = get_str(&r, (size_t)get_u(&r, 2));
        col->type = (ent_value_type)get_u(&r, 1);
        uint64_t ncols = get_u(&r, 4);
        if (r.bad || ncols < 1 || ncols > INT_MAX ||
            (f->n_atoms && ncols > r.left / f->n_atoms)) {
            r.bad = r.bad ? r.bad : 1;
            f->n_columns = c + 1; /* so that destroy frees the name */
            break;
        }
        col->ncols = (int)ncols;
        col->data = get_values(&r, (int)col->type, f->n_atoms * (size_t)ncols);
        f->n_columns = c + 1;
    }
    size_t ni = r.bad ? 0 : (size_t)get_u(&r, 4);
    if (!r.bad && ni > r.left)
        r.bad = 1;
    if (!r.bad && ni && !(f->info = calloc(ni, sizeof *f->info)))
        r.bad = 2;
    for (size_t i = 0; i < ni && !r.bad; i++) {
        ent_info_item *it = &f->info[i];
        it->key = get_str(&r, (size_t)get_u(&r, 2));
        it->type = (ent_value_type)get_u(&r, 1);
        it->is_array = (int)get_u(&r, 1);
        it->count = (size_t)get_u(&r, 8);
        f->n_info = i + 1;
        if (!r.bad)
            it->data = get_values(&r, (int)it->type, it->count);
        if (r.bad)
            it->count = 0;
    }
    if (!r.bad && r.left)
        r.bad = 1;
    if (r.bad == 2)
        return ent_error_set(err, ENT_ENOMEM, "out of memory decoding a structure");
    if (r.bad)
        return ent_error_set(err, ENT_EPARSE, "structure properties: corrupt BLOB");
    return ENT_OK;
}
