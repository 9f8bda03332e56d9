/* `entrain report --json`: the data behind the page, for scripts, built with cJSON.
 * Non-finite numbers follow the README's convention: NaN (not stored) is null, +inf is the
 * string "inf". */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "report/report.h"

static void add_num(cJSON *o, const char *k, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, k);
    else if (isinf(v))
        cJSON_AddStringToObject(o, k, v > 0 ? "inf" : "-inf");
    else
        cJSON_AddNumberToObject(o, k, v);
}

static void add_str(cJSON *o, const char *k, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, k, s);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *counts(const size_t *n, const char *const *names, int k)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < k; i++)
        cJSON_AddNumberToObject(o, names[i], (double)n[i]);
    return o;
}

static cJSON *metric_json(const ent_store_report_metric *m)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "bandwidth", m->bandwidth);
    add_num(o, "entropy", m->entropy);
    add_num(o, "diversity", m->diversity);
    add_num(o, "max_entropy", m->n_environments > 0 ? log((double)m->n_environments) : NAN);
    add_num(o, "novelty", m->novelty);
    add_num(o, "info_gap", m->info_gap);
    add_num(o, "n_structures", m->n_structures >= 0 ? (double)m->n_structures : NAN);
    add_num(o, "n_environments", m->n_environments >= 0 ? (double)m->n_environments : NAN);
    add_num(o, "wall_seconds", m->wall_seconds);
    return o;
}

static cJSON *generation_json(const ent_store_report *r, const ent_store_gen_summary *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "generation", (double)g->generation);
    add_str(o, "phase", g->phase);
    cJSON_AddItemToObject(o, "structures",
                          counts(g->n_status, ent_store_status_names, ENT_STORE_N_STATUS));
    cJSON_AddNumberToObject(o, "n_structures", (double)g->n_structures);
    cJSON_AddNumberToObject(o, "environments", (double)g->n_environments);
    cJSON_AddItemToObject(o, "jobs", counts(g->n_jobs, ent_store_job_state_names,
                                            ENT_STORE_N_JOB_STATES));
    const ent_store_report_metric *m = NULL;
    for (size_t i = 0; i < r->n_metrics; i++)
        if (r->metrics[i].generation == g->generation)
            m = &r->metrics[i];
    if (m)
        cJSON_AddItemToObject(o, "metric", metric_json(m));
    else
        cJSON_AddNullToObject(o, "metric");
    size_t zero[ENT_STORE_N_DECISION_KINDS] = {0};
    const size_t *dn = zero;
    for (size_t i = 0; i < r->n_decisions; i++)
        if (r->decisions[i].generation == g->generation)
            dn = r->decisions[i].n;
    cJSON_AddItemToObject(o, "decisions", counts(dn, ent_store_decision_kind_names,
                                                 ENT_STORE_N_DECISION_KINDS));
    cJSON *scores = cJSON_AddArrayToObject(o, "scores");
    for (size_t i = 0; i < r->n_scores; i++) {
        const ent_store_report_score *s = &r->scores[i];
        if (s->generation != g->generation)
            continue;
        cJSON *so = cJSON_CreateObject();
        cJSON_AddNumberToObject(so, "structure_id", (double)s->structure_id);
        add_num(so, "threshold", s->threshold);
        add_num(so, "dh_min", s->dh_min);
        add_num(so, "dh_mean", s->dh_mean);
        add_num(so, "dh_max", s->dh_max);
        add_num(so, "frac_novel", s->frac_novel);
        cJSON_AddItemToArray(scores, so);
    }
    return o;
}

ent_status ent_report_json(const ent_store_report *r, const char *source, ent_buf *out,
                           ent_error *err)
{
    if (!r || !out)
        return ent_error_set(err, ENT_EINVAL, "ent_report_json: NULL argument");
    cJSON *root = cJSON_CreateObject();
    add_str(root, "database", source);
    if (r->has_campaign) {
        cJSON *c = cJSON_AddObjectToObject(root, "campaign");
        add_str(c, "name", r->name);
        add_str(c, "campaign_hash", r->campaign_hash);
        add_str(c, "recipe_hash", r->recipe_hash);
        add_str(c, "params", r->params); /* the stored JSON text, as a string */
        add_str(c, "text", r->campaign_text);
    } else {
        cJSON_AddNullToObject(root, "campaign");
    }
    cJSON *gens = cJSON_AddArrayToObject(root, "generations");
    for (size_t i = 0; i < r->n_gens; i++)
        cJSON_AddItemToArray(gens, generation_json(r, &r->gens[i]));
    cJSON *jobs = cJSON_AddArrayToObject(root, "jobs");
    for (size_t i = 0; i < r->n_jobs; i++) {
        const ent_store_report_job *j = &r->jobs[i];
        cJSON *jo = cJSON_CreateObject();
        cJSON_AddNumberToObject(jo, "id", (double)j->id);
        if (j->generation >= 0)
            cJSON_AddNumberToObject(jo, "generation", (double)j->generation);
        else
            cJSON_AddNullToObject(jo, "generation");
        add_str(jo, "kind", j->kind);
        add_str(jo, "state", j->state);
        add_num(jo, "wall_seconds", j->wall_seconds);
        add_str(jo, "error", j->error[0] ? j->error : NULL);
        cJSON_AddItemToArray(jobs, jo);
    }
    cJSON *events = cJSON_AddArrayToObject(root, "events");
    for (size_t i = 0; i < r->n_events; i++) {
        const ent_store_report_event *e = &r->events[i];
        cJSON *eo = cJSON_CreateObject();
        cJSON_AddNumberToObject(eo, "generation", (double)e->generation);
        if (e->structure_id)
            cJSON_AddNumberToObject(eo, "structure_id", (double)e->structure_id);
        else
            cJSON_AddNullToObject(eo, "structure_id");
        add_str(eo, "kind", e->kind);
        add_str(eo, "reason", e->reason);
        add_str(eo, "recipe_hash", e->recipe_hash);
        cJSON_AddItemToArray(events, eo);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text) {
        ent_buf_puts(out, text);
        ent_buf_puts(out, "\n");
        free(text);
    }
    if (!text || out->oom) {
        ent_buf_free(out);
        return ent_error_set(err, ENT_ENOMEM, "report: out of memory");
    }
    return ENT_OK;
}
