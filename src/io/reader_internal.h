/* Private to src/io: the reader object shared by the format parsers, the line reader
 * (getline, line numbers, a small push-back queue used by format sniffing), strict number
 * parsing and the "FILE:LINE: field: what" error formatter. Not installed, not used
 * outside src/io except by the io unit tests and fuzzers. */
#ifndef ENT_IO_READER_INTERNAL_H
#define ENT_IO_READER_INTERNAL_H

#include <stdio.h>

#include "io/reader.h"

/* Lines the sniffer may read ahead and push back before a parser starts. */
#define ENT_RD_PENDING_MAX 8

typedef ent_status (*ent_rd_next_fn)(ent_reader *r, ent_frame **out, ent_error *err);

struct ent_reader {
    FILE *fp;
    int owns_fp;         /* fclose on ent_reader_close */
    char *name;          /* file name used in messages */
    ent_format format;   /* resolved, never AUTO */
    ent_rd_next_fn next; /* the format's frame parser */

    /* Current line: NUL-terminated, without the trailing "\n" / "\r\n". */
    char *line;
    size_t line_cap;
    size_t line_len;
    size_t lineno; /* 1-based number of `line`; 0 before the first */

    /* Lines read ahead by the sniffer, returned by ent_rd_getline before the stream. */
    char *pending[ENT_RD_PENDING_MAX];
    size_t n_pending, pending_pos;
    int pending_eof; /* the sniffer hit end of input */

    /* Whitespace tokens of the current line (pointers into `line`, which they modify). */
    char **tok;
    size_t n_tok, tok_cap;

    size_t n_returned; /* frames handed out so far */
    int failed;        /* an error was returned: only close is allowed */
    int done;          /* clean end of input reached (or single-frame format consumed) */

    char **type_symbols; /* LAMMPS type map (owned copies), n_types entries */
    int n_types;
};

/* Read the next line into r->line. ENT_OK, ENT_EEOF at end of input, ENT_EIO on a read
 * error, ENT_EPARSE for a NUL byte inside a line. */
ent_status ent_rd_getline(ent_reader *r, ent_error *err);

/* Split r->line in place on blanks (space, tab, \v, \f, \r) into r->tok / r->n_tok.
 * Only ENT_ENOMEM. */
ent_status ent_rd_tokenize(ent_reader *r, ent_error *err);

/* Called after a blank line where a frame should begin: reads on; ENT_EEOF if only blank
 * lines remain, else ENT_EPARSE naming the first blank line. */
ent_status ent_rd_expect_only_blank(ent_reader *r, ent_error *err);

int ent_rd_is_blank(const char *s);

/* Strict parsers of a whole NUL-terminated token: return 1 on success, 0 otherwise.
 * Reals: decimal [+-]digits[.digits][(e|E)[+-]digits] or nan/inf/infinity (any case);
 * no hex floats, no overflow to infinity. Integers: decimal, no overflow.
 * Booleans: T F True False true false TRUE FALSE. */
int ent_rd_parse_real(const char *s, double *out);
int ent_rd_parse_long(const char *s, long *out);
int ent_rd_parse_bool(const char *s, int *out);

/* Record "NAME:LINE: FIELD: message" and return code. */
ent_status ent_rd_fail(const ent_reader *r, ent_error *err, ent_status code, size_t line,
                       const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Grow the per-atom arrays of a frame under construction (species, positions and every
 * column) from *cap to at least `need` atoms; new string slots are NULL, the rest zero.
 * f->n_atoms is not changed. Only ENT_ENOMEM. */
ent_status ent_rd_frame_reserve(ent_frame *f, size_t *cap, size_t need, ent_error *err);

/* Append a column (zero data for `cap` atoms) / an info item to a frame under
 * construction; the new item is returned for filling in. Only ENT_ENOMEM. */
ent_status ent_rd_frame_add_column(ent_frame *f, const char *name, ent_value_type type,
                                   int ncols, size_t cap, ent_column **out, ent_error *err);
ent_status ent_rd_frame_add_info(ent_frame *f, const char *key, ent_value_type type,
                                 int is_array, size_t count, ent_info_item **out,
                                 ent_error *err);

/* Shrink a frame's arrays to exactly f->n_atoms (best effort; never fails). */
void ent_rd_frame_trim(ent_frame *f);

/* Size of one value of a type. */
size_t ent_rd_value_size(ent_value_type t);

/* A chemical symbol for a species slot: 1..ENT_SYMBOL_MAX-1 printable non-blank chars. */
int ent_rd_symbol_ok(const char *s);

/* The format parsers. */
ent_status ent_extxyz_next(ent_reader *r, ent_frame **out, ent_error *err);
ent_status ent_poscar_next(ent_reader *r, ent_frame **out, ent_error *err);
ent_status ent_lammps_dump_next(ent_reader *r, ent_frame **out, ent_error *err);

#endif
