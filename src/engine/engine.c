/* The engine loop: read the latest generation's phase from the database, run the step
 * that advances it, commit the next phase, repeat (engine.h). Steps that start jobs
 * rebuild the same job specs from the database each time, so a step re-run after a crash
 * finds its jobs by content hash instead of starting them again. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "info/descriptor.h"
#include "info/kernel.h"
#include "io/reader.h"
#include "lua/lua_store.h"

/* ---- small helpers ---- */

void eng_log(eng *e, const char *fmt, ...)
{
    if (!e->o.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->o.log, fmt, ap);
    va_end(ap);
    fputc('\n', e->o.log);
    fflush(e->o.log);
}

/* Test-only crash points (README, "Running a campaign"): ENTRAIN_TEST_CRASH_AT=PHASE
 * makes the process _exit(137) right after committing the end of that step, in
 * generation ENTRAIN_TEST_CRASH_GEN (default: the first one reached). */
void eng_crash_point(eng *e, const char *point, long generation)
{
    if (!e->crash_at[0] || strcmp(e->crash_at, point) != 0)
        return;
    if (e->crash_gen >= 0 && e->crash_gen != generation)
        return;
    eng_log(e, "test: simulated crash at %s (generation %ld)", point, generation);
    _exit(137);
}

ent_status eng_tx_begin(eng *e, ent_error *err)
{
    return ent_store_write_begin(e->st, err);
}

ent_status eng_tx_end(eng *e, ent_status s, ent_error *err)
{
    if (s != ENT_OK) {
        ent_store_rollback(e->st);
        return s;
    }
    return ent_store_commit(e->st, err);
}

