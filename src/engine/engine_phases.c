/* The optional phases between ingest_labels and metrics:
 *
 * compress: when the recipe defines a compress hook, it sees the labelled data set (with
 *   descriptors) and names structures to drop; they get status 'dropped' with a 'drop'
 *   decision whose reason is the recipe's, followed by the effect on the whole data set
 *   ("H 2.31 -> 2.29 nats, 40 -> 38 structures") so an audit shows what compression cost.
 * train: when the campaign has jobs.train, one training job per generation gets every
 *   accepted label as train.xyz (extended XYZ: info energy in eV, column forces in eV/A)
 *   and task.json ({"generation": G, "n_structures": N}); the structures are recorded as
 *   that generation's training set. The engine's selection is model-free, so a failed
 *   training job is recorded and logged but does not stop the campaign (its content hash
 *   keeps it from being run again on resume). */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "engine/job.h"
#include "info/kernel.h"
#include "lua/lua_store.h"

/* ---- compress ---- */

/* H of the data set's environments, without the structures flagged in drop (NULL = all). */
static ent_status set_entropy(eng *e, const ent_lua_set *s, const unsigned char *drop,
                              double *H, size_t *n_kept, ent_error *err)
{
    size_t n_env = s->offsets ? s->offsets[s->n] : 0, kept_env = 0;
    double *x = malloc((n_env ? n_env : 1) * s->d * sizeof *x);
    if (!x)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    *n_kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (drop && drop[i])
            continue;
        size_t rows = s->offsets[i + 1] - s->offsets[i];
        memcpy(x + kept_env * s->d, s->x + s->offsets[i] * s->d, rows * s->d * sizeof *x);
        kept_env += rows;
        (*n_kept)++;
    }
    *H = NAN;
    ent_status st = ENT_OK;
    if (kept_env > 0)
        st = ent_entropy(x, kept_env, s->d, &e->h, 1, H, NULL, NULL, err);
    free(x);
    return st;
}

ent_status eng_step_compress(eng *e, long g, ent_error *err)
{
    if (!ent_lua_recipe_hook_source(e->rc, ENT_LUA_HOOK_COMPRESS))
        return eng_advance(e, g, "compress", "train", err);
    ent_lua_store_set ds = {0};
    ent_status s = ent_lua_store_dataset(e->st, &e->dp, e->h, &ds, err);
    if (s != ENT_OK)
        return s;
    ent_lua_decisions d = {0};
    ent_lua_call call = {g, e->seed, SIZE_MAX};
    if (ds.set.n > 0)
        s = ent_lua_recipe_compress(e->rc, &call, &ds.set, &d, err);
    unsigned char *drop = ds.set.n ? calloc(ds.set.n, 1) : NULL;
    if (s == ENT_OK && ds.set.n && !drop)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    double h_before = NAN, h_after = NAN;
    size_t n_before = 0, n_after = 0;
    if (s == ENT_OK && d.n > 0) {
        for (size_t k = 0; k < d.n; k++)
            for (size_t i = 0; i < ds.set.n; i++)
                if (ds.set.items[i].id == d.items[k].id)
                    drop[i] = 1;
        s = set_entropy(e, &ds.set, NULL, &h_before, &n_before, err);
        if (s == ENT_OK)
            s = set_entropy(e, &ds.set, drop, &h_after, &n_after, err);
    }
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t k = 0; s == ENT_OK && k < d.n; k++) {
            char *reason = NULL;
            if (asprintf(&reason, "%s [data set: H %.4f -> %.4f nats, %zu -> %zu structures]",
                         d.items[k].reason, h_before, h_after, n_before, n_after) < 0) {
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
                break;
            }
            s = ent_store_decision_insert(e->st, g, d.items[k].id, "drop", reason,
                                          ent_lua_recipe_hash(e->rc), err);
            if (s == ENT_OK)
                s = ent_store_structure_set_status(e->st, d.items[k].id, "dropped", reason,
                                                   err);
            free(reason);
        }
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "train", err);
        s = eng_tx_end(e, s, err);
    }
    size_t n_drop = d.n;
    free(drop);
    ent_lua_decisions_clear(&d);
    ent_lua_store_set_clear(&ds);
    if (s != ENT_OK)
        return s;
    if (n_drop)
        eng_log(e, "generation %ld: compression dropped %zu structure(s): H %.4f -> %.4f nats",
                g, n_drop, h_before, h_after);
    eng_crash_point(e, "compress", g);
    return ENT_OK;
}

/* ---- train ---- */

/* Every accepted label as frames with info energy and column forces; ids alongside. */
static ent_status labelled_frames(eng *e, ent_frame ***out, int64_t **ids_out, size_t *n_out,
                                  ent_error *err)
{
    ent_store_filter f = {0};
    f.status = "labelled";
    int64_t *ids = NULL;
    size_t n = 0;
    ent_status s = ent_store_structure_ids(e->st, &f, &ids, &n, err);
    if (s != ENT_OK)
        return s;
    ent_frame **fr = n ? calloc(n, sizeof *fr) : NULL;
    if (n && !fr)
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    for (size_t i = 0; s == ENT_OK && i < n; i++) {
        ent_store_label_rec lb = {0};
        int found = 0;
        s = ent_store_structure_get(e->st, ids[i], &fr[i], NULL, err);
        if (s == ENT_OK)
            s = ent_store_label_latest(e->st, ids[i], &lb, &found, err);
        if (s == ENT_OK && found && lb.has_energy)
            s = ent_frame_info_set_real(fr[i], "energy", lb.energy, err);
        if (s == ENT_OK && found && lb.forces)
            s = ent_frame_column_set_real(fr[i], "forces", 3, lb.forces, err);
        if (s == ENT_OK)
            s = ent_frame_info_set_int(fr[i], "entrain_id", (long)ids[i], err);
        ent_store_label_rec_clear(&lb);
    }
    if (s != ENT_OK) {
        for (size_t i = 0; fr && i < n; i++)
            ent_frame_destroy(fr[i]);
        free(fr);
        free(ids);
        return s;
    }
    *out = fr;
    *ids_out = ids;
    *n_out = n;
    return ENT_OK;
}

