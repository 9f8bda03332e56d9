/* LAMMPS `dump custom` text parser, one snapshot per frame: TIMESTEP / TIME / UNITS,
 * NUMBER OF ATOMS, BOX BOUNDS (orthogonal, restricted triclinic "xy xz yz", general
 * triclinic "abc origin") and ATOMS with named columns. Positions come from x y z (or
 * the unwrapped / scaled variants), species from `element` or the caller's type map, and
 * atoms are sorted by id. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

#define DUMP_INITIAL_CAP 256
#define DUMP_FIELD "ITEM: ATOMS"

enum {
    COL_REAL = 0, /* its own R:1 column */
    COL_ID,
    COL_TYPE,
    COL_ELEMENT,
    COL_POS,    /* positions[sub] */
    COL_FORCES, /* forces[sub] */
};

typedef struct dump_col {
    char *name;
    int kind;
    int sub;       /* component for COL_POS / COL_FORCES */
    size_t column; /* index in frame->columns (COL_REAL, COL_ID, COL_TYPE, COL_FORCES) */
} dump_col;

typedef struct dump_box {
    double cell[9];
    double origin[3];
    int pbc[3];
} dump_box;

static int starts_item(const char *line, const char **rest)
{
    line += strspn(line, " \t");
    if (strncmp(line, "ITEM:", 5))
        return 0;
    line += 5;
    *rest = line + strspn(line, " \t");
    return 1;
}

static int word_is(const char *s, const char *w)
{
    size_t n = strlen(w);
    return !strncmp(s, w, n) && (s[n] == 0 || s[n] == ' ' || s[n] == '\t' || s[n] == '\r');
}

/* After tokenizing an ITEM line: drop the "ITEM:" prefix, whether it is a token of its
 * own or glued to the next word ("ITEM:ATOMS"). */
static void drop_item_prefix(ent_reader *r)
{
    if (r->n_tok && !strcmp(r->tok[0], "ITEM:")) {
        memmove(r->tok, r->tok + 1, (r->n_tok - 1) * sizeof *r->tok);
        r->n_tok--;
    } else if (r->n_tok) {
        r->tok[0] += 5;
    }
}

static ent_status need_line(ent_reader *r, const char *field, ent_error *err)
{
    ent_status s = ent_rd_getline(r, err);
    if (s == ENT_EEOF)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, field, "missing (end of file)");
    if (s == ENT_OK)
        s = ent_rd_tokenize(r, err);
    return s;
}

/* BOX BOUNDS header words after "BOX BOUNDS" are in r->tok; reads the three bound lines. */
static ent_status parse_box(ent_reader *r, dump_box *b, ent_error *err)
{
    const char *field = "ITEM: BOX BOUNDS";
    size_t line = r->lineno, t = 2; /* tokens: "BOX" "BOUNDS" ... after "ITEM:" skipped */
    int tric = 0, general = 0;
    if (r->n_tok >= t + 3 && !strcmp(r->tok[t], "xy") && !strcmp(r->tok[t + 1], "xz") &&
        !strcmp(r->tok[t + 2], "yz")) {
        tric = 1;
        t += 3;
    } else if (r->n_tok >= t + 2 && !strcmp(r->tok[t], "abc") &&
               !strcmp(r->tok[t + 1], "origin")) {
        general = 1;
        t += 2;
    }
    size_t nflags = r->n_tok - t;
    if (nflags != 0 && nflags != 3)
        return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                           "expected 3 boundary flags (e.g. pp pp pp), got %zu", nflags);
    for (int d = 0; d < 3; d++) {
        b->pbc[d] = 1; /* old dumps without flags: periodic */
        if (!nflags)
            continue;
        const char *fl = r->tok[t + (size_t)d];
        if (strlen(fl) != 2 || !strchr("pfsm", fl[0]) || !strchr("pfsm", fl[1]) || !fl[0] ||
            !fl[1])
            return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                               "bad boundary flag '%.20s' (expected two of p f s m)", fl);
        if ((fl[0] == 'p') != (fl[1] == 'p'))
            return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                               "boundary flag '%s' mixes periodic and non-periodic", fl);
        b->pbc[d] = fl[0] == 'p';
    }
    int need = general ? 4 : tric ? 3 : 2;
    double v[3][4];
    for (int d = 0; d < 3; d++) {
        ent_status s = need_line(r, field, err);
        if (s != ENT_OK)
            return s;
        if (r->n_tok != (size_t)need)
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                               "expected %d numbers, got %zu", need, r->n_tok);
        for (int k = 0; k < need; k++) {
            if (!ent_rd_parse_real(r->tok[k], &v[d][k]))
                return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                   "not a number '%.40s'", r->tok[k]);
            if (!isfinite(v[d][k]))
                return ent_rd_fail(r, err, ENT_EGEOMETRY, r->lineno, field,
                                   "non-finite value '%s'", r->tok[k]);
        }
        if (!general && v[d][1] < v[d][0])
            return ent_rd_fail(r, err, ENT_EGEOMETRY, r->lineno, field,
                               "upper bound below lower bound");
    }
    memset(b->cell, 0, sizeof b->cell);
    if (general) {
        for (int d = 0; d < 3; d++) {
            for (int k = 0; k < 3; k++)
                b->cell[3 * d + k] = v[d][k];
            b->origin[d] = v[d][3];
        }
        return ENT_OK;
    }
    double xy = tric ? v[0][2] : 0, xz = tric ? v[1][2] : 0, yz = tric ? v[2][2] : 0;
    /* LAMMPS writes the bounding box of the tilted cell; undo that. */
    double xlo = v[0][0] - fmin(fmin(0.0, xy), fmin(xz, xy + xz));
    double xhi = v[0][1] - fmax(fmax(0.0, xy), fmax(xz, xy + xz));
    double ylo = v[1][0] - fmin(0.0, yz);
    double yhi = v[1][1] - fmax(0.0, yz);
    double zlo = v[2][0], zhi = v[2][1];
    if (xhi < xlo || yhi < ylo)
        return ent_rd_fail(r, err, ENT_EGEOMETRY, line, field,
                           "tilt factors larger than the bounding box");
    b->cell[0] = xhi - xlo;
    b->cell[3] = xy;
    b->cell[4] = yhi - ylo;
    b->cell[6] = xz;
    b->cell[7] = yz;
    b->cell[8] = zhi - zlo;
    b->origin[0] = xlo;
    b->origin[1] = ylo;
    b->origin[2] = zlo;
    return ENT_OK;
}

