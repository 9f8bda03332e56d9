/* The engine's steps that run programs or recipe hooks: explore (jobs, or the built-in
 * mcmc explorer), ingest (candidate frames + descriptors), score (dH against everything
 * labelled), select (recipe), label (jobs), ingest_labels (validated). Job specs are
 * rebuilt from the database on every call; the job layer finds a job it already knows by
 * its content hash, so a step repeated after a crash never starts a program twice. */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/engine_outliers.h"
#include "engine/job.h"
#include "info/kernel.h"
#include "info/mcmc.h"
#include "io/reader.h"
#include "lua/lua_store.h"

/* ---- job specs ---- */

typedef struct jspec {
    ent_job_spec spec;
    const char **argv;
    char **env;
    size_t n_env;
    char *exe;
    ent_job_input inputs[2];
    char *xyz;
    size_t xyz_len;
    char *task;
    int64_t structure_id; /* label jobs */
    int64_t job_id;
} jspec;

static void jspec_clear(jspec *j)
{
    free(j->argv);
    for (size_t i = 0; i < j->n_env; i++)
        free(j->env[i]);
    free(j->env);
    free(j->exe);
    free(j->xyz);
    free(j->task);
    memset(j, 0, sizeof *j);
}

static void jspecs_free(jspec *js, size_t n)
{
    for (size_t i = 0; js && i < n; i++)
        jspec_clear(&js[i]);
    free(js);
}

/* argv (argv[0] made absolute: jobs run in their own workdir), environment additions from
 * options env.NAME, timeout and retries of the campaign's job kind. */
static ent_status jspec_base(eng *e, int kind, long g, jspec *j, ent_error *err)
{
    const ent_campaign_job *cj = &e->c->jobs[kind];
    j->argv = calloc(cj->argc + 1, sizeof *j->argv);
    j->env = calloc(cj->n_options + 1, sizeof *j->env);
    if (!j->argv || !j->env)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    const char *a0 = cj->argc == 0 ? NULL : cj->executable ? cj->executable : cj->argv[0];
    if (a0 && strchr(a0, '/')) {
        j->exe = realpath(a0, NULL);
        if (!j->exe)
            return ent_error_set(err, ENT_EIO, "jobs.%s: executable not found: %s",
                                 ent_campaign_job_names[kind], a0);
        a0 = j->exe;
    }
    j->argv[0] = a0; /* NULL for the http backend: it runs no program */
    for (size_t i = 1; i < cj->argc; i++)
        j->argv[i] = cj->argv[i];
    for (size_t i = 0; i < cj->n_options; i++) {
        const ent_campaign_option *op = &cj->options[i];
        if (strncmp(op->key, "env.", 4) != 0)
            continue;
        if (asprintf(&j->env[j->n_env], "%s=%s", op->key + 4, op->value) < 0) {
            j->env[j->n_env] = NULL;
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        }
        j->n_env++;
    }
    j->spec.kind = ent_campaign_job_names[kind];
    j->spec.generation = g;
    j->spec.argv = j->argv;
    j->spec.argc = cj->argc;
    j->spec.env = (const char *const *)j->env;
    j->spec.n_env = j->n_env;
    j->spec.timeout = cj->timeout;
    j->spec.max_attempts = cj->retries + 1;
    j->spec.inputs = j->inputs;
    return ENT_OK;
}

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(fp, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(fp, "\\u%04x", ch);
        else
            fputc(ch, fp);
    }
    fputc('"', fp);
}

/* task.json of an explore job: {"generation":G,"index":I,"kind":K,"seed":S,"params":{...}}
 * where seed is the task's own `seed` parameter if it has one, else derived from the
 * generation's seed and the task index. */
