/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's HTTP endpoints (libmicrohttpd, its own polling thread):
 *
 *   GET  /healthz     200 while the process runs
 *   GET  /readyz      200 while evidence can be accepted; 503 with the reason (spool
 *                     full, a store failing for longer than its unready_after)
 *   GET  /metrics     Prometheus text format
 *   POST /v1/ingest   a signed envelope, a stream head, or a raw scan report
 *                     (?collector=scan&format=NAME&controls=A.8.8,A.8.28);
 *                     bearer token required; 202 once spooled; 400 bad
 *                     input, 401 no or wrong token, 413 over ingest_max,
 *                     503 spool full or unwritable (retry later)
 *   POST /v1/blobs/sha256/<hex>   a file an attestation attached (attest --attach
 *                     to an http(s) store): its bytes must hash to <hex>; spooled
 *                     and shipped as blobs/sha256/<hex>; the same answers as ingest
 *
 * Requests are served one at a time: ingest is rare and small, and one
 * thread keeps the idle daemon's footprint flat.
 *
 * Slow clients: libmicrohttpd's event loop never waits on one client, but each
 * open connection holds a slot. So a client (an IP address) may hold at most
 * HTTP_PER_CLIENT connections of the HTTP_CONNECTIONS, a connection idle for
 * HTTP_IDLE_S seconds is closed, and, since a byte now and then restarts that
 * clock, a watchdog shuts down any connection whose request has run for more
 * than HTTP_REQUEST_S seconds, trickling or not. Once HTTP_BUSY connections are
 * open, the rest is a reserve: an address already holding HTTP_BUSY_PER_CLIENT
 * connections is refused at once, and requests running for more than
 * HTTP_BUSY_REQUEST_S seconds are cut. So a few addresses cannot fill every slot,
 * and the probes stay answerable.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../audit.h"
#include "../util/error.h"
#include "../integrity.h"
#include "../log.h"
#include "../options.h"
#include "../registry.h"
#include "../util/hash.h"
#include "../util/json.h"
#include "../util/mem.h"
#include "../util/text.h"
#include "../util/time.h"
#include "../util/redact.h"
#include "../timestamp.h"

#define HTTP_CONNECTIONS 128   /* open connections in all */
#define HTTP_PER_CLIENT 16     /* open connections per client IP address */
#define HTTP_IDLE_S 10u        /* a connection silent this long is closed */
#define HTTP_REQUEST_S 30      /* a request (from its first byte to its answer) at most */
#define HTTP_BUSY 96           /* open connections past which the rest is a reserve */
#define HTTP_BUSY_PER_CLIENT 2 /* when busy, an address holding this many gets no more */
#define HTTP_BUSY_REQUEST_S 5  /* when busy, a request at most */

struct conn { /* one open connection, for the watchdog */
    int fd;
    int64_t since_us; /* its current request began (the connection, or the last answer) */
    bool used;
    struct sockaddr_storage addr; /* the client's address (family 0: unknown) */
};

struct ea_http_server {
    struct MHD_Daemon *mhd;
    struct ea_http_server_deps deps;
    pthread_t watchdog;
    bool watchdog_running;
    pthread_mutex_t lock; /* guards conns and stop */
    pthread_cond_t wake;
    bool stop;
    struct conn conns[HTTP_CONNECTIONS + 8];
};

struct view { /* what one request sees, taken under the read lock (see handle) */
    struct ea_runtime *rt;
    struct ea_metrics *metrics;
};

struct request {
    struct ea_buf body;
    bool too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *text, size_t len, const char *extra_name,
                             const char *extra_value)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (extra_name) MHD_add_response_header(r, extra_name, extra_value);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A JSON reply {"error": msg} or {"accepted": n}: the message is ours, never the request's secrets.
 */
static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, const char *error,
                                  unsigned accepted, const char *hn, const char *hv)
{
    json_t *o = error ? json_pack("{s:s}", "error", error)
                      : json_pack("{s:I}", "accepted", (json_int_t)accepted);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    enum MHD_Result ret =
        text ? reply(c, status, "application/json", text, strlen(text), hn, hv) : MHD_NO;

    free(text);
    json_decref(o);
    return ret;
}