/* Column name as stored in the frame: characters the extended-XYZ Properties syntax
 * cannot carry (':', '"', '=', controls) become '_', reserved names get a "lammps_"
 * prefix, so every frame read can be written as extended XYZ. */
static char *frame_name(const char *name)
{
    int reserved = !strcmp(name, "species") || !strcmp(name, "pos");
    size_t n = strlen(name), off = reserved ? 7 : 0;
    char *d = malloc(n + off + 1);
    if (!d)
        return NULL;
    memcpy(d, "lammps_", off);
    for (size_t i = 0; i <= n; i++)
        d[off + i] = (i < n && (name[i] == ':' || name[i] == '"' || name[i] == '=' ||
                                (unsigned char)name[i] < 32))
                         ? '_'
                         : name[i];
    return d;
}

static void cols_free(dump_col *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].name);
    free(c);
}

static int find_name(const dump_col *c, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].name, name))
            return (int)i;
    return -1;
}

/* Plan the ATOMS columns (r->tok from index 1 on) and create the frame's columns. */
static ent_status plan_columns(ent_reader *r, ent_frame *f, size_t cap, dump_col **out,
                               size_t *n_out, int *scaled, int *id_col, ent_error *err)
{
    size_t line = r->lineno, n = r->n_tok - 1;
    if (n == 0)
        return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD, "no column names");
    if (n > ENT_READER_MAX_VALUES)
        return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD, "more than %d columns",
                           ENT_READER_MAX_VALUES);
    dump_col *c = calloc(n, sizeof *c);
    if (!c)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    *out = c;
    for (size_t i = 0; i < n; i++) {
        if (find_name(c, i, r->tok[i + 1]) >= 0)
            return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD, "duplicate column '%.40s'",
                               r->tok[i + 1]);
        if (!(c[i].name = malloc(strlen(r->tok[i + 1]) + 1)))
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        strcpy(c[i].name, r->tok[i + 1]);
        *n_out = i + 1;
    }
    /* Position set by priority; the others stay ordinary columns. */
    static const char *const sets[4][3] = {
        {"x", "y", "z"}, {"xu", "yu", "zu"}, {"xs", "ys", "zs"}, {"xsu", "ysu", "zsu"}};
    int set = -1;
    for (int k = 0; k < 4 && set < 0; k++)
        if (find_name(c, n, sets[k][0]) >= 0 && find_name(c, n, sets[k][1]) >= 0 &&
            find_name(c, n, sets[k][2]) >= 0)
            set = k;
    if (set < 0)
        return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD,
                           "no position columns (x y z, xu yu zu, xs ys zs or xsu ysu zsu)");
    *scaled = set >= 2;
    for (int d = 0; d < 3; d++) {
        int i = find_name(c, n, sets[set][d]);
        c[i].kind = COL_POS;
        c[i].sub = d;
    }
    int have_forces = find_name(c, n, "fx") >= 0 && find_name(c, n, "fy") >= 0 &&
                      find_name(c, n, "fz") >= 0;
    int have_element = find_name(c, n, "element") >= 0;
    int have_type = find_name(c, n, "type") >= 0;
    if (!have_element && !(have_type && r->n_types > 0))
        return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD,
                           have_type ? "no element column and no type-to-symbol map given"
                                     : "no element column and no type column");
    *id_col = -1;
    size_t forces_col = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        ent_status s = ENT_OK;
        ent_column *col = NULL;
        const char *nm = c[i].name;
        if (c[i].kind == COL_POS)
            continue;
        if (!strcmp(nm, "element")) {
            c[i].kind = COL_ELEMENT;
            continue;
        }
        if (have_forces && (!strcmp(nm, "fx") || !strcmp(nm, "fy") || !strcmp(nm, "fz"))) {
            c[i].kind = COL_FORCES;
            c[i].sub = nm[1] - 'x';
            if (forces_col == SIZE_MAX) {
                if (ent_frame_column_find(f, "forces"))
                    return ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD,
                                       "column 'forces' clashes with fx fy fz");
                forces_col = f->n_columns;
                s = ent_rd_frame_add_column(f, "forces", ENT_VAL_REAL, 3, cap, &col, err);
            }
            c[i].column = forces_col;
            if (s != ENT_OK)
                return s;
            continue;
        }
        int is_int = !strcmp(nm, "id") || !strcmp(nm, "type");
        if (is_int) {
            c[i].kind = nm[0] == 'i' ? COL_ID : COL_TYPE;
            if (c[i].kind == COL_ID)
                *id_col = (int)i;
        }
        char *fname = frame_name(nm);
        if (!fname)
            return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        if (ent_frame_column_find(f, fname)) {
            s = ent_rd_fail(r, err, ENT_EPARSE, line, DUMP_FIELD,
                            "column '%.40s' clashes with another column", nm);
            free(fname);
            return s;
        }
        c[i].column = f->n_columns;
        s = ent_rd_frame_add_column(f, fname, is_int ? ENT_VAL_INT : ENT_VAL_REAL, 1, cap, &col,
                                    err);
        free(fname);
        if (s != ENT_OK)
            return s;
    }
    return ENT_OK;
}