static ent_status task_json(const ent_lua_task *t, long g, size_t index, uint64_t gseed,
                            char **out, ent_error *err)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buf, &size);
    if (!fp)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    const ent_lua_param *sp = ent_lua_task_param(t, "seed");
    unsigned long long seed =
        sp && sp->type == 'i' ? (unsigned long long)sp->number
                              : (unsigned long long)((gseed + index) % 2147483647ULL);
    fprintf(fp, "{\"generation\": %ld, \"index\": %zu, \"kind\": ", g, index);
    json_str(fp, t->kind);
    fprintf(fp, ", \"seed\": %llu, \"params\": {", seed);
    for (size_t i = 0; i < t->n_params; i++) {
        const ent_lua_param *p = &t->params[i];
        fprintf(fp, "%s", i ? ", " : "");
        json_str(fp, p->key);
        fputs(": ", fp);
        if (p->type == 's')
            json_str(fp, p->text);
        else if (p->type == 'b')
            fputs(p->number != 0 ? "true" : "false", fp);
        else if (isfinite(p->number))
            fputs(p->text, fp);
        else
            fputs("null", fp);
    }
    fputs("}}\n", fp);
    fclose(fp);
    *out = buf;
    return ENT_OK;
}

static void free_frames(ent_frame **f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        ent_frame_destroy(f[i]);
    free(f);
}

/* Where exploration starts in generation g: the structures labelled in the latest earlier
 * generation that has any (the seeds for generation 1). */
static ent_status explore_start(eng *e, long g, ent_frame ***frames, size_t *n,
                                ent_error *err)
{
    *frames = NULL;
    *n = 0;
    int64_t *ids = NULL;
    size_t n_ids = 0;
    ent_status s = ENT_OK;
    for (long k = g - 1; k >= 0 && s == ENT_OK; k--) {
        ent_store_filter f = {0};
        f.generation = k;
        f.has_generation = 1;
        f.status = "labelled";
        s = ent_store_structure_ids(e->st, &f, &ids, &n_ids, err);
        if (s == ENT_OK && n_ids > 0)
            break;
        free(ids);
        ids = NULL;
    }
    if (s != ENT_OK || n_ids == 0) {
        free(ids);
        return s != ENT_OK ? s
                           : ent_error_set(err, ENT_EINVAL,
                                           "generation %ld: no labelled structure to start "
                                           "exploring from",
                                           g);
    }
    ent_frame **fr = calloc(n_ids, sizeof *fr);
    if (!fr) {
        free(ids);
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_ids && s == ENT_OK; i++)
        s = ent_store_structure_get(e->st, ids[i], &fr[i], NULL, err);
    free(ids);
    if (s != ENT_OK) {
        free_frames(fr, n_ids);
        return s;
    }
    *frames = fr;
    *n = n_ids;
    return ENT_OK;
}

static ent_status explore_tasks(eng *e, long g, ent_lua_tasks *tasks, ent_error *err)
{
    ent_lua_call call = {g, e->seed, SIZE_MAX};
    return ent_lua_recipe_plan(e->rc, &call, tasks, err);
}

static ent_status explore_specs(eng *e, long g, jspec **out, size_t *n_out, ent_error *err)
{
    ent_lua_tasks tasks = {0};
    ent_frame **start = NULL;
    size_t n_start = 0;
    jspec *js = NULL;
    ent_status s = explore_tasks(e, g, &tasks, err);
    if (s == ENT_OK)
        s = explore_start(e, g, &start, &n_start, err);
    if (s == ENT_OK && tasks.n > 0 && !(js = calloc(tasks.n, sizeof *js)))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    char *xyz = NULL;
    size_t xyz_len = 0;
    if (s == ENT_OK)
        s = ent_engine_xyz_text(start, n_start, &xyz, &xyz_len, err);
    for (size_t i = 0; s == ENT_OK && i < tasks.n; i++) {
        jspec *j = &js[i];
        s = jspec_base(e, ENT_CAMPAIGN_EXPLORE, g, j, err);
        if (s == ENT_OK)
            s = task_json(&tasks.items[i], g, i, e->seed, &j->task, err);
        if (s == ENT_OK && !(j->xyz = malloc(xyz_len + 1)))
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        if (s == ENT_OK) {
            memcpy(j->xyz, xyz, xyz_len);
            j->xyz_len = xyz_len;
            j->inputs[0] = (ent_job_input){"input.xyz", j->xyz, xyz_len};
            j->inputs[1] = (ent_job_input){"task.json", j->task, strlen(j->task)};
            j->spec.n_inputs = 2;
        }
    }
    free(xyz);
    free_frames(start, n_start);
    size_t n = tasks.n;
    ent_lua_tasks_clear(&tasks);
    if (s != ENT_OK) {
        jspecs_free(js, n);
        return s;
    }
    *out = js;
    *n_out = n;
    return ENT_OK;
}

