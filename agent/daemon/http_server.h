/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's HTTP server (libmicrohttpd): GET /healthz, /readyz, /metrics
 * and POST /v1/ingest, which spools what neighbours send. It reads the
 * running runtime under a read lock the daemon holds for writing while it
 * swaps runtimes, so a request sees one runtime from start to end.
 */
#ifndef EA_DAEMON_HTTP_SERVER_H
#define EA_DAEMON_HTTP_SERVER_H

#include <pthread.h>

#include "metrics.h"
#include "runtime.h"

/** A running server. Opaque. */
struct ea_http_server;

/** What the server reads, all borrowed from the daemon for the server's life. */
struct ea_http_server_deps {
    struct ea_runtime *const *rt; /* the running runtime; replaced only under rt_lock */
    pthread_rwlock_t *rt_lock;    /* taken for reading around every request */
    struct ea_metrics *metrics;
};

/**
 * Starts serving on listen ("HOST:PORT", "[V6]:PORT"; port 0 picks one).
 * @param out  owned on success; stop with ea_http_server_stop.
 * @param deps copied; what it points to must outlive the server.
 * @param port out: the bound port.
 * @return 0, or EA_ECONFIG naming the address (unresolvable, in use, not this host's).
 */
int ea_http_server_start(struct ea_http_server **out, const struct ea_http_server_deps *deps,
                         const char *listen, unsigned short *port);

/** Finishes the request in hand, stops serving and frees s; accepts NULL. */
void ea_http_server_stop(struct ea_http_server *s);

#endif
