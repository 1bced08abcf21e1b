/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one HTTP client (libcurl) that every collector and store uses: bounded
 * bodies, timeouts, a User-Agent, TLS verification on unless the caller says
 * otherwise, retries with capped exponential backoff and full jitter on
 * connection failures, 5xx and rate limits (honouring Retry-After and
 * X-RateLimit-Reset, bounded) unless the caller owns the retries
 * (EA_HTTP_NO_RETRY: one attempt, and the response names the server's wait),
 * pagination by Link rel="next" (GitHub) or
 * X-Next-Page (GitLab) with a page cap, and one clear error per outcome
 * (401, 403, 404, others). Header values given by the caller (tokens) are
 * never logged or put into error messages; URLs in messages lose userinfo
 * and query strings.
 */
#ifndef EA_UTIL_HTTP_H
#define EA_UTIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct ea_http_opts {
    long timeout_ms;         /* whole request; 0 = 30000 */
    long connect_timeout_ms; /* 0 = 10000 */
    size_t body_max_bytes;   /* 0 = 32 MiB */
    unsigned
        retries_max; /* retries after the first attempt; 0 = 4 (set EA_HTTP_NO_RETRY for none) */
    long retry_wait_max_ms; /* cap on one wait, also on Retry-After; 0 = 60000 */
    long backoff_base_ms;   /* first backoff step; 0 = 500 */
    long budget_ms;         /* every request through the handle, retries and waits
                               included, ends within this of ea_http_open (or of
                               ea_http_set_budget); 0 = no bound but the per-request ones */
    bool insecure;          /* disable TLS verification (only when the user asked) */
    const char *user_agent; /* borrowed; NULL = "evidence-agent/<version>" */
    /* Test hook: called instead of sleeping (NULL = nanosleep). */
    void (*sleep_ms)(long ms, void *payload);
    void *sleep_payload;
};

#define EA_HTTP_NO_RETRY ((unsigned)-1)

struct ea_http;

/** One response. Caller's storage; dispose with ea_http_response_dispose. */
struct ea_http_response {
    long status;         /* HTTP status of the final attempt */
    struct ea_buf body;  /* bounded by body_max_bytes */
    char *next_url;      /* owned; the next page's URL, or NULL */
    unsigned attempts;   /* how many requests this took */
    long retry_after_ms; /* the wait the final answer asked for (Retry-After, or a spent
                            rate limit's reset), for a caller that owns the retries;
                            -1 when it named none */
};

/** @param out owned; close with ea_http_close. */
int ea_http_open(struct ea_http **out, const struct ea_http_opts *opts);
void ea_http_close(struct ea_http *h);
/**
 * Starts h's overall time budget now (see budget_ms): no attempt runs past it,
 * no retry waits past it, and a request that runs out of it fails EA_ERETRY
 * saying so. budget_ms <= 0 removes the bound.
 */
void ea_http_set_budget(struct ea_http *h, long budget_ms);

/**
 * GET url with extra request headers ("Name: value", NULL-terminated, borrowed;
 * may hold secrets).
 * @param out caller's storage, filled on success and on HTTP errors (status set).
 * @return 0 for 2xx; EA_ECONFIG for 401 and 403 (credentials or permissions),
 *         EA_ENOTFOUND for 404, EA_ERETRY when retries ran out (5xx, 429,
 *         connection failures, timeouts), EA_EINPUT for other 4xx, EA_ETOOBIG
 *         when the body passes its bound. The message names the URL (without
 *         credentials or query) and what to do.
 */
int ea_http_get(struct ea_http *h, struct ea_http_response *out, const char *url,
                const char *const *headers);
void ea_http_response_dispose(struct ea_http_response *r);

/** Any request (ea_http_get is a GET without body). All strings borrowed. */
struct ea_http_req {
    const char *method; /* NULL or "GET", "PUT", "POST", "DELETE", "HEAD" */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value", may hold secrets */
    const void *body;           /* with body_len; NULL for none */
    size_t body_len;
    const char *aws_sigv4; /* "aws:amz:REGION:s3" to sign with AWS SigV4, else NULL */
    const char *userpwd;   /* with aws_sigv4: "ACCESS_KEY:SECRET_KEY" (secret) */
};

/** As ea_http_get, for any method, body and signing. Retries are for idempotent requests. */
int ea_http_request(struct ea_http *h, struct ea_http_response *out, const struct ea_http_req *req);

/**
 * GET url (as ea_http_get) and parse the body as JSON.
 * @param out    new reference on success, else NULL.
 * @param next   when not NULL, gets the next page's URL (owned) or NULL.
 * @param status when not NULL, gets the final HTTP status (0 without a response).
 * @return as ea_http_get, or EA_EINPUT when the body is not JSON.
 */
int ea_http_get_json(struct ea_http *h, const char *const *headers, const char *url, json_t **out,
                     char **next, long *status);

/** Writes url without userinfo, query or fragment into out (for messages). */
void ea_http_url_display(char *out, size_t cap, const char *url);

/**
 * The wait before retry number attempt (1-based): full jitter over a capped
 * exponential step, or the server's hint when it gave one (hint_ms >= 0),
 * never more than cap_ms. Exposed for tests.
 */
long ea_http_backoff_ms(unsigned attempt, long base_ms, long cap_ms, long hint_ms, uint32_t random);

#endif
