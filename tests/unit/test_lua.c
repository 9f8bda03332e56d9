/* Unit tests of src/lua: campaign-file validation (one test per error kind, with file:line
 * and key path), the shipped recipes' own tests (recipes/NAME.test.lua, run in the
 * production sandbox), hook defaults and return-value checks, the userdata API, sandbox
 * escapes (each must end as a recipe error with a clear message and the process alive),
 * resume determinism, and recipes run against a real campaign database (src/store). */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/rng.h"
#include "info/descriptor.h"
#include "io/frame.h"
#include "lua/campaign.h"
#include "lua/lua_store.h"
#include "lua/recipe.h"
#include "store/store.h"

static char tmpdir[256];
static char bindir[300];      /* stub lmp, pw.x, sbatch */
static char bindir_nosb[300]; /* stub lmp, pw.x only */
static char recipes_dir[PATH_MAX];
static char lua_data[PATH_MAX];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static const char *fixture(const char *name)
{
    static char buf[4][PATH_MAX + 64];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", lua_data, name);
    return buf[k];
}

static void write_file(const char *path, const char *text, int mode)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    chmod(path, (mode_t)mode);
}

static void quiet(void *ud, const char *line)
{
    (void)ud;
    (void)line;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    const char *data = getenv("ENTRAIN_TEST_DATA");
    if (!data)
        return -1;
    snprintf(lua_data, sizeof lua_data, "%s/lua", data);
    char r[PATH_MAX + 32];
    snprintf(r, sizeof r, "%s/../../recipes", data);
    if (!realpath(r, recipes_dir))
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/entrain-lua-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(bindir, sizeof bindir, "%s/bin", tmpdir);
    snprintf(bindir_nosb, sizeof bindir_nosb, "%s/bin2", tmpdir);
    mkdir(bindir, 0755);
    mkdir(bindir_nosb, 0755);
    const char *stubs[] = {"lmp", "pw.x", "sbatch"};
    for (int i = 0; i < 3; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", bindir, stubs[i]);
        write_file(p, "#!/bin/sh\nexit 0\n", 0755);
        if (i < 2) {
            snprintf(p, sizeof p, "%s/%s", bindir_nosb, stubs[i]);
            write_file(p, "#!/bin/sh\nexit 0\n", 0755);
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Campaign files */

static ent_status load_campaign(const char *file, const char *path_env,
                                ent_campaign_config **c, ent_campaign_diags *d)
{
    ent_campaign_opts o = {.path_env = path_env ? path_env : bindir,
                           .recipes_dir = recipes_dir};
    ent_error err = {0};
    memset(d, 0, sizeof *d);
    ent_status s = ent_lua_campaign_load(fixture(file), &o, c, d, &err);
    if (s != ENT_OK) {
        assert_non_null(strstr(err.msg, file)); /* the first problem, with its file */
        assert_null(*c);
    }
    return s;
}

/* A diagnostic at path (line when > 0) whose message contains what. */
static void expect_diag(const ent_campaign_diags *d, const char *path, long line,
                        const char *what)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->items[i].path, path) && (line <= 0 || d->items[i].line == line) &&
            strstr(d->items[i].message, what))
            return;
    for (size_t i = 0; i < d->n; i++) {
        char b[1024];
        ent_lua_campaign_diag_format(&d->items[i], b, sizeof b);
        print_message("  have: %s\n", b);
    }
    fail_msg("no diagnostic %s at line %ld containing '%s'", path, line, what);
}

static void expect_invalid(const char *file, const char *path, long line, const char *what,
                           size_t n_problems)
{
    ent_campaign_config *c = NULL;
    ent_campaign_diags d;
    assert_int_equal(load_campaign(file, NULL, &c, &d), ENT_EPARSE);
    expect_diag(&d, path, line, what);
    if (n_problems)
        assert_int_equal(d.n, n_problems);
    ent_lua_campaign_diags_clear(&d);
}

static void test_campaign_invalid_arguments(void **state)
{
    (void)state;
    ent_campaign_config *c = NULL;
    ent_error err = {0};
    assert_int_equal(ent_lua_campaign_load(tmp_path("nope.lua"), NULL, &c, NULL, &err),
                     ENT_EIO);
    assert_non_null(strstr(err.msg, "nope.lua"));
    assert_null(c);
    ent_lua_campaign_free(NULL);
    ent_lua_campaign_diags_clear(NULL);
}

