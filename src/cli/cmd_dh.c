/* `entrain dh` (differential entropy of each test environment against a reference set)
 * and `entrain overlap` (fraction of test environments already covered by the
 * reference). Both pool the environments of TEST and REF computed with the same
 * descriptor options; multicomponent columns use the species of both files together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "info/dh_index.h"
#include "info/kernel.h"
#include "io/npy.h"

static const char dh_usage[] =
    "usage: entrain dh TEST REF [-b H] [-o OUT.npy | OUT.xyz] [--json]\n"
    "\n"
    "Differential entropy dH(y|REF) = -ln sum_j K(y, x_j) of every environment y of TEST\n"
    "against all environments of REF (nats; > 0 means novel; +inf when no reference\n"
    "environment is within reach of the kernel).\n"
    "\n"
    "  -b H[,H2,...]      bandwidth(s) (default 0.015)\n"
    "  -o OUT.npy         dH per test environment (1-D; n_test x n_bandwidths if several)\n"
    "  -o OUT.xyz         TEST frames with a per-atom dH column (one value per bandwidth)\n"
    "  --json             JSON summary: n_test, n_reference, min, mean (of finite values,\n"
    "                     null if none), max, n_inf; +inf is written as the string \"inf\"\n"
    "  --approx           answer from an index of REF with a certified error: every dH is\n"
    "                     at most -ln(1 - E) nats above the exact value (the kernel mass\n"
    "                     left out is at most a fraction E); faster for large, varied REF\n"
    "  --rel-error E      E for --approx, in [0, 1) (default 1e-3; 0 = exact)\n"
    "  --index FILE       reuse the index saved in FILE when it was built from the same REF\n"
    "                     environments (checksum), else build it and save it there\n"
    "  -k, -c, --multicomponent, --format, --types, --threads, --quests-compat as for 'entropy'\n";

static const char overlap_usage[] =
    "usage: entrain overlap TEST REF [-b H] [--eps 1e-5] [--json]\n"
    "\n"
    "Fraction of TEST environments with dH(y|REF) < eps (default 1e-5, as QUESTS).\n"
    "  -b H               bandwidth (default 0.015)\n"
    "  --json             JSON: overlap, eps, bandwidth, n_test, n_reference\n"
    "  -k, -c, --multicomponent, --format, --types, --threads, --quests-compat as for 'entropy'\n";

/* Load TEST and REF environments with a common species list. */
static ent_status load_pair(cli_options *o, cli_envs *test, cli_envs *ref, ent_error *err)
{
    cli_species sp = {0};
    ent_status s = ENT_OK;
    if (o->multicomponent)
        s = cli_species_collect(o->positional, 2, o, &sp, err);
    if (s == ENT_OK)
        s = cli_envs_load(&o->positional[1], 1, o, &sp, ref, err);
    if (s == ENT_OK) {
        s = cli_envs_load(&o->positional[0], 1, o, &sp, test, err);
        if (s != ENT_OK)
            cli_envs_free(ref);
    }
    cli_species_free(&sp);
    return s;
}

/* Re-read TEST frame by frame and write it with a per-atom dH column. */
static ent_status write_xyz(const cli_options *o, const double *dh, size_t nh,
                            ent_error *err)
{
    FILE *fp = fopen(o->output, "w");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open for writing", o->output);
    cli_frames *r = NULL;
    ent_status s = cli_frames_open(o->positional[0], o, &r, err);
    size_t row = 0;
    ent_frame *f = NULL;
    while (s == ENT_OK && (s = cli_frames_next(r, &f, err)) == ENT_OK) {
        s = ent_frame_column_set_real(f, "dH", (int)nh, dh + row * nh, err);
        if (s == ENT_OK)
            s = ent_extxyz_write(fp, f, err);
        row += f->n_atoms;
        ent_frame_destroy(f);
    }
    if (s == ENT_EEOF)
        s = ENT_OK;
    cli_frames_close(r);
    if (fclose(fp) != 0 && s == ENT_OK)
        s = ent_error_set(err, ENT_EIO, "%s: write failed", o->output);
    return s;
}

typedef struct approx_info {
    int reused;           /* index loaded from --index */
    double build_seconds; /* 0 when reused */
    ent_dh_query_stats stats;
} approx_info;

/* δH from an index of the reference: loaded from --index when it matches the reference
 * rows' checksum, otherwise built (and saved to --index if given). */
