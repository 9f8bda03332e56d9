/* The local backend: every attempt runs under a wrapper process, so its exit status
 * survives the engine's death and a restarted engine can find it again.
 *
 *   engine ── fork ──> wrapper (setsid; holds an flock on the workdir's `submitted` marker
 *                      for its whole life) ── fork ──> job (own process group; waits for
 *                      a "go" byte, then redirects stdin/stdout/stderr and execs argv)
 *
 * Workdir files, each written to NAME.tmp and renamed, so they are whole or absent:
 *   submitted    "HASH ATTEMPT STARTED_EPOCH" written (and locked) by the engine before
 * fork pid          "ATTEMPT WRAPPER_PID WRAPPER_START JOB_PID JOB_START" by the wrapper,
 *                before it lets the job exec: no pid file, no run
 *   exit_status  "ATTEMPT exited N | signaled SIG | exec_failed ERRNO" by the wrapper
 *   stdout, stderr
 * Hence after a restart: marker locked = the wrapper lives (adopt it); marker unlocked and
 * exit_status present = finished (ingest); unlocked, no pid file = the job never ran and
 * never will (start it); unlocked, pid file, no exit_status = lost. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"

typedef struct local_backend {
    ent_backend base;
} local_backend;

/* ---- /proc and small file helpers (async-signal-safe: used between fork and exec) ---- */

/* State letter and start time (field 22) of a process; 0 if it does not exist. */
static int proc_stat(long pid, char *state, long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* The command name (field 2) may hold blanks and parentheses: start after the last
     * ')'. Field 3 is the state, field 22 the start time in clock ticks since boot. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    *state = p[2];
    int field = 3;
    long long v = 0;
    for (char *q = p + 3; *q; q++) {
        if (*q == ' ' && ++field == 22) {
            v = strtoll(q + 1, NULL, 10);
            break;
        }
    }
    *start = v;
    return 1;
}

/* Is (pid, start) a live process (not a zombie)? */
static int proc_alive(long pid, long long start)
{
    char state = 0;
    long long st = 0;
    if (pid <= 0 || !proc_stat(pid, &state, &st))
        return 0;
    return st == start && state != 'Z' && state != 'X';
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write dir/name atomically (dir/name.tmp, fsync, rename). Returns 0 or -errno. */
static int write_atomic(const char *dir, const char *name, const char *text)
{
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, text, strlen(text)) || fsync(fd) ? -errno : 0;
    close(fd);
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = -errno;
    return rc;
}

/* Read a small file dir/name into buf; 1 if read, 0 if absent or unreadable. */
static int read_small(const char *dir, const char *name, char *buf, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return 0;
    buf[n] = 0;
    return 1;
}

/* ---- the wrapper (runs in the engine's forked child; never returns) ---- */

static void close_other_fds(int keep1, int keep2)
{
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 3; fd < max; fd++)
        if (fd != keep1 && fd != keep2)
            close(fd);
}

static void reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

static void wrapper_exit_status(const ent_backend_job *j, const char *what, int code)
{
    char line[128];
    snprintf(line, sizeof line, "%d %s %d\n", j->attempt, what, code);
    write_atomic(j->workdir, "exit_status", line);
    _exit(0);
}