/* Selected structures of generation g, one label job each. */
static ent_status label_specs(eng *e, long g, jspec **out, size_t *n_out, ent_error *err)
{
    ent_store_filter f = {0};
    f.generation = g;
    f.has_generation = 1;
    f.status = "selected";
    int64_t *ids = NULL;
    size_t n = 0;
    ent_status s = ent_store_structure_ids(e->st, &f, &ids, &n, err);
    if (s != ENT_OK)
        return s;
    jspec *js = n ? calloc(n, sizeof *js) : NULL;
    if (n && !js)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        jspec *j = &js[i];
        ent_frame *fr = NULL;
        s = jspec_base(e, ENT_CAMPAIGN_LABEL, g, j, err);
        if (s == ENT_OK)
            s = ent_store_structure_get(e->st, ids[i], &fr, NULL, err);
        if (s == ENT_OK)
            s = ent_engine_xyz_text(&fr, 1, &j->xyz, &j->xyz_len, err);
        ent_frame_destroy(fr);
        if (s == ENT_OK) {
            j->structure_id = ids[i];
            j->inputs[0] = (ent_job_input){"input.xyz", j->xyz, j->xyz_len};
            j->spec.n_inputs = 1;
        }
    }
    free(ids);
    if (s != ENT_OK) {
        jspecs_free(js, n);
        return s;
    }
    *out = js;
    *n_out = n;
    return ENT_OK;
}

/* Submit every spec (a known hash is taken over, not restarted) and, when wait, run them
 * to the end. Test crash points: KIND_running (kill the engine while jobs run),
 * job_before_start / job_after_start (the job layer's own). */
static ent_status run_jobs(eng *e, int kind, long g, jspec *js, size_t n, int wait,
                           ent_error *err)
{
    const ent_campaign_job *cj = &e->c->jobs[kind];
    ent_backend_option *bo = cj->n_options ? calloc(cj->n_options, sizeof *bo) : NULL;
    if (cj->n_options && !bo)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; i < cj->n_options; i++)
        bo[i] = (ent_backend_option){cj->options[i].key, cj->options[i].value};
    ent_jobs_opts jo = {0};
    jo.work_root = e->work_root;
    jo.parallel = cj->parallel;
    jo.backend = cj->backend;
    jo.backend_opts = bo;
    jo.n_backend_opts = cj->n_options;
    int layer_crash = 0;
    if (!strcmp(e->crash_at, "job_before_start"))
        layer_crash = ENT_JOBS_CRASH_BEFORE_START;
    else if (!strcmp(e->crash_at, "job_after_start"))
        layer_crash = ENT_JOBS_CRASH_AFTER_START;
    if (layer_crash && (e->crash_gen < 0 || e->crash_gen == g) &&
        kind == ENT_CAMPAIGN_LABEL)
        jo.crash_point = layer_crash;
    ent_jobs *r = NULL;
    ent_status s = ent_jobs_create(e->st, &jo, &r, err);
    for (size_t i = 0; s == ENT_OK && i < n; i++)
        s = ent_jobs_submit(r, &js[i].spec, &js[i].job_id, err);
    if (s == ENT_OK && wait) {
        char point[32];
        snprintf(point, sizeof point, "%s_running", ent_campaign_job_names[kind]);
        if (!strcmp(e->crash_at, point)) {
            size_t pending = 0;
            s = ent_jobs_poll(r, &pending, err);
            usleep(200000);
            if (s == ENT_OK)
                eng_crash_point(e, point, g);
        }
        size_t pending = 0;
        if (s == ENT_OK)
            s = ent_jobs_wait(r, 0, &pending, err);
        if (s != ENT_OK && jo.crash_point) {
            eng_log(e, "test: simulated crash in the job layer: %s", err ? err->msg : "");
            _exit(137);
        }
    }
    ent_jobs_destroy(r);
    free(bo);
    return s;
}

/* ---- explore / ingest ---- */

