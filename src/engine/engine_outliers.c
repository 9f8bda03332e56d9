/* Label checks set in the campaign's `validation` table beyond the basic ones of
 * engine_adapt.c: the largest force component, and per-atom energy outliers.
 *
 * Energy outliers: a label's energy per atom is compared with the accepted labels of the
 * same reduced formula (Al4 and Al32 are both "Al"; Al2O3 and Al4O6 are one formula). It
 * is rejected when it lies more than k robust standard deviations (1.4826 x the median
 * absolute deviation) from their median. Robust statistics because the reference itself
 * may hold the odd bad label; the check waits for ENG_OUTLIER_MIN_REFS references so a
 * young campaign is not judged on two numbers, and a zero MAD (identical energies) uses a
 * floor of 1 meV/atom so exact repeats never divide by zero. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_outliers.h"

#define ENG_OUTLIER_MIN_REFS 8
#define ENG_OUTLIER_MAD_FLOOR 1e-3 /* eV/atom */

typedef struct formula_group {
    char formula[256];
    double *e_per_atom;
    size_t n, cap;
    double median, sigma; /* robust sigma = 1.4826 MAD (floored) */
} formula_group;

struct eng_energy_ref {
    formula_group *groups;
    size_t n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* "Al2O3" from symbols (sorted alphabetically, counts divided by their gcd, 1 omitted).
 * Empty when the formula does not fit. */
void eng_reduced_formula(const char *const *symbols, size_t n, char *out, size_t size)
{
    out[0] = 0;
    if (n == 0)
        return;
    const char **s = malloc(n * sizeof *s);
    if (!s)
        return;
    memcpy(s, symbols, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_str);
    size_t g = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && !strcmp(s[i], s[j]); j++)
            ;
        g = gcd(g, j - i);
    }
    size_t len = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && !strcmp(s[i], s[j]); j++)
            ;
        size_t c = (j - i) / g;
        int w = c == 1 ? snprintf(out + len, size - len, "%s", s[i])
                       : snprintf(out + len, size - len, "%s%zu", s[i], c);
        if (w < 0 || (size_t)w >= size - len) {
            out[0] = 0;
            break;
        }
        len += (size_t)w;
    }
    free(s);
}

/* Split the store's "Al Al O" species text into symbols (pointers into buf). */
static size_t split_species(char *buf, const char **sym, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save))
        sym[n++] = tok;
    return n;
}

static formula_group *group_get(eng_energy_ref *r, const char *formula, int create)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->groups[i].formula, formula))
            return &r->groups[i];
    if (!create)
        return NULL;
    formula_group *g = realloc(r->groups, (r->n + 1) * sizeof *g);
    if (!g)
        return NULL;
    r->groups = g;
    g = &r->groups[r->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->formula, sizeof g->formula, "%s", formula);
    return g;
}

static int group_add(formula_group *g, double x)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        double *v = realloc(g->e_per_atom, cap * sizeof *v);
        if (!v)
            return -1;
        g->e_per_atom = v;
        g->cap = cap;
    }
    g->e_per_atom[g->n++] = x;
    return 0;
}

static double median_sorted(const double *x, size_t n)
{
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static void group_finish(formula_group *g)
{
    if (!g->n)
        return;
    qsort(g->e_per_atom, g->n, sizeof(double), cmp_dbl);
    g->median = median_sorted(g->e_per_atom, g->n);
    double *dev = malloc(g->n * sizeof *dev);
    double mad = 0;
    if (dev) {
        for (size_t i = 0; i < g->n; i++)
            dev[i] = fabs(g->e_per_atom[i] - g->median);
        qsort(dev, g->n, sizeof *dev, cmp_dbl);
        mad = median_sorted(dev, g->n);
        free(dev);
    }
    g->sigma = 1.4826 * (mad > ENG_OUTLIER_MAD_FLOOR ? mad : ENG_OUTLIER_MAD_FLOOR);
}

void eng_energy_ref_free(eng_energy_ref *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->groups[i].e_per_atom);
    free(r->groups);
    free(r);
}

ent_status eng_energy_ref_load(ent_store *st, eng_energy_ref **out, ent_error *err)
{
    *out = NULL;
    ent_store_energy_row *rows = NULL;
    size_t n = 0;
    ent_status s = ent_store_labelled_energies(st, &rows, &n, err);
    if (s != ENT_OK)
        return s;
    eng_energy_ref *r = calloc(1, sizeof *r);
    if (!r)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        if (rows[i].n_atoms == 0 || !isfinite(rows[i].energy))
            continue;
        const char **sym = malloc(rows[i].n_atoms * sizeof *sym);
        char formula[256] = "";
        if (sym) {
            size_t k = split_species(rows[i].species, sym, rows[i].n_atoms);
            eng_reduced_formula(sym, k, formula, sizeof formula);
            free(sym);
        }
        formula_group *g = formula[0] ? group_get(r, formula, 1) : NULL;
        if (!sym || (formula[0] && !g) ||
            (g && group_add(g, rows[i].energy / (double)rows[i].n_atoms) != 0))
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    ent_store_labelled_energies_free(rows, n);
    if (s != ENT_OK) {
        eng_energy_ref_free(r);
        return s;
    }
    for (size_t i = 0; i < r->n; i++)
        group_finish(&r->groups[i]);
    *out = r;
    return ENT_OK;
}

void eng_label_extra_check(const eng_energy_ref *ref, double energy_outlier, double max_force,
                           const ent_frame *f, double energy, const double *forces,
                           char *reason, size_t size)
{
    if (reason[0])
        return; /* already rejected: keep the first reason */
    if (max_force > 0 && forces) {
        for (size_t i = 0; i < 3 * f->n_atoms; i++)
            if (fabs(forces[i]) > max_force) {
                snprintf(reason, size,
                         "force component %.4g eV/A on atom %zu exceeds validation.max_force "
                         "= %g",
                         forces[i], i / 3, max_force);
                return;
            }
    }
    if (!(energy_outlier > 0) || !ref || f->n_atoms == 0 || !isfinite(energy))
        return;
    const char **sym = malloc(f->n_atoms * sizeof *sym);
    if (!sym)
        return;
    for (size_t i = 0; i < f->n_atoms; i++)
        sym[i] = f->species[i];
    char formula[256];
    eng_reduced_formula(sym, f->n_atoms, formula, sizeof formula);
    free(sym);
    const formula_group *g = NULL;
    for (size_t i = 0; formula[0] && i < ref->n; i++)
        if (!strcmp(ref->groups[i].formula, formula))
            g = &ref->groups[i];
    if (!g || g->n < ENG_OUTLIER_MIN_REFS)
        return;
    double epa = energy / (double)f->n_atoms, z = (epa - g->median) / g->sigma;
    if (fabs(z) > energy_outlier)
        snprintf(reason, size,
                 "energy outlier: %.6g eV/atom is %.1f robust standard deviations from the "
                 "median %.6g eV/atom of %zu accepted %s labels (validation.energy_outlier "
                 "= %g)",
                 epa, fabs(z), g->median, g->n, formula, energy_outlier);
}