static void run_wrapper(const ent_backend_job *j, int marker_fd)
{
    setsid();
    reset_signals();
    close_other_fds(marker_fd, -1);
    char out[4096], errp_path[4096];
    snprintf(out, sizeof out, "%s/stdout", j->workdir);
    snprintf(errp_path, sizeof errp_path, "%s/stderr", j->workdir);
    int fd_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int fd_err = open(errp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int go[2], ex[2];
    if (fd_in < 0 || fd_out < 0 || fd_err < 0)
        wrapper_exit_status(j, "exec_failed", errno);
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0)
        wrapper_exit_status(j, "exec_failed", errno);

    pid_t child = fork();
    if (child < 0)
        wrapper_exit_status(j, "exec_failed", errno);
    if (child == 0) {
        setpgid(0, 0);
        close(go[1]);
        close(ex[0]);
        char b;
        ssize_t n;
        while ((n = read(go[0], &b, 1)) < 0 && errno == EINTR)
            ;
        if (n != 1) /* the wrapper could not record us: never run */
            _exit(127);
        if (dup2(fd_in, 0) < 0 || dup2(fd_out, 1) < 0 || dup2(fd_err, 2) < 0 ||
            chdir(j->workdir) != 0) {
            int e = errno;
            write_all(ex[1], (const char *)&e, sizeof e);
            _exit(127);
        }
        execve(j->path, j->argv, j->envp);
        int e = errno;
        write_all(ex[1], (const char *)&e, sizeof e);
        _exit(127);
    }
    setpgid(child, child); /* also done by the child: whichever runs first */
    close(go[0]);
    close(ex[1]);
    close(fd_in);
    close(fd_out);
    close(fd_err);
    char state;
    long long my_start = 0, child_start = 0;
    proc_stat((long)getpid(), &state, &my_start);
    proc_stat((long)child, &state, &child_start);
    char line[256];
    snprintf(line, sizeof line, "%d %ld %lld %ld %lld\n", j->attempt, (long)getpid(),
             my_start, (long)child, child_start);
    if (write_atomic(j->workdir, "pid", line) != 0) {
        close(go[1]); /* the job sees EOF and exits without running */
        waitpid(child, NULL, 0);
        wrapper_exit_status(j, "exec_failed", EIO);
    }
    write_all(go[1], "g", 1);
    close(go[1]);
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(ex[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(ex[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof exec_errno)
        wrapper_exit_status(j, "exec_failed", exec_errno);
    if (WIFSIGNALED(status))
        wrapper_exit_status(j, "signaled", WTERMSIG(status));
    wrapper_exit_status(j, "exited", WEXITSTATUS(status));
}

/* ---- backend operations ---- */

static double now_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static ent_status local_start(ent_backend *be, const ent_backend_job *j,
                              ent_backend_extid *ext, ent_error *err)
{
    /* Files of an earlier attempt must not be mistaken for this one's. */
    char path[4096];
    static const char *const stale[] = {"pid", "exit_status", "submitted"};
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        snprintf(path, sizeof path, "%s/%s", j->workdir, stale[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return ent_error_set(err, ENT_EIO, "cannot remove %s: %s", path,
                                 strerror(errno));
    }
    /* The marker is locked before it gets its name and before fork, so the wrapper holds
     * the lock from its first instant (an flock belongs to the open file description the
     * child inherits). */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/submitted.tmp", j->workdir);
    snprintf(path, sizeof path, "%s/submitted", j->workdir);
    double started = now_epoch();
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ent_error_set(err, ENT_EIO, "cannot create %s: %s", tmp, strerror(errno));
    char line[256];
    snprintf(line, sizeof line, "%s %d %.3f\n", j->hash, j->attempt, started);
    if (flock(fd, LOCK_EX) != 0 || write_all(fd, line, strlen(line)) != 0 ||
        fsync(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        close(fd);
        return ent_error_set(err, ENT_EIO, "cannot write %s: %s", path, strerror(e));
    }
    fflush(NULL); /* no buffered output duplicated into the child */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return ent_error_set(err, ENT_EIO, "cannot fork: %s", strerror(e));
    }
    if (pid == 0)
        run_wrapper(j, fd);
    close(fd);
    memset(ext, 0, sizeof *ext);
    ext->pid = (long)pid;
    char state;
    proc_stat(ext->pid, &state, &ext->pid_start);
    ext->started = started;
    return ENT_OK;
}

/* Fill ext from the pid file if it belongs to this attempt; 1 if it did. */
static int read_pid_file(const ent_backend_job *j, ent_backend_extid *ext,
                         long long *job_start)
{
    char buf[256];
    int attempt;
    long wpid, jpid;
    long long wstart, jstart;
    if (!read_small(j->workdir, "pid", buf, sizeof buf) ||
        sscanf(buf, "%d %ld %lld %ld %lld", &attempt, &wpid, &wstart, &jpid, &jstart) !=
            5 ||
        attempt != j->attempt)
        return 0;
    ext->pid = wpid;
    ext->pid_start = wstart;
    ext->pgid = jpid;
    if (job_start)
        *job_start = jstart;
    return 1;
}

/* The outcome the wrapper wrote for this attempt; 1 if there is one. */
static int read_exit_status(const ent_backend_job *j, ent_backend_probe *probe)
{
    char buf[128], what[32];
    int attempt, code;
    if (!read_small(j->workdir, "exit_status", buf, sizeof buf) ||
        sscanf(buf, "%d %31s %d", &attempt, what, &code) != 3 || attempt != j->attempt)
        return 0;
    probe->code = code;
    if (strcmp(what, "exited") == 0)
        probe->state = ENT_BACKEND_EXITED;
    else if (strcmp(what, "signaled") == 0)
        probe->state = ENT_BACKEND_SIGNALED;
    else
        probe->state = ENT_BACKEND_EXEC_FAILED;
    return 1;
}

/* Is the marker of this attempt locked by a live wrapper? -1: no marker of this attempt
 * (the attempt was never forked), 0: unlocked, 1: locked. started gets its time. */
static int marker_locked(const ent_backend_job *j, double *started)
{
    char path[4096], buf[256], hash[80];
    int attempt;
    double t;
    if (!read_small(j->workdir, "submitted", buf, sizeof buf) ||
        sscanf(buf, "%79s %d %lf", hash, &attempt, &t) != 3 || attempt != j->attempt ||
        strcmp(hash, j->hash) != 0)
        return -1;
    if (started)
        *started = t;
    snprintf(path, sizeof path, "%s/submitted", j->workdir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int locked = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        locked = errno == EWOULDBLOCK;
    close(fd); /* releases our shared lock, if we got it */
    return locked;
}

/* The wrapper is gone without an exit status: the job may still run unsupervised; take
 * its group down so that a retry never runs beside it. */
static void lost_cleanup(const ent_backend_extid *ext, long long job_start)
{
    if (ext->pgid > 0 && proc_alive(ext->pgid, job_start))
        kill(-(pid_t)ext->pgid, SIGKILL);
}

static ent_status local_poll(ent_backend *be, const ent_backend_job *j,
                             ent_backend_extid *ext, ent_backend_probe *probe,
                             ent_error *err)
{
    memset(probe, 0, sizeof *probe);
    long long job_start = 0;
    if (ext->pgid == 0 || ext->pid == 0)
        read_pid_file(j, ext, &job_start);
    if (ext->pid > 0) {
        /* Our own child (not after a restart in another process): reap it, so it does
         * not linger as a zombie. Harmless (ECHILD) for an adopted wrapper. */
        int status;
        waitpid((pid_t)ext->pid, &status, WNOHANG);
        if (proc_alive(ext->pid, ext->pid_start)) {
            probe->state = ENT_BACKEND_RUNNING;
            return ENT_OK;
        }
    } else {
        /* Wrapper pid not known yet (just adopted, pid file not written yet). */
        int m = marker_locked(j, NULL);
        if (m == 1) {
            probe->state = ENT_BACKEND_RUNNING;
            return ENT_OK;
        }
        if (m < 0) {
            probe->state = ENT_BACKEND_NOT_STARTED;
            return ENT_OK;
        }
        if (!read_pid_file(j, ext, &job_start) && !read_exit_status(j, probe)) {
            probe->state = ENT_BACKEND_NOT_STARTED;
            return ENT_OK;
        }
    }
    if (read_exit_status(j, probe))
        return ENT_OK;
    read_pid_file(j, ext, &job_start);
    lost_cleanup(ext, job_start);
    probe->state = ENT_BACKEND_LOST;
    return ENT_OK;
}

static ent_status local_find(ent_backend *be, const ent_backend_job *j,
                             const ent_backend_extid *known, ent_backend_extid *ext,
                             ent_backend_probe *probe, ent_error *err)
{
    memset(ext, 0, sizeof *ext);
    memset(probe, 0, sizeof *probe);
    double started = 0;
    int m = marker_locked(j, &started);
    if (m < 0) { /* the marker is written before fork: no marker, no process */
        probe->state = ENT_BACKEND_NOT_STARTED;
        return ENT_OK;
    }
    ext->started = started;
    long long job_start = 0;
    int have_pid = read_pid_file(j, ext, &job_start);
    if (!have_pid && known && known->pid > 0) {
        ext->pid = known->pid;
        ext->pid_start = known->pid_start;
    }
    if (m == 1) {
        /* A live wrapper holds the lock. Its pid file comes before the job runs; if it
         * is not there yet, poll will read it later. */
        probe->state = ENT_BACKEND_RUNNING;
        return ENT_OK;
    }
    if (read_exit_status(j, probe))
        return ENT_OK;
    if (!have_pid) {
        /* No wrapper holds the marker and none ever wrote a pid file: the wrapper died
         * (or was never forked) before letting the job exec, and none can appear later
         * (a wrapper is born holding the lock). */
        probe->state = ENT_BACKEND_NOT_STARTED;
        return ENT_OK;
    }
    lost_cleanup(ext, job_start);
    probe->state = ENT_BACKEND_LOST;
    return ENT_OK;
}

static ent_status local_kill(ent_backend *be, const ent_backend_extid *ext, int sig,
                             ent_error *err)
{
    if (ext->pgid <= 0)
        return ent_error_set(err, ENT_EINVAL, "job's process group is not known yet");
    if (kill(-(pid_t)ext->pgid, sig) != 0 && errno != ESRCH)
        return ent_error_set(err, ENT_EIO, "cannot signal process group %ld: %s", ext->pgid,
                             strerror(errno));
    return ENT_OK;
}

static void local_destroy(ent_backend *be)
{
    free(be);
}

static const ent_backend_ops local_ops = {
    .name = "local",
    .needs_program = 1,
    .start = local_start,
    .find = local_find,
    .poll = local_poll,
    .kill = local_kill,
    .destroy = local_destroy,
};

ent_status ent_backend_local_create(ent_backend **out, ent_error *err)
{
    if (!out)
        return ent_error_set(err, ENT_EINVAL, "ent_backend_local_create: NULL argument");
    local_backend *lb = calloc(1, sizeof *lb);
    if (!lb)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    lb->base.ops = &local_ops;
    *out = &lb->base;
    return ENT_OK;
}