/* Commit the next phase of generation g on its own (steps with nothing else to write). */
ent_status eng_advance(eng *e, long g, const char *done, const char *next, ent_error *err)
{
    ent_status s = ent_store_generation_set_phase(e->st, g, next, err);
    if (s == ENT_OK)
        eng_crash_point(e, done, g);
    return s;
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

ent_status ent_engine_stop_file(const char *db_path, char *buf, size_t size,
                                ent_error *err)
{
    if (!db_path || !buf)
        return ent_error_set(err, ENT_EINVAL, "stop file: NULL argument");
    if ((size_t)snprintf(buf, size, "%s.stop", db_path) >= size)
        return ent_error_set(err, ENT_EINVAL, "stop file: path too long");
    return ENT_OK;
}

/* ---- generation 0: the seeds ---- */

static ent_status step_seed(eng *e, ent_error *err)
{
    const ent_campaign_config *c = e->c;
    ent_store_import_params ip = {0};
    ip.files = c->seed_files[0];
    ip.generation = 0;
    ip.tag = "seed";
    ip.status = "labelled";
    ip.descriptor_set = e->set_id;
    ent_store_import *im = NULL;
    ent_status s = ent_store_import_begin(e->st, &ip, &im, err);
    if (s != ENT_OK)
        return s;
    int64_t *ids = NULL;
    size_t n_ids = 0, cap = 0;
    double *x = NULL;
    for (size_t fi = 0; fi < c->n_seed_files && s == ENT_OK; fi++) {
        ent_reader *rd = NULL;
        s = ent_reader_open(c->seed_files[fi], NULL, &rd, err);
        for (;;) {
            if (s != ENT_OK)
                break;
            ent_frame *f = NULL;
            s = ent_reader_next(rd, &f, err);
            if (s == ENT_EEOF) {
                s = ENT_OK;
                break;
            }
            if (s != ENT_OK)
                break;
            size_t idx = ent_reader_frame_index(rd);
            double energy = NAN;
            double *forces = malloc(3 * f->n_atoms * sizeof *forces + 1);
            double *nx = realloc(x, f->n_atoms * e->width * sizeof *x + 1);
            char reason[256];
            if (!forces || !nx) {
                free(forces);
                ent_frame_destroy(f);
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                break;
            }
            x = nx;
            ent_engine_label_check(f, f, e->min_distance, &energy, forces, reason,
                                   sizeof reason);
            if (reason[0]) {
                s = ent_error_set(err, ENT_EINVAL,
                                  "%s: frame %zu: seed structures need a valid label in this "
                                  "version: %s",
                                  c->seed_files[fi], idx, reason);
            } else {
                s = ent_descriptors(f->positions, f->n_atoms, f->cell, f->pbc, &e->desc, x,
                                    err);
            }
            if (s == ENT_OK) {
                ent_store_label lb = {0};
                lb.has_energy = 1;
                lb.energy = energy;
                lb.forces = forces;
                lb.validation = "ok";
                int64_t id = 0;
                int dup = 0;
                s = ent_store_import_add(im, f, c->seed_files[fi], (long)idx, x, &lb, &id,
                                         &dup, err);
                if (s == ENT_OK && !dup) {
                    if (n_ids == cap) {
                        cap = cap ? 2 * cap : 16;
                        int64_t *ni = realloc(ids, cap * sizeof *ids);
                        if (!ni)
                            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                        else
                            ids = ni;
                    }
                    if (s == ENT_OK)
                        ids[n_ids++] = id;
                }
            }
            free(forces);
            ent_frame_destroy(f);
        }
        ent_reader_close(rd);
    }
    free(x);
    if (s == ENT_OK)
        s = ent_store_import_commit(im, NULL, err);
    ent_store_import_destroy(im);
    if (s == ENT_OK)
        s = eng_tx_begin(e, err);
    if (s == ENT_OK) {
        for (size_t i = 0; i < n_ids && s == ENT_OK; i++)
            s = ent_store_structure_set_origin(e->st, ids[i], 0, "seed", 0, err);
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, 0, "done", err);
        if (s == ENT_OK)
            s = ent_store_generation_finish(e->st, 0, err);
        if (s == ENT_OK)
            s = ent_store_generation_ensure(e->st, 1, "plan", err);
        if (s == ENT_OK)
            s = ent_store_generation_set_seed(e->st, 1,
                                              ent_lua_generation_seed(c->random_seed, 1), err);
        s = eng_tx_end(e, s, err);
    }
    free(ids);
    if (s == ENT_OK) {
        eng_log(e, "generation 0: %zu seed structure(s) labelled", n_ids);
        eng_crash_point(e, "seed", 0);
    }
    return s;
}

/* ---- metrics and decide ---- */

static ent_status summary_row(eng *e, long g, ent_store_gen_summary *row, size_t *engine_labels,
                              ent_error *err)
{
    ent_store_gen_summary *rows = NULL;
    size_t n = 0, running = 0;
    ent_status s = ent_store_summary(e->st, &rows, &n, &running, err);
    if (s != ENT_OK)
        return s;
    memset(row, 0, sizeof *row);
    row->novelty = NAN;
    size_t lab = 0;
    int i_sel = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "selected");
    int i_lab = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "labelled");
    int i_rej = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "rejected");
    for (size_t i = 0; i < n; i++) {
        if (rows[i].generation == g)
            *row = rows[i];
        if (rows[i].generation >= 1)
            lab += rows[i].n_status[i_sel] + rows[i].n_status[i_lab] + rows[i].n_status[i_rej];
    }
    if (engine_labels)
        *engine_labels = lab;
    free(rows);
    return ENT_OK;
}

static void json_num(cJSON *o, const char *key, double v)
{
    /* JSON has no NaN or infinity: unknown is null, +inf the string "inf" (README). */
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else if (isinf(v))
        cJSON_AddStringToObject(o, key, v > 0 ? "inf" : "-inf");
    else
        cJSON_AddNumberToObject(o, key, v);
}

