/* Output helpers: JSON with full-precision numbers and a documented encoding of
 * non-finite values, terminal-only progress lines, error reporting. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

cJSON *cli_json_number(double v)
{
    if (isnan(v))
        return cJSON_CreateString("nan");
    if (isinf(v))
        return cJSON_CreateString(v > 0 ? "inf" : "-inf");
    return cJSON_CreateNumber(v);
}

void cli_json_add_number(cJSON *obj, const char *key, double v)
{
    cJSON_AddItemToObject(obj, key, cli_json_number(v));
}

void cli_json_add_per_bandwidth(cJSON *obj, const char *key, const double *v, size_t nh,
                                int as_list)
{
    if (nh == 1 && !as_list) {
        cli_json_add_number(obj, key, v[0]);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < nh; i++)
        cJSON_AddItemToArray(arr, cli_json_number(v[i]));
    cJSON_AddItemToObject(obj, key, arr);
}

int cli_json_print(cJSON *obj)
{
    char *text = cJSON_Print(obj);
    cJSON_Delete(obj);
    if (!text) {
        fprintf(stderr, "entrain: out of memory printing JSON\n");
        return CLI_EXIT_NOMEM;
    }
    int ok = puts(text) >= 0 && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "entrain: cannot write to standard output\n");
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

static int progress_shown;
static struct timespec progress_last;

void cli_progress(const char *fmt, ...)
{
    if (!isatty(STDERR_FILENO))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - progress_last.tv_sec) +
                1e-9 * (double)(now.tv_nsec - progress_last.tv_nsec);
    if (progress_shown && dt < 0.2) /* at most five updates a second */
        return;
    progress_last = now;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}

void cli_progress_done(void)
{
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        progress_shown = 0;
    }
}

int cli_fail(const cli_options *o, ent_status s, const ent_error *err)
{
    cli_progress_done();
    fprintf(stderr, "entrain %s: %s\n", o->command,
            err && err->msg[0] ? err->msg : ent_strerror(s));
    switch (s) {
    case ENT_OK: return CLI_EXIT_OK;
    case ENT_EINVAL: return CLI_EXIT_USAGE;
    case ENT_ENOMEM: return CLI_EXIT_NOMEM;
    case ENT_EIO: return CLI_EXIT_IO;
    case ENT_EPARSE:
    case ENT_EGEOMETRY:
    case ENT_EUNSUPPORTED:
    case ENT_EEOF:
    case ENT_ERECIPE: return CLI_EXIT_DATA;
    }
    return CLI_EXIT_INTERNAL;
}

char cli_output_kind(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return 0;
    if (!strcasecmp(dot, ".npy")) return 'n';
    if (!strcasecmp(dot, ".csv")) return 'c';
    if (!strcasecmp(dot, ".xyz") || !strcasecmp(dot, ".extxyz")) return 'x';
    if (!strcasecmp(dot, ".json")) return 'j';
    return 0;
}
