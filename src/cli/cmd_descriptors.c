/* `entrain descriptors`: per-atom QUESTS descriptors of structure files to .npy / .csv,
 * and `entrain bandwidth`: the QUESTS bandwidth for an atomic volume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "info/kernel.h"
#include "io/npy.h"

static const char descriptors_usage[] =
    "usage: entrain descriptors FILE... [-k 32] [-c 5.0] [--multicomponent] -o OUT.npy|OUT.csv\n"
    "\n"
    "Per-atom QUESTS descriptors (float64, one row per atom, frames in file order,\n"
    "columns [x1 (k) | x2 (k-1)]; with --multicomponent\n"
    "[x1_all | x1_s1 ... | x2_all | x2_s1 ...], species sorted by symbol).\n"
    "\n"
    "  -k N               neighbours per environment (default 32)\n"
    "  -c R               cutoff in Angstrom (default 5.0)\n"
    "  --multicomponent   add per-species blocks\n"
    "  -o FILE            .npy (NumPy, C order) or .csv (one row per atom)\n"
    "  --format F         extxyz | poscar | lammps-dump | auto (default: from the name)\n"
    "  --types A,B,...    element of LAMMPS types 1,2,... (dumps without an element column)\n"
    "  --json             print a JSON summary (n_envs, n_frames, n_columns, output)\n"
    "  --threads N        OpenMP threads\n"
    "  --quests-compat    reproduce the reference QUESTS package where entrain differs\n";

static ent_status write_csv(const char *path, const cli_envs *e, ent_error *err)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return ent_error_set(err, ENT_EIO, "%s: cannot open for writing", path);
    for (size_t i = 0; i < e->n; i++) {
        const double *row = e->x + i * e->d;
        for (size_t j = 0; j < e->d; j++)
            fprintf(fp, j ? ",%.17g" : "%.17g", row[j]);
        fputc('\n', fp);
    }
    if (ferror(fp) | (fclose(fp) != 0))
        return ent_error_set(err, ENT_EIO, "%s: write failed", path);
    return ENT_OK;
}

int cmd_descriptors(int argc, char **argv)
{
    cli_options o = {.command = "descriptors"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_OUTPUT | OPT_JSON, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(descriptors_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional < 1 || !o.output) {
        fprintf(stderr, "entrain descriptors: need at least one FILE and -o OUT\n%s",
                descriptors_usage);
        return CLI_EXIT_USAGE;
    }
    char kind = cli_output_kind(o.output);
    if (kind != 'n' && kind != 'c') {
        fprintf(stderr, "entrain descriptors: -o %s: output must end in .npy or .csv\n",
                o.output);
        return CLI_EXIT_USAGE;
    }
    cli_apply_threads(&o);
    ent_error err = {0};
    cli_species sp = {0};
    cli_envs e = {0};
    ent_status s = ENT_OK;
    if (o.multicomponent)
        s = cli_species_collect(o.positional, o.n_positional, &o, &sp, &err);
    if (s == ENT_OK)
        s = cli_envs_load(o.positional, o.n_positional, &o, &sp, &e, &err);
    if (s == ENT_OK)
        s = kind == 'n' ? ent_npy_write(o.output, e.x, e.n, e.d, &err)
                        : write_csv(o.output, &e, &err);
    if (s == ENT_OK && o.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "n_envs", (double)e.n);
        cJSON_AddNumberToObject(j, "n_frames", (double)e.n_frames);
        cJSON_AddNumberToObject(j, "n_columns", (double)e.d);
        cJSON_AddNumberToObject(j, "k", o.desc.k);
        cJSON_AddNumberToObject(j, "cutoff", o.desc.cutoff);
        if (o.multicomponent) {
            cJSON *arr = cJSON_AddArrayToObject(j, "species");
            for (int i = 0; i < sp.n; i++)
                cJSON_AddItemToArray(arr, cJSON_CreateString(sp.symbols[i]));
        }
        cJSON_AddStringToObject(j, "output", o.output);
        rc = cli_json_print(j);
    } else if (s == ENT_OK) {
        printf("%zu environments x %zu columns from %zu frames -> %s\n", e.n, e.d,
               e.n_frames, o.output);
    }
    cli_envs_free(&e);
    cli_species_free(&sp);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}

static const char bandwidth_usage[] =
    "usage: entrain bandwidth VOLUME [--method gaussian|cutoff] [--json]\n"
    "\n"
    "Kernel bandwidth h for an atomic volume (Angstrom^3 per atom), as QUESTS'\n"
    "get_bandwidth: gaussian (default) or cutoff fit.\n";

int cmd_bandwidth(int argc, char **argv)
{
    cli_options o = {.command = "bandwidth"};
    int rc = cli_parse(argc, argv, OPT_METHOD | OPT_JSON, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(bandwidth_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 1) {
        fprintf(stderr, "entrain bandwidth: need exactly one VOLUME\n%s", bandwidth_usage);
        return CLI_EXIT_USAGE;
    }
    char *end;
    double v = strtod(o.positional[0], &end);
    if (end == o.positional[0] || *end || !isfinite(v) || v <= 0) {
        fprintf(stderr, "entrain bandwidth: VOLUME must be a positive number, got '%s'\n",
                o.positional[0]);
        return CLI_EXIT_USAGE;
    }
    const char *method = o.method ? o.method : "gaussian";
    ent_bandwidth_method m;
    if (!strcmp(method, "gaussian"))
        m = ENT_BANDWIDTH_GAUSSIAN;
    else if (!strcmp(method, "cutoff"))
        m = ENT_BANDWIDTH_CUTOFF;
    else {
        fprintf(stderr, "entrain bandwidth: --method must be gaussian or cutoff, got '%s'\n",
                method);
        return CLI_EXIT_USAGE;
    }
    ent_error err = {0};
    double h;
    ent_status s = ent_bandwidth(v, m, &h, &err);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    if (!o.json) {
        printf("%.17g\n", h);
        return CLI_EXIT_OK;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "volume", v);
    cJSON_AddStringToObject(j, "method", method);
    cJSON_AddNumberToObject(j, "bandwidth", h);
    return cli_json_print(j);
}
