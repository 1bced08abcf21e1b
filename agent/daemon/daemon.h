/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's shared state. Three threads work on it:
 *
 *   scheduler  runs the configured collectors when they fall due, one at a
 *              time, into the spool (collectors never wait on a store);
 *   shipper    ships spooled batches to every store, oldest first, with
 *              exponential backoff and jitter per store, forever;
 *   http       (libmicrohttpd's own thread) /healthz /readyz /metrics and
 *              POST /v1/ingest, which spools what neighbours send;
 *
 * and the main thread waits for signals: SIGHUP reloads (a new runtime is
 * prepared in full, and swapped in only when it is sound), SIGTERM and
 * SIGINT drain and exit 0.
 */
#ifndef EA_DAEMON_DAEMON_H
#define EA_DAEMON_DAEMON_H

#include <pthread.h>
#include <stdbool.h>

#include "../util/redact.h"
#include "../dsse.h"
#include "../store/store.h"
#include "dconfig.h"
#include "metrics.h"
#include "spool.h"

/** Everything a configuration needs at run time, prepared before it is used. */
struct ea_runtime {
    struct ea_dconfig *cfg;  /* owned */
    struct ea_key *key;      /* owned: signs records */
    struct ea_key **trusted; /* owned: what ingested envelopes must verify against */
    size_t ntrusted;
    struct ea_redactor *redactor; /* owned */
    struct ea_spool *spool;       /* owned */
    struct ea_store **stores;     /* owned: the shipper's, one per cfg->stores */
    struct ea_store *history;     /* owned: the scheduler's reader of stores[0], or NULL */
    char *ingest_token;           /* owned secret, or NULL when ingest is off */
    unsigned problems;            /* --check-config: stores that could not open (logged) */
};

/** When a collector (by id) last started: a reload keeps each one's rhythm. */
struct ea_last_run {
    char id[EA_STREAM_MAX + 1];
    int64_t at_us;
};

struct ea_daemon {
    struct ea_runtime *rt;    /* the running configuration */
    pthread_rwlock_t rt_lock; /* HTTP handlers read rt under it; a reload swaps rt under it */
    struct ea_metrics *metrics;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* the scheduler's wake-up */
    bool stopping;       /* under lock: threads finish what they do and return */
    pthread_t scheduler, shipper;
    bool threads_up;
    struct ea_last_run *last_runs; /* by collector id: kept across reloads (the schedule) */
    size_t nlast_runs;
    struct ea_http_server *http;
    unsigned short port; /* bound port (listen may ask for 0) */
};

/** True once stop was asked (threads poll it between units of work). */
bool ea_daemon_stopping(struct ea_daemon *d);

/**
 * Ready: the spool has room, and no store has been failing for longer than its
 * unready_after. why gets the reason, naming every failing store either way.
 */
bool ea_daemon_ready(struct ea_daemon *d, char *why, size_t cap);

/**
 * Runs one collector entry into the spool (also the drop folder's scan).
 * @param path overrides dc->arg when not NULL; tag, when not NULL, tags the batch.
 * @return records made, or a negative code (the message says why).
 */
int ea_daemon_collect(struct ea_daemon *d, const struct ea_dcollector *dc, const char *path,
                      const char *collector, const json_t *options, const char *tag);

/** The drop folder: one pass over dc->arg (watch.c). */
void ea_watch_pass(struct ea_daemon *d, const struct ea_dcollector *dc);

/** The HTTP server (serve.c). listen "HOST:PORT"; port gets the bound port. */
struct ea_http_server;
int ea_http_server_start(struct ea_http_server **out, struct ea_daemon *d, const char *listen,
                         unsigned short *port);
void ea_http_server_stop(struct ea_http_server *s);

#endif
