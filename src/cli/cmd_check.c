/* `entrain check CAMPAIGN.lua [--json]`: validate a campaign file (src/lua runs it in the
 * sandbox, checks every key, looks the job executables up on PATH and loads the recipe)
 * and print the resolved configuration, or every problem with file:line and key path. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lua/campaign.h"

static const char check_usage[] =
    "usage: entrain check CAMPAIGN.lua [--json]\n"
    "\n"
    "Validate a campaign file without running anything: run it in the Lua sandbox, check\n"
    "every key (unknown keys, types, ranges, contradictory limits), look the job\n"
    "executables up on PATH, load the recipe and probe its hooks. Prints the resolved\n"
    "configuration; on problems prints each as FILE:LINE: KEY.PATH: message and exits 1.\n"
    "See recipes/API.md for the keys.\n"
    "\n"
    "  --json   the configuration (or {\"valid\": false, \"errors\": [...]}) as JSON\n"
    "\n"
    "Environment: ENTRAIN_NO_PATH_CHECK=1 skips the executable lookup (when the programs\n"
    "only exist where the jobs run); ENTRAIN_RECIPES_DIR names the shipped recipes' "
    "folder.\n";

static const char *hook_label(const ent_campaign_config *c, int h)
{
    return c->hook_source[h] ? c->hook_source[h] : "default";
}

/* Parse JSON text produced by src/lua; an empty object if it does not parse. */
static cJSON *json_text(const char *text)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    return j ? j : cJSON_CreateObject();
}

static cJSON *job_json(const ent_campaign_job *jb)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *argv = cJSON_AddArrayToObject(j, "argv");
    for (size_t i = 0; jb->argv && i < jb->argc; i++)
        cJSON_AddItemToArray(argv, cJSON_CreateString(jb->argv[i]));
    if (jb->executable)
        cJSON_AddStringToObject(j, "executable", jb->executable);
    else
        cJSON_AddNullToObject(j, "executable");
    cJSON_AddStringToObject(j, "adapter", jb->adapter);
    cJSON_AddStringToObject(j, "backend", jb->backend);
    cJSON_AddItemToObject(j, "options", json_text(jb->options_json));
    cli_json_add_number(j, "timeout", jb->timeout);
    cli_json_add_number(j, "retries", jb->retries);
    cli_json_add_number(j, "parallel", jb->parallel);
    return j;
}

static int print_json(const ent_campaign_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "valid");
    cJSON_AddStringToObject(o, "file", c->file);
    cJSON_AddStringToObject(o, "hash", c->hash);
    cJSON_AddStringToObject(o, "name", c->name);
    if (c->description)
        cJSON_AddStringToObject(o, "description", c->description);
    cJSON_AddStringToObject(o, "database", c->database);
    cJSON *seed = cJSON_AddObjectToObject(o, "seed");
    if (c->seed_selector) {
        cJSON_AddStringToObject(seed, "selector", c->seed_selector);
    } else {
        cJSON *files = cJSON_AddArrayToObject(seed, "files");
        for (size_t i = 0; i < c->n_seed_files; i++)
            cJSON_AddItemToArray(files, cJSON_CreateString(c->seed_files[i]));
    }
    cJSON *d = cJSON_AddObjectToObject(o, "descriptor");
    cli_json_add_number(d, "k", c->k);
    cli_json_add_number(d, "cutoff", c->cutoff);
    cJSON_AddBoolToObject(d, "multicomponent", c->multicomponent);
    if (c->bandwidth_auto)
        cJSON_AddStringToObject(o, "bandwidth", "auto");
    else
        cli_json_add_number(o, "bandwidth", c->bandwidth);
    cJSON *jobs = cJSON_AddObjectToObject(o, "jobs");
    for (int k = 0; k < ENT_CAMPAIGN_N_JOBS; k++)
        if (c->jobs[k].present)
            cJSON_AddItemToObject(jobs, ent_campaign_job_names[k], job_json(&c->jobs[k]));
    cJSON *r = cJSON_AddObjectToObject(o, "recipe");
    cJSON *mods = cJSON_AddArrayToObject(r, "modules");
    for (size_t i = 0; i < c->n_recipes; i++)
        cJSON_AddItemToArray(mods, cJSON_CreateString(c->recipes[i]));
    cJSON_AddStringToObject(r, "hash", c->recipe_hash);
    cJSON *hooks = cJSON_AddObjectToObject(r, "hooks");
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        cJSON_AddStringToObject(hooks, ent_lua_hook_name((ent_lua_hook)h),
                                hook_label(c, h));
    cJSON_AddItemToObject(o, "params", json_text(c->params_json));
    cJSON *l = cJSON_AddObjectToObject(o, "limits");
    cli_json_add_number(l, "max_generations", (double)c->max_generations);
    cli_json_add_number(l, "label_budget_per_generation",
                        (double)c->label_budget_per_generation);
    cli_json_add_number(l, "label_budget_total", (double)c->label_budget_total);
    cli_json_add_number(o, "random_seed", (double)c->random_seed);
    cJSON *sb = cJSON_AddObjectToObject(o, "sandbox");
    cli_json_add_number(sb, "memory_mb", (double)(c->sandbox.memory_bytes >> 20));
    cli_json_add_number(sb, "instructions", (double)c->sandbox.instructions);
    return cli_json_print(o);
}

