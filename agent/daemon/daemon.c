/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon: the sidecar. See daemon.h for its threads. What it promises:
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
#include "daemon.h"

#include <errno.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../cli.h"
#include "../commands.h"
#include "../config.h"
#include "../util/error.h"
#include "../integrity.h"
#include "../log.h"
#include "../pipeline.h"
#include "../registry.h"
#include "../schema.h"
#include "../util/fs.h"
#include "../util/git2.h"
#include "../util/http.h"
#include "../util/mem.h"
#include "../util/time.h"

#define SHIP_BACKOFF_BASE_MS 1000
#define SHIP_BACKOFF_CAP_MS (5 * 60 * 1000)
#define IDLE_WAIT_MS (60 * 1000)
#define PAUSED_RETRY_US (10 * 1000000LL)
#define FIRST_RUN_SPREAD_US (3 * 1000000LL)

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

static uint32_t random32(void)
{
    uint32_t r = 0;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) r = (uint32_t)time(NULL);
    return r;
}

/* ---- the runtime: everything a configuration needs, prepared in full ---- */

static void runtime_free(struct ea_runtime *rt)
{
    if (!rt) return;
    if (rt->stores)
        for (size_t i = 0; i < rt->cfg->nstores; i++) ea_store_close(rt->stores[i]);
    ea_free(rt->stores);
    ea_store_close(rt->history);
    ea_spool_close(rt->spool);
    ea_config_keys_free(rt->trusted, rt->ntrusted);
    ea_key_free(rt->key);
    ea_redactor_free(rt->redactor);
    if (rt->ingest_token) ea_free_secret(rt->ingest_token, strlen(rt->ingest_token));
    ea_dconfig_free(rt->cfg);
    ea_free(rt);
}

static int load_key(struct ea_runtime *rt)
{
    const struct ea_dconfig *c = rt->cfg;
    const char *pem;

    if (c->key_path) return ea_key_load_private_file(&rt->key, c->key_path);
    if (!c->key_env) return ea_config_signing_key(&rt->key, NULL);
    if (!(pem = ea_config_env(c->key_env)))
        return ea_fail(EA_ECONFIG, "%s: signing.key_env names %s, which is unset or empty", c->path,
                       c->key_env);
    return ea_key_load_private_pem(&rt->key, pem, strlen(pem), c->key_env);
}

/* True when the store can be read back (file and s3), so collectors can see history. */
static bool readable(const char *url)
{
    return strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0;
}

/* What runtime_prepare is for. */
enum prepare_mode {
    PREPARE_CHECK,  /* --check-config: create nothing, open no spool */
    PREPARE_START,  /* the first start: everything, the spool included */
    PREPARE_RELOAD, /* SIGHUP: everything but the spool, which the running threads still use */
};

