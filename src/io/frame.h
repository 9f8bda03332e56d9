/* ent_frame: one structure (a frame of a trajectory) as read from or written to a file.
 * Owns everything it points to. Per-atom columns beyond species/positions and the info
 * keys of the extended-XYZ comment line are kept typed and in file order so that a
 * read → write round trip reproduces the values exactly. */
#ifndef ENT_IO_FRAME_H
#define ENT_IO_FRAME_H

#include <stddef.h>

#include "base/status.h"

#define ENT_SYMBOL_MAX 8 /* chemical symbol incl. NUL ("Al", "Cu", "X1"...) */

typedef enum ent_value_type {
    ENT_VAL_REAL = 0, /* double */
    ENT_VAL_INT = 1,  /* long */
    ENT_VAL_BOOL = 2, /* int, 0 or 1 */
    ENT_VAL_STR = 3,  /* char *, owned */
} ent_value_type;

/* A per-atom property column other than species and pos (forces, masses, dH, ...). */
typedef struct ent_column {
    char *name;
    ent_value_type type;
    int ncols;  /* values per atom (3 for forces) */
    void *data; /* n_atoms * ncols values, row-major, element type per `type` */
} ent_column;

/* One key of the frame's info (extended-XYZ comment line), scalar or array. */
typedef struct ent_info_item {
    char *key;
    ent_value_type type;
    int is_array; /* written as "a b c" (quoted) even when count == 1 */
    size_t count; /* number of values */
    void *data;   /* count values, element type per `type` */
} ent_info_item;

typedef struct ent_frame {
    size_t n_atoms;
    char (*species)[ENT_SYMBOL_MAX]; /* n_atoms symbols */
    double *positions;               /* n_atoms x 3, Cartesian, Angstrom */
    double cell[9];                  /* rows = lattice vectors a, b, c (Angstrom) */
    int has_cell;                    /* 0: no Lattice given (cell is all zero) */
    int pbc[3];                      /* periodic along a, b, c */
    ent_column *columns;             /* in file order; never "species" or "pos" */
    size_t n_columns;
    ent_info_item *info; /* in file order; never "Lattice", "Properties" or "pbc" */
    size_t n_info;
} ent_frame;

/* Allocate a frame of n_atoms atoms (species empty strings, positions zero, no cell,
 * pbc false). Returns NULL on allocation failure. */
ent_frame *ent_frame_create(size_t n_atoms);
void ent_frame_destroy(ent_frame *f); /* accepts NULL */

/* Deep copy; NULL on allocation failure. */
ent_frame *ent_frame_copy(const ent_frame *f);

/* Look up a column / info item by exact name; NULL if absent. */
const ent_column *ent_frame_column_find(const ent_frame *f, const char *name);
const ent_info_item *ent_frame_info_find(const ent_frame *f, const char *key);

/* Add (or replace, if the name exists) a real per-atom column with ncols values per
 * atom, copied from values (n_atoms * ncols). ENT_EINVAL for a reserved name
 * ("species", "pos") or ncols < 1, ENT_ENOMEM. */
ent_status ent_frame_column_set_real(ent_frame *f, const char *name, int ncols,
                                     const double *values, ent_error *err);

/* Add (or replace) a scalar info item (is_array = 0, count = 1). The string is copied.
 * ENT_EINVAL for a NULL frame/value, an empty key or a reserved key ("Lattice",
 * "Properties", "pbc"); ENT_ENOMEM. */
ent_status ent_frame_info_set_real(ent_frame *f, const char *key, double value,
                                   ent_error *err);
ent_status ent_frame_info_set_int(ent_frame *f, const char *key, long value, ent_error *err);
ent_status ent_frame_info_set_str(ent_frame *f, const char *key, const char *value,
                                  ent_error *err);

/* Numeric value of an info item holding exactly one REAL or INT value, scalar or
 * one-element array (extended XYZ writes `energy=-1.5` but other tools `energy="-1.5"`,
 * which reads as an array). ENT_EINVAL if absent, not numeric or count != 1. */
ent_status ent_frame_info_get_real(const ent_frame *f, const char *key, double *out);

/* Signed volume a·(b×c) of the cell (Angstrom^3). */
double ent_frame_cell_volume(const ent_frame *f);

#endif
