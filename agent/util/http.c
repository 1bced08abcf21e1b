/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP GET with retries and pagination over one libcurl easy handle; see
 * http.h. Retry policy lives here for HTTP APIs; stores keep their own
 * (the spool owns retries of shipping). Response headers are read only for
 * the few names that steer retries and paging; nothing of a request or a
 * response is logged.
 */
#include "http.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <evidence/version.h>

#include "dl.h"
#include "error.h"
#include "mem.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_MS 10000L
#define DEFAULT_BODY_MAX (32u * 1024 * 1024)
#define DEFAULT_RETRIES 4u
#define DEFAULT_WAIT_MAX_MS 60000L
#define DEFAULT_BACKOFF_MS 500L
#define URL_MAX 4096

struct ea_http {
    CURL *curl;
    struct ea_http_opts o;
    char user_agent[64];
    int64_t deadline_ms; /* CLOCK_MONOTONIC; 0 = none */
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ea_http_set_budget(struct ea_http *h, long budget_ms)
{
    h->o.budget_ms = budget_ms > 0 ? budget_ms : 0;
    h->deadline_ms = budget_ms > 0 ? mono_ms() + budget_ms : 0;
}

/* What is left of the budget, in ms (LONG_MAX without one; <= 0 when spent). */
static long budget_left(const struct ea_http *h)
{
    int64_t left;

    if (!h->deadline_ms) return LONG_MAX;
    left = h->deadline_ms - mono_ms();
    return left > LONG_MAX ? LONG_MAX : (long)left;
}

static long min_long(long a, long b)
{
    return a < b ? a : b;
}

/* What the header callback gathers for one attempt. */
struct attempt {
    struct ea_buf *body;
    long retry_after_ms;  /* -1 when absent */
    long ratelimit_reset; /* epoch seconds, 0 when absent */
    bool ratelimit_empty; /* X-RateLimit-Remaining: 0 */
    char link_next[URL_MAX];
    long next_page; /* X-Next-Page, 0 when absent */
    bool too_big;   /* the body passed its bound */
};

/*
 * libcurl and the thirty libraries it brings (GSSAPI, LDAP, SSH, ...) cost
 * several milliseconds of relocations and megabytes of memory in every
 * process; most commands never make a request. So util/dl.c loads libcurl on
 * the first ea_http_open, and it is called through this table.
 */
struct curl_fns {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *h);
    void (*easy_reset)(CURL *h);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode c);
    time_t (*getdate)(const char *text, const time_t *unused);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
};
static struct curl_fns cu;
static const struct ea_dl_sym curl_syms[] = {
    {"curl_global_init", offsetof(struct curl_fns, global_init)},
    {"curl_easy_init", offsetof(struct curl_fns, easy_init)},
    {"curl_easy_cleanup", offsetof(struct curl_fns, easy_cleanup)},
    {"curl_easy_reset", offsetof(struct curl_fns, easy_reset)},
    {"curl_easy_setopt", offsetof(struct curl_fns, easy_setopt)},
    {"curl_easy_perform", offsetof(struct curl_fns, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct curl_fns, easy_getinfo)},
    {"curl_easy_strerror", offsetof(struct curl_fns, easy_strerror)},
    {"curl_getdate", offsetof(struct curl_fns, getdate)},
    {"curl_slist_append", offsetof(struct curl_fns, slist_append)},
    {"curl_slist_free_all", offsetof(struct curl_fns, slist_free_all)},
};
static struct ea_dl curl_dl =
    EA_DL_INIT(EA_SONAME_CURL, EA_PACKAGE_CURL, "to reach a store or an API", curl_syms, cu);
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc = -1;

/* Once, after curl_dl is loaded (it is never unloaded). */
static void init_curl(void)
{
    if (cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) curl_init_rc = 0;
}

void ea_http_url_display(char *out, size_t cap, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *path = host + strcspn(host, "/?#");
    const char *at = memchr(host, '@', (size_t)(path - host));
    size_t path_len = strcspn(path, "?#");

    if (at) host = at + 1;
    snprintf(out, cap, "%.*s%.*s%.*s", scheme_end ? (int)(scheme_end + 3 - url) : 0, url,
             (int)(path - host), host, (int)path_len, path);
}