static ent_status parse_atom(ent_reader *r, ent_frame *f, const dump_col *c, size_t n_cols,
                             size_t i, ent_error *err)
{
    size_t line = r->lineno;
    if (r->n_tok != n_cols)
        return ent_rd_fail(r, err, ENT_EPARSE, line, NULL,
                           "atom %zu: expected %zu columns (per ITEM: ATOMS), got %zu", i + 1,
                           n_cols, r->n_tok);
    char field[128];
    int have_element = 0;
    long type = 0;
    for (size_t j = 0; j < n_cols; j++) {
        const char *tok = r->tok[j];
        snprintf(field, sizeof field, "atom %zu column %.40s", i + 1, c[j].name);
        switch (c[j].kind) {
        case COL_ELEMENT:
            if (!ent_rd_symbol_ok(tok))
                return ent_rd_fail(r, err, ENT_EPARSE, line, field,
                                   "invalid symbol '%.40s' (1 to %d characters)", tok,
                                   ENT_SYMBOL_MAX - 1);
            strcpy(f->species[i], tok);
            have_element = 1;
            break;
        case COL_ID:
        case COL_TYPE: {
            long v;
            if (!ent_rd_parse_long(tok, &v))
                return ent_rd_fail(r, err, ENT_EPARSE, line, field, "not an integer '%.40s'",
                                   tok);
            ((long *)f->columns[c[j].column].data)[i] = v;
            if (c[j].kind == COL_TYPE)
                type = v;
            break;
        }
        default: {
            double v;
            if (!ent_rd_parse_real(tok, &v))
                return ent_rd_fail(r, err, ENT_EPARSE, line, field, "not a number '%.40s'",
                                   tok);
            if (c[j].kind == COL_POS) {
                if (!isfinite(v))
                    return ent_rd_fail(r, err, ENT_EGEOMETRY, line, field,
                                       "non-finite coordinate '%s'", tok);
                f->positions[3 * i + (size_t)c[j].sub] = v;
            } else if (c[j].kind == COL_FORCES) {
                ((double *)f->columns[c[j].column].data)[3 * i + (size_t)c[j].sub] = v;
            } else {
                ((double *)f->columns[c[j].column].data)[i] = v;
            }
            break;
        }
        }
    }
    if (!have_element) {
        if (type < 1 || type > r->n_types)
            return ent_rd_fail(r, err, ENT_EPARSE, line, NULL,
                               "atom %zu column type: type %ld has no symbol (%d types mapped)",
                               i + 1, type, r->n_types);
        strcpy(f->species[i], r->type_symbols[type - 1]);
    }
    return ENT_OK;
}