/* metric.extra: what §10 of QUESTS_MATH.md asks for beyond the table's columns. */
static char *metrics_extra(const ent_store_gen_stats *gs, double ln_n, double eff)
{
    static const char *const kinds[ENT_STORE_N_JOB_KINDS] = {"explore", "label", "train",
                                                             "score"};
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    json_num(o, "ln_n", ln_n);
    json_num(o, "efficiency", eff);
    json_num(o, "novelty_new_data", gs->new_novelty);
    cJSON_AddNumberToObject(o, "new_environments", (double)gs->new_environments);
    cJSON_AddNumberToObject(o, "candidates_scored", (double)gs->n_scored);
    cJSON_AddNumberToObject(o, "candidates_inf", (double)gs->n_scored_inf);
    json_num(o, "dh_frame_mean", gs->dh_frame_mean);
    json_num(o, "dh_frame_spread", gs->dh_frame_spread);
    json_num(o, "dh_max", gs->dh_max);
    cJSON *jobs = cJSON_AddObjectToObject(o, "jobs");
    for (int k = 0; jobs && k < ENT_STORE_N_JOB_KINDS; k++) {
        const ent_store_job_stats *js = &gs->jobs[k];
        if (!js->n)
            continue;
        cJSON *j = cJSON_AddObjectToObject(jobs, kinds[k]);
        if (!j)
            break;
        cJSON_AddNumberToObject(j, "n", (double)js->n);
        cJSON_AddNumberToObject(j, "succeeded", (double)js->succeeded);
        cJSON_AddNumberToObject(j, "failed", (double)js->failed);
        json_num(j, "wall_total", js->wall_total);
        json_num(j, "wall_max", js->wall_max);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static ent_status step_metrics(eng *e, long g, ent_error *err)
{
    ent_lua_store_set ds = {0};
    ent_status s = ent_lua_store_dataset(e->st, &e->dp, e->h, &ds, err);
    if (s != ENT_OK)
        return s;
    size_t n_env = ds.set.offsets ? ds.set.offsets[ds.set.n] : 0;
    double H = NAN, D = NAN;
    if (n_env > 0)
        s = ent_entropy(ds.set.x, n_env, ds.set.d, &e->h, 1, &H, &D, NULL, err);
    size_t n_struct = ds.set.n;
    ent_lua_store_set_clear(&ds);
    if (s != ENT_OK)
        return s;
    ent_store_gen_summary row;
    if ((s = summary_row(e, g, &row, NULL, err)) != ENT_OK)
        return s;
    double ln_n = n_env > 0 ? log((double)n_env) : NAN;
    double eff = n_env > 1 ? H / ln_n : NAN;
    ent_store_metric m = {0};
    m.generation = g;
    m.bandwidth = e->h;
    m.entropy = H;
    m.diversity = D;
    m.novelty = row.novelty;
    m.info_gap = NAN;
    m.n_structures = n_struct;
    m.n_environments = n_env;
    ent_store_gen_stats gs;
    if ((s = ent_store_generation_stats(e->st, g, &gs, err)) != ENT_OK)
        return s;
    m.wall_seconds = gs.wall_seconds;
    m.jobs_succeeded = m.jobs_failed = 0;
    for (int k = 0; k < ENT_STORE_N_JOB_KINDS; k++) {
        m.jobs_succeeded += (long)gs.jobs[k].succeeded;
        m.jobs_failed += (long)gs.jobs[k].failed;
    }
    char *extra = metrics_extra(&gs, ln_n, eff);
    if (!extra)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    m.extra = extra;
    int i_lab = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "labelled");
    int i_rej = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "rejected");
    int i_cand = ent_store_name_index(ent_store_status_names, ENT_STORE_N_STATUS, "candidate");
    eng_log(e,
         "generation %ld: H = %.4f nats, D = %.4f, ln n = %.4f, efficiency = %.4f, "
         "novelty of candidates = %.4f, labelled %zu, rejected %zu, unselected %zu",
         g, H, D, ln_n, eff, row.novelty, row.n_status[i_lab], row.n_status[i_rej],
         row.n_status[i_cand]);
    if ((s = eng_tx_begin(e, err)) == ENT_OK) {
        s = ent_store_metric_put(e->st, &m, err);
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "decide", err);
        s = eng_tx_end(e, s, err);
    }
    free(extra);
    if (s == ENT_OK)
        eng_crash_point(e, "metrics", g);
    return s;
}

