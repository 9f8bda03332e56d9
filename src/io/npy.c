/* .npy reading and writing (see npy.h). The header is an ASCII dict such as
 * {'descr': '<f8', 'fortran_order': False, 'shape': (2160, 63), }, padded with spaces so
 * that magic + header length + header is a multiple of 64 bytes, ending in '\n'. */
#include "io/npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

ent_status ent_npy_write_header(FILE *fp, size_t rows, size_t cols, ent_error *err)
{
    char dict[128];
    int len;
    if (cols)
        len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }",
                       rows, cols);
    else
        len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu,), }", rows);
    /* 10 bytes of preamble (magic, version 1.0, uint16 length), dict, padding, '\n'. */
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    uint16_t hlen = (uint16_t)((size_t)len + pad + 1);
    unsigned char pre[10];
    memcpy(pre, npy_magic, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    if (fwrite(pre, 1, 10, fp) != 10 || fwrite(dict, 1, (size_t)len, fp) != (size_t)len)
        return ent_error_set(err, ENT_EIO, "cannot write .npy header");
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', fp) == EOF)
            return ent_error_set(err, ENT_EIO, "cannot write .npy header");
    if (fputc('\n', fp) == EOF)
        return ent_error_set(err, ENT_EIO, "cannot write .npy header");
    return ENT_OK;
}

ent_status ent_npy_write(const char *path, const double *data, size_t rows, size_t cols,
                         ent_error *err)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open for writing", path);
    ent_status s = ent_npy_write_header(fp, rows, cols, err);
    size_t count = rows * (cols ? cols : 1);
    if (s == ENT_OK && count && fwrite(data, sizeof(double), count, fp) != count)
        s = ent_error_set(err, ENT_EIO, "%s: write failed", path);
    if (fclose(fp) != 0 && s == ENT_OK)
        s = ent_error_set(err, ENT_EIO, "%s: write failed", path);
    if (s != ENT_OK && err)
        ent_error_set(err, s, "%s: %s", path, err->msg);
    return s;
}

/* Value of 'key' in the header dict: pointer just past "'key':" and spaces, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s':", key);
    const char *p = strstr(dict, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return p;
}

ent_status ent_npy_read(const char *path, double **data, size_t *rows, size_t *cols,
                        ent_error *err)
{
    ent_status s = ENT_OK;
    char *dict = NULL;
    void *raw = NULL;
    double *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open", path);
    unsigned char pre[12];
    if (fread(pre, 1, 8, fp) != 8 || memcmp(pre, npy_magic, 6) != 0) {
        s = ent_error_set(err, ENT_EPARSE, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    size_t hlen;
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, fp) != 2)
            goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 8, 1, 4, fp) != 4)
            goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
    } else {
        s = ent_error_set(err, ENT_EUNSUPPORTED, "%s: .npy version %d", path, pre[6]);
        goto done;
    }
    if (hlen > (1u << 20) || !(dict = malloc(hlen + 1))) {
        s = ent_error_set(err, ENT_EPARSE, "%s: bad .npy header length", path);
        goto done;
    }
    if (fread(dict, 1, hlen, fp) != hlen)
        goto truncated;
    dict[hlen] = 0;
    const char *descr = dict_value(dict, "descr");
    const char *fortran = dict_value(dict, "fortran_order");
    const char *shape = dict_value(dict, "shape");
    if (!descr || !fortran || !shape || *shape != '(') {
        s = ent_error_set(err, ENT_EPARSE, "%s: .npy header lacks descr/fortran_order/shape",
                          path);
        goto done;
    }
    int is_bool;
    if (strncmp(descr, "'<f8'", 5) == 0)
        is_bool = 0;
    else if (strncmp(descr, "'|b1'", 5) == 0)
        is_bool = 1;
    else {
        s = ent_error_set(err, ENT_EUNSUPPORTED, "%s: dtype %.8s (need <f8 or |b1)", path,
                          descr);
        goto done;
    }
    if (strncmp(fortran, "False", 5) != 0) {
        s = ent_error_set(err, ENT_EUNSUPPORTED, "%s: Fortran-order array", path);
        goto done;
    }
    size_t dims[2] = {0, 0};
    int ndim = 0;
    const char *p = shape + 1;
    while (*p && *p != ')') {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        if (ndim == 2) {
            s = ent_error_set(err, ENT_EUNSUPPORTED, "%s: more than 2 dimensions", path);
            goto done;
        }
        dims[ndim++] = (size_t)v;
        p = end;
    }
    size_t count = ndim == 0 ? 1 : dims[0] * (ndim == 2 ? dims[1] : 1);
    size_t esize = is_bool ? 1 : 8;
    raw = malloc(count * esize + 1);
    out = malloc(count * sizeof(double) + 1);
    if (!raw || !out) {
        s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(raw, esize, count, fp) != count)
        goto truncated;
    if (is_bool)
        for (size_t i = 0; i < count; i++)
            out[i] = ((unsigned char *)raw)[i] ? 1.0 : 0.0;
    else
        memcpy(out, raw, count * sizeof(double));
    *data = out;
    out = NULL;
    *rows = ndim == 0 ? 1 : dims[0];
    *cols = ndim == 2 ? dims[1] : 0;
    goto done;
truncated:
    s = ent_error_set(err, ENT_EPARSE, "%s: truncated .npy file", path);
done:
    free(dict);
    free(raw);
    free(out);
    fclose(fp);
    return s;
}
