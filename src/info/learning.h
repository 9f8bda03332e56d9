/* Learning curves and completeness (../QUESTS_MATH.md §10): entropy of random subsets of
 * a data set as a function of their size, and the fit H(n) = a - b exp(-c (ln n)^2) whose
 * extrapolation H_inf = H(1e12) tells how much information is still missing. */
#ifndef ENT_INFO_LEARNING_H
#define ENT_INFO_LEARNING_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "info/compress.h"

typedef struct ent_curve_point {
    double fraction;     /* requested fraction of the data set */
    size_t n_items;      /* structures (or environments) drawn per run */
    double n_envs;       /* environments per run, mean over runs */
    double entropy_mean; /* nats */
    double entropy_std;  /* population standard deviation over runs (0 for one run) */
    double efficiency;   /* mean over runs of H / ln(n_envs); 0 when n_envs < 2 */
} ent_curve_point;

/* For each fraction f: `runs` times draw max(1, round(f * count)) items uniformly WITH
 * replacement (the QUESTS paper's protocol), whole structures when by_structures, else
 * single environments, and compute the entropy of the pooled environments at bandwidth h.
 * Run r of fraction i uses a generator seeded from (seed, i, r), so the curve does not
 * depend on the thread count. ENT_EINVAL for no fractions, a fraction outside (0, 1],
 * runs == 0, h <= 0, an empty set. */
ent_status ent_learning_curve(const ent_structure_set *set, int by_structures,
                              const double *fractions, size_t n_fractions, size_t runs,
                              uint64_t seed, double h, ent_curve_point *out,
                              ent_error *err);

typedef struct ent_curve_fit {
    double a, b, c;   /* H(n) = a - b exp(-c (ln n)^2) */
    double rms;       /* root-mean-square residual of the fitted points (nats) */
    size_t n_points;  /* points used */
} ent_curve_fit;

/* Least-squares fit of H(n) = a - b exp(-c (ln n)^2) to (n[i], H[i]). For a fixed c the
 * model is linear in a and b, so they are solved exactly and only c is searched (log
 * grid, then golden section): deterministic, no starting guess needed.
 * ENT_EINVAL for fewer than 3 points, n <= 1, non-finite values. */
ent_status ent_learning_curve_fit(const double *n, const double *H, size_t count,
                                  ent_curve_fit *fit, ent_error *err);

/* Value of the fitted curve at n. */
double ent_learning_curve_eval(const ent_curve_fit *fit, double n);

#endif
