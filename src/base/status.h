/* Project-wide status codes and the caller-owned error record.
 * Values are only ever appended (they end up in databases and Lua), never renumbered.
 * Details (file:line, field, SQL text) travel in ent_error, not in the code. */
#ifndef ENT_BASE_STATUS_H
#define ENT_BASE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum ent_status {
    ENT_OK = 0,
    ENT_EINVAL = 1,   /* invalid argument (k < 1, h <= 0, bad option value) */
    ENT_ENOMEM = 2,   /* allocation failed */
    ENT_EIO = 3,      /* cannot open/read/write a file */
    ENT_EPARSE = 4,   /* malformed input file (message names file:line and field) */
    ENT_EGEOMETRY = 5,/* NaN/inf coordinates, singular cell with pbc, ... */
    ENT_EUNSUPPORTED = 6, /* valid input we do not handle (format feature, dtype) */
    ENT_EEOF = 7,     /* clean end of input (not an error for frame readers) */
    ENT_ERECIPE = 8,  /* a Lua recipe failed: runtime error, memory or instruction budget
                         exceeded, bad return value (message: recipe.lua:LINE: ...) */
} ent_status;

/* Human-readable name of a status; switch without default so the compiler
 * notices a missing message. */
const char *ent_strerror(ent_status s);

#define ENT_ERROR_MSG_MAX 512

/* Caller-owned error detail. Zero-initialise it ({0}) before use. */
typedef struct ent_error {
    ent_status code;
    char msg[ENT_ERROR_MSG_MAX];
} ent_error;

/* Record an error (printf-style message) and return the code, so callers can
 * write `return ent_error_set(err, ENT_EPARSE, "%s:%zu: ...", ...)`.
 * err may be NULL. */
ent_status ent_error_set(ent_error *err, ent_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
