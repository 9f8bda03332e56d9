/* Learning curves: random subsets, their entropies, and the completeness fit
 * (see learning.h). */
#include "info/learning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "info/kernel.h"

static size_t items_for(double fraction, size_t count)
{
    double n = round(fraction * (double)count);
    return n < 1 ? 1 : (size_t)n;
}

/* Draw one sample (with replacement) into pool; returns the number of rows. */
static size_t draw_sample(const ent_structure_set *set, int by_structures, size_t n_items,
                          ent_rng *rng, double *pool)
{
    size_t d = set->d, rows = 0, N = set->offsets[set->n_structures];
    for (size_t i = 0; i < n_items; i++) {
        if (by_structures) {
            size_t s = (size_t)ent_rng_below(rng, set->n_structures);
            size_t len = set->offsets[s + 1] - set->offsets[s];
            memcpy(pool + rows * d, set->x + set->offsets[s] * d, len * d * sizeof *pool);
            rows += len;
        } else {
            size_t e = (size_t)ent_rng_below(rng, N);
            memcpy(pool + rows * d, set->x + e * d, d * sizeof *pool);
            rows++;
        }
    }
    return rows;
}

ent_status ent_learning_curve(const ent_structure_set *set, int by_structures,
                              const double *fractions, size_t n_fractions, size_t runs,
                              uint64_t seed, double h, ent_curve_point *out,
                              ent_error *err)
{
    if (!set || set->n_structures == 0 || set->offsets[set->n_structures] == 0)
        return ent_error_set(err, ENT_EINVAL, "learning curve needs a non-empty data set");
    if (n_fractions == 0 || runs == 0)
        return ent_error_set(err, ENT_EINVAL, "learning curve needs fractions and runs >= 1");
    if (!(h > 0) || !isfinite(h))
        return ent_error_set(err, ENT_EINVAL, "bandwidth must be positive, got %g", h);
    size_t count = by_structures ? set->n_structures : set->offsets[set->n_structures];
    size_t max_len = 1, max_items = 1;
    for (size_t i = 0; i < n_fractions; i++) {
        if (!(fractions[i] > 0 && fractions[i] <= 1))
            return ent_error_set(err, ENT_EINVAL, "fraction %g is outside (0, 1]",
                                 fractions[i]);
        size_t n = items_for(fractions[i], count);
        max_items = n > max_items ? n : max_items;
    }
    if (by_structures)
        for (size_t s = 0; s < set->n_structures; s++)
            if (set->offsets[s + 1] - set->offsets[s] > max_len)
                max_len = set->offsets[s + 1] - set->offsets[s];
    double *pool = malloc(max_items * max_len * set->d * sizeof *pool);
    if (!pool)
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu environments",
                             max_items * max_len);
    ent_status st = ENT_OK;
    for (size_t i = 0; i < n_fractions && st == ENT_OK; i++) {
        ent_curve_point *pt = &out[i];
        memset(pt, 0, sizeof *pt);
        pt->fraction = fractions[i];
        pt->n_items = items_for(fractions[i], count);
        double sum = 0, sum2 = 0, envs = 0, eff = 0;
        for (size_t r = 0; r < runs && st == ENT_OK; r++) {
            ent_rng rng;
            ent_rng_seed(&rng, seed ^ (0x9e3779b97f4a7c15ULL * (i + 1)) ^
                                   (0xd1b54a32d192ed03ULL * (r + 1)));
            size_t rows = draw_sample(set, by_structures, pt->n_items, &rng, pool);
            double H = 0;
            if (rows > 0)
                st = ent_entropy(pool, rows, set->d, &h, 1, &H, NULL, NULL, err);
            sum += H;
            sum2 += H * H;
            envs += (double)rows;
            eff += rows > 1 ? H / log((double)rows) : 0;
        }
        double mean = sum / (double)runs;
        pt->entropy_mean = mean;
        pt->entropy_std = sqrt(fmax(sum2 / (double)runs - mean * mean, 0));
        pt->n_envs = envs / (double)runs;
        pt->efficiency = eff / (double)runs;
    }
    free(pool);
    return st;
}

double ent_learning_curve_eval(const ent_curve_fit *fit, double n)
{
    double l = log(n);
    return fit->a - fit->b * exp(-fit->c * l * l);
}

/* For fixed c, the least-squares a, b of H = a - b g with g = exp(-c (ln n)^2);
 * returns the residual sum of squares. */
static double solve_ab(const double *n, const double *H, size_t count, double c, double *a,
                       double *b)
{
    double sg = 0, sgg = 0, sh = 0, sgh = 0, m = (double)count;
    for (size_t i = 0; i < count; i++) {
        double l = log(n[i]), g = exp(-c * l * l);
        sg += g;
        sgg += g * g;
        sh += H[i];
        sgh += g * H[i];
    }
    double det = m * sgg - sg * sg;
    if (fabs(det) < 1e-300) { /* g constant: only a is determined */
        *a = sh / m;
        *b = 0;
    } else {
        /* normal equations for H = a + beta g, beta = -b */
        double beta = (m * sgh - sg * sh) / det;
        *a = (sh - beta * sg) / m;
        *b = -beta;
    }
    double rss = 0;
    for (size_t i = 0; i < count; i++) {
        double l = log(n[i]);
        double r = H[i] - (*a - *b * exp(-c * l * l));
        rss += r * r;
    }
    return rss;
}

ent_status ent_learning_curve_fit(const double *n, const double *H, size_t count,
                                  ent_curve_fit *fit, ent_error *err)
{
    if (count < 3)
        return ent_error_set(err, ENT_EINVAL, "a learning-curve fit needs at least 3 points, got %zu", count);
    for (size_t i = 0; i < count; i++)
        if (!(n[i] > 1) || !isfinite(n[i]) || !isfinite(H[i]))
            return ent_error_set(err, ENT_EINVAL, "learning-curve point %zu is invalid (n = %g, H = %g)", i, n[i], H[i]);
    /* Scan log10 c over [-6, 1], then golden-section refinement around the best. */
    const int steps = 141;
    double best_lc = -6, best = INFINITY, a, b;
    for (int k = 0; k < steps; k++) {
        double lc = -6 + 7.0 * k / (steps - 1);
        double rss = solve_ab(n, H, count, pow(10, lc), &a, &b);
        if (rss < best) {
            best = rss;
            best_lc = lc;
        }
    }
    double lo = best_lc - 0.05, hi = best_lc + 0.05;
    const double phi = 0.6180339887498949;
    double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
    double f1 = solve_ab(n, H, count, pow(10, x1), &a, &b);
    double f2 = solve_ab(n, H, count, pow(10, x2), &a, &b);
    for (int it = 0; it < 80; it++) {
        if (f1 < f2) {
            hi = x2; x2 = x1; f2 = f1;
            x1 = hi - phi * (hi - lo);
            f1 = solve_ab(n, H, count, pow(10, x1), &a, &b);
        } else {
            lo = x1; x1 = x2; f1 = f2;
            x2 = lo + phi * (hi - lo);
            f2 = solve_ab(n, H, count, pow(10, x2), &a, &b);
        }
    }
    double c = pow(10, 0.5 * (lo + hi));
    double rss = solve_ab(n, H, count, c, &a, &b);
    if (rss > best) { /* the scan point was better (flat or multimodal residual) */
        c = pow(10, best_lc);
        rss = solve_ab(n, H, count, c, &a, &b);
    }
    fit->a = a;
    fit->b = b;
    fit->c = c;
    fit->rms = sqrt(rss / (double)count);
    fit->n_points = count;
    return ENT_OK;
}
