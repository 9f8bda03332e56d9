/* Data-set compression (see compress.h). The kernel-based methods keep, for every
 * environment of a not-yet-selected structure, the accumulated kernel sum against all
 * selected structures (plus the reference), so each iteration costs one kernel sum of the
 * remaining environments against the newly selected structure. Remaining environments
 * live in a compacted work array that is rebuilt when a quarter of it is dead, so the
 * sums never touch many selected rows and memory stays O(N d). */
#include "info/compress.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "info/kernel.h"

#ifdef _OPENMP
#include <omp.h>
static int max_threads(void)
{
    return omp_in_parallel() ? 1 : omp_get_max_threads();
}
#else
static int max_threads(void)
{
    return 1;
}
#endif

static ent_status check_set(const ent_structure_set *set, size_t size, ent_error *err)
{
    if (!set || !set->offsets || set->n_structures == 0 || set->d == 0 ||
        (!set->x && set->offsets[set->n_structures] > 0))
        return ent_error_set(err, ENT_EINVAL, "compression needs a non-empty data set");
    if (size == 0)
        return ent_error_set(err, ENT_EINVAL, "compressed size must be at least 1");
    for (size_t s = 0; s < set->n_structures; s++)
        if (set->offsets[s + 1] < set->offsets[s])
            return ent_error_set(err, ENT_EINVAL, "structure offsets must not decrease");
    return ENT_OK;
}

static size_t block_rows(const ent_structure_set *set, size_t s)
{
    return set->offsets[s + 1] - set->offsets[s];
}

static const double *block(const ent_structure_set *set, size_t s)
{
    return set->x + set->offsets[s] * set->d;
}

ent_status ent_structure_entropies(const ent_structure_set *set, double h, double *out,
                                   ent_error *err)
{
    ent_status st = check_set(set, 1, err);
    if (st != ENT_OK)
        return st;
    size_t S = set->n_structures;
    /* Small structures: one per thread (the kernel sums run serially inside a parallel
     * region); large ones: one after the other, each parallel inside. */
    int per_thread = set->offsets[S] / S < 2048;
    ent_status first = ENT_OK;
#pragma omp parallel for schedule(dynamic, 1) if (per_thread)
    for (size_t s = 0; s < S; s++) {
        ent_error local = {0};
        ent_status rs = ENT_OK;
        if (block_rows(set, s) == 0)
            out[s] = 0; /* no environment, no information */
        else
            rs = ent_entropy(block(set, s), block_rows(set, s), set->d, &h, 1, &out[s], NULL,
                             NULL, &local);
        if (rs != ENT_OK) {
#pragma omp critical(ent_compress_error)
            if (first == ENT_OK) {
                first = rs;
                if (err)
                    *err = local;
            }
        }
    }
    return first;
}

/* First index of the maximum of v over idx[0..n) (NumPy argmax semantics, +inf wins,
 * NaN never chosen unless everything is NaN). Returns the position in idx. */
static size_t first_argmax(const double *v, const size_t *idx, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[idx[i]] > v[idx[best]] || (isnan(v[idx[best]]) && !isnan(v[idx[i]])))
            best = i;
    return best;
}

/* Remaining structures and their environments, compacted, with the accumulated kernel
 * sums. rows_of[s] / start_of[s] locate structure s in x; live[s] = 0 once selected. */
typedef struct msc_work {
    const ent_structure_set *set;
    double *x, *acc, *tmp;
    size_t n_rows, dead_rows;
    size_t *start_of;
    unsigned char *live;
    size_t *remaining; /* remaining structure indices in original order */
    size_t n_remaining;
} msc_work;

static void work_free(msc_work *w)
{
    free(w->x);
    free(w->acc);
    free(w->tmp);
    free(w->start_of);
    free(w->live);
    free(w->remaining);
}

