/* dH index files and buffers (dh_index.h): the on-disk layout, its checks, and the XXH64
 * checksums. The same bytes go to a file or to a memory buffer (database BLOB).
 *
 * Layout, version 1 (all integers uint64 unless noted, native byte order — the byte-order
 * word lets another-endian reader refuse the file; doubles are IEEE-754 binary64):
 *   header, 128 bytes:
 *      0  magic "ENTDHIDX" (8 bytes)       8  version (uint32)   12  0x01020304 (uint32)
 *     16  header size (128)               24  n                 32  d
 *     40  leaf size                       48  number of nodes   56  split rule
 *     64  data checksum (ent_dh_data_checksum of the rows the index was built from)
 *     72  body size in bytes              80  body checksum     88  projection dims pk
 *     96..119 zero                      120  header checksum: XXH64 of bytes 0..119, seed 0
 *   body, in this order: projection mean (d doubles), directions (pk x d), ball centres
 *     (nodes x d), ball radii (nodes), projection boxes (nodes x 2(pk+1)), points (n x d:
 * leaf by leaf, coordinate-major within a leaf, minus the leaf's ball centre), projections
 * (n x (pk+1), same layout), permutation (n uint64). Body checksum: h = 0, then h =
 * XXH64(section, seed h) for each section in order. The tree's shape is not stored: it
 * follows from (n, leaf size). */
#include "info/dh_index.h"

#include <xxhash.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info/dh_index_internal.h"

#define MAGIC "ENTDHIDX"
#define HEADER_BYTES 128
#define BYTE_ORDER_MARK 0x01020304u
#define BYTE_ORDER_SWAPPED 0x04030201u
/* Refuse absurd dimensions before allocating anything. */
#define D_MAX (1u << 20)

/* ---------------------------------------------------------------------------------------
 * XXH64, from Debian's libxxhash (the reference implementation of the algorithm) */

