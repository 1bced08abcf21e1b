/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shipper: ships a runtime's spooled batches to each of its stores until
 * a stop is asked, and writes the agent's checkpoints. It owns the retries
 * on the daemon's path to its stores (see shipper.c). daemon.c gives it its
 * thread and wakes it through the spool (ea_spool_wake) when stopping.
 */
#ifndef EA_DAEMON_SHIPPER_H
#define EA_DAEMON_SHIPPER_H

#include "metrics.h"
#include "runtime.h"
#include "stop.h"

/**
 * Ships until stop is asked; then writes one last checkpoint when they are
 * configured. @param rt, metrics, stop borrowed; rt is fixed while it runs.
 */
void ea_shipper_run(struct ea_runtime *rt, struct ea_metrics *metrics, struct ea_stop *stop);

#endif