ent_status eng_step_train(eng *e, long g, ent_error *err)
{
    const ent_campaign_job *cj = &e->c->jobs[ENT_CAMPAIGN_TRAIN];
    if (!cj->present)
        return eng_advance(e, g, "train", "metrics", err);
    ent_frame **fr = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    char *xyz = NULL, *task = NULL;
    size_t xyz_len = 0;
    ent_status s = labelled_frames(e, &fr, &ids, &n, err);
    if (s == ENT_OK)
        s = ent_engine_xyz_text(fr, n, &xyz, &xyz_len, err);
    for (size_t i = 0; fr && i < n; i++)
        ent_frame_destroy(fr[i]);
    free(fr);
    if (s == ENT_OK && asprintf(&task, "{\"generation\": %ld, \"n_structures\": %zu}\n", g, n) < 0) {
        task = NULL;
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    }
    /* argv with argv[0] made absolute (the job runs in its own workdir), env from options. */
    const char **argv = calloc(cj->argc + 1, sizeof *argv);
    char **env = calloc(cj->n_options + 1, sizeof *env);
    ent_backend_option *bo = calloc(cj->n_options + 1, sizeof *bo);
    char *exe = NULL;
    size_t n_env = 0;
    if (s == ENT_OK && (!argv || !env || !bo))
        s = ent_error_set(err, ENT_ENOMEM, "out of memory");
    if (s == ENT_OK) {
        const char *a0 = cj->argc ? (cj->executable ? cj->executable : cj->argv[0]) : NULL;
        if (a0 && strchr(a0, '/') && !(a0 = exe = realpath(a0, NULL)))
            s = ent_error_set(err, ENT_EIO, "jobs.train: executable not found: %s",
                              cj->argv[0]);
        for (size_t i = 0; i < cj->argc; i++)
            argv[i] = i ? cj->argv[i] : a0;
        for (size_t i = 0; s == ENT_OK && i < cj->n_options; i++) {
            bo[i] = (ent_backend_option){cj->options[i].key, cj->options[i].value};
            if (strncmp(cj->options[i].key, "env.", 4) == 0 &&
                asprintf(&env[n_env++], "%s=%s", cj->options[i].key + 4,
                         cj->options[i].value) < 0) {
                env[--n_env] = NULL;
                s = ent_error_set(err, ENT_ENOMEM, "out of memory");
            }
        }
    }
    ent_job_input in[2] = {{"train.xyz", xyz, xyz_len}, {"task.json", task, task ? strlen(task) : 0}};
    ent_job_spec sp = {.kind = "train",
                       .generation = g,
                       .argv = argv,
                       .argc = cj->argc,
                       .env = (const char *const *)env,
                       .n_env = n_env,
                       .inputs = in,
                       .n_inputs = 2,
                       .timeout = cj->timeout,
                       .max_attempts = cj->retries + 1};
    ent_jobs_opts jo = {.work_root = e->work_root,
                        .parallel = 1,
                        .backend = cj->backend,
                        .backend_opts = bo,
                        .n_backend_opts = cj->n_options};
    ent_jobs *r = NULL;
    int64_t job_id = 0;
    ent_job_result res = {0};
    if (s == ENT_OK)
        s = ent_jobs_create(e->st, &jo, &r, err);
    if (s == ENT_OK)
        s = ent_jobs_submit(r, &sp, &job_id, err);
    if (s == ENT_OK)
        s = ent_jobs_wait(r, 0, NULL, err);
    if (s == ENT_OK)
        s = ent_jobs_result(r, job_id, &res, err);
    ent_jobs_destroy(r);
    if (s == ENT_OK && (s = eng_tx_begin(e, err)) == ENT_OK) {
        for (size_t i = 0; s == ENT_OK && i < n; i++)
            s = ent_store_train_set_add(e->st, g, ids[i], err);
        if (s == ENT_OK)
            s = ent_store_generation_set_phase(e->st, g, "metrics", err);
        s = eng_tx_end(e, s, err);
    }
    if (s == ENT_OK) {
        if (!strcmp(res.state, "succeeded"))
            eng_log(e, "generation %ld: training job %lld on %zu structure(s) succeeded (%s)",
                    g, (long long)job_id, n, res.workdir);
        else
            eng_log(e, "generation %ld: training job %lld %s: %s (the campaign continues: "
                       "selection does not need the model)",
                    g, (long long)job_id, res.state, res.error);
    }
    for (size_t i = 0; env && i < n_env; i++)
        free(env[i]);
    free(env);
    free(argv);
    free(bo);
    free(exe);
    free(xyz);
    free(task);
    free(ids);
    if (s == ENT_OK)
        eng_crash_point(e, "train", g);
    return s;
}
