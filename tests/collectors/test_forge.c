/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "forge": the collectors that read GitHub and GitLab (approvals,
 * branch-protection). The review policy on its own, then one case per file
 * of tests/collectors/approvals/ and tests/collectors/protection/: each file
 * holds the collector (default approvals), the environment, the argument and
 * options, the routes a replay server on loopback answers with, and what is
 * expected ("data" is matched as a subset). Every fact must be schema-valid
 * and hold no token.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "schema.h"
#include "testkit.h"
#include "util/forge.h"
#include "../../collectors/approvals/approvals_policy.h"

extern const struct ea_collector ea_collector_approvals;
extern const struct ea_collector ea_collector_branch_protection;

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
static const char *const ci_vars[] = {"GITHUB_ACTIONS",
                                      "GITLAB_CI",
                                      "JENKINS_URL",
                                      "TF_BUILD",
                                      "CIRCLECI",
                                      "BITBUCKET_BUILD_NUMBER",
                                      "BUILDKITE",
                                      "GITHUB_TOKEN",
                                      "GH_TOKEN",
                                      "GITLAB_TOKEN",
                                      "CI_JOB_TOKEN",
                                      "GITHUB_API_URL",
                                      "CI_API_V4_URL",
                                      "CI_PROJECT_ID",
                                      "CI_PROJECT_PATH",
                                      "GITHUB_REF",
                                      "GITHUB_EVENT_PATH",
                                      "GITHUB_SHA",
                                      "GITHUB_REPOSITORY",
                                      "CI_MERGE_REQUEST_IID",
                                      "CI_COMMIT_SHA",
                                      "CI_SERVER_URL",
                                      NULL};

static json_t *review(const char *who, const char *state, const char *commit, bool bot)
{
    return json_pack("{s:s, s:b, s:s, s:n, s:s}", "reviewer", who, "bot", bot, "state", state, "at",
                     "commit", commit);
}

START_TEST(test_latest_deciding_review_wins_and_comments_change_nothing)
{
    struct ea_approval_policy pol = EA_APPROVAL_POLICY_DEFAULT;
    json_t *cr = json_pack("{s:s, s:s, s:b, s:n}", "author", "alice", "head_sha", "h1", "merged", 0,
                           "merged_by");
    json_t *reviews = json_array(), *data = json_object();
    enum ea_result result;

    json_array_append_new(reviews, review("Bob", "APPROVED", "h1", false));
    json_array_append_new(reviews, review("bob", "COMMENTED", "h1", false)); /* keeps it */
    json_array_append_new(reviews, review("carol", "APPROVED", "h1", false));
    json_array_append_new(reviews, review("carol", "CHANGES_REQUESTED", "h1", false));
    json_array_append_new(reviews, review("ALICE", "APPROVED", "h1", false)); /* the author */
    ck_assert_int_eq(ea_approvals_judge(data, cr, reviews, &pol, &result), 0);
    ck_assert_int_eq(result, EA_RESULT_PASS);
    ck_assert_int_eq(json_integer_value(json_object_get(data, "effective_approvals")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(data, "reviews")), 3);
    ck_assert(json_is_true(json_object_get(json_object_get(data, "flags"), "self_approval")));
    pol.min_approvals = 2;
    json_object_clear(data);
    ck_assert_int_eq(ea_approvals_judge(data, cr, reviews, &pol, &result), 0);
    ck_assert_int_eq(result, EA_RESULT_FAIL);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(data, "reasons"), 0)),
                     "1 effective approval, the policy requires 2");
    json_decref(cr);
    json_decref(reviews);
    json_decref(data);
}
END_TEST

START_TEST(test_bots_are_recognised)
{
    json_t *bot = json_pack("{s:s}", "type", "Bot"), *gl = json_pack("{s:b}", "bot", 1);

    ck_assert(ea_forge_is_bot(bot, "x"));
    ck_assert(ea_forge_is_bot(gl, "project_1_bot"));
    ck_assert(ea_forge_is_bot(NULL, "dependabot[bot]"));
    ck_assert(!ea_forge_is_bot(NULL, "robert"));
    ck_assert(!ea_forge_is_bot(NULL, NULL));
    json_decref(bot);
    json_decref(gl);
}
END_TEST