/* Constant time: both sides are hashed first, so neither length nor content leaks. */
static bool token_ok(const struct ea_runtime *rt, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    unsigned char want[32], got[32];

    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return false;
    if (ea_sha256(want, rt->ingest_token, strlen(rt->ingest_token)) < 0 ||
        ea_sha256(got, h + 7, strlen(h + 7)) < 0)
        return false;
    return CRYPTO_memcmp(want, got, sizeof(want)) == 0;
}

static unsigned status_of(int rc)
{
    return rc == EA_EIO || rc == EA_ENOMEM || rc == EA_ERETRY || rc == EA_ERROR ? 503 : 400;
}

/* The query parameters of an ingest: collector and controls, the rest the collector's options. */
struct query {
    json_t *options; /* every parameter but collector and controls */
    int rc;          /* the first failure */
};

static enum MHD_Result query_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct query *q = cls;
    char shown[65];

    (void)kind;
    if (q->rc < 0) return MHD_NO;
    if (strcmp(key, "collector") == 0 || strcmp(key, "controls") == 0) return MHD_YES;
    if (json_object_get(q->options, key)) {
        q->rc = ea_fail(EA_EUSAGE, "query parameter '%s' is given more than once",
                        ea_redact_show(shown, sizeof(shown), key, strlen(key)));
        return MHD_NO;
    }
    if (ea_json_put(q->options, key, json_string(value ? value : "")) < 0) {
        q->rc = ea_fail(EA_ENOMEM, "out of memory");
        return MHD_NO;
    }
    return MHD_YES;
}

/* An ingest of JSON takes no query parameter: the first one is named, and the nearest. */
static enum MHD_Result no_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    int *rc = cls;
    char shown[65];

    (void)kind;
    (void)value;
    ea_redact_show(shown, sizeof(shown), key, strlen(key));
    if (ea_text_distance(key, "collector") <= 3)
        *rc = ea_fail(EA_EUSAGE,
                      "unknown query parameter '%s' (did you mean 'collector'? a raw report "
                      "takes ?collector=scan; an envelope or a stream head takes no parameter)",
                      shown);
    else
        *rc = ea_fail(EA_EUSAGE,
                      "unknown query parameter '%s' (an envelope or a stream head takes none; a "
                      "raw report takes ?collector=scan and the scan collector's options)",
                      shown);
    return MHD_NO;
}

/* A raw scan report: written to a private temporary file, then the scan collector. */
static enum MHD_Result ingest_report(const struct view *d, struct MHD_Connection *c,
                                     const struct request *rq)
{
    const char *collector = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "collector");
    const char *controls = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "controls");
    const struct ea_collector *scan = NULL;
    struct ea_dcollector dc = {.id = "ingest", .name = "scan"};
    struct query q = {json_object(), 0};
    json_t *options = q.options, *checked = NULL;
    char *tmp = ea_asprintf("%s/ingest-XXXXXX", ea_spool_dir(d->rt->spool));
    char msg[512], bad[65];
    int fd = -1, rc = 0;

    if (!options || !tmp) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (strcmp(collector, "scan") != 0) {
        char shown[33];
        rc = ea_fail(EA_EINPUT, "collector=%s: only scan reports are ingested raw",
                     ea_redact_show(shown, sizeof(shown), collector, strlen(collector)));
        goto out;
    }
    /* every parameter is the scan collector's option or refused, naming the nearest */
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_param, &q);
    if ((rc = q.rc) < 0) goto out;
    if (!json_object_get(options, "name") &&
        ea_json_put(options, "name", json_string("ingested report")) < 0) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ea_registry_find(&scan, "scan")) < 0) goto out;
    if ((rc = ea_options_check(&checked, scan, options, bad, sizeof(bad))) < 0) {
        char shown[65];
        ea_fail_prefix("query parameter '%s'",
                       ea_redact_show(shown, sizeof(shown), bad, strlen(bad)));
        goto out;
    }
    for (const char *p = controls; p && *p;) {
        size_t n = strcspn(p, ",");
        char id[32];
        snprintf(id, sizeof(id), "%.*s", (int)(n < 31 ? n : 31), p);
        if ((rc = ea_controls_add(&dc.controls, id)) < 0) {
            ea_fail_prefix("controls");
            goto out;
        }
        p += n + (p[n] == ',');
    }
    if ((fd = mkstemp(tmp)) < 0 ||
        write(fd, rq->body.data, rq->body.len) != (ssize_t)rq->body.len || fsync(fd) < 0) {
        rc = ea_fail(EA_EIO, "cannot write the report to the spool folder: %s", strerror(errno));
        goto out;
    }
    rc = ea_runtime_collect(d->rt, &dc, tmp, "scan", options, NULL, NULL);
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    ea_free(tmp);
    json_decref(options);
    json_decref(checked);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
        ea_error_clear();
        ea_metrics_ingest(d->metrics, status_of(rc), 0);
        EA_LOG_WARN("ingest", "report refused: %s", msg);
        return reply_json(c, status_of(rc), msg, 0, NULL, NULL);
    }
    ea_metrics_ingest(d->metrics, 202, (unsigned)rc);
    EA_LOG_INFO("ingest", "scan report: %d record%s spooled", rc, rc == 1 ? "" : "s");
    return reply_json(c, 202, NULL, (unsigned)rc, NULL, NULL);
}

