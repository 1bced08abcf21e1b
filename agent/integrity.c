/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed stream heads and checkpoint chains; see integrity.h. Parsers take
 * bytes from a store an attacker may have written: every field is checked
 * for type and form before it is used, and the signature (when keys are
 * given) is checked over the raw payload before anything in it is trusted.
 */
#include "integrity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "util/error.h"
#include "log.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/redact.h"

/*
 * Parses and (with keys) verifies a DSSE envelope of type, of at most max
 * bytes; returns its payload as JSON.
 */
static int open_envelope(json_t **doc, const char *json, size_t len, size_t max, const char *type,
                         const char *what, struct ea_key *const *keys, size_t nkeys)
{
    struct ea_dsse d;
    json_error_t err;
    int rc;

    *doc = NULL;
    if (len > max) return ea_fail(EA_EVERIFY, "not a %s: %zu bytes (at most %zu)", what, len, max);
    rc = ea_dsse_parse(&d, json, len);
    if (rc == EA_ENOMEM) return rc;
    if (rc < 0) {
        json_t *plain = json_loadb(json, len, 0, NULL);
        bool old = json_is_object(plain) && json_object_get(plain, "stream") &&
                   !json_object_get(plain, "payloadType");
        json_decref(plain);
        if (old)
            return ea_fail(EA_EVERIFY,
                           "unsigned %s (in a store whose heads were all written before "
                           "heads were signed, see 'verify --sign-heads'; otherwise rewritten)",
                           what);
        ea_fail_prefix("not a signed %s", what);
        return EA_EVERIFY;
    }
    if (strcmp(d.payload_type, type) != 0) {
        char shown[65];
        rc = ea_fail(EA_EVERIFY, "not a signed %s: payloadType is '%s', not %s", what,
                     ea_redact_show(shown, sizeof(shown), d.payload_type, strlen(d.payload_type)),
                     type);
        goto out;
    }
    if (nkeys && (rc = ea_dsse_verify(&d, keys, nkeys, NULL)) < 0) {
        ea_fail_prefix("%s", what);
        goto out;
    }
    *doc = json_loadb((const char *)d.payload, d.payload_len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        rc = ea_fail(EA_EVERIFY, "%s: the payload is not a JSON object", what);
    }
out:
    ea_dsse_dispose(&d);
    return rc;
}

/* Reads "<key>": a non-negative integer. */
static bool get_count(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool get_id(const json_t *o, const char *key, char out[EA_SHA256_HEX_LEN + 1])
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) != EA_SHA256_HEX_LEN || !ea_is_hex(s, EA_SHA256_HEX_LEN)) return false;
    memcpy(out, s, EA_SHA256_HEX_LEN + 1);
    return true;
}

static bool get_time(const json_t *o, int64_t *out)
{
    const char *s = json_string_value(json_object_get(o, "time"));
    if (!s || ea_time_parse(out, s, false) < 0) {
        ea_error_clear();
        return false;
    }
    return true;
}

int ea_head_sign(char **out, size_t *out_len, const char *stream, uint64_t sequence,
                 const char *last_id, int64_t time_us, const struct ea_key *key)
{
    char when[EA_TIME_TEXT_MAX];
    char *payload;
    int rc;

    *out = NULL;
    if (!ea_store_stream_name_ok(stream) || !last_id || strlen(last_id) != EA_SHA256_HEX_LEN)
        return ea_fail(EA_EINPUT, "a stream head needs a safe stream name and a record ID");
    ea_time_format_rfc3339(when, time_us);
    payload = ea_asprintf("{\"_type\":\"" EA_HEAD_TYPE "\",\"stream\":\"%s\",\"sequence\":%llu,"
                          "\"last_id\":\"%s\",\"time\":\"%s\"}",
                          stream, (unsigned long long)sequence, last_id, when);
    if (!payload) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_dsse_sign(out, out_len, EA_HEAD_PAYLOAD_TYPE, payload, strlen(payload), key);
    ea_free(payload);
    return rc;
}

