/* Loading descriptor sets for the analysis commands: stream each file frame by frame,
 * compute the frame's descriptors, append them to one pooled row-major array. Only the
 * descriptors (n x d doubles) are kept, never the structures. An input may also be a
 * campaign database with a selector (DB, DB:labelled, DB:generation=3, DB:tag=T,
 * DB:status=S, or several joined with ','): its structures, in stored order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

/* ---------------------------------------------------------------------------------------
 * Database inputs */

typedef struct db_input {
    char path[4096];
    char tag[256];
    char status[32];
    ent_store_filter filter;
} db_input;

static int is_sqlite_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    char magic[16] = {0};
    size_t n = fread(magic, 1, sizeof magic, fp);
    fclose(fp);
    return n == sizeof magic && !memcmp(magic, "SQLite format 3", 16);
}

/* One selector term into the filter. */
static ent_status db_term(db_input *in, const char *t, size_t len, const char *spec,
                          ent_error *err)
{
    char term[300];
    if (len >= sizeof term)
        return ent_error_set(err, ENT_EINVAL, "%s: selector too long", spec);
    memcpy(term, t, len);
    term[len] = 0;
    char *eq = strchr(term, '=');
    char *v = eq ? eq + 1 : NULL;
    if (eq)
        *eq = 0;
    if (!strcmp(term, "all") && !v)
        return ENT_OK;
    if (!strcmp(term, "labelled") && !v)
        v = "labelled", strcpy(term, "status");
    if (v && !strcmp(term, "generation")) {
        char *end;
        long g = strtol(v, &end, 10);
        if (*v && !*end && g >= 0) {
            in->filter.generation = g;
            in->filter.has_generation = 1;
            return ENT_OK;
        }
    } else if (v && !strcmp(term, "status") &&
               ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, v) >= 0) {
        snprintf(in->status, sizeof in->status, "%s", v);
        in->filter.status = in->status;
        return ENT_OK;
    } else if (v && !strcmp(term, "tag") && *v) {
        snprintf(in->tag, sizeof in->tag, "%s", v);
        in->filter.tag = in->tag;
        return ENT_OK;
    }
    return ent_error_set(err, ENT_EINVAL,
                         "%s: unknown database selector '%.*s' (use labelled, all, "
                         "generation=N, status=S, tag=T, joined with ',')",
                         spec, (int)len, t);
}

/* 1 if spec names a campaign database (with or without ":selector"), filling in; 0 if it
 * is an ordinary file; -1 with err set for a database with a bad selector. A path that
 * itself holds ':' is taken whole when it exists. */
static int db_parse(const char *spec, db_input *in, ent_error *err)
{
    memset(in, 0, sizeof *in);
    if (is_sqlite_file(spec)) {
        snprintf(in->path, sizeof in->path, "%s", spec);
        return 1;
    }
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof in->path)
        return 0;
    memcpy(in->path, spec, (size_t)(colon - spec));
    in->path[colon - spec] = 0;
    if (!is_sqlite_file(in->path))
        return 0;
    for (const char *t = colon + 1;;) {
        size_t len = strcspn(t, ",");
        if (db_term(in, t, len, spec, err) != ENT_OK)
            return -1;
        if (!t[len])
            break;
        t += len + 1;
    }
    return 1;
}

/* As `status` does: a plain reader (a file of an older schema is upgraded first). */
static ent_status db_open(const db_input *in, ent_store **st, ent_error *err)
{
    return ent_store_open(in->path, NULL, st, err);
}

static int symbol_cmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int species_index(const cli_species *sp, const char *sym)
{
    const char *hit = bsearch(sym, sp->symbols, (size_t)sp->n, ENT_SYMBOL_MAX, symbol_cmp);
    return hit ? (int)((hit - (const char *)sp->symbols) / ENT_SYMBOL_MAX) : -1;
}

static ent_status species_add(cli_species *sp, int *cap, const char *sym, size_t len,
                              ent_error *err)
{
    char key[ENT_SYMBOL_MAX] = {0};
    if (len == 0 || len >= ENT_SYMBOL_MAX)
        return ent_error_set(err, ENT_EPARSE, "invalid species symbol '%.*s'", (int)len,
                             sym);
    memcpy(key, sym, len);
    if (species_index(sp, key) >= 0)
        return ENT_OK;
    if (sp->n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        void *p = realloc(sp->symbols, (size_t)*cap * ENT_SYMBOL_MAX);
        if (!p)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        sp->symbols = p;
    }
    memcpy(sp->symbols[sp->n++], key, ENT_SYMBOL_MAX);
    qsort(sp->symbols, (size_t)sp->n, ENT_SYMBOL_MAX, symbol_cmp);
    return ENT_OK;
}

static ent_status db_species(const db_input *in, cli_species *sp, int *cap, ent_error *err)
{
    ent_store *st = NULL;
    char *list = NULL;
    ent_status s = db_open(in, &st, err);
    if (s == ENT_OK)
        s = ent_store_species(st, &in->filter, &list, err);
    for (const char *p = list; s == ENT_OK && p && *p;) {
        size_t len = strcspn(p, " ");
        s = species_add(sp, cap, p, len, err);
        p += len + (p[len] == ' ');
    }
    free(list);
    ent_store_close(st);
    return s;
}