static ent_status step_decide(eng *e, long g, int *finished, ent_error *err)
{
    ent_lua_metrics_row *rows = NULL;
    size_t n = 0;
    ent_status s = ent_lua_store_metrics(e->st, &rows, &n, err);
    if (s != ENT_OK)
        return s;
    ent_lua_metrics m = {rows, n};
    ent_lua_call call = {g, e->seed, SIZE_MAX};
    ent_lua_stop stop = {0};
    s = ent_lua_recipe_generation_end(e->rc, &call, &m, err);
    if (s == ENT_OK)
        s = ent_lua_recipe_should_stop(e->rc, &call, &m, &stop, err);
    free(rows);
    if (s != ENT_OK)
        return s;
    size_t used = 0;
    ent_store_gen_summary row;
    if ((s = summary_row(e, g, &row, &used, err)) != ENT_OK)
        return s;
    if (!stop.stop && e->c->max_generations > 0 && g >= e->c->max_generations) {
        stop.stop = 1;
        snprintf(stop.reason, sizeof stop.reason, "limits.max_generations = %ld reached",
                 e->c->max_generations);
    }
    if (!stop.stop && e->c->label_budget_total > 0 &&
        (long)used >= e->c->label_budget_total) {
        stop.stop = 1;
        snprintf(stop.reason, sizeof stop.reason, "limits.label_budget_total = %ld used",
                 e->c->label_budget_total);
    }
    if ((s = eng_tx_begin(e, err)) != ENT_OK)
        return s;
    s = ent_store_decision_insert(e->st, g, 0, stop.stop ? "stop" : "continue",
                                  stop.stop ? stop.reason : "", ent_lua_recipe_hash(e->rc),
                                  err);
    if (s == ENT_OK)
        s = ent_store_generation_set_phase(e->st, g, "done", err);
    if (s == ENT_OK)
        s = ent_store_generation_finish(e->st, g, err);
    if (s == ENT_OK && !stop.stop) {
        s = ent_store_generation_ensure(e->st, g + 1, "plan", err);
        if (s == ENT_OK)
            s = ent_store_generation_set_seed(
                e->st, g + 1, ent_lua_generation_seed(e->c->random_seed, g + 1), err);
    }
    s = eng_tx_end(e, s, err);
    if (s != ENT_OK)
        return s;
    if (stop.stop) {
        *finished = 1;
        snprintf(e->stop_reason, sizeof e->stop_reason, "%s", stop.reason);
        eng_log(e, "generation %ld: stop: %s", g, stop.reason);
    } else {
        eng_log(e, "generation %ld: continue", g);
    }
    eng_crash_point(e, "decide", g);
    return ENT_OK;
}

/* ---- the loop ---- */

