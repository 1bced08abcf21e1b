/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shipper: ships spooled batches to every store, oldest first, and
 * removes a batch from the spool only once every store confirmed it. It
 * retries forever, with capped exponential backoff and full jitter per store,
 * so one slow store never holds back another. It is the only one that retries
 * on this path: the runtime opens the stores with EA_STORE_NO_RETRY (one
 * attempt per request) and a store's Retry-After becomes the shipper's wait
 * (capped like the backoff); a batch that can never ship is
 * set aside in rejected/. It also writes the agent's checkpoints. Idle, it
 * sleeps on the spool's wake-up (a new batch) or its next retry.
 */
#include "shipper.h"

#include <string.h>

#include "../integrity.h"
#include "../log.h"
#include "../util/error.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/http.h"
#include "../util/mem.h"
#include "../util/time.h"

#define SHIP_BACKOFF_BASE_MS 1000
#define SHIP_BACKOFF_CAP_MS (5 * 60 * 1000)
#define IDLE_WAIT_MS (60 * 1000)

struct shipper { /* what one run of the shipper works with, all borrowed */
    struct ea_runtime *rt;
    struct ea_metrics *metrics;
    struct ea_stop *stop;
};

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
        if (b->items[i].is_object) {
            rc = ea_store_put_object(st, b->items[i].key, b->items[i].data, b->items[i].data_len);
            continue;
        }
        if (b->items[i].is_blob)
            rc = ea_store_put_blob(st, b->items[i].blob_sha256,
                                   b->items[i].blob ? (const void *)b->items[i].blob : "",
                                   b->items[i].blob_len);
        else
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
static bool ship_round(const struct shipper *d, struct ship_state *s)
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
    for (size_t i = 0; i < n && !ea_stop_requested(d->stop); i++) {
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
                long wait =
                    ea_http_backoff_ms(s->attempt[j], SHIP_BACKOFF_BASE_MS, SHIP_BACKOFF_CAP_MS,
                                       ea_store_retry_after_ms(rt->stores[j]), ea_random32());
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
static void checkpoint_all(const struct shipper *d)
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

void ea_shipper_run(struct ea_runtime *rt, struct ea_metrics *metrics, struct ea_stop *stop)
{
    const struct shipper sh = {rt, metrics, stop}, *d = &sh;
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

    while (!ea_stop_requested(d->stop)) {
        struct ea_spool_stats st;
        int64_t wait_us = (int64_t)IDLE_WAIT_MS * 1000, now;
        uint64_t seen = ea_spool_wakeups(d->rt->spool); /* before looking: no lost wake-up */

        if (ea_stop_requested(d->stop)) break;
        if (ship_round(d, &s)) { /* more may be ready: go again at once */
            shipped = true;
            continue;
        }
        ea_spool_stats(d->rt->spool, &st);
        if (shipped && st.batches == 0) { /* drained: reading batches loaded the schemas */
            ea_runtime_trim();
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
}
