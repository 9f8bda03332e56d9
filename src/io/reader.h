/* Streaming structure readers: one frame at a time, so trajectories of any length can be
 * processed in bounded memory. Formats: extended XYZ, VASP POSCAR/CONTCAR, LAMMPS
 * `dump custom`. Every malformed input is an ENT_EPARSE error whose message names the
 * file, the line and the field: "NAME:LINE: FIELD: what is wrong", e.g.
 *   "al.xyz:3: Lattice: expected 9 numbers, got 8"
 *   "x.xyz:17: atom 5 column pos: not a number 'abc'"
 *   "x.xyz:110: truncated frame: expected 108 atom lines, found 3"
 * Atoms are numbered from 1 in messages; NAME is the path as given to ent_reader_open.
 *
 * Decisions common to all formats
 * - NaN/inf in positions or in the cell is ENT_EGEOMETRY (same "NAME:LINE: field:"
 *   message); it parses, but is not a geometry. Other real columns (forces, ...) and info
 *   values may hold nan/inf. Numbers are strict decimal ("1", "-2.5e-3", "nan", "inf");
 *   hex floats, "1.0D0", trailing junk ("1.0x") and values overflowing a double are
 *   ENT_EPARSE. Parsing uses strtod, so the C locale's '.' decimal point is assumed.
 * - Atom counts above ENT_READER_MAX_ATOMS are ENT_EPARSE. Memory grows with the atom
 *   lines actually read, never with the count a header claims, so a corrupt count cannot
 *   trigger a huge allocation.
 * - A file with no frames (empty, or only blank lines) is not an error: the first
 *   ent_reader_next returns ENT_EEOF. Blank lines are tolerated only at the end of the
 *   input; a blank line followed by more content is ENT_EPARSE.
 * - Lines may end in "\n" or "\r\n"; a NUL byte inside a line is ENT_EPARSE.
 *
 * Extended XYZ (ASE dialect)
 * - Comment line: key=value pairs separated by blanks (blanks around '=' allowed). Values
 *   are bare words, "quoted strings" (escapes \" \\ \n) or [bracketed, lists] / {...}.
 *   Keys may be quoted. A bare key without '=' is the boolean true. A duplicate key is
 *   ENT_EPARSE. A comment line without any '=' is free text (plain XYZ): it is kept as
 *   the string info item "comment" (trimmed; nothing if blank).
 * - Lattice="9 numbers" (rows a, b, c) sets has_cell. pbc="T T F" (T/F/True/False/
 *   true/false/TRUE/FALSE; one value applies to all three). Lattice without pbc → periodic
 *   in all three directions (as ASE); no Lattice → has_cell = 0, pbc as given, default
 *   false (a pbc without Lattice is kept as read; the numerics decide whether to reject).
 * - Properties=name:TYPE:ncols:... with TYPE in S R I L; species:S:1 and pos:R:3 are
 *   required (no aliases); duplicate names, unknown types and ncols outside
 *   1..ENT_READER_MAX_VALUES are ENT_EPARSE. Missing Properties (plain XYZ) means
 *   species:S:1:pos:R:3. Other columns are kept typed, in order, in frame->columns.
 *   Species symbols are 1..ENT_SYMBOL_MAX-1 printable characters (not checked against
 *   the periodic table).
 * - Info typing, decided by parsing: a bare value is an INT, REAL or BOOL scalar if it
 *   parses as one (tried in that order), else a string. A quoted or bracketed value is
 *   split on blanks (and on commas/brackets for [..]): all integers → INT array, all
 *   reals → REAL array, all booleans → BOOL array (is_array = 1, even for one value),
 *   else a string scalar holding the text. So `note="perfect fcc"` is a string and
 *   `stress="1 0 0 0 1 0 0 0 1"` an INT array; a string that looks like a number cannot
 *   keep its string type through the format (as in ASE).
 *
 * VASP POSCAR / CONTCAR (one frame per file; pbc T T T; info "comment" = first line)
 * - Scaling line: one factor (> 0 scales lattice and Cartesian positions; < 0 is the
 *   target cell volume, as VASP) or three positive factors (per Cartesian component).
 * - Species line required (VASP 5; POTCAR suffixes "Fe_pv", "Fe/hash" are stripped).
 *   VASP 4 files (counts right after the lattice) are accepted only when the first
 *   words of the comment line are chemical symbols, one per count (ASE does the same);
 *   otherwise ENT_EPARSE asking for a species line.
 * - "Selective dynamics" (first letter S/s) is kept as the BOOL column move_mask:L:3
 *   (T = free to move along x/y/z, VASP's meaning; ASE's extxyz uses the same name).
 * - Coordinate line: first letter D/d = Direct (fractional), C/c/K/k = Cartesian (scaled
 *   too); anything else is ENT_EPARSE. Lattice and position lines need 3 numbers (+3 T/F
 *   flags on position lines with selective dynamics); further words (site labels,
 *   comments) are ignored, as VASP does. A blank comment line is allowed.
 * - Everything after the positions (velocities, predictor-corrector block) is ignored.
 *
 * LAMMPS dump custom (multi-frame)
 * - Items per frame, in any order up to ITEM: ATOMS: TIMESTEP (→ INT info "timestep"),
 *   TIME (→ REAL info "time"), UNITS (→ string info "units"), NUMBER OF ATOMS,
 *   BOX BOUNDS [xy xz yz] [flags]. NUMBER OF ATOMS and BOX BOUNDS are required; an
 *   unknown item is ENT_EPARSE. Boundary flags: "pp" periodic, f/s/m non-periodic; no
 *   flags (very old dumps) → periodic. Triclinic bounds are converted to the lattice
 *   with LAMMPS' bound→box rules (a = (xhi-xlo,0,0), b = (xy,yhi-ylo,0),
 *   c = (xz,yz,zhi-zlo)). The general-triclinic "abc origin" form is also read.
 * - Positions: x y z, else xu yu zu, else xs ys zs / xsu ysu zsu (scaled, converted with
 *   the box); Cartesian values are kept as written (not shifted by the box origin).
 * - Species from an `element` column, else from `type` through
 *   ent_reader_options.lammps_type_symbols (types 1..n); neither → ENT_EPARSE.
 * - Atoms are sorted by `id` when an id column exists (duplicate ids → ENT_EPARSE).
 *   id and type are kept as INT columns "id" and "type"; fx fy fz as forces:R:3; every
 *   other column (the unused position variants, vx, c_pe, ...) as a REAL column of one
 *   value under its LAMMPS name, in dump order; non-numeric values are ENT_EPARSE.
 *   So that every frame can be written as extended XYZ, ':', '"', '=' and control
 *   characters in column names become '_', and columns named species or pos become
 *   lammps_species / lammps_pos.
 *
 * Format auto-detection (ENT_FORMAT_AUTO): by file name first — *.xyz / *.extxyz →
 * extended XYZ; POSCAR* / CONTCAR* / *.vasp / *.poscar → POSCAR; *.dump / *.lammpstrj /
 * dump.* → LAMMPS dump (all case-insensitive, on the base name). Otherwise the first
 * lines are sniffed: "ITEM:" → LAMMPS dump; a lone integer → extended XYZ; a line of 1 or
 * 3 numbers followed by three lines of 3 numbers → POSCAR; anything else → extended XYZ,
 * whose parser then reports what is wrong. Sniffing reads ahead through a push-back queue,
 * so it also works on pipes and stdin. */
