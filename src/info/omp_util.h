/* The OpenMP thread count and thread number, or 1 and 0 in a build without OpenMP.
 * Private to src/info. */
#ifndef ENT_INFO_OMP_UTIL_H
#define ENT_INFO_OMP_UTIL_H

#ifdef _OPENMP
#include <omp.h>
static inline int max_threads(void)
{
    return omp_get_max_threads();
}
static inline int thread_id(void)
{
    return omp_get_thread_num();
}
#else
static inline int max_threads(void)
{
    return 1;
}
static inline int thread_id(void)
{
    return 0;
}
#endif

#endif
