/* `entrain mcmc`: δH-targeted Monte Carlo from a structure of REF towards a target mean
 * δH against all of REF's environments; writes the chain's frames with their δH. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "info/mcmc.h"

static const char mcmc_usage[] =
    "usage: entrain mcmc REF [--start I] [--steps N] [--target DH] [--seed S] [-o OUT.xyz] [--json]\n"
    "\n"
    "Metropolis Monte Carlo that moves a structure towards a target mean dH against all\n"
    "environments of REF: each step displaces every atom by a Gaussian (--step-size) and,\n"
    "with probability --strain, strains the cell; objective |mean dH - target|; the\n"
    "temperature falls geometrically from 0.5 to 0.005 nats over the steps (annealing);\n"
    "moves that bring atoms closer than --min-distance are rejected.\n"
    "\n"
    "  --start I          frame of REF to start from (default 0)\n"
    "  --steps N          Monte Carlo steps (default 500)\n"
    "  --target DH        target mean dH in nats (default 1.0)\n"
    "  --step-size S      displacement standard deviation, Angstrom (default 0.02)\n"
    "  --strain P         probability of a cell strain in a move (default 0; strain sd 0.01)\n"
    "  --min-distance D   closest allowed approach, Angstrom (default 1.0; 0 = no check)\n"
    "  --seed S           seed (default 0)\n"
    "  --every N          write every N-th step (default: 50 frames over the run)\n"
    "  -o OUT.xyz         frames with a per-atom dH column and step, mean_dH, temperature,\n"
    "                     acceptance info keys\n"
    "  --json             JSON: steps, accepted, acceptance, start_mean_dH, final_mean_dH,\n"
    "                     target, frames_written\n"
    "  -b H, -k, -c, --format, --types, --threads, --quests-compat as for 'entropy'\n";

typedef struct mcmc_ctx {
    const cli_options *o;
    ent_frame *frame; /* the structure being moved, written at recorded steps */
    FILE *out;
    size_t every, written;
    double start_mean, final_mean;
    size_t accepted, steps_done;
    ent_status status;
    ent_error *err;
} mcmc_ctx;

static int on_step(void *vctx, const ent_mcmc_state *st)
{
    mcmc_ctx *c = vctx;
    if (st->step == 0)
        c->start_mean = st->mean_dh;
    c->final_mean = st->mean_dh;
    c->accepted = st->accepted;
    c->steps_done = st->step;
    cli_progress("step %zu: mean dH %.4f, T %.4g, accepted %zu", st->step, st->mean_dh,
                 st->temperature, st->accepted);
    if (!c->out || st->step % c->every != 0)
        return 0;
    ent_frame *f = c->frame;
    memcpy(f->positions, st->positions, f->n_atoms * 3 * sizeof(double));
    memcpy(f->cell, st->cell, 9 * sizeof(double));
    ent_status s = ent_frame_column_set_real(f, "dH", 1, st->dh, c->err);
    if (s == ENT_OK) s = ent_frame_info_set_real(f, "step", (double)st->step, c->err);
    if (s == ENT_OK) s = ent_frame_info_set_real(f, "mean_dH", st->mean_dh, c->err);
    if (s == ENT_OK) s = ent_frame_info_set_real(f, "temperature", st->temperature, c->err);
    if (s == ENT_OK)
        s = ent_frame_info_set_real(f, "acceptance",
                                    st->step ? (double)st->accepted / (double)st->step : 0, c->err);
    if (s == ENT_OK)
        s = ent_extxyz_write(c->out, f, c->err);
    c->written++;
    c->status = s;
    return s != ENT_OK;
}

