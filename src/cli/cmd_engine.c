/* `entrain run CAMPAIGN.lua`, `entrain resume DB`, `entrain stop DB`: drive a campaign with
 * the engine (src/engine/engine.h). run and resume are the same loop; resume reads the
 * campaign file's text back from the database. stop asks a running engine to stop between
 * two steps (a DB.stop file it removes). */
#define _GNU_SOURCE
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lua/campaign.h"
#include "store/store.h"

static const char run_usage[] =
    "usage: entrain run CAMPAIGN.lua [--min-distance D] [--max-failed-fraction F] [--quiet]\n"
    "       entrain resume DB [--min-distance D] [--max-failed-fraction F] [--quiet]\n"
    "       entrain stop DB\n"
    "\n"
    "run creates the campaign's database (or continues it) and drives generations until\n"
    "the recipe or a limit stops it; resume continues from the campaign file stored in\n"
    "the database; a killed run is continued by either, from the stored phase, without\n"
    "running any job twice. stop asks a running engine to stop cleanly after its current\n"
    "step.\n"
    "\n"
    "  --min-distance D          reject labels of structures with two atoms closer than D\n"
    "                            Angstrom (default 0.5; 0 = no check)\n"
    "  --max-failed-fraction F   label jobs allowed to fail per generation (default 0.25);\n"
    "                            beyond it the step fails and the campaign stays resumable\n"
    "  --quiet                   no progress lines on stderr\n";

static int parse_engine_opts(const char *cmd, int argc, char **argv, const char **pos,
                             ent_engine_opts *eo)
{
    memset(eo, 0, sizeof *eo);
    eo->min_distance = -1;
    eo->max_failed_fraction = -1;
    eo->log = stderr;
    *pos = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(run_usage, stdout);
            return -1;
        } else if (!strcmp(a, "--quiet")) {
            eo->log = NULL;
        } else if ((!strcmp(a, "--min-distance") || !strcmp(a, "--max-failed-fraction")) &&
                   i + 1 < argc) {
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || v < 0 || (a[2] == 'm' && a[3] == 'a' && v > 1)) {
                fprintf(stderr, "entrain %s: bad value for %s: '%s'\n", cmd, a, argv[i]);
                return CLI_EXIT_USAGE;
            }
            if (!strcmp(a, "--min-distance"))
                eo->min_distance = v;
            else
                eo->max_failed_fraction = v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "entrain %s: unknown option '%s'\n%s", cmd, a, run_usage);
            return CLI_EXIT_USAGE;
        } else if (*pos) {
            fprintf(stderr, "entrain %s: give one argument\n%s", cmd, run_usage);
            return CLI_EXIT_USAGE;
        } else {
            *pos = a;
        }
    }
    if (!*pos) {
        fprintf(stderr, "entrain %s: missing argument\n%s", cmd, run_usage);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int fail(const char *cmd, ent_status s, const ent_error *err)
{
    cli_options o;
    memset(&o, 0, sizeof o);
    o.command = cmd;
    return cli_fail(&o, s, err);
}

static int drive(const char *cmd, const char *campaign_file, const char *expect_db,
                 const char *stored_text, const ent_engine_opts *eo)
{
    ent_campaign_opts co = {0};
    char display[4200];
    if (stored_text) { /* resume: the campaign file as the database holds it */
        co.text = stored_text;
        co.text_len = strlen(stored_text);
        snprintf(display, sizeof display, "%s (campaign stored in %s)", campaign_file,
                 expect_db);
        co.display_name = display;
    }
    ent_campaign_config *c = NULL;
    ent_campaign_diags d = {0};
    ent_error err = {0};
    ent_status s = ent_lua_campaign_load(campaign_file, &co, &c, &d, &err);
    if (s == ENT_EPARSE && d.n > 0) {
        for (size_t i = 0; i < d.n; i++) {
            char line[1024];
            ent_lua_campaign_diag_format(&d.items[i], line, sizeof line);
            fprintf(stderr, "%s\n", line);
        }
    }
    ent_lua_campaign_diags_clear(&d);
    if (s != ENT_OK)
        return fail(cmd, s, &err);
    if (expect_db) {
        char *a = realpath(expect_db, NULL), *b = realpath(c->database, NULL);
        int same = a && b && !strcmp(a, b);
        free(a);
        free(b);
        if (!same) {
            ent_error_set(&err, ENT_EINVAL,
                          "the stored campaign names database %s, not %s (resume expects "
                          "the database next to its campaign file)",
                          c->database, expect_db);
            ent_lua_campaign_free(c);
            return fail(cmd, ENT_EINVAL, &err);
        }
    }
    ent_engine_result res;
    s = ent_engine_run(c, eo, &res, &err);
    ent_lua_campaign_free(c);
    if (s != ENT_OK)
        return fail(cmd, s, &err);
    printf("%s: generation %ld: %s\n",
           res.outcome == ENT_ENGINE_FINISHED ? "finished" : "stopped", res.generation,
           res.reason);
    return CLI_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    ent_engine_opts eo;
    const char *file;
    int rc = parse_engine_opts("run", argc, argv, &file, &eo);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    return drive("run", file, NULL, NULL, &eo);
}

/* The stored campaign text is loaded as if it were DB_DIR/campaign.lua, so that relative
 * paths in it start in the database's folder (where the campaign file was); nothing is
 * written to disk. */
int cmd_resume(int argc, char **argv)
{
    ent_engine_opts eo;
    const char *db;
    int rc = parse_engine_opts("resume", argc, argv, &db, &eo);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    ent_error err = {0};
    ent_store_open_opts oo = {.flags = ENT_STORE_READONLY};
    ent_store *st = NULL;
    ent_status s = ent_store_open(db, &oo, &st, &err);
    char *text = NULL;
    char hash[65] = "";
    int found = 0;
    if (s == ENT_OK)
        s = ent_store_campaign_text(st, &text, hash, &found, &err);
    ent_store_close(st);
    if (s == ENT_OK && !found)
        s = ent_error_set(&err, ENT_EINVAL,
                          "%s holds no campaign file (start it with `entrain run`)", db);
    if (s != ENT_OK) {
        free(text);
        return fail("resume", s, &err);
    }
    char *dbcopy = strdup(db);
    char path[4096];
    snprintf(path, sizeof path, "%s/campaign.lua", dbcopy ? dirname(dbcopy) : ".");
    free(dbcopy);
    rc = drive("resume", path, db, text, &eo);
    free(text);
    return rc;
}

int cmd_stop(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fputs(run_usage, argc == 2 ? stdout : stderr);
        return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    }
    ent_error err = {0};
    ent_store_open_opts oo = {.flags = ENT_STORE_READONLY};
    ent_store *st = NULL;
    ent_status s = ent_store_open(argv[1], &oo, &st, &err);
    ent_store_writer_info wi = {0};
    if (s == ENT_OK)
        s = ent_store_writer_get(st, &wi, &err);
    ent_store_close(st);
    if (s != ENT_OK)
        return fail("stop", s, &err);
    char path[4096];
    if ((s = ent_engine_stop_file(argv[1], path, sizeof path, &err)) != ENT_OK)
        return fail("stop", s, &err);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        ent_error_set(&err, ENT_EIO, "cannot create %s", path);
        return fail("stop", ENT_EIO, &err);
    }
    fprintf(fp, "stop requested\n");
    fclose(fp);
    if (wi.held && !wi.gone)
        printf("asked the engine (pid %ld on %s) to stop after its current step\n", wi.pid,
               wi.host);
    else
        printf("no engine is running on %s; the next run or resume stops at once\n",
               argv[1]);
    return CLI_EXIT_OK;
}
