/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "http": the shared HTTP client against a real loopback replay
 * server: bodies, both pagination styles, retry after 500 and after 429 with
 * Retry-After, the outcomes of 401/403/404, an unreachable server, a body
 * over its bound, and URLs shown without credentials.
 */
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "testkit.h"
#include "util/http.h"

static struct ea_test_server srv;
static struct ea_http *http;
static long slept[16];
static int nslept;

static void fake_sleep(long ms, void *payload)
{
    (void)payload;
    if (nslept < 16) slept[nslept++] = ms;
}

static const char routes[] =
    "{\"routes\": ["
    "{\"path\": \"/ok\", \"responses\": [{\"status\": 200, \"body\": {\"a\": 1}}]},"
    "{\"path\": \"/paged\", \"query\": {\"page\": \"2\"}, \"responses\": [{\"status\": 200, "
    "\"body\": [3]}]},"
    "{\"path\": \"/paged\", \"responses\": [{\"status\": 200, \"body\": [1, 2], \"headers\": "
    "{\"Link\": \"<{base}/paged?page=2>; rel=\\\"next\\\", <{base}/paged?page=2>; "
    "rel=\\\"last\\\"\"}}]},"
    "{\"path\": \"/gitlab\", \"responses\": [{\"status\": 200, \"body\": [], \"headers\": "
    "{\"X-Next-Page\": \"3\"}}]},"
    "{\"path\": \"/flaky\", \"responses\": [{\"status\": 500}, {\"status\": 502}, "
    "{\"status\": 200, \"body\": {\"ok\": true}}]},"
    "{\"path\": \"/limited\", \"responses\": [{\"status\": 429, \"headers\": {\"Retry-After\": "
    "\"7\"}}, {\"status\": 200, \"body\": {}}]},"
    "{\"path\": \"/down\", \"responses\": [{\"status\": 503}]},"
    "{\"path\": \"/elsewhere\", \"responses\": [{\"status\": 200, \"body\": [], \"headers\": "
    "{\"Link\": \"<http://127.0.0.2:9/steal?page=2>; rel=\\\"next\\\"\"}}]},"
    "{\"path\": \"/401\", \"responses\": [{\"status\": 401}]},"
    "{\"path\": \"/403\", \"responses\": [{\"status\": 403}]},"
    "{\"path\": \"/notjson\", \"responses\": [{\"status\": 200, \"body_text\": "
    "\"{\\\"a\\\": FAKEtok01}\"}]},"
    "{\"path\": \"/big\", \"responses\": [{\"status\": 200, \"body_text\": "
    "\"0123456789012345678901234567890123456789\"}]}"
    "]}";

static void setup(void)
{
    struct ea_http_opts o = {.sleep_ms = fake_sleep, .body_max_bytes = 32};

    ck_assert_int_eq(ea_test_replay_start(&srv, routes), 0);
    ck_assert_int_eq(ea_http_open(&http, &o), 0);
    nslept = 0;
}

static void teardown(void)
{
    ea_http_close(http);
    ea_test_server_stop(&srv);
}

static int get(struct ea_http_response *r, const char *path)
{
    char url[256];
    static const char *const headers[] = {"Authorization: Bearer not-a-real-token", NULL};

    snprintf(url, sizeof(url), "%s%s", srv.base_url, path);
    return ea_http_get(http, r, url, headers);
}

START_TEST(test_get_returns_the_body_and_sends_a_user_agent)
{
    struct ea_http_response r;
    char *log;

    ck_assert_int_eq(get(&r, "/ok"), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body.data, "{\"a\": 1}");
    ck_assert_ptr_null(r.next_url);
    ea_http_response_dispose(&r);
    log = ea_test_slurp(srv.log_path, NULL);
    ck_assert_ptr_nonnull(strstr(log, "\"user_agent\": \"evidence-agent/"));
    ck_assert_ptr_nonnull(strstr(log, "\"authorization\": true"));
    free(log);
}
END_TEST

START_TEST(test_link_next_and_x_next_page_give_the_next_url)
{
    struct ea_http_response r;
    char want[256];

    ck_assert_int_eq(get(&r, "/paged"), 0);
    snprintf(want, sizeof(want), "%s/paged?page=2", srv.base_url);
    ck_assert_str_eq(r.next_url, want);
    ea_http_response_dispose(&r);
    ck_assert_int_eq(get(&r, "/paged?page=2"), 0);
    ck_assert_ptr_null(r.next_url);
    ea_http_response_dispose(&r);
    ck_assert_int_eq(get(&r, "/gitlab?per_page=100&page=2"), 0);
    snprintf(want, sizeof(want), "%s/gitlab?per_page=100&page=3", srv.base_url);
    ck_assert_str_eq(r.next_url, want);
    ea_http_response_dispose(&r);
}
END_TEST

/* A token goes only to the host it was meant for: a next link elsewhere is refused. */
START_TEST(test_a_next_link_to_another_host_is_not_followed)
{
    struct ea_http_response r;

    ck_assert_int_eq(get(&r, "/elsewhere"), EA_EINPUT);
    ck_assert_ptr_null(r.next_url);
    ck_assert_ptr_nonnull(strstr(ea_error_message(EA_EINPUT), "another host"));
    ea_http_response_dispose(&r);
}
END_TEST

START_TEST(test_5xx_is_retried_until_success)
{
    struct ea_http_response r;

    ck_assert_int_eq(get(&r, "/flaky"), 0);
    ck_assert_uint_eq(r.attempts, 3);
    ck_assert_int_eq(nslept, 2);
    ea_http_response_dispose(&r);
}
END_TEST