static ent_status work_init(msc_work *w, const ent_structure_set *set, ent_error *err)
{
    memset(w, 0, sizeof *w);
    w->set = set;
    size_t n = set->offsets[set->n_structures], S = set->n_structures;
    w->x = malloc((n ? n : 1) * set->d * sizeof(double));
    w->acc = calloc(n ? n : 1, sizeof(double));
    w->tmp = malloc((n ? n : 1) * sizeof(double));
    w->start_of = malloc(S * sizeof(size_t));
    w->live = malloc(S);
    w->remaining = malloc(S * sizeof(size_t));
    if (!w->x || !w->acc || !w->tmp || !w->start_of || !w->live || !w->remaining) {
        work_free(w);
        return ent_error_set(err, ENT_ENOMEM, "out of memory for %zu environments", n);
    }
    if (n)
        memcpy(w->x, set->x, n * set->d * sizeof(double));
    for (size_t s = 0; s < S; s++) {
        w->start_of[s] = set->offsets[s];
        w->live[s] = 1;
        w->remaining[s] = s;
    }
    w->n_rows = n;
    w->n_remaining = S;
    return ENT_OK;
}

/* Remove the structure at position pos of `remaining`; compact when a quarter is dead. */
static void work_remove(msc_work *w, size_t pos)
{
    const ent_structure_set *set = w->set;
    size_t s = w->remaining[pos];
    memmove(&w->remaining[pos], &w->remaining[pos + 1],
            (w->n_remaining - pos - 1) * sizeof(size_t));
    w->n_remaining--;
    w->live[s] = 0;
    w->dead_rows += block_rows(set, s);
    if (w->dead_rows * 4 <= w->n_rows)
        return;
    size_t row = 0, d = set->d;
    for (size_t i = 0; i < w->n_remaining; i++) {
        size_t r = w->remaining[i], len = block_rows(set, r);
        memmove(w->x + row * d, w->x + w->start_of[r] * d, len * d * sizeof(double));
        memmove(w->acc + row, w->acc + w->start_of[r], len * sizeof(double));
        w->start_of[r] = row;
        row += len;
    }
    w->n_rows = row;
    w->dead_rows = 0;
}

/* acc += kernel sums of the work rows against y (ny rows). */
static ent_status work_accumulate(msc_work *w, const double *y, size_t ny, double h,
                                  ent_error *err)
{
    if (ny == 0 || w->n_rows == 0)
        return ENT_OK;
    ent_status st = ent_kernel_sum(w->x, w->n_rows, y, ny, w->set->d, &h, 1, w->tmp, err);
    if (st != ENT_OK)
        return st;
    for (size_t i = 0; i < w->n_rows; i++)
        w->acc[i] += w->tmp[i];
    return ENT_OK;
}

/* Select the remaining structure with the highest -ln(min acc) + entropy. */
static size_t work_pick(msc_work *w, const double *entropies, double *score)
{
    const ent_structure_set *set = w->set;
    for (size_t i = 0; i < w->n_remaining; i++) {
        size_t s = w->remaining[i], len = block_rows(set, s);
        double mn = INFINITY;
        for (size_t e = 0; e < len; e++)
            mn = fmin(mn, w->acc[w->start_of[s] + e]);
        /* A structure without environments has nothing new: -inf, never preferred. */
        score[s] = len ? -log(mn) + entropies[s] : -INFINITY;
    }
    return first_argmax(score, w->remaining, w->n_remaining);
}

/* The eager form: every remaining environment's accumulator is brought up to date after
 * every selection. Kept as the reference the lazy form is tested against. */
