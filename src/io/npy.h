/* NumPy .npy files (format version 1.0/2.0): write float64 C-order 2-D arrays, read
 * float64 or bool arrays of up to two dimensions. The format is a short Python-dict
 * header followed by raw little-endian data; no Debian library covers it for C. */
#ifndef ENT_IO_NPY_H
#define ENT_IO_NPY_H

#include <stdio.h>

#include "base/status.h"

/* Write an (rows x cols) float64 array. cols == 0 writes a 1-D array of rows values.
 * ENT_EIO on write failure (message names path). */
ent_status ent_npy_write(const char *path, const double *data, size_t rows, size_t cols,
                         ent_error *err);

/* Streaming variant: write the header for (rows x cols) now, then the caller appends
 * rows*cols doubles with fwrite (little-endian hosts only, as x86-64/arm64). */
ent_status ent_npy_write_header(FILE *fp, size_t rows, size_t cols, ent_error *err);

/* Read a float64 ('<f8') or bool ('|b1', converted to 0.0/1.0) array, C order, 1-D or
 * 2-D. *data is malloc'ed (caller frees); *cols = 0 for 1-D arrays.
 * Errors: ENT_EIO, ENT_EPARSE (bad magic/header), ENT_EUNSUPPORTED (other dtype,
 * Fortran order, >2 dims), ENT_ENOMEM. */
ent_status ent_npy_read(const char *path, double **data, size_t *rows, size_t *cols,
                        ent_error *err);

#endif