ent_status cli_species_collect(char **files, int n_files, const cli_options *o,
                               cli_species *sp, ent_error *err)
{
    memset(sp, 0, sizeof *sp);
    int cap = 0;
    for (int fi = 0; fi < n_files; fi++) {
        db_input in;
        int is_db = db_parse(files[fi], &in, err);
        if (is_db < 0)
            return ENT_EINVAL;
        ent_status s = is_db ? db_species(&in, sp, &cap, err) : ENT_OK;
        if (is_db) {
            if (s != ENT_OK)
                return s;
            continue;
        }
        ent_reader *r = NULL;
        s = ent_reader_open(files[fi], &o->reader, &r, err);
        if (s != ENT_OK)
            return s;
        ent_frame *f = NULL;
        while ((s = ent_reader_next(r, &f, err)) == ENT_OK) {
            for (size_t i = 0; i < f->n_atoms && s == ENT_OK; i++)
                s = species_add(sp, &cap, f->species[i], strlen(f->species[i]), err);
            ent_frame_destroy(f);
            if (s != ENT_OK)
                break;
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

/* Running totals of a load besides the rows themselves. */
typedef struct envs_acc {
    size_t offsets_cap, n_periodic_atoms;
    double periodic_volume;
    const char *name; /* input being loaded, for progress */
} envs_acc;

/* Append one frame's n x d rows; volume = |cell volume| when periodic along all three
 * axes, else 0. */
static ent_status envs_append(cli_envs *e, envs_acc *a, const double *x, size_t n, size_t d,
                              double volume, ent_error *err)
{
    e->d = d;
    if (e->n_frames + 2 > a->offsets_cap) {
        a->offsets_cap = a->offsets_cap ? 2 * a->offsets_cap : 64;
        size_t *p = realloc(e->frame_offsets, a->offsets_cap * sizeof *p);
        if (!p)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        e->frame_offsets = p;
    }
    ent_status s = envs_reserve(e, n, err);
    if (s != ENT_OK)
        return s;
    memcpy(e->x + e->n * d, x, n * d * sizeof *x);
    e->frame_offsets[e->n_frames] = e->n;
    e->n += n;
    e->n_frames++;
    e->frame_offsets[e->n_frames] = e->n;
    if (volume > 0 && n) {
        a->periodic_volume += volume;
        a->n_periodic_atoms += n;
    }
    cli_progress("%s: %zu frames, %zu environments", a->name, e->n_frames, e->n);
    return ENT_OK;
}

static ent_status file_load(const char *file, const cli_options *o, const cli_species *sp,
                            cli_envs *e, envs_acc *a, ent_error *err)
{
    ent_reader *r = NULL;
    ent_status s = ent_reader_open(file, &o->reader, &r, err);
    if (s != ENT_OK)
        return s;
    ent_frame *f = NULL;
    while ((s = ent_reader_next(r, &f, err)) == ENT_OK) {
        double *x = NULL;
        size_t d = 0;
        s = cli_frame_descriptors(f, o, sp, &x, &d, err);
        if (s != ENT_OK) {
            char msg[ENT_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            ent_error_set(err, s, "%s: frame %zu: %s", file, ent_reader_frame_index(r),
                          msg);
        } else {
            int periodic = f->has_cell && f->pbc[0] && f->pbc[1] && f->pbc[2];
            s = envs_append(e, a, x, f->n_atoms, d,
                            periodic ? fabs(ent_frame_cell_volume(f)) : 0, err);
        }
        free(x);
        ent_frame_destroy(f);
        if (s != ENT_OK)
            break;
    }
    ent_reader_close(r);
    return s == ENT_EEOF ? ENT_OK : s;
}

/* The structures a selector names, in stored order. Their stored descriptors are read
 * (never recomputed) when the database holds a descriptor set made with exactly this
 * command's parameters (k, cutoff, --quests-compat and, with --multicomponent, the same
 * species list); a structure without descriptors in that set, or every structure when no
 * such set exists, gets its descriptors computed from the stored structure. */
static ent_status db_load(const db_input *in, const char *spec, const cli_options *o,
                          const cli_species *sp, cli_envs *e, envs_acc *a, ent_error *err)
{
    char species[4096] = "";
    for (int i = 0; o->multicomponent && i < sp->n; i++) {
        if (strlen(species) + ENT_SYMBOL_MAX + 1 >= sizeof species)
            return ent_error_set(err, ENT_EINVAL, "too many species");
        if (i)
            strcat(species, " ");
        strcat(species, sp->symbols[i]);
    }
    size_t width = o->multicomponent ? ent_descriptor_multi_width(o->desc.k, sp->n)
                                     : ent_descriptor_width(o->desc.k);
    ent_store_descriptor_params dp = {o->desc.k, o->desc.cutoff, species,
                                      o->desc.quests_compat};
    ent_store *st = NULL;
    int64_t set_id = 0, *ids = NULL;
    size_t set_width = 0, n_ids = 0;
    ent_status s = db_open(in, &st, err);
    if (s == ENT_OK)
        s = ent_store_read_begin(st, err);
    if (s == ENT_OK)
        s = ent_store_descriptor_set_find(st, &dp, &set_id, &set_width, err);
    if (s == ENT_OK && set_width != width)
        set_id = 0;
    if (s == ENT_OK)
        s = ent_store_structure_ids(st, &in->filter, &ids, &n_ids, err);
    for (size_t i = 0; i < n_ids && s == ENT_OK; i++) {
        size_t n = 0, d = width;
        double volume = 0, *x = NULL;
        int found = 0;
        s = ent_store_structure_size(st, ids[i], &n, &volume, err);
        if (s == ENT_OK && set_id) {
            if (!(x = malloc((n ? n : 1) * width * sizeof *x)))
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
            else
                s = ent_store_descriptor_get(st, ids[i], set_id, x, n, &found, err);
        }
        if (s == ENT_OK && !found) {
            ent_frame *f = NULL;
            free(x);
            x = NULL;
            s = ent_store_structure_get(st, ids[i], &f, NULL, err);
            if (s == ENT_OK)
                s = cli_frame_descriptors(f, o, sp, &x, &d, err);
            if (s != ENT_OK) {
                char msg[ENT_ERROR_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", err->msg);
                ent_error_set(err, s, "%s: structure %lld: %s", spec, (long long)ids[i],
                              msg);
            }
            ent_frame_destroy(f);
        }
        if (s == ENT_OK)
            s = envs_append(e, a, x, n, d, volume, err);
        free(x);
    }
    free(ids);
    ent_store_close(st); /* also ends the read snapshot */
    return s;
}

ent_status cli_envs_load(char **files, int n_files, const cli_options *o,
                         const cli_species *sp, cli_envs *e, ent_error *err)
{
    memset(e, 0, sizeof *e);
    envs_acc a = {0};
    ent_status s = ENT_OK;
    for (int fi = 0; fi < n_files && s == ENT_OK; fi++) {
        db_input in;
        int is_db = db_parse(files[fi], &in, err);
        a.name = files[fi];
        s = is_db < 0 ? ENT_EINVAL
            : is_db   ? db_load(&in, files[fi], o, sp, e, &a, err)
                      : file_load(files[fi], o, sp, e, &a, err);
    }
    cli_progress_done();
    if (s == ENT_OK && e->n == 0)
        s = ent_error_set(err, ENT_EPARSE, "%s%s: no atoms found (empty input)", files[0],
                          n_files > 1 ? " and the other files" : "");
    if (s != ENT_OK) {
        cli_envs_free(e);
        return s;
    }
    e->volume_per_atom =
        a.n_periodic_atoms ? a.periodic_volume / (double)a.n_periodic_atoms : 0;
    return ENT_OK;
}

void cli_envs_free(cli_envs *e)
{
    free(e->x);
    free(e->frame_offsets);
    memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------------------------------
 * Frame iteration over a file or a database selector, for commands that write frames
 * back out (dh -o OUT.xyz, compress -o, dh-traj, mcmc). */

struct cli_frames {
    ent_reader *reader; /* a file */
    ent_store *store;   /* or a database: ids in stored order, read in one snapshot */
    int64_t *ids;
    size_t n_ids, next;
};

ent_status cli_frames_open(const char *spec, const cli_options *o, cli_frames **out,
                           ent_error *err)
{
    cli_frames *fr = calloc(1, sizeof *fr);
    if (!fr)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    db_input in;
    int is_db = db_parse(spec, &in, err);
    ent_status s = ENT_OK;
    if (is_db < 0)
        s = ENT_EINVAL;
    else if (!is_db)
        s = ent_reader_open(spec, &o->reader, &fr->reader, err);
    else {
        s = db_open(&in, &fr->store, err);
        if (s == ENT_OK)
            s = ent_store_read_begin(fr->store, err);
        if (s == ENT_OK)
            s = ent_store_structure_ids(fr->store, &in.filter, &fr->ids, &fr->n_ids, err);
    }
    if (s != ENT_OK) {
        cli_frames_close(fr);
        return s;
    }
    *out = fr;
    return ENT_OK;
}

ent_status cli_frames_next(cli_frames *fr, ent_frame **f, ent_error *err)
{
    *f = NULL;
    if (fr->reader)
        return ent_reader_next(fr->reader, f, err);
    if (fr->next == fr->n_ids)
        return ENT_EEOF;
    return ent_store_structure_get(fr->store, fr->ids[fr->next++], f, NULL, err);
}

void cli_frames_close(cli_frames *fr)
{
    if (!fr)
        return;
    ent_reader_close(fr->reader);
    free(fr->ids);
    ent_store_close(fr->store); /* also ends the read snapshot */
    free(fr);
}