static ent_status approx_dh(const cli_options *o, const cli_envs *test, const cli_envs *ref,
                            double *dh, approx_info *info, ent_error *err)
{
    ent_dh_index *ix = NULL;
    ent_status s = ENT_OK;
    memset(info, 0, sizeof *info);
    uint64_t sum = ent_dh_data_checksum(ref->x, ref->n, ref->d);
    if (o->index) {
        FILE *probe = fopen(o->index, "rb");
        if (probe) {
            fclose(probe);
            s = ent_dh_index_load(o->index, &ix, err);
            if (s != ENT_OK)
                return s;
            if (ent_dh_index_data_checksum(ix) != sum) { /* another reference: rebuild */
                ent_dh_index_destroy(ix);
                ix = NULL;
            } else {
                info->reused = 1;
            }
        }
    }
    if (!ix) {
        cli_progress("building the index of %zu reference environments", ref->n);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        s = ent_dh_index_build(ref->x, ref->n, ref->d, NULL, &ix, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        info->build_seconds =
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (s == ENT_OK && o->index)
            s = ent_dh_index_save(ix, o->index, err);
    }
    size_t nh = o->n_bandwidths;
    double *one = s == ENT_OK ? malloc((test->n ? test->n : 1) * sizeof *one) : NULL;
    if (s == ENT_OK && !one)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t b = 0; s == ENT_OK && b < nh; b++) {
        ent_dh_query_stats st = {0};
        cli_progress("approximate dH of %zu environments (h = %g)", test->n, o->bandwidths[b]);
        s = ent_dh_index_query(ix, test->x, test->n, o->bandwidths[b], o->rel_error, one, &st,
                               err);
        for (size_t i = 0; s == ENT_OK && i < test->n; i++)
            dh[i * nh + b] = one[i];
        info->stats.pairs_evaluated += st.pairs_evaluated;
        info->stats.max_missed = fmax(info->stats.max_missed, st.max_missed);
    }
    free(one);
    ent_dh_index_destroy(ix);
    return s;
}

static cJSON *dh_summary(const double *dh, size_t m, size_t nh, size_t b)
{
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    size_t n_inf = 0, n_finite = 0;
    for (size_t i = 0; i < m; i++) {
        double v = dh[i * nh + b];
        if (isinf(v) && v > 0) {
            n_inf++;
            mx = INFINITY;
            continue;
        }
        mn = fmin(mn, v);
        mx = fmax(mx, v);
        sum += v;
        n_finite++;
    }
    if (n_finite == 0)
        mn = INFINITY;
    cJSON *j = cJSON_CreateObject();
    cli_json_add_number(j, "min", mn);
    if (n_finite)
        cli_json_add_number(j, "mean", sum / (double)n_finite);
    else
        cJSON_AddNullToObject(j, "mean");
    cli_json_add_number(j, "max", mx);
    cJSON_AddNumberToObject(j, "n_inf", (double)n_inf);
    return j;
}