/* An envelope (verified against the trusted keys) or a stream head, spooled as one batch. */
static enum MHD_Result ingest_json(const struct view *d, struct MHD_Connection *c,
                                   const struct request *rq)
{
    struct ea_runtime *rt = d->rt;
    size_t len = rq->body.len; /* without trailing white space: `collect --dry-run` ends lines */
    json_t *doc;
    struct ea_envelope env;
    struct ea_store *w = NULL;
    unsigned records = 0;
    char msg[512];
    int rc;

    memset(&env, 0, sizeof(env));
    while (len && (rq->body.data[len - 1] == '\n' || rq->body.data[len - 1] == '\r' ||
                   rq->body.data[len - 1] == ' ' || rq->body.data[len - 1] == '\t'))
        len--;
    doc = json_loadb(rq->body.data ? rq->body.data : "", len, 0, NULL);
    if (!json_is_object(doc)) {
        rc = ea_fail(EA_EINPUT, "the body is not a JSON object: send a signed envelope, a stream "
                                "head, or a scan report with ?collector=scan");
    } else if (ea_head_is(doc)) {
        if ((rc = ea_spool_writer(rt->spool, &w)) == 0)
            rc = ea_head_accept(w, rq->body.data, len, rt->trusted, rt->ntrusted);
    } else if (json_object_get(doc, "payloadType")) {
        if (rt->ntrusted == 0)
            rc =
                ea_fail(EA_EINPUT, "this agent has no agent.trusted_keys: it accepts no envelopes");
        else
            rc = ea_audit_envelope(&env, rq->body.data, len, rt->trusted, rt->ntrusted);
        if (rc == 0 && (rc = ea_spool_writer(rt->spool, &w)) == 0)
            rc = ea_spool_writer_put_raw(w, rq->body.data, len);
        records = 1;
    } else if (json_is_string(json_object_get(doc, "type")) &&
               strcmp(json_string_value(json_object_get(doc, "type")), EA_TIMESTAMP_TYPE) == 0) {
        /* a record's RFC 3161 token: well-formed and filed under its record's ID; judged
         * against the record and the TSA's CA by verify --tsa-ca, where the auditor's trust is */
        struct ea_timestamp ts;
        char key[EA_TIMESTAMP_KEY_LEN + 1];
        rc = ea_timestamp_parse(&ts, rq->body.data, len);
        if (rc == 0) ea_timestamp_key(key, ts.record);
        ea_timestamp_dispose(&ts);
        if (rc == 0 && (rc = ea_spool_writer(rt->spool, &w)) == 0)
            rc = ea_store_put_object(w, key, rq->body.data, len);
    } else if (json_object_get(doc, "stream") && json_object_get(doc, "sequence")) {
        rc = ea_fail(EA_EVERIFY, "an unsigned stream head is refused: send the signed head that "
                                 "'evidence-agent collect' writes");
    } else {
        rc = ea_fail(EA_EINPUT, "the body is neither a signed envelope, a stream head nor a "
                                "timestamp token");
    }
    if (rc == 0) rc = ea_store_sync(w);
    ea_store_close(w);
    json_decref(doc);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
        ea_error_clear();
        ea_metrics_ingest(d->metrics, status_of(rc), 0);
        EA_LOG_WARN("ingest", "refused: %s", msg);
        ea_envelope_dispose(&env);
        return reply_json(c, status_of(rc), msg, 0, NULL, NULL);
    }
    if (records) EA_LOG_INFO("ingest", "record %.12s spooled", env.id);
    ea_envelope_dispose(&env);
    ea_metrics_ingest(d->metrics, 202, records);
    return reply_json(c, 202, NULL, records, NULL, NULL);
}

