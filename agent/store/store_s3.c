/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 backend: s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=1,
 * any S3-compatible object store. The same key layout as the file store
 * (controls/<id>/<YYYY>/<MM>/<DD>/<time>_<id>.json, streams/<stream>.json)
 * under PREFIX. Requests go through the shared HTTP client with libcurl's AWS
 * SigV4 signing; x-amz-content-sha256 is sent by us (libcurl 7.88 does not add
 * it for S3). Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN, and never appear in a message.
 *
 * A PUT that S3 answered 200 is durable, so sync has nothing to do; PUTs are
 * idempotent (the same key always holds the same bytes), so retries are safe.
 * Listing uses ListObjectsV2 with continuation, one day's prefix at a time
 * when a control and a short period are asked (the layout's point).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "../util/error.h"
#include "../util/hash.h"
#include "../util/http.h"
#include "../util/mem.h"
#include "../util/text.h"
#include "../util/time.h"
#include "store.h"

#define LIST_PAGES_MAX 100000
#define DAYS_BY_PREFIX_MAX 62

struct s3_store {
    struct ea_store base;
    struct ea_http *http;
    char *endpoint; /* scheme://host[:port], without a trailing slash */
    char *bucket, *prefix, *region;
    char *sigv4;   /* "aws:amz:REGION:s3" */
    char *userpwd; /* secret */
    char *token;   /* secret header line, or NULL */
    bool path_style;
    char *lock_mode;     /* Object Lock on record objects: GOVERNANCE or COMPLIANCE, or NULL */
    int64_t lock_retain; /* with lock_mode: retention from the upload, in microseconds */
    unsigned max_keys;   /* ListObjectsV2 page size; 0 = the server's (1000) */
    long retry_after_ms; /* what the last answer asked for (EA_STORE_NO_RETRY), -1 none */
};

static void s3_close(struct ea_store *st)
{
    struct s3_store *s = (struct s3_store *)st;

    if (!s) return;
    ea_http_close(s->http);
    ea_free(s->endpoint);
    ea_free(s->bucket);
    ea_free(s->prefix);
    ea_free(s->region);
    ea_free(s->sigv4);
    ea_free(s->lock_mode);
    if (s->userpwd) ea_free_secret(s->userpwd, strlen(s->userpwd));
    if (s->token) ea_free_secret(s->token, strlen(s->token));
    ea_free(s);
}

static int s3_open(struct ea_store **out, const char *loc, unsigned flags)
{
    struct ea_http_opts o = {.retries_max = 4, .backoff_base_ms = 200};
    struct s3_store *s = ea_calloc(1, sizeof(*s));
    const char *q = strchr(loc, '?');
    size_t blen = strcspn(loc, "/?");
    char *ps = NULL;
    const char *ak, *sk, *tok;
    int rc = 0;

    *out = NULL;
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->base.ops = &ea_store_s3_ops;
    s->retry_after_ms = -1;
    if (flags & EA_STORE_NO_RETRY) o.retries_max = EA_HTTP_NO_RETRY; /* the caller's: store.h */
    if (blen == 0) {
        rc = ea_fail(EA_EUSAGE, "s3://%s: no bucket (s3://BUCKET/PREFIX?endpoint=URL&region=R)",
                     loc);
        goto out;
    }
    s->bucket = ea_strndup(loc, blen);
    s->prefix =
        loc[blen] == '/'
            ? ea_strndup(loc + blen + 1, (size_t)((q ? q : loc + strlen(loc)) - (loc + blen + 1)))
            : ea_strdup("");
    s->endpoint = ea_query_param(q ? q + 1 : NULL, "endpoint");
    s->region = ea_query_param(q ? q + 1 : NULL, "region");
    ps = ea_query_param(q ? q + 1 : NULL, "path_style");
    s->path_style = ps && strcmp(ps, "1") == 0;
    {
        char *mk = ea_query_param(q ? q + 1 : NULL, "max_keys");
        s->max_keys = mk ? (unsigned)strtoul(mk, NULL, 10) : 0;
        ea_free(mk);
    }
    s->lock_mode = ea_query_param(q ? q + 1 : NULL, "object_lock_mode");
    {
        char *retain = ea_query_param(q ? q + 1 : NULL, "object_lock_retain");
        if (s->lock_mode && strcmp(s->lock_mode, "GOVERNANCE") != 0 &&
            strcmp(s->lock_mode, "COMPLIANCE") != 0)
            rc = ea_fail(EA_EUSAGE,
                         "s3://%s: object_lock_mode is '%s': use GOVERNANCE or COMPLIANCE",
                         s->bucket, s->lock_mode);
        else if (!s->lock_mode != !retain)
            rc =
                ea_fail(EA_EUSAGE, "s3://%s: give object_lock_mode and object_lock_retain together",
                        s->bucket);
        else if (retain && (ea_duration_parse(&s->lock_retain, retain) < 0 || s->lock_retain <= 0))
            rc = ea_fail(EA_EUSAGE, "s3://%s: object_lock_retain '%s' is not a duration like 400d",
                         s->bucket, retain);
        ea_free(retain);
        if (rc < 0) goto out;
    }
    if (!s->region)
        s->region =
            ea_strdup(ea_config_env("AWS_REGION") ? ea_config_env("AWS_REGION") : "us-east-1");
    if (!s->endpoint) s->endpoint = ea_asprintf("https://s3.%s.amazonaws.com", s->region);
    if (!s->bucket || !s->prefix || !s->region || !s->endpoint) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    while (*s->prefix && s->prefix[strlen(s->prefix) - 1] == '/')
        s->prefix[strlen(s->prefix) - 1] = '\0';
    while (*s->endpoint && s->endpoint[strlen(s->endpoint) - 1] == '/')
        s->endpoint[strlen(s->endpoint) - 1] = '\0';
    if (strncmp(s->endpoint, "http://", 7) != 0 && strncmp(s->endpoint, "https://", 8) != 0) {
        rc =
            ea_fail(EA_EUSAGE, "s3 endpoint '%s' must start with http:// or https://", s->endpoint);
        goto out;
    }
    ak = ea_config_env("AWS_ACCESS_KEY_ID");
    sk = ea_config_env("AWS_SECRET_ACCESS_KEY");
    tok = ea_config_env("AWS_SESSION_TOKEN");
    if (!ak || !sk) {
        rc = ea_fail(EA_ECONFIG, "the S3 store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        goto out;
    }
    s->userpwd = ea_asprintf("%s:%s", ak, sk);
    s->sigv4 = ea_asprintf("aws:amz:%s:s3", s->region);
    if (tok) s->token = ea_asprintf("x-amz-security-token: %s", tok);
    if (!s->userpwd || !s->sigv4 || (tok && !s->token)) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = ea_http_open(&s->http, &o);
out:
    ea_free(ps);
    if (rc < 0) {
        s3_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

/* URL of key (already under the prefix), or of the bucket when key is NULL. */
static char *object_url(const struct s3_store *s, const char *key, const char *query)
{
    const char *host = strstr(s->endpoint, "://") + 3;

    if (s->path_style)
        return ea_asprintf("%s/%s/%s%s%s", s->endpoint, s->bucket, key ? key : "", query ? "?" : "",
                           query ? query : "");
    return ea_asprintf("%.*s%s.%s/%s%s%s", (int)(host - s->endpoint), s->endpoint, s->bucket, host,
                       key ? key : "", query ? "?" : "", query ? query : "");
}

static char *full_key(const struct s3_store *s, const char *key)
{
    return *s->prefix ? ea_asprintf("%s/%s", s->prefix, key) : ea_strdup(key);
}

/* One signed request; out gets the response (caller disposes). */
static int request(struct s3_store *s, struct ea_http_response *out, const char *method,
                   const char *url, const void *body, size_t len, const char *content_type,
                   const char *const *extra)
{
    char sha[EA_SHA256_HEX_LEN + 1], amz[100], ctype[128];
    const char *headers[9];
    size_t n = 0;
    struct ea_http_req req = {method, url, headers, body, len, s->sigv4, s->userpwd};
    int rc = ea_sha256_hex(sha, body ? body : "", body ? len : 0);

    if (rc < 0) return rc;
    snprintf(amz, sizeof(amz), "x-amz-content-sha256: %s", sha);
    headers[n++] = amz;
    if (content_type) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
        headers[n++] = ctype;
    }
    if (s->token) headers[n++] = s->token;
    for (size_t i = 0; extra && extra[i] && n < 8; i++) headers[n++] = extra[i];
    headers[n] = NULL;
    rc = ea_http_request(s->http, out, &req);
    s->retry_after_ms = out->retry_after_ms;
    return rc;
}

/*
 * The Object Lock headers of a record object: mode, retain-until (now plus the
 * retention) and the Content-MD5 that S3 demands with them. Stream heads are
 * never locked: they are rewritten as the stream grows. Checkpoints are locked.
 */
static int lock_headers(const struct s3_store *s, const void *data, size_t len, char mode[64],
                        char until[96], char md5[64])
{
    unsigned char d[16];
    char when[EA_TIME_TEXT_MAX];
    char *b64 = NULL;
    size_t b64_len = 0;
    int rc;

    if (EVP_Digest(data, len, d, NULL, EVP_md5(), NULL) != 1)
        return ea_fail(EA_ERROR, "OpenSSL cannot compute MD5 for Content-MD5");
    if ((rc = ea_base64_encode(&b64, &b64_len, d, sizeof(d))) < 0) return rc;
    snprintf(md5, 64, "Content-MD5: %s", b64);
    ea_free(b64);
    ea_time_format_rfc3339(when, ea_time_now_us() + s->lock_retain);
    snprintf(mode, 64, "x-amz-object-lock-mode: %s", s->lock_mode);
    snprintf(until, 96, "x-amz-object-lock-retain-until-date: %s", when);
    return 0;
}

static int put_object(struct s3_store *s, const char *key, const void *data, size_t len, bool lock)
{
    struct ea_http_response r = {0};
    char mode[64], until[96], md5[64];
    const char *extra[] = {mode, until, md5, NULL};
    char *k = full_key(s, key), *url = k ? object_url(s, k, NULL) : NULL;
    int rc = url ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    if (rc == 0 && lock && s->lock_mode) rc = lock_headers(s, data, len, mode, until, md5);
    if (rc == 0)
        rc = request(s, &r, "PUT", url, data, len,
                     strncmp(key, "blobs/", 6) == 0 ? "application/octet-stream"
                                                    : "application/json",
                     lock && s->lock_mode ? extra : NULL);

    if (url) ea_http_response_dispose(&r);
    if (rc < 0) ea_fail_prefix("s3://%s: PUT %s", s->bucket, key);
    ea_free(url);
    ea_free(k);
    return rc;
}

static int s3_put(struct ea_store *st, const struct ea_envelope *env)
{
    struct s3_store *s = (struct s3_store *)st;
    char key[EA_STORE_KEY_MAX];
    int rc = 0;

    for (size_t i = 0; i < env->controls.n && rc == 0; i++) {
        rc = ea_store_key(key, env, env->controls.ids[i]);
        if (rc == 0) rc = put_object(s, key, env->json, env->json_len, true);
    }
    return rc;
}

static int s3_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    struct s3_store *s = (struct s3_store *)st;
    struct ea_http_response r;
    char *k = full_key(s, key), *url = k ? object_url(s, k, NULL) : NULL;
    int rc;

    ea_buf_init(out, ea_store_object_max(key));
    if (!url) {
        ea_free(k);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = request(s, &r, "GET", url, NULL, 0, NULL, NULL);
    if (rc == 0) rc = ea_buf_append(out, r.body.data ? r.body.data : "", r.body.len);
    ea_http_response_dispose(&r);
    ea_free(url);
    ea_free(k);
    return rc;
}

/* Decodes the five XML entities in place. */
static void xml_unescape(char *s)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *w = s;

    for (char *r = s; *r;) {
        size_t i = 0;
        while (*r == '&' && i < 5 && strncmp(r, ents[i].ent, strlen(ents[i].ent)) != 0) i++;
        if (*r == '&' && i < 5) {
            *w++ = ents[i].c;
            r += strlen(ents[i].ent);
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* The text of each <tag> in xml, in order, to cb; returns cb's first error. */
static int each_tag(const char *xml, const char *tag, int (*cb)(char *text, void *p), void *p)
{
    char open[64], close[64];
    const char *at = xml;
    int rc = 0;

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    while (rc == 0 && (at = strstr(at, open))) {
        const char *end = strstr(at, close);
        char *text;
        if (!end) break;
        text = ea_strndup(at + strlen(open), (size_t)(end - at - strlen(open)));
        if (!text) return ea_fail(EA_ENOMEM, "out of memory");
        xml_unescape(text);
        rc = cb(text, p);
        ea_free(text);
        at = end;
    }
    return rc;
}

struct listing {
    struct s3_store *s;
    int (*on_key)(const char *key, void *p); /* key without the store's prefix */
    void *p;
    char *next;
};

static int got_key(char *text, void *p)
{
    struct listing *l = p;
    size_t plen = strlen(l->s->prefix);

    if (plen && (strncmp(text, l->s->prefix, plen) != 0 || text[plen] != '/')) return 0;
    return l->on_key(text + (plen ? plen + 1 : 0), l->p);
}

static int got_token(char *text, void *p)
{
    struct listing *l = p;

    ea_free(l->next);
    l->next = ea_strdup(text);
    return l->next ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

/* "%XX"-escapes everything but unreserved characters (and '/' when keep_slash). */
static char *escape(const char *s, bool keep_slash)
{
    struct ea_buf b;

    ea_buf_init(&b, 0);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int rc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         strchr("-._~", c) || (keep_slash && c == '/')
                     ? ea_buf_append(&b, s, 1)
                     : ea_buf_printf(&b, "%%%02X", c);
        if (rc < 0) {
            ea_buf_dispose(&b);
            return NULL;
        }
    }
    {
        char *r = ea_buf_take(&b, NULL);
        return r ? r : ea_strdup("");
    }
}

/* Every key under prefix (relative to the store), page by page. */
static int list_prefix(struct s3_store *s, const char *prefix, int (*on_key)(const char *, void *),
                       void *p)
{
    struct listing l = {s, on_key, p, NULL};
    char *full = full_key(s, prefix), *ep = full ? escape(full, true) : NULL;
    int rc = ep ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    for (unsigned page = 0; rc == 0 && page < LIST_PAGES_MAX; page++) {
        struct ea_http_response r;
        char *tok = l.next ? escape(l.next, false) : NULL;
        char mk[32] = "";
        char *query;
        char *url;
        bool more;
        if (s->max_keys) snprintf(mk, sizeof(mk), "&max-keys=%u", s->max_keys);
        query = ea_asprintf("list-type=2%s&prefix=%s%s%s", mk, ep,
                            tok ? "&continuation-token=" : "", tok ? tok : "");
        url = query ? object_url(s, NULL, query) : NULL;
        ea_free(tok);
        ea_free(query);
        if (!url) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        rc = request(s, &r, "GET", url, NULL, 0, NULL, NULL);
        ea_free(url);
        if (rc == 0) {
            char *xml = ea_strndup(r.body.data ? r.body.data : "", r.body.len);
            more = xml && strstr(xml, "<IsTruncated>true</IsTruncated>") != NULL;
            ea_free(l.next);
            l.next = NULL;
            rc = xml ? each_tag(xml, "Key", got_key, &l) : ea_fail(EA_ENOMEM, "out of memory");
            if (rc == 0 && more) rc = each_tag(xml, "NextContinuationToken", got_token, &l);
            ea_free(xml);
            if (rc == 0 && (!more || !l.next)) page = LIST_PAGES_MAX;
        }
        ea_http_response_dispose(&r);
    }
    if (rc < 0) ea_fail_prefix("s3://%s: listing %s", s->bucket, prefix);
    ea_free(l.next);
    ea_free(ep);
    ea_free(full);
    return rc;
}

struct list_ctx {
    const struct ea_query *q;
    ea_store_list_cb cb;
    void *payload;
};

static int on_record_key(const char *key, void *p)
{
    struct list_ctx *c = p;
    struct ea_store_entry e;
    const char *name = strrchr(key, '/');
    char control[16], id[65];
    int64_t t;
    size_t clen;

    if (strncmp(key, "controls/", 9) != 0 || !name) return 0;
    clen = strcspn(key + 9, "/");
    if (clen == 0 || clen >= sizeof(control)) return 0;
    memcpy(control, key + 9, clen);
    control[clen] = '\0';
    if (ea_store_parse_name(name + 1, &t, id) < 0) {
        ea_error_clear(); /* not a record's name: not ours */
        return 0;
    }
    if (t < c->q->since_us || t > c->q->until_us ||
        (c->q->control && strcmp(control, c->q->control) != 0))
        return 0;
    e = (struct ea_store_entry){key, control, id, t};
    return c->cb(&e, c->payload);
}

static int s3_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb,
                   void *payload)
{
    struct s3_store *s = (struct s3_store *)st;
    struct list_ctx c = {q, cb, payload};
    char prefix[128];
    int64_t day = 86400LL * 1000000;

    if (q->control && q->since_us > INT64_MIN && q->until_us < INT64_MAX &&
        (q->until_us - q->since_us) / day < DAYS_BY_PREFIX_MAX) { /* one prefix per day */
        int rc = 0;
        for (int64_t t = q->since_us - q->since_us % day; rc == 0 && t <= q->until_us; t += day) {
            int y, m, d;
            ea_time_civil(t, &y, &m, &d);
            snprintf(prefix, sizeof(prefix), "controls/%s/%04d/%02d/%02d/", q->control, y, m, d);
            rc = list_prefix(s, prefix, on_record_key, &c);
        }
        return rc;
    }
    snprintf(prefix, sizeof(prefix), "controls/%s%s", q->control ? q->control : "",
             q->control ? "/" : "");
    return list_prefix(s, prefix, on_record_key, &c);
}

static int s3_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    struct s3_store *s = (struct s3_store *)st;
    char *key = ea_asprintf("streams/%s.json", head->stream);
    char *text = ea_stream_head_text(head);
    int rc = key && text ? put_object(s, key, text, strlen(text), false)
                         : ea_fail(EA_ENOMEM, "out of memory");

    ea_free(key);
    ea_free(text);
    return rc;
}

static int s3_put_checkpoint(struct ea_store *st, const char *key, const char *data, size_t len)
{
    return put_object((struct s3_store *)st, key, data, len, true); /* locked like records */
}

struct walk_ctx {
    ea_store_object_cb cb;
    void *payload;
};

static int on_any_key(const char *key, void *p)
{
    struct walk_ctx *c = p;
    struct ea_store_object o = {key, EA_STORE_FILE, NULL}; /* S3 has objects only */

    return c->cb(&o, c->payload);
}

static int s3_walk(struct ea_store *st, ea_store_object_cb cb, void *payload)
{
    struct walk_ctx c = {cb, payload};

    return list_prefix((struct s3_store *)st, "", on_any_key, &c);
}

static int s3_sync(struct ea_store *st)
{
    (void)st;
    return 0; /* every PUT answered 200 is durable already */
}

/* One listing of at most one key under the prefix: the bucket exists and the keys may read it. */
static int s3_probe(struct ea_store *st)
{
    struct s3_store *s = (struct s3_store *)st;
    struct ea_http_response r;
    char *full = full_key(s, "streams/"), *ep = full ? escape(full, true) : NULL;
    char *query = ep ? ea_asprintf("list-type=2&max-keys=1&prefix=%s", ep) : NULL;
    char *url = query ? object_url(s, NULL, query) : NULL;
    int rc =
        url ? request(s, &r, "GET", url, NULL, 0, NULL, NULL) : ea_fail(EA_ENOMEM, "out of memory");

    if (url) ea_http_response_dispose(&r);
    if (rc == EA_ENOTFOUND)
        rc = ea_fail(EA_ENOTFOUND,
                     "s3://%s: no such bucket at %s (create it, or check the "
                     "bucket name, endpoint and region)",
                     s->bucket, s->endpoint);
    else if (rc < 0)
        ea_fail_prefix("s3://%s: reading the bucket", s->bucket);
    ea_free(url);
    ea_free(query);
    ea_free(ep);
    ea_free(full);
    return rc;
}

static long s3_retry_after_ms(struct ea_store *st)
{
    return ((struct s3_store *)st)->retry_after_ms;
}

const struct ea_store_ops ea_store_s3_ops = {
    .scheme = "s3",
    .params = (const char *const[]){"endpoint", "region", "path_style", "max_keys",
                                    "object_lock_mode", "object_lock_retain", NULL},
    .open = s3_open,
    .put = s3_put,
    .list = s3_list,
    .get = s3_get,
    .put_stream = s3_put_stream,
    .sync = s3_sync,
    .walk = s3_walk,
    .put_object = s3_put_checkpoint,
    .probe = s3_probe,
    .retry_after_ms = s3_retry_after_ms,
    .close = s3_close,
};
