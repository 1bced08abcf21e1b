/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drop folder (the "watch" collector entry): each regular file in the
 * folder is ingested exactly once, into the runtime's spool, then moved to
 * done/ or failed/ (see watch.c for the exactly-once rule). The scheduler
 * runs one pass when the entry falls due.
 */
#ifndef EA_DAEMON_WATCH_H
#define EA_DAEMON_WATCH_H

#include "dconfig.h"
#include "metrics.h"
#include "runtime.h"
#include "stop.h"

/**
 * One pass over the folder dc->arg; stops early when stop is asked or the
 * spool fills (the rest waits for the next pass). Failures are logged and
 * counted in metrics, never returned. All parameters borrowed.
 */
void ea_watch_pass(struct ea_runtime *rt, struct ea_metrics *metrics, struct ea_stop *stop,
                   const struct ea_dcollector *dc);

#endif
