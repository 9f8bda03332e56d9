/* VASP POSCAR / CONTCAR parser: one periodic frame per file. Handles VASP 5 species
 * lines (and VASP 4 files whose comment line names the species), one or three scaling
 * factors (negative = target volume), selective dynamics (kept as move_mask:L:3) and
 * Direct / Cartesian coordinates. Anything after the positions is ignored. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/reader_internal.h"

#define POSCAR_MAX_SPECIES 256

static const char *const elements[] = {
    "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",
    "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn",
    "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh",
    "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd",
    "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re",
    "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th",
    "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db",
    "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};

static int is_element(const char *s)
{
    for (size_t i = 0; i < sizeof elements / sizeof *elements; i++)
        if (!strcmp(s, elements[i]))
            return 1;
    return 0;
}

typedef struct poscar_species {
    char sym[POSCAR_MAX_SPECIES][ENT_SYMBOL_MAX];
    long count[POSCAR_MAX_SPECIES];
    size_t n;
} poscar_species;

/* Read the next line of the header or fail with "field: missing (end of file)". */
static ent_status need_line(ent_reader *r, const char *field, ent_error *err)
{
    ent_status s = ent_rd_getline(r, err);
    if (s == ENT_EEOF)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, field,
                           "missing (end of file)");
    return s;
}

/* The first k tokens of the current line as reals (more tokens are ignored). */
static ent_status reals(ent_reader *r, const char *field, int k, double *v, ent_error *err)
{
    ent_status s = ent_rd_tokenize(r, err);
    if (s != ENT_OK)
        return s;
    if (r->n_tok < (size_t)k)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                           "expected %d number%s, got %zu", k, k == 1 ? "" : "s", r->n_tok);
    for (int i = 0; i < k; i++)
        if (!ent_rd_parse_real(r->tok[i], &v[i]))
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field, "not a number '%.40s'",
                               r->tok[i]);
    return ENT_OK;
}

/* Counts line (current line, tokenized) into sp->count; sets sp->n when n_expect is 0. */
static ent_status parse_counts(ent_reader *r, poscar_species *sp, size_t n_expect,
                               size_t *total, ent_error *err)
{
    if (n_expect && r->n_tok != n_expect)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "atom counts",
                           "expected %zu counts (one per species), got %zu", n_expect,
                           r->n_tok);
    if (r->n_tok > POSCAR_MAX_SPECIES)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "atom counts",
                           "more than %d species", POSCAR_MAX_SPECIES);
    *total = 0;
    for (size_t i = 0; i < r->n_tok; i++) {
        long c;
        if (!ent_rd_parse_long(r->tok[i], &c))
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "atom counts",
                               "not an integer '%.40s'", r->tok[i]);
        if (c < 0)
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "atom counts", "negative (%ld)",
                               c);
        if (c > ENT_READER_MAX_ATOMS || *total + (size_t)c > (size_t)ENT_READER_MAX_ATOMS)
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "atom counts",
                               "more than %ld atoms", (long)ENT_READER_MAX_ATOMS);
        sp->count[i] = c;
        *total += (size_t)c;
    }
    sp->n = r->n_tok;
    return ENT_OK;
}

/* VASP 5 species line (current line, tokenized). POTCAR decorations are stripped:
 * "Fe_pv" → "Fe", "Fe/3a4b..." → "Fe". */
static ent_status parse_species(ent_reader *r, poscar_species *sp, ent_error *err)
{
    if (r->n_tok > POSCAR_MAX_SPECIES)
        return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "species", "more than %d species",
                           POSCAR_MAX_SPECIES);
    for (size_t i = 0; i < r->n_tok; i++) {
        char *t = r->tok[i];
        t[strcspn(t, "_/")] = 0;
        if (!ent_rd_symbol_ok(t))
            return ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "species",
                               "invalid symbol '%.40s'", r->tok[i]);
        strcpy(sp->sym[i], t);
    }
    sp->n = r->n_tok;
    return ENT_OK;
}

/* Parse a POSCAR whose first line (`comment`, line `comment_line`) has been read. If
 * have_scale is set, the current line is already the scaling line (the comment was
 * blank). */