#ifndef ENT_IO_READER_H
#define ENT_IO_READER_H

#include <stdio.h>

#include "io/frame.h"

/* Largest atom count a frame header may claim, and the largest number of values per
 * atom line (sum of Properties column counts). Beyond: ENT_EPARSE. */
#define ENT_READER_MAX_ATOMS 1000000000L
#define ENT_READER_MAX_VALUES 4096

typedef enum ent_format {
    ENT_FORMAT_AUTO = 0, /* from the file name, else by sniffing the content (above) */
    ENT_FORMAT_EXTXYZ = 1,
    ENT_FORMAT_POSCAR = 2,
    ENT_FORMAT_LAMMPS_DUMP = 3,
} ent_format;

typedef struct ent_reader_options {
    ent_format format;
    /* LAMMPS dump without an `element` column: symbols of types 1..n_types.
     * NULL → an `element` column is required. Copied by ent_reader_open. */
    const char *const *lammps_type_symbols;
    int lammps_n_types;
} ent_reader_options;

typedef struct ent_reader ent_reader;

/* Open path ("-" = stdin; any format, AUTO sniffs the content). opts may be NULL (auto,
 * no type map). Errors: ENT_EINVAL (NULL path/out, unknown format value, invalid type
 * map: negative count, NULL array or a symbol that is empty, has blanks or is longer than
 * ENT_SYMBOL_MAX-1), ENT_EIO (cannot open or read), ENT_ENOMEM. On error *out = NULL. */
ent_status ent_reader_open(const char *path, const ent_reader_options *opts,
                           ent_reader **out, ent_error *err);

/* Same over an already open stream (a pipe, fmemopen buffer, ...). The stream is
 * borrowed: the caller closes it after ent_reader_close. name is used in messages
 * (NULL → "<stream>"); with ENT_FORMAT_AUTO only the content is sniffed. */
ent_status ent_reader_open_stream(FILE *fp, const char *name, const ent_reader_options *opts,
                                  ent_reader **out, ent_error *err);

/* Read the next frame into *out (caller destroys it). Returns ENT_EEOF (and *out = NULL)
 * after the last frame, ENT_EPARSE / ENT_EGEOMETRY / ENT_ENOMEM / ENT_EIO on error.
 * After an error the reader must only be closed (further calls return ENT_EINVAL).
 * ENT_EINVAL for NULL arguments. */
ent_status ent_reader_next(ent_reader *r, ent_frame **out, ent_error *err);

/* 0-based index of the frame most recently returned (0 before the first). */
size_t ent_reader_frame_index(const ent_reader *r);

/* The format being read (resolved: never AUTO for an open reader; AUTO for NULL). */
ent_format ent_reader_format(const ent_reader *r);

void ent_reader_close(ent_reader *r); /* accepts NULL */

/* Write one frame as extended XYZ: species and pos first, then the other columns in
 * order; Lattice (if has_cell), Properties, info items, pbc (always). Reals are printed
 * in the shortest of %.15g/%.16g/%.17g that reads back to the same double (integral
 * values get ".0" so they stay reals), so read → write → read is exact. Strings with
 * blanks, quotes, '=' or backslashes are quoted and escaped; arrays are quoted
 * ("1 2 3"); several strings in one info item are joined with blanks.
 * ENT_EINVAL: NULL arguments, an invalid species symbol, a column named species/pos or
 * with ':', blanks, '"' or '=' in its name, a duplicate column, a per-atom string that is
 * empty or has blanks (not representable), a reserved info key; nothing is written then.
 * ENT_EIO on write failure, ENT_ENOMEM. */
ent_status ent_extxyz_write(FILE *fp, const ent_frame *f, ent_error *err);

#endif