long ea_http_backoff_ms(unsigned attempt, long base_ms, long cap_ms, long hint_ms, uint32_t random)
{
    long step = base_ms;

    if (hint_ms >= 0) return hint_ms < cap_ms ? hint_ms : cap_ms;
    for (unsigned i = 1; i < attempt && step < cap_ms; i++) step *= 2;
    if (step > cap_ms) step = cap_ms;
    return (long)(random % (uint32_t)(step + 1)); /* full jitter: uniform in [0, step] */
}

static void trim(const char **v, size_t *n)
{
    while (*n && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n && ((*v)[*n - 1] == '\r' || (*v)[*n - 1] == '\n' || (*v)[*n - 1] == ' ')) (*n)--;
}

static bool header_is(const char *line, size_t n, const char *name, const char **value,
                      size_t *vlen)
{
    size_t k = strlen(name);

    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0) return false;
    *value = line + k + 1;
    *vlen = n - k - 1;
    trim(value, vlen);
    return true;
}

static long parse_long(const char *v, size_t n)
{
    char tmp[32];
    char *end;
    long x;

    if (n == 0 || n >= sizeof(tmp)) return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    x = strtol(tmp, &end, 10);
    return *end == '\0' && x >= 0 ? x : -1;
}

/* Link: <https://api/...?page=2>; rel="next", <...>; rel="last" */
static void parse_link(struct attempt *a, const char *v, size_t n)
{
    const char *end = v + n;

    while (v < end) {
        const char *lt = memchr(v, '<', (size_t)(end - v));
        const char *gt = lt ? memchr(lt, '>', (size_t)(end - lt)) : NULL;
        const char *comma;
        if (!gt) return;
        comma = memchr(gt, ',', (size_t)(end - gt));
        if (!comma) comma = end;
        for (const char *p = gt; p + 10 <= comma; p++) {
            if (strncmp(p, "rel=\"next\"", 10) == 0 || strncmp(p, "rel=next", 8) == 0) {
                size_t len = (size_t)(gt - lt - 1);
                if (len < sizeof(a->link_next)) {
                    memcpy(a->link_next, lt + 1, len);
                    a->link_next[len] = '\0';
                }
                return;
            }
        }
        v = comma + 1;
    }
}

static size_t on_header(char *line, size_t size, size_t nitems, void *payload)
{
    struct attempt *a = payload;
    size_t n = size * nitems;
    const char *v;
    size_t vlen;

    if (header_is(line, n, "Retry-After", &v, &vlen)) {
        long secs = parse_long(v, vlen);
        if (secs < 0 && vlen < 64) { /* an HTTP date */
            char date[64];
            memcpy(date, v, vlen);
            date[vlen] = '\0';
            time_t when = cu.getdate(date, NULL);
            if (when > 0) secs = (long)(when - time(NULL)) > 0 ? (long)(when - time(NULL)) : 0;
        }
        if (secs >= 0) a->retry_after_ms = secs > 86400 ? 86400000L : secs * 1000;
    } else if (header_is(line, n, "X-RateLimit-Remaining", &v, &vlen)) {
        a->ratelimit_empty = parse_long(v, vlen) == 0;
    } else if (header_is(line, n, "X-RateLimit-Reset", &v, &vlen)) {
        a->ratelimit_reset = parse_long(v, vlen);
    } else if (header_is(line, n, "Link", &v, &vlen)) {
        parse_link(a, v, vlen);
    } else if (header_is(line, n, "X-Next-Page", &v, &vlen)) {
        long page = parse_long(v, vlen);
        a->next_page = page > 0 ? page : 0;
    } else if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or 100-continue): forget the last one's hints */
        a->retry_after_ms = -1;
        a->ratelimit_reset = 0;
        a->ratelimit_empty = false;
        a->link_next[0] = '\0';
        a->next_page = 0;
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *payload)
{
    struct attempt *a = payload;
    size_t n = size * nmemb;

    if (ea_buf_append(a->body, data, n) < 0) {
        a->too_big = true;
        return 0; /* aborts the transfer */
    }
    return n;
}