/* A blob: its bytes must hash to the name it is posted under; spooled as one batch. */
static enum MHD_Result ingest_blob(const struct view *d, struct MHD_Connection *c,
                                   const struct request *rq, const char *hex)
{
    struct ea_store *w = NULL;
    char msg[512];
    int rc = ea_spool_writer(d->rt->spool, &w);

    if (rc == 0) rc = ea_store_put_blob(w, hex, rq->body.data ? rq->body.data : "", rq->body.len);
    if (rc == 0) rc = ea_store_sync(w);
    ea_store_close(w);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
        ea_error_clear();
        ea_metrics_ingest(d->metrics, status_of(rc), 0);
        EA_LOG_WARN("ingest", "blob refused: %s", msg);
        return reply_json(c, status_of(rc), msg, 0, NULL, NULL);
    }
    EA_LOG_INFO("ingest", "blob %.12s spooled (%zu bytes)", hex, rq->body.len);
    ea_metrics_ingest(d->metrics, 202, 0);
    return reply_json(c, 202, NULL, 0, NULL, NULL);
}

static enum MHD_Result on_ingest(const struct view *d, struct MHD_Connection *c, const char *upload,
                                 size_t *upload_size, void **con_cls, const char *blob)
{
    struct ea_runtime *rt = d->rt;
    struct request *rq = *con_cls;

    if (!rq) { /* the headers: refuse early, before reading any body */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (!rt->ingest_token) {
            ea_metrics_ingest(d->metrics, 404, 0);
            return reply_json(c, 404, "ingest is off: set agent.ingest_token_env", 0, NULL, NULL);
        }
        if (!token_ok(rt, c)) {
            ea_metrics_ingest(d->metrics, 401, 0);
            EA_LOG_WARN("ingest", "refused a request without the right bearer token");
            return reply_json(c, 401, "a valid bearer token is required", 0, "WWW-Authenticate",
                              "Bearer");
        }
        if (cl && strtoull(cl, NULL, 10) > rt->cfg->ingest_max) {
            ea_metrics_ingest(d->metrics, 413, 0);
            return reply_json(c, 413, "the body is over agent.ingest_max", 0, NULL, NULL);
        }
        if (ea_spool_full(rt->spool)) {
            ea_metrics_ingest(d->metrics, 503, 0);
            return reply_json(c, 503, "the spool is full: retry later", 0, "Retry-After", "60");
        }
        if (!(rq = ea_calloc(1, sizeof(*rq)))) return MHD_NO;
        ea_buf_init(&rq->body, (size_t)rt->cfg->ingest_max);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) { /* a piece of the body */
        if (!rq->too_big && ea_buf_append(&rq->body, upload, *upload_size) < 0) {
            rq->too_big = true;
            ea_error_clear();
            ea_buf_dispose(&rq->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) {
        ea_metrics_ingest(d->metrics, 413, 0);
        return reply_json(c, 413, "the body is over agent.ingest_max", 0, NULL, NULL);
    }
    if (blob) return ingest_blob(d, c, rq, blob);
    if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "collector"))
        return ingest_report(d, c, rq);
    {
        int rc = 0;
        char msg[512];
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, no_param, &rc);
        if (rc < 0) {
            snprintf(msg, sizeof(msg), "%s", ea_error_message(rc));
            ea_error_clear();
            ea_metrics_ingest(d->metrics, 400, 0);
            EA_LOG_WARN("ingest", "refused: %s", msg);
            return reply_json(c, 400, msg, 0, NULL, NULL);
        }
    }
    return ingest_json(d, c, rq);
}