static ent_status msc_run_eager(const ent_structure_set *set, const double *entropies,
                                size_t size, const double *ref, size_t n_ref, double h,
                                int first_by_entropy, size_t *selected, size_t *n_selected,
                                ent_error *err)
{
    if (!(h > 0) || !isfinite(h))
        return ent_error_set(err, ENT_EINVAL, "bandwidth must be positive, got %g", h);
    ent_status st = check_set(set, size, err);
    if (st != ENT_OK)
        return st;
    if (size > set->n_structures)
        size = set->n_structures;
    msc_work w;
    st = work_init(&w, set, err);
    if (st != ENT_OK)
        return st;
    double *score = malloc(set->n_structures * sizeof *score);
    if (!score) {
        work_free(&w);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    size_t count = 0;
    if (n_ref)
        st = work_accumulate(&w, ref, n_ref, h, err);
    if (st == ENT_OK && first_by_entropy) {
        size_t pos = first_argmax(entropies, w.remaining, w.n_remaining);
        selected[count++] = w.remaining[pos];
        work_remove(&w, pos);
    }
    while (st == ENT_OK && count < size) {
        if (count > 0) {
            size_t last = selected[count - 1];
            st = work_accumulate(&w, block(set, last), block_rows(set, last), h, err);
            if (st != ENT_OK)
                break;
        }
        size_t pos = work_pick(&w, entropies, score);
        selected[count++] = w.remaining[pos];
        work_remove(&w, pos);
    }
    free(score);
    work_free(&w);
    if (st == ENT_OK)
        *n_selected = count;
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Lazy greedy msc. Accumulators only grow as structures are selected, so a structure's
 * score only falls: a score computed earlier is an upper bound. Structures wait in a
 * max-heap ordered by (bound descending, index ascending); the top one is brought up to
 * date (kernel sums of its environments against the environments selected since its last
 * update, which sit contiguously in `pool`) and either selected, if its bound was already
 * current, or pushed back with its new score. With that order the choice is exactly the
 * eager algorithm's first argmax, ties and +inf included; only the summation grouping of
 * the accumulators differs (rounding). Most structures are never brought up to date when
 * a selection barely changes them, which is where the time goes in the eager form. */

typedef struct msc_heap {
    size_t *idx;
    double *key;
    size_t n;
} msc_heap;

static int heap_above(const msc_heap *hp, size_t a, size_t b)
{
    double ka = hp->key[hp->idx[a]], kb = hp->key[hp->idx[b]];
    return ka > kb || (ka == kb && hp->idx[a] < hp->idx[b]);
}

static void heap_swap(msc_heap *hp, size_t a, size_t b)
{
    size_t t = hp->idx[a];
    hp->idx[a] = hp->idx[b];
    hp->idx[b] = t;
}

static void heap_push(msc_heap *hp, size_t s)
{
    size_t i = hp->n++;
    hp->idx[i] = s;
    while (i > 0 && heap_above(hp, i, (i - 1) / 2)) {
        heap_swap(hp, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static size_t heap_pop(msc_heap *hp)
{
    size_t top = hp->idx[0], i = 0;
    hp->idx[0] = hp->idx[--hp->n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < hp->n && heap_above(hp, l, m))
            m = l;
        if (r < hp->n && heap_above(hp, r, m))
            m = r;
        if (m == i)
            break;
        heap_swap(hp, i, m);
        i = m;
    }
    return top;
}

static double msc_score(const double *acc, size_t len, double entropy)
{
    if (len == 0)
        return -INFINITY; /* nothing new in a structure without environments */
    double mn = INFINITY;
    for (size_t e = 0; e < len; e++)
        mn = fmin(mn, acc[e]);
    return -log(mn) + entropy;
}

static ent_status msc_run(const ent_structure_set *set, const double *entropies,
                          size_t size, const double *ref, size_t n_ref, double h,
                          int first_by_entropy, size_t *selected, size_t *n_selected,
                          ent_error *err)
{
    if (!(h > 0) || !isfinite(h))
        return ent_error_set(err, ENT_EINVAL, "bandwidth must be positive, got %g", h);
    ent_status st = check_set(set, size, err);
    if (st != ENT_OK)
        return st;
    size_t S = set->n_structures, N = set->offsets[S], d = set->d;
    if (size > S)
        size = S;
    double *acc = calloc(N ? N : 1, sizeof *acc);
    double *tmp = malloc((N ? N : 1) * sizeof *tmp);
    double *pool = malloc((N ? N : 1) * d * sizeof *pool);
    size_t *upto = calloc(S, sizeof *upto);       /* selections included in acc */
    size_t *pool_end = calloc(S + 1, sizeof *pool_end); /* pool rows after t selections */
    msc_heap hp = {malloc(S * sizeof(size_t)), malloc(S * sizeof(double)), 0};
    if (!acc || !tmp || !pool || !upto || !pool_end || !hp.idx || !hp.key) {
        st = ent_error_set(err, ENT_ENOMEM, "out of memory for %zu environments", N);
        goto done;
    }
    if (n_ref && N)
        st = ent_kernel_sum(set->x, N, ref, n_ref, d, &h, 1, acc, err);
    size_t count = 0;
    size_t first = SIZE_MAX;
    if (st == ENT_OK && first_by_entropy) {
        size_t *all = upto; /* 0..S-1 as an index list for first_argmax, restored below */
        for (size_t s = 0; s < S; s++)
            all[s] = s;
        first = first_argmax(entropies, all, S);
        memset(upto, 0, S * sizeof *upto);
    }
    for (size_t s = 0; st == ENT_OK && s < S; s++) {
        if (s == first)
            continue;
        hp.key[s] = msc_score(acc + set->offsets[s], block_rows(set, s), entropies[s]);
        heap_push(&hp, s);
    }
    if (st == ENT_OK && first != SIZE_MAX) {
        selected[count++] = first;
        memcpy(pool, block(set, first), block_rows(set, first) * d * sizeof *pool);
        pool_end[1] = block_rows(set, first);
    }
    /* Stale structures popped together are brought up to date in parallel, one per thread
     * (each sum is small). That may update a few that would not have needed it, never
     * changes the choice: only a current score at the top of the heap is selected. */
    size_t batch_cap = 2 * (size_t)max_threads(), batch[64];
    if (batch_cap > 64)
        batch_cap = 64;
    while (st == ENT_OK && count < size && hp.n > 0) {
        size_t s = heap_pop(&hp);
        if (upto[s] == count) { /* its score is current: nothing can beat it */
            selected[count] = s;
            size_t len = block_rows(set, s);
            memcpy(pool + pool_end[count] * d, block(set, s), len * d * sizeof *pool);
            pool_end[count + 1] = pool_end[count] + len;
            count++;
            continue;
        }
        size_t nb = 0;
        batch[nb++] = s;
        while (nb < batch_cap && hp.n > 0 && upto[hp.idx[0]] != count)
            batch[nb++] = heap_pop(&hp);
        ent_status first_err = ENT_OK;
#pragma omp parallel for schedule(dynamic, 1) if (nb > 1)
        for (size_t b = 0; b < nb; b++) {
            size_t t = batch[b], len = block_rows(set, t);
            size_t from = pool_end[upto[t]], to = pool_end[count];
            ent_error local = {0};
            ent_status rs = ENT_OK;
            if (len && to > from)
                rs = ent_kernel_sum(block(set, t), len, pool + from * d, to - from, d, &h, 1,
                                    tmp + set->offsets[t], &local);
            for (size_t e = 0; rs == ENT_OK && e < len && to > from; e++)
                acc[set->offsets[t] + e] += tmp[set->offsets[t] + e];
            if (rs != ENT_OK) {
#pragma omp critical(ent_compress_error)
                if (first_err == ENT_OK) {
                    first_err = rs;
                    if (err)
                        *err = local;
                }
            }
        }
        st = first_err;
        for (size_t b = 0; b < nb; b++) {
            size_t t = batch[b];
            upto[t] = count;
            hp.key[t] = msc_score(acc + set->offsets[t], block_rows(set, t), entropies[t]);
            heap_push(&hp, t);
        }
    }
    if (st == ENT_OK)
        *n_selected = count;
done:
    free(acc);
    free(tmp);
    free(pool);
    free(upto);
    free(pool_end);
    free(hp.idx);
    free(hp.key);
    return st;
}

ent_status ent_compress_msc_conditional_eager(const ent_structure_set *set,
                                              const double *entropies, size_t size,
                                              const double *ref, size_t n_ref, double h,
                                              size_t *selected, size_t *n_selected,
                                              ent_error *err)
{
    return msc_run_eager(set, entropies, size, ref, n_ref, h, n_ref == 0, selected,
                         n_selected, err);
}

ent_status ent_compress_msc(const ent_structure_set *set, const double *entropies,
                            size_t size, double h, size_t *selected, ent_error *err)
{
    size_t n;
    return msc_run(set, entropies, size, NULL, 0, h, 1, selected, &n, err);
}

ent_status ent_compress_msc_conditional(const ent_structure_set *set,
                                        const double *entropies, size_t size,
                                        const double *ref, size_t n_ref, double h,
                                        size_t *selected, size_t *n_selected,
                                        ent_error *err)
{
    /* The reference falls back to plain msc (entropy first pick) without a reference. */
    return msc_run(set, entropies, size, ref, n_ref, h, n_ref == 0, selected, n_selected,
                   err);
}

/* Row sums of Euclidean distances (dot-product form, clamped at 0) between each of the
 * m rows of a and the n rows of b: out[i] = sum_j |a_i - b_j|. Tiles of 256 rows of a
 * per thread through one dgemm each. */
static ent_status distance_row_sums(const double *a, size_t m, const double *b, size_t n,
                                    size_t d, double *out, ent_error *err)
{
    enum { TILE = 256 };
    double *bn = malloc((n ? n : 1) * sizeof *bn);
    if (!bn)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t j = 0; j < n; j++)
        bn[j] = cblas_ddot((int)d, b + j * d, 1, b + j * d, 1);
    int failed = 0;
#pragma omp parallel
    {
        double *g = malloc(TILE * (n ? n : 1) * sizeof *g);
        if (!g) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < (m + TILE - 1) / TILE; t++) {
            if (!g)
                continue;
            size_t i0 = t * TILE, rows = m - i0 < TILE ? m - i0 : TILE;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)d,
                        1.0, a + i0 * d, (int)d, b, (int)d, 0.0, g, (int)n);
            for (size_t i = 0; i < rows; i++) {
                double an = cblas_ddot((int)d, a + (i0 + i) * d, 1, a + (i0 + i) * d, 1);
                double sum = 0;
                for (size_t j = 0; j < n; j++) {
                    double d2 = an + bn[j] - 2.0 * g[i * n + j];
                    sum += sqrt(d2 > 0 ? d2 : 0);
                }
                out[i0 + i] = sum;
            }
        }
        free(g);
    }
    free(bn);
    return failed ? ent_error_set(err, ENT_ENOMEM, "out of memory") : ENT_OK;
}

