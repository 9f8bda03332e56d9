/* Unit tests of the campaign report (src/store/report_query.c, src/report): invalid
 * arguments give ENT_EINVAL; an empty database gives a page whose sections say "no data
 * yet"; a campaign built with the store API (structures with descriptors, generations
 * with metrics, scores with δH statistics, decisions, jobs) gives every plot with the
 * right number of points, escaped text, and JSON that matches the database; 200
 * generations draw no per-point markers and at most ENT_REPORT_MAX_HISTOGRAMS histograms.
 * ENTRAIN_REPORT_WRITE_FIXTURE=PATH test_report writes the campaign database and exits
 * (the browser test, tests/e2e/test_report.sh, reports it); with
 * ENTRAIN_REPORT_FIXTURE_MANY=1 set too, the 200-generation one. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "info/descriptor.h"
#include "io/reader.h"
#include "report/report.h"
#include "store/store.h"
#include "support/refdata.h"

static char tmpdir[256];

#define N_GEN 5  /* generations after the seeds */
#define N_CAND 6 /* candidates per generation */
#define CAMPAIGN_TEXT "campaign { name = \"al<&>\" } -- </pre><script>alert(1)</script>"

static ent_store *open_db(const char *path, unsigned flags)
{
    ent_store *st = NULL;
    ent_error err = {0};
    ent_store_open_opts o = {.flags = flags, .command = "test"};
    if (ent_store_open(path, &o, &st, &err) != ENT_OK)
        fail_msg("open %s: %s", path, err.msg);
    return st;
}

static ent_store *create_db(const char *path)
{
    unlink(path);
    return open_db(path, ENT_STORE_CREATE | ENT_STORE_WRITER);
}

static ent_frame **read_all(const char *path, size_t *n)
{
    ent_reader *r = NULL;
    ent_error err = {0};
    if (ent_reader_open(path, NULL, &r, &err) != ENT_OK)
        fail_msg("open %s: %s", path, err.msg);
    ent_frame **v = NULL, *f;
    *n = 0;
    while (ent_reader_next(r, &f, &err) == ENT_OK) {
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = f;
    }
    ent_reader_close(r);
    return v;
}

