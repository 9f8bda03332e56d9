/* `entrain report --json`: the data behind the page, for scripts. Written by hand (the
 * core library does not link cJSON); non-finite numbers follow the README's convention:
 * NaN (not stored) is null, +inf is the string "inf". */
#define _POSIX_C_SOURCE 200809L
#include <math.h>

#include "report/report.h"

static void key(ent_buf *b, const char *k, int *first)
{
    if (!*first)
        ent_buf_puts(b, ",");
    *first = 0;
    ent_buf_json_str(b, k);
    ent_buf_puts(b, ":");
}

static void counts(ent_buf *b, const size_t *n, const char *const *names, int k)
{
    int first = 1;
    ent_buf_puts(b, "{");
    for (int i = 0; i < k; i++) {
        key(b, names[i], &first);
        ent_buf_printf(b, "%zu", n[i]);
    }
    ent_buf_puts(b, "}");
}

static void metric_json(ent_buf *b, const ent_store_report_metric *m)
{
    int f = 1;
    ent_buf_puts(b, "{");
    key(b, "bandwidth", &f);
    ent_buf_json_num(b, m->bandwidth);
    key(b, "entropy", &f);
    ent_buf_json_num(b, m->entropy);
    key(b, "diversity", &f);
    ent_buf_json_num(b, m->diversity);
    key(b, "max_entropy", &f);
    ent_buf_json_num(b, m->n_environments > 0 ? log((double)m->n_environments) : NAN);
    key(b, "novelty", &f);
    ent_buf_json_num(b, m->novelty);
    key(b, "info_gap", &f);
    ent_buf_json_num(b, m->info_gap);
    key(b, "n_structures", &f);
    ent_buf_json_num(b, m->n_structures >= 0 ? (double)m->n_structures : NAN);
    key(b, "n_environments", &f);
    ent_buf_json_num(b, m->n_environments >= 0 ? (double)m->n_environments : NAN);
    key(b, "wall_seconds", &f);
    ent_buf_json_num(b, m->wall_seconds);
    ent_buf_puts(b, "}");
}

static void generation_json(ent_buf *b, const ent_store_report *r,
                            const ent_store_gen_summary *g)
{
    int f = 1;
    ent_buf_puts(b, "{");
    key(b, "generation", &f);
    ent_buf_printf(b, "%ld", g->generation);
    key(b, "phase", &f);
    ent_buf_json_str(b, g->phase);
    key(b, "structures", &f);
    counts(b, g->n_status, ent_store_status_names, ENT_STORE_N_STATUS);
    key(b, "n_structures", &f);
    ent_buf_printf(b, "%zu", g->n_structures);
    key(b, "environments", &f);
    ent_buf_printf(b, "%zu", g->n_environments);
    key(b, "jobs", &f);
    counts(b, g->n_jobs, ent_store_job_state_names, ENT_STORE_N_JOB_STATES);
    key(b, "metric", &f);
    const ent_store_report_metric *m = NULL;
    for (size_t i = 0; i < r->n_metrics; i++)
        if (r->metrics[i].generation == g->generation)
            m = &r->metrics[i];
    if (m)
        metric_json(b, m);
    else
        ent_buf_puts(b, "null");
    key(b, "decisions", &f);
    size_t zero[ENT_STORE_N_DECISION_KINDS] = {0};
    const size_t *dn = zero;
    for (size_t i = 0; i < r->n_decisions; i++)
        if (r->decisions[i].generation == g->generation)
            dn = r->decisions[i].n;
    counts(b, dn, ent_store_decision_kind_names, ENT_STORE_N_DECISION_KINDS);
    key(b, "scores", &f);
    ent_buf_puts(b, "[");
    int fs = 1;
    for (size_t i = 0; i < r->n_scores; i++) {
        const ent_store_report_score *s = &r->scores[i];
        if (s->generation != g->generation)
            continue;
        ent_buf_puts(b, fs ? "{" : ",{");
        fs = 0;
        int fk = 1;
        key(b, "structure_id", &fk);
        ent_buf_printf(b, "%lld", (long long)s->structure_id);
        key(b, "threshold", &fk);
        ent_buf_json_num(b, s->threshold);
        key(b, "dh_min", &fk);
        ent_buf_json_num(b, s->dh_min);
        key(b, "dh_mean", &fk);
        ent_buf_json_num(b, s->dh_mean);
        key(b, "dh_max", &fk);
        ent_buf_json_num(b, s->dh_max);
        key(b, "frac_novel", &fk);
        ent_buf_json_num(b, s->frac_novel);
        ent_buf_puts(b, "}");
    }
    ent_buf_puts(b, "]}");
}

