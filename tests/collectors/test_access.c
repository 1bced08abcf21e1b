/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "access": the access collector. One case per file of
 * tests/collectors/access/: the environment, the argument and options, the
 * routes a replay server on loopback answers with (recorded GitHub and GitLab
 * API responses), and what is expected: the result, reasons that must (and
 * must not) be given, how many parts were unreadable, data matched as a
 * subset, and how often a path was requested. Every fact must be
 * schema-valid and hold no token. Then the diff across two runs of the same
 * scope (the host hands the first record back as the previous one), a store
 * that cannot be read, and the arguments and options that are refused.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "schema.h"
#include "testkit.h"

extern const struct ea_collector ea_collector_access;

/* want is a subset of got: every key of an object, every item of an array in order. */
static bool subset(const json_t *got, const json_t *want)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_object(want)) {
        json_object_foreach((json_t *)want, k, v) {
            if (!subset(json_object_get(got, k), v)) return false;
        }
        return json_is_object(got);
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(got) != json_array_size(want)) return false;
        json_array_foreach(want, i, v) {
            if (!subset(json_array_get(got, i), v)) return false;
        }
        return true;
    }
    return json_equal(got, want);
}

/* Variables a surrounding CI could have set: cleared before each case. */
static const char *const ci_vars[] = {
    "GITHUB_ACTIONS", "GITLAB_CI",      "JENKINS_URL",   "TF_BUILD",          "CIRCLECI",
    "BUILDKITE",      "GITHUB_TOKEN",   "GH_TOKEN",      "GITLAB_TOKEN",      "CI_JOB_TOKEN",
    "GITHUB_API_URL", "CI_API_V4_URL",  "CI_PROJECT_ID", "CI_PROJECT_PATH",   "GITHUB_REPOSITORY",
    "CI_SERVER_URL",  "GITHUB_REF",     "GITHUB_SHA",    "BITBUCKET_BUILD_NUMBER", NULL};