/* Loads path and prepares everything it names (see prepare_mode). */
static int runtime_prepare(struct ea_runtime **out, const char *path, enum prepare_mode mode)
{
    bool with_spool = mode == PREPARE_START, check = mode == PREPARE_CHECK;
    struct ea_runtime *rt = ea_calloc(1, sizeof(*rt));
    struct ea_dconfig *c;
    int rc;

    *out = NULL;
    if (!rt) return ea_fail(EA_ENOMEM, "out of memory");
    if ((rc = ea_dconfig_load(&rt->cfg, path)) < 0) goto out;
    c = rt->cfg;
    if ((rc = load_key(rt)) < 0) goto out;
    if ((rc = ea_config_public_keys(&rt->trusted, (const char *const *)c->trusted_keys,
                                    c->ntrusted)) < 0) {
        if (c->trusted_line) ea_fail_prefix("%s:%ld: agent.trusted_keys", path, c->trusted_line);
        else ea_fail_prefix("%s: agent.trusted_keys", path);
        goto out;
    }
    rt->ntrusted = c->ntrusted;
    if ((rc = ea_config_redactor(&rt->redactor, (const char *const *)c->redact_env, c->nredact)) <
        0)
        goto out;
    if (c->ingest_token_env) {
        const char *tok = ea_config_env(c->ingest_token_env);
        if (!tok) {
            rc = ea_fail(EA_ECONFIG,
                         "%s: agent.ingest_token_env names %s, which is unset or empty (set it "
                         "to a long random secret, or remove the key to turn ingest off)",
                         path, c->ingest_token_env);
            goto out;
        }
        if (strlen(tok) < 16) {
            rc = ea_fail(EA_ECONFIG, "%s: the ingest token in %s is shorter than 16 characters",
                         path, c->ingest_token_env);
            goto out;
        }
        if (!(rt->ingest_token = ea_strdup(tok))) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = ea_redactor_add_literal(rt->redactor, tok, strlen(tok))) < 0) goto out;
    }
    if (!(rt->stores = ea_calloc(c->nstores, sizeof(*rt->stores)))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    /* --check-config creates nothing: a folder store that does not exist yet is fine */
    for (size_t i = 0; i < c->nstores; i++) {
        rc = ea_store_open(&rt->stores[i], c->stores[i].url, check ? 0 : EA_STORE_CREATE);
        if (rc == EA_ENOTFOUND && check) {
            ea_error_clear();
            rc = 0;
        }
        if (rc < 0) {
            char at[64] = "";
            if (c->stores[i].line) snprintf(at, sizeof(at), ":%ld", c->stores[i].line);
            ea_fail_prefix("%s%s: stores.%zu (%s)", path, at, i, c->stores[i].label);
            if (check && rc != EA_ENOMEM) { /* named, and --check-config goes on */
                ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", ea_error_message(rc));
                ea_error_clear();
                rt->problems++;
                rc = 0;
                continue;
            }
            goto out;
        }
    }
    if (!check && readable(c->stores[0].url) &&
        (rc = ea_store_open(&rt->history, c->stores[0].url, EA_STORE_CREATE)) < 0)
        goto out;
    if (with_spool) rc = ea_spool_open(&rt->spool, c->spool, c->spool_max);
out:
    if (rc < 0) {
        if (rc != EA_ENOMEM && ea_exit_status(rc) != 2) rc = rc == EA_EIO ? rc : EA_ECONFIG;
        runtime_free(rt);
        return rc;
    }
    *out = rt;
    return 0;
}

/* ---- shared helpers ---- */

bool ea_daemon_stopping(struct ea_daemon *d)
{
    bool s;

    pthread_mutex_lock(&d->lock);
    s = d->stopping;
    pthread_mutex_unlock(&d->lock);
    return s;
}

/*
 * Ready means the agent can accept evidence: its spool has room. A store that fails is
 * what the spool is for, so a failed attempt only makes the agent unready once the store
 * has failed for longer than its unready_after (then it is named, with how long); until
 * then /readyz stays 200 and says which stores are retrying.
 */
bool ea_daemon_ready(struct ea_daemon *d, char *why, size_t cap)
{
    struct ea_runtime *rt = d->rt;
    struct ea_spool_stats st;
    int64_t now = ea_time_now_us();
    size_t len = 0;
    bool ready = true;

    ea_spool_stats(rt->spool, &st);
    if (st.full) {
        snprintf(why, cap, "spool full: %llu of %llu bytes waiting to ship; collection paused",
                 (unsigned long long)st.bytes, (unsigned long long)st.max_bytes);
        return false;
    }
    for (int pass = 0; pass < 2; pass++) { /* the unready stores first, then the retrying */
        for (size_t i = 0; i < rt->cfg->nstores && len < cap; i++) {
            const struct ea_dstore *s = &rt->cfg->stores[i];
            int64_t since = ea_metrics_store_down_since(d->metrics, s->label);
            bool over = since && now - since > s->unready_after_us;
            char took[32], limit[32];
            int n;
            if (!since || over != (pass == 0)) continue;
            ea_duration_format(took,
                               now - since < 1000000 ? 1000000 : (now - since) / 1000000 * 1000000);
            ea_duration_format(limit, s->unready_after_us);
            if (over) ready = false;
            n = snprintf(why + len, cap - len, "%sstore %s: failing for %s (%s after %s)",
                         len ? "; " : "", s->label, took, over ? "unready" : "retrying; unready",
                         limit);
            len += n > 0 ? (size_t)n : 0;
        }
    }
    if (len == 0)
        snprintf(why, cap, "ready");
    else if (ready && len < cap)
        snprintf(why + len, cap - len, "; ready: records wait in the spool");
    return ready;
}

/*
 * One run into the spool. A scheduled run (unchanged not NULL) keeps the local state
 * (SPOOL/state): the collector compares with it first (drift while no store answers),
 * and, unless the entry says record_unchanged, a fact equal to the last record of its
 * kind and subject makes no new record; *unchanged counts those.
 */
