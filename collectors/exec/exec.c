/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exec collector: runs a program (no shell), with arguments, a timeout
 * and a cap on what it prints, and turns the JSON object it prints on
 * standard output into one `custom` record.
 *
 *   exec=PROGRAM   with options args (a list), timeout (default 60s), output_max
 *                  (bytes, default 1 MiB), controls (a list; or collect --control)
 *
 * What the program prints: a JSON object. When it holds "data" (an object),
 * its "summary", "result" (pass, fail, info or error) and "subject" (a name)
 * are read beside it; otherwise the whole object is the data. A program that
 * exits non-zero after printing such an object makes a record with result
 * fail (unless it said otherwise); one that prints no JSON object, runs past
 * its timeout (it is killed) or prints more than output_max is an error that
 * names the program. Its standard error goes to the agent's log, bounded and
 * redacted. The environment is the agent's own. It runs in a process group of its
 * own: the run is over when it exits (its output is then read for a moment more, so
 * a background child holding the pipe does not hold the collection), and the whole
 * group is killed then or at the timeout, so nothing it started outlives the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <evidence/collector.h>

#include "util/error.h"
#include "util/redact.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/utf8.h"

extern char **environ;

#define ARGS_MAX 64
#define STDERR_MAX 8192

struct exec_state {
    char *argv[ARGS_MAX + 2]; /* owned strings; argv[0] is the program */
    json_t *controls_json;    /* owned: the controls option */
    const char *controls[32]; /* borrowed from controls_json, NULL-terminated */
    int64_t timeout_us;
    size_t output_max;
    const struct ea_host *host;
    bool err_cut; /* its stderr was longer than STDERR_MAX */
};

static void exec_free(void *state)
{
    struct exec_state *s = state;

    if (!s) return;
    for (size_t i = 0; s->argv[i]; i++) ea_free(s->argv[i]);
    json_decref(s->controls_json);
    ea_free(s);
}