static int explore_is_mcmc(const eng *e)
{
    return !strcmp(e->c->jobs[ENT_CAMPAIGN_EXPLORE].adapter, "mcmc");
}

ent_status eng_step_explore(eng *e, long g, ent_error *err)
{
    if (!explore_is_mcmc(e)) {
        jspec *js = NULL;
        size_t n = 0;
        ent_status s = explore_specs(e, g, &js, &n, err);
        if (s == ENT_OK)
            s = run_jobs(e, ENT_CAMPAIGN_EXPLORE, g, js, n, 1, err);
        jspecs_free(js, n);
        if (s != ENT_OK)
            return s;
        eng_log(e, "generation %ld: %zu explore job(s) finished", g, n);
    }
    return eng_advance(e, g, "explore", "ingest", err);
}

typedef struct grow {
    int64_t *ids, *jobs;
    size_t n, cap;
} grow;

static ent_status grow_add(grow *gr, int64_t id, int64_t job, ent_error *err)
{
    if (gr->n == gr->cap) {
        size_t cap = gr->cap ? 2 * gr->cap : 64;
        int64_t *a = realloc(gr->ids, cap * sizeof *a);
        if (!a)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        gr->ids = a;
        int64_t *b = realloc(gr->jobs, cap * sizeof *b);
        if (!b)
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        gr->jobs = b;
        gr->cap = cap;
    }
    gr->ids[gr->n] = id;
    gr->jobs[gr->n] = job;
    gr->n++;
    return ENT_OK;
}

/* Add one candidate frame (descriptors computed here) to the import. A frame whose
 * geometry the descriptors refuse is skipped with a log line. */
static ent_status add_candidate(eng *e, ent_store_import *im, const ent_frame *f,
                                const char *source, long index, int64_t job, grow *gr,
                                size_t *skipped, ent_error *err)
{
    double *x = malloc(f->n_atoms * e->width * sizeof *x + 1);
    if (!x)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    ent_error derr = {0};
    ent_status s = ent_descriptors(f->positions, f->n_atoms, f->cell, f->pbc, &e->desc, x,
                                   &derr);
    if (s == ENT_EGEOMETRY || s == ENT_EINVAL) {
        eng_log(e, "%s: frame %ld skipped: %s", source, index, derr.msg);
        (*skipped)++;
        free(x);
        return ENT_OK;
    }
    if (s != ENT_OK) {
        free(x);
        if (err)
            *err = derr;
        return s;
    }
    int64_t id = 0;
    int dup = 0;
    s = ent_store_import_add(im, f, source, index, x, NULL, &id, &dup, err);
    free(x);
    if (s == ENT_OK && !dup)
        s = grow_add(gr, id, job, err);
    return s;
}

typedef struct mcmc_ctx {
    eng *e;
    ent_store_import *im;
    ent_frame *frame; /* positions/cell updated from the chain's state */
    size_t every;
    grow *gr;
    size_t *skipped;
    char source[64];
    ent_status s;
    ent_error *err;
} mcmc_ctx;

static int mcmc_cb(void *ud, const ent_mcmc_state *st)
{
    mcmc_ctx *m = ud;
    if (st->step == 0 || st->step % m->every != 0)
        return 0;
    memcpy(m->frame->positions, st->positions, 3 * m->frame->n_atoms * sizeof(double));
    memcpy(m->frame->cell, st->cell, sizeof m->frame->cell);
    m->s = add_candidate(m->e, m->im, m->frame, m->source, (long)st->step, 0, m->gr,
                         m->skipped, m->err);
    return m->s != ENT_OK;
}

static double task_num(const ent_lua_task *t, const char *key, double dflt)
{
    const ent_lua_param *p = ent_lua_task_param(t, key);
    return p && (p->type == 'n' || p->type == 'i') ? p->number : dflt;
}

/* The built-in explorer: one dH-targeted Monte Carlo chain per planned task from the first
 * starting structure, against every labelled environment; a candidate every `every`
 * steps. Task parameters: steps (200), every (20), target (1.0), step_size (0.05),
 * seed (from the generation's). */
