/* Small seeded pseudo-random generator (xoshiro256** seeded through splitmix64) for
 * reproducible choices: random compression, k-means++ seeding, Monte Carlo moves.
 * The same seed gives the same sequence on every platform and thread count. */
#ifndef ENT_BASE_RNG_H
#define ENT_BASE_RNG_H

#include <stdint.h>

typedef struct ent_rng {
    uint64_t s[4];
} ent_rng;

void ent_rng_seed(ent_rng *r, uint64_t seed);
uint64_t ent_rng_next(ent_rng *r);
/* Uniform double in [0, 1). */
double ent_rng_uniform(ent_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t ent_rng_below(ent_rng *r, uint64_t n);
/* Standard normal deviate (Box-Muller). */
double ent_rng_normal(ent_rng *r);

#endif