ent_status ent_compress_fps(const ent_structure_set *set, const double *entropies,
                            size_t size, size_t *selected, ent_error *err)
{
    ent_status st = check_set(set, size, err);
    if (st != ENT_OK)
        return st;
    size_t S = set->n_structures, n = set->offsets[S];
    if (size > S)
        size = S;
    double *mind = malloc(S * sizeof *mind);
    double *rowsum = malloc((n ? n : 1) * sizeof *rowsum);
    size_t *remaining = calloc(S, sizeof *remaining);
    if (!mind || !rowsum || !remaining) {
        st = ent_error_set(err, ENT_ENOMEM, "out of memory");
        goto done;
    }
    size_t n_remaining = S;
    for (size_t s = 0; s < S; s++) {
        remaining[s] = s;
        mind[s] = INFINITY;
    }
    size_t pos = first_argmax(entropies, remaining, n_remaining);
    for (size_t count = 0;; count++) {
        size_t c = remaining[pos];
        selected[count] = c;
        memmove(&remaining[pos], &remaining[pos + 1], (n_remaining - pos - 1) * sizeof(size_t));
        n_remaining--;
        if (count + 1 == size)
            break;
        /* delta(c, s) for every structure (cheap enough: the whole data set once). */
        st = distance_row_sums(set->x, n, block(set, c), block_rows(set, c), set->d, rowsum,
                               err);
        if (st != ENT_OK)
            goto done;
        for (size_t i = 0; i < n_remaining; i++) {
            size_t s = remaining[i], len = block_rows(set, s);
            double sum = 0;
            for (size_t e = 0; e < len; e++)
                sum += rowsum[set->offsets[s] + e];
            double delta = sum / ((double)len * (double)block_rows(set, c));
            mind[s] = fmin(mind[s], delta);
        }
        pos = first_argmax(mind, remaining, n_remaining);
    }
done:
    free(mind);
    free(rowsum);
    free(remaining);
    return st;
}