static ent_status check_supported(const ent_campaign_config *c, ent_error *err)
{
    if (c->multicomponent)
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "multicomponent descriptors are not supported by the engine yet");
    if (c->bandwidth_auto)
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "bandwidth = \"auto\" is not supported by the engine yet");
    if (c->seed_selector || c->n_seed_files == 0)
        return ent_error_set(err, ENT_EUNSUPPORTED,
                             "the engine needs seed files (db: selectors are not supported "
                             "yet)");
    for (int k = 0; k < ENT_CAMPAIGN_N_JOBS; k++) {
        const ent_campaign_job *j = &c->jobs[k];
        if (!j->present)
            continue;
        if (k == ENT_CAMPAIGN_TRAIN) {
            if (strcmp(j->adapter, "extxyz") != 0)
                return ent_error_set(err, ENT_EUNSUPPORTED,
                                     "jobs.train: adapter '%s' is not supported (training "
                                     "jobs get train.xyz: adapter = \"extxyz\")",
                                     j->adapter);
            continue;
        }
        int ok = !strcmp(j->adapter, "extxyz") ||
                 (k == ENT_CAMPAIGN_EXPLORE && !strcmp(j->adapter, "mcmc"));
        if (!ok)
            return ent_error_set(err, ENT_EUNSUPPORTED,
                                 "jobs.%s: adapter '%s' is not supported yet (extxyz%s)",
                                 ent_campaign_job_names[k], j->adapter,
                                 k == ENT_CAMPAIGN_EXPLORE ? ", mcmc" : "");
    }
    if (!c->jobs[ENT_CAMPAIGN_LABEL].present)
        return ent_error_set(err, ENT_EINVAL, "the campaign has no jobs.label");
    if (!c->jobs[ENT_CAMPAIGN_EXPLORE].present)
        return ent_error_set(err, ENT_EINVAL, "the campaign has no jobs.explore");
    return ENT_OK;
}

static void recipe_log(void *ud, const char *line)
{
    eng *e = ud;
    eng_log(e, "recipe: %s", line);
}

static ent_status engine_open(eng *e, ent_error *err)
{
    const ent_campaign_config *c = e->c;
    int create = !file_exists(c->database);
    ent_store_open_opts oo = {0};
    oo.flags = ENT_STORE_WRITER | (create ? ENT_STORE_CREATE : 0);
    oo.command = "run";
    ent_status s = ent_store_open(c->database, &oo, &e->st, err);
    if (s != ENT_OK)
        return s;
    char *text = NULL;
    char hash[65];
    int found = 0;
    s = ent_store_campaign_text(e->st, &text, hash, &found, err);
    if (s != ENT_OK)
        return s;
    free(text);
    if (found && strcmp(hash, c->hash) != 0)
        return ent_error_set(err, ENT_EINVAL,
                             "%s was created from another campaign file (hash %.16s, this "
                             "file %.16s); use a new database or `entrain resume`",
                             c->database, hash, c->hash);
    s = ent_lua_campaign_recipe(c, e->o.recipes_dir, recipe_log, e, &e->rc, err);
    if (s != ENT_OK)
        return s;
    if (!found) {
        s = ent_store_campaign_put(e->st, c->name, c->text, c->hash,
                                   ent_lua_recipe_text(e->rc), ent_lua_recipe_hash(e->rc),
                                   c->params_json, err);
        if (s != ENT_OK)
            return s;
    }
    e->desc.k = c->k;
    e->desc.cutoff = c->cutoff;
    e->desc.quests_compat = 0;
    e->dp.k = c->k;
    e->dp.cutoff = c->cutoff;
    e->dp.species = "";
    e->dp.quests_compat = 0;
    e->width = ent_descriptor_width(c->k);
    e->h = c->bandwidth;
    s = ent_store_descriptor_set_ensure(e->st, &e->dp, e->width, &e->set_id, err);
    if (s != ENT_OK)
        return s;
    /* Workdirs live next to the database: DB.jobs/KIND-HASH16. */
    snprintf(e->work_root, sizeof e->work_root, "%s.jobs", c->database);
    return ent_engine_stop_file(c->database, e->stop_file, sizeof e->stop_file, err);
}

