/* `entrain compress`: choose the structures of a data set that keep its information
 * (QUESTS compression), report the kept set's entropy, diversity and overlap, and
 * optionally write the kept frames. Structure indices refer to the frames of all input
 * files concatenated in order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "info/compress.h"
#include "info/kernel.h"

static const char compress_usage[] =
    "usage: entrain compress FILE... --method M --size S [--reference REF]... [-b H]\n"
    "                        [--seed N] [--min-fraction F] [-o OUT.xyz] [--json]\n"
    "\n"
    "Select S structures (frames) that keep the data set's information.\n"
    "\n"
    "  --method M       msc (default), msc_conditional (needs --reference), fps, random,\n"
    "                   mean_fps, kmeans\n"
    "  --size S         a fraction 0 < S <= 1 when written with a '.' or exponent (0.5,\n"
    "                   1.0, 5e-1), a count of structures when an integer (20); or\n"
    "                   'optimal': the size that maximises H*D of the kept set, searched\n"
    "                   over fractions from --min-fraction (default 0.1) to 1\n"
    "  --reference REF  data already kept (msc_conditional); repeat for several files\n"
    "  --seed N         seed for random and kmeans (default 0)\n"
    "  -b H             bandwidth (default 0.015)\n"
    "  -o OUT.xyz       write the kept frames, in data-set order\n"
    "  --json           JSON: method, bandwidth, indices (selection order), summary\n"
    "                   {entropy, diversity, overlap, original_size, compressed_size,\n"
    "                   original_envs, compressed_envs}; overlap is the fraction of all\n"
    "                   input environments with dH < 1e-5 against the kept set\n"
    "  -k, -c, --multicomponent, --format, --types, --threads, --quests-compat as for 'entropy'\n";

typedef enum { M_MSC, M_MSC_COND, M_FPS, M_RANDOM, M_MEAN_FPS, M_KMEANS } method_id;

static const char *const method_names[] = {"msc", "msc_conditional", "fps",
                                           "random", "mean_fps", "kmeans"};

typedef struct compress_job {
    cli_options *o;
    method_id method;
    double h;
    cli_envs data, ref;
    ent_structure_set set;
    double *entropies;
} compress_job;

/* Run the method for `size` structures; n_out receives how many were selected. */
static ent_status run_method(const compress_job *j, size_t size, size_t *sel, size_t *n_out,
                             ent_error *err)
{
    size_t S = j->set.n_structures;
    *n_out = size < S ? size : S;
    switch (j->method) {
    case M_MSC: return ent_compress_msc(&j->set, j->entropies, size, j->h, sel, err);
    case M_MSC_COND:
        return ent_compress_msc_conditional(&j->set, j->entropies, size, j->ref.x, j->ref.n,
                                            j->h, sel, n_out, err);
    case M_FPS: return ent_compress_fps(&j->set, j->entropies, size, sel, err);
    case M_RANDOM: return ent_compress_random(S, size, j->o->seed, sel, err);
    case M_MEAN_FPS: return ent_compress_mean_fps(&j->set, j->entropies, size, sel, err);
    case M_KMEANS: return ent_compress_kmeans(&j->set, size, j->o->seed, sel, err);
    }
    return ent_error_set(err, ENT_EINVAL, "unknown method");
}

/* Environments of the selected structures pooled in selection order (malloc'ed). */
static double *pool_selected(const compress_job *j, const size_t *sel, size_t n_sel,
                             size_t *n_envs)
{
    const size_t *off = j->data.frame_offsets, d = j->data.d;
    size_t n = 0;
    for (size_t i = 0; i < n_sel; i++)
        n += off[sel[i] + 1] - off[sel[i]];
    double *pool = malloc((n ? n : 1) * d * sizeof *pool);
    if (!pool)
        return NULL;
    size_t row = 0;
    for (size_t i = 0; i < n_sel; i++) {
        size_t len = off[sel[i] + 1] - off[sel[i]];
        memcpy(pool + row * d, j->data.x + off[sel[i]] * d, len * d * sizeof *pool);
        row += len;
    }
    *n_envs = n;
    return pool;
}

