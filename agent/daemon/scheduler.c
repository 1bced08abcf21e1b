/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheduler: runs the configured collectors when they fall due, one at a
 * time, into the spool (collectors never wait on a store), and the drop
 * folder's pass (watch.h) the same way. First runs are spread over a few
 * seconds; each later run comes after its interval plus a random jitter.
 * When the spool is full, a due run is skipped and said so, and nothing
 * spooled is dropped. It sleeps on the stop signal: idle, nothing wakes it.
 */
#include "scheduler.h"

#include <stdio.h>
#include <string.h>

#include "../log.h"
#include "../util/error.h"
#include "../util/hash.h"
#include "../util/mem.h"
#include "../util/time.h"
#include "watch.h"

#define PAUSED_RETRY_US (10 * 1000000LL)
#define FIRST_RUN_SPREAD_US (3 * 1000000LL)

static int64_t jitter(int64_t max_us)
{
    return max_us > 0 ? (int64_t)(ea_random32() % (uint64_t)(max_us + 1)) : 0;
}

static void run_one(struct ea_scheduler *s, const struct ea_dcollector *dc)
{
    int64_t t0 = ea_time_now_us();
    unsigned unchanged = 0;
    int rc;

    if (strcmp(dc->name, "watch") == 0) {
        ea_watch_pass(s->rt, s->metrics, s->stop, dc);
        ea_runtime_trim();
        return;
    }
    rc = ea_runtime_collect(s->rt, dc, NULL, dc->name, NULL, NULL, &unchanged);
    ea_runtime_trim();
    if (rc < 0) {
        EA_LOG_ERROR(dc->id, "run failed after %lld ms: %s",
                     (long long)(ea_time_now_us() - t0) / 1000, ea_error_message(rc));
        ea_error_clear();
        ea_metrics_collected(s->metrics, dc->id, 0, false);
        return;
    }
    if (unchanged)
        EA_LOG_INFO(dc->id,
                    "run done: %d record%s spooled, %u fact%s unchanged (not recorded again; "
                    "record_unchanged: true records them) in %lld ms",
                    rc, rc == 1 ? "" : "s", unchanged, unchanged == 1 ? "" : "s",
                    (long long)(ea_time_now_us() - t0) / 1000);
    else
        EA_LOG_INFO(dc->id, "run done: %d record%s spooled in %lld ms", rc, rc == 1 ? "" : "s",
                    (long long)(ea_time_now_us() - t0) / 1000);
    ea_metrics_collected(s->metrics, dc->id, (unsigned)rc, true);
    if (unchanged) ea_metrics_unchanged(s->metrics, dc->id, unchanged);
}

/* The last start of collector id, or 0; set it with at_us > 0. Scheduler thread only. */
static int64_t last_run(struct ea_scheduler *s, const char *id, int64_t at_us)
{
    for (size_t i = 0; i < s->nlast_runs; i++) {
        if (strcmp(s->last_runs[i].id, id) != 0) continue;
        if (at_us) s->last_runs[i].at_us = at_us;
        return s->last_runs[i].at_us;
    }
    if (at_us) {
        struct ea_last_run *nv =
            ea_realloc(s->last_runs, (s->nlast_runs + 1) * sizeof(*s->last_runs));
        if (!nv) return 0;
        s->last_runs = nv;
        snprintf(nv[s->nlast_runs].id, sizeof(nv[s->nlast_runs].id), "%s", id);
        nv[s->nlast_runs++].at_us = at_us;
    }
    return at_us;
}

void ea_scheduler_run(struct ea_scheduler *s)
{
    const struct ea_dconfig *c = s->rt->cfg;
    int64_t *next = ea_calloc(c->ncollectors + 1, sizeof(*next));
    int64_t now = ea_time_now_us();
    bool was_full = false;

    if (!next) {
        EA_LOG_ERROR("scheduler", "out of memory: no collector will run");
        return;
    }
    /* The first runs come soon after start, spread over a few seconds (not a whole
     * jitter); after a reload, a collector that ran before keeps its rhythm. */
    for (size_t i = 0; i < c->ncollectors; i++) {
        const struct ea_dcollector *dc = &c->collectors[i];
        int64_t last = last_run(s, dc->id, 0);
        next[i] = last ? last + dc->interval_us + jitter(dc->jitter_us)
                       : now + jitter(dc->jitter_us < FIRST_RUN_SPREAD_US ? dc->jitter_us
                                                                          : FIRST_RUN_SPREAD_US);
    }
    while (!ea_stop_requested(s->stop)) {
        int64_t soonest = INT64_MAX;

        for (size_t i = 0; i < c->ncollectors && !ea_stop_requested(s->stop); i++) {
            const struct ea_dcollector *dc = &c->collectors[i];
            if ((now = ea_time_now_us()) < next[i]) continue;
            if (ea_spool_full(s->rt->spool)) {
                struct ea_spool_stats st;
                ea_spool_stats(s->rt->spool, &st);
                EA_LOG_ERROR(dc->id,
                             "spool full (%llu of %llu bytes waiting to ship): collection paused "
                             "until the stores catch up",
                             (unsigned long long)st.bytes, (unsigned long long)st.max_bytes);
                ea_metrics_paused(s->metrics, dc->id);
                next[i] =
                    now + (dc->interval_us < PAUSED_RETRY_US ? dc->interval_us : PAUSED_RETRY_US);
                was_full = true;
                continue;
            }
            if (was_full) {
                EA_LOG_WARN("scheduler", "spool below its limit again: collection resumes");
                was_full = false;
            }
            last_run(s, dc->id, now);
            run_one(s, dc);
            next[i] = now + dc->interval_us + jitter(dc->jitter_us);
        }
        for (size_t i = 0; i < c->ncollectors; i++)
            if (next[i] < soonest) soonest = next[i];
        if (soonest == INT64_MAX) soonest = ea_time_now_us() + 3600 * 1000000LL;
        ea_stop_sleep_until(s->stop, soonest); /* until the next one falls due, or stop */
    }
    ea_free(next);
}

void ea_scheduler_dispose(struct ea_scheduler *s)
{
    ea_free(s->last_runs);
    s->last_runs = NULL;
    s->nlast_runs = 0;
}