static int collect(struct ea_daemon *d, const struct ea_dcollector *dc, const char *path,
                   const char *collector, const json_t *options, const char *tag,
                   unsigned *unchanged)
{
    struct ea_runtime *rt = d->rt;
    const struct ea_collector *c;
    struct ea_store *w = NULL;
    struct ea_pipeline p;
    char stream[EA_STREAM_MAX + 1];
    char *state_dir = NULL;
    int rc;

    if ((rc = ea_registry_find(&c, collector)) < 0) return rc;
    if (unchanged && !(state_dir = ea_asprintf("%s/state", ea_spool_dir(rt->spool))))
        return ea_fail(EA_ENOMEM, "out of memory");
    if ((rc = ea_pipeline_stream_name(stream, sizeof(stream), rt->cfg->agent_id, dc->id)) < 0)
        return rc;
    if ((rc = ea_spool_writer(rt->spool, &w)) < 0) {
        ea_free(state_dir);
        return rc;
    }
    if (tag) ea_spool_writer_tag(w, tag);
    ea_pipeline_init(&p, &(struct ea_pipeline_opts){
                             .key = rt->key,
                             .store = w,
                             .agent_id = rt->cfg->agent_id,
                             .stream = stream,
                             .extra = &dc->controls,
                             .framework_refs = dc->framework_refs,
                             .redactor = rt->redactor,
                             .read_store = rt->history,
                             .no_history = rt->history == NULL,
                             .one_commit = true, /* a run is one batch: all of it, or none */
                             /* one batch per run when tagged: the drop folder's atomic unit */
                             .batch_max = tag ? (unsigned)-1 : 0,
                             .state_dir = state_dir,
                             .skip_unchanged = !dc->record_unchanged,
                         });
    rc = ea_pipeline_run(&p, c, path ? path : dc->arg, options ? options : dc->options);
    if (unchanged) *unchanged = p.unchanged;
    ea_pipeline_dispose(&p);
    ea_store_close(w);
    ea_free(state_dir);
    return rc;
}

int ea_daemon_collect(struct ea_daemon *d, const struct ea_dcollector *dc, const char *path,
                      const char *collector, const json_t *options, const char *tag)
{
    return collect(d, dc, path, collector, options, tag, NULL);
}

/* ---- the scheduler ---- */

static int64_t jitter(int64_t max_us)
{
    return max_us > 0 ? (int64_t)(random32() % (uint64_t)(max_us + 1)) : 0;
}

/* Gives the heap's free pages back: a run's peak is not kept through the idle hours. */
static void trim(void)
{
    ea_schema_release();
#ifdef M_ARENA_MAX
    malloc_trim(0);
#endif
}

