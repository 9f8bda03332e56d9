/* The campaign report page and its JSON twin: entropy/diversity per generation with ln(n),
 * novelty and structure counts, δH histograms of candidates with the recipe threshold,
 * job outcomes and wall times, compression and stop decisions, and the campaign file.
 * Everything text-like from the database is escaped on the way into HTML. */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char page_css[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--mute:#5b6570;--grid:#e3e6ea;"
    "--c0:#1f77b4;--c1:#d62728;--c2:#2ca02c;--c3:#9467bd;--c4:#ff7f0e;--c5:#8c564b;"
    "--c6:#17becf;--c7:#7f7f7f;--thr:#d62728;--pre:#f4f5f7}"
    "@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e6e8eb;--mute:#9aa4ae;"
    "--grid:#2c3238;--c0:#5fa8e8;--c1:#ff6b6b;--c2:#6fd36f;--c3:#c3a3f0;--c4:#ffb35c;"
    "--c5:#d0a08f;--c6:#5ad8e6;--c7:#b0b0b0;--thr:#ff6b6b;--pre:#1e2227}}"
    "body{background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,sans-serif;"
    "margin:0 auto;max-width:1100px;padding:16px 24px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid "
    "var(--grid)}h3{font-size:14px;margin:4px 0}"
    ".note,.nodata{color:var(--mute)}.nodata{font-style:italic}"
    "svg.plot{max-width:100%;height:auto;font-size:11px;display:block}"
    "svg text{fill:var(--fg)}svg .label{font-size:12px}"
    "svg .grid{stroke:var(--grid);stroke-width:1}svg .axis,svg .tick{stroke:var(--mute)}"
    "svg path{fill:none;stroke-width:1.8}svg .dashed{stroke-dasharray:5 4}"
    "svg .thr{stroke:var(--thr);stroke-width:1.5;stroke-dasharray:4 3}"
    "svg .thr-label{fill:var(--thr);paint-order:stroke;stroke:var(--bg);stroke-width:3px}"
    ".l0{stroke:var(--c0)}.l1{stroke:var(--c1)}.l2{stroke:var(--c2)}.l3{stroke:var(--c3)}"
    ".l4{stroke:var(--c4)}.l5{stroke:var(--c5)}.l6{stroke:var(--c6)}.l7{stroke:var(--c7)}"
    ".f0{fill:var(--c0)}.f1{fill:var(--c1)}.f2{fill:var(--c2)}.f3{fill:var(--c3)}"
    ".f4{fill:var(--c4)}.f5{fill:var(--c5)}.f6{fill:var(--c6)}.f7{fill:var(--c7)}"
    ".multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));"
    "gap:8px}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "td,th{padding:2px 8px;border-bottom:1px solid var(--grid);text-align:right}"
    "td.t,th.t{text-align:left}"
    "pre{background:var(--pre);padding:8px;overflow:auto;max-height:480px}";

/* Counts errors of the page itself into <html data-errors>, read by the browser test. */
static const char page_js[] =
    "document.documentElement.setAttribute('data-errors','0');"
    "window.addEventListener('error',function(){var d=document.documentElement;"
    "d.setAttribute('data-errors',String(+d.getAttribute('data-errors')+1));});";

static const ent_store_report_metric *metric_of(const ent_store_report *r, long g)
{
    for (size_t i = 0; i < r->n_metrics; i++)
        if (r->metrics[i].generation == g)
            return &r->metrics[i];
    return NULL;
}

static const ent_store_report_decisions *decisions_of(const ent_store_report *r, long g)
{
    for (size_t i = 0; i < r->n_decisions; i++)
        if (r->decisions[i].generation == g)
            return &r->decisions[i];
    return NULL;
}

/* ---- Sections ---- */

static void section_entropy(ent_buf *b, const ent_store_report *r, double *xs)
{
    size_t n = r->n_metrics;
    double *h = malloc((3 * n + 1) * sizeof *h);
    if (!h) {
        b->oom = 1;
        return;
    }
    double *d = h + n, *lnn = d + n;
    for (size_t i = 0; i < n; i++) {
        const ent_store_report_metric *m = &r->metrics[i];
        xs[i] = (double)m->generation;
        h[i] = m->entropy;
        d[i] = m->diversity;
        lnn[i] = m->n_environments > 0 ? log((double)m->n_environments) : NAN;
    }
    ent_buf_puts(b, "<h2 id=\"entropy\">Entropy and diversity of the labelled set</h2>"
                    "<p class=\"note\">H and D of the data set after each generation "
                    "(metric table); ln(n) with n environments is the largest H "
                    "possible.</p>");
    ent_svg_series s[3] = {
        {"H", xs, h, n, 0}, {"D", xs, d, n, 0}, {"ln(n), max H", xs, lnn, n, 1}};
    ent_svg_axes a = {.id = "entropy",
                      .title = "Entropy H, diversity D and ln(n)",
                      .xlabel = "generation",
                      .ylabel = "nats",
                      .integer_x = 1};
    ent_svg_lines(b, &a, s, 3);
    free(h);
}

static void section_novelty(ent_buf *b, const ent_store_report *r, double *xs)
{
    size_t n = r->n_metrics, ng = r->n_gens;
    double *nov = malloc((n + 6 * ng + 1) * sizeof *nov);
    if (!nov) {
        b->oom = 1;
        return;
    }
    /* Stacked from the bottom: selected, labelled, rejected, dropped, candidate. */
    static const int order[5] = {1, 2, 3, 4, 0};
    double *gx = nov + n, *cnt = gx + ng;
    for (size_t i = 0; i < n; i++)
        nov[i] = r->metrics[i].novelty;
    for (size_t i = 0; i < ng; i++) {
        gx[i] = (double)r->gens[i].generation;
        for (int k = 0; k < 5; k++)
            cnt[(size_t)k * ng + i] = (double)r->gens[i].n_status[order[k]];
    }
    ent_buf_puts(b, "<h2 id=\"novelty\">Novelty and selection</h2><p class=\"note\">"
                    "Novelty: fraction of the generation's candidate environments with "
                    "δH &gt; 0 against the data set before it.</p>");
    ent_svg_series s = {"novelty", xs, nov, n, 0};
    ent_svg_axes a = {.id = "novelty",
                      .title = "Novelty per generation",
                      .xlabel = "generation",
                      .ylabel = "fraction of environments",
                      .integer_x = 1};
    ent_svg_lines(b, &a, &s, 1);
    const double *ys[5];
    const char *names[5];
    for (int k = 0; k < 5; k++) {
        ys[k] = cnt + (size_t)k * ng;
        names[k] = ent_store_status_names[order[k]];
    }
    ent_svg_axes c = {.id = "counts",
                      .title = "Structures by status per generation",
                      .xlabel = "generation",
                      .ylabel = "structures",
                      .integer_x = 1};
    ent_svg_stacked(b, &c, gx, ng, ys, names, 5);
    free(nov);
}

/* δH histograms: one small plot per generation with scores (the latest
 * ENT_REPORT_MAX_HISTOGRAMS), all on one δH range, the threshold marked. */
static void section_dh(ent_buf *b, const ent_store_report *r)
{
    ent_buf_puts(b, "<h2 id=\"dh\">δH of candidates</h2><p class=\"note\">Mean δH of each "
                    "candidate's environments against the reference at scoring time; the "
                    "dashed line is the recipe's threshold.</p>");
    double lo = INFINITY, hi = -INFINITY;
    size_t n_gen = 0;
    for (size_t i = 0; i < r->n_scores; i++) {
        double v = r->scores[i].dh_mean;
        if (isfinite(v)) {
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        if (i == 0 || r->scores[i].generation != r->scores[i - 1].generation)
            n_gen++;
    }
    if (n_gen == 0 || !isfinite(lo)) {
        ent_buf_puts(b, "<p class=\"nodata\" data-plot=\"dh\" data-points=\"0\">δH of "
                        "candidates: no data yet</p>");
        return;
    }
    if (hi <= lo) {
        lo -= 0.5;
        hi += 0.5;
    }
    double pad = (hi - lo) * 0.02;
    lo -= pad;
    hi += pad;
    size_t skip = n_gen > ENT_REPORT_MAX_HISTOGRAMS ? n_gen - ENT_REPORT_MAX_HISTOGRAMS : 0;
    if (skip)
        ent_buf_printf(b,
                       "<p class=\"note\">The latest %d of %zu generations with scores; "
                       "older ones are in the JSON output.</p>",
                       ENT_REPORT_MAX_HISTOGRAMS, n_gen);
    double *v = malloc((r->n_scores + 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    ent_buf_puts(b, "<div class=\"multiples\">");
    size_t g_index = 0;
    for (size_t i = 0; i < r->n_scores;) {
        size_t j = i, m = 0;
        double thr = NAN;
        while (j < r->n_scores && r->scores[j].generation == r->scores[i].generation) {
            v[m++] = r->scores[j].dh_mean;
            if (isnan(thr))
                thr = r->scores[j].threshold;
            j++;
        }
        if (g_index++ >= skip) {
            char id[48], title[64], thr_label[48];
            snprintf(id, sizeof id, "dh-g%ld", r->scores[i].generation);
            snprintf(title, sizeof title, "generation %ld: %zu candidates",
                     r->scores[i].generation, m);
            snprintf(thr_label, sizeof thr_label, "threshold %.3g", thr);
            ent_buf_puts(b, "<div><h3>");
            ent_buf_html(b, title);
            ent_buf_puts(b, "</h3>");
            ent_svg_axes a = {.id = id,
                              .title = title,
                              .xlabel = "mean δH (nats)",
                              .ylabel = "candidates",
                              .width = 320,
                              .height = 200,
                              .has_vline = !isnan(thr),
                              .vline = thr,
                              .vline_label = thr_label};
            ent_svg_hist(b, &a, v, m, 20, lo, hi);
            ent_buf_puts(b, "</div>");
        }
        i = j;
    }
    ent_buf_puts(b, "</div>");
    free(v);
}

static const char *const job_kinds[] = {"explore", "label", "train", "score"};
#define N_JOB_KINDS 4

/* Outcomes and wall time per kind, over the whole campaign. */
static void jobs_by_kind(ent_buf *b, const ent_store_report *r)
{
    if (r->n_jobs == 0)
        return;
    ent_buf_puts(b, "<h3>Jobs by kind</h3><table data-table=\"jobs-by-kind\"><tr>"
                    "<th class=\"t\">kind</th><th>succeeded</th><th>failed/timed out/lost"
                    "</th><th>cancelled</th><th>pending</th><th>mean wall (s)</th>"
                    "<th>total wall (s)</th></tr>");
    for (size_t k = 0; k < N_JOB_KINDS; k++) {
        size_t n[4] = {0}, timed = 0;
        double wall = 0;
        for (size_t j = 0; j < r->n_jobs; j++) {
            const ent_store_report_job *jb = &r->jobs[j];
            if (strcmp(jb->kind, job_kinds[k]) != 0)
                continue;
            int st = ent_store_name_index(ent_store_job_state_names, ENT_STORE_N_JOB_STATES,
                                          jb->state);
            n[st == 3 ? 0 : st == 4 || st == 5 || st == 7 ? 1 : st == 6 ? 2 : 3]++;
            if (isfinite(jb->wall_seconds)) {
                wall += jb->wall_seconds;
                timed++;
            }
        }
        if (n[0] + n[1] + n[2] + n[3] == 0)
            continue;
        ent_buf_printf(b,
                       "<tr><td class=\"t\">%s</td><td>%zu</td><td>%zu</td><td>%zu</td>"
                       "<td>%zu</td>",
                       job_kinds[k], n[0], n[1], n[2], n[3]);
        if (timed)
            ent_buf_printf(b, "<td>%.1f</td><td>%.1f</td></tr>", wall / (double)timed,
                           wall);
        else
            ent_buf_puts(b, "<td>-</td><td>-</td></tr>");
    }
    ent_buf_puts(b, "</table>");
}

static void section_jobs(ent_buf *b, const ent_store_report *r)
{
    ent_buf_puts(b, "<h2 id=\"jobs\">Jobs</h2>");
    size_t ng = r->n_gens;
    /* Outcomes per generation: succeeded, failed (failed/timed_out/lost), cancelled,
     * pending (queued/submitted/running). */
    double *buf = calloc(5 * ng + 1 + 2 * N_JOB_KINDS * (ng + 1), sizeof *buf);
    if (!buf) {
        b->oom = 1;
        return;
    }
    double *gx = buf, *ok = gx + ng, *bad = ok + ng, *can = bad + ng, *pend = can + ng;
    double *wsum = pend + ng, *wcnt = wsum + N_JOB_KINDS * ng;
    for (size_t i = 0; i < ng; i++) {
        const ent_store_gen_summary *g = &r->gens[i];
        gx[i] = (double)g->generation;
        pend[i] = (double)(g->n_jobs[0] + g->n_jobs[1] + g->n_jobs[2]);
        ok[i] = (double)g->n_jobs[3];
        bad[i] = (double)(g->n_jobs[4] + g->n_jobs[5] + g->n_jobs[7]);
        can[i] = (double)g->n_jobs[6];
    }
    const double *ys[4] = {ok, bad, can, pend};
    const char *names[4] = {"succeeded", "failed/timed out/lost", "cancelled", "pending"};
    ent_svg_axes a = {.id = "jobs",
                      .title = "Job outcomes per generation",
                      .xlabel = "generation",
                      .ylabel = "jobs",
                      .integer_x = 1};
    ent_svg_stacked(b, &a, gx, ng, ys, names, 4);
    /* Mean wall time per generation and kind. */
    for (size_t j = 0; j < r->n_jobs; j++) {
        const ent_store_report_job *jb = &r->jobs[j];
        int k = ent_store_name_index(job_kinds, N_JOB_KINDS, jb->kind);
        if (k < 0 || !isfinite(jb->wall_seconds))
            continue;
        for (size_t i = 0; i < ng; i++)
            if (r->gens[i].generation == jb->generation) {
                wsum[(size_t)k * ng + i] += jb->wall_seconds;
                wcnt[(size_t)k * ng + i] += 1;
            }
    }
    ent_svg_series s[N_JOB_KINDS];
    size_t ns = 0;
    for (size_t k = 0; k < N_JOB_KINDS; k++) {
        size_t any = 0;
        for (size_t i = 0; i < ng; i++) {
            double c = wcnt[k * ng + i];
            wsum[k * ng + i] = c > 0 ? wsum[k * ng + i] / c : NAN;
            any += c > 0;
        }
        if (any)
            s[ns++] = (ent_svg_series){job_kinds[k], gx, wsum + k * ng, ng, 0};
    }
    ent_svg_axes w = {.id = "walltime",
                      .title = "Mean job wall time per generation",
                      .xlabel = "generation",
                      .ylabel = "wall time (s)",
                      .integer_x = 1};
    ent_svg_lines(b, &w, s, ns);
    jobs_by_kind(b, r);
    /* Failures with their reasons (the latest 100). */
    size_t nf = 0;
    for (size_t j = 0; j < r->n_jobs; j++)
        nf += strcmp(r->jobs[j].state, "failed") == 0 ||
              strcmp(r->jobs[j].state, "timed_out") == 0 ||
              strcmp(r->jobs[j].state, "lost") == 0;
    ent_buf_printf(b, "<h3>Failed jobs (%zu)</h3>", nf);
    if (nf == 0) {
        ent_buf_puts(b, "<p class=\"nodata\">none</p>");
    } else {
        ent_buf_puts(b, "<table data-table=\"failures\"><tr><th>job</th><th>generation</th>"
                        "<th class=\"t\">kind</th><th class=\"t\">state</th>"
                        "<th>wall (s)</th><th class=\"t\">reason</th></tr>");
        size_t shown = 0;
        for (size_t j = r->n_jobs; j-- > 0 && shown < 100;) {
            const ent_store_report_job *jb = &r->jobs[j];
            if (strcmp(jb->state, "failed") && strcmp(jb->state, "timed_out") &&
                strcmp(jb->state, "lost"))
                continue;
            ent_buf_printf(b, "<tr><td>%lld</td><td>%ld</td><td class=\"t\">",
                           (long long)jb->id, jb->generation);
            ent_buf_html(b, jb->kind);
            ent_buf_puts(b, "</td><td class=\"t\">");
            ent_buf_html(b, jb->state);
            if (isfinite(jb->wall_seconds))
                ent_buf_printf(b, "</td><td>%.1f</td><td class=\"t\">", jb->wall_seconds);
            else
                ent_buf_puts(b, "</td><td>-</td><td class=\"t\">");
            ent_buf_html(b, jb->error[0] ? jb->error : "(no reason stored)");
            ent_buf_puts(b, "</td></tr>");
            shown++;
        }
        ent_buf_puts(b, "</table>");
    }
    free(buf);
}

/* Drops (compression) per generation with H before/after, then stop/continue. */
static void section_events(ent_buf *b, const ent_store_report *r)
{
    ent_buf_puts(b, "<h2 id=\"compression\">Compression and campaign decisions</h2>"
                    "<p class=\"note\">Decisions other than select/reject, grouped by "
                    "generation and kind. H before is the previous generation's stored "
                    "entropy, H after this generation's (the metric table holds one value "
                    "per generation, not one on each side of a drop).</p>");
    if (r->n_events == 0) {
        ent_buf_puts(b, "<p class=\"nodata\" data-table=\"events\">no data yet</p>");
        return;
    }
    ent_buf_puts(b, "<table data-table=\"events\"><tr><th>generation</th><th class=\"t\">"
                    "decision</th><th>structures</th><th>H before (nats)</th><th>H after "
                    "(nats)</th><th class=\"t\">reason (first)</th></tr>");
    for (size_t i = 0; i < r->n_events;) {
        size_t j = i + 1;
        /* Group consecutive decisions of one kind in one generation. */
        while (j < r->n_events && r->events[j].generation == r->events[i].generation &&
               strcmp(r->events[j].kind, r->events[i].kind) == 0)
            j++;
        const ent_store_report_event *e = &r->events[i];
        const ent_store_report_metric *after = metric_of(r, e->generation), *before = NULL;
        for (size_t k = 0; k < r->n_metrics; k++)
            if (r->metrics[k].generation < e->generation)
                before = &r->metrics[k];
        ent_buf_printf(b, "<tr><td>%ld</td><td class=\"t\">", e->generation);
        ent_buf_html(b, e->kind);
        size_t nstruct = 0;
        for (size_t k = i; k < j; k++)
            nstruct += r->events[k].structure_id != 0;
        ent_buf_printf(b, "</td><td>%zu", nstruct);
        size_t listed = 0; /* which ones: the first 10 ids (all are in the JSON) */
        for (size_t k = i; k < j && listed < 10; k++)
            if (r->events[k].structure_id != 0)
                ent_buf_printf(b, "%s#%lld", listed++ ? " " : ": ",
                               (long long)r->events[k].structure_id);
        ent_buf_puts(b, nstruct > listed ? " …</td>" : "</td>");
        if (before && isfinite(before->entropy))
            ent_buf_printf(b, "<td>%.4f</td>", before->entropy);
        else
            ent_buf_puts(b, "<td>-</td>");
        if (after && isfinite(after->entropy))
            ent_buf_printf(b, "<td>%.4f</td>", after->entropy);
        else
            ent_buf_puts(b, "<td>-</td>");
        ent_buf_puts(b, "<td class=\"t\">");
        ent_buf_html(b, e->reason);
        ent_buf_puts(b, "</td></tr>");
        i = j;
    }
    ent_buf_puts(b, "</table>");
}

static void section_generations(ent_buf *b, const ent_store_report *r)
{
    ent_buf_printf(b, "<h2 id=\"generations\">Generations (%zu)</h2>", r->n_gens);
    if (r->n_gens == 0) {
        ent_buf_puts(b, "<p class=\"nodata\">no data yet</p>");
        return;
    }
    ent_buf_puts(b, "<details><summary>table</summary><table data-table=\"generations\">"
                    "<tr><th>gen</th><th class=\"t\">phase</th>");
    for (int k = 0; k < ENT_STORE_N_STATUS; k++)
        ent_buf_printf(b, "<th>%s</th>", ent_store_status_names[k]);
    ent_buf_puts(b, "<th>environments</th><th>H</th><th>D</th><th>novelty</th>"
                    "<th>decisions (select/reject/drop)</th></tr>");
    for (size_t i = 0; i < r->n_gens; i++) {
        const ent_store_gen_summary *g = &r->gens[i];
        ent_buf_printf(b, "<tr><td>%ld</td><td class=\"t\">", g->generation);
        ent_buf_html(b, g->phase);
        ent_buf_puts(b, "</td>");
        for (int k = 0; k < ENT_STORE_N_STATUS; k++)
            ent_buf_printf(b, "<td>%zu</td>", g->n_status[k]);
        ent_buf_printf(b, "<td>%zu</td>", g->n_environments);
        double v[3] = {g->entropy, g->diversity, g->novelty};
        for (int k = 0; k < 3; k++)
            if (isfinite(v[k]))
                ent_buf_printf(b, "<td>%.4f</td>", v[k]);
            else
                ent_buf_puts(b, "<td>-</td>");
        const ent_store_report_decisions *d = decisions_of(r, g->generation);
        ent_buf_printf(b, "<td>%zu/%zu/%zu</td></tr>", d ? d->n[0] : 0, d ? d->n[1] : 0,
                       d ? d->n[2] : 0);
    }
    ent_buf_puts(b, "</table></details>");
}

static void section_campaign(ent_buf *b, const ent_store_report *r)
{
    ent_buf_puts(b, "<h2 id=\"campaign\">Campaign file and recipe</h2>");
    if (!r->has_campaign) {
        ent_buf_puts(b, "<p class=\"nodata\">no data yet (no campaign stored: the database "
                        "holds imports only)</p>");
        return;
    }
    ent_buf_puts(b, "<table><tr><th class=\"t\">name</th><td class=\"t\">");
    ent_buf_html(b, r->name);
    ent_buf_puts(b, "</td></tr><tr><th class=\"t\">campaign file hash</th><td class=\"t\">"
                    "<code>");
    ent_buf_html(b, r->campaign_hash);
    ent_buf_puts(b, "</code></td></tr><tr><th class=\"t\">recipe hash</th><td class=\"t\">"
                    "<code>");
    ent_buf_html(b, r->recipe_hash);
    ent_buf_puts(b, "</code></td></tr></table><h3>Parameters</h3>");
    if (r->params) {
        ent_buf_puts(b, "<pre data-block=\"params\">");
        ent_buf_html(b, r->params);
        ent_buf_puts(b, "</pre>");
    } else {
        ent_buf_puts(b, "<p class=\"nodata\">no data yet</p>");
    }
    ent_buf_puts(b, "<h3>Campaign file</h3>");
    if (r->campaign_text) {
        ent_buf_puts(b, "<pre data-block=\"campaign\">");
        ent_buf_html(b, r->campaign_text);
        ent_buf_puts(b, "</pre>");
    } else {
        ent_buf_puts(b, "<p class=\"nodata\">no data yet</p>");
    }
}

ent_status ent_report_html(const ent_store_report *r, const char *source, ent_buf *out,
                           ent_error *err)
{
    if (!r || !out)
        return ent_error_set(err, ENT_EINVAL, "ent_report_html: NULL argument");
    double *xs = malloc((r->n_metrics + 1) * sizeof *xs);
    if (!xs)
        return ent_error_set(err, ENT_ENOMEM, "report: out of memory");
    const char *title = r->has_campaign && r->name[0] ? r->name : source;
    ent_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width\">"
                      "<meta name=\"color-scheme\" content=\"light dark\"><title>entrain "
                      "report: ");
    ent_buf_html(out, title);
    ent_buf_printf(out, "</title><script>%s</script><style>%s</style></head><body>\n",
                   page_js, page_css);
    ent_buf_puts(out, "<h1>Campaign report: ");
    ent_buf_html(out, title);
    size_t ns = 0, ne = 0;
    for (size_t i = 0; i < r->n_gens; i++) {
        ns += r->gens[i].n_structures;
        ne += r->gens[i].n_environments;
    }
    ent_buf_puts(out, "</h1><p class=\"note\">Database <code>");
    ent_buf_html(out, source);
    ent_buf_printf(out,
                   "</code>: %zu generations, %zu structures, %zu environments, "
                   "%zu jobs. Made by <code>entrain report</code>.</p>\n",
                   r->n_gens, ns, ne, r->n_jobs);
    section_entropy(out, r, xs);
    section_novelty(out, r, xs);
    section_dh(out, r);
    section_jobs(out, r);
    section_events(out, r);
    section_generations(out, r);
    section_campaign(out, r);
    ent_buf_puts(out, "\n</body></html>\n");
    free(xs);
    if (out->oom) {
        ent_buf_free(out);
        return ent_error_set(err, ENT_ENOMEM, "report: out of memory");
    }
    return ENT_OK;
}
