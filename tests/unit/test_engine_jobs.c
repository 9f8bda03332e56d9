/* Unit tests of src/engine's jobs and local backend with real processes (/bin/sh scripts,
 * sleep, true, false): invalid arguments; success with output files and tails stored;
 * exit code != 0; a timeout kills the whole process group; a missing executable; a
 * transient failure retried; the pool bound; and restarts: a running job adopted, a job
 * finished while no runner watched ingested, a kill before and after the process start
 * (before its pid is recorded) never running anything twice, also when the engine is a
 * separate process killed with SIGKILL; cancel. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/job.h"
#include "store/store.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static ent_store *open_db(const char *name, int create)
{
    ent_store *st = NULL;
    ent_error err = {0};
    ent_store_open_opts o = {.flags = ENT_STORE_WRITER | (create ? ENT_STORE_CREATE : 0),
                             .command = "test"};
    if (create)
        unlink(tmp_path(name));
    if (ent_store_open(tmp_path(name), &o, &st, &err) != ENT_OK)
        fail_msg("open %s: %s", name, err.msg);
    if (create && ent_store_generation_ensure(st, 0, "label", &err) != ENT_OK)
        fail_msg("generation: %s", err.msg);
    return st;
}

static ent_jobs *runner(ent_store *st, const char *root, int parallel, int crash)
{
    ent_jobs_opts o = {.work_root = tmp_path(root),
                       .parallel = parallel,
                       .kill_grace = 0.5,
                       .poll_interval = 0.02,
                       .crash_point = crash};
    ent_jobs *r = NULL;
    ent_error err = {0};
    if (ent_jobs_create(st, &o, &r, &err) != ENT_OK)
        fail_msg("runner: %s", err.msg);
    return r;
}

static const char *script(const char *name, const char *body)
{
    const char *p = tmp_path(name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fprintf(fp, "#!/bin/sh\n%s\n", body);
    fclose(fp);
    assert_int_equal(chmod(p, 0755), 0);
    return p;
}

static ent_job_spec spec_of(const char *const *argv, size_t argc)
{
    return (ent_job_spec){.kind = "label", .generation = 0, .argv = argv, .argc = argc};
}

static int64_t submit(ent_jobs *r, const ent_job_spec *sp)
{
    int64_t id = 0;
    ent_error err = {0};
    if (ent_jobs_submit(r, sp, &id, &err) != ENT_OK)
        fail_msg("submit: %s", err.msg);
    return id;
}

static void wait_all(ent_jobs *r, double max_seconds)
{
    size_t pending = 99;
    ent_error err = {0};
    if (ent_jobs_wait(r, max_seconds, &pending, &err) != ENT_OK)
        fail_msg("wait: %s", err.msg);
    assert_int_equal(pending, 0);
}

static ent_job_result result(ent_jobs *r, int64_t id)
{
    ent_job_result res;
    ent_error err = {0};
    if (ent_jobs_result(r, id, &res, &err) != ENT_OK)
        fail_msg("result: %s", err.msg);
    return res;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = calloc(1 << 16, 1);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static int count_lines(const char *path)
{
    char *s = slurp(path);
    int n = 0;
    for (char *p = s; p && *p; p++)
        n += *p == '\n';
    free(s);
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Live (not a zombie)? */
static int alive(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    char *s = slurp(path);
    if (!s)
        return 0;
    char *p = strrchr(s, ')');
    int live = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    free(s);
    return live;
}

/* ---- tests ---- */