int cmd_mcmc(int argc, char **argv)
{
    cli_options o = {.command = "mcmc"};
    int rc = cli_parse(argc, argv,
                       OPT_DESC | OPT_BANDWIDTH | OPT_OUTPUT | OPT_JSON | OPT_SEED | OPT_MCMC, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(mcmc_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 1) {
        fprintf(stderr, "entrain mcmc: need exactly one REF\n%s", mcmc_usage);
        return CLI_EXIT_USAGE;
    }
    if (o.multicomponent || o.n_bandwidths > 1) {
        fprintf(stderr, "entrain mcmc: --multicomponent and several bandwidths are not supported\n");
        return CLI_EXIT_USAGE;
    }
    if (o.output && cli_output_kind(o.output) != 'x') {
        fprintf(stderr, "entrain mcmc: -o %s: output must end in .xyz\n", o.output);
        return CLI_EXIT_USAGE;
    }
    ent_mcmc_params p;
    ent_mcmc_params_default(&p);
    if (o.steps) p.steps = (size_t)o.steps;
    if (o.target_given) p.target = o.target;
    p.step_size = o.step_size;
    p.strain_prob = o.strain;
    p.min_distance = o.min_distance;
    p.seed = o.seed;
    p.desc = o.desc;
    if (o.n_bandwidths) p.h = o.bandwidths[0];
    cli_apply_threads(&o);

    ent_error err = {0};
    cli_envs ref = {0};
    ent_frame *start = NULL;
    ent_status s = cli_envs_load(o.positional, 1, &o, NULL, &ref, &err);
    if (s == ENT_OK && (size_t)o.start >= ref.n_frames)
        s = ent_error_set(&err, ENT_EINVAL, "--start %ld: %s has only %zu frames", o.start,
                          o.positional[0], ref.n_frames);
    if (s == ENT_OK) { /* read the starting frame again (only descriptors were kept) */
        cli_frames *r = NULL;
        s = cli_frames_open(o.positional[0], &o, &r, &err);
        for (long i = 0; s == ENT_OK && i <= o.start; i++) {
            ent_frame_destroy(start);
            start = NULL;
            s = cli_frames_next(r, &start, &err);
        }
        cli_frames_close(r);
    }
    mcmc_ctx ctx = {.o = &o, .frame = start, .err = &err};
    ctx.every = o.every ? (size_t)o.every : (p.steps >= 50 ? p.steps / 50 : 1);
    if (s == ENT_OK && o.output && !(ctx.out = fopen(o.output, "w")))
        s = ent_error_set(&err, ENT_EIO, "%s: cannot open for writing", o.output);
    if (s == ENT_OK) {
        double *pos = malloc(start->n_atoms * 3 * sizeof *pos);
        double cell[9];
        memcpy(cell, start->cell, sizeof cell);
        if (!pos)
            s = ent_error_set(&err, ENT_ENOMEM, "out of memory");
        else {
            memcpy(pos, start->positions, start->n_atoms * 3 * sizeof *pos);
            s = ent_mcmc_run(&p, pos, start->n_atoms, cell, start->pbc, ref.x, ref.n, ref.d,
                             on_step, &ctx, &err);
            if (s == ENT_OK)
                s = ctx.status;
        }
        free(pos);
    }
    cli_progress_done();
    if (ctx.out && fclose(ctx.out) != 0 && s == ENT_OK)
        s = ent_error_set(&err, ENT_EIO, "%s: write failed", o.output);
    if (s == ENT_OK) {
        double acc = ctx.steps_done ? (double)ctx.accepted / (double)ctx.steps_done : 0;
        if (o.json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "steps", (double)ctx.steps_done);
            cJSON_AddNumberToObject(j, "accepted", (double)ctx.accepted);
            cli_json_add_number(j, "acceptance", acc);
            cli_json_add_number(j, "target", p.target);
            cli_json_add_number(j, "start_mean_dH", ctx.start_mean);
            cli_json_add_number(j, "final_mean_dH", ctx.final_mean);
            cJSON_AddNumberToObject(j, "frames_written", (double)ctx.written);
            cJSON_AddNumberToObject(j, "n_reference", (double)ref.n);
            if (o.output)
                cJSON_AddStringToObject(j, "output", o.output);
            rc = cli_json_print(j);
        } else {
            printf("%zu steps, %zu accepted (%.1f%%): mean dH %.4f -> %.4f (target %.4f)\n",
                   ctx.steps_done, ctx.accepted, 100 * acc, ctx.start_mean, ctx.final_mean,
                   p.target);
            if (o.output)
                printf("%zu frames -> %s\n", ctx.written, o.output);
        }
    }
    ent_frame_destroy(start);
    cli_envs_free(&ref);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
