/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters behind /metrics: see metrics.h. A handful of series, found by a
 * linear search: there are at most a few hundred collectors and stores.
 */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <evidence/version.h>

#include "../util/error.h"
#include "../util/mem.h"
#include "../util/time.h"

#define LABEL_MAX 200
#define STATUSES_MAX 16

struct series {
    char label[LABEL_MAX];
    bool is_store;
    uint64_t records, failures, paused, watched_done, watched_failed, unchanged;
    int64_t last_success_us;   /* 0: never */
    int64_t last_unchanged_us; /* the last run that found its facts unchanged; 0: never */
    bool down;                 /* the last attempt failed */
    int64_t down_since_us;     /* the first failure since the last success; 0 while up */
};

struct ea_metrics {
    pthread_mutex_t lock;
    struct series *v;
    size_t n, cap;
    struct {
        unsigned status;
        uint64_t count;
    } ingest[STATUSES_MAX];
    uint64_t ingested_records;
    int64_t started_us;
};

int ea_metrics_new(struct ea_metrics **out)
{
    struct ea_metrics *m = ea_calloc(1, sizeof(*m));

    *out = m;
    if (!m) return ea_fail(EA_ENOMEM, "out of memory");
    pthread_mutex_init(&m->lock, NULL);
    m->started_us = ea_time_now_us();
    return 0;
}

void ea_metrics_free(struct ea_metrics *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    ea_free(m->v);
    ea_free(m);
}

/* The series of label (created on first use); NULL when out of memory. Under the lock. */
/* A label as exposed: cut to LABEL_MAX, nothing a label value would need escaped. */
static void clean_label(char out[LABEL_MAX], const char *label)
{
    snprintf(out, LABEL_MAX, "%s", label);
    for (char *c = out; *c; c++)
        if (*c == '"' || *c == '\\' || *c == '\n') *c = '_';
}

static struct series *find(struct ea_metrics *m, const char *label, bool is_store)
{
    char clean[LABEL_MAX];

    clean_label(clean, label);
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].is_store == is_store && strcmp(m->v[i].label, clean) == 0) return &m->v[i];
    if (m->n == m->cap) {
        struct series *nv = ea_realloc(m->v, (m->cap ? m->cap * 2 : 8) * sizeof(*nv));
        if (!nv) return NULL;
        m->v = nv;
        m->cap = m->cap ? m->cap * 2 : 8;
    }
    memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
    snprintf(m->v[m->n].label, LABEL_MAX, "%s", clean);
    m->v[m->n].is_store = is_store;
    return &m->v[m->n++];
}

void ea_metrics_collected(struct ea_metrics *m, const char *collector, unsigned records, bool ok)
{
    struct series *s;

    pthread_mutex_lock(&m->lock);
    if ((s = find(m, collector, false))) {
        s->records += records;
        if (ok)
            s->last_success_us = ea_time_now_us();
        else
            s->failures++;
    }
    pthread_mutex_unlock(&m->lock);
}

void ea_metrics_unchanged(struct ea_metrics *m, const char *collector, unsigned facts)
{
    struct series *s;

    pthread_mutex_lock(&m->lock);
    if ((s = find(m, collector, false))) {
        s->unchanged += facts;
        s->last_unchanged_us = ea_time_now_us();
    }
    pthread_mutex_unlock(&m->lock);
}

void ea_metrics_paused(struct ea_metrics *m, const char *collector)
{
    struct series *s;

    pthread_mutex_lock(&m->lock);
    if ((s = find(m, collector, false))) s->paused++;
    pthread_mutex_unlock(&m->lock);
}

void ea_metrics_shipped(struct ea_metrics *m, const char *store, unsigned records, bool ok)
{
    struct series *s;

    pthread_mutex_lock(&m->lock);
    if ((s = find(m, store, true))) {
        s->down = !ok;
        if (!ok && !s->down_since_us) s->down_since_us = ea_time_now_us();
        if (ok) s->down_since_us = 0;
        if (ok) {
            s->records += records;
            s->last_success_us = ea_time_now_us();
        } else {
            s->failures++;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

int64_t ea_metrics_store_down_since(struct ea_metrics *m, const char *store)
{
    int64_t since = 0;
    char clean[LABEL_MAX];

    clean_label(clean, store);
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].is_store && strcmp(m->v[i].label, clean) == 0) since = m->v[i].down_since_us;
    pthread_mutex_unlock(&m->lock);
    return since;
}

void ea_metrics_ingest(struct ea_metrics *m, unsigned status, unsigned records)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < STATUSES_MAX; i++) {
        if (m->ingest[i].status == status || m->ingest[i].status == 0) {
            m->ingest[i].status = status;
            m->ingest[i].count++;
            break;
        }
    }
    m->ingested_records += records;
    pthread_mutex_unlock(&m->lock);
}

void ea_metrics_watched(struct ea_metrics *m, const char *collector, bool ok)
{
    struct series *s;

    pthread_mutex_lock(&m->lock);
    if ((s = find(m, collector, false))) {
        if (ok)
            s->watched_done++;
        else
            s->watched_failed++;
    }
    pthread_mutex_unlock(&m->lock);
}

