/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP store: another agent's ingest endpoint.
 *
 *   http(s)://HOST[:PORT][/BASE]?token_env=NAME[&insecure=1]
 *
 * put POSTs the envelope to BASE/v1/ingest, put_stream POSTs the stream head,
 * a blob (attest --attach) is POSTed to BASE/v1/blobs/sha256/<hex>;
 * the peer answers 202 once it has spooled them durably, so sync has nothing
 * left to do. The bearer token is read from the environment variable NAME
 * (default EVIDENCE_INGEST_TOKEN) and never logged. The store is write-only:
 * query and verify read the store the peer ships to.
 */
#include <stdio.h>
#include <string.h>

#include "../config.h"
#include "../util/error.h"
#include "../util/http.h"
#include "../util/mem.h"
#include "../timestamp.h"
#include "../util/text.h"
#include "store.h"

struct http_store {
    struct ea_store base;
    struct ea_http *http;
    char *url;           /* .../v1/ingest */
    char *auth;          /* "Authorization: Bearer ..." (secret) */
    char *where;         /* for messages: the URL without userinfo or query */
    long retry_after_ms; /* what the last answer asked for (EA_STORE_NO_RETRY), -1 none */
};

static void hs_close(struct ea_store *st)
{
    struct http_store *s = (struct http_store *)st;

    if (!s) return;
    ea_http_close(s->http);
    ea_free(s->url);
    ea_free(s->where);
    if (s->auth) ea_free_secret(s->auth, strlen(s->auth));
    ea_free(s);
}

