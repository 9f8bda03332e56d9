/* `entrain entropy`: dataset entropy H and diversity D of the pooled environments of
 * one or more structure files, for one or several bandwidths in one kernel pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "info/compress.h"
#include "info/kernel.h"

static const char entropy_usage[] =
    "usage: entrain entropy FILE... [-k 32] [-c 5.0] [-b H | -b H1,H2,...] [--multicomponent] [--json]\n"
    "\n"
    "Entropy H = -(1/N) sum ln(p(x_i)/N) and diversity D = ln sum 1/p(x_i) (nats) of all\n"
    "atomic environments of the files, pooled. Default bandwidth 0.015.\n"
    "\n"
    "  -b H[,H2,...]      kernel bandwidth(s); several are computed in one pass\n"
    "  -k N, -c R         descriptor neighbours and cutoff (default 32, 5.0)\n"
    "  --multicomponent   per-species descriptor blocks\n"
    "  --format F, --types A,B   input format / LAMMPS type map (see 'descriptors')\n"
    "  --sample N         estimate on N environments drawn at random (without\n"
    "                     replacement), --runs R times (default 5), --seed S (default 0);\n"
    "                     entropy/diversity are then means, with entropy_std/diversity_std\n"
    "  --json             JSON: n_envs, k, cutoff, bandwidth, entropy, diversity,\n"
    "                     max_entropy (ln N); lists when several bandwidths are given\n"
    "  --threads N        OpenMP threads\n"
    "  --quests-compat    reproduce the reference QUESTS package where entrain differs\n";

/* Entropy and diversity on `runs` random samples of o->sample environments (without
 * replacement); means and standard deviations per bandwidth. */
static ent_status sampled_entropy(const cli_options *o, const cli_envs *e, size_t runs,
                                  double *H, double *D, double *H_std, double *D_std,
                                  ent_error *err)
{
    size_t n = (size_t)o->sample < e->n ? (size_t)o->sample : e->n, nh = o->n_bandwidths;
    size_t *idx = malloc(n * sizeof *idx);
    double *x = malloc(n * e->d * sizeof *x);
    ent_status s = idx && x ? ENT_OK : ent_error_set(err, ENT_ENOMEM, "out of memory");
    double h_run[CLI_MAX_BANDWIDTHS], d_run[CLI_MAX_BANDWIDTHS];
    for (size_t b = 0; b < nh; b++)
        H[b] = D[b] = H_std[b] = D_std[b] = 0;
    for (size_t r = 0; r < runs && s == ENT_OK; r++) {
        cli_progress("sampled entropy: run %zu of %zu", r + 1, runs);
        s = ent_compress_random(e->n, n, o->seed + r, idx, err);
        for (size_t i = 0; s == ENT_OK && i < n; i++)
            memcpy(x + i * e->d, e->x + idx[i] * e->d, e->d * sizeof *x);
        if (s == ENT_OK)
            s = ent_entropy(x, n, e->d, o->bandwidths, nh, h_run, d_run, NULL, err);
        for (size_t b = 0; s == ENT_OK && b < nh; b++) {
            H[b] += h_run[b];
            D[b] += d_run[b];
            H_std[b] += h_run[b] * h_run[b];
            D_std[b] += d_run[b] * d_run[b];
        }
    }
    cli_progress_done();
    for (size_t b = 0; b < nh; b++) {
        H[b] /= (double)runs;
        D[b] /= (double)runs;
        H_std[b] = sqrt(fmax(H_std[b] / (double)runs - H[b] * H[b], 0));
        D_std[b] = sqrt(fmax(D_std[b] / (double)runs - D[b] * D[b], 0));
    }
    free(idx);
    free(x);
    return s;
}

int cmd_entropy(int argc, char **argv)
{
    cli_options o = {.command = "entropy"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_BANDWIDTH | OPT_JSON | OPT_SAMPLE | OPT_SEED,
                       &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(entropy_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional < 1) {
        fprintf(stderr, "entrain entropy: need at least one FILE\n%s", entropy_usage);
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths == 0)
        o.bandwidths[o.n_bandwidths++] = 0.015;
    cli_apply_threads(&o);
    ent_error err = {0};
    cli_species sp = {0};
    cli_envs e = {0};
    ent_status s = ENT_OK;
    double H[CLI_MAX_BANDWIDTHS], D[CLI_MAX_BANDWIDTHS];
    double H_std[CLI_MAX_BANDWIDTHS] = {0}, D_std[CLI_MAX_BANDWIDTHS] = {0};
    size_t runs = o.runs ? (size_t)o.runs : 5;
    if (o.multicomponent)
        s = cli_species_collect(o.positional, o.n_positional, &o, &sp, &err);
    if (s == ENT_OK)
        s = cli_envs_load(o.positional, o.n_positional, &o, &sp, &e, &err);
    if (s == ENT_OK && o.sample == 0) {
        cli_progress("entropy of %zu environments", e.n);
        s = ent_entropy(e.x, e.n, e.d, o.bandwidths, o.n_bandwidths, H, D, NULL, &err);
        cli_progress_done();
    } else if (s == ENT_OK) {
        s = sampled_entropy(&o, &e, runs, H, D, H_std, D_std, &err);
    }
    if (s == ENT_OK) {
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "n_envs", (double)e.n);
            cJSON_AddNumberToObject(j, "n_frames", (double)e.n_frames);
            cJSON_AddNumberToObject(j, "k", o.desc.k);
            cJSON_AddNumberToObject(j, "cutoff", o.desc.cutoff);
            int as_list = o.single_bandwidth_given_as_list || o.n_bandwidths > 1;
            cli_json_add_per_bandwidth(j, "bandwidth", o.bandwidths, o.n_bandwidths, as_list);
            cli_json_add_per_bandwidth(j, "entropy", H, o.n_bandwidths, as_list);
            cli_json_add_per_bandwidth(j, "diversity", D, o.n_bandwidths, as_list);
            cli_json_add_number(j, "max_entropy", log((double)e.n));
            if (o.sample) {
                cJSON_AddNumberToObject(j, "sample", (double)(o.sample < (long)e.n ? (size_t)o.sample : e.n));
                cJSON_AddNumberToObject(j, "runs", (double)runs);
                cli_json_add_per_bandwidth(j, "entropy_std", H_std, o.n_bandwidths, as_list);
                cli_json_add_per_bandwidth(j, "diversity_std", D_std, o.n_bandwidths, as_list);
            }
            rc = cli_json_print(j);
        } else {
            printf("environments  %zu (%zu frames)\n", e.n, e.n_frames);
            printf("max entropy   %.6f nats (ln N)\n", log((double)e.n));
            if (o.sample)
                printf("estimated on %ld random environments, %zu runs (mean +- std)\n",
                       o.sample, runs);
            for (size_t b = 0; b < o.n_bandwidths; b++) {
                printf("h = %-9g  entropy %.10g nats  diversity %.10g", o.bandwidths[b],
                       H[b], D[b]);
                if (o.sample)
                    printf("  (std %.3g, %.3g)", H_std[b], D_std[b]);
                printf("\n");
            }
        }
    }
    cli_envs_free(&e);
    cli_species_free(&sp);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