/* Replaces {base} and {event} in s (a new string). */
static char *expand(const char *s, const char *base, const char *event)
{
    char *out = malloc(strlen(s) * 2 + 4096), *o = out;

    while (*s) {
        if (strncmp(s, "{base}", 6) == 0) {
            o += sprintf(o, "%s", base);
            s += 6;
        } else if (strncmp(s, "{event}", 7) == 0) {
            o += sprintf(o, "%s", event);
            s += 7;
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

static char *case_names[64]; /* "approvals/x.json", "protection/y.json" */
static int ncases;

static void list_cases(void)
{
    static const char *const dirs[] = {"approvals", "protection"};

    for (size_t d = 0; d < 2; d++) {
        char dir[4096];
        DIR *dh;
        struct dirent *e;
        int first = ncases;
        snprintf(dir, sizeof(dir), "%s/tests/collectors/%s", EA_SOURCE_DIR, dirs[d]);
        if (!(dh = opendir(dir))) continue;
        while ((e = readdir(dh)) && ncases < 64) {
            size_t n = strlen(e->d_name);
            char name[512];
            if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
            snprintf(name, sizeof(name), "%s/%s", dirs[d], e->d_name);
            case_names[ncases++] = strdup(name);
        }
        closedir(dh);
        for (int i = first; i < ncases; i++) /* sorted, so a failure names a stable case */
            for (int k = i + 1; k < ncases; k++)
                if (strcmp(case_names[k], case_names[i]) < 0) {
                    char *t = case_names[i];
                    case_names[i] = case_names[k];
                    case_names[k] = t;
                }
    }
}

static void check_expectations(const char *name, const json_t *fact, const json_t *want,
                               const char *server_log)
{
    const json_t *data = json_object_get(fact, "data"), *v, *flags = json_object_get(want, "flags");
    const char *key;

    ck_assert_msg(strcmp(json_string_value(json_object_get(fact, "result")),
                         json_string_value(json_object_get(want, "result"))) == 0,
                  "%s: result %s, want %s (%s)", name,
                  json_string_value(json_object_get(fact, "result")),
                  json_string_value(json_object_get(want, "result")),
                  json_dumps(json_object_get(data, "reasons"), 0));
    if ((v = json_object_get(want, "effective_approvals")))
        ck_assert_msg(json_integer_value(json_object_get(data, "effective_approvals")) ==
                          json_integer_value(v),
                      "%s: effective_approvals", name);
    if ((v = json_object_get(want, "found_by")))
        ck_assert_msg(json_equal(json_object_get(data, "found_by"), (json_t *)v), "%s: found_by",
                      name);
    if ((v = json_object_get(want, "commit")))
        ck_assert_msg(json_equal(json_object_get(data, "commit"), (json_t *)v), "%s: commit", name);
    if ((v = json_object_get(want, "subject")))
        ck_assert_msg(strcmp(json_string_value(json_object_get(fact, "subject_name")),
                             json_string_value(v)) == 0,
                      "%s: subject %s", name,
                      json_string_value(json_object_get(fact, "subject_name")));
    json_object_foreach((json_t *)flags, key, v) {
        ck_assert_msg(json_equal(json_object_get(json_object_get(data, "flags"), key), (json_t *)v),
                      "%s: flags.%s", name, key);
    }
    json_object_foreach(json_object_get(want, "reviews"), key, v) {
        const json_t *r;
        size_t i;
        bool found = false;
        json_array_foreach(json_object_get(data, "reviews"), i, r) {
            if (strcmp(json_string_value(json_object_get(r, "reviewer")), key) == 0) {
                found = json_equal(json_object_get(r, "state"), (json_t *)v);
            }
        }
        ck_assert_msg(found, "%s: reviewer %s should be %s", name, key, json_string_value(v));
    }
    if ((v = json_object_get(want, "reason"))) {
        char *all = json_dumps(json_object_get(data, "reasons"), 0);
        ck_assert_msg(strstr(all, json_string_value(v)), "%s: reasons %s lack '%s'", name, all,
                      json_string_value(v));
        free(all);
    }
    if ((v = json_object_get(want, "policy_rule"))) {
        const char *rule =
            json_string_value(json_object_get(json_object_get(data, "policy"), "allow_stale_rule"));
        ck_assert_msg(rule && strstr(rule, json_string_value(v)),
                      "%s: allow_stale_rule '%s' lacks '%s'", name, rule ? rule : "(null)",
                      json_string_value(v));
    }
    if ((v = json_object_get(want, "data")))
        ck_assert_msg(subset(data, v), "%s: data %s does not hold %s", name, json_dumps(data, 0),
                      json_dumps(v, 0));
    if ((v = json_object_get(want, "error"))) {
        const char *err = json_string_value(json_object_get(data, "error"));
        ck_assert_msg(err && strstr(err, json_string_value(v)), "%s: error '%s' lacks '%s'", name,
                      err ? err : "(null)", json_string_value(v));
    } else if (json_object_get(data, "error")) {
        ck_assert_msg(json_is_null(json_object_get(data, "error")), "%s: unexpected error %s", name,
                      json_string_value(json_object_get(data, "error")));
    }
    if ((v = json_object_get(want, "protection_status")))
        ck_assert_msg(
            json_equal(json_object_get(json_object_get(data, "protection"), "status"), (json_t *)v),
            "%s: protection.status", name);
    if ((v = json_object_get(want, "rules")))
        ck_assert_msg(json_array_size(json_object_get(json_object_get(data, "approval_rules"),
                                                      "rules")) == (size_t)json_integer_value(v),
                      "%s: approval_rules.rules", name);
    json_object_foreach(json_object_get(want, "requests"), key, v) {
        char needle[512];
        snprintf(needle, sizeof(needle), "\"path\": \"%s\"", key);
        ck_assert_msg(count_of(server_log, needle) == json_integer_value(v),
                      "%s: %s requested %d times", name, key, count_of(server_log, needle));
    }
}

START_TEST(test_each_recorded_case_gives_its_verdict)
{
    char path[4096], event_path[4096];
    struct ea_test_server srv;
    struct ea_fake_sink fs;
    const char *name = case_names[_i], *key;
    char *text, *expanded, *all, *tmp = ea_test_tmpdir();
    json_t *c, *env, *v, *fact, *opts;
    const struct ea_collector *col;
    void *state = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/tests/collectors/%s", EA_SOURCE_DIR, name);
    text = ea_test_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(ea_test_replay_start(&srv, text), 0);
    snprintf(event_path, sizeof(event_path), "%s/event.json", tmp);
    expanded = expand(text, srv.base_url, event_path);
    c = json_loads(expanded, 0, NULL);
    ck_assert_msg(c != NULL, "%s is not JSON", name);
    if ((v = json_object_get(c, "event"))) ck_assert_int_eq(json_dump_file(v, event_path, 0), 0);
    for (size_t i = 0; ci_vars[i]; i++) unsetenv(ci_vars[i]);
    env = json_object_get(c, "env");
    json_object_foreach(env, key, v) setenv(key, json_string_value(v), 1);
    ea_fake_sink_init(&fs);
    opts =
        json_object_get(c, "options") ? json_incref(json_object_get(c, "options")) : json_object();
    col =
        json_string_value(json_object_get(c, "collector")) &&
                strcmp(json_string_value(json_object_get(c, "collector")), "branch-protection") == 0
            ? &ea_collector_branch_protection
            : &ea_collector_approvals;
    rc = col->init(&state, json_string_value(json_object_get(c, "arg")), opts, ea_test_host());
    json_decref(opts);
    ck_assert_msg(rc == 0, "%s: init: %s", name, ea_error_message(rc));
    rc = col->collect(state, &fs.sink);
    ck_assert_msg(rc == 1, "%s: collect: %s", name, ea_error_message(rc));
    col->free(state);
    json_object_foreach(env, key, v) unsetenv(key);
    fact = json_array_get(fs.facts, 0);
    ck_assert_str_eq(json_string_value(json_object_get(fact, "kind")),
                     col == &ea_collector_approvals ? "pr_approval" : "config_state");
    rc = ea_schema_validate(col == &ea_collector_approvals ? "data/pr_approval.schema.json"
                                                           : "data/config_state.schema.json",
                            json_object_get(fact, "data"));
    ck_assert_msg(rc == 0, "%s: schema: %s", name, ea_error_message(rc));
    all = ea_test_slurp(srv.log_path, NULL);
    check_expectations(name, fact, json_object_get(c, "expect"), all ? all : "");
    ck_assert_msg(!all || count_of(all, "\"authorization\": false") == 0 ||
                      strstr(name, "/gl-") != NULL, /* GitLab sends PRIVATE-TOKEN instead */
                  "%s: a request went without the token", name);
    free(all);
    all = json_dumps(fs.facts, 0);
    ck_assert_msg(strstr(all, "CANARY") == NULL, "%s: the token reached a fact", name);
    ck_assert_msg(strstr(all, "review text") == NULL && strstr(all, "not kept") == NULL,
                  "%s: free text of the API reached a fact", name);
    free(all);
    ea_fake_sink_dispose(&fs);
    ea_test_server_stop(&srv);
    json_decref(c);
    free(expanded);
    free(text);
    ea_test_tmpdir_free(tmp);
}
END_TEST

START_TEST(test_the_cases_are_there)
{
    ck_assert_int_ge(ncases, 25); /* a lost fixture folder must not pass as "no cases" */
}
END_TEST

START_TEST(test_bad_arguments_and_options_are_usage_errors)
{
    static const char *const bad_args[] = {"pr:",        "pr:x",        "pr:-1",
                                           "commit:xyz", "branch:main", "123"};
    json_t *opts;
    void *state = NULL;
    int rc;

    for (size_t i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
        opts = json_object();
        rc = ea_collector_approvals.init(&state, bad_args[i], opts, ea_test_host());
        ck_assert_int_eq(rc, EA_EUSAGE);
        ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "approvals=pr:NUMBER"));
        json_decref(opts);
    }
    opts = json_pack("{s:s}", "min_approvals", "two");
    ck_assert_int_eq(ea_collector_approvals.init(&state, NULL, opts, ea_test_host()), EA_ECONFIG);
    json_decref(opts);
    opts = json_pack("{s:s}", "repo", "../../etc");
    ck_assert_int_eq(ea_collector_approvals.init(&state, NULL, opts, ea_test_host()), EA_ECONFIG);
    json_decref(opts);
    opts = json_pack("{s:s}", "platform", "bitbucket");
    ck_assert_int_eq(ea_collector_approvals.init(&state, NULL, opts, ea_test_host()), EA_ECONFIG);
    json_decref(opts);
    opts = json_pack("{s:s}", "allow_stale", "sometimes");
    rc = ea_collector_approvals.init(&state, NULL, opts, ea_test_host());
    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "false, true or protection"));
    json_decref(opts);
    setenv("GITHUB_TOKEN", "ghs_testtoken0123456789", 1); /* init checks that a token is there */
    for (size_t i = 0; i < 3; i++) { /* each of the three settings, as text or as a boolean */
        static const char *const ok[] = {"protection", "true", "false"};
        opts = json_pack("{s:s, s:s}", "allow_stale", ok[i], "repo", "acme/app");
        ck_assert_int_eq(ea_collector_approvals.init(&state, "pr:1", opts, ea_test_host()), 0);
        ea_collector_approvals.free(state);
        json_decref(opts);
    }
    opts = json_pack("{s:b, s:s}", "allow_stale", 1, "repo", "acme/app");
    ck_assert_int_eq(ea_collector_approvals.init(&state, "pr:1", opts, ea_test_host()), 0);
    ea_collector_approvals.free(state);
    json_decref(opts);
    unsetenv("GITHUB_TOKEN");
}
END_TEST

