/* δH-targeted Metropolis Monte Carlo (see mcmc.h). Each step recomputes the structure's
 * descriptors and their δH against the reference: O(n k^2 + n n_ref d), fine for the
 * hundreds of atoms of a DFT-sized cell. */
#include "info/mcmc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "info/geometry.h"
#include "info/kernel.h"

void ent_mcmc_params_default(ent_mcmc_params *p)
{
    memset(p, 0, sizeof *p);
    p->steps = 500;
    p->target = 1.0;
    p->step_size = 0.02;
    p->strain_prob = 0;
    p->strain_size = 0.01;
    p->t_start = 0.5;
    p->t_end = 0.005;
    p->min_distance = 1.0;
    p->h = 0.015;
    p->desc.k = 32;
    p->desc.cutoff = 5.0;
}

/* Are two atoms closer than limit (minimum image)? 0 disables the check. */
static int too_close(const double *pos, size_t n, const double cell[9], const int pbc[3],
                     double limit)
{
    return limit > 0 && ent_min_pair_distance(pos, n, cell, pbc, NULL, NULL) < limit;
}

/* δH of every environment of the structure and their mean (+inf if any is +inf). */
static ent_status evaluate(const ent_mcmc_params *p, const double *pos, size_t n,
                           const double cell[9], const int pbc[3], const double *ref,
                           size_t n_ref, size_t d, double *desc, double *dh, double *mean,
                           ent_error *err)
{
    ent_status s = ent_descriptors(pos, n, cell, pbc, &p->desc, desc, err);
    if (s == ENT_OK)
        s = ent_delta_entropy(desc, n, ref, n_ref, d, &p->h, 1, dh, err);
    if (s != ENT_OK)
        return s;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += dh[i];
    *mean = sum / (double)n;
    return ENT_OK;
}

ent_status ent_mcmc_run(const ent_mcmc_params *p, double *positions, size_t n,
                        double cell[9], const int pbc[3], const double *ref, size_t n_ref,
                        size_t d, ent_mcmc_callback cb, void *ctx, ent_error *err)
{
    if (!p || !positions || n == 0 || !ref || n_ref == 0)
        return ent_error_set(err, ENT_EINVAL, "Monte Carlo needs a structure and reference environments");
    if (p->steps == 0 || !(p->step_size >= 0) || !(p->t_end > 0) || !(p->t_start >= p->t_end) ||
        !(p->strain_prob >= 0 && p->strain_prob <= 1) || !(p->strain_size >= 0) ||
        !(p->h > 0) || !isfinite(p->target) || !(p->min_distance >= 0))
        return ent_error_set(err, ENT_EINVAL,
                             "Monte Carlo parameters: need steps >= 1, step size >= 0, "
                             "t_start >= t_end > 0, 0 <= strain probability <= 1, h > 0");
    if (d != ent_descriptor_width(p->desc.k))
        return ent_error_set(err, ENT_EINVAL,
                             "reference has %zu columns, descriptors with k = %d have %zu", d,
                             p->desc.k, ent_descriptor_width(p->desc.k));
    double *trial = malloc(n * 3 * sizeof *trial);
    double *desc = malloc(n * d * sizeof *desc);
    double *dh = malloc(n * sizeof *dh), *dh_trial = malloc(n * sizeof *dh_trial);
    if (!trial || !desc || !dh || !dh_trial) {
        free(trial); free(desc); free(dh); free(dh_trial);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    ent_rng rng;
    ent_rng_seed(&rng, p->seed);
    int any_periodic = pbc[0] || pbc[1] || pbc[2];
    double mean = 0, trial_cell[9];
    ent_status s = evaluate(p, positions, n, cell, pbc, ref, n_ref, d, desc, dh, &mean, err);
    double energy = fabs(mean - p->target);
    size_t accepted = 0;
    ent_mcmc_state st = {0, positions, cell, dh, mean, p->t_start, 0};
    int stop = s == ENT_OK && cb ? cb(ctx, &st) : 0;
    for (size_t step = 1; s == ENT_OK && !stop && step <= p->steps; step++) {
        double frac = p->steps > 1 ? (double)(step - 1) / (double)(p->steps - 1) : 1.0;
        double T = p->t_start * pow(p->t_end / p->t_start, frac);
        /* Propose: optional strain (positions follow the cell), then displacements. */
        memcpy(trial_cell, cell, sizeof trial_cell);
        memcpy(trial, positions, n * 3 * sizeof *trial);
        if (any_periodic && p->strain_prob > 0 && ent_rng_uniform(&rng) < p->strain_prob) {
            double e[9];
            for (int a = 0; a < 3; a++)
                for (int b = a; b < 3; b++) {
                    double v = pbc[a] && pbc[b] ? p->strain_size * ent_rng_normal(&rng) : 0;
                    e[a * 3 + b] = e[b * 3 + a] = (a == b ? 1.0 : 0.0) + v;
                }
            /* row vectors: r' = r (1 + eps) */
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    double v = 0;
                    for (int k2 = 0; k2 < 3; k2++)
                        v += cell[r * 3 + k2] * e[k2 * 3 + c];
                    trial_cell[r * 3 + c] = v;
                }
            for (size_t i = 0; i < n; i++)
                for (int c = 0; c < 3; c++) {
                    double v = 0;
                    for (int k2 = 0; k2 < 3; k2++)
                        v += positions[i * 3 + k2] * e[k2 * 3 + c];
                    trial[i * 3 + c] = v;
                }
        }
        for (size_t i = 0; i < 3 * n; i++)
            trial[i] += p->step_size * ent_rng_normal(&rng);
        int accept = 0;
        double trial_mean = 0;
        if (!too_close(trial, n, trial_cell, pbc, p->min_distance)) {
            s = evaluate(p, trial, n, trial_cell, pbc, ref, n_ref, d, desc, dh_trial,
                         &trial_mean, err);
            if (s != ENT_OK)
                break;
            double trial_energy = fabs(trial_mean - p->target);
            double u = ent_rng_uniform(&rng); /* drawn every step: same stream either way */
            if (isinf(trial_energy) && isinf(energy))
                accept = 1; /* both off the map: random walk until back in reach */
            else if (trial_energy <= energy)
                accept = 1;
            else
                accept = u < exp(-(trial_energy - energy) / T);
            if (accept) {
                energy = trial_energy;
                mean = trial_mean;
                memcpy(positions, trial, n * 3 * sizeof *trial);
                memcpy(cell, trial_cell, sizeof trial_cell);
                memcpy(dh, dh_trial, n * sizeof *dh);
                accepted++;
            }
        }
        st = (ent_mcmc_state){step, positions, cell, dh, mean, T, accepted};
        if (cb)
            stop = cb(ctx, &st);
    }
    free(trial);
    free(desc);
    free(dh);
    free(dh_trial);
    return s;
}