int ea_head_parse(struct ea_head *out, const char *json, size_t len, struct ea_key *const *keys,
                  size_t nkeys)
{
    json_t *doc;
    const char *stream;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = open_envelope(&doc, json, len, EA_HEAD_MAX_BYTES, EA_HEAD_PAYLOAD_TYPE, "stream head",
                       keys, nkeys);
    if (rc < 0) return rc;
    stream = json_string_value(json_object_get(doc, "stream"));
    if (!json_is_string(json_object_get(doc, "_type")) ||
        strcmp(json_string_value(json_object_get(doc, "_type")), EA_HEAD_TYPE) != 0 ||
        !ea_store_stream_name_ok(stream) || !get_count(doc, "sequence", &out->sequence) ||
        out->sequence == 0 || !get_id(doc, "last_id", out->last_id) ||
        !get_time(doc, &out->time_us)) {
        rc = ea_fail(EA_EVERIFY, "stream head: the payload needs _type " EA_HEAD_TYPE
                                 ", stream (a safe name), sequence (>= 1), last_id (a record "
                                 "ID) and time (RFC 3339)");
    } else {
        snprintf(out->stream, sizeof(out->stream), "%s", stream);
    }
    json_decref(doc);
    return rc;
}

int ea_head_accept(struct ea_store *w, const char *json, size_t len, struct ea_key *const *keys,
                   size_t nkeys)
{
    struct ea_head h;
    struct ea_stream_head sh;
    int rc;

    if (nkeys == 0)
        return ea_fail(EA_EINPUT,
                       "this agent has no agent.trusted_keys: it accepts no stream heads");
    if ((rc = ea_head_parse(&h, json, len, keys, nkeys)) < 0) return rc;
    sh = (struct ea_stream_head){h.stream, h.sequence, h.last_id, json, len};
    return ea_store_put_stream(w, &sh);
}

bool ea_head_is(const json_t *doc)
{
    const char *t = json_string_value(json_object_get(doc, "payloadType"));
    return t && strcmp(t, EA_HEAD_PAYLOAD_TYPE) == 0;
}

void ea_checkpoint_dispose(struct ea_checkpoint *cp)
{
    for (size_t i = 0; i < cp->nstreams; i++) ea_free(cp->streams[i].stream);
    ea_free(cp->streams);
    memset(cp, 0, sizeof(*cp));
}

static int cmp_cp_stream(const void *a, const void *b)
{
    return strcmp(((const struct ea_checkpoint_stream *)a)->stream,
                  ((const struct ea_checkpoint_stream *)b)->stream);
}

int ea_checkpoint_parse(struct ea_checkpoint *out, const char *json, size_t len,
                        struct ea_key *const *keys, size_t nkeys)
{
    json_t *doc, *streams, *prev, *v;
    const char *agent, *name;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = open_envelope(&doc, json, len, EA_CHECKPOINT_MAX_BYTES, EA_CHECKPOINT_PAYLOAD_TYPE,
                       "checkpoint", keys, nkeys);
    if (rc < 0) return rc;
    agent = json_string_value(json_object_get(doc, "agent"));
    prev = json_object_get(doc, "previous");
    streams = json_object_get(doc, "streams");
    if (!json_is_string(json_object_get(doc, "_type")) ||
        strcmp(json_string_value(json_object_get(doc, "_type")), EA_CHECKPOINT_TYPE) != 0 ||
        !ea_store_stream_name_ok(agent) || !get_count(doc, "sequence", &out->sequence) ||
        out->sequence == 0 || !(json_is_null(prev) || get_id(doc, "previous", out->previous)) ||
        (out->sequence == 1) != json_is_null(prev) || !get_time(doc, &out->time_us) ||
        !json_is_object(streams)) {
        rc = ea_fail(EA_EVERIFY, "checkpoint: the payload needs _type " EA_CHECKPOINT_TYPE
                                 ", agent, sequence (>= 1), previous (a digest; null only for "
                                 "sequence 1), time and streams (an object)");
        goto out;
    }
    snprintf(out->agent, sizeof(out->agent), "%s", agent);
    if (json_object_size(streams)) {
        out->streams = ea_calloc(json_object_size(streams), sizeof(*out->streams));
        if (!out->streams) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    json_object_foreach(streams, name, v) {
        struct ea_checkpoint_stream *s = &out->streams[out->nstreams];
        if (!ea_store_stream_name_ok(name) || !json_is_object(v) ||
            !get_count(v, "sequence", &s->sequence) || s->sequence == 0 ||
            !get_id(v, "last_id", s->last_id)) {
            char shown[65];
            rc = ea_fail(EA_EVERIFY,
                         "checkpoint: streams.%s needs sequence (>= 1) and "
                         "last_id (a record ID)",
                         ea_redact_show(shown, sizeof(shown), name, strlen(name)));
            goto out;
        }
        if (!(s->stream = ea_strdup(name))) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        out->nstreams++;
    }
    if (out->nstreams) qsort(out->streams, out->nstreams, sizeof(*out->streams), cmp_cp_stream);
out:
    json_decref(doc);
    if (rc < 0) ea_checkpoint_dispose(out);
    return rc;
}

int ea_checkpoint_key(char *out, const char *agent, uint64_t sequence)
{
    int n = snprintf(out, EA_STORE_KEY_MAX, "checkpoints/%s/%012llu.json", agent,
                     (unsigned long long)sequence);
    if (!ea_store_stream_name_ok(agent) || n < 0 || n >= EA_STORE_KEY_MAX)
        return ea_fail(EA_EINPUT, "agent ID '%s' cannot name a checkpoint folder", agent);
    return 0;
}

/* A record file the walk found: its ID (from the name) and where it is. */
struct found {
    char id[EA_SHA256_HEX_LEN + 1];
    char control[16];
    int64_t time_us;
    char *key; /* owned */
};

/* What the writer gathers from a walk of the store. */
struct gather {
    const char *agent;
    size_t agent_len;
    char **heads; /* owned: keys of streams/<name>.json */
    size_t nheads, hcap;
    struct found *recs; /* owned, sorted by ID once walked */
    size_t nrecs, rcap;
    uint64_t latest; /* the agent's highest checkpoint sequence */
    char latest_key[EA_STORE_KEY_MAX];
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    void *nv;

