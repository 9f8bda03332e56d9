/* δH-targeted Monte Carlo: Metropolis moves (random displacements of all atoms, and
 * optionally a random strain of the cell) that drive a structure towards a target mean
 * δH against a reference set of environments. A built-in explorer: no MD code needed.
 *
 * Objective E = |mean_i δH(x_i | REF) - target| over the structure's environments (+inf
 * when an environment has δH = +inf). A move is accepted if E does not increase, else
 * with probability exp(-ΔE / T); T follows a geometric ramp from t_start to t_end over the
 * steps (simulated annealing: broad search first, then settle on the target). Moves that
 * bring two atoms closer than min_distance are rejected outright. */
#ifndef ENT_INFO_MCMC_H
#define ENT_INFO_MCMC_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "info/descriptor.h"

typedef struct ent_mcmc_params {
    size_t steps;        /* Monte Carlo steps (>= 1) */
    double target;       /* target mean δH, nats */
    double step_size;    /* standard deviation of each displacement component, Angstrom */
    double strain_prob;  /* probability that a move also strains the cell (periodic axes) */
    double strain_size;  /* standard deviation of the symmetric strain components */
    double t_start, t_end; /* temperature ramp (nats), t_start >= t_end > 0 */
    double min_distance; /* Angstrom; 0 disables the check */
    double h;            /* kernel bandwidth */
    uint64_t seed;
    ent_descriptor_params desc;
} ent_mcmc_params;

/* Defaults: 500 steps, target 1.0, step 0.05 A, no strain (0.01 when enabled),
 * T 0.5 -> 0.005, min distance 1.0 A, h 0.015, seed 0, k 32, cutoff 5. */
void ent_mcmc_params_default(ent_mcmc_params *p);

typedef struct ent_mcmc_state {
    size_t step;          /* 0 = the starting structure */
    const double *positions; /* n x 3, current (accepted) structure */
    const double *cell;   /* 3 x 3 */
    const double *dh;     /* n, δH of each atom's environment */
    double mean_dh;
    double temperature;
    size_t accepted;      /* moves accepted so far */
} ent_mcmc_state;

/* Called for step 0 and after every step; return non-zero to stop early. */
typedef int (*ent_mcmc_callback)(void *ctx, const ent_mcmc_state *state);

/* Run the chain in place on positions (n x 3) and cell. ref: n_ref x d environments,
 * d must equal ent_descriptor_width(p->desc.k). Errors: ENT_EINVAL (bad parameters,
 * n == 0, n_ref == 0, d mismatch), those of ent_descriptors / ent_delta_entropy,
 * ENT_ENOMEM. On error positions and cell hold the last accepted structure. */
ent_status ent_mcmc_run(const ent_mcmc_params *p, double *positions, size_t n,
                        double cell[9], const int pbc[3], const double *ref, size_t n_ref,
                        size_t d, ent_mcmc_callback cb, void *ctx, ent_error *err);

#endif
