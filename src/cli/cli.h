/* Shared pieces of the command-line front end: option parsing, loading descriptor sets
 * from structure files, JSON output and progress. Each cmd_*.c file implements one or a
 * few commands on top of these; main.c dispatches and maps status codes to exit codes. */
#ifndef ENT_CLI_H
#define ENT_CLI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "base/status.h"
#include "info/descriptor.h"
#include "io/frame.h"
#include "io/reader.h"

/* Exit codes (documented in the README's command reference). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_DATA = 1,   /* bad input data: parse error, invalid geometry, no structures */
    CLI_EXIT_USAGE = 2,  /* bad command line */
    CLI_EXIT_IO = 3,     /* cannot open, read or write a file */
    CLI_EXIT_NOMEM = 4,  /* out of memory */
    CLI_EXIT_INTERNAL = 5,
};

#define CLI_MAX_BANDWIDTHS 64
#define CLI_MAX_POSITIONAL 4096

/* Which options a command accepts (bit mask). */
enum {
    OPT_DESC = 1 << 0,      /* -k, -c, --multicomponent, --format, --types */
    OPT_BANDWIDTH = 1 << 1, /* -b H[,H2,...] */
    OPT_OUTPUT = 1 << 2,    /* -o FILE */
    OPT_JSON = 1 << 3,      /* --json */
    OPT_EPS = 1 << 4,       /* --eps */
    OPT_METHOD = 1 << 5,    /* --method */
    OPT_SIZE = 1 << 6,      /* --size */
    OPT_REFERENCE = 1 << 7, /* --reference FILE (repeatable) */
    OPT_SEED = 1 << 8,      /* --seed */
    OPT_MIN_FRACTION = 1 << 9, /* --min-fraction */
    OPT_CURVE = 1 << 10,    /* -f FRACTIONS, -n RUNS, --by */
    OPT_SAMPLE = 1 << 11,   /* --sample N, --runs R */
    OPT_AGAINST = 1 << 12,  /* --against self|previous|first */
    OPT_MCMC = 1 << 13,     /* --start --steps --target --every --step-size --strain --min-distance */
    OPT_APPROX = 1 << 15,   /* --approx, --rel-error E, --index FILE */
    OPT_STORE = 1 << 14,    /* --labelled --generation G --tag T --status S (campaign database) */
};

typedef struct cli_options {
    const char *command;
    ent_descriptor_params desc; /* k, cutoff, quests_compat */
    int multicomponent;
    ent_reader_options reader;
    const char *type_symbols[128];
    double bandwidths[CLI_MAX_BANDWIDTHS];
    size_t n_bandwidths; /* 0 → the command's default */
    int single_bandwidth_given_as_list; /* -b given a comma list */
    const char *output;
    int json;
    double eps;
    const char *method;
    const char *size;
    char *references[CLI_MAX_POSITIONAL];
    int n_references;
    unsigned long long seed;
    double min_fraction;
    double fractions[CLI_MAX_BANDWIDTHS];
    size_t n_fractions;
    long runs;   /* -n / --runs; 0 → the command's default */
    const char *by;
    long sample; /* --sample N environments; 0 → exact */
    const char *against;
    long start, steps, every;
    double target, step_size, strain, min_distance;
    int target_given;
    int approx;            /* --approx */
    double rel_error;      /* --rel-error (default 1e-3) */
    const char *index;     /* --index FILE */
    int labelled;            /* --labelled */
    long generation;         /* --generation G (valid when has_generation) */
    int has_generation;
    const char *tag;         /* --tag T */
    const char *status;      /* --status S */
    int threads; /* 0 → OpenMP default */
    char *positional[CLI_MAX_POSITIONAL];
    int n_positional;
    int help;
} cli_options;

/* Parse argv (argv[0] is the command name) accepting the options in `allowed`.
 * Prints a message naming the command and option, and returns CLI_EXIT_USAGE on error. */
int cli_parse(int argc, char **argv, unsigned allowed, cli_options *o);

/* Apply --threads. */
void cli_apply_threads(const cli_options *o);

/* A pooled set of descriptor rows from one or more files (frames in file order). */
typedef struct cli_envs {
    double *x;              /* n x d */
    size_t n, d, cap;
    size_t n_frames;
    size_t *frame_offsets;  /* n_frames + 1 row offsets */
    double volume_per_atom; /* mean |cell volume| / atoms over periodic frames, 0 if none */
} cli_envs;

/* Species list of the data set (sorted symbols) for multicomponent descriptors. */
typedef struct cli_species {
    char (*symbols)[ENT_SYMBOL_MAX];
    int n;
} cli_species;

/* Collect the sorted species of all frames of all files (one streaming pass). */
ent_status cli_species_collect(char **files, int n_files, const cli_options *o,
                               cli_species *sp, ent_error *err);
void cli_species_free(cli_species *sp);

/* Stream every frame of every file, compute its descriptors and append them.
 * sp is used only when o->multicomponent. */
ent_status cli_envs_load(char **files, int n_files, const cli_options *o,
                         const cli_species *sp, cli_envs *e, ent_error *err);
void cli_envs_free(cli_envs *e);

/* Frames of a file or a database selector ("DB:labelled"), one at a time: the same
 * inputs cli_envs_load accepts. cli_frames_next returns ENT_EEOF after the last. */
typedef struct cli_frames cli_frames;
ent_status cli_frames_open(const char *spec, const cli_options *o, cli_frames **out,
                           ent_error *err);
ent_status cli_frames_next(cli_frames *fr, ent_frame **f, ent_error *err);
void cli_frames_close(cli_frames *fr); /* accepts NULL */

/* Descriptors of one frame into a freshly malloc'ed n_atoms x d array. */
ent_status cli_frame_descriptors(const ent_frame *f, const cli_options *o,
                                 const cli_species *sp, double **out, size_t *d,
                                 ent_error *err);

/* JSON helpers: numbers keep full precision; +inf/-inf/NaN, which JSON cannot hold,
 * are written as the strings "inf", "-inf", "nan". */
cJSON *cli_json_number(double v);
void cli_json_add_number(cJSON *obj, const char *key, double v);
/* A number when nh == 1 and the user gave a single value, else an array. */
void cli_json_add_per_bandwidth(cJSON *obj, const char *key, const double *v, size_t nh,
                                int as_list);
/* Print obj (pretty) to stdout followed by a newline, then free it. */
int cli_json_print(cJSON *obj);

/* Progress on stderr, only when stderr is a terminal. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

/* Print "entrain <command>: <message>" to stderr and return the exit code of s. */
int cli_fail(const cli_options *o, ent_status s, const ent_error *err);

/* Output file kind from its extension: 'n' .npy, 'c' .csv, 'x' .xyz/.extxyz, 'j' .json,
 * 0 unknown. */
char cli_output_kind(const char *path);

/* Commands. */
int cmd_descriptors(int argc, char **argv);
int cmd_entropy(int argc, char **argv);
int cmd_dh(int argc, char **argv);
int cmd_overlap(int argc, char **argv);
int cmd_bandwidth(int argc, char **argv);
int cmd_compress(int argc, char **argv);
int cmd_learning_curve(int argc, char **argv);
int cmd_dh_traj(int argc, char **argv);
int cmd_mcmc(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_stop(int argc, char **argv);

#endif
