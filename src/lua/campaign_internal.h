/* Internal to campaign*.c: the validation context and the typed getters shared by the
 * top-level keys (campaign.c) and the jobs (campaign_jobs.c). Getters read fields raw (no
 * metamethods run), record one diagnostic per problem and never stop at the first. */
#ifndef ENT_LUA_CAMPAIGN_INTERNAL_H
#define ENT_LUA_CAMPAIGN_INTERNAL_H

#include "lua/campaign.h"
#include "lua/lua_internal.h"

typedef struct cv_ctx {
    lua_State *L;
    ent_campaign_config *cfg;  /* owned by the loader: freed by it whatever happens */
    ent_campaign_diags *diags; /* idem */
    ent_lua_keylines *kl;      /* idem */
    long call_line;            /* line of the campaign{} call */
    int calls;
    const char *path_env;
    int no_path_check;
    const char *recipes_dir;
} cv_ctx;

/* Append a diagnostic (copies the strings; an allocation failure drops it). */
void cv_diag_add(ent_campaign_diags *d, const char *file, long line, const char *path,
                 const char *msg);

/* Record a problem at path (its line from the key scan, else the call's line). */
void cv_diag(cv_ctx *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "prefix.key" (or "key" at the top) into out. */
void cv_path(char *out, size_t size, const char *prefix, const char *key);

/* Report every key of the table at t that is not in allowed (NULL-terminated), with a
 * "did you mean" hint; non-string keys are reported too. */
void cv_check_keys(cv_ctx *v, int t, const char *prefix, const char *const *allowed);

/* Report every key of the table at t that is not an index 1..#t (a list was expected). */
void cv_check_list(cv_ctx *v, int t, const char *path);

/* Describe the value at idx for messages: `a string ("1h")`, `a number (-3)`. */
void cv_describe(lua_State *L, int idx, char *buf, size_t size);

/* Typed field getters on the table at t. Return 1 (present and valid, *out set), 0
 * (absent: a diagnostic if required), -1 (present but invalid: diagnostic given). */
int cv_string(cv_ctx *v, int t, const char *key, const char *prefix, int required,
              char **out);
int cv_integer(cv_ctx *v, int t, const char *key, const char *prefix, int required,
               long min, long max, long *out);
int cv_number(cv_ctx *v, int t, const char *key, const char *prefix, int required,
              double *out); /* any finite number; callers check the range */
int cv_bool(cv_ctx *v, int t, const char *key, const char *prefix, int required, int *out);
/* Pushes the table when it returns 1 (the caller pops it). */
int cv_table(cv_ctx *v, int t, const char *key, const char *prefix, int required);

/* Push t[key] (raw) and return its type. */
int cv_field(cv_ctx *v, int t, const char *key);
/* Diagnose the value on top ("expected X, got Y"), pop it, return -1. */
int cv_wrong_type(cv_ctx *v, const char *path, const char *expected);
/* Pop the nil on top; diagnose "missing" if required; return 0. */
int cv_absent(cv_ctx *v, const char *path, int required, const char *expected);
/* 1 for a readable regular file. */
int cv_readable_file(const char *path);

/* dir + "/" + p unless p is absolute (malloc). */
char *cv_resolve(const char *dir, const char *p);

/* The jobs table (campaign_jobs.c). */
void cv_jobs(cv_ctx *v, int t);

#endif