int ea_http_open(struct ea_http **out, const struct ea_http_opts *opts)
{
    struct ea_http *h;

    *out = NULL;
    if (ea_dl_load(&curl_dl) < 0) return EA_ERROR;
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != 0) return ea_fail(EA_ERROR, "%s: curl_global_init failed", EA_SONAME_CURL);
    h = ea_calloc(1, sizeof(*h));
    if (!h) return ea_fail(EA_ENOMEM, "out of memory");
    if (opts) h->o = *opts;
    if (!h->o.timeout_ms) h->o.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!h->o.connect_timeout_ms) h->o.connect_timeout_ms = DEFAULT_CONNECT_MS;
    if (!h->o.body_max_bytes) h->o.body_max_bytes = DEFAULT_BODY_MAX;
    if (!h->o.retries_max) h->o.retries_max = DEFAULT_RETRIES;
    if (h->o.retries_max == EA_HTTP_NO_RETRY) h->o.retries_max = 0;
    if (!h->o.retry_wait_max_ms) h->o.retry_wait_max_ms = DEFAULT_WAIT_MAX_MS;
    if (!h->o.backoff_base_ms) h->o.backoff_base_ms = DEFAULT_BACKOFF_MS;
    ea_http_set_budget(h, h->o.budget_ms);
    snprintf(h->user_agent, sizeof(h->user_agent), "evidence-agent/%s", EA_VERSION);
    h->curl = cu.easy_init();
    if (!h->curl) {
        ea_free(h);
        return ea_fail(EA_ENOMEM, "libcurl could not make a handle");
    }
    *out = h;
    return 0;
}

void ea_http_close(struct ea_http *h)
{
    if (!h) return;
    cu.easy_cleanup(h->curl);
    ea_free(h);
}

void ea_http_response_dispose(struct ea_http_response *r)
{
    ea_buf_dispose(&r->body);
    ea_free(r->next_url);
    r->next_url = NULL;
}

static void sleep_ms(struct ea_http *h, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    if (h->o.sleep_ms) {
        h->o.sleep_ms(ms, h->o.sleep_payload);
        return;
    }
    while (nanosleep(&ts, &ts) != 0) continue;
}

