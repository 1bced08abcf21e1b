/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GitHub and GitLab run enrichment over the shared HTTP client; see
 * pipeline_api.h. Only named string fields are copied out of responses
 * (nothing nested or unexpected reaches a record), and every page of jobs
 * is bounded by the client's body limit and EA_PIPELINE_PAGES_MAX.
 */
#include "pipeline_api.h"

#include <string.h>

#include "util/error.h"
#include "util/http.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/utf8.h"
#include "util/redact.h"

#define BODY_MAX (8u * 1024 * 1024)

json_t *ea_pipeline_github_run(const json_t *b)
{
    const json_t *actor = json_object_get(b, "triggering_actor");
    json_t *o = json_object();

    if (!json_is_object(actor)) actor = json_object_get(b, "actor");
    if (!o || ea_json_put(o, "status", ea_json_text(b, "status")) < 0 ||
        ea_json_put(o, "conclusion", ea_json_text(b, "conclusion")) < 0 ||
        ea_json_put(o, "event", ea_json_text(b, "event")) < 0 ||
        ea_json_put(o, "head_sha", ea_json_text(b, "head_sha")) < 0 ||
        ea_json_put(o, "actor", ea_json_text(actor, "login")) < 0 ||
        ea_json_put(o, "created_at", ea_json_text(b, "created_at")) < 0 ||
        ea_json_put(o, "started_at", ea_json_text(b, "run_started_at")) < 0 ||
        ea_json_put(o, "updated_at", ea_json_text(b, "updated_at")) < 0 ||
        ea_json_put(o, "url", ea_json_text(b, "html_url")) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ea_pipeline_github_jobs(json_t *jobs, const json_t *page)
{
    const json_t *list = json_object_get(page, "jobs");
    const json_t *j, *st;
    size_t i, k;

    if (!json_is_array(list)) return ea_fail(EA_EINPUT, "jobs page has no \"jobs\" array");
    json_array_foreach(list, i, j) {
        json_t *steps = json_array();
        json_t *o = json_object();
        if (!steps || !o || json_array_append_new(jobs, o) < 0) {
            json_decref(steps);
            json_decref(o);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        if (ea_json_put(o, "name", ea_json_text(j, "name")) < 0 ||
            ea_json_put(o, "status", ea_json_text(j, "status")) < 0 ||
            ea_json_put(o, "conclusion", ea_json_text(j, "conclusion")) < 0 ||
            ea_json_put(o, "started_at", ea_json_text(j, "started_at")) < 0 ||
            ea_json_put(o, "completed_at", ea_json_text(j, "completed_at")) < 0 ||
            ea_json_put(o, "steps", steps) < 0)
            return EA_ENOMEM;
        json_array_foreach(json_object_get(j, "steps"), k, st) {
            json_t *s = json_object();
            if (!s || json_array_append_new(steps, s) < 0 ||
                ea_json_put(s, "name", ea_json_text(st, "name")) < 0 ||
                ea_json_put(s, "conclusion", ea_json_text(st, "conclusion")) < 0)
                return ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    return 0;
}

json_t *ea_pipeline_gitlab_run(const json_t *b)
{
    json_t *o = json_object();

    if (!o || ea_json_put(o, "status", ea_json_text(b, "status")) < 0 ||
        ea_json_put(o, "source", ea_json_text(b, "source")) < 0 ||
        ea_json_put(o, "sha", ea_json_text(b, "sha")) < 0 ||
        ea_json_put(o, "user", ea_json_text(json_object_get(b, "user"), "username")) < 0 ||
        ea_json_put(o, "created_at", ea_json_text(b, "created_at")) < 0 ||
        ea_json_put(o, "started_at", ea_json_text(b, "started_at")) < 0 ||
        ea_json_put(o, "finished_at", ea_json_text(b, "finished_at")) < 0 ||
        ea_json_put(o, "url", ea_json_text(b, "web_url")) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ea_pipeline_gitlab_jobs(json_t *jobs, const json_t *page)
{
    const json_t *j;
    size_t i;

    if (!json_is_array(page)) return ea_fail(EA_EINPUT, "jobs page is not an array");
    json_array_foreach(page, i, j) {
        json_t *o = json_object();
        if (!o || json_array_append_new(jobs, o) < 0 ||
            ea_json_put(o, "name", ea_json_text(j, "name")) < 0 ||
            ea_json_put(o, "stage", ea_json_text(j, "stage")) < 0 ||
            ea_json_put(o, "status", ea_json_text(j, "status")) < 0 ||
            ea_json_put(o, "started_at", ea_json_text(j, "started_at")) < 0 ||
            ea_json_put(o, "finished_at", ea_json_text(j, "finished_at")) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    return 0;
}

/* GET url and parse its JSON body. On failure the message says why (no token in it). */
static int get_json(struct ea_http *h, const char *auth, const char *url, json_t **out, char **next)
{
    const char *headers[] = {auth, "Accept: application/json", NULL};

    return ea_http_get_json(h, headers, url, out, next, NULL);
}

static int fetch(json_t *result, const struct ea_ci_run *run, const struct ea_ci_api *api,
                 long budget_ms)
{
    struct ea_http_opts o = {.body_max_bytes = BODY_MAX,
                             .retries_max = 3,
                             .backoff_base_ms = 250,
                             .retry_wait_max_ms = 30000,
                             .budget_ms = budget_ms};
    bool github = strcmp(run->platform, "github") == 0;
    struct ea_http *h = NULL;
    json_t *body = NULL, *jobs = json_array(), *norm;
    char *url = NULL, *next = NULL;
    unsigned pages = 0;
    int rc;

    if (!jobs) return ea_fail(EA_ENOMEM, "out of memory");
    if (!run->fields[EA_CI_RUN_ID] || (github && !run->fields[EA_CI_REPOSITORY])) {
        json_decref(jobs);
        return ea_fail(EA_EINPUT, "the CI environment names no run to look up");
    }
    rc = ea_http_open(&h, &o);
    if (rc < 0) goto out;
    url = github ? ea_asprintf("%s/repos/%s/actions/runs/%s", api->base_url,
                               run->fields[EA_CI_REPOSITORY], run->fields[EA_CI_RUN_ID])
                 : ea_asprintf("%s/projects/%s/pipelines/%s", api->base_url, api->project_id,
                               run->fields[EA_CI_RUN_ID]);
    if (!url) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = get_json(h, api->auth_header, url, &body, NULL);
    if (rc < 0) goto out;
    norm = github ? ea_pipeline_github_run(body) : ea_pipeline_gitlab_run(body);
    if ((rc = ea_json_put(result, "run", norm)) < 0) goto out;
    ea_free(url);
    url = github ? ea_asprintf("%s/repos/%s/actions/runs/%s/jobs?per_page=100", api->base_url,
                               run->fields[EA_CI_REPOSITORY], run->fields[EA_CI_RUN_ID])
                 : ea_asprintf("%s/projects/%s/pipelines/%s/jobs?per_page=100", api->base_url,
                               api->project_id, run->fields[EA_CI_RUN_ID]);
    while (url && rc == 0 && pages < EA_PIPELINE_PAGES_MAX) {
        json_decref(body);
        body = NULL;
        rc = get_json(h, api->auth_header, url, &body, &next);
        if (rc == 0)
            rc = github ? ea_pipeline_github_jobs(jobs, body) : ea_pipeline_gitlab_jobs(jobs, body);
        pages++;
        ea_free(url);
        url = next;
        next = NULL;
    }
    if (rc < 0) goto out;
    rc = ea_json_put(result, "jobs", json_incref(jobs));
    if (rc == 0) rc = ea_json_put(result, "jobs_truncated", json_boolean(url != NULL));
out:
    ea_free(next);
    ea_free(url);
    json_decref(body);
    json_decref(jobs);
    ea_http_close(h);
    return rc;
}

int ea_pipeline_api_fetch(json_t **out, const struct ea_ci_run *run, const struct ea_ci_api *api,
                          long budget_ms)
{
    json_t *result = json_object();
    int rc;

    *out = NULL;
    if (!result) return ea_fail(EA_ENOMEM, "out of memory");
    rc = fetch(result, run, api, budget_ms);
    if (rc == EA_ENOMEM) {
        json_decref(result);
        return rc;
    }
    if (rc < 0) { /* the record keeps what the environment said, and why the API did not */
        json_object_clear(result);
        rc = ea_json_put(result, "status", json_string("error"));
        if (rc == 0)
            rc = ea_json_put(result, "error",
                             ea_redact_utf8_json(ea_error_message(EA_ERROR),
                                                 strlen(ea_error_message(EA_ERROR)), 1024));
        ea_error_clear();
    } else {
        rc = ea_json_put(result, "status", json_string("ok"));
    }
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}