static ent_status poscar_read(ent_reader *r, ent_frame *f, char *comment, size_t comment_line,
                              int have_scale, ent_error *err)
{
    ent_status s = ENT_OK;
    {
        char *a = comment, *b = comment + strlen(comment);
        while (*a == ' ' || *a == '\t')
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            *--b = 0;
        if (*a)
            s = ent_frame_info_set_str(f, "comment", a, err);
    }
    /* 2: scaling factor(s). */
    double scale[3] = {1, 1, 1};
    int n_scale = 1;
    if (s == ENT_OK && !have_scale)
        s = need_line(r, "scaling factor", err);
    if (s == ENT_OK)
        s = reals(r, "scaling factor", 1, scale, err);
    if (s == ENT_OK && r->n_tok >= 3 && ent_rd_parse_real(r->tok[1], &scale[1]) &&
        ent_rd_parse_real(r->tok[2], &scale[2]))
        n_scale = 3;
    else
        scale[1] = scale[2] = scale[0];
    if (s == ENT_OK) {
        for (int i = 0; i < n_scale; i++) {
            if (!isfinite(scale[i]) || scale[i] == 0.0 || (n_scale == 3 && scale[i] < 0))
                s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "scaling factor",
                                n_scale == 3 ? "three factors must be finite and positive"
                                             : "must be finite and non-zero (negative = "
                                               "target volume)");
        }
    }
    /* 3-5: lattice vectors. */
    static const char *const vec_field[3] = {"lattice vector a", "lattice vector b",
                                             "lattice vector c"};
    for (int i = 0; s == ENT_OK && i < 3; i++) {
        s = need_line(r, vec_field[i], err);
        if (s == ENT_OK)
            s = reals(r, vec_field[i], 3, &f->cell[3 * i], err);
        for (int j = 0; s == ENT_OK && j < 3; j++)
            if (!isfinite(f->cell[3 * i + j]))
                s = ent_rd_fail(r, err, ENT_EGEOMETRY, r->lineno, vec_field[i],
                                "non-finite value");
    }
    /* 6: species (VASP 5) or counts (VASP 4); 7: counts. */
    poscar_species *sp = NULL;
    size_t total = 0;
    if (s == ENT_OK && !(sp = calloc(1, sizeof *sp)))
        s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    if (s == ENT_OK)
        s = need_line(r, "species", err);
    if (s == ENT_OK)
        s = ent_rd_tokenize(r, err);
    long dummy;
    if (s == ENT_OK && r->n_tok == 0)
        s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "species",
                        "blank line where the species (VASP 5) or the atom counts are "
                        "expected");
    if (s == ENT_OK && ent_rd_parse_long(r->tok[0], &dummy)) {
        /* VASP 4: counts here, species only from the comment line. */
        size_t counts_line = r->lineno;
        s = parse_counts(r, sp, 0, &total, err);
        if (s == ENT_OK) {
            char *c = comment;
            size_t k = 0;
            while (k < sp->n) {
                c += strspn(c, " \t\r");
                size_t len = strcspn(c, " \t\r");
                if (len == 0 || len >= ENT_SYMBOL_MAX)
                    break;
                memcpy(sp->sym[k], c, len);
                sp->sym[k][len] = 0;
                if (!is_element(sp->sym[k]))
                    break;
                k++;
                c += len;
            }
            if (k < sp->n)
                s = ent_rd_fail(r, err, ENT_EPARSE, counts_line, "species",
                                "no species line (VASP 4 format) and the comment line (line "
                                "%zu) does not start with %zu chemical symbols; add a "
                                "species line above the counts",
                                comment_line, sp->n);
        }
    } else if (s == ENT_OK) {
        s = parse_species(r, sp, err);
        if (s == ENT_OK)
            s = need_line(r, "atom counts", err);
        if (s == ENT_OK)
            s = ent_rd_tokenize(r, err);
        if (s == ENT_OK)
            s = parse_counts(r, sp, sp->n, &total, err);
    }
    /* 8: optional "Selective dynamics", then the coordinate mode. */
    int selective = 0, cartesian = 0;
    if (s == ENT_OK)
        s = need_line(r, "coordinate mode", err);
    if (s == ENT_OK) {
        const char *p = r->line + strspn(r->line, " \t");
        if (*p == 'S' || *p == 's') {
            selective = 1;
            s = need_line(r, "coordinate mode", err);
        }
    }
    if (s == ENT_OK) {
        const char *p = r->line + strspn(r->line, " \t");
        if (strchr("CcKk", *p) && *p)
            cartesian = 1;
        else if (*p != 'D' && *p != 'd')
            s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno, "coordinate mode",
                            "expected Direct or Cartesian, got '%.40s'", p);
    }
    /* Scaling: VASP's universal factor, or a target volume. */
    double factor[3] = {scale[0], scale[1], scale[2]};
    if (s == ENT_OK && n_scale == 1 && scale[0] < 0) {
        double v = fabs(ent_frame_cell_volume(f));
        if (!(v > 0) || !isfinite(v))
            s = ent_rd_fail(r, err, ENT_EGEOMETRY, comment_line + 1, "scaling factor",
                            "negative factor (target volume) but the lattice has zero volume");
        else
            factor[0] = factor[1] = factor[2] = cbrt(-scale[0] / v);
    }
    if (s == ENT_OK) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                f->cell[3 * i + j] *= factor[j];
        f->has_cell = 1;
        f->pbc[0] = f->pbc[1] = f->pbc[2] = 1;
    }
    /* Positions. */
    ent_column *mask = NULL;
    size_t cap = 0;
    if (s == ENT_OK)
        s = ent_rd_frame_reserve(f, &cap, total < 256 ? total : 256, err);
    if (s == ENT_OK && selective)
        s = ent_rd_frame_add_column(f, "move_mask", ENT_VAL_BOOL, 3, cap, &mask, err);
    size_t spec = 0, left = sp && sp->n ? (size_t)sp->count[0] : 0;
    char field[64];
    for (size_t i = 0; s == ENT_OK && i < total; i++) {
        while (left == 0)
            left = (size_t)sp->count[++spec];
        left--;
        snprintf(field, sizeof field, "atom %zu position", i + 1);
        s = ent_rd_getline(r, err);
        if (s == ENT_EEOF) {
            s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno + 1, "truncated file",
                            "expected %zu position lines, found %zu", total, i);
            break;
        }
        if (s == ENT_OK)
            s = ent_rd_frame_reserve(f, &cap, i + 1, err);
        if (s != ENT_OK)
            break;
        f->n_atoms = i + 1;
        strcpy(f->species[i], sp->sym[spec]);
        double x[3];
        s = reals(r, field, 3, x, err);
        for (int j = 0; s == ENT_OK && j < 3; j++)
            if (!isfinite(x[j]))
                s = ent_rd_fail(r, err, ENT_EGEOMETRY, r->lineno, field,
                                "non-finite coordinate '%s'", r->tok[j]);
        if (s != ENT_OK)
            break;
        double *p = &f->positions[3 * i];
        if (cartesian) {
            for (int j = 0; j < 3; j++)
                p[j] = x[j] * factor[j];
        } else {
            for (int j = 0; j < 3; j++)
                p[j] = x[0] * f->cell[j] + x[1] * f->cell[3 + j] + x[2] * f->cell[6 + j];
        }
        if (selective) {
            snprintf(field, sizeof field, "atom %zu selective dynamics", i + 1);
            if (r->n_tok < 6) {
                s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                "expected 3 T/F flags after the coordinates, got %zu words",
                                r->n_tok - 3);
                break;
            }
            for (int j = 0; s == ENT_OK && j < 3; j++)
                if (!ent_rd_parse_bool(r->tok[3 + j], (int *)mask->data + 3 * i + j))
                    s = ent_rd_fail(r, err, ENT_EPARSE, r->lineno, field,
                                    "not a boolean (T/F) '%.40s'", r->tok[3 + j]);
        }
    }
    free(sp);
    if (s == ENT_OK)
        ent_rd_frame_trim(f);
    return s;
}

ent_status ent_poscar_next(ent_reader *r, ent_frame **out, ent_error *err)
{
    if (r->n_returned > 0)
        return ENT_EEOF; /* one frame per file; the rest (velocities, ...) is ignored */
    ent_status s = ent_rd_getline(r, err);
    if (s != ENT_OK)
        return s; /* empty file: no frames */
    size_t comment_line = r->lineno;
    char *comment = malloc(r->line_len + 1);
    if (!comment)
        return ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
    memcpy(comment, r->line, r->line_len + 1);
    int have_scale = 0;
    if (ent_rd_is_blank(comment)) {
        /* A blank comment is allowed, but a file of blank lines has no frame. */
        s = ent_rd_getline(r, err);
        if (s == ENT_OK && ent_rd_is_blank(r->line))
            s = ent_rd_expect_only_blank(r, err);
        have_scale = s == ENT_OK;
    }
    if (s == ENT_OK) {
        ent_frame *f = ent_frame_create(0);
        if (!f)
            s = ent_error_set(err, ENT_ENOMEM, "%s: out of memory", r->name);
        else {
            *out = f; /* destroyed by ent_reader_next on error */
            s = poscar_read(r, f, comment, comment_line, have_scale, err);
        }
    }
    free(comment);
    return s;
}
