/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler: runs a runtime's collectors when they fall due, one at a
 * time, into its spool, until a stop is asked. What it keeps across reloads
 * is when each collector last started, so a reload keeps each one's rhythm.
 * daemon.c gives it its thread.
 */
#ifndef EA_DAEMON_SCHEDULER_H
#define EA_DAEMON_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "runtime.h"
#include "stop.h"

/** When a collector (by id) last started. */
struct ea_last_run {
    char id[EA_STREAM_MAX + 1];
    int64_t at_us;
};

/** The scheduler's state. Caller's storage, zeroed; ea_scheduler_dispose frees. */
struct ea_scheduler {
    struct ea_runtime *rt;         /* borrowed: set before each run, fixed while it runs */
    struct ea_metrics *metrics;    /* borrowed */
    struct ea_stop *stop;          /* borrowed: ea_scheduler_run returns once it is asked */
    struct ea_last_run *last_runs; /* owned, by collector id: kept across reloads */
    size_t nlast_runs;
};

/** Runs the collectors of s->rt as they fall due, until s->stop is asked. */
void ea_scheduler_run(struct ea_scheduler *s);

/** Frees what the runs kept (the last starts); s may be run again afterwards. */
void ea_scheduler_dispose(struct ea_scheduler *s);

#endif
