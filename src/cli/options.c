/* Command-line option parsing shared by all analysis commands. Every command accepts
 * --threads, --quests-compat and --help; the rest are enabled per command with a mask,
 * so an option a command does not understand is a usage error, never silently ignored. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/cli.h"

enum {
    LONG_MULTI = 256,
    LONG_THREADS,
    LONG_COMPAT,
    LONG_JSON,
    LONG_EPS,
    LONG_METHOD,
    LONG_FORMAT,
    LONG_TYPES,
    LONG_SIZE,
    LONG_REFERENCE,
    LONG_SEED,
    LONG_MIN_FRACTION,
    LONG_BY,
    LONG_SAMPLE,
    LONG_RUNS,
    LONG_AGAINST,
    LONG_START,
    LONG_STEPS,
    LONG_TARGET,
    LONG_EVERY,
    LONG_STEP_SIZE,
    LONG_STRAIN,
    LONG_MIN_DISTANCE,
    LONG_APPROX,
    LONG_REL_ERROR,
    LONG_INDEX,
    LONG_LABELLED,
    LONG_GENERATION,
    LONG_TAG,
    LONG_STATUS,
};

static const struct option long_options[] = {
    {"k", required_argument, NULL, 'k'},
    {"cutoff", required_argument, NULL, 'c'},
    {"bandwidth", required_argument, NULL, 'b'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"multicomponent", no_argument, NULL, LONG_MULTI},
    {"threads", required_argument, NULL, LONG_THREADS},
    {"quests-compat", no_argument, NULL, LONG_COMPAT},
    {"json", no_argument, NULL, LONG_JSON},
    {"eps", required_argument, NULL, LONG_EPS},
    {"method", required_argument, NULL, LONG_METHOD},
    {"format", required_argument, NULL, LONG_FORMAT},
    {"types", required_argument, NULL, LONG_TYPES},
    {"size", required_argument, NULL, LONG_SIZE},
    {"reference", required_argument, NULL, LONG_REFERENCE},
    {"seed", required_argument, NULL, LONG_SEED},
    {"min-fraction", required_argument, NULL, LONG_MIN_FRACTION},
    {"fractions", required_argument, NULL, 'f'},
    {"by", required_argument, NULL, LONG_BY},
    {"sample", required_argument, NULL, LONG_SAMPLE},
    {"runs", required_argument, NULL, LONG_RUNS},
    {"against", required_argument, NULL, LONG_AGAINST},
    {"start", required_argument, NULL, LONG_START},
    {"steps", required_argument, NULL, LONG_STEPS},
    {"target", required_argument, NULL, LONG_TARGET},
    {"every", required_argument, NULL, LONG_EVERY},
    {"step-size", required_argument, NULL, LONG_STEP_SIZE},
    {"strain", required_argument, NULL, LONG_STRAIN},
    {"min-distance", required_argument, NULL, LONG_MIN_DISTANCE},
    {"approx", no_argument, NULL, LONG_APPROX},
    {"rel-error", required_argument, NULL, LONG_REL_ERROR},
    {"index", required_argument, NULL, LONG_INDEX},
    {"labelled", no_argument, NULL, LONG_LABELLED},
    {"generation", required_argument, NULL, LONG_GENERATION},
    {"tag", required_argument, NULL, LONG_TAG},
    {"status", required_argument, NULL, LONG_STATUS},
    {NULL, 0, NULL, 0},
};

/* "-k" or "--eps" for an option code, for messages. */
static const char *option_name(int c)
{
    static char buf[40];
    for (const struct option *lo = long_options; lo->name; lo++)
        if (lo->val == c) {
            if (c < 256 && strlen(lo->name) == 1)
                break;
            snprintf(buf, sizeof buf, "--%s", lo->name);
            return buf;
        }
    snprintf(buf, sizeof buf, "-%c", c);
    return buf;
}

static int usage_error(const cli_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const cli_options *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "entrain %s: ", o->command);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'entrain %s --help')\n", o->command);
    return CLI_EXIT_USAGE;
}

/* Strict number parsing: the whole argument must be a finite number. */
static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == 0 && errno == 0 && isfinite(*v);
}

static int parse_int(const char *s, int *v)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (end == s || *end || errno || l < -1000000 || l > 1000000)
        return 0;
    *v = (int)l;
    return 1;
}

static int parse_bandwidths(cli_options *o, char *arg)
{
    o->n_bandwidths = 0;
    o->single_bandwidth_given_as_list = strchr(arg, ',') != NULL;
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        double h;
        if (o->n_bandwidths == CLI_MAX_BANDWIDTHS)
            return usage_error(o, "-b: at most 64 bandwidths");
        if (!parse_double(tok, &h) || h <= 0)
            return usage_error(o, "-b: bandwidth must be a positive number, got '%s'", tok);
        o->bandwidths[o->n_bandwidths++] = h;
    }
    if (o->n_bandwidths == 0)
        return usage_error(o, "-b: no bandwidth given");
    return CLI_EXIT_OK;
}

