/* `entrain report DB [-o report.html] [--json]`: the campaign report as one self-contained
 * HTML page (inline SVG, no network) or the same data as JSON. Reading is src/store's
 * (ent_store_report_get, one snapshot), the page src/report's; this file parses and
 * writes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"
#include "store/store.h"

static const char report_usage[] =
    "usage: entrain report DB [-o report.html] [--json]\n"
    "\n"
    "The campaign report: entropy H and diversity D per generation with ln(n), novelty "
    "and\n"
    "structures selected/labelled/rejected, dH histograms of candidates with the recipe\n"
    "threshold, job outcomes and wall times, compression and stop decisions, the campaign\n"
    "file, recipe hash and parameters. One self-contained HTML file (light and dark\n"
    "colour schemes, no network); -o - or no -o writes to stdout. --json writes the same\n"
    "data as JSON instead. Safe to run while another process writes.\n";

int cmd_report(int argc, char **argv)
{
    cli_options o = {.command = "report"};
    int rc = cli_parse(argc, argv, OPT_OUTPUT | OPT_JSON, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(report_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 1) {
        fprintf(stderr, "entrain report: wrong number of arguments\n%s", report_usage);
        return CLI_EXIT_USAGE;
    }
    ent_error err = {0};
    ent_store *st = NULL;
    ent_store_report r = {0};
    ent_buf out = {0};
    /* A plain reader, as `status`: an older schema is migrated first (read-only would
     * refuse it). */
    ent_status s = ent_store_open(o.positional[0], NULL, &st, &err);
    if (s == ENT_OK)
        s = ent_store_report_get(st, &r, &err);
    ent_store_close(st);
    if (s == ENT_OK)
        s = o.json ? ent_report_json(&r, o.positional[0], &out, &err)
                   : ent_report_html(&r, o.positional[0], &out, &err);
    ent_store_report_clear(&r);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    const char *path = o.output && strcmp(o.output, "-") != 0 ? o.output : NULL;
    FILE *fp = path ? fopen(path, "wb") : stdout;
    int ok = fp && fwrite(out.s, 1, out.len, fp) == out.len;
    if (path && fp)
        ok = (fclose(fp) == 0) && ok;
    else if (fp)
        ok = (fflush(fp) == 0) && ok;
    ent_buf_free(&out);
    if (!ok) {
        ent_error_set(&err, ENT_EIO, "%s: cannot write the report", path ? path : "stdout");
        return cli_fail(&o, ENT_EIO, &err);
    }
    return CLI_EXIT_OK;
}