typedef struct summary {
    double entropy, diversity, overlap;
    size_t compressed_envs;
} summary;

static ent_status summarise(const compress_job *j, const size_t *sel, size_t n_sel,
                            int with_overlap, summary *out, ent_error *err)
{
    size_t n_envs = 0;
    double *pool = pool_selected(j, sel, n_sel, &n_envs);
    if (!pool)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_status s = ENT_OK;
    out->compressed_envs = n_envs;
    out->overlap = NAN;
    if (n_envs == 0) {
        out->entropy = out->diversity = 0;
        out->overlap = 0;
    } else {
        s = ent_entropy(pool, n_envs, j->data.d, &j->h, 1, &out->entropy, &out->diversity,
                        NULL, err);
        if (s == ENT_OK && with_overlap)
            s = ent_overlap(j->data.x, j->data.n, pool, n_envs, j->data.d, j->h, 1e-5,
                            &out->overlap, err);
    }
    free(pool);
    return s;
}

/* 'optimal': maximise H*D over the kept fraction, floor o->min_fraction. A coarse grid
 * of fractions, then every count between the best grid point's neighbours (at most 64
 * evaluations there). Greedy methods are nested, so one full ordering serves every size. */
static ent_status optimal_size(const compress_job *j, size_t *best_size, ent_error *err)
{
    size_t S = j->set.n_structures, n_full = 0;
    int nested = j->method != M_KMEANS;
    size_t *order = malloc(S * sizeof *order);
    if (!order)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_status s = nested ? run_method(j, S, order, &n_full, err) : ENT_OK;
    size_t lo = (size_t)ceil(j->o->min_fraction * (double)S);
    if (lo < 1)
        lo = 1;
    double best = -INFINITY;
    size_t best_n = S;
    size_t grid[21];
    size_t n_grid = 0;
    for (int g = 0; g <= 20; g++) {
        size_t n = lo + (size_t)llround((double)(S - lo) * g / 20.0);
        if (n_grid == 0 || grid[n_grid - 1] != n)
            grid[n_grid++] = n;
    }
    size_t best_g = 0;
    for (int pass = 0; pass < 2 && s == ENT_OK; pass++) {
        size_t from = 0, to = n_grid - 1, step = 1;
        size_t a = lo, b = S;
        if (pass == 1) { /* refine between the grid neighbours of the best point */
            a = grid[best_g > 0 ? best_g - 1 : 0];
            b = grid[best_g + 1 < n_grid ? best_g + 1 : n_grid - 1];
            step = (b - a) / 64 + 1;
            from = 0;
            to = (b - a) / step;
        }
        for (size_t i = from; i <= to && s == ENT_OK; i++) {
            size_t n = pass == 0 ? grid[i] : a + i * step;
            if (n > S)
                break;
            size_t n_sel = n;
            if (!nested)
                s = run_method(j, n, order, &n_sel, err);
            summary sm;
            if (s == ENT_OK)
                s = summarise(j, order, n_sel, 0, &sm, err);
            double score = s == ENT_OK ? sm.entropy * sm.diversity : -INFINITY;
            if (score > best) {
                best = score;
                best_n = n;
                if (pass == 0)
                    best_g = i;
            }
            cli_progress("optimal size: %zu structures, H*D = %.6g", n, score);
        }
    }
    cli_progress_done();
    free(order);
    *best_size = best_n;
    return s;
}