static int parse_fractions(cli_options *o, char *arg)
{
    o->n_fractions = 0;
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        double f;
        if (o->n_fractions == CLI_MAX_BANDWIDTHS)
            return usage_error(o, "-f: at most 64 fractions");
        if (!parse_double(tok, &f) || f <= 0 || f > 1)
            return usage_error(o, "-f: fractions must be in (0, 1], got '%s'", tok);
        o->fractions[o->n_fractions++] = f;
    }
    if (o->n_fractions == 0)
        return usage_error(o, "-f: no fraction given");
    return CLI_EXIT_OK;
}

static int parse_types(cli_options *o, char *arg)
{
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == 128 || strlen(tok) >= ENT_SYMBOL_MAX)
            return usage_error(o, "--types: bad element list near '%s'", tok);
        o->type_symbols[n++] = tok;
    }
    o->reader.lammps_type_symbols = o->type_symbols;
    o->reader.lammps_n_types = n;
    return CLI_EXIT_OK;
}

int cli_parse(int argc, char **argv, unsigned allowed, cli_options *o)
{
    const char *command = o->command;
    memset(o, 0, sizeof *o);
    o->command = command;
    o->desc.k = 32;
    o->desc.cutoff = 5.0;
    o->eps = 1e-5;
    o->min_fraction = 0.1;
    o->rel_error = 1e-3;
    o->step_size = 0.02;
    o->min_distance = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":k:c:b:o:hf:n:", long_options, NULL)) != -1) {
        const char *arg = optarg;
        unsigned need = 0;
        switch (c) {
        case 'k': case 'c': case LONG_MULTI: case LONG_FORMAT: case LONG_TYPES:
            need = OPT_DESC; break;
        case 'b': need = OPT_BANDWIDTH; break;
        case 'o': need = OPT_OUTPUT; break;
        case LONG_JSON: need = OPT_JSON; break;
        case LONG_EPS: need = OPT_EPS; break;
        case LONG_METHOD: need = OPT_METHOD; break;
        case LONG_SIZE: need = OPT_SIZE; break;
        case LONG_REFERENCE: need = OPT_REFERENCE; break;
        case LONG_SEED: need = OPT_SEED; break;
        case LONG_MIN_FRACTION: need = OPT_MIN_FRACTION; break;
        case 'f': case LONG_BY: need = OPT_CURVE; break;
        case 'n': need = OPT_CURVE | OPT_SAMPLE; break;
        case LONG_SAMPLE: case LONG_RUNS: need = OPT_SAMPLE | OPT_CURVE; break;
        case LONG_AGAINST: need = OPT_AGAINST; break;
        case LONG_START: case LONG_STEPS: case LONG_TARGET: case LONG_EVERY:
        case LONG_STEP_SIZE: case LONG_STRAIN: case LONG_MIN_DISTANCE:
            need = OPT_MCMC; break;
        case LONG_LABELLED: case LONG_GENERATION: case LONG_TAG: case LONG_STATUS:
            need = OPT_STORE; break;
        case LONG_APPROX: case LONG_REL_ERROR: case LONG_INDEX: need = OPT_APPROX; break;
        default: break;
        }
        if (c == LONG_SAMPLE)
            need = OPT_SAMPLE;
        if (need && !(allowed & need))
            return usage_error(o, "option '%s' is not accepted by this command",
                               option_name(c));
        double v;
        int ret = CLI_EXIT_OK;
        switch (c) {
        case 'k':
            if (!parse_int(arg, &o->desc.k) || o->desc.k < 1)
                return usage_error(o, "-k: expected a positive integer, got '%s'", arg);
            break;
        case 'c':
            if (!parse_double(arg, &v) || v <= 0)
                return usage_error(o, "-c: cutoff must be a positive number of Angstrom, got '%s'", arg);
            o->desc.cutoff = v;
            break;
        case 'b': ret = parse_bandwidths(o, optarg); break;
        case 'o': o->output = arg; break;
        case 'h': o->help = 1; break;
        case LONG_MULTI: o->multicomponent = 1; break;
        case LONG_THREADS:
            if (!parse_int(arg, &o->threads) || o->threads < 1)
                return usage_error(o, "--threads: expected a positive integer, got '%s'", arg);
            break;
        case LONG_COMPAT: o->desc.quests_compat = 1; break;
        case LONG_JSON: o->json = 1; break;
        case LONG_EPS:
            if (!parse_double(arg, &o->eps))
                return usage_error(o, "--eps: expected a number, got '%s'", arg);
            break;
        case LONG_METHOD: o->method = arg; break;
        case LONG_FORMAT:
            if (!strcmp(arg, "extxyz") || !strcmp(arg, "xyz")) o->reader.format = ENT_FORMAT_EXTXYZ;
            else if (!strcmp(arg, "poscar") || !strcmp(arg, "vasp")) o->reader.format = ENT_FORMAT_POSCAR;
            else if (!strcmp(arg, "lammps-dump") || !strcmp(arg, "dump")) o->reader.format = ENT_FORMAT_LAMMPS_DUMP;
            else if (!strcmp(arg, "auto")) o->reader.format = ENT_FORMAT_AUTO;
            else
                return usage_error(o, "--format: expected extxyz, poscar, lammps-dump or auto, got '%s'", arg);
            break;
        case LONG_TYPES: ret = parse_types(o, optarg); break;
        case LONG_SIZE: o->size = arg; break;
        case LONG_START: case LONG_STEPS: case LONG_EVERY: {
            int v2;
            if (!parse_int(arg, &v2) || v2 < (c == LONG_START ? 0 : 1))
                return usage_error(o, "%s: expected a %s integer, got '%s'", option_name(c),
                                   c == LONG_START ? "non-negative" : "positive", arg);
            *(c == LONG_START ? &o->start : c == LONG_STEPS ? &o->steps : &o->every) = v2;
            break;
        }
        case LONG_TARGET: case LONG_STEP_SIZE: case LONG_STRAIN: case LONG_MIN_DISTANCE:
            if (!parse_double(arg, &v) || (c != LONG_TARGET && v < 0) || (c == LONG_STRAIN && v > 1))
                return usage_error(o, "%s: bad value '%s'", option_name(c), arg);
            if (c == LONG_TARGET) {
                o->target = v;
                o->target_given = 1;
            } else
                *(c == LONG_STEP_SIZE ? &o->step_size : c == LONG_STRAIN ? &o->strain : &o->min_distance) = v;
            break;
        case 'f': ret = parse_fractions(o, optarg); break;
        case 'n': case LONG_RUNS: {
            int v2;
            if (!parse_int(arg, &v2) || v2 < 1)
                return usage_error(o, "%s: expected a positive number of runs, got '%s'", argv[optind - 1], arg);
            o->runs = v2;
            break;
        }
        case LONG_SAMPLE: {
            int v2;
            if (!parse_int(arg, &v2) || v2 < 1)
                return usage_error(o, "--sample: expected a positive number of environments, got '%s'", arg);
            o->sample = v2;
            break;
        }
        case LONG_BY:
            if (strcmp(arg, "structures") && strcmp(arg, "environments"))
                return usage_error(o, "--by: expected structures or environments, got '%s'", arg);
            o->by = arg;
            break;
        case LONG_AGAINST:
            if (strcmp(arg, "self") && strcmp(arg, "previous") && strcmp(arg, "first"))
                return usage_error(o, "--against: expected self, previous or first, got '%s'", arg);
            o->against = arg;
            break;
        case LONG_REFERENCE:
            if (o->n_references == CLI_MAX_POSITIONAL)
                return usage_error(o, "--reference: too many files");
            o->references[o->n_references++] = optarg;
            break;
        case LONG_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(arg, &end, 10);
            if (end == arg || *end || errno || arg[0] == '-')
                return usage_error(o, "--seed: expected a non-negative integer, got '%s'", arg);
            break;
        }
        case LONG_MIN_FRACTION:
            if (!parse_double(arg, &o->min_fraction) || o->min_fraction <= 0 || o->min_fraction > 1)
                return usage_error(o, "--min-fraction: expected a number in (0, 1], got '%s'", arg);
            break;
        case LONG_LABELLED: o->labelled = 1; break;
        case LONG_APPROX: o->approx = 1; break;
        case LONG_INDEX: o->index = arg; break;
        case LONG_REL_ERROR:
            if (!parse_double(arg, &o->rel_error) || o->rel_error < 0 || o->rel_error >= 1)
                return usage_error(o, "--rel-error: expected a number in [0, 1), got '%s'", arg);
            break;
        case LONG_GENERATION: {
            int v2;
            if (!parse_int(arg, &v2) || v2 < 0)
                return usage_error(o, "--generation: expected a non-negative integer, got '%s'", arg);
            o->generation = v2;
            o->has_generation = 1;
            break;
        }
        case LONG_TAG:
            if (!arg[0])
                return usage_error(o, "--tag: empty tag");
            o->tag = arg;
            break;
        case LONG_STATUS:
            if (strcmp(arg, "candidate") && strcmp(arg, "selected") && strcmp(arg, "labelled") &&
                strcmp(arg, "rejected") && strcmp(arg, "dropped"))
                return usage_error(o, "--status: expected candidate, selected, labelled, rejected or dropped, got '%s'", arg);
            o->status = arg;
            break;
        case ':':
            return usage_error(o, "option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error(o, "unknown option '%s'", argv[optind - 1]);
        }
        if (ret != CLI_EXIT_OK)
            return ret;
    }
    for (int i = optind; i < argc; i++) {
        if (o->n_positional == CLI_MAX_POSITIONAL)
            return usage_error(o, "too many arguments (at most 4096)");
        o->positional[o->n_positional++] = argv[i];
    }
    return CLI_EXIT_OK;
}

void cli_apply_threads(const cli_options *o)
{
#ifdef _OPENMP
    if (o->threads > 0)
        omp_set_num_threads(o->threads);
#endif
}
