/* The hot loop of every kernel sum: one tile pair, i.e. the Gaussian kernels between the
 * rows of one tile and the rows of another, reduced to row sums (and column sums for the
 * symmetric self sum). Two ways to get the dot products: an AVX-512 register-blocked
 * micro-kernel on packed panels with a fused polynomial exp, or cblas_dgemm on row-major
 * tiles with a vectorised libm/libmvec exp. No allocation, no I/O, no OpenMP here: the
 * callers in kernel.c decide which thread runs which tile pair. */
#include <math.h>
#include <stddef.h>

#include <cblas.h>

#include "info/kernel_internal.h"
#include "info/simd_exp.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define ENT_KT_SIMD 1
#include <immintrin.h>
#else
#define ENT_KT_SIMD 0
#endif

#ifdef ENT_HAVE_MVEC
/* Tell GCC that glibc's libmvec has vector variants of exp (it then calls _ZGV*_exp from
 * `omp simd` loops; needs -fno-math-errno, set for this file in CMakeLists.txt). */
__attribute__((simd("notinbranch"))) double exp(double);
#endif

int ent_kt_have_simd(void)
{
    return ENT_KT_SIMD;
}

size_t ent_kt_workspace(size_t tile, size_t nh)
{
    /* BLAS path: a tile x tile Gram block; micro-kernel path: MR x tile. Plus the column
     * accumulator nh x tile and slack for alignment. */
    return tile * tile + nh * tile + 64;
}

int ent_kt_skippable(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                     const ent_kparams *kp)
{
    if (kp->no_skip)
        return 0;
    const double *ca = a->centre + ta * a->d, *cb = b->centre + tb * b->d;
    double s = 0.0;
    for (size_t k = 0; k < a->d; k++) {
        double t = ca[k] - cb[k];
        s += t * t;
    }
    /* Lower bound of every distance between the two tiles (triangle inequality). */
    double lb = sqrt(s) - a->radius[ta] - b->radius[tb];
    return lb > 0.0 && lb * lb * kp->cmin > ENT_KT_ZERO_EXPONENT;
}

/* ---------------------------------------------------------------------------------------
 * Generic reduction of a Gram block g (mr x nc, row stride ldg): d2 = |a|^2 + |b|^2 - 2 a.b
 * clamped at 0, K = exp(-0.5 d2 / h^2) for each bandwidth. */
static void process_generic(const double *g, size_t ldg, size_t mr, size_t nc,
                            const double *na, const double *nb, const ent_kparams *kp,
                            double *rowacc, double *colacc, size_t ldc)
{
    const size_t nh = kp->nh;
    for (size_t r = 0; r < mr; r++) {
        const double ni = na[r];
        const double *gr = g + r * ldg;
        for (size_t bw = 0; bw < nh; bw++) {
            const double c = kp->negc[bw];
            double s = 0.0;
            if (colacc) {
                double *cc = colacc + bw * ldc;
#pragma omp simd reduction(+ : s)
                for (size_t j = 0; j < nc; j++) {
                    double d2 = ni + nb[j] - 2.0 * gr[j];
                    d2 = d2 > 0.0 ? d2 : 0.0;
                    double e = exp(c * d2);
                    s += e;
                    cc[j] += e;
                }
            } else {
#pragma omp simd reduction(+ : s)
                for (size_t j = 0; j < nc; j++) {
                    double d2 = ni + nb[j] - 2.0 * gr[j];
                    d2 = d2 > 0.0 ? d2 : 0.0;
                    s += exp(c * d2);
                }
            }
            rowacc[r * nh + bw] += s;
        }
    }
}

static void block_blas(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                       const ent_kparams *kp, double *rowacc, double *colacc, double *ws)
{
    const size_t d = a->d, i0 = a->tstart[ta], j0 = b->tstart[tb];
    const size_t mi = a->tcount[ta], nj = b->tcount[tb], ldg = b->tile;
    double *g = ws;
    /* Called inside an OpenMP parallel region, the OpenMP build of OpenBLAS runs this on
     * the calling thread only. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mi, (int)nj, (int)d, 1.0,
                a->rows + i0 * d, (int)d, b->rows + j0 * d, (int)d, 0.0, g, (int)ldg);
    /* dgemm's summation order differs from the norms': make the self pairs of a diagonal
     * tile exact (d2 = 0, K = 1), as the micro-kernel's are by construction. */
    if (a == b && ta == tb)
        for (size_t r = 0; r < mi; r++)
            g[r * ldg + r] = a->norm[i0 + r];
    process_generic(g, ldg, mi, nj, a->norm + i0, b->norm + j0, kp, rowacc, colacc,
                    b->tile);
}

#if ENT_KT_SIMD

/* 8 x 24 block of dot products: g[r*ldg + c] = sum_k a[k*NR + r] * b[k*NR + c], each lane
 * accumulated with one fma per k in order k = 0..d-1 from 0 — the same operation sequence
 * as the norms in kernel.c, so identical rows give d2 = 0 exactly (K = 1). */