uint64_t ent_dh_hash64(const void *data, size_t len, uint64_t seed)
{
    return (uint64_t)XXH64(data, len, (XXH64_hash_t)seed);
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t ent_dh_data_checksum(const double *x, size_t n, size_t d)
{
    unsigned char nd[16];
    put64(nd, (uint64_t)n);
    put64(nd + 8, (uint64_t)d);
    uint64_t h = ent_dh_hash64(nd, sizeof nd, 0);
    return x ? ent_dh_hash64(x, n * d * sizeof(double), h) : h;
}

/* ---------------------------------------------------------------------------------------
 * Sections */

typedef struct section {
    void *p;
    size_t bytes;
} section;

#define NSECTIONS 8

static size_t sections_of(const ent_dh_index *ix, section s[NSECTIONS])
{
    size_t d = ix->d, pk = ix->pk, nn = ix->nnodes;
    s[0] = (section){ix->pmean, d * sizeof(double)};
    s[1] = (section){ix->pvec, pk * d * sizeof(double)};
    s[2] = (section){ix->centre, nn * d * sizeof(double)};
    s[3] = (section){ix->radius, nn * sizeof(double)};
    s[4] = (section){ix->pbox, nn * 2 * (pk + 1) * sizeof(double)};
    s[5] = (section){ix->pts, ix->n * d * sizeof(double)};
    s[6] = (section){ix->proj, ix->n * (pk + 1) * sizeof(double)};
    s[7] = (section){ix->perm, ix->n * sizeof(uint64_t)};
    return NSECTIONS;
}

static uint64_t body_checksum(const ent_dh_index *ix, size_t *bytes)
{
    section s[NSECTIONS];
    size_t ns = sections_of(ix, s);
    uint64_t h = 0;
    *bytes = 0;
    for (size_t i = 0; i < ns; i++) {
        h = ent_dh_hash64(s[i].p, s[i].bytes, h);
        *bytes += s[i].bytes;
    }
    return h;
}

static void header_encode(const ent_dh_index *ix, unsigned char hd[HEADER_BYTES])
{
    memset(hd, 0, HEADER_BYTES);
    memcpy(hd, MAGIC, 8);
    uint32_t ver = ENT_DH_INDEX_VERSION, bom = BYTE_ORDER_MARK;
    memcpy(hd + 8, &ver, 4);
    memcpy(hd + 12, &bom, 4);
    size_t body;
    uint64_t bsum = body_checksum(ix, &body);
    uint64_t f[] = {HEADER_BYTES, ix->n,        ix->d, ix->leaf, ix->nnodes,
                    ix->split,    ix->data_sum, body,  bsum,     ix->pk};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        memcpy(hd + 16 + 8 * i, &f[i], 8);
    uint64_t hsum = ent_dh_hash64(hd, 120, 0);
    memcpy(hd + 120, &hsum, 8);
}

/* Byte source: a FILE or a memory buffer. */
typedef struct source {
    FILE *fp;
    const unsigned char *buf;
    size_t len, pos;
    const char *name; /* for messages */
} source;

static size_t source_read(source *s, void *dst, size_t bytes)
{
    if (s->fp)
        return fread(dst, 1, bytes, s->fp);
    size_t left = s->len - s->pos, k = bytes < left ? bytes : left;
    memcpy(dst, s->buf + s->pos, k);
    s->pos += k;
    return k;
}

static uint64_t field(const unsigned char *hd, size_t off)
{
    uint64_t v;
    memcpy(&v, hd + off, 8);
    return v;
}

/* Available bytes after the header, or SIZE_MAX if unknown. */
static size_t source_remaining(source *s)
{
    if (!s->fp)
        return s->len - s->pos;
    long here = ftell(s->fp);
    if (here < 0 || fseek(s->fp, 0, SEEK_END) != 0)
        return SIZE_MAX;
    long end = ftell(s->fp);
    if (end < 0 || fseek(s->fp, here, SEEK_SET) != 0)
        return SIZE_MAX;
    return end >= here ? (size_t)(end - here) : 0;
}

static ent_status read_index(source *s, ent_dh_index **out, ent_error *err)
{
    unsigned char hd[HEADER_BYTES];
    size_t got = source_read(s, hd, HEADER_BYTES);
    if (got >= 8 && memcmp(hd, MAGIC, 8) != 0)
        return ent_error_set(err, ENT_EPARSE,
                             "dh_index: %s: not an entrain dH index (bad magic)", s->name);
    if (got < HEADER_BYTES)
        return ent_error_set(err, ENT_EPARSE,
                             "dh_index: %s: truncated header (%zu of %d bytes)", s->name,
                             got, HEADER_BYTES);
    uint32_t ver, bom;
    memcpy(&ver, hd + 8, 4);
    memcpy(&bom, hd + 12, 4);
    if (bom == BYTE_ORDER_SWAPPED)
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "dh_index: %s: written on a machine of the other byte order",
                             s->name);
    if (bom != BYTE_ORDER_MARK)
        return ent_error_set(err, ENT_EPARSE,
                             "dh_index: %s: corrupted header (byte-order word)", s->name);
    uint64_t hsum;
    memcpy(&hsum, hd + 120, 8);
    if (ent_dh_hash64(hd, 120, 0) != hsum)
        return ent_error_set(err, ENT_EPARSE,
                             "dh_index: %s: header checksum mismatch (corrupted)", s->name);
    if (ver > ENT_DH_INDEX_VERSION)
        return ent_error_set(
            err, ENT_EUNSUPPORTED,
            "dh_index: %s: format version %u is newer than this build reads "
            "(%u); rebuild the index or upgrade entrain",
            s->name, ver, ENT_DH_INDEX_VERSION);
    if (ver == 0)
        return ent_error_set(err, ENT_EPARSE, "dh_index: %s: format version 0", s->name);
    uint64_t hbytes = field(hd, 16), n = field(hd, 24), d = field(hd, 32),
             leaf = field(hd, 40), nnodes = field(hd, 48), split = field(hd, 56),
             dsum = field(hd, 64), body = field(hd, 72), bsum = field(hd, 80),
             pk = field(hd, 88);
    if (hbytes != HEADER_BYTES || n == 0 || n > SIZE_MAX / 16 || d == 0 || d > D_MAX ||
        leaf == 0 || leaf > ENT_DH_INDEX_LEAF_MAX || split > ENT_DH_SPLIT_WIDEST ||
        pk == 0 || pk > d || pk > ENT_DHI_PROJ_MAX || n > SIZE_MAX / 16 / (d + 1))
        return ent_error_set(
            err, ENT_EPARSE,
            "dh_index: %s: inconsistent header (n = %llu, d = %llu, leaf = %llu)", s->name,
            (unsigned long long)n, (unsigned long long)d, (unsigned long long)leaf);
    /* Every body holds at least the points and the permutation: refuse a truncated source
     * before counting nodes or allocating. */
    size_t avail = source_remaining(s), minimum = (size_t)n * ((size_t)d + 1) * 8;
    if (avail != SIZE_MAX && (avail < minimum || avail < body))
        return ent_error_set(
            err, ENT_EPARSE,
            "dh_index: %s: truncated (body has %zu bytes, header says %llu)", s->name,
            avail, (unsigned long long)body);
    if (nnodes != ent_dhi_node_count((size_t)n, (size_t)leaf))
        return ent_error_set(err, ENT_EPARSE,
                             "dh_index: %s: inconsistent header (node count %llu)", s->name,
                             (unsigned long long)nnodes);
    ent_dh_index *ix = ent_dhi_alloc((size_t)n, (size_t)d, (size_t)leaf, (size_t)pk);
    if (!ix)
        return ent_error_set(err, ENT_ENOMEM, "dh_index: %s: out of memory (%llu x %llu)",
                             s->name, (unsigned long long)n, (unsigned long long)d);
    ix->split = (uint32_t)split;
    ix->data_sum = dsum;
    section sec[NSECTIONS];
    size_t ns = sections_of(ix, sec), want = 0;
    for (size_t i = 0; i < ns; i++)
        want += sec[i].bytes;
    ent_status st = ENT_OK;
    if (want != body) {
        st = ent_error_set(
            err, ENT_EPARSE,
            "dh_index: %s: inconsistent header (body %llu bytes, expected %zu)", s->name,
            (unsigned long long)body, want);
        goto fail;
    }
    size_t have = 0;
    for (size_t i = 0; i < ns; i++) {
        size_t k = source_read(s, sec[i].p, sec[i].bytes);
        have += k;
        if (k != sec[i].bytes) {
            if (s->fp && ferror(s->fp))
                st = ent_error_set(err, ENT_EIO, "dh_index: %s: read error", s->name);
            else
                st = ent_error_set(err, ENT_EPARSE,
                                   "dh_index: %s: truncated (body has %zu of %zu bytes)",
                                   s->name, have, want);
            goto fail;
        }
    }
    unsigned char extra;
    if (source_read(s, &extra, 1) != 0) {
        st = ent_error_set(err, ENT_EPARSE, "dh_index: %s: trailing bytes after the index",
                           s->name);
        goto fail;
    }
    size_t chk;
    if (body_checksum(ix, &chk) != bsum) {
        st = ent_error_set(err, ENT_EPARSE,
                           "dh_index: %s: body checksum mismatch (corrupted)", s->name);
        goto fail;
    }
    /* The permutation is handed to callers: make sure it is one. */
    unsigned char *seen = calloc((size_t)n / 8 + 1, 1);
    if (!seen) {
        st = ent_error_set(err, ENT_ENOMEM, "dh_index: %s: out of memory", s->name);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t p = ix->perm[i];
        if (p >= n || (seen[p / 8] >> (p % 8) & 1)) {
            free(seen);
            st = ent_error_set(err, ENT_EPARSE, "dh_index: %s: invalid row permutation",
                               s->name);
            goto fail;
        }
        seen[p / 8] |= (unsigned char)(1u << (p % 8));
    }
    free(seen);
    ent_dhi_finish(ix);
    *out = ix;
    return ENT_OK;
fail:
    ent_dh_index_destroy(ix);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Public entry points */

ent_status ent_dh_index_save(const ent_dh_index *ix, const char *path, ent_error *err)
{
    if (!ix || !path)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL index or path");
    unsigned char hd[HEADER_BYTES];
    header_encode(ix, hd);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "dh_index: cannot open %s for writing", path);
    section sec[NSECTIONS];
    size_t ns = sections_of(ix, sec);
    int ok = fwrite(hd, 1, HEADER_BYTES, fp) == HEADER_BYTES;
    for (size_t i = 0; ok && i < ns; i++)
        ok = fwrite(sec[i].p, 1, sec[i].bytes, fp) == sec[i].bytes;
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok) {
        remove(path);
        return ent_error_set(err, ENT_EIO, "dh_index: cannot write %s", path);
    }
    return ENT_OK;
}