int cmd_dh(int argc, char **argv)
{
    cli_options o = {.command = "dh"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_BANDWIDTH | OPT_OUTPUT | OPT_JSON | OPT_APPROX,
                       &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(dh_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 2) {
        fprintf(stderr, "entrain dh: need exactly TEST and REF\n%s", dh_usage);
        return CLI_EXIT_USAGE;
    }
    char kind = o.output ? cli_output_kind(o.output) : 0;
    if (o.output && kind != 'n' && kind != 'x') {
        fprintf(stderr, "entrain dh: -o %s: output must end in .npy or .xyz\n", o.output);
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths == 0)
        o.bandwidths[o.n_bandwidths++] = 0.015;
    size_t nh = o.n_bandwidths;
    cli_apply_threads(&o);
    ent_error err = {0};
    cli_envs test = {0}, ref = {0};
    double *dh = NULL;
    approx_info approx = {0};
    ent_status s = load_pair(&o, &test, &ref, &err);
    if (s == ENT_OK && !(dh = malloc(test.n * nh * sizeof *dh)))
        s = ent_error_set(&err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK) {
        cli_progress("dH of %zu against %zu environments", test.n, ref.n);
        if (o.approx)
            s = approx_dh(&o, &test, &ref, dh, &approx, &err);
        else
            s = ent_delta_entropy(test.x, test.n, ref.x, ref.n, test.d, o.bandwidths, nh, dh,
                                  &err);
        cli_progress_done();
    }
    if (s == ENT_OK && kind == 'n')
        s = ent_npy_write(o.output, dh, test.n, nh > 1 ? nh : 0, &err);
    if (s == ENT_OK && kind == 'x')
        s = write_xyz(&o, dh, nh, &err);
    if (s == ENT_OK) {
        int as_list = o.single_bandwidth_given_as_list || nh > 1;
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "n_test", (double)test.n);
            cJSON_AddNumberToObject(j, "n_reference", (double)ref.n);
            cli_json_add_per_bandwidth(j, "bandwidth", o.bandwidths, nh, as_list);
            if (!as_list) {
                cJSON *sum = dh_summary(dh, test.n, 1, 0);
                cJSON *item;
                while ((item = sum->child)) {
                    cJSON_DetachItemViaPointer(sum, item);
                    cJSON_AddItemToObject(j, item->string, item);
                }
                cJSON_Delete(sum);
            } else {
                const char *keys[] = {"min", "mean", "max", "n_inf"};
                cJSON *sums[CLI_MAX_BANDWIDTHS];
                for (size_t b = 0; b < nh; b++)
                    sums[b] = dh_summary(dh, test.n, nh, b);
                for (size_t k = 0; k < 4; k++) {
                    cJSON *arr = cJSON_AddArrayToObject(j, keys[k]);
                    for (size_t b = 0; b < nh; b++)
                        cJSON_AddItemToArray(
                            arr, cJSON_DetachItemFromObject(sums[b], keys[k]));
                }
                for (size_t b = 0; b < nh; b++)
                    cJSON_Delete(sums[b]);
            }
            if (o.output)
                cJSON_AddStringToObject(j, "output", o.output);
            if (o.approx) {
                cJSON *a = cJSON_AddObjectToObject(j, "approx");
                cli_json_add_number(a, "rel_error", o.rel_error);
                cli_json_add_number(a, "max_dH_error", -log1p(-o.rel_error));
                cli_json_add_number(a, "max_missed_mass", approx.stats.max_missed);
                cli_json_add_number(a, "pairs_evaluated_fraction",
                                    (double)approx.stats.pairs_evaluated /
                                        ((double)test.n * (double)ref.n * (double)nh));
                cJSON_AddBoolToObject(a, "index_reused", approx.reused);
                cli_json_add_number(a, "build_seconds", approx.build_seconds);
                if (o.index)
                    cJSON_AddStringToObject(a, "index", o.index);
            }
            rc = cli_json_print(j);
        } else {
            printf("test environments       %zu\nreference environments  %zu\n", test.n,
                   ref.n);
            for (size_t b = 0; b < nh; b++) {
                cJSON *sum = dh_summary(dh, test.n, nh, b);
                char *txt = cJSON_PrintUnformatted(sum);
                printf("h = %-9g  dH %s\n", o.bandwidths[b], txt ? txt : "?");
                free(txt);
                cJSON_Delete(sum);
            }
        }
    }
    free(dh);
    cli_envs_free(&test);
    cli_envs_free(&ref);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}

int cmd_overlap(int argc, char **argv)
{
    cli_options o = {.command = "overlap"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_BANDWIDTH | OPT_EPS | OPT_JSON, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(overlap_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 2) {
        fprintf(stderr, "entrain overlap: need exactly TEST and REF\n%s", overlap_usage);
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths > 1) {
        fprintf(stderr, "entrain overlap: -b takes a single bandwidth\n");
        return CLI_EXIT_USAGE;
    }
    double h = o.n_bandwidths ? o.bandwidths[0] : 0.015;
    cli_apply_threads(&o);
    ent_error err = {0};
    cli_envs test = {0}, ref = {0};
    double overlap = 0;
    ent_status s = load_pair(&o, &test, &ref, &err);
    if (s == ENT_OK)
        s = ent_overlap(test.x, test.n, ref.x, ref.n, test.d, h, o.eps, &overlap, &err);
    if (s == ENT_OK) {
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            cli_json_add_number(j, "overlap", overlap);
            cli_json_add_number(j, "eps", o.eps);
            cli_json_add_number(j, "bandwidth", h);
            cJSON_AddNumberToObject(j, "n_test", (double)test.n);
            cJSON_AddNumberToObject(j, "n_reference", (double)ref.n);
            rc = cli_json_print(j);
        } else {
            printf("overlap %.10g (fraction of %zu test environments with dH < %g against "
                   "%zu reference environments, h = %g)\n",
                   overlap, test.n, o.eps, ref.n, h);
        }
    }
    cli_envs_free(&test);
    cli_envs_free(&ref);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