#define OK(call)                                                                           \
    do {                                                                                   \
        if ((call) != ENT_OK)                                                              \
            fail_msg("%s: %s", #call, err.msg);                                            \
    } while (0)

/* Import frames (shifted by `shift` Å so each generation's are new structures) with k = 8
 * descriptors into generation gen: n structures, frame i % nv of v with frame i shifted
 * by shift + 0.0013 i; ids receive the stored ids. */
static void import_gen(ent_store *st, ent_frame **v, size_t nv, size_t n, long gen,
                       const char *status, double shift, int64_t *ids)
{
    ent_error err = {0};
    ent_descriptor_params dp = {.k = 8, .cutoff = 5.0};
    ent_store_descriptor_params sp = {8, 5.0, "", 0};
    int64_t set = 0;
    OK(ent_store_descriptor_set_ensure(st, &sp, ent_descriptor_width(8), &set, &err));
    ent_store_import_params ip = {.files = "molecules.xyz",
                                  .generation = gen,
                                  .status = status,
                                  .descriptor_set = set};
    ent_store_import *im = NULL;
    OK(ent_store_import_begin(st, &ip, &im, &err));
    for (size_t i = 0; i < n; i++) {
        ent_frame *f = ent_frame_copy(v[i % nv]);
        assert_non_null(f);
        double sh = i < nv ? shift : shift + 0.0013 * (double)i;
        for (size_t a = 0; a < f->n_atoms; a++)
            f->positions[3 * a] += sh * (double)(a + 1);
        double *x = malloc((f->n_atoms + 1) * ent_descriptor_width(8) * sizeof *x);
        assert_non_null(x);
        OK(ent_descriptors(f->positions, f->n_atoms, f->cell, f->pbc, &dp, x, &err));
        OK(ent_store_import_add(im, f, "molecules.xyz", (long)i, x, NULL, &ids[i], NULL,
                                &err));
        free(x);
        ent_frame_destroy(f);
    }
    OK(ent_store_import_commit(im, NULL, &err));
    ent_store_import_destroy(im);
}

static int64_t add_job(ent_store *st, long gen, const char *kind, const char *state,
                       const char *error, int i)
{
    ent_error err = {0};
    char hash[64];
    snprintf(hash, sizeof hash, "%s-%ld-%d", kind, gen, i);
    ent_store_job j = {.generation = gen,
                       .kind = kind,
                       .backend = "local",
                       .argv = "[\"true\"]",
                       .workdir = "w",
                       .content_hash = hash};
    int64_t id = 0;
    OK(ent_store_job_insert(st, &j, &id, &err));
    OK(ent_store_job_set_state(st, id, "running", 100 + i, NULL, -1000, &err));
    OK(ent_store_job_set_state(st, id, state, 0, NULL, strcmp(state, "succeeded") ? 1 : 0,
                               &err));
    if (error) {
        ent_store_job_update u = {.attempts = -1, .error = error};
        OK(ent_store_job_update_row(st, id, &u, &err));
    }
    return id;
}

/* The test campaign: generation 0 = the molecules, labelled; generations 1..N_GEN: N_CAND
 * candidates each, scored (mean δH rising with the generation), 2 selected (1 labelled),
 * 1 rejected; explore/label/train jobs (one label job failed per generation); metrics for
 * every generation (no novelty for 0); a compression drop in generation 3 and a stop in
 * the last. */
static void build_campaign(ent_store *st)
{
    ent_error err = {0};
    size_t n = 0;
    ent_frame **v = read_all(test_data_path("reference/data/molecules.xyz"), &n);
    int64_t seeds[64], ids[64];
    assert_true(n >= 2 && n < 64);
    import_gen(st, v, n, n, 0, "labelled", 0.0, seeds);
    OK(ent_store_campaign_put(st, "al<&>", CAMPAIGN_TEXT, "c0ffee", "recipe text", "beef01",
                              "{\"threshold\": 0, \"select\": 2}", &err));
    for (long g = 0; g <= N_GEN; g++) {
        if (g > 0) {
            OK(ent_store_generation_ensure(st, g, "done", &err));
            import_gen(st, v, n, N_CAND, g, "candidate", 0.01 * (double)g, ids);
            for (int i = 0; i < N_CAND; i++) {
                ent_store_score sc = {.structure_id = ids[i],
                                      .generation = g,
                                      .bandwidth = 0.015,
                                      .threshold = 0.0,
                                      .dh_min = -3,
                                      .dh_mean = -2 + 0.3 * g + 0.4 * i,
                                      .dh_max = i == 5 ? INFINITY : 1.0 + i,
                                      .frac_novel = 0.1 * i,
                                      .reference_envs = 100};
                OK(ent_store_score_insert(st, &sc, &err));
            }
            OK(ent_store_decision_insert(st, g, ids[5], "select", "dH > 0", "beef01",
                                         &err));
            OK(ent_store_decision_insert(st, g, ids[4], "select", "dH > 0", "beef01",
                                         &err));
            OK(ent_store_decision_insert(st, g, ids[0], "reject", "dH < 0 <low>", "beef01",
                                         &err));
            OK(ent_store_structure_set_status(st, ids[5], "labelled", NULL, &err));
            OK(ent_store_structure_set_status(st, ids[4], "selected", NULL, &err));
            OK(ent_store_structure_set_status(st, ids[0], "rejected", "dH < 0", &err));
            add_job(st, g, "explore", "succeeded", NULL, 0);
            add_job(st, g, "label", "succeeded", NULL, 1);
            add_job(st, g, "label", "failed", "SCF did not converge <&>", 2);
            add_job(st, g, "train", "succeeded", NULL, 3);
            if (g == 3) {
                OK(ent_store_decision_insert(st, g, seeds[1], "drop",
                                             "compression: msc keeps 0.9", "beef01", &err));
                OK(ent_store_structure_set_status(st, seeds[1], "dropped", "compression",
                                                  &err));
            }
        }
        ent_store_metric m = {.generation = g,
                              .bandwidth = 0.015,
                              .entropy = 1.0 + 0.2 * g,
                              .diversity = 2.0 + 0.3 * g,
                              .novelty = g == 0 ? NAN : 0.5 / (double)g,
                              .info_gap = NAN,
                              .n_structures = n + (size_t)g,
                              .n_environments = 25 + 5 * (size_t)g,
                              .wall_seconds = 10.0};
        OK(ent_store_metric_put(st, &m, &err));
    }
    OK(ent_store_decision_insert(st, N_GEN, 0, "stop", "novelty below 0.12", "beef01",
                                 &err));
    for (size_t i = 0; i < n; i++)
        ent_frame_destroy(v[i]);
    free(v);
}

/* data-points of the element whose data-plot is id; -1 if absent. */
static long points_of(const char *html, const char *id)
{
    char key[96];
    snprintf(key, sizeof key, "data-plot=\"%s\" data-points=\"", id);
    const char *p = strstr(html, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static size_t count(const char *s, const char *what)
{
    size_t c = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        c++;
    return c;
}

static void render(ent_store *st, ent_buf *html, ent_buf *json, ent_store_report *r)
{
    ent_error err = {0};
    OK(ent_store_report_get(st, r, &err));
    OK(ent_report_html(r, "db<1>.db", html, &err));
    if (json)
        OK(ent_report_json(r, "db<1>.db", json, &err));
}

/* ---- tests ---- */

static void test_invalid_arguments(void **state)
{
    (void)state;
    ent_error err = {0};
    ent_store_report r;
    ent_buf b = {0};
    assert_int_equal(ent_store_report_get(NULL, &r, &err), ENT_EINVAL);
    assert_int_equal(ent_report_html(NULL, "x", &b, &err), ENT_EINVAL);
    assert_int_equal(ent_report_json(&r, "x", NULL, &err), ENT_EINVAL);
    ent_store_report_clear(NULL);
    ent_buf_free(NULL);
}

static void test_escaping(void **state)
{
    (void)state;
    ent_buf b = {0};
    ent_buf_html(&b, "<a href=\"x\">'&'</a>");
    assert_string_equal(b.s, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    ent_buf_free(&b);
}

static void test_empty_database(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/empty.db", tmpdir);
    ent_store *st = create_db(path);
    ent_buf html = {0}, json = {0};
    ent_store_report r;
    render(st, &html, &json, &r);
    assert_int_equal(r.n_gens, 0);
    assert_null(strstr(html.s, "<svg"));
    assert_true(count(html.s, "no data yet") >= 7);
    assert_int_equal(points_of(html.s, "entropy"), 0);
    assert_int_equal(points_of(html.s, "dh"), 0);
    cJSON *j = cJSON_Parse(json.s);
    assert_non_null(j);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "campaign")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "generations")), 0);
    cJSON_Delete(j);
    ent_buf_free(&html);
    ent_buf_free(&json);
    ent_store_report_clear(&r);
    ent_store_close(st);
}

