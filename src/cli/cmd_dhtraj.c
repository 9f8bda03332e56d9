/* `entrain dh-traj`: δH of every atom of every frame of a trajectory, against the frame
 * itself, all previous frames, or the first frame, streamed frame by frame. Rare events
 * and phase changes show as frames whose environments are novel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "info/kernel.h"

static const char traj_usage[] =
    "usage: entrain dh-traj TRAJ [--against self|previous|first] [-b H] [-o OUT.xyz|OUT.json] [--json]\n"
    "\n"
    "Per frame and per atom dH, streaming the trajectory frame by frame:\n"
    "  self      -ln p(x|frame): how unusual each environment is within its own frame\n"
    "  previous  against all environments of all earlier frames (default; the first frame\n"
    "            has nothing before it: +inf)\n"
    "  first     against the first frame\n"
    "\n"
    "  -o OUT.xyz   frames with a per-atom dH column and dH_mean, dH_std, dH_max info keys\n"
    "  -o OUT.json  per-frame statistics and per-atom values\n"
    "  --json       per-frame statistics on standard output (without -o: a table)\n"
    "Statistics are over finite values; n_inf counts +inf. JSON writes +inf as \"inf\".\n"
    "  -b H, -k, -c, --multicomponent, --format, --types, --threads, --quests-compat as for 'entropy'\n";

typedef struct frame_stats {
    double mean, std, min, max;
    size_t n_inf;
} frame_stats;

static frame_stats stats_of(const double *v, size_t n)
{
    frame_stats st = {0, 0, INFINITY, -INFINITY, 0};
    double sum = 0, sum2 = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isinf(v[i]) && v[i] > 0) {
            st.n_inf++;
            st.max = INFINITY;
            continue;
        }
        sum += v[i];
        sum2 += v[i] * v[i];
        st.min = fmin(st.min, v[i]);
        st.max = fmax(st.max, v[i]);
        m++;
    }
    st.mean = m ? sum / (double)m : NAN;
    st.std = m ? sqrt(fmax(sum2 / (double)m - st.mean * st.mean, 0)) : NAN;
    return st;
}

static cJSON *stats_json(size_t frame, size_t n_atoms, const frame_stats *st)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "frame", (double)frame);
    cJSON_AddNumberToObject(j, "n_atoms", (double)n_atoms);
    if (isnan(st->mean)) {
        cJSON_AddNullToObject(j, "mean");
        cJSON_AddNullToObject(j, "std");
    } else {
        cli_json_add_number(j, "mean", st->mean);
        cli_json_add_number(j, "std", st->std);
    }
    cli_json_add_number(j, "min", st->min);
    cli_json_add_number(j, "max", st->max);
    cJSON_AddNumberToObject(j, "n_inf", (double)st->n_inf);
    return j;
}

int cmd_dh_traj(int argc, char **argv)
{
    cli_options o = {.command = "dh-traj"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_BANDWIDTH | OPT_OUTPUT | OPT_JSON | OPT_AGAINST,
                       &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(traj_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 1) {
        fprintf(stderr, "entrain dh-traj: need exactly one TRAJ\n%s", traj_usage);
        return CLI_EXIT_USAGE;
    }
    char kind = o.output ? cli_output_kind(o.output) : 0;
    if (o.output && kind != 'x' && kind != 'j') {
        fprintf(stderr, "entrain dh-traj: -o %s: output must end in .xyz or .json\n", o.output);
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths > 1) {
        fprintf(stderr, "entrain dh-traj: -b takes a single bandwidth\n");
        return CLI_EXIT_USAGE;
    }
    double h = o.n_bandwidths ? o.bandwidths[0] : 0.015;
    char against = o.against ? o.against[0] : 'p';
    cli_apply_threads(&o);

    ent_error err = {0};
    cli_species sp = {0};
    ent_status s = ENT_OK;
    if (o.multicomponent)
        s = cli_species_collect(o.positional, 1, &o, &sp, &err);
    FILE *out = NULL;
    if (s == ENT_OK && o.output && !(out = fopen(o.output, "w")))
        s = ent_error_set(&err, ENT_EIO, "%s: cannot open for writing", o.output);
    cli_frames *r = NULL;
    if (s == ENT_OK)
        s = cli_frames_open(o.positional[0], &o, &r, &err);

    /* The reference: earlier frames ('previous') or the first frame ('first'). */
    double *ref = NULL;
    size_t n_ref = 0, ref_cap = 0, d = 0, n_frames = 0;
    cJSON *frames_json = cJSON_CreateArray();
    int to_stdout_json = o.json, table = !o.json && !o.output;
    if (table)
        printf("%6s %7s %12s %12s %12s %12s %6s\n", "frame", "atoms", "dH mean", "dH std",
               "dH min", "dH max", "n_inf");
    ent_frame *f = NULL;
    while (s == ENT_OK && (s = cli_frames_next(r, &f, &err)) == ENT_OK) {
        double *x = NULL, *dh = NULL;
        s = cli_frame_descriptors(f, &o, &sp, &x, &d, &err);
        if (s == ENT_OK && !(dh = malloc((f->n_atoms ? f->n_atoms : 1) * sizeof *dh)))
            s = ent_error_set(&err, ENT_ENOMEM, "out of memory");
        if (s == ENT_OK && f->n_atoms) {
            if (against == 's') {
                s = ent_entropy(x, f->n_atoms, d, &h, 1, NULL, NULL, dh, &err);
                for (size_t i = 0; s == ENT_OK && i < f->n_atoms; i++)
                    dh[i] = -log(dh[i]);
            } else if (n_ref == 0) {
                for (size_t i = 0; i < f->n_atoms; i++)
                    dh[i] = INFINITY; /* nothing to compare with yet */
            } else {
                s = ent_delta_entropy(x, f->n_atoms, ref, n_ref, d, &h, 1, dh, &err);
            }
        }
        /* Grow the reference: every frame for 'previous', only the first for 'first'. */
        if (s == ENT_OK && (against == 'p' || (against == 'f' && n_frames == 0))) {
            if (n_ref + f->n_atoms > ref_cap) {
                size_t cap = ref_cap ? ref_cap : 1024;
                while (cap < n_ref + f->n_atoms)
                    cap *= 2;
                double *p = realloc(ref, cap * d * sizeof *p);
                if (!p)
                    s = ent_error_set(&err, ENT_ENOMEM, "out of memory for %zu environments", cap);
                else {
                    ref = p;
                    ref_cap = cap;
                }
            }
            if (s == ENT_OK) {
                memcpy(ref + n_ref * d, x, f->n_atoms * d * sizeof *x);
                n_ref += f->n_atoms;
            }
        }
        if (s == ENT_OK) {
            frame_stats st = stats_of(dh, f->n_atoms);
            if (table)
                printf("%6zu %7zu %12.6g %12.6g %12.6g %12.6g %6zu\n", n_frames, f->n_atoms,
                       st.mean, st.std, st.min, st.max, st.n_inf);
            if (to_stdout_json || kind == 'j') {
                cJSON *fj = stats_json(n_frames, f->n_atoms, &st);
                if (kind == 'j') {
                    cJSON *arr = cJSON_AddArrayToObject(fj, "dH");
                    for (size_t i = 0; i < f->n_atoms; i++)
                        cJSON_AddItemToArray(arr, cli_json_number(dh[i]));
                }
                cJSON_AddItemToArray(frames_json, fj);
            }
            if (kind == 'x') {
                s = ent_frame_column_set_real(f, "dH", 1, dh, &err);
                if (s == ENT_OK)
                    s = ent_frame_info_set_real(f, "dH_mean", st.mean, &err);
                if (s == ENT_OK)
                    s = ent_frame_info_set_real(f, "dH_std", st.std, &err);
                if (s == ENT_OK)
                    s = ent_frame_info_set_real(f, "dH_max", st.max, &err);
                if (s == ENT_OK)
                    s = ent_extxyz_write(out, f, &err);
            }
            cli_progress("frame %zu (%zu reference environments)", n_frames, n_ref);
            n_frames++;
        }
        free(x);
        free(dh);
        ent_frame_destroy(f);
    }
    if (s == ENT_EEOF)
        s = n_frames ? ENT_OK
                     : ent_error_set(&err, ENT_EPARSE, "%s: no frames", o.positional[0]);
    cli_progress_done();
    cli_frames_close(r);
    if (s == ENT_OK && (to_stdout_json || kind == 'j')) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "against",
                                against == 's' ? "self" : against == 'f' ? "first" : "previous");
        cli_json_add_number(root, "bandwidth", h);
        cJSON_AddNumberToObject(root, "n_frames", (double)n_frames);
        cJSON_AddItemToObject(root, "frames", frames_json);
        frames_json = NULL;
        if (kind == 'j') {
            char *text = cJSON_Print(root);
            if (!text || fputs(text, out) < 0 || fputc('\n', out) == EOF)
                s = ent_error_set(&err, ENT_EIO, "%s: write failed", o.output);
            free(text);
        }
        if (s == ENT_OK && to_stdout_json) {
            if (kind == 'j') { /* per-atom values went to the file; keep stdout short */
                cJSON *fr;
                cJSON_ArrayForEach(fr, cJSON_GetObjectItem(root, "frames"))
                    cJSON_DeleteItemFromObject(fr, "dH");
            }
            rc = cli_json_print(root);
        } else {
            cJSON_Delete(root);
        }
    }
    cJSON_Delete(frames_json);
    if (out && fclose(out) != 0 && s == ENT_OK)
        s = ent_error_set(&err, ENT_EIO, "%s: write failed", o.output);
    free(ref);
    cli_species_free(&sp);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