static int exec_init(void **state, const char *arg, const json_t *options,
                     const struct ea_host *host)
{
    struct exec_state *s;
    const json_t *v, *a;
    struct stat st;
    size_t i, n = 1;
    int rc = 0;

    *state = NULL;
    if (!arg || !*arg) return ea_fail(EA_EUSAGE, "exec needs a program: exec=/path/to/check");
    if (access(arg, X_OK) != 0)
        return ea_fail(EA_EINPUT, "%s: cannot run it: %s (give its full path)", arg,
                       strerror(errno));
    if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode)) /* a folder is "executable" too */
        return ea_fail(EA_EINPUT, "%s: not a program file (give the program's full path)", arg);
    s = ea_calloc(1, sizeof(*s));
    if (!s || !(s->argv[0] = ea_strdup(arg))) {
        exec_free(s);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    s->host = host;
    s->timeout_us = 60LL * 1000000;
    s->output_max = 1u << 20;
    v = json_object_get(options, "args");
    if (v && !json_is_array(v) && !json_is_string(v))
        rc = ea_fail(EA_ECONFIG, "args must be a list of texts");
    if (json_is_string(v) && !(s->argv[n++] = ea_strdup(json_string_value(v))))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(json_is_array(v) ? v : NULL, i, a) {
        if (rc < 0) break;
        if (!json_is_string(a))
            rc = ea_fail(EA_ECONFIG, "args[%zu] is not a text", i);
        else if (n > ARGS_MAX)
            rc = ea_fail(EA_ECONFIG, "more than %d args", ARGS_MAX);
        else if (!(s->argv[n++] = ea_strdup(json_string_value(a))))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && (v = json_object_get(options, "timeout")) &&
        (!json_is_string(v) || ea_duration_parse(&s->timeout_us, json_string_value(v)) < 0))
        rc = ea_fail(EA_ECONFIG, "timeout must be a duration (30s, 5m, 1h)");
    if (rc == 0 && (v = json_object_get(options, "output_max"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 2 || json_integer_value(v) > (64 << 20))
            rc = ea_fail(EA_ECONFIG, "output_max must be bytes, from 2 to 67108864");
        else
            s->output_max = (size_t)json_integer_value(v);
    }
    if (rc == 0 && (v = json_object_get(options, "controls"))) {
        s->controls_json = json_is_string(v) ? json_pack("[O]", v) : json_incref((json_t *)v);
        if (!json_is_array(s->controls_json) || json_array_size(s->controls_json) > 31)
            rc = ea_fail(EA_ECONFIG, "controls must be a list of at most 31 control IDs");
        json_array_foreach(s->controls_json, i, a) {
            if (rc < 0) break;
            if (!json_is_string(a))
                rc = ea_fail(EA_ECONFIG, "controls[%zu] is not a text", i);
            else
                s->controls[i] = json_string_value(a);
        }
    }
    if (rc < 0) {
        exec_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* pipe(2) with both ends close-on-exec (POSIX; pipe2 is Linux's). */
static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; i++) fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* How long output is still read after the program exits: what it wrote before exiting is
 * in the pipe already; a background child that inherited the pipe must not hold us. */
#define DRAIN_US (200 * 1000LL)

/* True once the program has exited; it stays a zombie (WNOWAIT), so its process group ID
 * cannot be reused before the group is killed and the program reaped. */
static bool exited(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) return errno != EINTR;
    return si.si_pid == pid;
}

/* Reads what is ready on the two pipes (closing one at its end); false once stdout went
 * over output_max. */
static bool drain(struct exec_state *s, int fds[2], int timeout_ms, struct ea_buf *out,
                  struct ea_buf *err, int *rc)
{
    struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    char chunk[8192];

    if (poll(p, 2, timeout_ms) <= 0) return true;
    for (int i = 0; i < 2; i++) {
        ssize_t n;
        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        n = read(p[i].fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fds[i]);
            fds[i] = -1;
        } else if (i == 0 && out->len + (size_t)n > s->output_max) {
            return false;
        } else if (i == 0) {
            if (*rc == 0) *rc = ea_buf_append(out, chunk, (size_t)n);
        } else if (!s->err_cut) { /* what fits, then nothing: the kept text has no gap */
            size_t room = STDERR_MAX - err->len;
            ea_buf_append(err, chunk, (size_t)n < room ? (size_t)n : room);
            if ((size_t)n > room) s->err_cut = true;
        }
    }
    return true;
}

/*
 * Runs the program in a process group of its own; out gets its stdout (bounded), *status
 * its wait status. The run is over when the program exits (then its output is drained for
 * DRAIN_US), runs past its deadline, or prints more than output_max; in every case the
 * whole group is killed before the program is reaped, so nothing it started outlives the
 * collection (a process that leaves the group with setsid is beyond reach).
 */
static int run(struct exec_state *s, struct ea_buf *out, int *status)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, fds[2], rc = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    struct ea_buf err;
    pid_t pid;
    int64_t deadline = ea_time_now_us() + s->timeout_us, drain_end = 0;
    bool killed = false, too_big = false;

    ea_buf_init(&err, STDERR_MAX);
    s->err_cut = false;
    if (cloexec_pipe(outp) != 0 || cloexec_pipe(errp) != 0) {
        rc = ea_fail(EA_EIO, "cannot make a pipe: %s", strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    errno = posix_spawn(&pid, s->argv[0], &fa, &attr, s->argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    if (errno != 0) {
        rc = ea_fail(EA_EINPUT, "%s: cannot run it: %s", s->argv[0], strerror(errno));
        goto out;
    }
    fds[0] = outp[0];
    fds[1] = errp[0];
    for (;;) {
        int64_t now = ea_time_now_us(), left;
        if (!drain_end && exited(pid)) drain_end = now + DRAIN_US;
        if (drain_end && (now >= drain_end || (fds[0] < 0 && fds[1] < 0))) break;
        if (!drain_end && now >= deadline) {
            killed = true;
            break;
        }
        left = (drain_end ? drain_end : deadline) - now;
        if (fds[0] < 0 && fds[1] < 0) {
            /* it closed its output and runs on: wait for its exit, the deadline still holds */
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* a short poll so that the exit of a program whose pipes stay open is seen soon */
        if (!drain(s, fds, (int)(left > 50000 ? 50 : (left + 999) / 1000), out, &err, &rc)) {
            too_big = true;
            break;
        }
    }
    kill(-pid, SIGKILL); /* the group: the program if it still runs, and all it started */
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) continue;
    outp[0] = fds[0];
    errp[0] = fds[1];
    if (err.len) {
        /*
         * Its stderr, redacted whole first (a key block or a continued value
         * spans lines; a cut one's last word is masked), then line by line
         * through the (redacting) log.
         */
        struct ea_buf red;
        char *line, *nl;
        ea_buf_init(&red, 0);
        if (ea_redact_clip(NULL, NULL, &red, err.data, err.len, s->err_cut, SIZE_MAX, NULL) < 0) {
            ea_error_clear();
            ea_buf_reset(&red);
            ea_buf_puts(&red, "(its standard error could not be redacted and was dropped)");
        }
        ea_buf_dispose(&err);
        err = red;
        line = err.data;
        for (; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            if (*line) s->host->log(s->host->ctx, EA_LOG_LEVEL_INFO, "%s: %s", s->argv[0], line);
        }
    }
    if (killed)
        rc = ea_fail(EA_ERETRY, "%s: killed after its timeout", s->argv[0]);
    else if (too_big)
        rc = ea_fail(EA_ETOOBIG, "%s: printed more than %zu bytes (output_max)", s->argv[0],
                     s->output_max);
out:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0) close(outp[i]);
        if (errp[i] >= 0) close(errp[i]);
    }
    ea_buf_dispose(&err);
    return rc;
}

static int exec_collect(void *state, struct ea_sink *sink)
{
    struct exec_state *s = state;
    struct ea_fact fact = EA_FACT_INIT;
    struct ea_buf out;
    json_error_t jerr;
    json_t *doc = NULL, *data;
    const char *result, *name;
    char digest[EA_SHA256_HEX_LEN + 1], *subject = NULL, *summary = NULL;
    int status = 0, rc;

    ea_buf_init(&out, 0);
    rc = run(s, &out, &status);
    if (rc == 0) {
        doc = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
        if (!json_is_object(doc))
            rc = ea_fail(EA_EINPUT, "%s: printed no JSON object (%s)%s", s->argv[0],
                         doc ? "not an object" : jerr.text,
                         WIFEXITED(status) && WEXITSTATUS(status) ? " and exited non-zero" : "");
    }
    if (rc < 0) goto out;
    data = json_is_object(json_object_get(doc, "data")) ? json_object_get(doc, "data") : doc;
    result = json_string_value(json_object_get(doc, "result"));
    fact.result = result && strcmp(result, "pass") == 0       ? EA_RESULT_PASS
                  : result && strcmp(result, "fail") == 0     ? EA_RESULT_FAIL
                  : result && strcmp(result, "error") == 0    ? EA_RESULT_ERROR
                  : !WIFEXITED(status) || WEXITSTATUS(status) ? EA_RESULT_FAIL
                                                              : EA_RESULT_INFO;
    name = data != doc ? json_string_value(json_object_get(json_object_get(doc, "subject"), "name"))
                       : NULL;
    subject = ea_asprintf("exec:%s", name ? name : s->argv[0]);
    summary = data != doc && json_string_value(json_object_get(doc, "summary"))
                  ? ea_strdup(json_string_value(json_object_get(doc, "summary")))
                  : ea_asprintf("%s exited with status %d.", s->argv[0],
                                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    if (!subject || !summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ea_sha256_hex(digest, out.data ? out.data : "", out.len)) < 0) goto out;
    fact.kind = "custom";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = digest;
    fact.source_system = "exec";
    fact.raw = out.data;
    fact.raw_len = out.len;
    fact.summary = summary;
    fact.data = data;
    fact.controls = s->controls;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    json_decref(doc);
    ea_buf_dispose(&out);
    ea_free(subject);
    ea_free(summary);
    return rc;
}

static const char *const kinds[] = {"custom", NULL};
static const char *const defaults[] = {NULL}; /* from configuration: --control or controls */

static const struct ea_option options[] = {
    {"args", EA_OPTION_LIST, 0, NULL, "arguments given to the program"},
    {"timeout", EA_OPTION_DURATION, 0, "60s", "the program is stopped after this long"},
    {"output_max", EA_OPTION_SIZE, 0, "1MiB", "most bytes of output read (2 bytes to 64MiB)"},
    {"controls", EA_OPTION_LIST, 0, NULL, "Annex A controls added to its record (at most 31)"},
    {NULL, 0, 0, NULL, NULL},
};

const struct ea_collector ea_collector_exec = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "exec",
    .version = "0.1.0",
    .summary = "runs a program (no shell) and records the JSON object it prints (kind custom)",
    .usage = "PROGRAM (its full path)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = exec_init,
    .collect = exec_collect,
    .free = exec_free,
    .arg_flags = EA_ARG_PATH,
};
