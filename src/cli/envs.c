/* Loading descriptor sets for the analysis commands: stream each file frame by frame,
 * compute the frame's descriptors, append them to one pooled row-major array. Only the
 * descriptors (n x d doubles) are kept, never the structures. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int symbol_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int species_index(const cli_species *sp, const char *sym)
{
    const char *hit = bsearch(sym, sp->symbols, (size_t)sp->n, ENT_SYMBOL_MAX, symbol_cmp);
    return hit ? (int)((hit - (const char *)sp->symbols) / ENT_SYMBOL_MAX) : -1;
}

ent_status cli_species_collect(char **files, int n_files, const cli_options *o,
                               cli_species *sp, ent_error *err)
{
    memset(sp, 0, sizeof *sp);
    int cap = 0;
    for (int fi = 0; fi < n_files; fi++) {
        ent_reader *r = NULL;
        ent_status s = ent_reader_open(files[fi], &o->reader, &r, err);
        if (s != ENT_OK)
            return s;
        ent_frame *f = NULL;
        while ((s = ent_reader_next(r, &f, err)) == ENT_OK) {
            for (size_t i = 0; i < f->n_atoms; i++) {
                if (species_index(sp, f->species[i]) >= 0)
                    continue;
                if (sp->n == cap) {
                    cap = cap ? 2 * cap : 8;
                    void *p = realloc(sp->symbols, (size_t)cap * ENT_SYMBOL_MAX);
                    if (!p) {
                        ent_frame_destroy(f);
                        ent_reader_close(r);
                        return ent_error_set(err, ENT_ENOMEM, "out of memory");
                    }
                    sp->symbols = p;
                }
                memcpy(sp->symbols[sp->n++], f->species[i], ENT_SYMBOL_MAX);
                qsort(sp->symbols, (size_t)sp->n, ENT_SYMBOL_MAX, symbol_cmp);
            }
            ent_frame_destroy(f);
        }
        ent_reader_close(r);
        if (s != ENT_EEOF)
            return s;
    }
    return ENT_OK;
}

void cli_species_free(cli_species *sp)
{
    free(sp->symbols);
    memset(sp, 0, sizeof *sp);
}

ent_status cli_frame_descriptors(const ent_frame *f, const cli_options *o,
                                 const cli_species *sp, double **out, size_t *d,
                                 ent_error *err)
{
    size_t width = o->multicomponent ? ent_descriptor_multi_width(o->desc.k, sp->n)
                                     : ent_descriptor_width(o->desc.k);
    double *x = malloc((f->n_atoms ? f->n_atoms : 1) * width * sizeof *x);
    int *species = NULL;
    if (!x)
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu descriptors",
                             f->n_atoms);
    ent_status s;
    if (o->multicomponent) {
        species = malloc((f->n_atoms ? f->n_atoms : 1) * sizeof *species);
        if (!species) {
            free(x);
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < f->n_atoms; i++)
            species[i] = species_index(sp, f->species[i]);
        s = ent_descriptors_multi(f->positions, f->n_atoms, f->cell, f->pbc, species, sp->n,
                                  &o->desc, x, err);
        free(species);
    } else {
        s = ent_descriptors(f->positions, f->n_atoms, f->cell, f->pbc, &o->desc, x, err);
    }
    if (s != ENT_OK) {
        free(x);
        return s;
    }
    *out = x;
    *d = width;
    return ENT_OK;
}

static ent_status envs_reserve(cli_envs *e, size_t rows, ent_error *err)
{
    if (e->n + rows <= e->cap)
        return ENT_OK;
    size_t cap = e->cap ? e->cap : 1024;
    while (cap < e->n + rows)
        cap *= 2;
    double *x = realloc(e->x, cap * e->d * sizeof *x);
    if (!x)
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu environments", cap);
    e->x = x;
    e->cap = cap;
    return ENT_OK;
}

ent_status cli_envs_load(char **files, int n_files, const cli_options *o,
                         const cli_species *sp, cli_envs *e, ent_error *err)
{
    memset(e, 0, sizeof *e);
    size_t offsets_cap = 0, n_periodic_atoms = 0;
    double periodic_volume = 0;
    ent_status s = ENT_OK;
    for (int fi = 0; fi < n_files && s == ENT_OK; fi++) {
        ent_reader *r = NULL;
        s = ent_reader_open(files[fi], &o->reader, &r, err);
        if (s != ENT_OK)
            break;
        ent_frame *f = NULL;
        while ((s = ent_reader_next(r, &f, err)) == ENT_OK) {
            double *x = NULL;
            size_t d = 0;
            s = cli_frame_descriptors(f, o, sp, &x, &d, err);
            if (s != ENT_OK) {
                ent_error_set(err, s, "%s: frame %zu: %s", files[fi],
                              ent_reader_frame_index(r), err->msg);
                ent_frame_destroy(f);
                break;
            }
            e->d = d;
            if (e->n_frames + 2 > offsets_cap) {
                offsets_cap = offsets_cap ? 2 * offsets_cap : 64;
                size_t *p = realloc(e->frame_offsets, offsets_cap * sizeof *p);
                if (!p) {
                    free(x);
                    ent_frame_destroy(f);
                    s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                    break;
                }
                e->frame_offsets = p;
            }
            s = envs_reserve(e, f->n_atoms, err);
            if (s == ENT_OK) {
                memcpy(e->x + e->n * d, x, f->n_atoms * d * sizeof *x);
                e->frame_offsets[e->n_frames] = e->n;
                e->n += f->n_atoms;
                e->n_frames++;
                e->frame_offsets[e->n_frames] = e->n;
                if (f->has_cell && f->pbc[0] && f->pbc[1] && f->pbc[2] && f->n_atoms) {
                    periodic_volume += fabs(ent_frame_cell_volume(f));
                    n_periodic_atoms += f->n_atoms;
                }
                cli_progress("%s: %zu frames, %zu environments", files[fi], e->n_frames,
                             e->n);
            }
            free(x);
            ent_frame_destroy(f);
            if (s != ENT_OK)
                break;
        }
        ent_reader_close(r);
        if (s == ENT_EEOF)
            s = ENT_OK;
    }
    cli_progress_done();
    if (s == ENT_OK && e->n == 0)
        s = ent_error_set(err, ENT_EPARSE, "%s%s: no atoms found (empty input)", files[0],
                          n_files > 1 ? " and the other files" : "");
    if (s != ENT_OK) {
        cli_envs_free(e);
        return s;
    }
    e->volume_per_atom = n_periodic_atoms ? periodic_volume / (double)n_periodic_atoms : 0;
    return ENT_OK;
}

void cli_envs_free(cli_envs *e)
{
    free(e->x);
    free(e->frame_offsets);
    memset(e, 0, sizeof *e);
}