static uint32_t jitter(void)
{
    static _Thread_local uint32_t state;
    if (!state) state = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&state;
    state ^= state << 13; /* xorshift32: jitter needs spread, not secrecy */
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

/* Length of "scheme://userinfo@host:port" of url (up to the path). */
static size_t origin_len(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;

    return (size_t)(host - url) + strcspn(host, "/?#");
}

/* Whether b has the same scheme, host and port as a (a token sent to a may go to b). */
static bool same_origin(const char *a, const char *b)
{
    size_t n = origin_len(a);

    return n == origin_len(b) && strncasecmp(a, b, n) == 0;
}

/* The next page's URL: Link rel="next" first, else url with page=N. Owned. */
static char *next_url(const char *url, const struct attempt *a)
{
    const char *q;
    char *out;

    if (a->link_next[0]) return ea_strdup(a->link_next);
    if (!a->next_page) return NULL;
    q = strstr(url, "?page=");
    if (!q) q = strstr(url, "&page=");
    if (q) {
        const char *rest = q + 6 + strspn(q + 6, "0123456789");
        return ea_asprintf("%.*s%cpage=%ld%s", (int)(q - url), url, q[0], a->next_page, rest);
    }
    out = ea_asprintf("%s%cpage=%ld", url, strchr(url, '?') ? '&' : '?', a->next_page);
    return out;
}

static bool retryable_status(long status)
{
    return status == 429 || status == 408 || (status >= 500 && status <= 599);
}

int ea_http_get(struct ea_http *h, struct ea_http_response *out, const char *url,
                const char *const *headers)
{
    struct ea_http_req req = {.url = url, .headers = headers};

    return ea_http_request(h, out, &req);
}

int ea_http_request(struct ea_http *h, struct ea_http_response *out, const struct ea_http_req *req)
{
    const char *url = req->url;
    const char *const *headers = req->headers;
    struct curl_slist *list = NULL;
    struct attempt a;
    char shown[512], cause[160] = "no answer";
    CURLcode cc = CURLE_OK;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    ea_buf_init(&out->body, h->o.body_max_bytes);
    ea_http_url_display(shown, sizeof(shown), url);
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *nl = cu.slist_append(list, headers[i]);
        if (!nl) {
            cu.slist_free_all(list);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        list = nl;
    }
    for (unsigned attempt_no = 1;; attempt_no++) {
        long hint = -1, wait, left = budget_left(h);

        if (left <= 0) {
            rc = ea_fail(EA_ERETRY,
                         "%s: %s; the timeout of %lds ran out after %u attempt%s (is the server "
                         "up and answering? the collector's timeout option gives it longer)",
                         shown, cause, (h->o.budget_ms + 999) / 1000, attempt_no - 1,
                         attempt_no == 2 ? "" : "s");
            break;
        }

        memset(&a, 0, sizeof(a));
        a.body = &out->body;
        a.retry_after_ms = -1;
        ea_buf_reset(&out->body);
        cu.easy_reset(h->curl);
        cu.easy_setopt(h->curl, CURLOPT_URL, url);
        cu.easy_setopt(h->curl, CURLOPT_HTTPHEADER, list);
        cu.easy_setopt(h->curl, CURLOPT_USERAGENT,
                       h->o.user_agent ? h->o.user_agent : h->user_agent);
        cu.easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, min_long(h->o.timeout_ms, left));
        cu.easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, min_long(h->o.connect_timeout_ms, left));
        cu.easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
        cu.easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect would resend the token */
        cu.easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        cu.easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, h->o.insecure ? 0L : 1L);
        cu.easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, h->o.insecure ? 0L : 2L);
        cu.easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
        cu.easy_setopt(h->curl, CURLOPT_HEADERDATA, &a);
        cu.easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
        cu.easy_setopt(h->curl, CURLOPT_WRITEDATA, &a);
        cu.easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
        if (req->method && strcmp(req->method, "GET") != 0) {
            cu.easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, req->method);
            if (req->body) {
                cu.easy_setopt(h->curl, CURLOPT_POSTFIELDS, req->body);
                cu.easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            }
        }
        if (req->aws_sigv4) { /* the caller sends x-amz-content-sha256: curl 7.88 does not */
            cu.easy_setopt(h->curl, CURLOPT_AWS_SIGV4, req->aws_sigv4);
            cu.easy_setopt(h->curl, CURLOPT_USERPWD, req->userpwd);
        }
        cc = cu.easy_perform(h->curl);
        out->attempts = attempt_no;
        out->status = 0;
        if (a.too_big) {
            rc = ea_fail(EA_ETOOBIG, "%s: response larger than %zu bytes", shown,
                         h->o.body_max_bytes);
            break;
        }
        if (cc == CURLE_OK) cu.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
        if (cc == CURLE_OK && out->status >= 200 && out->status <= 299) {
            if (a.link_next[0] && !same_origin(url, a.link_next)) {
                /* request headers (tokens) go only where the caller sent them */
                rc = ea_fail(EA_EINPUT,
                             "%s: the next page's link points to another host; "
                             "not followed",
                             shown);
                break;
            }
            out->next_url = next_url(url, &a);
            if ((a.link_next[0] || a.next_page) && !out->next_url)
                rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        if (cc == CURLE_OK && !retryable_status(out->status) &&
            !(out->status == 403 && a.ratelimit_empty)) {
            if (out->status == 401)
                rc = ea_fail(EA_ECONFIG,
                             "%s: 401 Unauthorized (the token is missing, expired or "
                             "wrong; check it)",
                             shown);
            else if (out->status == 403)
                rc = ea_fail(EA_ECONFIG,
                             "%s: 403 Forbidden (the token lacks the permission for "
                             "this; grant read access)",
                             shown);
            else if (out->status == 404)
                rc = ea_fail(EA_ENOTFOUND,
                             "%s: 404 Not Found (check the repository and IDs, or "
                             "the token's access to them)",
                             shown);
            else
                rc = ea_fail(EA_EINPUT, "%s: HTTP %ld", shown, out->status);
            break;
        }
        if (cc != CURLE_OK && cc != CURLE_COULDNT_CONNECT && cc != CURLE_OPERATION_TIMEDOUT &&
            cc != CURLE_COULDNT_RESOLVE_HOST && cc != CURLE_RECV_ERROR && cc != CURLE_SEND_ERROR &&
            cc != CURLE_GOT_NOTHING && cc != CURLE_PARTIAL_FILE) {
            rc = ea_fail(EA_EINPUT, "%s: %s", shown, cu.easy_strerror(cc));
            break;
        }
        if (cc != CURLE_OK)
            snprintf(cause, sizeof(cause), "%s", cu.easy_strerror(cc));
        else
            snprintf(cause, sizeof(cause), "HTTP %ld", out->status);
        if (budget_left(h) <= 0) { /* the last attempt used what was left of the budget */
            rc = ea_fail(EA_ERETRY,
                         "%s: %s; the timeout of %lds ran out after %u attempt%s (is the server "
                         "up and answering? the collector's timeout option gives it longer)",
                         shown, cause, (h->o.budget_ms + 999) / 1000, attempt_no,
                         attempt_no == 1 ? "" : "s");
            break;
        }
        if (a.retry_after_ms >= 0) {
            hint = a.retry_after_ms;
        } else if ((out->status == 429 || out->status == 403) && a.ratelimit_empty &&
                   a.ratelimit_reset > 0) {
            long wait_s = a.ratelimit_reset - (long)time(NULL);
            hint = wait_s > 0 ? wait_s * 1000 : 0;
        }
        out->retry_after_ms = hint;
        if (attempt_no > h->o.retries_max) {
            if (cc != CURLE_OK)
                rc = ea_fail(EA_ERETRY,
                             "%s: %s after %u attempts (is the server up and "
                             "reachable?)",
                             shown, cu.easy_strerror(cc), attempt_no);
            else
                rc = ea_fail(EA_ERETRY, "%s: HTTP %ld after %u attempts (try again later)", shown,
                             out->status, attempt_no);
            break;
        }
        wait = ea_http_backoff_ms(attempt_no, h->o.backoff_base_ms, h->o.retry_wait_max_ms, hint,
                                  jitter());
        sleep_ms(h, min_long(wait, budget_left(h) > 0 ? budget_left(h) : 0));
    }
    cu.slist_free_all(list);
    cu.easy_reset(h->curl); /* drop the header list pointer, which we free */
    if (rc < 0) {
        ea_free(out->next_url);
        out->next_url = NULL;
    }
    return rc;
}

int ea_http_get_json(struct ea_http *h, const char *const *headers, const char *url, json_t **out,
                     char **next, long *status)
{
    struct ea_http_response r;
    json_error_t err;
    char shown[512];
    int rc;

    *out = NULL;
    if (next) *next = NULL;
    rc = ea_http_get(h, &r, url, headers);
    if (status) *status = r.status;
    if (rc == 0) {
        *out = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &err);
        if (!*out) {
            char *near = strstr(err.text, " near '"); /* it quotes the response: may hold a token */
            if (near) *near = '\0';
            ea_http_url_display(shown, sizeof(shown), url);
            rc = ea_fail(EA_EINPUT, "%s: the response is not JSON (%s at line %d, column %d)",
                         shown, err.text, err.line, err.column);
        } else if (next) {
            *next = r.next_url;
            r.next_url = NULL;
        }
    }
    ea_http_response_dispose(&r);
    return rc;
}