    if (n < *cap) return 0;
    if (!(nv = ea_realloc(*v, (*cap ? *cap * 2 : 64) * size)))
        return ea_fail(EA_ENOMEM, "out of memory");
    *v = nv;
    *cap = *cap ? *cap * 2 : 64;
    return 0;
}

static int on_object(const struct ea_store_object *o, void *payload)
{
    struct gather *g = payload;
    size_t n = strlen(o->key);

    if (o->kind != EA_STORE_FILE) return 0;
    if (strncmp(o->key, "streams/", 8) == 0 && n > 13 && strcmp(o->key + n - 5, ".json") == 0 &&
        !strchr(o->key + 8, '/')) {
        if (grow((void **)&g->heads, &g->hcap, g->nheads, sizeof(*g->heads)) < 0) return EA_ENOMEM;
        if (!(g->heads[g->nheads] = ea_strdup(o->key))) return ea_fail(EA_ENOMEM, "out of memory");
        g->nheads++;
        return 0;
    }
    if (strncmp(o->key, "controls/", 9) == 0) { /* controls/<ID>/YYYY/MM/DD/<time>_<id>.json */
        const char *c = o->key + 9, *slash = strchr(c, '/'), *name = strrchr(o->key, '/') + 1;
        struct found *f;
        if (!slash || (size_t)(slash - c) >= sizeof(f->control)) return 0;
        if (grow((void **)&g->recs, &g->rcap, g->nrecs, sizeof(*g->recs)) < 0) return EA_ENOMEM;
        f = &g->recs[g->nrecs];
        if (ea_store_parse_name(name, &f->time_us, f->id) < 0) {
            ea_error_clear(); /* not a record: verify reports it */
            return 0;
        }
        memcpy(f->control, c, (size_t)(slash - c));
        f->control[slash - c] = '\0';
        if (!(f->key = ea_strdup(o->key))) return ea_fail(EA_ENOMEM, "out of memory");
        g->nrecs++;
        return 0;
    }
    /* checkpoints/<agent>/<12 digits>.json */
    if (strncmp(o->key, "checkpoints/", 12) == 0 &&
        strncmp(o->key + 12, g->agent, g->agent_len) == 0 && o->key[12 + g->agent_len] == '/' &&
        n == 12 + g->agent_len + 1 + 12 + 5) {
        const char *digits = o->key + 12 + g->agent_len + 1;
        uint64_t seq = 0;
        for (int i = 0; i < 12; i++) {
            if (digits[i] < '0' || digits[i] > '9') return 0;
            seq = seq * 10 + (uint64_t)(digits[i] - '0');
        }
        if (strcmp(digits + 12, ".json") == 0 && seq > g->latest) {
            g->latest = seq;
            snprintf(g->latest_key, sizeof(g->latest_key), "%s", o->key);
        }
    }
    return 0;
}

static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->id, ((const struct found *)b)->id);
}

/* The previous checkpoint's claim on stream, or NULL. */
static const struct ea_checkpoint_stream *prev_claim(const struct ea_checkpoint *last,
                                                     const char *stream)
{
    struct ea_checkpoint_stream k = {(char *)stream, 0, ""};

    if (!last->nstreams) return NULL;
    return bsearch(&k, last->streams, last->nstreams, sizeof(k), cmp_cp_stream);
}

