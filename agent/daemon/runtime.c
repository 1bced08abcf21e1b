/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's runtime: everything one configuration needs, prepared in full
 * before any of it is used (keys, redactor, stores, spool, ingest token), so
 * that a reload either swaps in a sound runtime or keeps the running one.
 * Also what every worker does with a runtime: one collector run into its
 * spool, and the readiness answer. It starts no thread and knows nothing of
 * the daemon that holds it (daemon.c sequences prepare, hand-over and the
 * workers).
 */
#include "runtime.h"

#include <malloc.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config.h"
#include "../log.h"
#include "../pipeline.h"
#include "../registry.h"
#include "../schema.h"
#include "../timestamp.h"
#include "../tsa.h"
#include "../util/error.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/mem.h"
#include "../util/time.h"

void ea_runtime_free(struct ea_runtime *rt)
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

int ea_runtime_prepare(struct ea_runtime **out, const char *path, enum ea_runtime_mode mode)
{
    bool with_spool = mode == EA_RUNTIME_START, check = mode == EA_RUNTIME_CHECK;
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
        if (c->trusted_line)
            ea_fail_prefix("%s:%ld: agent.trusted_keys", path, c->trusted_line);
        else
            ea_fail_prefix("%s: agent.trusted_keys", path);
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
    /*
     * --check-config creates nothing: a folder store that does not exist yet is fine.
     * Who retries a store: on this path the shipper, and only it (shipper.c: backoff per
     * store, honouring the store's Retry-After), so the stores make one attempt per request
     * (EA_STORE_NO_RETRY); nested, a dead store took 5 requests (S3) per shipper attempt,
     * and the waits inside the store blocked every other store. The history store below
     * only reads (lookup_latest), between ticks nobody retries, so its client does.
     */
    for (size_t i = 0; i < c->nstores; i++) {
        rc = ea_store_open(&rt->stores[i], c->stores[i].url,
                           check ? 0 : EA_STORE_CREATE | EA_STORE_NO_RETRY);
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
        ea_runtime_free(rt);
        return rc;
    }
    *out = rt;
    return 0;
}

/*
 * Ready means the agent can accept evidence: its spool has room. A store that fails is
 * what the spool is for, so a failed attempt only makes the agent unready once the store
 * has failed for longer than its unready_after (then it is named, with how long); until
 * then /readyz stays 200 and says which stores are retrying.
 */
