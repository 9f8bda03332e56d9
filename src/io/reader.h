/* Streaming structure readers: one frame at a time, so trajectories of any length can be
 * processed in bounded memory. Formats: extended XYZ, VASP POSCAR/CONTCAR, LAMMPS
 * `dump custom`. Every malformed input is an ENT_EPARSE error whose message names the
 * file, the line and the field. */
#ifndef ENT_IO_READER_H
#define ENT_IO_READER_H

#include <stdio.h>

#include "io/frame.h"

typedef enum ent_format {
    ENT_FORMAT_AUTO = 0,  /* from the file name: *.xyz/*.extxyz, POSCAR*/CONTCAR*/*.vasp,
                             *.dump/*.lammpstrj/dump.*; else by sniffing the content */
    ENT_FORMAT_EXTXYZ = 1,
    ENT_FORMAT_POSCAR = 2,
    ENT_FORMAT_LAMMPS_DUMP = 3,
} ent_format;

typedef struct ent_reader_options {
    ent_format format;
    /* LAMMPS dump without an `element` column: symbols of types 1..n_types.
     * NULL → an `element` column is required. */
    const char *const *lammps_type_symbols;
    int lammps_n_types;
} ent_reader_options;

typedef struct ent_reader ent_reader;

/* Open path ("-" = stdin, extxyz only). opts may be NULL (auto, no type map).
 * Errors: ENT_EIO (cannot open), ENT_EINVAL (unknown format). */
ent_status ent_reader_open(const char *path, const ent_reader_options *opts,
                           ent_reader **out, ent_error *err);

/* Read the next frame into *out (caller destroys it). Returns ENT_EEOF (and *out = NULL)
 * after the last frame, ENT_EPARSE / ENT_EGEOMETRY / ENT_ENOMEM / ENT_EIO on error.
 * After an error the reader must only be closed. */
ent_status ent_reader_next(ent_reader *r, ent_frame **out, ent_error *err);

/* 0-based index of the frame most recently returned. */
size_t ent_reader_frame_index(const ent_reader *r);

void ent_reader_close(ent_reader *r); /* accepts NULL */

/* Write one frame as extended XYZ: species and pos first, then the other columns in
 * order; Lattice (if has_cell), Properties, info items, pbc. Reals are printed in the
 * shortest form that reads back to the same double. ENT_EIO on write failure. */
ent_status ent_extxyz_write(FILE *fp, const ent_frame *f, ent_error *err);

#endif
