/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon: the sidecar's command and its lifecycle. Three workers run on a
 * runtime (runtime.h, everything one configuration needs):
 *
 *   scheduler  (scheduler.h) runs the configured collectors and the drop
 *              folder (watch.h) when they fall due, one at a time, into the
 *              spool (collectors never wait on a store);
 *   shipper    (shipper.h) ships spooled batches to every store, oldest
 *              first, with exponential backoff and jitter per store, forever;
 *   http       (http_server.h, libmicrohttpd's own thread) /healthz /readyz
 *              /metrics and POST /v1/ingest, which spools what neighbours send;
 *
 * and the main thread, here, waits for signals: SIGHUP reloads (a new
 * runtime is prepared in full, and swapped in only when it is sound),
 * SIGTERM and SIGINT drain and exit 0. The workers know nothing of this
 * file: they get the runtime, the metrics and the stop signal (stop.h) as
 * arguments. What the daemon promises:
 *
 * - A record is spooled durably (fsync, rename) before anything else
 *   happens to it, and leaves the spool only once every store confirmed it.
 * - Shipping never blocks collection, and retries forever, with capped
 *   exponential backoff and full jitter, per store.
 * - When the spool reaches its limit, collection pauses (an error line per
 *   skipped run, evidence_agent_spool_full 1, /readyz 503); nothing already
 *   spooled is dropped. Ingest answers 503 then, so neighbours retry.
 * - Idle, it sleeps on condition variables: no polling loop wakes it.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../cli.h"
#include "../commands.h"
#include "../log.h"
#include "../pipeline.h"
#include "../registry.h"
#include "../util/error.h"
#include "../util/git2.h"
#include "../util/mem.h"
#include "../util/time.h"
#include "http_server.h"
#include "metrics.h"
#include "runtime.h"
#include "scheduler.h"
#include "shipper.h"
#include "stop.h"

/* The daemon's state: the running runtime and the workers on it. */
struct ea_daemon {
    struct ea_runtime *rt;      /* owned: the running configuration */
    pthread_rwlock_t rt_lock;   /* HTTP handlers read rt under it; a reload swaps rt under it */
    struct ea_metrics *metrics; /* owned: kept across reloads */
    struct ea_stop stop;        /* the scheduler's and the shipper's */
    struct ea_scheduler sched;  /* its last starts are kept across reloads (the schedule) */
    pthread_t scheduler, shipper;
    bool threads_up;
    struct ea_http_server *http;
    unsigned short port; /* bound port (listen may ask for 0) */
};

static const struct ea_cli_opt opts[] = {
    {"config", EA_CLI_VALUE, "FILE", "the daemon's configuration (YAML or JSON)"},
    {"check-config", EA_CLI_FLAG, NULL,
     "check the configuration, each collector's init and each store (read-only), then exit"},
    {"offline", EA_CLI_FLAG, NULL, "with --check-config: do not contact the stores"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "daemon",
    .usage = "--config FILE [--check-config [--offline]]",
    .summary = "Runs as a sidecar: scheduled collectors, a drop folder and an ingest endpoint "
               "feed a durable spool that is shipped to every configured store.",
    .opts = opts,
    .details = "Signals: SIGHUP reloads the configuration (an invalid one is refused and the\n"
               "running one kept); SIGTERM and SIGINT finish the work in flight (within\n"
               "agent.drain_timeout) and exit 0. Logs are JSON lines on stderr.\n"
               "HTTP (agent.listen): GET /healthz, /readyz, /metrics; POST /v1/ingest.\n"
               "--check-config also runs each collector's init and contacts each store\n"
               "read-only (not with --offline), naming every problem with its line.\n"
               "Exit status: 0 after a signal or a good --check-config, 1 runtime failure\n"
               "(with --check-config: a store that did not answer),\n"
               "2 configuration error. Every key is documented in the README.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_daemon_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

static void *scheduler_main(void *arg)
{
    struct ea_daemon *d = arg;

    ea_scheduler_run(&d->sched);
    return NULL;
}

static void *shipper_main(void *arg)
{
    struct ea_daemon *d = arg;

    ea_shipper_run(d->rt, d->metrics, &d->stop);
    return NULL;
}

static int start(struct ea_daemon *d)
{
    const struct ea_dconfig *c = d->rt->cfg;
    const struct ea_http_server_deps deps = {&d->rt, &d->rt_lock, d->metrics};
    int rc = 0;

    ea_stop_clear(&d->stop);
    d->sched.rt = d->rt;
    d->sched.metrics = d->metrics;
    d->sched.stop = &d->stop;
    ea_log_set_level(c->log_level);
    ea_log_set_redactor(d->rt->redactor);
    if (c->listen && !d->http &&
        (rc = ea_http_server_start(&d->http, &deps, c->listen, &d->port)) < 0)
        return rc;
    if (pthread_create(&d->scheduler, NULL, scheduler_main, d) != 0) {
        ea_http_server_stop(d->http);
        d->http = NULL;
        return ea_fail(EA_ERROR, "cannot start the scheduler thread");
    }
    if (pthread_create(&d->shipper, NULL, shipper_main, d) != 0) {
        ea_stop_request(&d->stop);
        pthread_join(d->scheduler, NULL);
        ea_http_server_stop(d->http);
        d->http = NULL;
        return ea_fail(EA_ERROR, "cannot start the shipper thread");
    }
    d->threads_up = true;
    {
        struct ea_spool_stats st;
        ea_spool_stats(d->rt->spool, &st);
        EA_LOG_INFO("daemon",
                    "started: agent %s, %zu collector%s, %zu store%s, spool %s (%llu batch%s "
                    "pending)",
                    c->agent_id, c->ncollectors, c->ncollectors == 1 ? "" : "s", c->nstores,
                    c->nstores == 1 ? "" : "s", c->spool, (unsigned long long)st.batches,
                    st.batches == 1 ? "" : "es");
        if (d->http) EA_LOG_INFO("http", "listening on %s (port %u)", c->listen, (unsigned)d->port);
    }
    return 0;
}

/* Thread exit flags for a bounded join. */
struct joiner {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
};

struct join_arg {
    struct joiner *j;
    pthread_t t;
};

static void *join_one(void *arg)
{
    struct join_arg *a = arg;

    pthread_join(a->t, NULL);
    pthread_mutex_lock(&a->j->lock);
    a->j->done++;
    pthread_cond_broadcast(&a->j->cond);
    pthread_mutex_unlock(&a->j->lock);
    return NULL;
}

/*
 * Stops the threads: each finishes the unit of work in hand (a collector
 * run, a batch) and returns. @return true when both returned within
 * timeout_us (then the runtime may be freed), false otherwise.
 */
static bool stop(struct ea_daemon *d, int64_t timeout_us, bool keep_http)
{
    struct joiner j = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    struct join_arg a[2] = {{&j, d->scheduler}, {&j, d->shipper}};
    pthread_t w[2];
    struct timespec until;
    int64_t end = ea_time_now_us() + timeout_us;
    bool all;

    ea_stop_request(&d->stop);
    ea_spool_wake(d->rt->spool); /* the shipper sleeps on its spool */
    if (!keep_http) {
        ea_http_server_stop(d->http); /* finishes the request in hand */
        d->http = NULL;
    }
    if (!d->threads_up) return true;
    for (int i = 0; i < 2; i++) {
        pthread_create(&w[i], NULL, join_one, &a[i]);
        pthread_detach(w[i]);
    }
    until.tv_sec = (time_t)(end / 1000000);
    until.tv_nsec = (long)(end % 1000000) * 1000;
    pthread_mutex_lock(&j.lock);
    while (j.done < 2)
        if (pthread_cond_timedwait(&j.cond, &j.lock, &until) == ETIMEDOUT) break;
    all = j.done == 2;
    pthread_mutex_unlock(&j.lock);
    if (all) d->threads_up = false;
    return all;
}

/* One problem found by --check-config, on stderr with the file and line of its entry. */
static void check_problem(const char *path, long line, const char *what, const char *why)
{
    char at[64] = "";

    if (line) snprintf(at, sizeof(at), ":%ld", line);
    ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s%s: %s: %s", path, at, what, why);
}

/*
 * --check-config: the file (keys, types, names, options), then every
 * collector's init (its argument and options, no network), then, unless
 * offline, one read-only request to each store. Every problem is named with
 * the line of its entry; the first one's code is the exit status (2 for the
 * configuration, 1 for a store that does not answer).
 */
static int check_config(const char *path, bool offline)
{
    struct ea_runtime *rt;
    int rc = ea_runtime_prepare(&rt, path, EA_RUNTIME_CHECK);
    unsigned problems = 0;
    char what[160];

    if (rc < 0) return rc;
    if ((problems = rt->problems) > 0) rc = EA_ECONFIG; /* stores that cannot open: named */
    for (size_t i = 0; i < rt->cfg->ncollectors; i++) {
        const struct ea_dcollector *dc = &rt->cfg->collectors[i];
        const struct ea_collector *c;
        struct ea_instance in;
        int crc;
        if (strcmp(dc->name, "watch") == 0) { /* made when missing; a file there cannot be */
            struct stat st;
            crc =
                stat(dc->arg, &st) == 0 && !S_ISDIR(st.st_mode)
                    ? ea_fail(EA_ECONFIG, "%s: not a folder (the drop folder must be one)", dc->arg)
                    : 0;
        } else {
            crc = ea_registry_find(&c, dc->name);
            if (crc == 0) crc = ea_instance_open(&in, c, dc->arg, dc->options);
            if (crc == 0) ea_instance_close(&in);
        }
        if (crc == 0) continue;
        snprintf(what, sizeof(what), "collectors.%zu (%s)", i, dc->id);
        check_problem(path, dc->line, what, ea_error_message(crc));
        ea_error_clear();
        if (!problems++) rc = crc == EA_ENOMEM ? crc : EA_ECONFIG;
    }
    for (size_t i = 0; !offline && i < rt->cfg->nstores; i++) {
        int src;
        if (!rt->stores[i]) continue; /* a folder not made yet: the daemon makes it */
        if ((src = ea_store_probe(rt->stores[i])) == 0) continue;
        snprintf(what, sizeof(what), "stores.%zu (%s)", i, rt->cfg->stores[i].label);
        check_problem(path, rt->cfg->stores[i].line, what, ea_error_message(src));
        ea_error_clear();
        if (!problems++)
            rc = src == EA_ENOMEM ? src : ea_exit_status(src) == 2 ? EA_ECONFIG : EA_ERROR;
    }
    if (problems) {
        rc = ea_fail(rc, "%s: %u problem%s (named above)%s", path, problems,
                     problems == 1 ? "" : "s",
                     offline ? "" : "; --offline checks the file without contacting the stores");
        ea_runtime_free(rt);
        return rc;
    }
    printf("%s: ok: agent %s, %zu collector%s, %zu store%s%s, spool %s%s%s\n", path,
           rt->cfg->agent_id, rt->cfg->ncollectors, rt->cfg->ncollectors == 1 ? "" : "s",
           rt->cfg->nstores, rt->cfg->nstores == 1 ? "" : "s",
           offline ? " (not contacted: --offline)" : " (each answered)", rt->cfg->spool,
           rt->cfg->listen ? ", listen " : "", rt->cfg->listen ? rt->cfg->listen : "");
    ea_runtime_free(rt);
    return 0;
}

static int reload(struct ea_daemon *d, const char *path)
{
    struct ea_runtime *fresh, *old = d->rt;
    bool keep_http;
    int rc = ea_runtime_prepare(&fresh, path, EA_RUNTIME_RELOAD);

    if (rc < 0) {
        EA_LOG_ERROR("daemon", "reload refused, the running configuration is kept: %s",
                     ea_error_message(rc));
        ea_error_clear();
        return rc;
    }
    /* The HTTP server keeps running (and its port) unless the address changed. */
    keep_http = d->http && fresh->cfg->listen && old->cfg->listen &&
                strcmp(fresh->cfg->listen, old->cfg->listen) == 0;
    if (!stop(d, INT64_MAX / 2, keep_http)) return EA_ERROR; /* unreachable: unbounded wait */
    /* one step under the write lock: a kept HTTP server uses the runtime's spool */
    pthread_rwlock_wrlock(&d->rt_lock);
    rc = ea_runtime_hand_over_spool(fresh, old);
    if (rc == 0) {
        d->rt = fresh;
        ea_log_set_redactor(fresh->redactor);
    }
    pthread_rwlock_unlock(&d->rt_lock);
    if (rc < 0) {
        EA_LOG_ERROR("daemon", "reload refused, the running configuration is kept: %s",
                     ea_error_message(rc));
        ea_error_clear();
        ea_runtime_free(fresh);
        return start(d) < 0 ? EA_ERROR : rc;
    }
    if ((rc = start(d)) < 0) {
        EA_LOG_ERROR("daemon", "the new configuration did not start (%s): back to the old one",
                     ea_error_message(rc));
        ea_error_clear();
        pthread_rwlock_wrlock(&d->rt_lock);
        ea_runtime_hand_back_spool(old, fresh);
        d->rt = old;
        ea_log_set_redactor(old->redactor);
        pthread_rwlock_unlock(&d->rt_lock);
        ea_runtime_free(fresh);
        if ((rc = start(d)) < 0) return rc;
        return 0;
    }
    ea_runtime_free(old);
    EA_LOG_INFO("daemon", "configuration reloaded from %s", path);
    return 0;
}

int ea_cmd_daemon(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_daemon d;
    const char *path;
    sigset_t set;
    int rc;

    memset(&d, 0, sizeof(d));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    path = ea_cli_value(&a, &cmd, "config");
    if (!path) {
        rc = ea_fail(EA_EUSAGE, "daemon needs --config FILE (see the README for an example)");
        goto out;
    }
    if (ea_cli_flag(&a, &cmd, "check-config")) {
        rc = check_config(path, ea_cli_flag(&a, &cmd, "offline"));
        goto out;
    }
    ea_log_set_json(true);
#ifdef M_ARENA_MAX
    /* One malloc arena for all threads: the daemon's threads take turns, and a
     * per-thread arena would keep its pages for the life of the process. */
    mallopt(M_ARENA_MAX, 1);
#endif
    ea_git2_unload_idle(true); /* a collector's libgit2 leaves with its run */
    /* Signals are taken by this thread alone, with sigwait; the others never see them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    ea_stop_init(&d.stop);
    pthread_rwlock_init(&d.rt_lock, NULL);
    if ((rc = ea_metrics_new(&d.metrics)) < 0) goto out;
    if ((rc = ea_runtime_prepare(&d.rt, path, EA_RUNTIME_START)) < 0) goto out;
    if ((rc = start(&d)) < 0) goto out;
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            EA_LOG_INFO("daemon", "SIGHUP: reloading %s", path);
            if (reload(&d, path) < 0 && !d.threads_up) {
                rc = EA_ERROR;
                break;
            }
            continue;
        }
        EA_LOG_INFO("daemon", "%s: draining (up to %lld ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                    (long long)d.rt->cfg->drain_timeout_us / 1000);
        if (!stop(&d, d.rt->cfg->drain_timeout_us, false)) {
            struct ea_spool_stats st;
            ea_spool_stats(d.rt->spool, &st);
            EA_LOG_WARN("daemon",
                        "drain timed out: exiting with the work in hand unfinished (%llu "
                        "spooled batch%s resume at the next start)",
                        (unsigned long long)st.batches, st.batches == 1 ? "" : "es");
            ea_log_set_redactor(NULL);
            _Exit(0); /* the threads still hold the runtime: do not free it under them */
        }
        {
            struct ea_spool_stats st;
            ea_spool_stats(d.rt->spool, &st);
            EA_LOG_INFO("daemon", "stopped; %llu batch%s wait in the spool for the next start",
                        (unsigned long long)st.batches, st.batches == 1 ? "" : "es");
        }
        rc = 0;
        break;
    }
out:
    if (d.threads_up || d.http) stop(&d, INT64_MAX / 2, false);
    ea_log_set_redactor(NULL);
    ea_runtime_free(d.rt);
    ea_metrics_free(d.metrics);
    ea_scheduler_dispose(&d.sched);
    ea_cli_args_dispose(&a);
    return rc;
}