typedef struct id_index {
    long id;
    size_t at;
} id_index;

static int cmp_id(const void *a, const void *b)
{
    long x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

/* Reorder a row-major array of n rows of `row` bytes by perm (new row k = old perm[k]). */
static int permute(void *data, size_t n, size_t row, const id_index *perm)
{
    char *tmp = malloc(n && row ? n * row : 1);
    if (!tmp)
        return 0;
    for (size_t k = 0; k < n; k++)
        memcpy(tmp + k * row, (char *)data + perm[k].at * row, row);
    memcpy(data, tmp, n * row);
    free(tmp);
    return 1;
}

static ent_status sort_by_id(ent_reader *r, ent_frame *f, const ent_column *idc,
                             size_t atoms_line, ent_error *err)
{
    size_t n = f->n_atoms;
    const long *ids = idc->data;
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = ids[i - 1] < ids[i];
    if (sorted)
        return ENT_OK;
    id_index *perm = malloc(n * sizeof *perm);
    if (!perm)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    for (size_t i = 0; i < n; i++) {
        perm[i].id = ids[i];
        perm[i].at = i;
    }
    qsort(perm, n, sizeof *perm, cmp_id);
    for (size_t i = 1; i < n; i++) {
        if (perm[i].id == perm[i - 1].id) {
            long id = perm[i].id;
            free(perm);
            return ent_rd_fail(r, err, ENT_EPARSE, atoms_line, "ITEM: ATOMS",
                               "duplicate atom id %ld", id);
        }
    }
    int ok = permute(f->species, n, sizeof *f->species, perm) &&
             permute(f->positions, n, 3 * sizeof(double), perm);
    for (size_t k = 0; ok && k < f->n_columns; k++) {
        ent_column *c = &f->columns[k];
        ok = permute(c->data, n, (size_t)c->ncols * ent_rd_value_size(c->type), perm);
    }
    free(perm);
    return ok ? ENT_OK : ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
}

enum { SEEN_TIMESTEP = 1, SEEN_TIME = 2, SEEN_UNITS = 4, SEEN_NATOMS = 8, SEEN_BOX = 16 };

static ent_status dump_read(ent_reader *r, ent_frame *f, ent_error *err)
{
    ent_status s = ENT_OK;
    int seen = 0;
    long natoms = 0;
    dump_box box = {0};
    for (;;) {
        /* r->line holds an ITEM: line here. */
        const char *item;
        size_t line = r->lineno;
        if (!starts_item(r->line, &item))
            return ent_rd_fail(r, err, ENT_EPARSE, line, "ITEM",
                               "expected an 'ITEM:' line, got '%.40s'", r->line);
        int bit = word_is(item, "TIMESTEP")          ? SEEN_TIMESTEP
                  : word_is(item, "TIME")            ? SEEN_TIME
                  : word_is(item, "UNITS")           ? SEEN_UNITS
                  : word_is(item, "NUMBER OF ATOMS") ? SEEN_NATOMS
                  : word_is(item, "BOX BOUNDS")      ? SEEN_BOX
                  : word_is(item, "ATOMS")           ? -1
                                                     : 0;
        if (bit == 0)
            return ent_rd_fail(r, err, ENT_EPARSE, line, "ITEM",
                               "unknown item '%.40s' (a dump custom file is expected)", item);
        if (bit > 0 && (seen & bit))
            return ent_rd_fail(r, err, ENT_EPARSE, line, "ITEM", "'%.40s' twice in one frame",
                               item);
        if (bit > 0)
            seen |= bit;
        if (bit == SEEN_TIMESTEP || bit == SEEN_TIME || bit == SEEN_UNITS ||
            bit == SEEN_NATOMS) {
            const char *field = bit == SEEN_TIMESTEP ? "ITEM: TIMESTEP"
                                : bit == SEEN_TIME   ? "ITEM: TIME"
                                : bit == SEEN_UNITS  ? "ITEM: UNITS"
                                                     : "ITEM: NUMBER OF ATOMS";
            if ((s = need_line(r, field, err)) != ENT_OK)
                return s;
            if (r->n_tok != 1)
                return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                   "expected one value, got %zu", r->n_tok);
            long l;
            double d;
            if (bit == SEEN_UNITS) {
                s = ent_frame_info_set_str(f, "units", r->tok[0], err);
            } else if (bit == SEEN_TIME) {
                if (!ent_rd_parse_real(r->tok[0], &d))
                    return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                       "not a number '%.40s'", r->tok[0]);
                s = ent_frame_info_set_real(f, "time", d, err);
            } else {
                if (!ent_rd_parse_long(r->tok[0], &l))
                    return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                       "not an integer '%.40s'", r->tok[0]);
                if (bit == SEEN_TIMESTEP) {
                    s = ent_frame_info_set_int(f, "timestep", l, err);
                } else if (l < 0) {
                    return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field, "negative (%ld)",
                                       l);
                } else if (l > ENT_READER_MAX_ATOMS) {
                    return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                       "%ld exceeds the limit of %ld atoms", l,
                                       (long)ENT_READER_MAX_ATOMS);
                } else {
                    natoms = l;
                }
            }
            if (s != ENT_OK)
                return s;
        } else if (bit == SEEN_BOX) {
            if ((s = ent_rd_tokenize(r, err)) != ENT_OK)
                return s;
            drop_item_prefix(r); /* tokens: "BOX" "BOUNDS" ... */
            if ((s = parse_box(r, &box, err)) != ENT_OK)
                return s;
            memcpy(f->cell, box.cell, sizeof f->cell);
            memcpy(f->pbc, box.pbc, sizeof f->pbc);
            f->has_cell = 1;
        } else {
            break; /* ATOMS */
        }
        s = ent_rd_getline(r, err);
        if (s == ENT_EEOF)
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, "truncated frame",
                               "end of file before ITEM: ATOMS");
        if (s != ENT_OK)
            return s;
    }
    /* ITEM: ATOMS */
    size_t atoms_line = r->lineno;
    if (!(seen & SEEN_NATOMS))
        return ent_rd_fail(r, err, ENT_EPARSE, atoms_line, DUMP_FIELD,
                           "no ITEM: NUMBER OF ATOMS before the atoms");
    if (!(seen & SEEN_BOX))
        return ent_rd_fail(r, err, ENT_EPARSE, atoms_line, DUMP_FIELD,
                           "no ITEM: BOX BOUNDS before the atoms");
    if ((s = ent_rd_tokenize(r, err)) != ENT_OK)
        return s;
    drop_item_prefix(r); /* tokens: "ATOMS" names... */
    size_t cap = 0, n = (size_t)natoms;
    if ((s = ent_rd_frame_reserve(f, &cap, n < DUMP_INITIAL_CAP ? n : DUMP_INITIAL_CAP, err)) !=
        ENT_OK)
        return s;
    dump_col *cols = NULL;
    size_t n_cols = 0;
    int scaled = 0, id_col = -1;
    s = plan_columns(r, f, cap, &cols, &n_cols, &scaled, &id_col, err);
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        s = ent_rd_getline(r, err);
        if (s == ENT_EEOF) {
            s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, "truncated frame",
                            "expected %zu atom lines, found %zu", n, i);
            break;
        }
        if (s == ENT_OK)
            s = ent_rd_tokenize(r, err);
        if (s == ENT_OK)
            s = ent_rd_frame_reserve(f, &cap, i + 1, err);
        if (s != ENT_OK)
            break;
        f->n_atoms = i + 1;
        s = parse_atom(r, f, cols, n_cols, i, err);
    }
    if (s == ENT_OK && scaled) {
        for (size_t i = 0; i < n; i++) {
            double *p = &f->positions[3 * i], x[3] = {p[0], p[1], p[2]};
            for (int j = 0; j < 3; j++)
                p[j] = box.origin[j] + x[0] * f->cell[j] + x[1] * f->cell[3 + j] +
                       x[2] * f->cell[6 + j];
        }
    }
    if (s == ENT_OK && id_col >= 0)
        s = sort_by_id(r, f, &f->columns[cols[id_col].column], atoms_line, err);
    cols_free(cols, n_cols);
    if (s == ENT_OK)
        ent_rd_frame_trim(f);
    return s;
}

ent_status ent_lammps_dump_next(ent_reader *r, ent_frame **out, ent_error *err)
{
    ent_status s = ent_rd_getline(r, err);
    if (s != ENT_OK)
        return s; /* ENT_EEOF: no more frames */
    if (ent_rd_is_blank(r->line))
        return ent_rd_expect_only_blank(r, err);
    ent_frame *f = ent_frame_create(0);
    if (!f)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    *out = f; /* destroyed by ent_reader_next on error */
    return dump_read(r, f, err);
}