/*
 * Judges one head for the checkpoint: signed by one of keys, named for its
 * stream, not behind the previous checkpoint, and (when it moved on since)
 * pointing at a record of the store that verifies and is that stream's
 * record at that sequence. @return 0 (out filled), 1 (not stated: *why
 * says why; ea_error_clear done), or EA_ENOMEM/EA_EIO.
 */
static int judge_head(struct ea_store *st, struct gather *g, const char *hkey,
                      const struct ea_checkpoint *last, struct ea_key *const *keys, size_t nkeys,
                      struct ea_head *h, char *why, size_t why_len)
{
    size_t n = strlen(hkey) - 13;
    const struct ea_checkpoint_stream *pc;
    struct found k, *f;
    struct ea_audit_record r;
    struct ea_store_entry e;
    struct ea_buf b;
    int rc = ea_store_get(st, hkey, &b);

    if (rc == 0) rc = ea_head_parse(h, b.data ? b.data : "", b.len, keys, nkeys);
    ea_buf_dispose(&b);
    if (rc == EA_ENOMEM || rc == EA_EIO) return rc;
    if (rc < 0) {
        snprintf(why, why_len, "%s", ea_error_message(rc));
        ea_error_clear();
        return 1;
    }
    if (strlen(h->stream) != n || strncmp(hkey + 8, h->stream, n) != 0) {
        snprintf(why, why_len, "the head names stream %s, not its file's", h->stream);
        return 1;
    }
    pc = prev_claim(last, h->stream);
    if (pc && (h->sequence < pc->sequence ||
               (h->sequence == pc->sequence && strcmp(h->last_id, pc->last_id) != 0))) {
        snprintf(why, why_len,
                 "the head (sequence %llu, %.12s) is behind the previous checkpoint "
                 "(sequence %llu, %.12s)",
                 (unsigned long long)h->sequence, h->last_id, (unsigned long long)pc->sequence,
                 pc->last_id);
        return 1;
    }
    if (pc && h->sequence == pc->sequence) return 0; /* checked when it was stated first */
    memcpy(k.id, h->last_id, sizeof(k.id));
    f = g->nrecs ? bsearch(&k, g->recs, g->nrecs, sizeof(k), cmp_found) : NULL;
    if (!f) {
        snprintf(why, why_len, "the head points at record %.12s, which the store lacks",
                 h->last_id);
        return 1;
    }
    e = (struct ea_store_entry){f->key, f->control, f->id, f->time_us};
    rc = ea_audit_check(&r, st, &e, keys, nkeys);
    if (rc == EA_ENOMEM || rc == EA_EIO) {
        ea_audit_record_dispose(&r);
        return rc;
    }
    if (rc < 0) {
        snprintf(why, why_len, "its last record %.12s does not verify: %s", h->last_id,
                 ea_error_message(rc));
        ea_error_clear();
        ea_audit_record_dispose(&r);
        return 1;
    }
    {
        const json_t *ag = json_object_get(json_object_get(r.statement, "predicate"), "agent");
        const char *rs = json_string_value(json_object_get(ag, "stream"));
        json_int_t seq = json_integer_value(json_object_get(ag, "sequence"));
        if (!rs || strcmp(rs, h->stream) != 0 || seq < 0 || (uint64_t)seq != h->sequence) {
            snprintf(why, why_len,
                     "its last record %.12s is not record %llu of the stream (another "
                     "stream's record?)",
                     h->last_id, (unsigned long long)h->sequence);
            rc = 1;
        }
    }
    ea_audit_record_dispose(&r);
    return rc;
}