static void run_one(struct ea_daemon *d, const struct ea_dcollector *dc)
{
    int64_t t0 = ea_time_now_us();
    unsigned unchanged = 0;
    int rc;

    if (strcmp(dc->name, "watch") == 0) {
        ea_watch_pass(d, dc);
        trim();
        return;
    }
    rc = collect(d, dc, NULL, dc->name, NULL, NULL, &unchanged);
    trim();
    if (rc < 0) {
        EA_LOG_ERROR(dc->id, "run failed after %lld ms: %s",
                     (long long)(ea_time_now_us() - t0) / 1000, ea_error_message(rc));
        ea_error_clear();
        ea_metrics_collected(d->metrics, dc->id, 0, false);
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
    ea_metrics_collected(d->metrics, dc->id, (unsigned)rc, true);
    if (unchanged) ea_metrics_unchanged(d->metrics, dc->id, unchanged);
}

/* The last start of collector id, or 0; set it with at_us > 0. Scheduler thread only. */
static int64_t last_run(struct ea_daemon *d, const char *id, int64_t at_us)
{
    for (size_t i = 0; i < d->nlast_runs; i++) {
        if (strcmp(d->last_runs[i].id, id) != 0) continue;
        if (at_us) d->last_runs[i].at_us = at_us;
        return d->last_runs[i].at_us;
    }
    if (at_us) {
        struct ea_last_run *nv =
            ea_realloc(d->last_runs, (d->nlast_runs + 1) * sizeof(*d->last_runs));
        if (!nv) return 0;
        d->last_runs = nv;
        snprintf(nv[d->nlast_runs].id, sizeof(nv[d->nlast_runs].id), "%s", id);
        nv[d->nlast_runs++].at_us = at_us;
    }
    return at_us;
}

static void *scheduler_main(void *arg)
{
    struct ea_daemon *d = arg;
    const struct ea_dconfig *c = d->rt->cfg;
    int64_t *next = ea_calloc(c->ncollectors + 1, sizeof(*next));
    int64_t now = ea_time_now_us();
    bool was_full = false;

    if (!next) {
        EA_LOG_ERROR("scheduler", "out of memory: no collector will run");
        return NULL;
    }
    /* The first runs come soon after start, spread over a few seconds (not a whole
     * jitter); after a reload, a collector that ran before keeps its rhythm. */
    for (size_t i = 0; i < c->ncollectors; i++) {
        const struct ea_dcollector *dc = &c->collectors[i];
        int64_t last = last_run(d, dc->id, 0);
        next[i] = last ? last + dc->interval_us + jitter(dc->jitter_us)
                       : now + jitter(dc->jitter_us < FIRST_RUN_SPREAD_US ? dc->jitter_us
                                                                          : FIRST_RUN_SPREAD_US);
    }
    while (!ea_daemon_stopping(d)) {
        int64_t soonest = INT64_MAX;
        struct timespec until;

        for (size_t i = 0; i < c->ncollectors && !ea_daemon_stopping(d); i++) {
            const struct ea_dcollector *dc = &c->collectors[i];
            if ((now = ea_time_now_us()) < next[i]) continue;
            if (ea_spool_full(d->rt->spool)) {
                struct ea_spool_stats st;
                ea_spool_stats(d->rt->spool, &st);
                EA_LOG_ERROR(dc->id,
                             "spool full (%llu of %llu bytes waiting to ship): collection paused "
                             "until the stores catch up",
                             (unsigned long long)st.bytes, (unsigned long long)st.max_bytes);
                ea_metrics_paused(d->metrics, dc->id);
                next[i] =
                    now + (dc->interval_us < PAUSED_RETRY_US ? dc->interval_us : PAUSED_RETRY_US);
                was_full = true;
                continue;
            }
            if (was_full) {
                EA_LOG_WARN("scheduler", "spool below its limit again: collection resumes");
                was_full = false;
            }
            last_run(d, dc->id, now);
            run_one(d, dc);
            next[i] = now + dc->interval_us + jitter(dc->jitter_us);
        }
        for (size_t i = 0; i < c->ncollectors; i++)
            if (next[i] < soonest) soonest = next[i];
        if (soonest == INT64_MAX) soonest = ea_time_now_us() + 3600 * 1000000LL;
        /* sleep until the next one falls due, or until stop */
        until.tv_sec = (time_t)(soonest / 1000000);
        until.tv_nsec = (long)(soonest % 1000000) * 1000;
        pthread_mutex_lock(&d->lock);
        while (!d->stopping && ea_time_now_us() < soonest)
            if (pthread_cond_timedwait(&d->cond, &d->lock, &until) == ETIMEDOUT) break;
        pthread_mutex_unlock(&d->lock);
    }
    ea_free(next);
    return NULL;
}

/* ---- the shipper ---- */

struct partial { /* a batch some stores confirmed already */
    char *name;
    uint32_t mask;
};

struct ship_state {
    int64_t *next_try; /* per store: not before this time */
    unsigned *attempt; /* per store: failures in a row */
    struct partial *partial;
    size_t npartial, cap;
};

static uint32_t *mask_of(struct ship_state *s, const char *name)
{
    for (size_t i = 0; i < s->npartial; i++)
        if (strcmp(s->partial[i].name, name) == 0) return &s->partial[i].mask;
    if (s->npartial == s->cap) {
        struct partial *nv = ea_realloc(s->partial, (s->cap ? s->cap * 2 : 8) * sizeof(*nv));
        if (!nv) return NULL;
        s->partial = nv;
        s->cap = s->cap ? s->cap * 2 : 8;
    }
    if (!(s->partial[s->npartial].name = ea_strdup(name))) return NULL;
    s->partial[s->npartial].mask = 0;
    return &s->partial[s->npartial++].mask;
}

static void mask_forget(struct ship_state *s, const char *name)
{
    for (size_t i = 0; i < s->npartial; i++) {
        if (strcmp(s->partial[i].name, name) != 0) continue;
        ea_free(s->partial[i].name);
        s->partial[i] = s->partial[--s->npartial];
        return;
    }
}

/* Puts every line of b into st, then syncs. */
static int ship_batch(struct ea_store *st, const struct ea_spool_batch *b)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        if (b->items[i].is_head && !b->items[i].head.envelope) continue; /* unsigned: spool.h */
        rc = b->items[i].is_head ? ea_store_put_stream(st, &b->items[i].head)
                                 : ea_store_put(st, &b->items[i].env);
        if (rc == EA_EINPUT && b->items[i].is_head) { /* behind the stored head: never stored */
            EA_LOG_WARN("shipper", "%s; the head is dropped", ea_error_message(rc));
            ea_error_clear();
            rc = 0;
        }
    }
    return rc == 0 ? ea_store_sync(st) : rc;
}