static void print_job(const char *kind, const ent_campaign_job *jb)
{
    printf("  jobs.%-9s %s:", kind, jb->backend);
    for (size_t i = 0; jb->argv && i < jb->argc; i++)
        printf(" %s", jb->argv[i]);
    printf("\n              adapter %s", jb->adapter);
    if (jb->executable)
        printf(", executable %s", jb->executable);
    else if (jb->argv)
        printf(", executable not looked up");
    if (jb->timeout > 0)
        printf(", timeout %g s", jb->timeout);
    printf(", retries %d, parallel %d\n", jb->retries, jb->parallel);
    for (size_t i = 0; i < jb->n_options; i++)
        printf("              %s = %s\n", jb->options[i].key, jb->options[i].value);
}

static void print_text(const ent_campaign_config *c)
{
    printf("%s: valid campaign file (sha256 %s)\n", c->file, c->hash);
    printf("  name        %s\n", c->name);
    if (c->description)
        printf("  description %s\n", c->description);
    printf("  database    %s\n", c->database);
    if (c->seed_selector)
        printf("  seed        structures of the database matching '%s'\n",
               c->seed_selector);
    for (size_t i = 0; i < c->n_seed_files; i++)
        printf("  seed        %s\n", c->seed_files[i]);
    printf("  descriptor  k = %d, cutoff = %g A, multicomponent = %s\n", c->k, c->cutoff,
           c->multicomponent ? "true" : "false");
    if (c->bandwidth_auto)
        printf("  bandwidth   auto (from the seed structures' atomic volume)\n");
    else
        printf("  bandwidth   %g\n", c->bandwidth);
    for (int k = 0; k < ENT_CAMPAIGN_N_JOBS; k++)
        if (c->jobs[k].present)
            print_job(ent_campaign_job_names[k], &c->jobs[k]);
    printf("  recipe     ");
    for (size_t i = 0; i < c->n_recipes; i++)
        printf(" %s", c->recipes[i]);
    printf(" (sha256 %s)\n", c->recipe_hash);
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        printf("              %-18s %s\n", ent_lua_hook_name((ent_lua_hook)h),
               hook_label(c, h));
    printf("  params      %s\n", c->params_json);
    printf("  limits      %ld generations, %ld labels per generation, %ld in total\n",
           c->max_generations, c->label_budget_per_generation, c->label_budget_total);
    printf("  random_seed %llu\n", (unsigned long long)c->random_seed);
    printf("  sandbox     %zu MiB, %llu instructions per hook call\n",
           c->sandbox.memory_bytes >> 20, (unsigned long long)c->sandbox.instructions);
}

static int print_errors(const cli_options *o, const ent_campaign_diags *d)
{
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddFalseToObject(j, "valid");
        cJSON *errs = cJSON_AddArrayToObject(j, "errors");
        for (size_t i = 0; i < d->n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "file", d->items[i].file ? d->items[i].file : "");
            if (d->items[i].line > 0)
                cli_json_add_number(e, "line", (double)d->items[i].line);
            else
                cJSON_AddNullToObject(e, "line");
            cJSON_AddStringToObject(e, "path", d->items[i].path ? d->items[i].path : "");
            cJSON_AddStringToObject(e, "message",
                                    d->items[i].message ? d->items[i].message : "");
            cJSON_AddItemToArray(errs, e);
        }
        cli_json_print(j);
    }
    for (size_t i = 0; i < d->n; i++) {
        char line[1024];
        ent_lua_campaign_diag_format(&d->items[i], line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    fprintf(stderr, "entrain check: %zu problem%s\n", d->n, d->n == 1 ? "" : "s");
    return CLI_EXIT_DATA;
}

int cmd_check(int argc, char **argv)
{
    cli_options o = {.command = "check"};
    int rc = cli_parse(argc, argv, OPT_JSON, &o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o.help) {
        fputs(check_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o.n_positional != 1) {
        fprintf(stderr, "entrain check: give one campaign file\n%s", check_usage);
        return CLI_EXIT_USAGE;
    }
    const char *skip = getenv("ENTRAIN_NO_PATH_CHECK");
    ent_campaign_opts co = {.no_path_check = skip && *skip && strcmp(skip, "0") != 0};
    ent_campaign_config *c = NULL;
    ent_campaign_diags d = {0};
    ent_error err = {0};
    ent_status s = ent_lua_campaign_load(o.positional[0], &co, &c, &d, &err);
    if (s == ENT_EPARSE && d.n > 0) {
        rc = print_errors(&o, &d);
        ent_lua_campaign_diags_clear(&d);
        return rc;
    }
    ent_lua_campaign_diags_clear(&d);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    rc = o.json ? print_json(c) : (print_text(c), CLI_EXIT_OK);
    ent_lua_campaign_free(c);
    return rc;
}