int ea_checkpoint_write(struct ea_store *st, const struct ea_key *key,
                        struct ea_key *const *trusted, size_t ntrusted, const char *agent,
                        int64_t time_us, char written[EA_STORE_KEY_MAX], unsigned *skipped)
{
    struct gather g;
    struct ea_checkpoint last;
    char previous[EA_SHA256_HEX_LEN + 3] = "null";
    char k[EA_STORE_KEY_MAX], when[EA_TIME_TEXT_MAX];
    char *streams = NULL, *payload = NULL, *env = NULL;
    struct ea_key **keys = NULL;
    json_t *stated = json_object();
    size_t env_len = 0, nkeys = ntrusted + 1;
    int rc;

    memset(&g, 0, sizeof(g));
    memset(&last, 0, sizeof(last));
    g.agent = agent;
    g.agent_len = strlen(agent);
    if (skipped) *skipped = 0;
    if (!stated || !(keys = ea_calloc(nkeys, sizeof(*keys)))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    keys[0] = (struct ea_key *)key; /* its public half checks heads this agent signed */
    for (size_t i = 0; i < ntrusted; i++) keys[i + 1] = trusted[i];
    rc = ea_checkpoint_key(k, agent, 1);
    if (rc == 0) rc = ea_store_walk(st, on_object, &g);
    if (rc == 0 && g.nrecs) qsort(g.recs, g.nrecs, sizeof(*g.recs), cmp_found);
    if (rc == 0 && g.latest) { /* link to the latest, which must be ours and sound */
        struct ea_buf b;
        const struct ea_key *own[1] = {key};
        rc = ea_store_get(st, g.latest_key, &b);
        if (rc == 0) {
            rc = ea_checkpoint_parse(&last, b.data ? b.data : "", b.len,
                                     (struct ea_key *const *)own, 1);
            if (rc == 0 && (last.sequence != g.latest || strcmp(last.agent, agent) != 0))
                rc = ea_fail(EA_EVERIFY, "its content names another place");
            if (rc == 0) {
                previous[0] = '"';
                rc = ea_sha256_hex(previous + 1, b.data, b.len);
                previous[EA_SHA256_HEX_LEN + 1] = '"';
                previous[EA_SHA256_HEX_LEN + 2] = '\0';
            }
        }
        ea_buf_dispose(&b);
        if (rc < 0)
            ea_fail_prefix("%s: the latest checkpoint cannot be extended (run 'evidence-agent "
                           "verify')",
                           g.latest_key);
    }
    for (size_t i = 0; rc == 0 && i < g.nheads; i++) {
        struct ea_head h;
        char why[400];
        int j = judge_head(st, &g, g.heads[i], &last, keys, nkeys, &h, why, sizeof(why));
        if (j < 0) {
            rc = j;
        } else if (j == 1) {
            EA_LOG_WARN("checkpoint",
                        "%s: not taken into the checkpoint (%s); the state the previous "
                        "checkpoint gave the stream, if any, is kept (run 'evidence-agent "
                        "verify')",
                        g.heads[i], why);
            if (skipped) (*skipped)++;
        } else {
            json_t *v =
                json_pack("{s:I,s:s}", "sequence", (json_int_t)h.sequence, "last_id", h.last_id);
            if (!v || json_object_set_new(stated, h.stream, v) < 0)
                rc = ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    /* a stream the previous checkpoint stated and this one cannot: its state is carried on */
    for (size_t i = 0; rc == 0 && i < last.nstreams; i++) {
        const struct ea_checkpoint_stream *c = &last.streams[i];
        json_t *v;
        if (json_object_get(stated, c->stream)) continue;
        v = json_pack("{s:I,s:s}", "sequence", (json_int_t)c->sequence, "last_id", c->last_id);
        if (!v || json_object_set_new(stated, c->stream, v) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0) rc = ea_checkpoint_key(k, agent, g.latest + 1);
    if (rc == 0 && !(streams = json_dumps(stated, JSON_COMPACT | JSON_SORT_KEYS)))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0) {
        ea_time_format_rfc3339(when, time_us);
        payload = ea_asprintf("{\"_type\":\"" EA_CHECKPOINT_TYPE "\",\"agent\":\"%s\","
                              "\"sequence\":%llu,\"previous\":%s,\"time\":\"%s\",\"streams\":%s}",
                              agent, (unsigned long long)(g.latest + 1), previous, when, streams);
        if (!payload) rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc =
            ea_dsse_sign(&env, &env_len, EA_CHECKPOINT_PAYLOAD_TYPE, payload, strlen(payload), key);
    if (rc == 0) {
        char *text = ea_asprintf("%s\n", env);
        rc = text ? ea_store_put_object(st, k, text, env_len + 1)
                  : ea_fail(EA_ENOMEM, "out of memory");
        ea_free(text);
    }
    if (rc == 0) rc = ea_store_sync(st);
    if (rc == 0 && written) snprintf(written, EA_STORE_KEY_MAX, "%s", k);
out:
    ea_free(env);
    ea_free(payload);
    ea_free(streams);
    json_decref(stated);
    ea_free(keys);
    ea_checkpoint_dispose(&last);
    for (size_t i = 0; i < g.nheads; i++) ea_free(g.heads[i]);
    ea_free(g.heads);
    for (size_t i = 0; i < g.nrecs; i++) ea_free(g.recs[i].key);
    ea_free(g.recs);
    return rc;
}