/* One pass over the pending batches. @return true when something was shipped. */
static bool ship_round(struct ea_daemon *d, struct ship_state *s)
{
    struct ea_runtime *rt = d->rt;
    size_t nstores = rt->cfg->nstores;
    uint32_t all = (uint32_t)((1ull << nstores) - 1);
    bool failed[32] = {false}, progress = false;
    char **names = NULL;
    size_t n = 0;

    if (ea_spool_list(rt->spool, &names, &n) < 0) {
        EA_LOG_ERROR("shipper", "%s", ea_error_message(EA_EIO));
        ea_error_clear();
        return false;
    }
    for (size_t i = 0; i < n && !ea_daemon_stopping(d); i++) {
        struct ea_spool_batch b;
        uint32_t *mask = mask_of(s, names[i]);
        int64_t now = ea_time_now_us();
        bool want = false;
        int rc;

        if (!mask) break;
        for (size_t j = 0; j < nstores; j++)
            want = want || (!(*mask & (1u << j)) && !failed[j] && now >= s->next_try[j]);
        /* a batch every store has, whose removal failed before, is retried too */
        if (!want && (*mask & all) != all) continue;
        rc = ea_spool_read(rt->spool, names[i], &b);
        if (rc < 0) {
            if (rc == EA_EINPUT || rc == EA_EVERIFY) { /* never shippable: set aside, loudly */
                EA_LOG_ERROR("shipper", "batch %s cannot be read, moved to rejected/: %s", names[i],
                             ea_error_message(rc));
                ea_spool_reject(rt->spool, names[i], ea_error_message(rc));
                mask_forget(s, names[i]);
            } else {
                EA_LOG_ERROR("shipper", "%s", ea_error_message(rc));
            }
            ea_error_clear();
            ea_spool_batch_dispose(&b);
            continue;
        }
        for (size_t j = 0; j < nstores; j++) {
            const char *label = rt->cfg->stores[j].label;
            if ((*mask & (1u << j)) || failed[j] || now < s->next_try[j]) continue;
            rc = ship_batch(rt->stores[j], &b);
            ea_metrics_shipped(d->metrics, label, (unsigned)b.n, rc == 0);
            if (rc == 0) {
                *mask |= 1u << j;
                if (s->attempt[j])
                    EA_LOG_WARN("shipper", "store %s is back after %u failed attempt%s", label,
                                s->attempt[j], s->attempt[j] == 1 ? "" : "s");
                s->attempt[j] = 0;
                progress = true;
                continue;
            }
            failed[j] = true; /* later batches wait: each store gets them in order */
            s->attempt[j]++;
            {
                long wait = ea_http_backoff_ms(s->attempt[j], SHIP_BACKOFF_BASE_MS,
                                               SHIP_BACKOFF_CAP_MS, -1, random32());
                s->next_try[j] = ea_time_now_us() + (int64_t)wait * 1000;
                EA_LOG_WARN("shipper", "store %s: %s (attempt %u; retrying in %ld ms)", label,
                            ea_error_message(rc), s->attempt[j], wait);
            }
            ea_error_clear();
        }
        if ((*mask & all) == all) {
            if (ea_spool_remove(rt->spool, &b) < 0) {
                EA_LOG_ERROR("shipper", "%s", ea_error_message(EA_EIO));
                ea_error_clear();
            } else {
                EA_LOG_DEBUG("shipper", "batch %s shipped (%zu lines)", b.name, b.n);
                mask_forget(s, names[i]);
            }
        }
        ea_spool_batch_dispose(&b);
    }
    ea_fs_names_free(names, n);
    return progress;
}