/* Replaces {base} in s (a new string). */
static char *expand(const char *s, const char *base)
{
    char *out = malloc(strlen(s) * 2 + 4096), *o = out;

    while (*s) {
        if (strncmp(s, "{base}", 6) == 0) {
            o += snprintf(o, 4096, "%s", base);
            s += 6;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static char *case_names[64];
static int ncases;

static void list_cases(void)
{
    char dir[4096];
    DIR *dh;
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s/tests/collectors/access", EA_SOURCE_DIR);
    if (!(dh = opendir(dir))) return;
    while ((e = readdir(dh)) && ncases < 64) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        case_names[ncases++] = strdup(e->d_name);
    }
    closedir(dh);
    for (int i = 0; i < ncases; i++) /* sorted, so a failure names a stable case */
        for (int k = i + 1; k < ncases; k++)
            if (strcmp(case_names[k], case_names[i]) < 0) {
                char *t = case_names[i];
                case_names[i] = case_names[k];
                case_names[k] = t;
            }
}

/* The previous record the host hands back (NULL: none), or the failure of a store. */
static json_t *previous;
static bool store_down;
static struct ea_host host;

static int fake_latest(void *ctx, const char *control, const char *kind, const char *subject,
                       json_t **out)
{
    (void)ctx;
    *out = NULL;
    ck_assert_str_eq(control, "A.5.15");
    ck_assert_str_eq(kind, "access");
    ck_assert_ptr_nonnull(subject);
    if (store_down) return ea_fail(EA_ERETRY, "store ./evidence: connection refused");
    if (previous)
        *out = json_pack("{s:s, s:O}", "id",
                         "1111111111111111111111111111111111111111111111111111111111111111", "data",
                         previous);
    return 0;
}

static const struct ea_host *test_host(void)
{
    host = *ea_test_host();
    host.latest = fake_latest;
    return &host;
}

/* Runs case file name; returns its fact (new reference) and the case (new reference). */
static json_t *run_case(const char *name, json_t **case_out)
{
    char path[4096];
    struct ea_test_server srv;
    struct ea_fake_sink fs;
    const char *key;
    char *text, *expanded, *all;
    json_t *c, *env, *v, *fact, *opts;
    void *state = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/tests/collectors/access/%s", EA_SOURCE_DIR, name);
    text = ea_test_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(ea_test_replay_start(&srv, text), 0);
    expanded = expand(text, srv.base_url);
    c = json_loads(expanded, 0, NULL);
    ck_assert_msg(c != NULL, "%s is not JSON", name);
    for (size_t i = 0; ci_vars[i]; i++) unsetenv(ci_vars[i]);
    env = json_object_get(c, "env");
    json_object_foreach(env, key, v) setenv(key, json_string_value(v), 1);
    ea_fake_sink_init(&fs);
    opts =
        json_object_get(c, "options") ? json_incref(json_object_get(c, "options")) : json_object();
    rc = ea_collector_access.init(&state, json_string_value(json_object_get(c, "arg")), opts,
                                  test_host());
    json_decref(opts);
    ck_assert_msg(rc == 0, "%s: init: %s", name, ea_error_message(rc));
    rc = ea_collector_access.collect(state, &fs.sink);
    ck_assert_msg(rc == 1, "%s: collect: %s", name, ea_error_message(rc));
    ea_collector_access.free(state);
    json_object_foreach(env, key, v) unsetenv(key);
    fact = json_incref(json_array_get(fs.facts, 0));
    ck_assert_str_eq(json_string_value(json_object_get(fact, "kind")), "access");
    rc = ea_schema_validate("data/access.schema.json", json_object_get(fact, "data"));
    ck_assert_msg(rc == 0, "%s: schema: %s", name, ea_error_message(rc));
    all = ea_test_slurp(srv.log_path, NULL);
    json_object_foreach(json_object_get(json_object_get(c, "expect"), "requests"), key, v) {
        char needle[512];
        snprintf(needle, sizeof(needle), "\"path\": \"%s\"", key);
        ck_assert_msg(count_of(all ? all : "", needle) == json_integer_value(v),
                      "%s: %s requested %d times", name, key, count_of(all ? all : "", needle));
    }
    ck_assert_msg(!all || count_of(all, "\"authorization\": false") == 0 ||
                      strncmp(name, "gl-", 3) == 0, /* GitLab sends PRIVATE-TOKEN instead */
                  "%s: a request went without the token", name);
    free(all);
    all = json_dumps(fs.facts, 0);
    ck_assert_msg(strstr(all, "CANARY") == NULL, "%s: the token reached a fact", name);
    ck_assert_msg(strstr(all, "review text") == NULL && strstr(all, "ssh-ed25519") == NULL,
                  "%s: a field that is not a fact reached the record", name);
    free(all);
    ea_fake_sink_dispose(&fs);
    ea_test_server_stop(&srv);
    free(expanded);
    free(text);
    *case_out = c;
    return fact;
}

static bool has_reason(const json_t *data, const char *text)
{
    const json_t *r;
    size_t i;

    json_array_foreach(json_object_get(data, "reasons"), i, r) {
        if (strstr(json_string_value(r), text)) return true;
    }
    return false;
}

START_TEST(test_each_recorded_case_gives_its_facts_and_verdict)
{
    const char *name = case_names[_i];
    json_t *c = NULL, *fact, *want, *v, *data;
    size_t i;

    previous = NULL;
    store_down = false;
    fact = run_case(name, &c);
    data = json_object_get(fact, "data");
    want = json_object_get(c, "expect");
    ck_assert_msg(strcmp(json_string_value(json_object_get(fact, "result")),
                         json_string_value(json_object_get(want, "result"))) == 0,
                  "%s: result %s, want %s (%s)", name,
                  json_string_value(json_object_get(fact, "result")),
                  json_string_value(json_object_get(want, "result")),
                  json_dumps(json_object_get(data, "reasons"), 0));
    json_array_foreach(json_object_get(want, "reasons"), i, v) {
        ck_assert_msg(has_reason(data, json_string_value(v)), "%s: reasons %s lack '%s'", name,
                      json_dumps(json_object_get(data, "reasons"), 0), json_string_value(v));
    }
    if (json_is_array(json_object_get(want, "reasons")) &&
        strcmp(json_string_value(json_object_get(want, "result")), "fail") == 0)
        ck_assert_msg(json_array_size(json_object_get(data, "reasons")) ==
                          json_array_size(json_object_get(want, "reasons")),
                      "%s: reasons %s: one per broken rule", name,
                      json_dumps(json_object_get(data, "reasons"), 0));
    json_array_foreach(json_object_get(want, "no_reasons"), i, v) {
        ck_assert_msg(!has_reason(data, json_string_value(v)), "%s: reasons %s hold '%s'", name,
                      json_dumps(json_object_get(data, "reasons"), 0), json_string_value(v));
    }
    if ((v = json_object_get(want, "unreadable")))
        ck_assert_msg(json_array_size(json_object_get(data, "unreadable")) ==
                          (size_t)json_integer_value(v),
                      "%s: unreadable %s", name,
                      json_dumps(json_object_get(data, "unreadable"), 0));
    if ((v = json_object_get(want, "subject")))
        ck_assert_str_eq(json_string_value(json_object_get(fact, "subject_name")),
                         json_string_value(v));
    if ((v = json_object_get(want, "data")))
        ck_assert_msg(subset(data, v), "%s: data %s does not hold %s", name, json_dumps(data, 0),
                      json_dumps(v, 0));
    json_decref(fact);
    json_decref(c);
}
END_TEST

START_TEST(test_the_cases_are_there)
{
    ck_assert_int_ge(ncases, 13); /* a lost fixture folder must not pass as "no cases" */
}
END_TEST

static const json_t *find_who(const json_t *list, const char *who)
{
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x) {
        if (strcmp(json_string_value(json_object_get(x, "who")), who) == 0) return x;
    }
    return NULL;
}

START_TEST(test_a_second_run_lists_who_was_added_removed_and_changed)
{
    json_t *c1 = NULL, *c2 = NULL, *first, *second, *drift;
    const json_t *x;

    previous = NULL;
    store_down = false;
    first = run_case("gh-repo-every-fact-passes.json", &c1);
    previous = json_incref(json_object_get(first, "data"));
    second = run_case("gh-repo-every-policy-rule-broken.json", &c2);
    drift = json_object_get(json_object_get(second, "data"), "drift");
    ck_assert_str_eq(json_string_value(json_object_get(drift, "previous_id")),
                     "1111111111111111111111111111111111111111111111111111111111111111");
    ck_assert_msg(json_is_null(json_object_get(drift, "unknown")), "drift unknown");
    ck_assert_int_eq(json_array_size(json_object_get(drift, "added")), 2);
    x = find_who(json_object_get(drift, "added"), "user:mallory");
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(json_string_value(json_object_get(x, "role")), "admin");
    x = find_who(json_object_get(drift, "added"), "deploy_key:12");
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(json_string_value(json_object_get(x, "role")), "write");
    ck_assert_int_eq(json_array_size(json_object_get(drift, "changed")), 1);
    x = find_who(json_object_get(drift, "changed"), "user:bob");
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(json_string_value(json_object_get(x, "from")), "maintain");
    ck_assert_str_eq(json_string_value(json_object_get(x, "to")), "admin");
    ck_assert_int_eq(json_array_size(json_object_get(drift, "removed")), 7);
    ck_assert_ptr_nonnull(find_who(json_object_get(drift, "removed"), "team:core"));
    ck_assert_ptr_nonnull(find_who(json_object_get(drift, "removed"), "invitation:erin"));
    ck_assert_ptr_nonnull(find_who(json_object_get(drift, "removed"), "deploy_key:11"));
    ck_assert_ptr_nonnull(find_who(json_object_get(drift, "removed"), "user:dependabot[bot]"));
    ck_assert_msg(strstr(json_string_value(json_object_get(second, "summary")),
                         "2 added, 7 removed, 1 changed"),
                  "summary: %s", json_string_value(json_object_get(second, "summary")));
    json_decref(previous);
    previous = NULL;
    /* the same scope read twice: nothing changed */
    previous = json_incref(json_object_get(second, "data"));
    json_decref(c2);
    json_decref(second);
    second = run_case("gh-repo-every-policy-rule-broken.json", &c2);
    drift = json_object_get(json_object_get(second, "data"), "drift");
    ck_assert_int_eq(json_array_size(json_object_get(drift, "added")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(drift, "removed")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(drift, "changed")), 0);
    ck_assert_msg(json_is_string(json_object_get(drift, "previous_id")), "previous_id");
    json_decref(previous);
    previous = NULL;
    json_decref(first);
    json_decref(second);
    json_decref(c1);
    json_decref(c2);
}
END_TEST

START_TEST(test_a_store_that_cannot_be_read_leaves_the_diff_unknown)
{
    json_t *c = NULL, *fact, *drift;

    previous = NULL;
    store_down = true;
    fact = run_case("gh-repo-every-fact-passes.json", &c);
    store_down = false;
    drift = json_object_get(json_object_get(fact, "data"), "drift");
    ck_assert_msg(json_is_null(json_object_get(drift, "added")), "added must be null");
    ck_assert_msg(strstr(json_string_value(json_object_get(drift, "unknown")), "connection refused"),
                  "unknown: %s", json_string_value(json_object_get(drift, "unknown")));
    ea_error_clear();
    json_decref(fact);
    json_decref(c);
}
END_TEST

START_TEST(test_bad_scopes_and_options_are_refused)
{
    static const char *const bad_args[] = {"repo:acme", "repo:a/b/c", "org:a/b", "group:", "x:y",
                                           "repo:../x", "acme/app",   NULL};
    static const struct {
        const char *arg, *options;
        int code;
    } bad_opts[] = {
        {NULL, "{\"max_admins\": -1}", EA_ECONFIG},
        {NULL, "{\"token_permissions\": \"write\"}", EA_ECONFIG},
        {NULL, "{\"require_2fa\": \"maybe\"}", EA_ECONFIG},
        {NULL, "{\"require_environment_reviewers\": [\"\"]}", EA_ECONFIG},
        {"org:acme", "{\"require_environment_reviewers\": [\"production\"]}", EA_ECONFIG},
        {"project:acme/app", "{\"platform\": \"github\"}", EA_ECONFIG},
    };
    void *state = NULL;
    json_t *opts;
    int rc;

    for (size_t i = 0; ci_vars[i]; i++) unsetenv(ci_vars[i]);
    setenv("GITHUB_TOKEN", "ghp_CANARYaccessT0kenXXXXXXXXXXXXXXXXXXXX", 1);
    setenv("GITHUB_REPOSITORY", "acme/app", 1);
    for (size_t i = 0; bad_args[i]; i++) {
        opts = json_object();
        rc = ea_collector_access.init(&state, bad_args[i], opts, ea_test_host());
        json_decref(opts);
        ck_assert_msg(rc == EA_EUSAGE, "access=%s: %d", bad_args[i], rc);
        ck_assert_ptr_null(state);
        ck_assert_msg(strstr(ea_error_message(rc), "access=repo:OWNER/NAME"), "%s",
                      ea_error_message(rc));
        ea_error_clear();
    }
    for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
        opts = json_loads(bad_opts[i].options, 0, NULL);
        rc = ea_collector_access.init(&state, bad_opts[i].arg, opts, ea_test_host());
        json_decref(opts);
        ck_assert_msg(rc == bad_opts[i].code, "%s: %d", bad_opts[i].options, rc);
        ck_assert_ptr_null(state);
        ea_error_clear();
    }
    opts = json_pack("{s:i, s:[s], s:s}", "max_admins", 3, "require_environment_reviewers",
                     "production", "token_permissions", "read");
    rc = ea_collector_access.init(&state, "repo:acme/app", opts, ea_test_host());
    json_decref(opts);
    ck_assert_msg(rc == 0, "%s", ea_error_message(rc));
    ea_collector_access.free(state);
    unsetenv("GITHUB_TOKEN");
    unsetenv("GITHUB_REPOSITORY");
}
END_TEST

