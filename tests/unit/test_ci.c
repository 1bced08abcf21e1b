/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Suite "ci": one environment per platform, written from each CI's
 * documentation of its predefined variables, and the run it must yield;
 * plus "local" when no CI variable is set, and fields left null (never
 * half-filled) when a variable they need is missing.
 */
#include <string.h>

#include "util/ci.h"
#include "testkit.h"

struct env {
    const char *const *kv; /* NAME, VALUE, NAME, VALUE, ..., NULL */
};

static const char *lookup(const char *name, void *payload)
{
    const struct env *e = payload;
    for (size_t i = 0; e->kv[i]; i += 2) {
        if (strcmp(e->kv[i], name) == 0) return e->kv[i + 1];
    }
    return NULL;
}

static const struct {
    const char *platform;
    const char *const *env;
    const char *want[EA_CI_FIELDS]; /* NULL = must be null */
} cases[] = {
    {"github",
     (const char *const[]){"GITHUB_ACTIONS", "true", "GITHUB_SERVER_URL", "https://github.com",
                           "GITHUB_REPOSITORY", "acme/app", "GITHUB_RUN_ID", "1658821493",
                           "GITHUB_RUN_ATTEMPT", "2", "GITHUB_WORKFLOW", "CI", "GITHUB_JOB", "build",
                           "GITHUB_EVENT_NAME", "push", "GITHUB_REF", "refs/heads/main",
                           "GITHUB_SHA", "ffac537e6cbbf934b08745a378932722df287a53",
                           "GITHUB_ACTOR", "octocat", "RUNNER_OS", "Linux", "RUNNER_NAME",
                           "GitHub Actions 2", NULL},
     {"https://github.com", "acme/app", "1658821493", "2",
      "https://github.com/acme/app/actions/runs/1658821493", "CI", "build", "push",
      "refs/heads/main", "ffac537e6cbbf934b08745a378932722df287a53", "octocat", "Linux",
      "GitHub Actions 2"}},
    {"gitlab",
     (const char *const[]){"GITLAB_CI", "true", "CI_SERVER_URL", "https://gitlab.example.com",
                           "CI_PROJECT_PATH", "group/app", "CI_PIPELINE_ID", "1000",
                           "CI_PIPELINE_URL", "https://gitlab.example.com/group/app/-/pipelines/1000",
                           "CI_PIPELINE_NAME", "release", "CI_JOB_NAME", "test",
                           "CI_PIPELINE_SOURCE", "merge_request_event", "CI_COMMIT_REF_NAME", "main",
                           "CI_COMMIT_SHA", "1ecfd275763eff1d6b4844ea3168962458c9f27a",
                           "GITLAB_USER_LOGIN", "alice", "CI_RUNNER_EXECUTABLE_ARCH", "linux/amd64",
                           "CI_RUNNER_DESCRIPTION", "shared-runner-1", NULL},
     {"https://gitlab.example.com", "group/app", "1000", NULL,
      "https://gitlab.example.com/group/app/-/pipelines/1000", "release", "test",
      "merge_request_event", "main", "1ecfd275763eff1d6b4844ea3168962458c9f27a", "alice",
      "linux/amd64", "shared-runner-1"}},
    {"jenkins",
     (const char *const[]){"JENKINS_URL", "https://ci.example.com/", "GIT_URL",
                           "https://git.example.com/app.git", "BUILD_NUMBER", "42", "BUILD_URL",
                           "https://ci.example.com/job/app/42/", "JOB_NAME", "app", "GIT_BRANCH",
                           "origin/main", "GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567",
                           "NODE_NAME", "agent-7", NULL},
     {"https://ci.example.com/", "https://git.example.com/app.git", "42", NULL,
      "https://ci.example.com/job/app/42/", "app", NULL, NULL, "origin/main",
      "0123456789abcdef0123456789abcdef01234567", NULL, NULL, "agent-7"}},
    {"azure",
     (const char *const[]){"TF_BUILD", "True", "SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/",
                           "SYSTEM_TEAMPROJECT", "payments", "BUILD_REPOSITORY_NAME", "app",
                           "BUILD_BUILDID", "77", "SYSTEM_JOBATTEMPT", "1", "BUILD_DEFINITIONNAME",
                           "app-ci", "SYSTEM_JOBDISPLAYNAME", "Build", "BUILD_REASON",
                           "IndividualCI", "BUILD_SOURCEBRANCH", "refs/heads/main",
                           "BUILD_SOURCEVERSION", "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
                           "BUILD_REQUESTEDFOR", "Bob", "AGENT_OS", "Linux", "AGENT_NAME",
                           "Hosted Agent", NULL},
     {"https://dev.azure.com/acme/", "app", "77", "1",
      "https://dev.azure.com/acme/payments/_build/results?buildId=77", "app-ci", "Build",
      "IndividualCI", "refs/heads/main", "abcdefabcdefabcdefabcdefabcdefabcdefabcd", "Bob", "Linux",
      "Hosted Agent"}},
    {"circleci",
     (const char *const[]){"CIRCLECI", "true", "CIRCLE_PROJECT_USERNAME", "acme",
                           "CIRCLE_PROJECT_REPONAME", "app", "CIRCLE_WORKFLOW_ID", "wf-1",
                           "CIRCLE_BUILD_URL", "https://circleci.com/gh/acme/app/9", "CIRCLE_JOB",
                           "test", "CIRCLE_BRANCH", "main", "CIRCLE_SHA1",
                           "1111111111111111111111111111111111111111", "CIRCLE_USERNAME", "carol",
                           NULL},
     {"https://circleci.com", "acme/app", "wf-1", NULL, "https://circleci.com/gh/acme/app/9", NULL,
      "test", NULL, "main", "1111111111111111111111111111111111111111", "carol", NULL, NULL}},
    {"bitbucket",
     (const char *const[]){"BITBUCKET_BUILD_NUMBER", "12", "BITBUCKET_REPO_FULL_NAME", "acme/app",
                           "BITBUCKET_STEP_UUID", "{step}", "BITBUCKET_BRANCH", "main",
                           "BITBUCKET_COMMIT", "2222222222222222222222222222222222222222",
                           "BITBUCKET_STEP_TRIGGERER_UUID", "{user}", NULL},
     {"https://bitbucket.org", "acme/app", "12", NULL,
      "https://bitbucket.org/acme/app/pipelines/results/12", NULL, "{step}", NULL, "main",
      "2222222222222222222222222222222222222222", "{user}", NULL, NULL}},
    {"buildkite",
     (const char *const[]){"BUILDKITE", "true", "BUILDKITE_REPO", "git@github.com:acme/app.git",
                           "BUILDKITE_BUILD_ID", "f62a1b4d", "BUILDKITE_RETRY_COUNT", "0",
                           "BUILDKITE_BUILD_URL", "https://buildkite.com/acme/app/builds/3",
                           "BUILDKITE_PIPELINE_SLUG", "app", "BUILDKITE_LABEL", ":test:",
                           "BUILDKITE_SOURCE", "webhook", "BUILDKITE_BRANCH", "main",
                           "BUILDKITE_COMMIT", "3333333333333333333333333333333333333333",
                           "BUILDKITE_BUILD_CREATOR", "Dana", "BUILDKITE_AGENT_NAME", "agent-1",
                           NULL},
     {"https://buildkite.com", "git@github.com:acme/app.git", "f62a1b4d", "0",
      "https://buildkite.com/acme/app/builds/3", "app", ":test:", "webhook", "main",
      "3333333333333333333333333333333333333333", "Dana", NULL, "agent-1"}},
    {"local", (const char *const[]){"HOME", "/root", "GITHUB_ACTIONS", "", NULL}, {NULL}},
    {"github", /* the run URL needs three variables: with one missing it is null, not half-made */
     (const char *const[]){"GITHUB_ACTIONS", "true", "GITHUB_REPOSITORY", "acme/app",
                           "GITHUB_RUN_ID", "5", NULL},
     {NULL, "acme/app", "5"}},
    /* change_request: GitHub's from GITHUB_REF, the others from one variable */
    {"github",
     (const char *const[]){"GITHUB_ACTIONS", "true", "GITHUB_REF", "refs/pull/42/merge", NULL},
     {[EA_CI_REF] = "refs/pull/42/merge", [EA_CI_CHANGE_REQUEST] = "42"}},
    {"github", /* not a pull request ref: nothing derived */
     (const char *const[]){"GITHUB_ACTIONS", "true", "GITHUB_REF", "refs/pull/x/merge", NULL},
     {[EA_CI_REF] = "refs/pull/x/merge"}},
    {"gitlab", (const char *const[]){"GITLAB_CI", "true", "CI_MERGE_REQUEST_IID", "7", NULL},
     {[EA_CI_CHANGE_REQUEST] = "7"}},
    {"jenkins", (const char *const[]){"JENKINS_URL", "https://ci/", "CHANGE_ID", "12", NULL},
     {"https://ci/", [EA_CI_CHANGE_REQUEST] = "12"}},
    {"azure",
     (const char *const[]){"TF_BUILD", "True", "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "3", NULL},
     {[EA_CI_CHANGE_REQUEST] = "3"}},
    {"circleci", (const char *const[]){"CIRCLECI", "true", "CIRCLE_PR_NUMBER", "9", NULL},
     {"https://circleci.com", [EA_CI_CHANGE_REQUEST] = "9"}},
    {"bitbucket",
     (const char *const[]){"BITBUCKET_BUILD_NUMBER", "8", "BITBUCKET_PR_ID", "4", NULL},
     {"https://bitbucket.org", [EA_CI_RUN_ID] = "8", [EA_CI_CHANGE_REQUEST] = "4"}},
    {"buildkite", /* Buildkite says "false" outside pull request builds: not a number, null */
     (const char *const[]){"BUILDKITE", "true", "BUILDKITE_PULL_REQUEST", "false", NULL},
     {"https://buildkite.com"}},
};

START_TEST(test_each_platform_yields_its_documented_fields)
{
    struct env e = {cases[_i].env};
    struct ea_ci_run run;
    json_t *j;

    ck_assert_int_eq(ea_ci_detect(&run, lookup, &e), 0);
    ck_assert_str_eq(run.platform, cases[_i].platform);
    for (int f = 0; f < EA_CI_FIELDS; f++) {
        if (cases[_i].want[f])
            ck_assert_msg(run.fields[f] && strcmp(run.fields[f], cases[_i].want[f]) == 0,
                          "%s.%s: got '%s', want '%s'", cases[_i].platform,
                          ea_ci_field_name((enum ea_ci_field)f),
                          run.fields[f] ? run.fields[f] : "(null)", cases[_i].want[f]);
        else
            ck_assert_msg(run.fields[f] == NULL, "%s.%s should be null", cases[_i].platform,
                          ea_ci_field_name((enum ea_ci_field)f));
    }
    j = ea_ci_run_json(&run);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "platform")), cases[_i].platform);
    ck_assert_uint_eq(json_object_size(j), 1 + EA_CI_FIELDS);
    json_decref(j);
    ea_ci_run_dispose(&run);
}
END_TEST

START_TEST(test_github_keeps_the_event_payload_path)
{
    struct env e = {(const char *const[]){"GITHUB_ACTIONS", "true", "GITHUB_EVENT_PATH",
                                          "/github/workflow/event.json",
                                          NULL}};
    struct ea_ci_run run;

    ck_assert_int_eq(ea_ci_detect(&run, lookup, &e), 0);
    ck_assert_str_eq(run.event_path, "/github/workflow/event.json");
    ea_ci_run_dispose(&run);
    ck_assert_ptr_null(run.event_path);
}
END_TEST

static Suite *ci_suite(void)
{
    Suite *s = suite_create("ci");
    TCase *tc = tcase_create("detect");

    tcase_add_loop_test(tc, test_each_platform_yields_its_documented_fields, 0,
                        sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, test_github_keeps_the_event_payload_path);
    suite_add_tcase(s, tc);
    return s;
}

EA_TEST_MAIN(ci_suite)