static void test_invalid_arguments(void **state)
{
    ent_error err = {0};
    ent_jobs *r = NULL;
    assert_int_equal(ent_jobs_create(NULL, NULL, &r, &err), ENT_EINVAL);
    ent_store *st = open_db("invalid.db", 1);
    ent_jobs_opts o = {.work_root = NULL};
    assert_int_equal(ent_jobs_create(st, &o, &r, &err), ENT_EINVAL);
    r = runner(st, "work_invalid", 1, 0);
    int64_t id;
    ent_job_spec sp = spec_of(NULL, 0);
    assert_int_equal(ent_jobs_submit(r, &sp, &id, &err), ENT_EINVAL);
    const char *argv[] = {"true"};
    sp = spec_of(argv, 1);
    sp.kind = "bake";
    assert_int_equal(ent_jobs_submit(r, &sp, &id, &err), ENT_EINVAL);
    ent_job_input in = {.name = "../evil", .data = "x", .size = 1};
    sp = spec_of(argv, 1);
    sp.inputs = &in;
    sp.n_inputs = 1;
    assert_int_equal(ent_jobs_submit(r, &sp, &id, &err), ENT_EINVAL);
    in.name = "stdout";
    assert_int_equal(ent_jobs_submit(r, &sp, &id, &err), ENT_EINVAL);
    const char *env[] = {"NOEQUALS"};
    sp = spec_of(argv, 1);
    sp.env = env;
    sp.n_env = 1;
    assert_int_equal(ent_jobs_submit(r, &sp, &id, &err), ENT_EINVAL);
    /* The hash covers kind, argv and inputs: any change gives another job. */
    char h1[65], h2[65], h3[65];
    const char *a1[] = {"x", "ab"}, *a2[] = {"xa", "b"};
    ent_job_spec s1 = spec_of(a1, 2), s2 = spec_of(a2, 2);
    assert_int_equal(ent_job_hash(&s1, h1, &err), ENT_OK);
    assert_int_equal(ent_job_hash(&s2, h2, &err), ENT_OK);
    assert_string_not_equal(h1, h2);
    ent_job_input in2 = {.name = "a", .data = "1", .size = 1};
    s1.inputs = &in2;
    s1.n_inputs = 1;
    assert_int_equal(ent_job_hash(&s1, h3, &err), ENT_OK);
    assert_string_not_equal(h1, h3);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_success_outputs_and_tails(void **state)
{
    ent_store *st = open_db("ok.db", 1);
    ent_jobs *r = runner(st, "work_ok", 2, 0);
    const char *sh = script("ok.sh", "echo run >> \"$1\"\n"
                                     "cat input.txt > out.txt\n"
                                     "echo \"env=$ENTRAIN_TEST_VAR\" >> out.txt\n"
                                     "seq 1 3000\n"
                                     "echo oops >&2\n");
    const char *argv[] = {sh, tmp_path("ok.count")};
    ent_job_input in = {.name = "input.txt", .data = "abc\n", .size = 4};
    const char *env[] = {"ENTRAIN_TEST_VAR=42"};
    ent_job_spec sp = spec_of(argv, 2);
    sp.inputs = &in;
    sp.n_inputs = 1;
    sp.env = env;
    sp.n_env = 1;
    unlink(tmp_path("ok.count"));
    int64_t id = submit(r, &sp);
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_true(res.done);
    assert_int_equal(res.attempts, 1);
    assert_true(res.has_exit_code);
    assert_int_equal(res.exit_code, 0);
    char path[2048];
    snprintf(path, sizeof path, "%s/out.txt", res.workdir);
    char *out = slurp(path);
    assert_non_null(out);
    assert_string_equal(out, "abc\nenv=42\n");
    free(out);
    /* Tails: the last 4096 bytes of stdout, all of stderr. */
    char *so = NULL, *se = NULL;
    ent_error err = {0};
    assert_int_equal(ent_store_job_tails(st, id, &so, &se, &err), ENT_OK);
    assert_int_equal(strlen(so), ENT_STORE_JOB_TAIL_MAX);
    assert_string_equal(so + strlen(so) - 10, "2999\n3000\n");
    assert_string_equal(se, "oops\n");
    free(so);
    free(se);
    ent_jobs_destroy(r);
    /* The same job submitted again (a restart) is reported, never run again. */
    r = runner(st, "work_ok", 2, 0);
    assert_int_equal(submit(r, &sp), id);
    wait_all(r, 5);
    assert_string_equal(result(r, id).state, "succeeded");
    assert_int_equal(count_lines(tmp_path("ok.count")), 1);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_exit_code_failure(void **state)
{
    ent_store *st = open_db("fail.db", 1);
    ent_jobs *r = runner(st, "work_fail", 2, 0);
    const char *argv[] = {"/bin/sh", "-c", "echo bad input >&2; exit 3"};
    ent_job_spec sp = spec_of(argv, 3);
    sp.max_attempts = 3; /* 3 is not listed as transient: no retry */
    int64_t id = submit(r, &sp);
    const char *argv2[] = {"false"};
    ent_job_spec sp2 = spec_of(argv2, 1);
    int64_t id2 = submit(r, &sp2);
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "failed");
    assert_int_equal(res.attempts, 1);
    assert_true(res.has_exit_code);
    assert_int_equal(res.exit_code, 3);
    assert_string_equal(res.error, "exit code 3");
    char *se = NULL;
    ent_error err = {0};
    assert_int_equal(ent_store_job_tails(st, id, NULL, &se, &err), ENT_OK);
    assert_string_equal(se, "bad input\n");
    free(se);
    res = result(r, id2);
    assert_string_equal(res.state, "failed");
    assert_int_equal(res.exit_code, 1);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_timeout_kills_process_group(void **state)
{
    ent_store *st = open_db("timeout.db", 1);
    ent_jobs *r = runner(st, "work_timeout", 1, 0);
    /* The shell starts a background sleep (a grandchild of the wrapper) and waits in a
     * second one; both must go. */
    const char *sh = script("tree.sh", "sleep 30 &\n"
                                       "echo $! > bg.pid\n"
                                       "echo $$ > sh.pid\n"
                                       "sleep 30\n");
    const char *argv[] = {sh};
    ent_job_spec sp = spec_of(argv, 1);
    sp.timeout = 1.0;
    sp.max_attempts = 3; /* timeouts are not retried */
    double t0 = now();
    int64_t id = submit(r, &sp);
    wait_all(r, 15);
    double dt = now() - t0;
    assert_true(dt >= 1.0);
    assert_true(dt < 6.0);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "timed_out");
    assert_int_equal(res.attempts, 1);
    assert_true(strstr(res.error, "timed out") != NULL);
    char path[2048];
    long bg = 0, shp = 0;
    snprintf(path, sizeof path, "%s/bg.pid", res.workdir);
    char *s = slurp(path);
    assert_non_null(s);
    bg = atol(s);
    free(s);
    snprintf(path, sizeof path, "%s/sh.pid", res.workdir);
    s = slurp(path);
    assert_non_null(s);
    shp = atol(s);
    free(s);
    assert_true(bg > 0 && shp > 0);
    /* Orphans are reaped by init asynchronously: give it a moment. */
    for (int i = 0; i < 100 && (alive(bg) || alive(shp)); i++)
        usleep(20000);
    assert_false(alive(bg));
    assert_false(alive(shp));
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_missing_executable(void **state)
{
    ent_store *st = open_db("missing.db", 1);
    ent_jobs *r = runner(st, "work_missing", 1, 0);
    const char *argv[] = {"entrain-no-such-pw.x", "-in", "pw.in"};
    ent_job_spec sp = spec_of(argv, 3);
    sp.max_attempts = 3;
    int64_t id = submit(r, &sp);
    const char *argv2[] = {"/nonexistent/dir/pw.x"};
    ent_job_spec sp2 = spec_of(argv2, 1);
    sp2.max_attempts = 3;
    int64_t id2 = submit(r, &sp2);
    wait_all(r, 5);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "failed");
    assert_string_equal(res.error, "executable not found: entrain-no-such-pw.x");
    assert_int_equal(res.attempts, 0); /* never started, never retried */
    res = result(r, id2);
    assert_string_equal(res.state, "failed");
    assert_string_equal(res.error, "executable not found: /nonexistent/dir/pw.x");
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_transient_failure_retried(void **state)
{
    ent_store *st = open_db("retry.db", 1);
    ent_jobs *r = runner(st, "work_retry", 1, 0);
    /* Fails with 75 (EX_TEMPFAIL) on the first attempt, succeeds on the second; the
     * workdir persists across attempts. */
    const char *sh = script("flaky.sh", "echo try >> count\n"
                                        "n=$(wc -l < count)\n"
                                        "echo \"attempt $n\"\n"
                                        "[ \"$n\" -ge 2 ] && exit 0\n"
                                        "exit 75\n");
    const char *argv[] = {sh};
    static const int transient[] = {75};
    ent_job_spec sp = spec_of(argv, 1);
    sp.max_attempts = 3;
    sp.transient_exit_codes = transient;
    sp.n_transient = 1;
    int64_t id = submit(r, &sp);
    /* A job killed by a signal it did not get from us is transient too. */
    const char *sh2 = script("selfkill.sh", "echo try >> count\n"
                                            "[ \"$(wc -l < count)\" -ge 2 ] && exit 0\n"
                                            "kill -9 $$\n");
    const char *argv2[] = {sh2};
    ent_job_spec sp2 = spec_of(argv2, 1);
    sp2.max_attempts = 2;
    int64_t id2 = submit(r, &sp2);
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 2);
    assert_int_equal(res.exit_code, 0);
    char path[2048];
    snprintf(path, sizeof path, "%s/count", res.workdir);
    assert_int_equal(count_lines(path), 2);
    res = result(r, id2);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 2);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_pool_bound(void **state)
{
    ent_store *st = open_db("pool.db", 1);
    ent_jobs *r = runner(st, "work_pool", 2, 0);
    const char *sh = script("span.sh", "date +%s.%N > start\n"
                                       "sleep 0.3\n"
                                       "date +%s.%N > end\n");
    enum { N = 5 };
    int64_t ids[N];
    char tag[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(tag[i], sizeof tag[i], "%d", i);
        const char *argv[] = {sh, tag[i]};
        ent_job_spec sp = spec_of(argv, 2);
        ids[i] = submit(r, &sp);
    }
    wait_all(r, 20);
    double t0[N], t1[N];
    for (int i = 0; i < N; i++) {
        ent_job_result res = result(r, ids[i]);
        assert_string_equal(res.state, "succeeded");
        char path[2048];
        snprintf(path, sizeof path, "%s/start", res.workdir);
        char *s = slurp(path);
        assert_non_null(s);
        t0[i] = atof(s);
        free(s);
        snprintf(path, sizeof path, "%s/end", res.workdir);
        s = slurp(path);
        assert_non_null(s);
        t1[i] = atof(s);
        free(s);
    }
    int max_running = 0;
    for (int i = 0; i < N; i++) {
        int running = 0;
        for (int k = 0; k < N; k++)
            running += t0[k] <= t0[i] && t0[i] < t1[k];
        if (running > max_running)
            max_running = running;
    }
    assert_int_equal(max_running, 2); /* never more than 2, and the pool was used */
    ent_jobs_destroy(r);
    ent_store_close(st);
}

/* A job that counts its runs in a file outside its workdir. */
static const char *counted_script(void)
{
    return script("counted.sh", "echo run >> \"$1\"\n"
                                "sleep \"$2\"\n"
                                "echo done\n");
}

static void test_restart_adopts_running_job(void **state)
{
    ent_store *st = open_db("adopt.db", 1);
    ent_jobs *r = runner(st, "work_adopt", 1, 0);
    const char *count = tmp_path("adopt.count");
    unlink(count);
    const char *argv[] = {counted_script(), count, "1.5"};
    ent_job_spec sp = spec_of(argv, 3);
    int64_t id = submit(r, &sp);
    ent_error err = {0};
    size_t pending;
    assert_int_equal(ent_jobs_poll(r, &pending, &err), ENT_OK);
    ent_store_job_rec rec;
    assert_int_equal(ent_store_job_get(st, id, &rec, &err), ENT_OK);
    assert_string_equal(rec.state, "running");
    assert_true(rec.pid > 0 && rec.pid_start > 0);
    long pid = rec.pid;
    /* The engine dies: the runner is forgotten, the job keeps running. */
    ent_jobs_destroy(r);
    ent_store_close(st);
    usleep(200000);
    st = open_db("adopt.db", 0);
    r = runner(st, "work_adopt", 1, 0);
    assert_int_equal(submit(r, &sp), id);
    assert_int_equal(ent_store_job_get(st, id, &rec, &err), ENT_OK);
    assert_string_equal(rec.state, "running");
    assert_int_equal(rec.pid, pid);
    assert_int_equal(rec.attempts, 1);
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 1);
    assert_int_equal(count_lines(count), 1);
    char *so = NULL;
    assert_int_equal(ent_store_job_tails(st, id, &so, NULL, &err), ENT_OK);
    assert_string_equal(so, "done\n");
    free(so);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_restart_ingests_finished_job(void **state)
{
    ent_store *st = open_db("ingest.db", 1);
    ent_jobs *r = runner(st, "work_ingest", 1, 0);
    const char *count = tmp_path("ingest.count");
    unlink(count);
    const char *argv[] = {counted_script(), count, "0.1"};
    ent_job_spec sp = spec_of(argv, 3);
    int64_t id = submit(r, &sp);
    ent_error err = {0};
    assert_int_equal(ent_jobs_poll(r, NULL, &err), ENT_OK);
    ent_jobs_destroy(r); /* dies; the job ends while nobody watches */
    usleep(600000);
    r = runner(st, "work_ingest", 1, 0);
    assert_int_equal(submit(r, &sp), id);
    wait_all(r, 5);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 1);
    assert_int_equal(count_lines(count), 1);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

/* An adopted wrapper that had not written its pid file yet is recorded by a later poll:
 * poll (at most 3 s) until the database holds the external id. */
static void wait_recorded(ent_jobs *r, ent_store *st, int64_t id, ent_store_job_rec *rec)
{
    ent_error err = {0};
    for (int i = 0; i < 150; i++) {
        assert_int_equal(ent_store_job_get(st, id, rec, &err), ENT_OK);
        if (rec->pid > 0)
            return;
        assert_int_equal(ent_jobs_poll(r, NULL, &err), ENT_OK);
        usleep(20000);
    }
}

static void restart_after_crash(int crash, const char *db, const char *root,
                                const char *count_name)
{
    ent_store *st = open_db(db, 1);
    ent_jobs *r = runner(st, root, 1, crash);
    const char *count = tmp_path(count_name);
    unlink(count);
    const char *argv[] = {counted_script(), count, "0.5"};
    ent_job_spec sp = spec_of(argv, 3);
    int64_t id = submit(r, &sp);
    ent_error err = {0};
    assert_int_equal(ent_jobs_poll(r, NULL, &err), ENT_EIO);
    assert_non_null(strstr(err.msg, "simulated crash"));
    ent_store_job_rec rec;
    assert_int_equal(ent_store_job_get(st, id, &rec, &err), ENT_OK);
    assert_string_equal(rec.state, "submitted");
    assert_int_equal(rec.pid, 0); /* the external id never reached the database */
    ent_jobs_destroy(r);
    ent_store_close(st);

    st = open_db(db, 0);
    r = runner(st, root, 1, 0);
    assert_int_equal(submit(r, &sp), id);
    if (crash == ENT_JOBS_CRASH_AFTER_START) {
        /* Found through the marker and the wrapper's pid file, adopted, not restarted. */
        wait_recorded(r, st, id, &rec);
        assert_string_equal(rec.state, "running");
        assert_true(rec.pid > 0);
    }
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 1);
    assert_int_equal(count_lines(count), 1);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_crash_after_start_before_pid_recorded(void **state)
{
    restart_after_crash(ENT_JOBS_CRASH_AFTER_START, "crash_after.db", "work_crash_after",
                        "crash_after.count");
}

static void test_crash_before_start(void **state)
{
    restart_after_crash(ENT_JOBS_CRASH_BEFORE_START, "crash_before.db", "work_crash_before",
                        "crash_before.count");
}

/* The engine is a real process killed with SIGKILL (while the job runs, and between the
 * process start and the database update); a new engine in another process adopts. */
static void engine_killed(int crash, const char *db, const char *root,
                          const char *count_name)
{
    const char *count = tmp_path(count_name);
    unlink(count);
    const char *argv[] = {counted_script(), count, "1"};
    ent_job_spec sp = spec_of(argv, 3);
    ent_store *st = open_db(db, 1);
    ent_store_close(st);
    fflush(NULL);
    pid_t engine = fork();
    assert_true(engine >= 0);
    if (engine == 0) {
        st = open_db(db, 0);
        ent_jobs *r = runner(st, root, 1, crash);
        int64_t id;
        ent_error err = {0};
        ent_jobs_submit(r, &sp, &id, &err);
        ent_jobs_poll(r, NULL, &err);
        usleep(100000);
        kill(getpid(), SIGKILL);
        _exit(1);
    }
    int status;
    assert_int_equal(waitpid(engine, &status, 0), engine);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    st = open_db(db, 0); /* takes the writer lock over from the dead engine */
    ent_jobs *r = runner(st, root, 1, 0);
    int64_t id = submit(r, &sp);
    ent_store_job_rec rec;
    wait_recorded(r, st, id, &rec);
    assert_string_equal(rec.state, "running"); /* adopted, pid recorded */
    assert_true(rec.pid > 0 && rec.pid_start > 0);
    wait_all(r, 10);
    ent_job_result res = result(r, id);
    assert_string_equal(res.state, "succeeded");
    assert_int_equal(res.attempts, 1);
    assert_int_equal(count_lines(count), 1);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static void test_engine_killed_while_job_runs(void **state)
{
    engine_killed(ENT_JOBS_CRASH_NONE, "killed.db", "work_killed", "killed.count");
}

static void test_engine_killed_before_pid_recorded(void **state)
{
    engine_killed(ENT_JOBS_CRASH_AFTER_START, "killed2.db", "work_killed2",
                  "killed2.count");
}

static void test_cancel(void **state)
{
    ent_store *st = open_db("cancel.db", 1);
    ent_jobs *r = runner(st, "work_cancel", 1, 0);
    const char *argv[] = {"sleep", "30"};
    ent_job_spec sp = spec_of(argv, 2);
    int64_t id = submit(r, &sp);
    const char *argv2[] = {"sleep", "31"};
    ent_job_spec sp2 = spec_of(argv2, 2);
    int64_t id2 = submit(r, &sp2); /* queued behind the first (parallel = 1) */
    ent_error err = {0};
    assert_int_equal(ent_jobs_poll(r, NULL, &err), ENT_OK);
    usleep(100000);
    assert_int_equal(ent_jobs_cancel(r, id2, &err), ENT_OK);
    assert_int_equal(ent_jobs_cancel(r, id, &err), ENT_OK);
    double t0 = now();
    wait_all(r, 10);
    assert_true(now() - t0 < 5);
    assert_string_equal(result(r, id).state, "cancelled");
    ent_job_result res = result(r, id2);
    assert_string_equal(res.state, "cancelled");
    assert_int_equal(res.attempts, 0);
    ent_jobs_destroy(r);
    ent_store_close(st);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/entrain_jobs_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    if (!getenv("ENTRAIN_KEEP_TMP")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_success_outputs_and_tails),
        cmocka_unit_test(test_exit_code_failure),
        cmocka_unit_test(test_timeout_kills_process_group),
        cmocka_unit_test(test_missing_executable),
        cmocka_unit_test(test_transient_failure_retried),
        cmocka_unit_test(test_pool_bound),
        cmocka_unit_test(test_restart_adopts_running_job),
        cmocka_unit_test(test_restart_ingests_finished_job),
        cmocka_unit_test(test_crash_after_start_before_pid_recorded),
        cmocka_unit_test(test_crash_before_start),
        cmocka_unit_test(test_engine_killed_while_job_runs),
        cmocka_unit_test(test_engine_killed_before_pid_recorded),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