START_TEST(test_without_a_token_it_says_which_variables)
{
    void *state = NULL;
    json_t *opts = json_object();
    int rc;

    for (size_t i = 0; ci_vars[i]; i++) unsetenv(ci_vars[i]);
    rc = ea_collector_access.init(&state, "repo:acme/app", opts, ea_test_host());
    json_decref(opts);
    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_msg(strstr(ea_error_message(rc), "GITHUB_TOKEN"), "%s", ea_error_message(rc));
    ea_error_clear();
}
END_TEST

static Suite *access_suite(void)
{
    Suite *s = suite_create("access");
    TCase *tc = tcase_create("options");

    list_cases();
    tcase_add_test(tc, test_bad_scopes_and_options_are_refused);
    tcase_add_test(tc, test_without_a_token_it_says_which_variables);
    tcase_add_test(tc, test_the_cases_are_there);
    suite_add_tcase(s, tc);
    tc = tcase_create("cases");
    tcase_set_timeout(tc, 240); /* three runs in one test, on a busy machine */
    tcase_add_loop_test(tc, test_each_recorded_case_gives_its_facts_and_verdict, 0, ncases);
    tcase_add_test(tc, test_a_second_run_lists_who_was_added_removed_and_changed);
    tcase_add_test(tc, test_a_store_that_cannot_be_read_leaves_the_diff_unknown);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(access_suite)
