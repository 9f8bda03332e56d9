/* Vectorised exp shared by the kernel tiles (kernel_tile.c) and the dH index leaves
 * (dh_index_query.c), so both give bit-identical kernel values. Private to src/info;
 * only compiled in where AVX-512F/DQ are available. */
#ifndef ENT_INFO_SIMD_EXP_H
#define ENT_INFO_SIMD_EXP_H

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>

/* exp(x) is exactly 0 in double precision below this (-745.14); inputs are clamped here. */
#define ENT_EXP8_FLOOR 746.0

/* exp(x) for x <= 0 (accuracy ~3e-16 relative, exact 0 below -745.14 like libm):
 * x = n ln2 + r, |r| <= ln2/2, degree-12 Taylor polynomial of e^r (truncation 1.7e-16),
 * scaled by 2^n with vscalefpd, which rounds once into the subnormal range. x is clamped
 * at -746 (exp = 0 exactly there) so that r stays accurate for any input. */
static inline __m512d ent_exp8(__m512d x)
{
    x = _mm512_max_pd(x, _mm512_set1_pd(-ENT_EXP8_FLOOR));
    __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fmadd_pd(n, _mm512_set1_pd(-6.93147180369123816490e-01), x);
    r = _mm512_fmadd_pd(n, _mm512_set1_pd(-1.90821492927058770002e-10), r);
    __m512d p = _mm512_set1_pd(1.0 / 479001600.0);
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 39916800.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 3628800.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 362880.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 40320.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 5040.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 720.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 120.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 24.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0 / 6.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0.5));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
    return _mm512_scalef_pd(p, n);
}

#endif
#endif