static ent_status explore_mcmc(eng *e, long g, ent_store_import *im, grow *gr,
                               size_t *skipped, ent_error *err)
{
    ent_lua_tasks tasks = {0};
    ent_frame **start = NULL;
    size_t n_start = 0;
    ent_lua_store_set ds = {0};
    ent_status s = explore_tasks(e, g, &tasks, err);
    if (s == ENT_OK)
        s = explore_start(e, g, &start, &n_start, err);
    if (s == ENT_OK)
        s = ent_lua_store_dataset(e->st, &e->dp, e->h, &ds, err);
    for (size_t i = 0; s == ENT_OK && i < tasks.n; i++) {
        const ent_lua_task *t = &tasks.items[i];
        ent_mcmc_params p;
        ent_mcmc_params_default(&p);
        p.steps = (size_t)task_num(t, "steps", 200);
        p.target = task_num(t, "target", 1.0);
        p.step_size = task_num(t, "step_size", 0.05);
        p.min_distance = e->min_distance;
        p.h = e->h;
        p.desc = e->desc;
        p.seed = (uint64_t)task_num(t, "seed", (double)((e->seed + i) % 2147483647ULL));
        mcmc_ctx m = {0};
        m.e = e;
        m.im = im;
        m.frame = ent_frame_copy(start[i % n_start]);
        m.every = (size_t)task_num(t, "every", 20);
        if (m.every < 1)
            m.every = 1;
        m.gr = gr;
        m.skipped = skipped;
        m.err = err;
        snprintf(m.source, sizeof m.source, "mcmc:%ld:%zu", g, i);
        if (!m.frame) {
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
            break;
        }
        double *pos = malloc(3 * m.frame->n_atoms * sizeof *pos);
        double cell[9];
        memcpy(cell, m.frame->cell, sizeof cell);
        if (!pos)
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        else {
            memcpy(pos, m.frame->positions, 3 * m.frame->n_atoms * sizeof *pos);
            size_t n_ref = ds.set.offsets ? ds.set.offsets[ds.set.n] : 0;
            s = ent_mcmc_run(&p, pos, m.frame->n_atoms, cell, m.frame->pbc, ds.set.x, n_ref,
                             e->width, mcmc_cb, &m, err);
            if (s == ENT_OK)
                s = m.s;
        }
        free(pos);
        ent_frame_destroy(m.frame);
    }
    ent_lua_store_set_clear(&ds);
    free_frames(start, n_start);
    ent_lua_tasks_clear(&tasks);
    return s;
}