static int hs_open(struct ea_store **out, const char *scheme, const char *loc, unsigned flags,
                   const struct ea_store_ops *ops)
{
    struct ea_http_opts o = {.retries_max = 2, .backoff_base_ms = 200, .timeout_ms = 30000};
    struct http_store *s = ea_calloc(1, sizeof(*s));
    const char *q = strchr(loc, '?');
    size_t base_len = q ? (size_t)(q - loc) : strlen(loc);
    char *env = NULL, *insecure = NULL;
    const char *token;
    int rc = 0;

    *out = NULL;
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->base.ops = ops;
    s->retry_after_ms = -1;
    if (flags & EA_STORE_NO_RETRY) o.retries_max = EA_HTTP_NO_RETRY; /* the caller's: store.h */
    while (base_len && loc[base_len - 1] == '/') base_len--;
    s->url = ea_asprintf("%s://%.*s/v1/ingest", scheme, (int)base_len, loc);
    env = ea_query_param(q ? q + 1 : NULL, "token_env");
    insecure = ea_query_param(q ? q + 1 : NULL, "insecure");
    if (!s->url || !(s->where = ea_malloc(strlen(s->url) + 1))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    ea_http_url_display(s->where, strlen(s->url) + 1, s->url);
    if (base_len == 0 || loc[0] == '/') {
        rc = ea_fail(EA_EUSAGE, "%s://%s: no host (http(s)://HOST:PORT?token_env=NAME)", scheme,
                     loc);
        goto out;
    }
    token = ea_config_env(env ? env : "EVIDENCE_INGEST_TOKEN");
    if (!token) {
        rc = ea_fail(EA_ECONFIG,
                     "%s: the ingest token variable %s is unset (set it, or name another with "
                     "?token_env=NAME)",
                     s->where, env ? env : "EVIDENCE_INGEST_TOKEN");
        goto out;
    }
    if (!(s->auth = ea_asprintf("Authorization: Bearer %s", token))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    o.insecure = insecure && strcmp(insecure, "1") == 0;
    rc = ea_http_open(&s->http, &o);
out:
    ea_free(env);
    ea_free(insecure);
    if (rc < 0) {
        hs_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

static int post_to(struct http_store *s, const char *url, const char *type, const char *body,
                   size_t len, const char *what)
{
    const char *headers[] = {type, s->auth, NULL};
    struct ea_http_req req = {"POST", url, headers, body, len, NULL, NULL};
    struct ea_http_response r = {0};
    int rc = ea_http_request(s->http, &r, &req);

    s->retry_after_ms = r.retry_after_ms;
    if (rc == 0 && r.status != 202)
        rc = ea_fail(EA_ERETRY, "%s: answered %ld, not 202", s->where, r.status);
    else if (rc == EA_EINPUT && r.status == 413)
        rc = ea_fail(EA_ETOOBIG, "%s: the %s is over the peer's body limit (ingest_max)", s->where,
                     what);
    else if (rc < 0)
        ea_fail_prefix("%s: POST %s", s->where, what);
    ea_http_response_dispose(&r);
    return rc;
}

static int post(struct http_store *s, const char *body, size_t len, const char *what)
{
    return post_to(s, s->url, "Content-Type: application/json", body, len, what);
}

static int hs_put(struct ea_store *st, const struct ea_envelope *env)
{
    return post((struct http_store *)st, env->json, env->json_len, "record");
}

static int hs_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    char *text = ea_stream_head_text(head);
    int rc = text ? post((struct http_store *)st, text, strlen(text), "stream head")
                  : ea_fail(EA_ENOMEM, "out of memory");

    ea_free(text);
    return rc;
}

static int hs_sync(struct ea_store *st)
{
    (void)st;
    return 0; /* each POST returned only once the peer had spooled it */
}

static int hs_write_only(const struct ea_store *st)
{
    const struct http_store *s = (const struct http_store *)st;
    return ea_fail(EA_EUSAGE,
                   "%s: an http(s) store is write-only (another agent's ingest): query the store "
                   "that agent ships to",
                   s->where);
}

static int hs_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb, void *p)
{
    (void)q, (void)cb, (void)p;
    return hs_write_only(st);
}

static int hs_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    (void)key;
    ea_buf_init(out, 0);
    return hs_write_only(st);
}

static int hs_walk(struct ea_store *st, ea_store_object_cb cb, void *p)
{
    (void)cb, (void)p;
    return hs_write_only(st);
}

/* A blob goes to the peer's /v1/blobs/sha256/<hex>; a checkpoint states a store, so the
 * agent that owns it writes it. */
static int hs_put_object(struct ea_store *st, const char *key, const char *data, size_t len)
{
    struct http_store *s = (struct http_store *)st;
    size_t n = strlen(s->url) - strlen("/v1/ingest");
    char *url;
    int rc;

    /* a record's token travels with it (the peer files it under the key it names) */
    if (ea_timestamp_key_ok(key)) return post(s, data, len, "timestamp");
    if (!ea_store_is_blob_key(key, NULL)) return hs_write_only(st); /* a checkpoint: see above */
    if (!(url = ea_asprintf("%.*s/v1/%s", (int)n, s->url, key)))
        return ea_fail(EA_ENOMEM, "out of memory");
    rc = post_to(s, url, "Content-Type: application/octet-stream", data, len, "attached file");
    ea_free(url);
    return rc;
}

/* GET /healthz of the peer agent (no token needed): it is there and answers. */
static int hs_probe(struct ea_store *st)
{
    struct http_store *s = (struct http_store *)st;
    size_t n = strlen(s->url) - strlen("/v1/ingest");
    char *url = ea_asprintf("%.*s/healthz", (int)n, s->url);
    struct ea_http_response r = {0};
    int rc = url ? ea_http_get(s->http, &r, url, NULL) : ea_fail(EA_ENOMEM, "out of memory");

    if (rc < 0) ea_fail_prefix("%s: the peer agent's /healthz", s->where);
    ea_http_response_dispose(&r);
    ea_free(url);
    return rc;
}

static int open_http(struct ea_store **out, const char *loc, unsigned flags)
{
    return hs_open(out, "http", loc, flags, &ea_store_http_ops);
}

static int open_https(struct ea_store **out, const char *loc, unsigned flags)
{
    return hs_open(out, "https", loc, flags, &ea_store_https_ops);
}

static long hs_retry_after_ms(struct ea_store *st)
{
    return ((struct http_store *)st)->retry_after_ms;
}

const struct ea_store_ops ea_store_http_ops = {
    .scheme = "http",
    .params = (const char *const[]){"token_env", "insecure", NULL},
    .open = open_http,
    .put = hs_put,
    .list = hs_list,
    .get = hs_get,
    .put_stream = hs_put_stream,
    .sync = hs_sync,
    .walk = hs_walk,
    .put_object = hs_put_object,
    .probe = hs_probe,
    .retry_after_ms = hs_retry_after_ms,
    .close = hs_close,
};

const struct ea_store_ops ea_store_https_ops = {
    .scheme = "https",
    .params = (const char *const[]){"token_env", "insecure", NULL},
    .open = open_https,
    .put = hs_put,
    .list = hs_list,
    .get = hs_get,
    .put_stream = hs_put_stream,
    .sync = hs_sync,
    .walk = hs_walk,
    .put_object = hs_put_object,
    .probe = hs_probe,
    .retry_after_ms = hs_retry_after_ms,
    .close = hs_close,
};