ent_status ent_report_json(const ent_store_report *r, const char *source, ent_buf *out,
                           ent_error *err)
{
    if (!r || !out)
        return ent_error_set(err, ENT_EINVAL, "ent_report_json: NULL argument");
    ent_buf *b = out;
    int f = 1;
    ent_buf_puts(b, "{");
    key(b, "database", &f);
    ent_buf_json_str(b, source);
    key(b, "campaign", &f);
    if (r->has_campaign) {
        int fc = 1;
        ent_buf_puts(b, "{");
        key(b, "name", &fc);
        ent_buf_json_str(b, r->name);
        key(b, "campaign_hash", &fc);
        ent_buf_json_str(b, r->campaign_hash);
        key(b, "recipe_hash", &fc);
        ent_buf_json_str(b, r->recipe_hash);
        key(b, "params", &fc); /* the stored JSON text, as a string */
        ent_buf_json_str(b, r->params);
        key(b, "text", &fc);
        ent_buf_json_str(b, r->campaign_text);
        ent_buf_puts(b, "}");
    } else {
        ent_buf_puts(b, "null");
    }
    key(b, "generations", &f);
    ent_buf_puts(b, "[");
    for (size_t i = 0; i < r->n_gens; i++) {
        if (i)
            ent_buf_puts(b, ",\n");
        generation_json(b, r, &r->gens[i]);
    }
    ent_buf_puts(b, "]");
    key(b, "jobs", &f);
    ent_buf_puts(b, "[");
    for (size_t i = 0; i < r->n_jobs; i++) {
        const ent_store_report_job *j = &r->jobs[i];
        int fj = 1;
        ent_buf_puts(b, i ? ",{" : "{");
        key(b, "id", &fj);
        ent_buf_printf(b, "%lld", (long long)j->id);
        key(b, "generation", &fj);
        if (j->generation >= 0)
            ent_buf_printf(b, "%ld", j->generation);
        else
            ent_buf_puts(b, "null");
        key(b, "kind", &fj);
        ent_buf_json_str(b, j->kind);
        key(b, "state", &fj);
        ent_buf_json_str(b, j->state);
        key(b, "wall_seconds", &fj);
        ent_buf_json_num(b, j->wall_seconds);
        key(b, "error", &fj);
        ent_buf_json_str(b, j->error[0] ? j->error : NULL);
        ent_buf_puts(b, "}");
    }
    ent_buf_puts(b, "]");
    key(b, "events", &f);
    ent_buf_puts(b, "[");
    for (size_t i = 0; i < r->n_events; i++) {
        const ent_store_report_event *e = &r->events[i];
        int fe = 1;
        ent_buf_puts(b, i ? ",{" : "{");
        key(b, "generation", &fe);
        ent_buf_printf(b, "%ld", e->generation);
        key(b, "structure_id", &fe);
        if (e->structure_id)
            ent_buf_printf(b, "%lld", (long long)e->structure_id);
        else
            ent_buf_puts(b, "null");
        key(b, "kind", &fe);
        ent_buf_json_str(b, e->kind);
        key(b, "reason", &fe);
        ent_buf_json_str(b, e->reason);
        key(b, "recipe_hash", &fe);
        ent_buf_json_str(b, e->recipe_hash);
        ent_buf_puts(b, "}");
    }
    ent_buf_puts(b, "]}\n");
    if (out->oom) {
        ent_buf_free(out);
        return ent_error_set(err, ENT_ENOMEM, "report: out of memory");
    }
    return ENT_OK;
}