static inline void micro_8x24(const double *restrict a, const double *restrict b, size_t d,
                              double *restrict g, size_t ldg)
{
    __m512d c[ENT_KT_MR][3];
#pragma GCC unroll 8
    for (int r = 0; r < ENT_KT_MR; r++) {
        c[r][0] = _mm512_setzero_pd();
        c[r][1] = _mm512_setzero_pd();
        c[r][2] = _mm512_setzero_pd();
    }
    for (size_t k = 0; k < d; k++) {
        const double *bk = b + k * ENT_KT_NR, *ak = a + k * ENT_KT_NR;
        __m512d b0 = _mm512_load_pd(bk), b1 = _mm512_load_pd(bk + 8),
                b2 = _mm512_load_pd(bk + 16);
#pragma GCC unroll 8
        for (int r = 0; r < ENT_KT_MR; r++) {
            __m512d ar = _mm512_set1_pd(ak[r]);
            c[r][0] = _mm512_fmadd_pd(ar, b0, c[r][0]);
            c[r][1] = _mm512_fmadd_pd(ar, b1, c[r][1]);
            c[r][2] = _mm512_fmadd_pd(ar, b2, c[r][2]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < ENT_KT_MR; r++) {
        _mm512_store_pd(g + r * ldg, c[r][0]);
        _mm512_store_pd(g + r * ldg + 8, c[r][1]);
        _mm512_store_pd(g + r * ldg + 16, c[r][2]);
    }
}

/* K for 8 pairs: g = a.b, t = |a|^2 + |b|^2, c = -0.5/h^2. */
static inline __m512d kern8(__m512d g, __m512d t, __m512d c)
{
    __m512d d2 = _mm512_fmadd_pd(_mm512_set1_pd(-2.0), g, t);
    return ent_exp8(_mm512_mul_pd(_mm512_max_pd(d2, _mm512_setzero_pd()), c));
}

/* Reduce an MR x nc Gram block (only the first mr rows are real) like process_generic.
 * Two vectors per iteration with separate accumulators (fixed order, so deterministic). */
static void process_simd(const double *g, size_t ldg, size_t mr, size_t nc,
                         const double *na, const double *nb, const ent_kparams *kp,
                         double *rowacc, double *colacc, size_t ldc)
{
    const size_t nh = kp->nh, nfull = nc / 8;
    const __mmask8 tail = (__mmask8)((1u << (nc % 8)) - 1u);
    for (size_t r = 0; r < mr; r++) {
        const __m512d ni = _mm512_set1_pd(na[r]);
        const double *gr = g + r * ldg;
        for (size_t bw = 0; bw < nh; bw++) {
            const __m512d c = _mm512_set1_pd(kp->negc[bw]);
            __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
            double *cc = colacc ? colacc + bw * ldc : NULL;
            size_t v = 0;
            for (; v + 2 <= nfull; v += 2) {
                __m512d e0 = kern8(_mm512_load_pd(gr + 8 * v),
                                   _mm512_add_pd(ni, _mm512_loadu_pd(nb + 8 * v)), c);
                __m512d e1 = kern8(_mm512_load_pd(gr + 8 * v + 8),
                                   _mm512_add_pd(ni, _mm512_loadu_pd(nb + 8 * v + 8)), c);
                s0 = _mm512_add_pd(s0, e0);
                s1 = _mm512_add_pd(s1, e1);
                if (cc) {
                    _mm512_storeu_pd(cc + 8 * v, _mm512_add_pd(_mm512_loadu_pd(cc + 8 * v), e0));
                    _mm512_storeu_pd(cc + 8 * v + 8,
                                     _mm512_add_pd(_mm512_loadu_pd(cc + 8 * v + 8), e1));
                }
            }
            for (; v <= nfull; v++) {
                __mmask8 mk = v < nfull ? (__mmask8)0xFF : tail;
                if (!mk)
                    break;
                __m512d e = _mm512_maskz_mov_pd(
                    mk, kern8(_mm512_maskz_loadu_pd(mk, gr + 8 * v),
                              _mm512_add_pd(ni, _mm512_maskz_loadu_pd(mk, nb + 8 * v)), c));
                s0 = _mm512_add_pd(s0, e);
                if (cc)
                    _mm512_mask_storeu_pd(
                        cc + 8 * v, mk, _mm512_add_pd(_mm512_maskz_loadu_pd(mk, cc + 8 * v), e));
            }
            rowacc[r * nh + bw] += _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
        }
    }
}

static void block_simd(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                       const ent_kparams *kp, double *rowacc, double *colacc, double *ws)
{
    const size_t d = a->d, i0 = a->tstart[ta], j0 = b->tstart[tb];
    const size_t mi = a->tcount[ta], nj = b->tcount[tb];
    const size_t ldg = b->tile, ncp = (nj + ENT_KT_NR - 1) / ENT_KT_NR;
    double *g = ws;
    for (size_t r0 = 0; r0 < mi; r0 += ENT_KT_MR) {
        size_t gi = i0 + r0; /* global row of the micro-panel, a multiple of MR */
        const double *ap = a->pack + (gi / ENT_KT_NR) * ENT_KT_NR * d + gi % ENT_KT_NR;
        for (size_t q = 0; q < ncp; q++) {
            const double *bp = b->pack + (j0 / ENT_KT_NR + q) * ENT_KT_NR * d;
            micro_8x24(ap, bp, d, g + q * ENT_KT_NR, ldg);
        }
        size_t mr = mi - r0 < ENT_KT_MR ? mi - r0 : ENT_KT_MR;
        process_simd(g, ldg, mr, nj, a->norm + gi, b->norm + j0, kp, rowacc + r0 * kp->nh,
                     colacc, b->tile);
    }
}
#endif

void ent_kt_block(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                  const ent_kparams *kp, double *rowacc, double *colacc, double *ws)
{
#if ENT_KT_SIMD
    if (!kp->use_blas) {
        block_simd(a, ta, b, tb, kp, rowacc, colacc, ws);
        return;
    }
#endif
    block_blas(a, ta, b, tb, kp, rowacc, colacc, ws);
}