START_TEST(test_429_waits_as_long_as_retry_after_says)
{
    struct ea_http_response r;

    ck_assert_int_eq(get(&r, "/limited"), 0);
    ck_assert_int_eq(nslept, 1);
    ck_assert_int_eq(slept[0], 7000);
    ea_http_response_dispose(&r);
}
END_TEST

/* A caller that owns the retries (the daemon's shipper): one request, and the server's wait. */
START_TEST(test_without_retries_one_request_names_the_servers_wait)
{
    struct ea_http_opts o = {.sleep_ms = fake_sleep, .retries_max = EA_HTTP_NO_RETRY};
    struct ea_http *once;
    struct ea_http_response r;
    char url[256];

    ck_assert_int_eq(ea_http_open(&once, &o), 0);
    snprintf(url, sizeof(url), "%s/limited", srv.base_url);
    ck_assert_int_eq(ea_http_get(once, &r, url, NULL), EA_ERETRY);
    ck_assert_uint_eq(r.attempts, 1);
    ck_assert_int_eq(nslept, 0);
    ck_assert_int_eq(r.retry_after_ms, 7000);
    ea_http_response_dispose(&r);
    snprintf(url, sizeof(url), "%s/down", srv.base_url);
    ck_assert_int_eq(ea_http_get(once, &r, url, NULL), EA_ERETRY);
    ck_assert_int_eq(r.retry_after_ms, -1); /* it named none */
    ea_http_response_dispose(&r);
    ea_http_close(once);
    ea_error_clear();
}
END_TEST

static const struct {
    const char *path;
    int rc;
    const char *mention;
} failures[] = {
    {"/down", EA_ERETRY, "HTTP 503 after 5 attempts"},
    {"/401", EA_ECONFIG, "401"},
    {"/403", EA_ECONFIG, "403"},
    {"/missing", EA_ENOTFOUND, "404"},
    {"/big", EA_ETOOBIG, "larger than 32 bytes"},
};

START_TEST(test_failures_have_clear_outcomes)
{
    struct ea_http_response r;
    int rc = get(&r, failures[_i].path);

    ck_assert_int_eq(rc, failures[_i].rc);
    ck_assert_msg(strstr(ea_error_message(rc), failures[_i].mention), "'%s' lacks '%s'",
                  ea_error_message(rc), failures[_i].mention);
    ck_assert_ptr_null(strstr(ea_error_message(rc), "not-a-real-token"));
    ea_http_response_dispose(&r);
}
END_TEST

/* A body that is not JSON: the error says where, never what (it may quote a token). */
START_TEST(test_a_body_that_is_not_json_is_not_quoted)
{
    char url[256];
    json_t *out = NULL;
    int rc;

    snprintf(url, sizeof(url), "%s/notjson", srv.base_url);
    rc = ea_http_get_json(http, NULL, url, &out, NULL, NULL);
    ck_assert_int_eq(rc, EA_EINPUT);
    ck_assert_ptr_null(out);
    ck_assert_msg(!strstr(ea_error_message(rc), "FAKE"), "%s", ea_error_message(rc));
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "line 1, column"));
}
END_TEST

START_TEST(test_an_unreachable_server_is_a_retryable_failure)
{
    struct ea_http_response r;
    char url[128];
    int rc;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ea_test_closed_port());
    rc = ea_http_get(http, &r, url, NULL);
    ck_assert_int_eq(rc, EA_ERETRY);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "reachable"));
    ck_assert_int_eq(nslept, 4);
    ea_http_response_dispose(&r);
}
END_TEST

START_TEST(test_backoff_is_capped_jittered_and_obeys_hints)
{
    for (unsigned a = 1; a < 20; a++) {
        long w = ea_http_backoff_ms(a, 500, 60000, -1, 0xffffffffu);
        ck_assert_int_ge(w, 0);
        ck_assert_int_le(w, 60000);
    }
    ck_assert_int_eq(ea_http_backoff_ms(3, 500, 60000, -1, 2000), 2000 % 2001);
    ck_assert_int_eq(ea_http_backoff_ms(1, 500, 60000, 90000000, 0), 60000);
    ck_assert_int_eq(ea_http_backoff_ms(1, 500, 60000, 1500, 0), 1500);
}
END_TEST

START_TEST(test_urls_are_shown_without_credentials_or_query)
{
    char out[256];

    ea_http_url_display(out, sizeof(out), "https://user:pa55@api.example.com/a/b?token=x#f");
    ck_assert_str_eq(out, "https://api.example.com/a/b");
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("replay");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_get_returns_the_body_and_sends_a_user_agent);
    tcase_add_test(tc, test_link_next_and_x_next_page_give_the_next_url);
    tcase_add_test(tc, test_a_next_link_to_another_host_is_not_followed);
    tcase_add_test(tc, test_5xx_is_retried_until_success);
    tcase_add_test(tc, test_429_waits_as_long_as_retry_after_says);
    tcase_add_test(tc, test_without_retries_one_request_names_the_servers_wait);
    tcase_add_loop_test(tc, test_failures_have_clear_outcomes, 0,
                        sizeof(failures) / sizeof(failures[0]));
    tcase_add_test(tc, test_an_unreachable_server_is_a_retryable_failure);
    tcase_add_test(tc, test_a_body_that_is_not_json_is_not_quoted);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("pure");
    tcase_add_test(tc, test_backoff_is_capped_jittered_and_obeys_hints);
    tcase_add_test(tc, test_urls_are_shown_without_credentials_or_query);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(http_suite)
