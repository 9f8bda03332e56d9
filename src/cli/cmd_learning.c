/* `entrain learning-curve`: entropy of random subsets of a data set against their size,
 * the completeness fit H(n) = a - b exp(-c (ln n)^2), the extrapolated H_inf and the
 * information gap of the data set (QUESTS paper, Fig. 2a-b). */
#include <math.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "info/kernel.h"
#include "info/learning.h"

static const char curve_usage[] =
    "usage: entrain learning-curve FILE... [-f 0.1,0.2,...] [-n RUNS] [--by structures|environments]\n"
    "                              [--seed S] [-b H] [--json]\n"
    "\n"
    "Entropy of random subsets (drawn with replacement, as in the QUESTS paper) for each\n"
    "fraction: mean and standard deviation over RUNS (default 10), efficiency H/ln n.\n"
    "Then the completeness fit H(n) = a - b exp(-c (ln n)^2) over the mean entropies\n"
    "against the mean number of environments n (the 3 smallest and 3 largest points are\n"
    "left out when at least 12 points exist, as in the paper), the extrapolation\n"
    "H_inf = H(1e12), and the information gap H_inf - H(data set).\n"
    "\n"
    "  -f F1,F2,...   fractions in (0, 1] (default 16 fractions, log-spaced 0.01 ... 1)\n"
    "  -n RUNS        random draws per fraction (default 10)\n"
    "  --by B         draw whole structures (default) or single environments\n"
    "  --seed S       seed (default 0); results do not depend on --threads\n"
    "  -b H           bandwidth (default 0.015)\n"
    "  --json         JSON: points [{fraction, n_items, n_envs, entropy_mean,\n"
    "                 entropy_std, efficiency}], fit {a, b, c, rms, n_points} (null when\n"
    "                 fewer than 3 usable points), entropy (full data set), max_entropy,\n"
    "                 h_infinity, information_gap\n"
    "  -k, -c, --multicomponent, --format, --types, --threads, --quests-compat as for 'entropy'\n";