ent_status ent_dh_index_load(const char *path, ent_dh_index **out, ent_error *err)
{
    if (!path || !out)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL path or output pointer");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "dh_index: cannot open %s", path);
    source s = {fp, NULL, 0, 0, path};
    ent_status st = read_index(&s, out, err);
    fclose(fp);
    return st;
}

ent_status ent_dh_index_serialize(const ent_dh_index *ix, void **buf, size_t *len,
                                  ent_error *err)
{
    if (!ix || !buf || !len)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL index or output pointer");
    section sec[NSECTIONS];
    size_t ns = sections_of(ix, sec), total = HEADER_BYTES;
    for (size_t i = 0; i < ns; i++)
        total += sec[i].bytes;
    unsigned char *b = malloc(total);
    if (!b)
        return ent_error_set(err, ENT_ENOMEM, "dh_index: out of memory (%zu bytes)", total);
    header_encode(ix, b);
    size_t pos = HEADER_BYTES;
    for (size_t i = 0; i < ns; i++) {
        memcpy(b + pos, sec[i].p, sec[i].bytes);
        pos += sec[i].bytes;
    }
    *buf = b;
    *len = total;
    return ENT_OK;
}

ent_status ent_dh_index_deserialize(const void *buf, size_t len, ent_dh_index **out,
                                    ent_error *err)
{
    if (!buf || !out)
        return ent_error_set(err, ENT_EINVAL, "dh_index: NULL buffer or output pointer");
    source s = {NULL, buf, len, 0, "buffer"};
    return read_index(&s, out, err);
}