/*
 * Writes the next checkpoint of this agent's chain to every store it can
 * read (an http(s) store is another agent's ingest: that agent checkpoints
 * its own stores). A failure is logged and retried at the next one.
 */
static void checkpoint_all(struct ea_daemon *d)
{
    struct ea_runtime *rt = d->rt;

    for (size_t j = 0; j < rt->cfg->nstores; j++) {
        const char *url = rt->cfg->stores[j].url;
        char key[EA_STORE_KEY_MAX];
        if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0) continue;
        unsigned skipped = 0;
        int rc = ea_checkpoint_write(rt->stores[j], rt->key, rt->trusted, rt->ntrusted,
                                     rt->cfg->agent_id, ea_time_now_us(), key, &skipped);
        if (rc < 0) {
            EA_LOG_WARN("checkpoint", "%s: %s", rt->cfg->stores[j].label, ea_error_message(rc));
            ea_error_clear();
        } else if (skipped) {
            EA_LOG_ERROR("checkpoint",
                         "%s: %s written without %u stream head%s that did not verify "
                         "(named above): run 'evidence-agent verify'",
                         rt->cfg->stores[j].label, key, skipped, skipped == 1 ? "" : "s");
        } else {
            EA_LOG_INFO("checkpoint", "%s: %s written", rt->cfg->stores[j].label, key);
        }
    }
}

static void *shipper_main(void *arg)
{
    struct ea_daemon *d = arg;
    size_t nstores = d->rt->cfg->nstores;
    struct ship_state s = {0};

    s.next_try = ea_calloc(nstores, sizeof(*s.next_try));
    s.attempt = ea_calloc(nstores, sizeof(*s.attempt));
    if (!s.next_try || !s.attempt) {
        EA_LOG_ERROR("shipper", "out of memory: nothing will ship");
        goto out;
    }
    bool shipped = false; /* since the last trim */
    int64_t every = d->rt->cfg->checkpoint_interval_us;
    int64_t next_checkpoint = every ? ea_time_now_us() + every : INT64_MAX;

    while (!ea_daemon_stopping(d)) {
        struct ea_spool_stats st;
        int64_t wait_us = (int64_t)IDLE_WAIT_MS * 1000, now;
        uint64_t seen = ea_spool_wakeups(d->rt->spool); /* before looking: no lost wake-up */

        if (ea_daemon_stopping(d)) break;
        if (ship_round(d, &s)) { /* more may be ready: go again at once */
            shipped = true;
            continue;
        }
        ea_spool_stats(d->rt->spool, &st);
        if (shipped && st.batches == 0) { /* drained: reading batches loaded the schemas */
            trim();
            shipped = false;
        }
        now = ea_time_now_us();
        if (now >= next_checkpoint) {
            checkpoint_all(d);
            next_checkpoint = now + every;
        }
        if (next_checkpoint - now < wait_us) wait_us = next_checkpoint - now;
        if (st.batches)
            for (size_t j = 0; j < nstores; j++)
                if (s.next_try[j] > now && s.next_try[j] - now < wait_us)
                    wait_us = s.next_try[j] - now;
        ea_spool_wait(d->rt->spool, seen, (long)(wait_us / 1000) + 1);
    }
    if (every) checkpoint_all(d); /* one more as the shipper stops (shutdown, or a reload) */
out:
    for (size_t i = 0; i < s.npartial; i++) ea_free(s.partial[i].name);
    ea_free(s.partial);
    ea_free(s.next_try);
    ea_free(s.attempt);
    return NULL;
}

/* ---- lifecycle ---- */