int cmd_learning_curve(int argc, char **argv)
{
    cli_options o = {.command = "learning-curve"};
    int rc = cli_parse(argc, argv, OPT_DESC | OPT_BANDWIDTH | OPT_JSON | OPT_CURVE | OPT_SEED,
                       &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(curve_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional < 1) {
        fprintf(stderr, "entrain learning-curve: need at least one FILE\n%s", curve_usage);
        return CLI_EXIT_USAGE;
    }
    if (o.n_bandwidths > 1) {
        fprintf(stderr, "entrain learning-curve: -b takes a single bandwidth\n");
        return CLI_EXIT_USAGE;
    }
    if (o.n_fractions == 0)
        for (int i = 0; i < 16; i++)
            o.fractions[o.n_fractions++] = pow(10, -2 + 2.0 * i / 15);
    size_t runs = o.runs ? (size_t)o.runs : 10;
    int by_structures = !o.by || o.by[0] == 's';
    double h = o.n_bandwidths ? o.bandwidths[0] : 0.015;
    cli_apply_threads(&o);

    ent_error err = {0};
    cli_species sp = {0};
    cli_envs e = {0};
    ent_curve_point pts[CLI_MAX_BANDWIDTHS];
    ent_status s = ENT_OK;
    double H_full = 0;
    if (o.multicomponent)
        s = cli_species_collect(o.positional, o.n_positional, &o, &sp, &err);
    if (s == ENT_OK)
        s = cli_envs_load(o.positional, o.n_positional, &o, &sp, &e, &err);
    ent_structure_set set = {e.x, e.d, e.frame_offsets, e.n_frames};
    if (s == ENT_OK) {
        cli_progress("learning curve: %zu fractions x %zu runs", o.n_fractions, runs);
        s = ent_learning_curve(&set, by_structures, o.fractions, o.n_fractions, runs, o.seed,
                               h, pts, &err);
    }
    if (s == ENT_OK)
        s = ent_entropy(e.x, e.n, e.d, &h, 1, &H_full, NULL, NULL, &err);
    cli_progress_done();
    /* The fit: points with at least 2 environments, distinct n, sorted by n. */
    double fn[CLI_MAX_BANDWIDTHS], fh[CLI_MAX_BANDWIDTHS];
    size_t n_fit = 0;
    ent_curve_fit fit = {0};
    int have_fit = 0;
    if (s == ENT_OK) {
        size_t order[CLI_MAX_BANDWIDTHS], m = 0;
        for (size_t i = 0; i < o.n_fractions; i++)
            if (pts[i].n_envs >= 2)
                order[m++] = i;
        for (size_t i = 1; i < m; i++) /* insertion sort by n_envs */
            for (size_t k = i; k > 0 && pts[order[k]].n_envs < pts[order[k - 1]].n_envs; k--) {
                size_t t = order[k];
                order[k] = order[k - 1];
                order[k - 1] = t;
            }
        size_t drop = m >= 12 ? 3 : 0;
        for (size_t i = drop; i + drop < m; i++) {
            if (n_fit && pts[order[i]].n_envs == fn[n_fit - 1])
                continue;
            fn[n_fit] = pts[order[i]].n_envs;
            fh[n_fit++] = pts[order[i]].entropy_mean;
        }
        ent_error fit_err = {0};
        have_fit = ent_learning_curve_fit(fn, fh, n_fit, &fit, &fit_err) == ENT_OK;
    }
    if (s == ENT_OK) {
        double h_inf = have_fit ? ent_learning_curve_eval(&fit, 1e12) : NAN;
        if (o.json) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "by", by_structures ? "structures" : "environments");
            cJSON_AddNumberToObject(root, "runs", (double)runs);
            cli_json_add_number(root, "bandwidth", h);
            cJSON_AddNumberToObject(root, "n_structures", (double)e.n_frames);
            cJSON_AddNumberToObject(root, "n_envs", (double)e.n);
            cJSON *arr = cJSON_AddArrayToObject(root, "points");
            for (size_t i = 0; i < o.n_fractions; i++) {
                cJSON *p = cJSON_CreateObject();
                cli_json_add_number(p, "fraction", pts[i].fraction);
                cJSON_AddNumberToObject(p, "n_items", (double)pts[i].n_items);
                cli_json_add_number(p, "n_envs", pts[i].n_envs);
                cli_json_add_number(p, "entropy_mean", pts[i].entropy_mean);
                cli_json_add_number(p, "entropy_std", pts[i].entropy_std);
                cli_json_add_number(p, "efficiency", pts[i].efficiency);
                cJSON_AddItemToArray(arr, p);
            }
            if (have_fit) {
                cJSON *f = cJSON_AddObjectToObject(root, "fit");
                cli_json_add_number(f, "a", fit.a);
                cli_json_add_number(f, "b", fit.b);
                cli_json_add_number(f, "c", fit.c);
                cli_json_add_number(f, "rms", fit.rms);
                cJSON_AddNumberToObject(f, "n_points", (double)fit.n_points);
            } else {
                cJSON_AddNullToObject(root, "fit");
            }
            cli_json_add_number(root, "entropy", H_full);
            cli_json_add_number(root, "max_entropy", log((double)e.n));
            if (have_fit) {
                cli_json_add_number(root, "h_infinity", h_inf);
                cli_json_add_number(root, "information_gap", h_inf - H_full);
            } else {
                cJSON_AddNullToObject(root, "h_infinity");
                cJSON_AddNullToObject(root, "information_gap");
            }
            rc = cli_json_print(root);
        } else {
            printf("%10s %8s %10s %12s %10s %10s\n", "fraction", "items", "envs", "H (nats)",
                   "std", "H/ln n");
            for (size_t i = 0; i < o.n_fractions; i++)
                printf("%10.4g %8zu %10.1f %12.6f %10.6f %10.4f\n", pts[i].fraction,
                       pts[i].n_items, pts[i].n_envs, pts[i].entropy_mean, pts[i].entropy_std,
                       pts[i].efficiency);
            printf("data set: %zu structures, %zu environments, H = %.6f nats (ln N = %.6f)\n",
                   e.n_frames, e.n, H_full, log((double)e.n));
            if (have_fit)
                printf("fit H(n) = %.6g - %.6g exp(-%.6g (ln n)^2), rms %.3g over %zu points\n"
                       "H_inf = %.6f nats, information gap = %.6f nats\n",
                       fit.a, fit.b, fit.c, fit.rms, fit.n_points, h_inf, h_inf - H_full);
            else
                printf("no fit: fewer than 3 usable points (give more fractions with -f)\n");
        }
    }
    cli_envs_free(&e);
    cli_species_free(&sp);
    return s == ENT_OK ? rc : cli_fail(&o, s, &err);
}