START_TEST(test_without_a_token_it_says_which_variables)
{
    json_t *opts = json_pack("{s:s}", "repo", "acme/app");
    struct ea_fake_sink fs;
    void *state = NULL;
    int rc;

    for (size_t i = 0; ci_vars[i]; i++) unsetenv(ci_vars[i]);
    ea_fake_sink_init(&fs);
    /* found by init, so that collect refuses the run before any collector ran */
    rc = ea_collector_approvals.init(&state, "pr:1", opts, ea_test_host());
    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_ptr_null(state);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "GITHUB_TOKEN"));
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "GITLAB_TOKEN"));
    ea_error_clear();
    rc = ea_collector_branch_protection.init(&state, "main", opts, ea_test_host());
    ck_assert_int_eq(rc, EA_ECONFIG);
    ck_assert_ptr_nonnull(strstr(ea_error_message(rc), "administration: read"));
    ea_error_clear();
    ea_fake_sink_dispose(&fs);
    json_decref(opts);
}
END_TEST

static Suite *forge_suite(void)
{
    Suite *s = suite_create("forge");
    TCase *tc = tcase_create("policy");

    tcase_add_test(tc, test_latest_deciding_review_wins_and_comments_change_nothing);
    tcase_add_test(tc, test_bots_are_recognised);
    tcase_add_test(tc, test_bad_arguments_and_options_are_usage_errors);
    tcase_add_test(tc, test_without_a_token_it_says_which_variables);
    tcase_add_test(tc, test_the_cases_are_there);
    list_cases();
    suite_add_tcase(s, tc);
    tc = tcase_create("cases");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_each_recorded_case_gives_its_verdict, 0, ncases);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(forge_suite)