static enum MHD_Result route(const struct view *d, struct MHD_Connection *c, const char *url,
                             const char *method, const char *upload, size_t *upload_size,
                             void **con_cls);

/* Every request sees one runtime: a reload waits for it, and it never sees a half swap. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct ea_http_server *s = cls;
    struct view v;
    enum MHD_Result ret;

    (void)version;
    pthread_rwlock_rdlock(s->deps.rt_lock);
    v = (struct view){*s->deps.rt, s->deps.metrics};
    ret = route(&v, c, url, method, upload, upload_size, con_cls);
    pthread_rwlock_unlock(s->deps.rt_lock);
    return ret;
}

static enum MHD_Result route(const struct view *d, struct MHD_Connection *c, const char *url,
                             const char *method, const char *upload, size_t *upload_size,
                             void **con_cls)
{
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, "HEAD") == 0;

    if (strcmp(url, "/v1/ingest") == 0) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return reply_json(c, 405, "use POST", 0, "Allow", "POST");
        return on_ingest(d, c, upload, upload_size, con_cls, NULL);
    }
    if (strncmp(url, "/v1/blobs/", 10) == 0) {
        char hex[65];
        if (!ea_store_is_blob_key(url + 4, hex))
            return reply_json(c, 404,
                              "no such endpoint: a blob is POSTed to "
                              "/v1/blobs/sha256/<64 lower-case hex digits>",
                              0, NULL, NULL);
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return reply_json(c, 405, "use POST", 0, "Allow", "POST");
        return on_ingest(d, c, upload, upload_size, con_cls, url + 4 + 13);
    }
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
        strcmp(url, "/metrics") == 0) {
        char why[1024], line[1030];
        bool ready;
        if (!get) return reply_json(c, 405, "use GET", 0, "Allow", "GET");
        if (strcmp(url, "/healthz") == 0) return reply(c, 200, "text/plain", "ok\n", 3, NULL, NULL);
        ready = ea_runtime_ready(d->rt, d->metrics, why, sizeof(why));
        if (strcmp(url, "/readyz") == 0) {
            snprintf(line, sizeof(line), "%s\n", why);
            return reply(c, ready ? 200 : 503, "text/plain", line, strlen(line), NULL, NULL);
        }
        {
            struct ea_spool_stats st;
            struct ea_buf b;
            enum MHD_Result ret = MHD_NO;
            ea_buf_init(&b, 0);
            ea_spool_stats(d->rt->spool, &st);
            if (ea_metrics_render(d->metrics, &st, ready, &b) == 0)
                ret = reply(c, 200, "text/plain; version=0.0.4", b.data, b.len, NULL, NULL);
            ea_buf_dispose(&b);
            return ret;
        }
    }
    return reply_json(c, 404,
                      "no such endpoint (/healthz, /readyz, /metrics, /v1/ingest, /v1/blobs)", 0,
                      NULL, NULL);
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family) return false;
    if (b->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
                      &((const struct sockaddr_in *)(const void *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    if (b->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

/* Called before a connection is added: once HTTP_BUSY are open, an address already holding
 * HTTP_BUSY_PER_CLIENT is refused (libmicrohttpd closes the socket at once). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct ea_http_server *s = cls;
    unsigned open = 0, mine = 0;

    (void)addrlen;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++) {
        if (!s->conns[i].used) continue;
        open++;
        if (addr && same_address(&s->conns[i].addr, addr)) mine++;
    }
    pthread_mutex_unlock(&s->lock);
    if (open >= HTTP_BUSY && mine >= HTTP_BUSY_PER_CLIENT) {
        EA_LOG_DEBUG("http", "refused a connection: %u open, %u from that address", open, mine);
        return MHD_NO;
    }
    return MHD_YES;
}

/* Tracks each connection (socket_context points at its slot) for the watchdog. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct ea_http_server *s = cls;
    const union MHD_ConnectionInfo *info;
    struct conn *slot = *socket_context;

    pthread_mutex_lock(&s->lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; info && i < sizeof(s->conns) / sizeof(s->conns[0]); i++) {
            if (s->conns[i].used) continue;
            const union MHD_ConnectionInfo *ca =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            s->conns[i] = (struct conn){info->connect_fd, ea_time_now_us(), true, {0}};
            if (ca && ca->client_addr &&
                (ca->client_addr->sa_family == AF_INET || ca->client_addr->sa_family == AF_INET6))
                memcpy(&s->conns[i].addr, ca->client_addr,
                       ca->client_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                             : sizeof(struct sockaddr_in6));
            *socket_context = &s->conns[i];
            break;
        }
    } else if (slot) { /* closed: MHD closes the socket after this, under no watch of ours */
        slot->used = false;
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&s->lock);
}