ent_status eng_step_ingest(eng *e, long g, ent_error *err)
{
    char files[64];
    snprintf(files, sizeof files, "explore output, generation %ld", g);
    ent_store_import_params ip = {0};
    ip.files = files;
    ip.generation = g;
    ip.tag = "explore";
    ip.status = "candidate";
    ip.descriptor_set = e->set_id;
    ent_store_import *im = NULL;
    grow gr = {0};
    size_t skipped = 0, n_jobs = 0, n_failed = 0;
    jspec *js = NULL;
    ent_status s = ent_store_import_begin(e->st, &ip, &im, err);
    char first_fail[600] = "";
    if (s == ENT_OK && explore_is_mcmc(e)) {
        s = explore_mcmc(e, g, im, &gr, &skipped, err);
    } else if (s == ENT_OK) {
        s = explore_specs(e, g, &js, &n_jobs, err);
        if (s == ENT_OK)
            s = run_jobs(e, ENT_CAMPAIGN_EXPLORE, g, js, n_jobs, 0, err);
        ent_jobs_opts jo = {0};
        jo.work_root = e->work_root;
        ent_jobs *r = NULL;
        if (s == ENT_OK)
            s = ent_jobs_create(e->st, &jo, &r, err);
        for (size_t i = 0; s == ENT_OK && i < n_jobs; i++) {
            ent_job_result res;
            s = ent_jobs_result(r, js[i].job_id, &res, err);
            if (s != ENT_OK)
                break;
            if (strcmp(res.state, "succeeded") != 0) {
                n_failed++;
                if (!first_fail[0])
                    snprintf(first_fail, sizeof first_fail, "job %lld %s: %s",
                             (long long)res.id, res.state, res.error);
                continue;
            }
            char path[1200];
            snprintf(path, sizeof path, "%s/output.xyz", res.workdir);
            ent_reader *rd = NULL;
            ent_error rerr = {0};
            if (ent_reader_open(path, NULL, &rd, &rerr) != ENT_OK) {
                n_failed++;
                if (!first_fail[0])
                    snprintf(first_fail, sizeof first_fail, "job %lld: %s", (long long)res.id,
                             rerr.msg);
                continue;
            }
            for (;;) {
                ent_frame *f = NULL;
                ent_status rs = ent_reader_next(rd, &f, &rerr);
                if (rs == ENT_EEOF)
                    break;
                if (rs != ENT_OK) {
                    eng_log(e, "%s: %s (rest of the file ignored)", path, rerr.msg);
                    break;
                }
                s = add_candidate(e, im, f, path, (long)ent_reader_frame_index(rd),
                                  res.id, &gr, &skipped, err);
                ent_frame_destroy(f);
                if (s != ENT_OK)
                    break;
            }
            ent_reader_close(rd);
        }
        ent_jobs_destroy(r);
        if (s == ENT_OK && n_jobs > 0 && n_failed == n_jobs)
            s = ent_error_set(err, ENT_EIO, "every explore job failed; first: %s",
                              first_fail);
    }
    jspecs_free(js, n_jobs);
    if (s == ENT_OK)
        s = ent_store_import_commit(im, NULL, err);
    ent_store_import_destroy(im);
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t i = 0; s == ENT_OK && i < gr.n; i++)
            s = ent_store_structure_set_origin(e->st, gr.ids[i], g, "explored", gr.jobs[i],
                                               err);
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "score", err);
        s = eng_tx_end(e, s, err);
    }
    free(gr.ids);
    free(gr.jobs);
    if (s != ENT_OK)
        return s;
    eng_log(e, "generation %ld: %zu new candidate(s), %zu frame(s) skipped, %zu failed explore "
               "job(s)",
            g, gr.n, skipped, n_failed);
    eng_crash_point(e, "ingest", g);
    return ENT_OK;
}

/* ---- score / select ---- */

ent_status eng_step_score(eng *e, long g, ent_error *err)
{
    ent_lua_store_set cs = {0};
    ent_status s = ent_lua_store_candidates(e->st, g, &e->dp, e->h, 0.0, &cs, err);
    if (s != ENT_OK)
        return s;
    size_t n_env = cs.set.offsets ? cs.set.offsets[cs.set.n] : 0, n_novel = 0;
    for (size_t i = 0; cs.set.dh && i < n_env; i++)
        n_novel += cs.set.dh[i] > 0.0;
    double novelty = n_env ? (double)n_novel / (double)n_env : NAN;
    ent_store_filter lf = {0};
    lf.status = "labelled";
    int64_t *lab = NULL;
    size_t n_lab = 0;
    s = ent_store_structure_ids(e->st, &lf, &lab, &n_lab, err);
    free(lab);
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t i = 0; s == ENT_OK && i < cs.set.n; i++) {
            const ent_lua_item *it = &cs.set.items[i];
            ent_store_score sc = {.structure_id = it->id,
                                  .generation = g,
                                  .descriptor_set = cs.set_id,
                                  .bandwidth = e->h,
                                  .threshold = 0.0,
                                  .dh_min = it->dh_min,
                                  .dh_mean = it->dh_mean,
                                  .dh_max = it->dh_max,
                                  .frac_novel = it->frac_novel,
                                  .n_inf = it->n_inf,
                                  .reference_envs = cs.set.n_ref,
                                  .reference_structures = n_lab};
            s = ent_store_score_insert(e->st, &sc, err);
        }
        /* The candidates' novelty now, against everything labelled before this
         * generation's labels; the metrics step completes the row. */
        ent_store_metric m = {0};
        m.generation = g;
        m.bandwidth = e->h;
        m.entropy = m.diversity = m.info_gap = NAN;
        m.novelty = novelty;
        m.wall_seconds = NAN;
        if (s == ENT_OK)
            s = ent_store_metric_put(e->st, &m, err);
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "select", err);
        s = eng_tx_end(e, s, err);
    }
    ent_lua_store_set_clear(&cs);
    if (s != ENT_OK)
        return s;
    eng_log(e, "generation %ld: scored %zu environment(s), novelty %.4f", g, n_env, novelty);
    eng_crash_point(e, "score", g);
    return ENT_OK;
}

