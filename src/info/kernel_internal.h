/* Private to src/info/kernel*.c: the prepared descriptor set (row order, norms, packed
 * panels, tile bounds) and the tile-pair engine shared by the self sum and the cross sum.
 * Nothing here is part of the public API. */
#ifndef ENT_INFO_KERNEL_INTERNAL_H
#define ENT_INFO_KERNEL_INTERNAL_H

#include <stddef.h>

#include "base/status.h"

/* Panel width of the packed layout and of the micro-kernel's column block; the micro-kernel
 * covers ENT_KT_MR rows x ENT_KT_NR columns. Tiles are multiples of ENT_KT_NR rows so that
 * a tile is a whole number of panels. */
#define ENT_KT_NR 24
#define ENT_KT_MR 8
#define ENT_KT_TILE_DEFAULT 240

/* exp(x) is exactly 0 in double precision for x < -745.14; a tile pair whose smallest
 * possible exponent is below -ENT_KT_ZERO_EXPONENT contributes exactly 0 and is skipped. */
#define ENT_KT_ZERO_EXPONENT 746.0

/* A descriptor set prepared for the tile engine. The rows are reordered so that every
 * tile is a compact cluster, and laid out in "slots": tile t occupies slots
 * [tstart[t], tstart[t] + tcount[t]), tstart[t] a multiple of NR, slots up to the next
 * multiple of NR are zero padding. src[slot] is the caller's row (SIZE_MAX for padding).
 * Exactly one of pack / rows is used:
 *  pack: npad/NR panels of NR slots, pack[(q*d + k)*NR + c] = row of slot q*NR+c, column k
 *        (micro-kernel path);
 *  rows: row-major npad x d by slot (BLAS path; the caller's x when the layout is the
 *        identity). */
typedef struct ent_kset {
    size_t n, d;
    size_t tile;          /* maximum rows per tile (a multiple of NR) */
    size_t ntiles, npad;  /* number of tiles, number of slots */
    size_t *tstart;       /* ntiles */
    size_t *tcount;       /* ntiles, 1..tile */
    size_t *src;          /* npad */
    double *pack;         /* owned, 64-byte aligned, or NULL */
    const double *rows;   /* borrowed or == rows_owned */
    double *rows_owned;
    double *norm;         /* npad: |x|^2 of each slot (0 for padding) */
    double *centre;       /* ntiles x d: mean of the tile's rows */
    double *radius;       /* ntiles: max distance of a tile row from its centre (inflated) */
} ent_kset;

/* Per-call parameters of the tile engine. negc[b] = -0.5 / h_b^2. */
typedef struct ent_kparams {
    const double *negc;
    size_t nh;
    double cmin;  /* min_b 0.5 / h_b^2: used by the skipping bound */
    int use_blas;
    int no_skip;
} ent_kparams;

/* Doubles of per-thread workspace ent_kt_block needs for tiles of `tile` rows. */
size_t ent_kt_workspace(size_t tile, size_t nh);

/* 1 if tile pair (ta of a, tb of b) provably contributes exactly 0 for every bandwidth. */
int ent_kt_skippable(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                     const ent_kparams *kp);

/* Kernel sums of the rows of tile ta of `a` against the rows of tile tb of `b`.
 * rowacc[r*nh + bw] += sum_j K(a_r, b_j) for the tile's rows r (rowacc points at the tile's
 * first row). If colacc is not NULL, colacc[bw*tile + j] += sum_r K(a_r, b_j) as well
 * (the symmetric self sum). ws: ent_kt_workspace doubles, 64-byte aligned.
 * The summation order depends only on the tiles, never on the calling thread. */
void ent_kt_block(const ent_kset *a, size_t ta, const ent_kset *b, size_t tb,
                  const ent_kparams *kp, double *rowacc, double *colacc, double *ws);

/* 1 when the AVX-512 micro-kernel was compiled in. */
int ent_kt_have_simd(void);

#endif