static void test_campaign_valid(void **state)
{
    (void)state;
    ent_campaign_config *c = NULL;
    ent_campaign_diags d;
    assert_int_equal(load_campaign("campaign/valid.lua", NULL, &c, &d), ENT_OK);
    assert_int_equal(d.n, 0);
    assert_string_equal(c->name, "al-test");
    assert_non_null(strstr(c->database, "lua/campaign/campaign.db"));
    assert_int_equal(c->n_seed_files, 1);
    assert_non_null(strstr(c->seed_files[0], "campaign/seed.xyz"));
    assert_null(c->seed_selector);
    assert_int_equal(c->k, 32);
    assert_true(c->cutoff == 5.0 && c->bandwidth == 0.015 && !c->bandwidth_auto);
    const ent_campaign_job *ex = &c->jobs[ENT_CAMPAIGN_EXPLORE],
                           *lb = &c->jobs[ENT_CAMPAIGN_LABEL];
    assert_true(ex->present && lb->present && !c->jobs[ENT_CAMPAIGN_TRAIN].present);
    assert_int_equal(ex->argc, 3);
    assert_string_equal(ex->argv[0], "lmp");
    assert_null(ex->argv[3]);
    char want[600];
    snprintf(want, sizeof want, "%s/lmp", bindir);
    assert_string_equal(ex->executable, want);
    assert_string_equal(ex->adapter, "lammps");
    assert_string_equal(ex->backend, "local");
    assert_true(ex->timeout == 7200 && ex->retries == 1 && ex->parallel == 4);
    assert_int_equal(ex->n_options, 1);
    assert_string_equal(ex->options[0].key, "env.OMP_NUM_THREADS");
    assert_string_equal(ex->options[0].value, "2");
    assert_string_equal(lb->backend, "slurm");
    assert_true(lb->timeout == 3600 && lb->retries == 2 && lb->parallel == 8);
    assert_non_null(strstr(lb->options_json, "\"partition\":\"cpu\""));
    assert_int_equal(c->n_recipes, 3);
    assert_string_equal(c->recipes[2], "converged");
    assert_string_equal(c->params_json, "{\"novelty_threshold\":0.0,\"stop_patience\":3,"
                                        "\"temperatures\":[300,600,900,1200,1500]}");
    assert_string_equal(c->params_lua, "{novelty_threshold=0.0,stop_patience=3,"
                                       "temperatures={300,600,900,1200,1500}}");
    assert_true(c->max_generations == 20 && c->label_budget_per_generation == 50 &&
                c->label_budget_total == 500 && c->random_seed == 7);
    assert_int_equal(strlen(c->hash), 64);
    assert_int_equal(strlen(c->recipe_hash), 64);
    assert_non_null(strstr(c->text, "campaign {"));
    assert_string_equal(c->hook_source[ENT_LUA_HOOK_SELECT], "novelty.lua");
    assert_string_equal(c->hook_source[ENT_LUA_HOOK_COMPRESS], "compress.lua");
    assert_string_equal(c->hook_source[ENT_LUA_HOOK_SHOULD_STOP], "converged.lua");
    ent_lua_campaign_free(c);
}