ent_status ent_compress_random(size_t n_structures, size_t size, uint64_t seed,
                               size_t *selected, ent_error *err)
{
    if (n_structures == 0 || size == 0)
        return ent_error_set(err, ENT_EINVAL, "random compression needs structures and size >= 1");
    if (size > n_structures)
        size = n_structures;
    size_t *perm = malloc(n_structures * sizeof *perm);
    if (!perm)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_structures; i++)
        perm[i] = i;
    ent_rng rng;
    ent_rng_seed(&rng, seed);
    for (size_t i = 0; i < size; i++) {
        size_t j = i + (size_t)ent_rng_below(&rng, n_structures - i);
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        selected[i] = perm[i];
    }
    free(perm);
    return ENT_OK;
}

/* Per-structure mean descriptors (S x d). Structures without environments get zeros. */
static double *mean_descriptors(const ent_structure_set *set)
{
    size_t S = set->n_structures, d = set->d;
    double *mean = calloc(S * d, sizeof *mean);
    if (!mean)
        return NULL;
    for (size_t s = 0; s < S; s++) {
        size_t len = block_rows(set, s);
        for (size_t e = 0; e < len; e++)
            for (size_t k = 0; k < d; k++)
                mean[s * d + k] += block(set, s)[e * d + k];
        for (size_t k = 0; k < d && len; k++)
            mean[s * d + k] /= (double)len;
    }
    return mean;
}

