/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's counters and their Prometheus text exposition (format
 * 0.0.4). Series are labelled by collector id and store label; both come
 * from the configuration, never from a request. Thread-safe. Counters live
 * as long as the process, across reloads, as Prometheus expects.
 */
#ifndef EA_DAEMON_METRICS_H
#define EA_DAEMON_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/buf.h"
#include "spool.h"

struct ea_metrics;

/** @param out owned; ea_metrics_free. */
int ea_metrics_new(struct ea_metrics **out);
void ea_metrics_free(struct ea_metrics *m);

/** One collector run: records made, and whether it ended well. */
void ea_metrics_collected(struct ea_metrics *m, const char *collector, unsigned records, bool ok);
/** Facts of a run equal to the last record of their subject, not recorded again (a heartbeat). */
void ea_metrics_unchanged(struct ea_metrics *m, const char *collector, unsigned facts);
/** A run skipped because the spool is full. */
void ea_metrics_paused(struct ea_metrics *m, const char *collector);
/** One shipping attempt of a batch to a store. */
void ea_metrics_shipped(struct ea_metrics *m, const char *store, unsigned records, bool ok);
/** When the store's current run of failed attempts began (ea_time_now_us); 0 while it is up. */
int64_t ea_metrics_store_down_since(struct ea_metrics *m, const char *store);
/** One ingest request and its HTTP status; records is how many it spooled. */
void ea_metrics_ingest(struct ea_metrics *m, unsigned status, unsigned records);
/** One drop-folder file, moved to done/ (ok) or failed/. */
void ea_metrics_watched(struct ea_metrics *m, const char *collector, bool ok);

/** Appends the exposition to out. */
int ea_metrics_render(struct ea_metrics *m, const struct ea_spool_stats *spool, bool ready,
                      struct ea_buf *out);

#endif