static void test_campaign_report(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/campaign.db", tmpdir);
    ent_store *st = create_db(path);
    build_campaign(st);
    ent_store_close(st);
    st = open_db(path, ENT_STORE_READONLY);
    ent_buf html = {0}, json = {0};
    ent_store_report r;
    render(st, &html, &json, &r);
    ent_store_close(st);
    assert_int_equal(r.n_gens, N_GEN + 1);
    assert_int_equal(r.n_metrics, N_GEN + 1);
    assert_int_equal(r.n_scores, N_GEN * N_CAND);
    assert_int_equal(r.n_jobs, N_GEN * 4);
    assert_int_equal(r.n_events, 2); /* the drop and the stop */
    assert_true(r.has_campaign);
    assert_string_equal(r.recipe_hash, "beef01");
    /* H, D and ln(n) at every generation; novelty from generation 1 on. */
    assert_int_equal(points_of(html.s, "entropy"), 3 * (N_GEN + 1));
    assert_int_equal(points_of(html.s, "novelty"), N_GEN);
    assert_int_equal(points_of(html.s, "counts"), N_GEN + 1);
    assert_int_equal(points_of(html.s, "jobs"), N_GEN);
    for (long g = 1; g <= N_GEN; g++) {
        char id[32];
        snprintf(id, sizeof id, "dh-g%ld", g);
        assert_int_equal(points_of(html.s, id), N_CAND);
    }
    assert_int_equal(count(html.s, "class=\"thr\""), N_GEN); /* threshold 0 marked */
    assert_non_null(strstr(html.s, "data-plot=\"walltime\""));
    /* Per kind: 5 explore and 5 train jobs succeeded; label 5 succeeded, 5 failed. */
    assert_non_null(strstr(html.s, "<td class=\"t\">label</td><td>5</td><td>5</td>"));
    assert_non_null(strstr(html.s, "<td class=\"t\">train</td><td>5</td><td>0</td>"));
    /* Text from the database is escaped: the campaign file cannot end the <pre>. */
    assert_null(strstr(html.s, "<script>alert"));
    assert_non_null(strstr(html.s, "&lt;/pre&gt;&lt;script&gt;alert(1)"));
    assert_non_null(strstr(html.s, "SCF did not converge &lt;&amp;&gt;"));
    assert_non_null(strstr(html.s, "db&lt;1&gt;.db"));
    assert_non_null(strstr(html.s, "compression: msc keeps 0.9"));
    assert_non_null(strstr(html.s, "<td>1: #2</td>")); /* the dropped seed's id */
    assert_non_null(strstr(html.s, "prefers-color-scheme:dark"));
    assert_null(strstr(html.s, "http://"));
    assert_null(strstr(html.s, "https://"));
    /* JSON: the same data as the database. */
    cJSON *j = cJSON_Parse(json.s);
    assert_non_null(j);
    cJSON *c = cJSON_GetObjectItem(j, "campaign");
    assert_string_equal(cJSON_GetObjectItem(c, "text")->valuestring, CAMPAIGN_TEXT);
    assert_string_equal(cJSON_GetObjectItem(c, "recipe_hash")->valuestring, "beef01");
    cJSON *gens = cJSON_GetObjectItem(j, "generations");
    assert_int_equal(cJSON_GetArraySize(gens), N_GEN + 1);
    cJSON *g2 = cJSON_GetArrayItem(gens, 2);
    assert_int_equal(cJSON_GetObjectItem(g2, "generation")->valueint, 2);
    cJSON *met = cJSON_GetObjectItem(g2, "metric");
    assert_float_equal(cJSON_GetObjectItem(met, "entropy")->valuedouble, 1.4, 1e-15);
    assert_float_equal(cJSON_GetObjectItem(met, "max_entropy")->valuedouble, log(35.0),
                       1e-15);
    assert_float_equal(cJSON_GetObjectItem(met, "novelty")->valuedouble, 0.25, 1e-15);
    cJSON *sc = cJSON_GetObjectItem(g2, "scores");
    assert_int_equal(cJSON_GetArraySize(sc), N_CAND);
    cJSON *s5 = cJSON_GetArrayItem(sc, 5);
    assert_float_equal(cJSON_GetObjectItem(s5, "dh_mean")->valuedouble, -2 + 0.6 + 2.0,
                       1e-15);
    assert_string_equal(cJSON_GetObjectItem(s5, "dh_max")->valuestring, "inf");
    cJSON *st_counts = cJSON_GetObjectItem(g2, "structures");
    assert_int_equal(cJSON_GetObjectItem(st_counts, "labelled")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(st_counts, "selected")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(st_counts, "rejected")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(st_counts, "candidate")->valueint, N_CAND - 3);
    cJSON *dec = cJSON_GetObjectItem(g2, "decisions");
    assert_int_equal(cJSON_GetObjectItem(dec, "select")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(dec, "reject")->valueint, 1);
    cJSON *m0 = cJSON_GetObjectItem(cJSON_GetArrayItem(gens, 0), "metric");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(m0, "novelty"))); /* not computed */
    cJSON *jobs = cJSON_GetObjectItem(j, "jobs");
    assert_int_equal(cJSON_GetArraySize(jobs), N_GEN * 4);
    cJSON *failed = cJSON_GetArrayItem(jobs, 2);
    assert_string_equal(cJSON_GetObjectItem(failed, "state")->valuestring, "failed");
    assert_string_equal(cJSON_GetObjectItem(failed, "error")->valuestring,
                        "SCF did not converge <&>");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(failed, "wall_seconds")));
    cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "events"), 0);
    assert_string_equal(cJSON_GetObjectItem(ev, "kind")->valuestring, "drop");
    assert_int_equal(cJSON_GetObjectItem(ev, "generation")->valueint, 3);
    cJSON_Delete(j);
    ent_buf_free(&html);
    ent_buf_free(&json);
    ent_store_report_clear(&r);
}