static ent_status parse_size(const compress_job *j, size_t *size, ent_error *err)
{
    const char *txt = j->o->size;
    size_t S = j->set.n_structures;
    if (!strcmp(txt, "optimal"))
        return optimal_size(j, size, err);
    char *end;
    double v = strtod(txt, &end);
    if (end == txt || *end || !isfinite(v) || v <= 0)
        return ent_error_set(err, ENT_EINVAL,
                             "--size: expected a fraction in (0, 1], a count or 'optimal', got '%s'",
                             txt);
    if (strpbrk(txt, ".eE")) {
        if (v > 1)
            return ent_error_set(err, ENT_EINVAL,
                                 "--size: fraction %s is above 1 (write a count without a '.')", txt);
        double n = ceil((double)S * v); /* QUESTS frac_to_size */
        *size = n < 1 ? 1 : (size_t)n > S ? S : (size_t)n;
        return ENT_OK;
    }
    if (v != floor(v))
        return ent_error_set(err, ENT_EINVAL, "--size: bad count '%s'", txt);
    if (v > (double)S)
        return ent_error_set(err, ENT_EINVAL,
                             "--size: %s structures asked for, but the input has only %zu", txt, S);
    *size = (size_t)v;
    return ENT_OK;
}

/* Re-read the inputs and write the selected frames in data-set order. */
static ent_status write_frames(const cli_options *o, const size_t *sel, size_t n_sel,
                               size_t n_structures, ent_error *err)
{
    unsigned char *keep = calloc(n_structures, 1);
    FILE *fp = keep ? fopen(o->output, "w") : NULL;
    if (!keep || !fp) {
        free(keep);
        return ent_error_set(err, keep ? ENT_EIO : ENT_ENOMEM, "%s: cannot open for writing",
                             o->output);
    }
    for (size_t i = 0; i < n_sel; i++)
        keep[sel[i]] = 1;
    ent_status s = ENT_OK;
    size_t index = 0;
    for (int fi = 0; fi < o->n_positional && s == ENT_OK; fi++) {
        cli_frames *r = NULL;
        s = cli_frames_open(o->positional[fi], o, &r, err);
        ent_frame *f = NULL;
        while (s == ENT_OK && (s = cli_frames_next(r, &f, err)) == ENT_OK) {
            if (index < n_structures && keep[index])
                s = ent_extxyz_write(fp, f, err);
            index++;
            ent_frame_destroy(f);
        }
        if (s == ENT_EEOF)
            s = ENT_OK;
        cli_frames_close(r);
    }
    if (fclose(fp) != 0 && s == ENT_OK)
        s = ent_error_set(err, ENT_EIO, "%s: write failed", o->output);
    free(keep);
    return s;
}