ent_status ent_engine_run(const ent_campaign_config *c, const ent_engine_opts *opts,
                          ent_engine_result *res, ent_error *err)
{
    if (!c || !res)
        return ent_error_set(err, ENT_EINVAL, "engine: NULL argument");
    memset(res, 0, sizeof *res);
    ent_status s = check_supported(c, err);
    if (s != ENT_OK)
        return s;
    eng e;
    memset(&e, 0, sizeof e);
    e.c = c;
    if (opts)
        e.o = *opts;
    else {
        e.o.min_distance = -1;
        e.o.max_failed_fraction = -1;
    }
    /* Command-line values win over the campaign file's, which win over the defaults. */
    e.min_distance = e.o.min_distance >= 0   ? e.o.min_distance
                     : c->min_distance >= 0 ? c->min_distance
                                            : 0.5;
    e.max_failed = e.o.max_failed_fraction >= 0  ? e.o.max_failed_fraction
                   : c->max_failed_fraction >= 0 ? c->max_failed_fraction
                                                 : 0.25;
    e.max_force = c->max_force > 0 ? c->max_force : 0;
    e.energy_outlier = c->energy_outlier > 0 ? c->energy_outlier : 0;
    e.started = time(NULL);
    const char *crash = getenv("ENTRAIN_TEST_CRASH_AT");
    snprintf(e.crash_at, sizeof e.crash_at, "%s", crash ? crash : "");
    const char *cg = getenv("ENTRAIN_TEST_CRASH_GEN");
    e.crash_gen = cg && *cg ? strtol(cg, NULL, 10) : -1;

    s = engine_open(&e, err);
    int finished = 0, stopped = 0;
    long g = 0;
    while (s == ENT_OK && !finished && !stopped) {
        if (file_exists(e.stop_file)) {
            unlink(e.stop_file);
            stopped = 1;
            snprintf(e.stop_reason, sizeof e.stop_reason, "stop requested (%.400s)",
                     e.stop_file);
            eng_log(&e, "stopping: %s", e.stop_reason);
            break;
        }
        ent_store_writer_heartbeat(e.st, NULL);
        int found = 0, has_seed = 0;
        char phase[24] = "";
        if ((s = ent_store_generation_last(e.st, &g, &found, err)) != ENT_OK)
            break;
        if (found)
            s = ent_store_generation_get(e.st, g, phase, &e.seed, &has_seed, &found, err);
        if (s != ENT_OK)
            break;
        if (!found || g == 0) {
            s = step_seed(&e, err);
            continue;
        }
        if (!has_seed)
            e.seed = ent_lua_generation_seed(c->random_seed, g);
        if (!strcmp(phase, "done")) {
            finished = 1;
            if (!e.stop_reason[0])
                snprintf(e.stop_reason, sizeof e.stop_reason,
                         "the campaign had already finished");
        } else if (!strcmp(phase, "plan"))
            s = eng_advance(&e, g, "plan", "explore", err);
        else if (!strcmp(phase, "explore"))
            s = eng_step_explore(&e, g, err);
        else if (!strcmp(phase, "ingest"))
            s = eng_step_ingest(&e, g, err);
        else if (!strcmp(phase, "score"))
            s = eng_step_score(&e, g, err);
        else if (!strcmp(phase, "select"))
            s = eng_step_select(&e, g, err);
        else if (!strcmp(phase, "label"))
            s = eng_step_label(&e, g, err);
        else if (!strcmp(phase, "ingest_labels"))
            s = eng_step_ingest_labels(&e, g, err);
        else if (!strcmp(phase, "compress"))
            s = eng_step_compress(&e, g, err);
        else if (!strcmp(phase, "train"))
            s = eng_step_train(&e, g, err);
        else if (!strcmp(phase, "metrics"))
            s = step_metrics(&e, g, err);
        else if (!strcmp(phase, "decide"))
            s = step_decide(&e, g, &finished, err);
        else
            s = ent_error_set(err, ENT_EINVAL, "generation %ld: unknown phase '%s'", g, phase);
        if (s != ENT_OK && phase[0] && err) {
            ent_error inner = *err;
            ent_error_set(err, inner.code, "generation %ld, phase %s: %s", g, phase,
                          inner.msg);
        }
    }
    if (s == ENT_OK) {
        res->outcome = stopped ? ENT_ENGINE_STOPPED : ENT_ENGINE_FINISHED;
        res->generation = g;
        snprintf(res->reason, sizeof res->reason, "%s", e.stop_reason);
    }
    ent_lua_recipe_destroy(e.rc);
    ent_store_close(e.st);
    return s;
}