ent_status eng_step_select(eng *e, long g, ent_error *err)
{
    ent_store_gen_summary *rows = NULL;
    size_t n_rows = 0, running = 0, used = 0;
    ent_status s = ent_store_summary(e->st, &rows, &n_rows, &running, err);
    if (s != ENT_OK)
        return s;
    for (size_t i = 0; i < n_rows; i++)
        if (rows[i].generation >= 1)
            for (int k = 0; k < ENT_STORE_N_STATUS; k++)
                if (!strcmp(ent_store_status_names[k], "selected") ||
                    !strcmp(ent_store_status_names[k], "labelled") ||
                    !strcmp(ent_store_status_names[k], "rejected"))
                    used += rows[i].n_status[k];
    free(rows);
    size_t budget = SIZE_MAX;
    if (e->c->label_budget_per_generation > 0)
        budget = (size_t)e->c->label_budget_per_generation;
    if (e->c->label_budget_total > 0) {
        size_t left = (long)used >= e->c->label_budget_total
                          ? 0
                          : (size_t)(e->c->label_budget_total - (long)used);
        if (left < budget)
            budget = left;
    }
    ent_lua_store_set cs = {0};
    s = ent_lua_store_candidates(e->st, g, &e->dp, e->h, 0.0, &cs, err);
    if (s != ENT_OK)
        return s;
    ent_lua_decisions d = {0};
    ent_lua_call call = {g, e->seed, budget};
    if (cs.set.n > 0 && budget > 0)
        s = ent_lua_recipe_select(e->rc, &call, &cs.set, &d, err);
    ent_lua_store_set_clear(&cs);
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t i = 0; s == ENT_OK && i < d.n; i++) {
            s = ent_store_decision_insert(e->st, g, d.items[i].id, "select",
                                          d.items[i].reason, ent_lua_recipe_hash(e->rc), err);
            if (s == ENT_OK)
                s = ent_store_structure_set_status(e->st, d.items[i].id, "selected",
                                                   d.items[i].reason, err);
        }
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "label", err);
        s = eng_tx_end(e, s, err);
    }
    size_t n_sel = d.n;
    ent_lua_decisions_clear(&d);
    if (s != ENT_OK)
        return s;
    eng_log(e, "generation %ld: selected %zu structure(s) for labelling (budget %s)", g,
            n_sel, budget == SIZE_MAX ? "none" : "set");
    eng_crash_point(e, "select", g);
    return ENT_OK;
}

/* ---- label / ingest_labels ---- */

ent_status eng_step_label(eng *e, long g, ent_error *err)
{
    jspec *js = NULL;
    size_t n = 0;
    ent_status s = label_specs(e, g, &js, &n, err);
    if (s == ENT_OK)
        s = run_jobs(e, ENT_CAMPAIGN_LABEL, g, js, n, 1, err);
    jspecs_free(js, n);
    if (s != ENT_OK)
        return s;
    eng_log(e, "generation %ld: %zu label job(s) finished", g, n);
    return eng_advance(e, g, "label", "ingest_labels", err);
}