/* The shipped example validates (stub lmp and pw.x on PATH). */
static void test_campaign_example(void **state)
{
    (void)state;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/../examples/campaign.lua", recipes_dir);
    ent_campaign_opts o = {.path_env = bindir, .recipes_dir = recipes_dir};
    ent_campaign_config *c = NULL;
    ent_campaign_diags d = {0};
    ent_error err = {0};
    if (ent_lua_campaign_load(path, &o, &c, &d, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(c->name, "al-bulk");
    assert_non_null(strstr(c->seed_files[0], "examples/data/al_md_300K.xyz"));
    assert_string_equal(c->hook_source[ENT_LUA_HOOK_PLAN], "novelty.lua");
    ent_lua_campaign_free(c);
}

static void test_campaign_selector_http_auto(void **state)
{
    (void)state;
    ent_campaign_config *c = NULL;
    ent_campaign_diags d;
    assert_int_equal(load_campaign("campaign/selector.lua", "/nonexistent", &c, &d),
                     ENT_OK);
    assert_string_equal(c->seed_selector, "labelled,tag=seed");
    assert_true(c->bandwidth_auto);
    assert_null(c->jobs[ENT_CAMPAIGN_EXPLORE].executable); /* check_path = false */
    assert_null(c->jobs[ENT_CAMPAIGN_LABEL].argv);
    assert_string_equal(c->jobs[ENT_CAMPAIGN_LABEL].backend, "http");
    assert_string_equal(c->recipes[0], "novelty"); /* the default recipe */
    assert_int_equal(c->label_budget_total, 30); /* default: per generation x generations */
    ent_lua_campaign_free(c);
}

static void test_campaign_unknown_keys(void **state)
{
    (void)state;
    expect_invalid("campaign/unknown_key.lua", "jobs.label.timout", 9,
                   "unknown key 'timout' (did you mean 'timeout'?)", 2);
    expect_invalid("campaign/unknown_key.lua", "colour", 13, "unknown key 'colour'", 2);
}

static void test_campaign_wrong_types(void **state)
{
    (void)state;
    expect_invalid("campaign/wrong_type.lua", "descriptor.k", 5, "expected an integer", 4);
    expect_invalid("campaign/wrong_type.lua", "jobs.label.timeout", 10,
                   "got a string (\"soon\")", 0);
    expect_invalid("campaign/wrong_type.lua", "jobs.label.retries", 11,
                   "expected an integer", 0);
    expect_invalid("campaign/wrong_type.lua", "bandwidth", 14, "must be > 0", 0);
}

static void test_campaign_missing_command(void **state)
{
    (void)state;
    expect_invalid("campaign/missing_command.lua", "jobs.label.command", 7, "missing", 1);
    expect_invalid("campaign/shell_string.lua", "jobs.label.command", 7,
                   "not a shell string", 1);
    expect_invalid("campaign/http.lua", "jobs.label.command", 9, "not used by the http", 2);
    expect_invalid("campaign/http.lua", "jobs.label.options.url", 10, "missing", 2);
}

static void test_campaign_executables(void **state)
{
    (void)state;
    expect_invalid("campaign/not_on_path.lua", "jobs.label.command[1]", 8,
                   "executable 'no-such-dft-program' not found on PATH", 2);
    expect_invalid("campaign/not_on_path.lua", "jobs.train.command[1]", 10,
                   "is not an executable file", 2);
    /* The same file passes when the check is off. */
    ent_campaign_opts o = {.no_path_check = 1, .recipes_dir = recipes_dir};
    ent_campaign_config *c = NULL;
    ent_error err = {0};
    assert_int_equal(
        ent_lua_campaign_load(fixture("campaign/not_on_path.lua"), &o, &c, NULL, &err),
        ENT_OK);
    assert_null(c->jobs[ENT_CAMPAIGN_LABEL].executable);
    ent_lua_campaign_free(c);
    /* The slurm backend needs sbatch. */
    ent_campaign_diags d;
    assert_int_equal(load_campaign("campaign/valid.lua", bindir_nosb, &c, &d), ENT_EPARSE);
    expect_diag(&d, "jobs.label.backend", 25, "needs 'sbatch' on PATH");
    ent_lua_campaign_diags_clear(&d);
}

static void test_campaign_limits(void **state)
{
    (void)state;
    expect_invalid("campaign/limits.lua", "limits.max_generations", 7, "got -1", 2);
    expect_invalid("campaign/limits.lua", "limits.label_budget_per_generation", 8,
                   "exceeds label_budget_total (50)", 2);
}

static void test_campaign_lua_errors(void **state)
{
    (void)state;
    expect_invalid("campaign/syntax.lua", "", 4, "'}' expected", 1);
    expect_invalid("campaign/runtime.lua", "", 2, "failed on purpose", 1);
    expect_invalid("campaign/no_campaign.lua", "", 0, "no campaign", 1);
    expect_invalid("campaign/twice.lua", "", 7, "called more than once", 1);
    expect_invalid("campaign/duplicate.lua", "name", 7, "given twice (first on line 2)", 1);
    expect_invalid("campaign/escape.lua", "", 1, "undeclared global 'os'", 1);
    /* A key whose table is built elsewhere: the line of the key that holds it. */
    expect_invalid("campaign/variable_table.lua", "jobs.label.timeout", 8, "\"never\"", 1);
}

static void test_campaign_seed_and_recipe(void **state)
{
    (void)state;
    expect_invalid("campaign/bad_recipe.lua", "seed[2]", 4, "not found", 2);
    expect_invalid("campaign/bad_recipe.lua", "recipe[2]", 6,
                   "unknown recipe 'no_such_recipe'", 2);
    expect_invalid("campaign/recipe_fails.lua", "recipe", 6, "unknown hook 'slect'", 1);
}

static void test_campaign_runaway_file(void **state)
{
    (void)state;
    ent_campaign_opts o = {.path_env = bindir,
                           .limits = {.memory_bytes = 8 << 20, .instructions = 1000000}};
    ent_error err = {0};
    ent_campaign_config *c = NULL;
    write_file(tmp_path("loop.lua"), "while true do end\n", 0644);
    assert_int_equal(ent_lua_campaign_load(tmp_path("loop.lua"), &o, &c, NULL, &err),
                     ENT_EPARSE);
    assert_non_null(strstr(err.msg, "loop.lua:1: instruction budget exceeded"));
    write_file(tmp_path("bomb.lua"), "local s = string.rep('x', 1 << 28)\n", 0644);
    assert_int_equal(ent_lua_campaign_load(tmp_path("bomb.lua"), &o, &c, NULL, &err),
                     ENT_EPARSE);
    assert_non_null(strstr(err.msg, "memory budget exceeded"));
}

/* ---------------------------------------------------------------------------------------
 * Recipes: the shipped recipes' tests, loading errors, defaults */

static void test_recipe_test_files(void **state)
{
    (void)state;
    const char *files[] = {"novelty.test.lua", "compress.test.lua", "converged.test.lua"};
    for (size_t i = 0; i < 3; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", recipes_dir, files[i]);
        ent_lua_test_report rep;
        ent_error err = {0};
        ent_status s = ent_lua_recipe_test_run(path, recipes_dir, &rep, &err);
        if (s != ENT_OK)
            fail_msg("%s: %s", files[i], err.msg);
        print_message("%s:\n%s", files[i], rep.log);
        assert_true(rep.n_cases >= 6);
        assert_int_equal(rep.n_failed, 0);
        ent_lua_test_report_clear(&rep);
    }
}

/* Default memory cap (64 MiB: a runaway Lua recursion reaches Lua's own stack limit,
 * "stack overflow", before it), 5 million instructions per call. */
static ent_status load_recipe(const char *const *names, size_t n, const char *params,
                              ent_lua_recipe **r, ent_error *err)
{
    ent_lua_recipe_opts o = {.recipes = names,
                             .n_recipes = n,
                             .recipes_dir = recipes_dir,
                             .params_lua = params,
                             .log = quiet,
                             .limits = {.instructions = 5000000}};
    return ent_lua_recipe_load(&o, r, err);
}

static void test_recipe_load_errors(void **state)
{
    (void)state;
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    assert_int_equal(load_recipe(NULL, 0, NULL, &r, &err), ENT_EINVAL);
    const char *missing[] = {"no_such_recipe"};
    assert_int_equal(load_recipe(missing, 1, NULL, &r, &err), ENT_EIO);
    assert_non_null(strstr(err.msg, "no_such_recipe"));
    const char *typo[] = {fixture("typo_hook.lua")};
    assert_int_equal(load_recipe(typo, 1, NULL, &r, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "unknown hook 'slect'"));
    const char *notab[] = {fixture("no_table.lua")};
    assert_int_equal(load_recipe(notab, 1, NULL, &r, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "must return a table of hooks"));
    const char *syn[] = {fixture("syntax_error.lua")};
    assert_int_equal(load_recipe(syn, 1, NULL, &r, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "syntax_error.lua:4:"));
    const char *twice[] = {"novelty", "novelty"};
    assert_int_equal(load_recipe(twice, 2, NULL, &r, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "defined by both novelty.lua and novelty.lua"));
    assert_null(r);
    ent_lua_recipe_destroy(NULL);
}

/* Four candidates, one 2-D environment each at (x, 0), x = 0..3, reference (0, 0), h = 1.
 */
typedef struct small_set {
    ent_lua_item items[4];
    double x[8], dh[4], ref[2];
    size_t off[5];
    ent_lua_set set;
} small_set;

static void small_set_init(small_set *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 4; i++) {
        s->items[i] = (ent_lua_item){
            .id = 10 + i, .n_atoms = 1, .generation = 1, .origin = "explored"};
        s->x[2 * i] = i;
        s->dh[i] = 0.5 * i * i;
        s->off[i + 1] = (size_t)i + 1;
    }
    s->set = (ent_lua_set){.items = s->items,
                           .n = 4,
                           .x = s->x,
                           .d = 2,
                           .offsets = s->off,
                           .dh = s->dh,
                           .ref_x = s->ref,
                           .n_ref = 1,
                           .bandwidth = 1.0,
                           .threshold = 0.0};
    ent_error err = {0};
    assert_int_equal(ent_lua_set_fill_stats(&s->set, s->items, &err), ENT_OK);
}

static void test_recipe_defaults(void **state)
{
    (void)state;
    write_file(tmp_path("empty.lua"), "return {}\n", 0644);
    const char *names[] = {tmp_path("empty.lua")};
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    assert_int_equal(load_recipe(names, 1, NULL, &r, &err), ENT_OK);
    for (int h = 0; h < ENT_LUA_N_HOOKS; h++)
        assert_null(ent_lua_recipe_hook_source(r, (ent_lua_hook)h));
    ent_lua_call call = {1, 99, 2};
    ent_lua_tasks t;
    assert_int_equal(ent_lua_recipe_plan(r, &call, &t, &err), ENT_OK);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.items[0].kind, "explore");
    ent_lua_tasks_clear(&t);
    small_set s;
    small_set_init(&s);
    ent_lua_decisions d;
    assert_int_equal(ent_lua_recipe_select(r, &call, &s.set, &d, &err), ENT_OK);
    assert_int_equal(d.n, 2); /* dH > 0 for 11, 12, 13; the budget is 2; most novel first */
    assert_int_equal(d.items[0].id, 13);
    assert_int_equal(d.items[1].id, 12);
    assert_non_null(strstr(d.items[0].reason, "default select: max dH 4.5"));
    ent_lua_decisions_clear(&d);
    assert_int_equal(ent_lua_recipe_compress(r, &call, &s.set, &d, &err), ENT_OK);
    assert_int_equal(d.n, 0);
    ent_lua_metrics_row row = {
        .generation = 1, .entropy = 1, .diversity = 1, .novelty = 0, .info_gap = NAN};
    ent_lua_metrics m = {&row, 1};
    ent_lua_stop stop;
    assert_int_equal(ent_lua_recipe_should_stop(r, &call, &m, &stop, &err), ENT_OK);
    assert_false(stop.stop);
    assert_int_equal(ent_lua_recipe_generation_end(r, &call, &m, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_select(r, &call, NULL, &d, &err), ENT_EINVAL);
    ent_lua_recipe_destroy(r);
}

static void test_userdata_api(void **state)
{
    (void)state;
    const char *names[] = {fixture("userdata_api.lua")};
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    assert_int_equal(load_recipe(names, 1, NULL, &r, &err), ENT_OK);
    small_set s;
    small_set_init(&s);
    ent_lua_call call = {1, 5, 2};
    ent_lua_decisions d;
    if (ent_lua_recipe_select(r, &call, &s.set, &d, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.items[0].id, 13);
    assert_string_equal(d.items[0].reason, "dH 4.5");
    ent_lua_decisions_clear(&d);
    ent_lua_metrics_row rows[3] = {{.generation = 0,
                                    .entropy = 3.0,
                                    .diversity = NAN,
                                    .novelty = 0.5,
                                    .info_gap = NAN},
                                   {.generation = 1,
                                    .entropy = NAN,
                                    .diversity = NAN,
                                    .novelty = 0.25,
                                    .info_gap = NAN},
                                   {.generation = 2,
                                    .entropy = 3.5,
                                    .diversity = NAN,
                                    .novelty = NAN,
                                    .info_gap = NAN}};
    ent_lua_metrics m = {rows, 3};
    ent_lua_stop stop;
    if (ent_lua_recipe_should_stop(r, &call, &m, &stop, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_false(stop.stop);
    assert_string_equal(stop.reason, "checked");
    /* Data set: 1 and 2 are copies (two environments each), 3 is far away. */
    ent_lua_item items[3] = {
        {.id = 1, .n_atoms = 2}, {.id = 2, .n_atoms = 2}, {.id = 3, .n_atoms = 1}};
    double x[10] = {0, 0, 0.1, 0, 0, 0, 0.1, 0, 5, 5};
    size_t off[4] = {0, 2, 4, 5};
    ent_lua_set ds = {
        .items = items, .n = 3, .x = x, .d = 2, .offsets = off, .bandwidth = 1.0};
    if (ent_lua_recipe_compress(r, &call, &ds, &d, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.items[0].id, 1); /* ties broken by id */
    assert_non_null(strstr(d.items[0].reason, "covered, dH -0.69"));
    ent_lua_decisions_clear(&d);
    ent_lua_recipe_destroy(r);
}

/* Return values are checked: each malformed answer is a recipe error naming the hook. */
static void test_hook_return_values(void **state)
{
    (void)state;
    struct {
        const char *attack, *expect;
    } v[] = {
        {"bad_return", "id 999999 is not one of candidates"},
        {"no_reason", "has no reason string"},
        {"duplicate", "chosen twice"},
        {"over_budget", "chose 4 candidates but the label budget of this generation is 2"},
        {"return_view", "returned a view"},
    };
    small_set s;
    small_set_init(&s);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char params[128];
        snprintf(params, sizeof params, "{attack=\"%s\"}", v[i].attack);
        const char *names[] = {fixture("escape.lua")};
        ent_lua_recipe *r = NULL;
        ent_error err = {0};
        assert_int_equal(load_recipe(names, 1, params, &r, &err), ENT_OK);
        ent_lua_call call = {1, 1, 2};
        ent_lua_decisions d = {0};
        assert_int_equal(ent_lua_recipe_select(r, &call, &s.set, &d, &err), ENT_ERECIPE);
        assert_null(d.items);
        if (!strstr(err.msg, v[i].expect))
            fail_msg("%s: got '%s'", v[i].attack, err.msg);
        assert_non_null(strstr(err.msg, "escape.lua:"));
        ent_lua_recipe_destroy(r);
    }
}

/* ---------------------------------------------------------------------------------------
 * Sandbox escapes */

typedef struct escape_case {
    const char *attack;
    const char *expect;
} escape_case;

static const escape_case escapes[] = {
    {"io_open", "undeclared global 'io'"},
    {"os_execute", "undeclared global 'os'"},
    {"require", "undeclared global 'require'"},
    {"dofile", "undeclared global 'dofile'"},
    {"debug", "undeclared global 'debug'"},
    {"load_binary", "binary chunks are not allowed"},
    {"load_binary_default", "attempt to load a binary chunk"},
    {"string_dump", "attempt to call a nil value (field 'dump')"},
    {"string_rep", "memory budget exceeded"},
    {"table_bomb", "memory budget exceeded"},
    {"infinite_loop", "instruction budget exceeded"},
    {"pcall_loop", "instruction budget exceeded"},
    {"coroutine_loop", "instruction budget exceeded"},
    {"deep_recursion", "stack overflow"},
    {"c_stack", "stack overflow"},
    {"gsub_recursion", "stack overflow"},
    {"modify_params", "attempt to modify read-only table (field 'attack')"},
    {"modify_entrain", "attempt to modify read-only table (field 'version')"},
    {"rawset_entrain", "rawset: this table is read-only"},
    {"rawset_params", "rawset: this table is read-only"},
    {"setmetatable_entrain", "cannot change a protected metatable"},
    {"modify_string_lib", "attempt to modify read-only table (field 'rep')"},
    {"string_metatable", "attempt to index a boolean value"},
    {"string_setmetatable",
     "bad argument #1 to 'setmetatable' (table expected, got string)"},
    {"new_global", "assignment to undeclared global 'leaked'"},
    {"global_via_G", "assignment to undeclared global 'leaked'"},
    {"rawset_G", "rawset: this table is read-only"},
    {"overwrite_global", "assignment to undeclared global 'print'"},
    {"undeclared_read", "undeclared global 'undefined_name'"},
    {"randomseed", "math.randomseed is not available"},
    {"collectgarbage_stop", "option 'stop' is not allowed"},
    {"yield_from_hook", "attempt to yield from outside a coroutine"},
    {"yield_across_c", "attempt to yield across a C-call boundary"},
    {"yield_in_filter", "attempt to yield across a C-call boundary"},
    {"error_object", "(error object is a table value)"},
    {"gc_loop", "__gc metamethods are not allowed"},
    {"pattern_bomb", "instruction budget exceeded by string.find"},
    {"table_move", "instruction budget exceeded by table.move"},
    {"shift_loop", "instruction budget exceeded by table."},
};

static void test_sandbox_escapes(void **state)
{
    (void)state;
    small_set s;
    small_set_init(&s);
    for (size_t i = 0; i < sizeof escapes / sizeof *escapes; i++) {
        char params[128];
        snprintf(params, sizeof params, "{attack=\"%s\"}", escapes[i].attack);
        const char *names[] = {fixture("escape.lua")};
        ent_lua_recipe *r = NULL;
        ent_error err = {0};
        assert_int_equal(load_recipe(names, 1, params, &r, &err), ENT_OK);
        ent_lua_call call = {1, 1, 2};
        ent_lua_decisions d = {0};
        clock_t t0 = clock();
        ent_status st = ent_lua_recipe_select(r, &call, &s.set, &d, &err);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        print_message("%-22s -> %.*s (%.2f s)\n", escapes[i].attack,
                      (int)strcspn(err.msg, "\n"), err.msg, secs);
        if (st != ENT_ERECIPE || !strstr(err.msg, escapes[i].expect))
            fail_msg("%s: status %d, message: %s", escapes[i].attack, st, err.msg);
        assert_non_null(strstr(ent_lua_recipe_last_error(r), escapes[i].expect));
        /* The state is still usable after the failure: a second call fails the same way
         * (and does not crash), and memory went back below the cap. */
        assert_int_equal(ent_lua_recipe_select(r, &call, &s.set, &d, &err), ENT_ERECIPE);
        print_message("%-22s    Lua memory after the failures: %zu KiB\n", "",
                      ent_lua_recipe_memory(r) >> 10);
        assert_true(ent_lua_recipe_memory(r) < (32u << 20));
        ent_lua_recipe_destroy(r);
    }
    /* Ordinary patterns on a 100 kB subject stay well inside the budget. */
    const char *names[] = {fixture("escape.lua")};
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    ent_lua_call call = {1, 1, 2};
    ent_lua_decisions d = {0};
    assert_int_equal(load_recipe(names, 1, "{attack=\"patterns_ok\"}", &r, &err), ENT_OK);
    if (ent_lua_recipe_select(r, &call, &s.set, &d, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    ent_lua_recipe_destroy(r);
    assert_int_equal(load_recipe(names, 1, "{attack=\"tables_ok\"}", &r, &err), ENT_OK);
    if (ent_lua_recipe_select(r, &call, &s.set, &d, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    ent_lua_recipe_destroy(r);
    /* The file the escape tried to create does not exist. */
    assert_int_equal(access("/tmp/entrain-escape", F_OK), -1);
}

static void test_sandbox_kept_view(void **state)
{
    (void)state;
    small_set s;
    small_set_init(&s);
    const char *names[] = {fixture("escape.lua")};
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    ent_lua_call call = {1, 1, 2};
    ent_lua_decisions d = {0};
    assert_int_equal(load_recipe(names, 1, "{attack=\"keep_view\"}", &r, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_select(r, &call, &s.set, &d, &err), ENT_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(ent_lua_recipe_select(r, &call, &s.set, &d, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "used after the hook call that received it returned"));
    ent_lua_recipe_destroy(r);
}

/* C numerics are charged to the instruction budget before they run: an O(N^2) call on a
 * large data set with little budget left is refused at once. */
static void test_sandbox_numerics_charged(void **state)
{
    (void)state;
    enum { N = 20000 };
    write_file(
        tmp_path("redundant.lua"),
        "return { compress = function(g, ds) return ds:redundant(0):decide('x') end }\n",
        0644);
    const char *names[] = {tmp_path("redundant.lua")};
    ent_lua_recipe_opts o = {
        .recipes = names, .n_recipes = 1, .log = quiet, .limits = {.instructions = 50000}};
    ent_lua_recipe *r = NULL;
    ent_error err = {0};
    assert_int_equal(ent_lua_recipe_load(&o, &r, &err), ENT_OK);
    ent_lua_item *items = calloc(N, sizeof *items);
    double *x = calloc(2 * N, sizeof *x);
    size_t *off = calloc(N + 1, sizeof *off);
    assert_true(items && x && off);
    for (size_t i = 0; i < N; i++) {
        items[i] = (ent_lua_item){.id = (int64_t)i + 1, .n_atoms = 1};
        x[2 * i] = (double)i;
        off[i + 1] = i + 1;
    }
    ent_lua_set ds = {
        .items = items, .n = N, .x = x, .d = 2, .offsets = off, .bandwidth = 1};
    ent_lua_call call = {1, 1, SIZE_MAX};
    ent_lua_decisions d = {0};
    time_t t0 = time(NULL);
    assert_int_equal(ent_lua_recipe_compress(r, &call, &ds, &d, &err), ENT_ERECIPE);
    assert_non_null(strstr(err.msg, "instruction budget exceeded by redundant"));
    assert_true(time(NULL) - t0 < 5);
    ent_lua_recipe_destroy(r);
    free(items);
    free(x);
    free(off);
}

/* ---------------------------------------------------------------------------------------
 * Determinism: a restarted campaign (new state, same generation seed) decides the same */

static int same_decisions(const ent_lua_decisions *a, const ent_lua_decisions *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i].id != b->items[i].id ||
            strcmp(a->items[i].reason, b->items[i].reason))
            return 0;
    return 1;
}

static void test_resume_determinism(void **state)
{
    (void)state;
    enum { N = 12 };
    ent_lua_item items[N];
    for (int i = 0; i < N; i++)
        items[i] = (ent_lua_item){.id = 100 + i,
                                  .n_atoms = 1,
                                  .dh_max = 1,
                                  .dh_mean = 1,
                                  .dh_min = 1,
                                  .frac_novel = 1};
    ent_lua_set set = {.items = items, .n = N};
    const char *names[] = {fixture("random_select.lua")};
    uint64_t seed = ent_lua_generation_seed(7, 3);
    assert_true(seed == ent_lua_generation_seed(7, 3) &&
                seed != ent_lua_generation_seed(7, 4) &&
                seed != ent_lua_generation_seed(8, 3));
    ent_lua_call call = {3, seed, 5};
    ent_error err = {0};
    /* First run: plan, then select. */
    ent_lua_recipe *a = NULL;
    assert_int_equal(load_recipe(names, 1, NULL, &a, &err), ENT_OK);
    ent_lua_tasks ta, tb;
    ent_lua_decisions da, db, dc;
    assert_int_equal(ent_lua_recipe_plan(a, &call, &ta, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_select(a, &call, &set, &da, &err), ENT_OK);
    ent_lua_recipe_destroy(a);
    /* "Restart" after plan: a fresh state runs select first, then plan again. */
    assert_int_equal(load_recipe(names, 1, NULL, &a, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_select(a, &call, &set, &db, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_plan(a, &call, &tb, &err), ENT_OK);
    assert_true(same_decisions(&da, &db));
    assert_int_equal(da.n, 5);
    assert_string_equal(ent_lua_task_param(&ta.items[0], "seed")->text,
                        ent_lua_task_param(&tb.items[0], "seed")->text);
    /* Another generation seed chooses differently. */
    ent_lua_call other = {3, seed + 1, 5};
    assert_int_equal(ent_lua_recipe_select(a, &other, &set, &dc, &err), ENT_OK);
    assert_false(same_decisions(&da, &dc));
    ent_lua_recipe_destroy(a);
    ent_lua_decisions_clear(&da);
    ent_lua_decisions_clear(&db);
    ent_lua_decisions_clear(&dc);
    ent_lua_tasks_clear(&ta);
    ent_lua_tasks_clear(&tb);
}

/* ---------------------------------------------------------------------------------------
 * Against a real campaign database */

/* 8 atoms on a 2 x 2 x 2 grid in a periodic 6 A cube, displaced by `noise` A. */
static ent_frame *grid_frame(ent_rng *g, double noise)
{
    ent_frame *f = ent_frame_create(8);
    assert_non_null(f);
    for (int i = 0; i < 8; i++) {
        snprintf(f->species[i], ENT_SYMBOL_MAX, "Al");
        f->positions[3 * i + 0] = 3.0 * (i & 1) + noise * ent_rng_normal(g);
        f->positions[3 * i + 1] = 3.0 * ((i >> 1) & 1) + noise * ent_rng_normal(g);
        f->positions[3 * i + 2] = 3.0 * ((i >> 2) & 1) + noise * ent_rng_normal(g);
    }
    f->cell[0] = f->cell[4] = f->cell[8] = 6.0;
    f->has_cell = 1;
    f->pbc[0] = f->pbc[1] = f->pbc[2] = 1;
    return f;
}

static void import_frames(ent_store *st, int64_t set_id, long generation,
                          const char *status, ent_rng *g, const double *noise, size_t n,
                          int64_t *ids)
{
    ent_store_import_params p = {.files = "test_lua",
                                 .generation = generation,
                                 .status = status,
                                 .descriptor_set = set_id};
    ent_store_import *im = NULL;
    ent_error err = {0};
    assert_int_equal(ent_store_import_begin(st, &p, &im, &err), ENT_OK);
    ent_descriptor_params dp = {.k = 8, .cutoff = 5.0};
    for (size_t i = 0; i < n; i++) {
        ent_frame *f = grid_frame(g, noise[i]);
        double x[8 * 15], forces[24] = {0};
        assert_int_equal(ent_descriptors(f->positions, 8, f->cell, f->pbc, &dp, x, &err),
                         ENT_OK);
        ent_store_label l = {.has_energy = 1, .energy = -3.0 * 8, .forces = forces};
        int dup = 0;
        assert_int_equal(ent_store_import_add(im, f, "test_lua", (long)i, x,
                                              strcmp(status, "labelled") ? NULL : &l,
                                              &ids[i], &dup, &err),
                         ENT_OK);
        assert_false(dup);
        ent_frame_destroy(f);
    }
    assert_int_equal(ent_store_import_commit(im, NULL, &err), ENT_OK);
    ent_store_import_destroy(im);
}

static size_t count_decisions(ent_store *st, int64_t id, const char *kind, const char *hash)
{
    ent_store_audit a;
    memset(&a, 0, sizeof a);
    ent_error err = {0};
    assert_int_equal(ent_store_audit_get(st, id, &a, &err), ENT_OK);
    size_t n = 0;
    for (size_t i = 0; i < a.n_decisions; i++)
        if (!strcmp(a.decisions[i].kind, kind) &&
            (!hash || !strcmp(a.decisions[i].recipe_hash, hash)) &&
            a.decisions[i].reason[0])
            n++;
    ent_store_audit_clear(&a);
    return n;
}

static void status_counts(ent_store *st, size_t counts[ENT_STORE_N_STATUS])
{
    memset(counts, 0, ENT_STORE_N_STATUS * sizeof *counts);
    for (int k = 0; k < ENT_STORE_N_STATUS; k++) {
        ent_store_filter f = {.status = ent_store_status_names[k]};
        int64_t *ids = NULL;
        ent_error err = {0};
        assert_int_equal(ent_store_structure_ids(st, &f, &ids, &counts[k], &err), ENT_OK);
        free(ids);
    }
}

static void test_store_integration(void **state)
{
    (void)state;
    ent_error err = {0};
    /* The campaign file, next to its database, with stub executables on PATH. */
    write_file(tmp_path("campaign.lua"),
               "campaign {\n"
               "  name = 'store-test', database = 'campaign.db', seed = 'db:labelled',\n"
               "  descriptor = { k = 8, cutoff = 5.0 },\n"
               "  jobs = { explore = { command = { 'lmp', '-in', 'in.lammps' } },\n"
               "           label = { command = { 'pw.x' }, adapter = 'qe' } },\n"
               "  recipe = { 'novelty', 'compress', 'converged' },\n"
               "  params = { compress_max_fraction = 0.5, stop_patience = 2,\n"
               "             stop_novelty_below = 0.5 },\n"
               "  limits = { max_generations = 5, label_budget_per_generation = 2 },\n"
               "}\n",
               0644);
    ent_campaign_opts co = {.path_env = bindir, .recipes_dir = recipes_dir};
    ent_campaign_config *cfg = NULL;
    if (ent_lua_campaign_load(tmp_path("campaign.lua"), &co, &cfg, NULL, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    ent_store *st = NULL;
    unlink(cfg->database);
    ent_store_open_opts oo = {.flags = ENT_STORE_CREATE | ENT_STORE_WRITER,
                              .command = "test"};
    assert_int_equal(ent_store_open(cfg->database, &oo, &st, &err), ENT_OK);
    ent_store_descriptor_params dp = {.k = cfg->k, .cutoff = cfg->cutoff, .species = ""};
    int64_t set_id = 0;
    assert_int_equal(ent_store_descriptor_set_ensure(st, &dp, 15, &set_id, &err), ENT_OK);
    /* Generation 0: 4 labelled structures near the grid (2 exact copies of each other's
     * neighbourhood); generation 1: 2 near copies and 3 strongly distorted candidates. */
    ent_rng g;
    ent_rng_seed(&g, 2024);
    int64_t lab[4], cand[5];
    const double lab_noise[4] = {0.02, 0.02, 0.02, 0.02};
    const double cand_noise[5] = {0.02, 0.02, 0.6, 0.6, 0.6};
    import_frames(st, set_id, 0, "labelled", &g, lab_noise, 4, lab);
    import_frames(st, set_id, 1, "candidate", &g, cand_noise, 5, cand);

    ent_lua_recipe *r = NULL;
    if (ent_lua_campaign_recipe(cfg, recipes_dir, quiet, NULL, &r, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    const char *hash = ent_lua_recipe_hash(r);
    assert_string_equal(hash, cfg->recipe_hash);

    /* select: candidates read from the database, dH against everything labelled. */
    ent_lua_store_set cs;
    assert_int_equal(ent_lua_store_candidates(st, 1, &dp, cfg->bandwidth, 0.0, &cs, &err),
                     ENT_OK);
    assert_int_equal(cs.set.n, 5);
    assert_int_equal(cs.set.n_ref, 4 * 8);
    for (size_t i = 0; i < cs.set.n; i++)
        print_message("candidate %lld: dH max %.3f, frac novel %.2f\n",
                      (long long)cs.items[i].id, cs.items[i].dh_max,
                      cs.items[i].frac_novel);
    assert_true(cs.items[4].dh_max > cs.items[0].dh_max);
    assert_int_equal(ent_lua_store_scores(st, 1, &cs, &err), ENT_OK);
    uint64_t seed = ent_lua_generation_seed(cfg->random_seed, 1);
    ent_lua_call call = {1, seed, (size_t)cfg->label_budget_per_generation};
    ent_lua_tasks tasks;
    assert_int_equal(ent_lua_recipe_plan(r, &call, &tasks, &err), ENT_OK);
    assert_int_equal(tasks.n, 1);
    assert_string_equal(tasks.items[0].kind, "md");
    assert_int_equal(ent_lua_task_param(&tasks.items[0], "temperature")->number, 300);
    ent_lua_tasks_clear(&tasks);
    ent_lua_decisions sel;
    if (ent_lua_recipe_select(r, &call, &cs.set, &sel, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(sel.n, 2);
    for (size_t i = 0; i < sel.n; i++) {
        assert_true(sel.items[i].id >= cand[2]); /* a distorted one */
        print_message("selected %lld: %s\n", (long long)sel.items[i].id,
                      sel.items[i].reason);
    }
    assert_int_equal(ent_lua_store_decisions(st, 1, "select", &sel, hash, &err), ENT_OK);
    for (size_t i = 0; i < sel.n; i++) {
        ent_store_structure_info info;
        assert_int_equal(ent_store_structure_get(st, sel.items[i].id, NULL, &info, &err),
                         ENT_OK);
        assert_string_equal(info.status, "selected");
        assert_string_equal(info.status_reason, sel.items[i].reason);
        assert_int_equal(count_decisions(st, sel.items[i].id, "select", hash), 1);
    }

    /* A malicious recipe run against the same candidates fails cleanly and the database
     * is left exactly as it was (nothing is written unless a hook succeeds). */
    size_t before[ENT_STORE_N_STATUS], after[ENT_STORE_N_STATUS];
    status_counts(st, before);
    const char *attacks[] = {"infinite_loop", "string_rep", "os_execute", "deep_recursion"};
    for (size_t k = 0; k < 4; k++) {
        char params[64];
        snprintf(params, sizeof params, "{attack=\"%s\"}", attacks[k]);
        const char *names[] = {fixture("escape.lua")};
        ent_lua_recipe *bad = NULL;
        assert_int_equal(load_recipe(names, 1, params, &bad, &err), ENT_OK);
        ent_lua_decisions d = {0};
        assert_int_equal(ent_lua_recipe_select(bad, &call, &cs.set, &d, &err), ENT_ERECIPE);
        assert_null(d.items);
        ent_lua_recipe_destroy(bad);
    }
    status_counts(st, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(count_decisions(st, cand[0], "select", NULL), 0);
    ent_lua_store_set_clear(&cs);
    ent_lua_decisions_clear(&sel);

    /* compress: the labelled data set read back; two of the copies are dropped. */
    ent_lua_store_set ds;
    assert_int_equal(ent_lua_store_dataset(st, &dp, cfg->bandwidth, &ds, &err), ENT_OK);
    assert_int_equal(ds.set.n, 4);
    ent_lua_decisions drop;
    if (ent_lua_recipe_compress(r, &call, &ds.set, &drop, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    print_message("compress dropped %zu of 4\n", drop.n);
    assert_true(drop.n <= 2);
    assert_int_equal(ent_lua_store_decisions(st, 1, "drop", &drop, hash, &err), ENT_OK);
    for (size_t i = 0; i < drop.n; i++)
        assert_int_equal(count_decisions(st, drop.items[i].id, "drop", hash), 1);
    ent_lua_decisions_clear(&drop);
    ent_lua_store_set_clear(&ds);

    /* should_stop: metrics read from the database. */
    ent_store_metric m0 = {.generation = 0,
                           .bandwidth = 0.015,
                           .entropy = 2.0,
                           .diversity = 1.0,
                           .novelty = 0.2,
                           .info_gap = NAN};
    ent_store_metric m1 = m0;
    m1.generation = 1;
    m1.novelty = 0.1;
    m1.entropy = 2.1;
    assert_int_equal(ent_store_metric_put(st, &m0, &err), ENT_OK);
    assert_int_equal(ent_store_metric_put(st, &m1, &err), ENT_OK);
    ent_lua_metrics_row *rows = NULL;
    size_t nrows = 0;
    assert_int_equal(ent_lua_store_metrics(st, &rows, &nrows, &err), ENT_OK);
    assert_int_equal(nrows, 2);
    ent_lua_metrics met = {rows, nrows};
    ent_lua_stop stop;
    if (ent_lua_recipe_should_stop(r, &call, &met, &stop, &err) != ENT_OK)
        fail_msg("%s", err.msg);
    assert_true(stop.stop);
    assert_non_null(strstr(stop.reason, "converged: novelty below 0.5"));
    assert_int_equal(ent_lua_store_stop(st, 1, &stop, hash, &err), ENT_OK);
    assert_int_equal(ent_lua_recipe_generation_end(r, &call, &met, &err), ENT_OK);
    free(rows);
    ent_lua_recipe_destroy(r);
    ent_store_close(st);
    /* The database reopens (read-only) and reports the campaign. */
    ent_store_open_opts ro = {.flags = ENT_STORE_READONLY};
    assert_int_equal(ent_store_open(cfg->database, &ro, &st, &err), ENT_OK);
    ent_store_gen_summary *sum = NULL;
    size_t ns = 0, running = 0;
    assert_int_equal(ent_store_summary(st, &sum, &ns, &running, &err), ENT_OK);
    assert_int_equal(ns, 2);
    free(sum);
    ent_store_close(st);
    ent_lua_campaign_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_campaign_invalid_arguments),
        cmocka_unit_test(test_campaign_valid),
        cmocka_unit_test(test_campaign_example),
        cmocka_unit_test(test_campaign_selector_http_auto),
        cmocka_unit_test(test_campaign_unknown_keys),
        cmocka_unit_test(test_campaign_wrong_types),
        cmocka_unit_test(test_campaign_missing_command),
        cmocka_unit_test(test_campaign_executables),
        cmocka_unit_test(test_campaign_limits),
        cmocka_unit_test(test_campaign_lua_errors),
        cmocka_unit_test(test_campaign_seed_and_recipe),
        cmocka_unit_test(test_campaign_runaway_file),
        cmocka_unit_test(test_recipe_test_files),
        cmocka_unit_test(test_recipe_load_errors),
        cmocka_unit_test(test_recipe_defaults),
        cmocka_unit_test(test_userdata_api),
        cmocka_unit_test(test_hook_return_values),
        cmocka_unit_test(test_sandbox_escapes),
        cmocka_unit_test(test_sandbox_kept_view),
        cmocka_unit_test(test_sandbox_numerics_charged),
        cmocka_unit_test(test_resume_determinism),
        cmocka_unit_test(test_store_integration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