/* Shuts down (never closes: the socket is libmicrohttpd's) connections past HTTP_REQUEST_S. */
static void *watchdog_main(void *arg)
{
    struct ea_http_server *s = arg;

    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        int64_t now = ea_time_now_us(), limit = (int64_t)HTTP_REQUEST_S * 1000000;
        unsigned cut = 0, open = 0;
        for (size_t i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++)
            open += s->conns[i].used;
        if (open > HTTP_BUSY) limit = (int64_t)HTTP_BUSY_REQUEST_S * 1000000;
        for (size_t i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++) {
            struct conn *k = &s->conns[i];
            if (!k->used || now - k->since_us <= limit) continue;
            shutdown(k->fd, SHUT_RDWR); /* its next read sees the end: MHD closes it */
            k->since_us = now;          /* once, not every second until MHD gets to it */
            cut++;
        }
        if (cut)
            EA_LOG_DEBUG("http", "%u connection%s cut after %d s without a complete request", cut,
                         cut == 1 ? "" : "s", (int)(limit / 1000000));
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct ea_http_server *s = cls;
    struct request *rq = *con_cls;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    (void)toe;
    if (info && info->socket_context) { /* a kept-alive connection's next request starts now */
        pthread_mutex_lock(&s->lock);
        ((struct conn *)info->socket_context)->since_us = ea_time_now_us();
        pthread_mutex_unlock(&s->lock);
    }
    if (!rq) return;
    ea_buf_dispose(&rq->body);
    ea_free(rq);
    *con_cls = NULL;
}

int ea_http_server_start(struct ea_http_server **out, const struct ea_http_server_deps *deps,
                         const char *listen, unsigned short *port)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    const char *colon = strrchr(listen, ':');
    char host[256];
    struct ea_http_server *s;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    int gai;

    *out = NULL;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (host[0] == '[') { /* "[::1]:9464" */
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    if ((gai = getaddrinfo(host, colon + 1, &hints, &ai)) != 0)
        return ea_fail(EA_ECONFIG, "listen %s: %s", listen, gai_strerror(gai));
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (!(s = ea_calloc(1, sizeof(*s)))) {
        freeaddrinfo(ai);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    s->deps = *deps;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->mhd = MHD_start_daemon(
        flags, 0, on_accept, s, handle, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)HTTP_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_S, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (s->mhd && pthread_create(&s->watchdog, NULL, watchdog_main, s) == 0)
        s->watchdog_running = true;
    else if (s->mhd)
        EA_LOG_WARN("http", "no watchdog thread: slow requests are cut only when idle %u s",
                    HTTP_IDLE_S);
    if (!s->mhd) {
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        ea_free(s);
        return ea_fail(EA_ECONFIG,
                       "listen %s: cannot listen there (in use, or not an address of "
                       "this host)",
                       listen);
    }
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    *out = s;
    return 0;
}

void ea_http_server_stop(struct ea_http_server *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (s->watchdog_running) pthread_join(s->watchdog, NULL);
    MHD_stop_daemon(s->mhd);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    ea_free(s);
}