ent_status eng_step_ingest_labels(eng *e, long g, ent_error *err)
{
    jspec *js = NULL;
    size_t n = 0;
    ent_status s = label_specs(e, g, &js, &n, err);
    if (s == ENT_OK)
        s = run_jobs(e, ENT_CAMPAIGN_LABEL, g, js, n, 0, err);
    ent_jobs *r = NULL;
    ent_jobs_opts jo = {0};
    jo.work_root = e->work_root;
    if (s == ENT_OK)
        s = ent_jobs_create(e->st, &jo, &r, err);
    /* Read and check everything first, then write it all in one transaction. */
    typedef struct verdict {
        int job_failed;
        int has_label;
        double energy;
        double *forces;
        char reason[512];
    } verdict;
    verdict *v = n ? calloc(n, sizeof *v) : NULL;
    if (s == ENT_OK && n && !v)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    size_t n_failed = 0, n_rejected = 0;
    char first_fail[600] = "";
    eng_energy_ref *eref = NULL; /* accepted labels so far, for validation.energy_outlier */
    if (s == ENT_OK && e->energy_outlier > 0)
        s = eng_energy_ref_load(e->st, &eref, err);
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        ent_job_result res;
        if ((s = ent_jobs_result(r, js[i].job_id, &res, err)) != ENT_OK)
            break;
        if (strcmp(res.state, "succeeded") != 0) {
            v[i].job_failed = 1;
            if (res.has_exit_code)
                snprintf(v[i].reason, sizeof v[i].reason, "label job %s (exit %d): %.300s",
                         res.state, res.exit_code, res.error);
            else
                snprintf(v[i].reason, sizeof v[i].reason, "label job %s: %.300s", res.state,
                         res.error);
            n_failed++;
            if (!first_fail[0])
                snprintf(first_fail, sizeof first_fail, "structure %lld: %s",
                         (long long)js[i].structure_id, v[i].reason);
            continue;
        }
        ent_frame *f = NULL, *out = NULL;
        if ((s = ent_store_structure_get(e->st, js[i].structure_id, &f, NULL, err)) != ENT_OK)
            break;
        char path[1200];
        snprintf(path, sizeof path, "%s/output.xyz", res.workdir);
        ent_reader *rd = NULL;
        ent_error rerr = {0};
        ent_status rs = ent_reader_open(path, NULL, &rd, &rerr);
        if (rs == ENT_OK)
            rs = ent_reader_next(rd, &out, &rerr);
        ent_reader_close(rd);
        if (rs != ENT_OK) {
            snprintf(v[i].reason, sizeof v[i].reason, "unreadable label output: %.400s",
                     rs == ENT_EEOF ? "output.xyz is empty" : rerr.msg);
        } else if (!(v[i].forces = malloc(3 * f->n_atoms * sizeof(double) + 1))) {
            s = ent_error_set(err, ENT_ENOMEM, "out of memory");
        } else {
            ent_engine_label_check(f, out, e->min_distance, &v[i].energy, v[i].forces,
                                   v[i].reason, sizeof v[i].reason);
            eng_label_extra_check(eref, e->energy_outlier, e->max_force, f, v[i].energy,
                                  v[i].forces, v[i].reason, sizeof v[i].reason);
            v[i].has_label = 1; /* stored even when rejected: the reason is its validation */
        }
        if (v[i].reason[0])
            n_rejected++;
        ent_frame_destroy(f);
        ent_frame_destroy(out);
    }
    eng_energy_ref_free(eref);
    ent_jobs_destroy(r);
    if (s == ENT_OK && n > 0 && (double)n_failed / (double)n > e->max_failed)
        s = ent_error_set(err, ENT_EIO,
                          "%zu of %zu label jobs failed (more than %.0f%% tolerated; raise "
                          "limits.max_failed_fraction or resume with a larger "
                          "--max-failed-fraction to accept): first: %s",
                          n_failed, n, 100 * e->max_failed, first_fail);
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t i = 0; s == ENT_OK && i < n; i++) {
            int ok = !v[i].reason[0];
            if (v[i].has_label) {
                ent_store_label lb = {0};
                lb.has_energy = isfinite(v[i].energy);
                lb.energy = v[i].energy;
                lb.forces = ok ? v[i].forces : NULL;
                lb.job_id = js[i].job_id;
                lb.validation = ok ? "ok" : v[i].reason;
                s = ent_store_label_insert(e->st, js[i].structure_id, &lb, NULL, err);
            }
            if (s == ENT_OK)
                s = ent_store_structure_set_status(e->st, js[i].structure_id,
                                                   ok ? "labelled" : "rejected",
                                                   ok ? NULL : v[i].reason, err);
        }
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "compress", err);
        s = eng_tx_end(e, s, err);
    }
    for (size_t i = 0; v && i < n; i++)
        free(v[i].forces);
    free(v);
    jspecs_free(js, n);
    if (s != ENT_OK)
        return s;
    eng_log(e, "generation %ld: %zu label(s) accepted, %zu rejected (%zu failed job(s))", g,
            n - n_rejected - n_failed, n_rejected, n_failed);
    eng_crash_point(e, "ingest_labels", g);
    return ENT_OK;
}