int cmd_compress(int argc, char **argv)
{
    cli_options o = {.command = "compress"};
    int rc = cli_parse(argc, argv,
                       OPT_DESC | OPT_BANDWIDTH | OPT_OUTPUT | OPT_JSON | OPT_METHOD |
                           OPT_SIZE | OPT_REFERENCE | OPT_SEED | OPT_MIN_FRACTION,
                       &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(compress_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional < 1 || !o.size) {
        fprintf(stderr, "entrain compress: need at least one FILE and --size\n%s",
                compress_usage);
        return CLI_EXIT_USAGE;
    }
    compress_job j = {.o = &o, .method = M_MSC};
    if (o.method) {
        size_t m = 0;
        while (m < sizeof method_names / sizeof *method_names && strcmp(o.method, method_names[m]))
            m++;
        if (m == sizeof method_names / sizeof *method_names) {
            fprintf(stderr, "entrain compress: --method: unknown method '%s' (msc, "
                            "msc_conditional, fps, random, mean_fps, kmeans)\n", o.method);
            return CLI_EXIT_USAGE;
        }
        j.method = (method_id)m;
    }
    if ((j.method == M_MSC_COND) != (o.n_references > 0)) {
        fprintf(stderr, "entrain compress: %s\n",
                j.method == M_MSC_COND ? "msc_conditional needs --reference FILE"
                                       : "--reference is only used by msc_conditional");
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths > 1) {
        fprintf(stderr, "entrain compress: -b takes a single bandwidth\n");
        return CLI_EXIT_USAGE;
    }
    if (o.output && cli_output_kind(o.output) != 'x') {
        fprintf(stderr, "entrain compress: -o %s: output must end in .xyz\n", o.output);
        return CLI_EXIT_USAGE;
    }
    j.h = o.n_bandwidths ? o.bandwidths[0] : 0.015;
    cli_apply_threads(&o);

    ent_error err = {0};
    cli_species sp = {0};
    ent_status s = ENT_OK;
    size_t *sel = NULL, size = 0, n_sel = 0;
    if (o.multicomponent) {
        /* One species list over inputs and references, so their columns agree. */
        char *all[2 * CLI_MAX_POSITIONAL];
        int n_all = 0;
        for (int i = 0; i < o.n_positional; i++)
            all[n_all++] = o.positional[i];
        for (int i = 0; i < o.n_references; i++)
            all[n_all++] = o.references[i];
        s = cli_species_collect(all, n_all, &o, &sp, &err);
    }
    if (s == ENT_OK)
        s = cli_envs_load(o.positional, o.n_positional, &o, &sp, &j.data, &err);
    if (s == ENT_OK && o.n_references)
        s = cli_envs_load(o.references, o.n_references, &o, &sp, &j.ref, &err);
    if (s == ENT_OK) {
        j.set = (ent_structure_set){j.data.x, j.data.d, j.data.frame_offsets,
                                    j.data.n_frames};
        j.entropies = malloc(j.data.n_frames * sizeof *j.entropies);
        sel = malloc(j.data.n_frames * sizeof *sel);
        if (!j.entropies || !sel)
            s = ent_error_set(&err, ENT_ENOMEM, "out of memory");
    }
    if (s == ENT_OK) {
        cli_progress("entropies of %zu structures", j.data.n_frames);
        s = ent_structure_entropies(&j.set, j.h, j.entropies, &err);
    }
    if (s == ENT_OK)
        s = parse_size(&j, &size, &err);
    if (s == ENT_OK) {
        cli_progress("%s compression to %zu of %zu structures", method_names[j.method], size,
                     j.data.n_frames);
        s = run_method(&j, size, sel, &n_sel, &err);
    }
    summary sm = {0};
    if (s == ENT_OK)
        s = summarise(&j, sel, n_sel, 1, &sm, &err);
    cli_progress_done();
    if (s == ENT_OK && o.output)
        s = write_frames(&o, sel, n_sel, j.data.n_frames, &err);
    if (s == ENT_OK) {
        if (o.json) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "method", method_names[j.method]);
            cli_json_add_number(root, "bandwidth", j.h);
            cJSON *idx = cJSON_AddArrayToObject(root, "indices");
            for (size_t i = 0; i < n_sel; i++)
                cJSON_AddItemToArray(idx, cJSON_CreateNumber((double)sel[i]));
            cJSON *sum = cJSON_AddObjectToObject(root, "summary");
            cli_json_add_number(sum, "entropy", sm.entropy);
            cli_json_add_number(sum, "diversity", sm.diversity);
            cli_json_add_number(sum, "overlap", sm.overlap);
            cJSON_AddNumberToObject(sum, "original_size", (double)j.data.n_frames);
            cJSON_AddNumberToObject(sum, "compressed_size", (double)n_sel);
            cJSON_AddNumberToObject(sum, "original_envs", (double)j.data.n);
            cJSON_AddNumberToObject(sum, "compressed_envs", (double)sm.compressed_envs);
            if (o.output)
                cJSON_AddStringToObject(root, "output", o.output);
            rc = cli_json_print(root);
        } else {
            printf("%s: kept %zu of %zu structures (%zu of %zu environments)\n",
                   method_names[j.method], n_sel, j.data.n_frames, sm.compressed_envs,
                   j.data.n);
            printf("entropy %.10g nats, diversity %.10g, overlap %.6g (dH < 1e-5, h = %g)\n",
                   sm.entropy, sm.diversity, sm.overlap, j.h);
            printf("indices:");
            for (size_t i = 0; i < n_sel; i++)
                printf(" %zu", sel[i]);
            printf("\n");
        }
    }
    free(sel);
    free(j.entropies);
    cli_envs_free(&j.data);
    cli_envs_free(&j.ref);
    cli_species_free(&sp);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
