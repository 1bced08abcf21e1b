/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers; see testkit.h. Tests may use system() and friends; the agent may not. */
#include "testkit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../agent/registry.h"
#include "../../agent/util/mem.h"

int ea_test_run(Suite *(*fn)(void))
{
    SRunner *sr;
    int failed;

    ea_mem_init();
    sr = srunner_create(fn());
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

char *ea_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    char *d;

    snprintf(tmpl, sizeof(tmpl), "%s/ea-test-XXXXXX", base && *base ? base : "/tmp");
    d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void ea_test_tmpdir_free(char *dir)
{
    if (!dir) return;
    if (strncmp(dir, "/", 1) == 0 && strstr(dir, "ea-test-")) ea_test_sh("rm -rf '%s'", dir);
    free(dir);
}

int ea_test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

char *ea_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (!f) return NULL;
    do {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap + 65536 + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int ea_test_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    if (!f) return -1;
    if (fputs(text, f) < 0) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

const char *ea_test_fixtures_dir(void)
{
    static char path[4096];
    struct stat st;
    const char *env = getenv("EA_SHARED_FIXTURES");

    snprintf(path, sizeof(path), "%s", env && *env ? env : EA_SOURCE_DIR "/../shared/fixtures");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return path;
    return NULL;
}

static int fake_emit(void *ctx, const struct ea_fact *f)
{
    struct ea_fake_sink *fs = ctx;
    json_t *o;

    if (fs->fail_with < 0) return fs->fail_with;
    o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:O?}", "kind", f->kind,
                  "subject_name", f->subject_name, "subject_digest_alg", f->subject_digest_alg,
                  "subject_digest", f->subject_digest, "source_system", f->source_system,
                  "source_uri", f->source_uri, "result", ea_result_name(f->result), "summary",
                  f->summary, "data", f->data);
    if (!o) return EA_ENOMEM;
    json_array_append_new(fs->facts, o);
    return 0;
}

void ea_fake_sink_init(struct ea_fake_sink *fs)
{
    fs->sink.ctx = fs;
    fs->sink.emit = fake_emit;
    fs->facts = json_array();
    fs->fail_with = 0;
}

void ea_fake_sink_dispose(struct ea_fake_sink *fs)
{
    json_decref(fs->facts);
    fs->facts = NULL;
}

const struct ea_host *ea_test_host(void)
{
    static struct ea_host host;
    static struct ea_host_ctx ctx = {.collector_name = "test"};

    ea_registry_host_init(&host, &ctx);
    return &host;
}

#define SERVERS_MAX 8
static int live_servers[SERVERS_MAX];

static void kill_live_servers(void)
{
    for (int i = 0; i < SERVERS_MAX; i++) {
        if (live_servers[i] > 0) kill(-live_servers[i], SIGKILL);
    }
}

int ea_test_replay_start(struct ea_test_server *s, const char *routes_json)
{
    static int registered;
    char routes[4200], port_file[4200];
    pid_t pid;

    memset(s, 0, sizeof(*s));
    s->dir = ea_test_tmpdir();
    if (!s->dir) return -1;
    snprintf(routes, sizeof(routes), "%s/routes.json", s->dir);
    snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
    snprintf(s->log_path, sizeof(s->log_path), "%s/requests.log", s->dir);
    if (ea_test_write(routes, routes_json) < 0) return -1;
    if (!registered) {
        atexit(kill_live_servers);
        registered = 1;
    }
    pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        setpgid(0, 0);
        if (fd >= 0) dup2(fd, 1);
        execlp("python3", "python3", EA_SOURCE_DIR "/tests/testkit/replay_server.py", routes,
               port_file, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    s->pid = pid;
    for (int i = 0; i < SERVERS_MAX; i++) {
        if (live_servers[i] == 0) {
            live_servers[i] = pid;
            break;
        }
    }
    for (int tries = 0; tries < 200; tries++) { /* up to 10 s for Python to start */
        char *text = ea_test_slurp(port_file, NULL);
        if (text) {
            s->port = atoi(text);
            free(text);
            snprintf(s->base_url, sizeof(s->base_url), "http://127.0.0.1:%d", s->port);
            return s->port > 0 ? 0 : -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ea_test_server_stop(s);
    return -1;
}

void ea_test_server_stop(struct ea_test_server *s)
{
    if (s->pid > 0) {
        kill(-s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        for (int i = 0; i < SERVERS_MAX; i++) {
            if (live_servers[i] == s->pid) live_servers[i] = 0;
        }
    }
    s->pid = 0;
    ea_test_tmpdir_free(s->dir);
    s->dir = NULL;
}

int ea_test_closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = -1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}