/* One family: HELP, TYPE, then a sample per matching series. */
static int family(struct ea_buf *out, struct ea_metrics *m, const char *name, const char *type,
                  const char *help, bool stores, int which)
{
    int rc = ea_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);

    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        const struct series *s = &m->v[i];
        if (s->is_store != stores) continue;
        if (which == 4 && s->last_success_us == 0) continue;
        if (which == 7 && s->last_unchanged_us == 0) continue;
        switch (which) {
        case 0:
            rc = ea_buf_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name,
                               stores ? "store" : "collector", s->label, s->records);
            break;
        case 1:
            rc = ea_buf_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name,
                               stores ? "store" : "collector", s->label, s->failures);
            break;
        case 2:
            rc =
                ea_buf_printf(out, "%s{collector=\"%s\"} %" PRIu64 "\n", name, s->label, s->paused);
            break;
        case 3:
            rc = ea_buf_printf(out, "%s{store=\"%s\"} %d\n", name, s->label, s->down ? 0 : 1);
            break;
        case 4:
            rc = ea_buf_printf(out, "%s{%s=\"%s\"} %.3f\n", name, stores ? "store" : "collector",
                               s->label, (double)s->last_success_us / 1e6);
            break;
        case 5:
            rc = ea_buf_printf(out,
                               "%s{collector=\"%s\",outcome=\"done\"} %" PRIu64
                               "\n%s{collector=\"%s\",outcome=\"failed\"} %" PRIu64 "\n",
                               name, s->label, s->watched_done, name, s->label, s->watched_failed);
            break;
        case 6:
            rc = ea_buf_printf(out, "%s{collector=\"%s\"} %" PRIu64 "\n", name, s->label,
                               s->unchanged);
            break;
        case 7:
            rc = ea_buf_printf(out, "%s{collector=\"%s\"} %.3f\n", name, s->label,
                               (double)s->last_unchanged_us / 1e6);
            break;
        default: break;
        }
    }
    return rc;
}

int ea_metrics_render(struct ea_metrics *m, const struct ea_spool_stats *sp, bool ready,
                      struct ea_buf *out)
{
    int rc;

    pthread_mutex_lock(&m->lock);
    rc = ea_buf_printf(out,
                       "# HELP evidence_agent_build_info The agent's version.\n"
                       "# TYPE evidence_agent_build_info gauge\n"
                       "evidence_agent_build_info{version=\"%s\"} 1\n"
                       "# HELP evidence_agent_start_time_seconds When the daemon started.\n"
                       "# TYPE evidence_agent_start_time_seconds gauge\n"
                       "evidence_agent_start_time_seconds %.3f\n",
                       EA_VERSION, (double)m->started_us / 1e6);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_records_collected_total", "counter",
                    "Records made by a collector and spooled.", false, 0);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_collector_failures_total", "counter",
                    "Collector runs that failed.", false, 1);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_collector_paused_total", "counter",
                    "Collector runs skipped because the spool was full.", false, 2);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_collector_last_success_timestamp_seconds", "gauge",
                    "When a collector last ran without error.", false, 4);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_collector_unchanged_total", "counter",
                    "Facts found equal to the last record of their subject and not recorded "
                    "again (a heartbeat; record_unchanged: true records them).",
                    false, 6);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_collector_last_unchanged_timestamp_seconds", "gauge",
                    "When a collector last found its facts unchanged.", false, 7);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_watch_files_total", "counter",
                    "Drop-folder files moved to done/ or failed/.", false, 5);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_records_shipped_total", "counter",
                    "Records (and stream heads) a store confirmed.", true, 0);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_ship_failures_total", "counter",
                    "Shipping attempts that failed (each is retried).", true, 1);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_store_up", "gauge",
                    "1 unless the last attempt to ship to the store failed.", true, 3);
    if (rc == 0)
        rc = family(out, m, "evidence_agent_store_last_success_timestamp_seconds", "gauge",
                    "When a store last confirmed a batch.", true, 4);
    if (rc == 0)
        rc = ea_buf_printf(
            out, "# HELP evidence_agent_ingest_requests_total Ingest requests by status.\n"
                 "# TYPE evidence_agent_ingest_requests_total counter\n");
    for (size_t i = 0; rc == 0 && i < STATUSES_MAX && m->ingest[i].status; i++)
        rc = ea_buf_printf(out, "evidence_agent_ingest_requests_total{code=\"%u\"} %" PRIu64 "\n",
                           m->ingest[i].status, m->ingest[i].count);
    if (rc == 0)
        rc = ea_buf_printf(
            out,
            "# HELP evidence_agent_records_ingested_total Records accepted by /v1/ingest.\n"
            "# TYPE evidence_agent_records_ingested_total counter\n"
            "evidence_agent_records_ingested_total %" PRIu64 "\n"
            "# HELP evidence_agent_spool_batches Batches waiting in the spool.\n"
            "# TYPE evidence_agent_spool_batches gauge\n"
            "evidence_agent_spool_batches %" PRIu64 "\n"
            "# HELP evidence_agent_spool_records Records waiting in the spool.\n"
            "# TYPE evidence_agent_spool_records gauge\n"
            "evidence_agent_spool_records %" PRIu64 "\n"
            "# HELP evidence_agent_spool_bytes Bytes waiting in the spool.\n"
            "# TYPE evidence_agent_spool_bytes gauge\n"
            "evidence_agent_spool_bytes %" PRIu64 "\n"
            "# HELP evidence_agent_spool_limit_bytes The spool's size limit.\n"
            "# TYPE evidence_agent_spool_limit_bytes gauge\n"
            "evidence_agent_spool_limit_bytes %" PRIu64 "\n"
            "# HELP evidence_agent_spool_full 1 while the spool is full and collection paused.\n"
            "# TYPE evidence_agent_spool_full gauge\n"
            "evidence_agent_spool_full %d\n"
            "# HELP evidence_agent_ready 1 when /readyz answers 200.\n"
            "# TYPE evidence_agent_ready gauge\n"
            "evidence_agent_ready %d\n",
            m->ingested_records, sp->batches, sp->records, sp->bytes, sp->max_bytes,
            sp->full ? 1 : 0, ready ? 1 : 0);
    pthread_mutex_unlock(&m->lock);
    return rc < 0 ? ea_fail(EA_ENOMEM, "out of memory") : 0;
}