static int start(struct ea_daemon *d)
{
    const struct ea_dconfig *c = d->rt->cfg;
    int rc = 0;

    d->stopping = false;
    ea_log_set_level(c->log_level);
    ea_log_set_redactor(d->rt->redactor);
    if (c->listen && !d->http && (rc = ea_http_server_start(&d->http, d, c->listen, &d->port)) < 0)
        return rc;
    if (pthread_create(&d->scheduler, NULL, scheduler_main, d) != 0) {
        ea_http_server_stop(d->http);
        d->http = NULL;
        return ea_fail(EA_ERROR, "cannot start the scheduler thread");
    }
    if (pthread_create(&d->shipper, NULL, shipper_main, d) != 0) {
        pthread_mutex_lock(&d->lock);
        d->stopping = true;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
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

    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    ea_spool_wake(d->rt->spool);
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
    int rc = runtime_prepare(&rt, path, PREPARE_CHECK);
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
            crc = stat(dc->arg, &st) == 0 && !S_ISDIR(st.st_mode)
                      ? ea_fail(EA_ECONFIG, "%s: not a folder (the drop folder must be one)",
                                dc->arg)
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
        if (!problems++) rc = src == EA_ENOMEM ? src : ea_exit_status(src) == 2 ? EA_ECONFIG : EA_ERROR;
    }
    if (problems) {
        rc = ea_fail(rc, "%s: %u problem%s (named above)%s", path, problems,
                     problems == 1 ? "" : "s",
                     offline ? "" : "; --offline checks the file without contacting the stores");
        runtime_free(rt);
        return rc;
    }
    printf("%s: ok: agent %s, %zu collector%s, %zu store%s%s, spool %s%s%s\n", path,
           rt->cfg->agent_id, rt->cfg->ncollectors, rt->cfg->ncollectors == 1 ? "" : "s",
           rt->cfg->nstores, rt->cfg->nstores == 1 ? "" : "s",
           offline ? " (not contacted: --offline)" : " (each answered)", rt->cfg->spool,
           rt->cfg->listen ? ", listen " : "", rt->cfg->listen ? rt->cfg->listen : "");
    runtime_free(rt);
    return 0;
}

/*
 * Gives fresh the spool once the old threads stopped: the same folder keeps
 * its spool object (its counters are right, and nothing is recounted under a
 * writer); another folder is opened now. Called under the write lock, with
 * the switch of d->rt, since HTTP handlers (which also log through the
 * runtime's redactor) use them under the read lock.
 */
static int hand_over_spool(struct ea_runtime *fresh, struct ea_runtime *old)
{
    if (strcmp(fresh->cfg->spool, old->cfg->spool) == 0) {
        fresh->spool = old->spool;
        old->spool = NULL;
        ea_spool_set_max(fresh->spool, fresh->cfg->spool_max);
        return 0;
    }
    return ea_spool_open(&fresh->spool, fresh->cfg->spool, fresh->cfg->spool_max);
}

static int reload(struct ea_daemon *d, const char *path)
{
    struct ea_runtime *fresh, *old = d->rt;
    bool keep_http;
    int rc = runtime_prepare(&fresh, path, PREPARE_RELOAD);

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
    rc = hand_over_spool(fresh, old);
    if (rc == 0) {
        d->rt = fresh;
        ea_log_set_redactor(fresh->redactor);
    }
    pthread_rwlock_unlock(&d->rt_lock);
    if (rc < 0) {
        EA_LOG_ERROR("daemon", "reload refused, the running configuration is kept: %s",
                     ea_error_message(rc));
        ea_error_clear();
        runtime_free(fresh);
        return start(d) < 0 ? EA_ERROR : rc;
    }
    if ((rc = start(d)) < 0) {
        EA_LOG_ERROR("daemon", "the new configuration did not start (%s): back to the old one",
                     ea_error_message(rc));
        ea_error_clear();
        pthread_rwlock_wrlock(&d->rt_lock);
        if (!old->spool) { /* it was handed over: take it back */
            old->spool = fresh->spool;
            fresh->spool = NULL;
        }
        d->rt = old;
        ea_log_set_redactor(old->redactor);
        pthread_rwlock_unlock(&d->rt_lock);
        runtime_free(fresh);
        if ((rc = start(d)) < 0) return rc;
        return 0;
    }
    runtime_free(old);
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
    if (rc < 0 || a.help) {
        if (a.help) ea_cli_help(stdout, &cmd);
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
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    pthread_rwlock_init(&d.rt_lock, NULL);
    if ((rc = ea_metrics_new(&d.metrics)) < 0) goto out;
    if ((rc = runtime_prepare(&d.rt, path, PREPARE_START)) < 0) goto out;
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
    runtime_free(d.rt);
    ea_metrics_free(d.metrics);
    ea_free(d.last_runs);
    ea_cli_args_dispose(&a);
    return rc;
}
