/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CI detection table; see ci.h. Each field is a template: "{VAR}" is
 * replaced by the variable's value, and a field whose variables are not all
 * set is left out (null) rather than half-filled. Sources: each platform's
 * documentation of its predefined variables (GitHub Actions "Variables
 * reference", GitLab "Predefined CI/CD variables", Jenkins "env-vars.html",
 * Azure Pipelines "Predefined variables", CircleCI "Project values and
 * variables", Bitbucket "Variables and secrets", Buildkite "Environment
 * variables"). Detection is in table order; the first platform whose
 * variable is set wins.
 */
#include "ci.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/utf8.h"

struct platform {
    const char *name;
    const char *detect; /* variable that must be set (non-empty) */
    const char *field[EA_CI_FIELDS];
};

/* Order of fields: server_url, repository, run_id, run_attempt, run_url, workflow, job,
 * event, ref, sha, actor, runner_os, runner_name, change_request (GitHub's comes from
 * GITHUB_REF refs/pull/N/merge, see ea_ci_detect). */
static const struct platform platforms[] = {
    {"github",
     "GITHUB_ACTIONS",
     {"{GITHUB_SERVER_URL}", "{GITHUB_REPOSITORY}", "{GITHUB_RUN_ID}", "{GITHUB_RUN_ATTEMPT}",
      "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}", "{GITHUB_WORKFLOW}",
      "{GITHUB_JOB}", "{GITHUB_EVENT_NAME}", "{GITHUB_REF}", "{GITHUB_SHA}", "{GITHUB_ACTOR}",
      "{RUNNER_OS}", "{RUNNER_NAME}"}},
    {"gitlab",
     "GITLAB_CI",
     {"{CI_SERVER_URL}", "{CI_PROJECT_PATH}", "{CI_PIPELINE_ID}", NULL, "{CI_PIPELINE_URL}",
      "{CI_PIPELINE_NAME}", "{CI_JOB_NAME}", "{CI_PIPELINE_SOURCE}", "{CI_COMMIT_REF_NAME}",
      "{CI_COMMIT_SHA}", "{GITLAB_USER_LOGIN}", "{CI_RUNNER_EXECUTABLE_ARCH}",
      "{CI_RUNNER_DESCRIPTION}", "{CI_MERGE_REQUEST_IID}"}},
    {"jenkins",
     "JENKINS_URL",
     {"{JENKINS_URL}", "{GIT_URL}", "{BUILD_NUMBER}", NULL, "{BUILD_URL}", "{JOB_NAME}",
      "{STAGE_NAME}", NULL, "{GIT_BRANCH}", "{GIT_COMMIT}", "{BUILD_USER_ID}", NULL, "{NODE_NAME}",
      "{CHANGE_ID}"}},
    {"azure",
     "TF_BUILD",
     {"{SYSTEM_COLLECTIONURI}", "{BUILD_REPOSITORY_NAME}", "{BUILD_BUILDID}", "{SYSTEM_JOBATTEMPT}",
      "{SYSTEM_COLLECTIONURI}{SYSTEM_TEAMPROJECT}/_build/results?buildId={BUILD_BUILDID}",
      "{BUILD_DEFINITIONNAME}", "{SYSTEM_JOBDISPLAYNAME}", "{BUILD_REASON}", "{BUILD_SOURCEBRANCH}",
      "{BUILD_SOURCEVERSION}", "{BUILD_REQUESTEDFOR}", "{AGENT_OS}", "{AGENT_NAME}",
      "{SYSTEM_PULLREQUEST_PULLREQUESTNUMBER}"}},
    {"circleci",
     "CIRCLECI",
     {"https://circleci.com", "{CIRCLE_PROJECT_USERNAME}/{CIRCLE_PROJECT_REPONAME}",
      "{CIRCLE_WORKFLOW_ID}", NULL, "{CIRCLE_BUILD_URL}", NULL, "{CIRCLE_JOB}", NULL,
      "{CIRCLE_BRANCH}", "{CIRCLE_SHA1}", "{CIRCLE_USERNAME}", NULL, NULL, "{CIRCLE_PR_NUMBER}"}},
    {"bitbucket",
     "BITBUCKET_BUILD_NUMBER",
     {"https://bitbucket.org", "{BITBUCKET_REPO_FULL_NAME}", "{BITBUCKET_BUILD_NUMBER}", NULL,
      "https://bitbucket.org/{BITBUCKET_REPO_FULL_NAME}/pipelines/results/"
      "{BITBUCKET_BUILD_NUMBER}",
      NULL, "{BITBUCKET_STEP_UUID}", NULL, "{BITBUCKET_BRANCH}", "{BITBUCKET_COMMIT}",
      "{BITBUCKET_STEP_TRIGGERER_UUID}", NULL, NULL, "{BITBUCKET_PR_ID}"}},
    {"buildkite",
     "BUILDKITE",
     {"https://buildkite.com", "{BUILDKITE_REPO}", "{BUILDKITE_BUILD_ID}",
      "{BUILDKITE_RETRY_COUNT}", "{BUILDKITE_BUILD_URL}", "{BUILDKITE_PIPELINE_SLUG}",
      "{BUILDKITE_LABEL}", "{BUILDKITE_SOURCE}", "{BUILDKITE_BRANCH}", "{BUILDKITE_COMMIT}",
      "{BUILDKITE_BUILD_CREATOR}", NULL, "{BUILDKITE_AGENT_NAME}", "{BUILDKITE_PULL_REQUEST}"}},
};

static const char *const field_names[EA_CI_FIELDS] = {
    "server_url",  "repository",     "run_id", "run_attempt", "run_url", "workflow",
    "job",         "event",          "ref",    "sha",         "actor",   "runner_os",
    "runner_name", "change_request",
};

const char *ea_ci_field_name(enum ea_ci_field f)
{
    return (unsigned)f < EA_CI_FIELDS ? field_names[f] : "?";
}

static const char *process_env(const char *name, void *payload)
{
    (void)payload;
    return getenv(name);
}

/* Expands a template; *out NULL when a variable is unset or empty. */
static int expand(char **out, const char *tmpl, ea_ci_env_cb env, void *payload)
{
    struct ea_buf b;
    const char *p = tmpl;
    int rc = 0;

    *out = NULL;
    ea_buf_init(&b, 8192);
    while (*p && rc == 0) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        char name[96];
        const char *v;

        if (!open || !close) {
            rc = ea_buf_puts(&b, p);
            break;
        }
        rc = ea_buf_append(&b, p, (size_t)(open - p));
        if (rc < 0 || (size_t)(close - open - 1) >= sizeof(name)) break;
        memcpy(name, open + 1, (size_t)(close - open - 1));
        name[close - open - 1] = '\0';
        v = env(name, payload);
        if (!v || !*v) {
            ea_buf_dispose(&b);
            return 0;
        }
        rc = ea_buf_puts(&b, v);
        p = close + 1;
    }
    if (rc < 0) {
        ea_buf_dispose(&b);
        ea_error_clear();
        return 0; /* an over-long value is left out, not an error of the run */
    }
    if (!ea_utf8_valid(b.data ? b.data : "", b.len)) {
        ea_buf_dispose(&b);
        return 0;
    }
    *out = ea_buf_take(&b, NULL);
    if (!*out) *out = ea_strdup("");
    return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

static bool all_digits(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/*
 * Fields that are not one variable: GitHub's pull request number is in
 * GITHUB_REF (refs/pull/N/merge or refs/pull/N/head), and its event payload
 * path is kept for collectors that read it. A change request that is not a
 * number (Buildkite says "false" outside PR builds) is left out.
 */
static int derive(struct ea_ci_run *out, ea_ci_env_cb env, void *payload)
{
    const char *ref = out->fields[EA_CI_REF];
    char **cr = &out->fields[EA_CI_CHANGE_REQUEST];

    if (strcmp(out->platform, "github") == 0) {
        const char *ev = env("GITHUB_EVENT_PATH", payload);
        if (ref && strncmp(ref, "refs/pull/", 10) == 0) {
            size_t n = strspn(ref + 10, "0123456789");
            if (n > 0 && n < 20 && ref[10 + n] == '/' && !(*cr = ea_strndup(ref + 10, n))) goto oom;
        }
        if (ev && *ev && !(out->event_path = ea_strdup(ev))) goto oom;
    }
    if (*cr && !all_digits(*cr)) {
        ea_free(*cr);
        *cr = NULL;
    }
    return 0;
oom:
    ea_ci_run_dispose(out);
    return ea_fail(EA_ENOMEM, "out of memory");
}

int ea_ci_detect(struct ea_ci_run *out, ea_ci_env_cb env, void *payload)
{
    const struct platform *pf = NULL;

    memset(out, 0, sizeof(*out));
    out->platform = "local";
    if (!env) env = process_env;
    for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
        const char *v = env(platforms[i].detect, payload);
        if (v && *v && strcmp(v, "false") != 0) {
            pf = &platforms[i];
            break;
        }
    }
    if (!pf) return 0;
    out->platform = pf->name;
    for (int f = 0; f < EA_CI_FIELDS; f++) {
        int rc;
        if (!pf->field[f]) continue;
        rc = expand(&out->fields[f], pf->field[f], env, payload);
        if (rc < 0) {
            ea_ci_run_dispose(out);
            return rc;
        }
    }
    return derive(out, env, payload);
}

void ea_ci_run_dispose(struct ea_ci_run *r)
{
    for (int f = 0; f < EA_CI_FIELDS; f++) {
        ea_free(r->fields[f]);
        r->fields[f] = NULL;
    }
    ea_free(r->event_path);
    r->event_path = NULL;
}

json_t *ea_ci_run_json(const struct ea_ci_run *r)
{
    json_t *o = json_pack("{s:s}", "platform", r->platform);

    for (int f = 0; o && f < EA_CI_FIELDS; f++) {
        json_t *v = r->fields[f] ? json_string(r->fields[f]) : json_null();
        if (!v || json_object_set_new(o, field_names[f], v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static const char *first_set(ea_ci_env_cb env, void *payload, const char *a, const char *b)
{
    const char *v = env(a, payload);
    if (v && *v) return v;
    v = b ? env(b, payload) : NULL;
    return v && *v ? v : NULL;
}

int ea_ci_api_lookup(struct ea_ci_api *out, const struct ea_ci_run *run, ea_ci_env_cb env,
                     void *payload)
{
    const char *token, *base;

    memset(out, 0, sizeof(*out));
    if (!env) env = process_env;
    if (strcmp(run->platform, "github") == 0) {
        token = first_set(env, payload, "GITHUB_TOKEN", "GH_TOKEN");
        if (!token) return 0;
        base = first_set(env, payload, "GITHUB_API_URL", NULL);
        out->base_url = ea_strdup(base ? base : "https://api.github.com");
        out->auth_header = ea_asprintf("Authorization: Bearer %s", token);
    } else if (strcmp(run->platform, "gitlab") == 0) {
        const char *private_token = first_set(env, payload, "GITLAB_TOKEN", NULL);
        const char *job_token = first_set(env, payload, "CI_JOB_TOKEN", NULL);
        const char *project = first_set(env, payload, "CI_PROJECT_ID", NULL);
        if ((!private_token && !job_token) || !project) return 0;
        base = first_set(env, payload, "CI_API_V4_URL", NULL);
        out->base_url = base ? ea_strdup(base)
                        : run->fields[EA_CI_SERVER_URL]
                            ? ea_asprintf("%s/api/v4", run->fields[EA_CI_SERVER_URL])
                            : ea_strdup("https://gitlab.com/api/v4");
        out->auth_header = private_token ? ea_asprintf("PRIVATE-TOKEN: %s", private_token)
                                         : ea_asprintf("JOB-TOKEN: %s", job_token);
        out->project_id = ea_strdup(project);
        if (!out->project_id) goto oom;
    } else {
        return 0;
    }
    if (!out->base_url || !out->auth_header) goto oom;
    {
        size_t n = strlen(out->base_url); /* "…/api/v4/" and "…/api/v4" are the same base */
        while (n > 0 && out->base_url[n - 1] == '/') out->base_url[--n] = '\0';
    }
    return 0;
oom:
    ea_ci_api_dispose(out);
    return ea_fail(EA_ENOMEM, "out of memory");
}

void ea_ci_api_dispose(struct ea_ci_api *a)
{
    if (a->auth_header) ea_free_secret(a->auth_header, strlen(a->auth_header));
    ea_free(a->base_url);
    ea_free(a->project_id);
    memset(a, 0, sizeof(*a));
}