/* 200 generations of metrics (entropy towards ln n, novelty falling), the latest 30 with
 * scores of the seed structures and no threshold stored. Returns the seed count. */
static size_t build_many(ent_store *st)
{
    ent_error err = {0};
    size_t n = 0;
    ent_frame **v = read_all(test_data_path("reference/data/molecules.xyz"), &n);
    int64_t ids[64];
    assert_true(n < 64);
    import_gen(st, v, n, n, 0, "labelled", 0.0, ids);
    OK(ent_store_write_begin(st, &err));
    for (long g = 0; g < 200; g++) {
        OK(ent_store_generation_ensure(st, g, "done", &err));
        ent_store_metric m = {.generation = g,
                              .entropy = log(25.0 + g) - 0.5,
                              .diversity = 3.0,
                              .novelty = 1.0 / (g + 1.0),
                              .info_gap = NAN,
                              .n_environments = 25 + (size_t)g,
                              .wall_seconds = NAN,
                              .bandwidth = NAN};
        OK(ent_store_metric_put(st, &m, &err));
        if (g >= 170)
            for (size_t i = 0; i < n; i++) {
                ent_store_score sc = {.structure_id = ids[i],
                                      .generation = g,
                                      .bandwidth = 0.015,
                                      .threshold = NAN,
                                      .dh_mean = 0.01 * (double)(g + (long)i)};
                OK(ent_store_score_insert(st, &sc, &err));
            }
    }
    OK(ent_store_commit(st, &err));
    for (size_t i = 0; i < n; i++)
        ent_frame_destroy(v[i]);
    free(v);
    return n;
}