bool ea_runtime_ready(struct ea_runtime *rt, struct ea_metrics *metrics, char *why, size_t cap)
{
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
            int64_t since = ea_metrics_store_down_since(metrics, s->label);
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

/* ---- timestamps that could not be had when their records were committed ---- */

#define TSA_PENDING "tsa-pending"
#define TSA_RETRY_FILES_MAX 16 /* per run: a long outage is caught up over several runs */

struct unstamped_ctx {
    struct ea_runtime *rt;
};

/*
 * Records committed without a token (every TSA down): their IDs and signature
 * hashes wait in SPOOL/tsa-pending/ (written durably), and a later run asks
 * again (ea_runtime_collect). The records themselves ship meanwhile: nothing
 * waits on a TSA, nothing is dropped; a token got late has a genTime further
 * from collected_at, which verify --max-skew then judges.
 */
static void keep_unstamped(void *payload, const struct ea_tsa_leaf *leaves, size_t n)
{
    struct unstamped_ctx *u = payload;
    json_t *doc = json_array();
    char *text = NULL, *dir = NULL, *path = NULL, hex[EA_SHA256_HEX_LEN + 1];
    unsigned char rnd[4];
    char rhex[9];
    int rc = 0;

    for (size_t i = 0; doc && i < n; i++) {
        ea_hex_encode(hex, leaves[i].sig_sha256, EA_SHA256_LEN);
        if (json_array_append_new(
                doc, json_pack("{s:s, s:s}", "id", leaves[i].id, "sig_sha256", hex)) < 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) memset(rnd, 0, sizeof(rnd));
    ea_hex_encode(rhex, rnd, sizeof(rnd));
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    dir = ea_asprintf("%s/" TSA_PENDING, ea_spool_dir(u->rt->spool));
    path = dir ? ea_asprintf("%s/%017lld-%s.json", dir, (long long)ea_time_now_us(), rhex) : NULL;
    if (!text || !path) rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0) rc = ea_fs_mkdirs(dir);
    if (rc == 0) rc = ea_fs_write_atomic(path, text, strlen(text), true);
    if (rc < 0) {
        EA_LOG_ERROR("tsa",
                     "%zu record%s shipped without a timestamp and not kept for a later "
                     "one: %s",
                     n, n == 1 ? "" : "s", ea_error_message(rc));
        ea_error_clear();
    } else {
        EA_LOG_WARN("tsa",
                    "%zu record%s shipped without a timestamp for now: asked again at the "
                    "next run",
                    n, n == 1 ? "" : "s");
    }
    free(text);
    ea_free(path);
    ea_free(dir);
    json_decref(doc);
}

static bool pending_name(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0 && name[0] != '.';
}

/* One kept file: claimed by renaming (two workers never ask for the same records). */
static int retry_one(struct ea_runtime *rt, struct ea_tsa *tsa, const char *dir, const char *name)
{
    char *path = ea_asprintf("%s/%s", dir, name);
    char *claimed = ea_asprintf("%s/.%s.claimed", dir, name);
    struct ea_tsa_leaf *leaves = NULL;
    struct ea_store *w = NULL;
    struct ea_buf b;
    json_t *doc = NULL, *e;
    char **texts = NULL;
    size_t *lens = NULL, n = 0, i;
    int rc;

    ea_buf_init(&b, 0);
    if (!path || !claimed) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (rename(path, claimed) < 0) { /* another worker has it */
        rc = 0;
        goto out;
    }
    rc = ea_fs_read(&b, claimed, 16u << 20, EA_FS_NOFOLLOW);
    if (rc == 0) doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    if (rc == 0 && !json_is_array(doc)) rc = ea_fail(EA_EINPUT, "%s: not a list of records", path);
    n = rc == 0 ? json_array_size(doc) : 0;
    if (rc == 0 && n &&
        (!(leaves = ea_calloc(n, sizeof(*leaves))) || !(texts = ea_calloc(n, sizeof(*texts))) ||
         !(lens = ea_calloc(n, sizeof(*lens)))))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(doc, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *h = json_string_value(json_object_get(e, "sig_sha256"));
        if (rc < 0) break;
        if (!id || strlen(id) != EA_SHA256_HEX_LEN || !h || strlen(h) != EA_SHA256_HEX_LEN ||
            !ea_is_hex(h, EA_SHA256_HEX_LEN)) {
            rc = ea_fail(EA_EINPUT, "%s: record %zu is not {id, sig_sha256}", path, i + 1);
            break;
        }
        memcpy(leaves[i].id, id, sizeof(leaves[i].id));
        for (size_t k = 0; k < EA_SHA256_LEN; k++) {
            unsigned v = 0;
            for (int d = 0; d < 2; d++) {
                char c = h[2 * k + (size_t)d];
                v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            leaves[i].sig_sha256[k] = (unsigned char)v;
        }
    }
    if (rc == 0 && n) rc = ea_tsa_stamp(tsa, texts, lens, leaves, n);
    if (rc == 0 && n) rc = ea_spool_writer(rt->spool, &w);
    for (i = 0; rc == 0 && i < n; i++) {
        char key[EA_TIMESTAMP_KEY_LEN + 1];
        ea_timestamp_key(key, leaves[i].id);
        rc = ea_store_put_object(w, key, texts[i], lens[i]);
    }
    if (rc == 0 && w) rc = ea_store_sync(w); /* the tokens are spooled: the claim can go */
    if (rc == 0) {
        unlink(claimed);
        if (n) EA_LOG_INFO("tsa", "%zu record%s timestamped late", n, n == 1 ? "" : "s");
    } else if (rc == EA_EINPUT) { /* never usable: set aside, loudly */
        EA_LOG_ERROR("tsa", "%s; left as %s", ea_error_message(rc), claimed);
    } else {
        rename(claimed, path); /* asked again at the next run */
    }
out:
    for (i = 0; texts && i < n; i++) ea_free(texts[i]);
    ea_free(texts);
    ea_free(lens);
    ea_free(leaves);
    ea_store_close(w);
    json_decref(doc);
    ea_buf_dispose(&b);
    ea_free(claimed);
    ea_free(path);
    return rc;
}

/* Asks again for the tokens of records that shipped without one (oldest first, bounded). */
static void retry_unstamped(struct ea_runtime *rt, struct ea_tsa *tsa)
{
    char *dir = ea_asprintf("%s/" TSA_PENDING, ea_spool_dir(rt->spool));
    char **names = NULL;
    size_t n = 0;

    if (!dir || !ea_fs_exists(dir) || ea_fs_list_dir(&names, &n, dir, pending_name) < 0) {
        ea_error_clear();
        ea_free(dir);
        return;
    }
    for (size_t i = 0; i < n && i < TSA_RETRY_FILES_MAX; i++) {
        int rc = retry_one(rt, tsa, dir, names[i]);
        if (rc == EA_EINPUT) {
            ea_error_clear(); /* logged, set aside */
        } else if (rc < 0) {
            EA_LOG_WARN("tsa", "records still without a timestamp: %s", ea_error_message(rc));
            ea_error_clear();
            break; /* the TSAs are still down: the others wait too */
        }
    }
    ea_fs_names_free(names, n);
    ea_free(dir);
}

/*
 * One run into the spool. A scheduled run (unchanged not NULL) keeps the local state
 * (SPOOL/state): the collector compares with it first (drift while no store answers),
 * and, unless the entry says record_unchanged, a fact equal to the last record of its
 * kind and subject makes no new record; *unchanged counts those.
 */
int ea_runtime_collect(struct ea_runtime *rt, const struct ea_dcollector *dc, const char *path,
                       const char *collector, const json_t *options, const char *tag,
                       unsigned *unchanged)
{
    const struct ea_collector *c;
    struct ea_store *w = NULL;
    struct ea_tsa *tsa = NULL;
    struct ea_pipeline p;
    struct unstamped_ctx uc = {rt};
    char stream[EA_STREAM_MAX + 1];
    char *state_dir = NULL;
    int rc;

    if ((rc = ea_registry_find(&c, collector)) < 0) return rc;
    if (rt->cfg->ntsa) { /* one client per run: runs may be on several threads */
        rc = ea_tsa_open(&tsa, (const char *const *)rt->cfg->tsa, rt->cfg->ntsa,
                         rt->cfg->tsa_policy);
        if (rc < 0) return rc;
        retry_unstamped(rt, tsa);
    }
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
                             .tsa = tsa,
                             .tsa_unstamped = keep_unstamped,
                             .tsa_payload = &uc,
                         });
    rc = ea_pipeline_run(&p, c, path ? path : dc->arg, options ? options : dc->options);
    if (unchanged) *unchanged = p.unchanged;
    ea_pipeline_dispose(&p);
    ea_store_close(w);
    ea_tsa_close(tsa);
    ea_free(state_dir);
    return rc;
}

int ea_runtime_hand_over_spool(struct ea_runtime *fresh, struct ea_runtime *old)
{
    if (strcmp(fresh->cfg->spool, old->cfg->spool) == 0) {
        fresh->spool = old->spool;
        old->spool = NULL;
        ea_spool_set_max(fresh->spool, fresh->cfg->spool_max);
        return 0;
    }
    return ea_spool_open(&fresh->spool, fresh->cfg->spool, fresh->cfg->spool_max);
}

void ea_runtime_trim(void)
{
    ea_schema_release();
#ifdef M_ARENA_MAX
    malloc_trim(0);
#endif
}

void ea_runtime_hand_back_spool(struct ea_runtime *old, struct ea_runtime *fresh)
{
    if (old->spool) return; /* another folder: fresh opened its own */
    old->spool = fresh->spool;
    fresh->spool = NULL;
}
