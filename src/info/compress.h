/* Data-set compression (../QUESTS_MATH.md §6): choose `size` structures of a data set that
 * keep its information. Structures are blocks of consecutive descriptor rows.
 * msc, msc_conditional and fps reproduce the reference implementation's indices exactly
 * (first-index argmax, +inf scores from -ln 0); random, mean_fps and kmeans are seeded
 * and reproducible. All outputs are structure indices in selection order. */
#ifndef ENT_INFO_COMPRESS_H
#define ENT_INFO_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct ent_structure_set {
    const double *x;       /* all environments, offsets[n_structures] x d, row-major */
    size_t d;
    const size_t *offsets; /* n_structures + 1 row offsets, offsets[0] = 0 */
    size_t n_structures;
} ent_structure_set;

/* Each structure's own entropy H(X_s) at bandwidth h (out: n_structures values). */
ent_status ent_structure_entropies(const ent_structure_set *set, double h, double *out,
                                   ent_error *err);

/* QUESTS "msc": first the highest-entropy structure, then repeatedly the structure whose
 * least-covered environment is most novel against the selected ones:
 * score_s = -ln(min_{e in s} acc_e) + entropies[s]. Selects min(size, S) structures
 * into selected[]. ENT_EINVAL for size == 0, h <= 0, an empty set. */
ent_status ent_compress_msc(const ent_structure_set *set, const double *entropies,
                            size_t size, double h, size_t *selected, ent_error *err);

/* msc given reference environments ref (n_ref x d, may be 0): accumulators start at the
 * kernel sums against the reference and there is no entropy-based first pick. With
 * n_ref == 0 it is exactly msc. *n_selected = min(size, S). */
ent_status ent_compress_msc_conditional(const ent_structure_set *set,
                                        const double *entropies, size_t size,
                                        const double *ref, size_t n_ref, double h,
                                        size_t *selected, size_t *n_selected,
                                        ent_error *err);

/* The same selection computed eagerly (every accumulator updated after every pick), as
 * the reference implementation does; msc and msc_conditional use an exact lazy-greedy
 * form. Kept to test the two against each other and to measure the difference. */
ent_status ent_compress_msc_conditional_eager(const ent_structure_set *set,
                                              const double *entropies, size_t size,
                                              const double *ref, size_t n_ref, double h,
                                              size_t *selected, size_t *n_selected,
                                              ent_error *err);

/* QUESTS "fps": farthest-point sampling with the structure distance
 * delta(a,b) = mean over environment pairs of the Euclidean distance; first pick the
 * highest-entropy structure. */
ent_status ent_compress_fps(const ent_structure_set *set, const double *entropies,
                            size_t size, size_t *selected, ent_error *err);

/* Uniformly random structures (partial Fisher-Yates with a seeded generator). */
ent_status ent_compress_random(size_t n_structures, size_t size, uint64_t seed,
                               size_t *selected, ent_error *err);

/* Farthest-point sampling on per-structure mean descriptors (Euclidean), first pick the
 * highest-entropy structure. Cheap: O(S * size * d). */
ent_status ent_compress_mean_fps(const ent_structure_set *set, const double *entropies,
                                 size_t size, size_t *selected, ent_error *err);

/* k-means (k = size) on per-structure mean descriptors, seeded k-means++ initialisation,
 * Lloyd iterations until assignments are stable (at most 300); from each cluster the
 * structure closest to its centroid, in cluster order. */
ent_status ent_compress_kmeans(const ent_structure_set *set, size_t size, uint64_t seed,
                               size_t *selected, ent_error *err);

#endif