/* 200 generations: lines without per-point markers, only the latest
 * ENT_REPORT_MAX_HISTOGRAMS histograms. */
static void test_many_generations(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/many.db", tmpdir);
    ent_store *st = create_db(path);
    size_t n = build_many(st);
    ent_buf html = {0};
    ent_store_report r;
    render(st, &html, NULL, &r);
    ent_store_close(st);
    assert_int_equal(points_of(html.s, "entropy"), 600);
    assert_int_equal(points_of(html.s, "novelty"), 200);
    assert_null(strstr(html.s, "<circle")); /* no markers beyond 60 points */
    assert_int_equal(count(html.s, "data-plot=\"dh-g"), ENT_REPORT_MAX_HISTOGRAMS);
    assert_int_equal(points_of(html.s, "dh-g176"), (long)n);
    assert_int_equal(points_of(html.s, "dh-g175"), -1);
    assert_int_equal(count(html.s, "class=\"thr\""), 0); /* no threshold stored */
    assert_non_null(strstr(html.s, "The latest 24 of 30 generations"));
    ent_buf_free(&html);
    ent_store_report_clear(&r);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/entrain_test_report_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const char *fixture = getenv("ENTRAIN_REPORT_WRITE_FIXTURE");
    if (fixture) {
        ent_store *st = create_db(fixture);
        if (getenv("ENTRAIN_REPORT_FIXTURE_MANY"))
            build_many(st);
        else
            build_campaign(st);
        ent_store_close(st);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_empty_database),    cmocka_unit_test(test_campaign_report),
        cmocka_unit_test(test_many_generations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
