/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's stop signal: one flag under a lock, and a condition the
 * scheduler sleeps on, so a stop (shutdown or reload) wakes a sleeping worker
 * at once and a worker polls it between units of work. It knows nothing of
 * threads or of what they do; the shipper sleeps on its spool instead, which
 * daemon.c wakes as well.
 */
#ifndef EA_DAEMON_STOP_H
#define EA_DAEMON_STOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/** A stop signal. Caller's storage: ea_stop_init, then ea_stop_dispose. */
struct ea_stop {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping; /* under lock */
};

/** Initialises s, not stopping. */
void ea_stop_init(struct ea_stop *s);
/** Releases what ea_stop_init made; no thread may use s any more. */
void ea_stop_dispose(struct ea_stop *s);
/** Clears the flag: the workers about to start run until the next request. */
void ea_stop_clear(struct ea_stop *s);
/** Sets the flag and wakes every sleeper. */
void ea_stop_request(struct ea_stop *s);
/** True once a stop was asked. */
bool ea_stop_requested(struct ea_stop *s);
/** Sleeps until until_us (microseconds since the epoch) or a stop, whichever comes first. */
void ea_stop_sleep_until(struct ea_stop *s, int64_t until_us);

#endif