static double sqdist(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t k = 0; k < d; k++)
        s += (a[k] - b[k]) * (a[k] - b[k]);
    return s;
}

ent_status ent_compress_mean_fps(const ent_structure_set *set, const double *entropies,
                                 size_t size, size_t *selected, ent_error *err)
{
    ent_status st = check_set(set, size, err);
    if (st != ENT_OK)
        return st;
    size_t S = set->n_structures, d = set->d;
    if (size > S)
        size = S;
    double *mean = mean_descriptors(set);
    double *mind = malloc(S * sizeof *mind);
    size_t *all = malloc(S * sizeof *all);
    if (!mean || !mind || !all) {
        free(mean);
        free(mind);
        free(all);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    for (size_t s = 0; s < S; s++) {
        all[s] = s;
        mind[s] = INFINITY;
    }
    size_t c = all[first_argmax(entropies, all, S)];
    for (size_t count = 0; count < size; count++) {
        selected[count] = c;
        mind[c] = -1; /* never again */
        for (size_t s = 0; s < S; s++)
            if (mind[s] >= 0)
                mind[s] = fmin(mind[s], sqdist(mean + s * d, mean + c * d, d));
        c = all[first_argmax(mind, all, S)];
    }
    free(mean);
    free(mind);
    free(all);
    return ENT_OK;
}

ent_status ent_compress_kmeans(const ent_structure_set *set, size_t size, uint64_t seed,
                               size_t *selected, ent_error *err)
{
    ent_status st = check_set(set, size, err);
    if (st != ENT_OK)
        return st;
    size_t S = set->n_structures, d = set->d, K = size < S ? size : S;
    double *mean = mean_descriptors(set);
    double *cent = malloc(K * d * sizeof *cent);
    double *dist = malloc(S * sizeof *dist);
    size_t *assign = malloc(S * sizeof *assign);
    size_t *count = malloc(K * sizeof *count);
    if (!mean || !cent || !dist || !assign || !count) {
        st = ent_error_set(err, ENT_ENOMEM, "out of memory");
        goto done;
    }
    ent_rng rng;
    ent_rng_seed(&rng, seed);
    /* k-means++: first centre uniform, then proportional to squared distance. */
    size_t first = (size_t)ent_rng_below(&rng, S);
    memcpy(cent, mean + first * d, d * sizeof *cent);
    for (size_t s = 0; s < S; s++)
        dist[s] = sqdist(mean + s * d, cent, d);
    for (size_t k = 1; k < K; k++) {
        double total = 0;
        for (size_t s = 0; s < S; s++)
            total += dist[s];
        size_t pick = 0;
        if (total > 0) {
            double u = ent_rng_uniform(&rng) * total, acc = 0;
            for (pick = 0; pick + 1 < S; pick++) {
                acc += dist[pick];
                if (acc > u && dist[pick] > 0)
                    break;
            }
        } else {
            pick = (size_t)ent_rng_below(&rng, S); /* all points coincide with centres */
        }
        memcpy(cent + k * d, mean + pick * d, d * sizeof *cent);
        for (size_t s = 0; s < S; s++)
            dist[s] = fmin(dist[s], sqdist(mean + s * d, cent + k * d, d));
    }
    /* Lloyd iterations (serial and in fixed order: deterministic). */
    for (size_t s = 0; s < S; s++)
        assign[s] = SIZE_MAX;
    for (int iter = 0; iter < 300; iter++) {
        int changed = 0;
        for (size_t s = 0; s < S; s++) {
            size_t best = 0;
            double bd = INFINITY;
            for (size_t k = 0; k < K; k++) {
                double dd = sqdist(mean + s * d, cent + k * d, d);
                if (dd < bd) {
                    bd = dd;
                    best = k;
                }
            }
            if (assign[s] != best) {
                assign[s] = best;
                changed = 1;
            }
        }
        if (!changed)
            break;
        memset(count, 0, K * sizeof *count);
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < d; j++)
                cent[k * d + j] = 0;
        for (size_t s = 0; s < S; s++) {
            count[assign[s]]++;
            for (size_t j = 0; j < d; j++)
                cent[assign[s] * d + j] += mean[s * d + j];
        }
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < d && count[k]; j++)
                cent[k * d + j] /= (double)count[k];
        /* An empty cluster keeps its zeroed centre only until it is refilled: move it
         * to the point farthest from its current centre instead. */
        for (size_t k = 0; k < K; k++) {
            if (count[k])
                continue;
            size_t far = 0;
            double fd = -1;
            for (size_t s = 0; s < S; s++) {
                double dd = sqdist(mean + s * d, cent + assign[s] * d, d);
                if (dd > fd) {
                    fd = dd;
                    far = s;
                }
            }
            memcpy(cent + k * d, mean + far * d, d * sizeof *cent);
        }
    }
    /* From each cluster the member closest to the centre (lowest index on ties); then
     * clusters that ended empty take the lowest-index structures not chosen yet. */
    size_t n_out = 0;
    for (size_t k = 0; k < K; k++) {
        size_t best = SIZE_MAX;
        double bd = INFINITY;
        for (size_t s = 0; s < S; s++) {
            if (assign[s] != k)
                continue;
            double dd = sqdist(mean + s * d, cent + k * d, d);
            if (dd < bd) {
                bd = dd;
                best = s;
            }
        }
        if (best != SIZE_MAX)
            selected[n_out++] = best;
    }
    for (size_t s = 0; n_out < K && s < S; s++) {
        int taken = 0;
        for (size_t i = 0; i < n_out; i++)
            taken |= selected[i] == s;
        if (!taken)
            selected[n_out++] = s;
    }
done:
    free(mean);
    free(cent);
    free(dist);
    free(assign);
    free(count);
    return st;
}
