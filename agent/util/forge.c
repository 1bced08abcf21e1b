/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GitHub and GitLab change requests over the shared HTTP client; see
 * forge.h. Endpoints (REST, both documented as stable):
 *   GitHub  GET /repos/{o}/{r}/commits/{sha}/pulls
 *           GET /repos/{o}/{r}/pulls/{n}, .../reviews, .../commits (paginated)
 *           GET /repos/{o}/{r}/branches/{branch}/protection
 *   GitLab  GET /projects/:id/repository/commits/:sha/merge_requests
 *           GET /projects/:id/merge_requests/:iid, .../approvals, .../approval_state
 */
#include "forge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/http.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/redact.h"
#include "util/time.h"

bool ea_forge_is_bot(const json_t *user, const char *login)
{
    const json_t *t = json_object_get(user, "type");
    const char *type = json_string_value(t);
    size_t n = login ? strlen(login) : 0;

    return (type && strcmp(type, "Bot") == 0) || json_is_true(json_object_get(user, "bot")) ||
           (n > 5 && strcmp(login + n - 5, "[bot]") == 0);
}

#define BODY_MAX (8u * 1024 * 1024)

int ea_forge_open(struct ea_forge *f, bool gitlab, const char *base_url, const char *auth,
                  const char *repo)
{
    struct ea_http_opts o = {.body_max_bytes = BODY_MAX,
                             .retries_max = 3,
                             .backoff_base_ms = 250,
                             .retry_wait_max_ms = 30000};
    struct ea_buf b;
    int rc;

    memset(f, 0, sizeof(*f));
    f->gitlab = gitlab;
    f->base_url = base_url;
    f->auth = auth;
    f->repo = repo;
    ea_buf_init(&b, 0);
    for (const char *p = repo; *p; p++) { /* GitLab takes "group/app" as "group%2Fapp" */
        rc = gitlab && *p == '/' ? ea_buf_puts(&b, "%2F") : ea_buf_append(&b, p, 1);
        if (rc < 0) break;
    }
    f->project = ea_buf_take(&b, NULL);
    if (!f->project) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_http_open(&f->http, &o);
    if (rc < 0) ea_forge_close(f);
    return rc;
}

/* owner/name, a numeric project ID or a group/subgroup/project path. */
static bool repo_ok(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > 255 || r[0] == '/' || r[n - 1] == '/' || strstr(r, "..") || strstr(r, "//"))
        return false;
    return strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") == n;
}

int ea_forge_options(struct ea_forge_target *t, const json_t *options)
{
    const json_t *v;

    memset(t, 0, sizeof(*t));
    t->timeout_ms = EA_FORGE_TIMEOUT_DEFAULT_MS;
    if ((v = json_object_get(options, "timeout"))) { /* a duration: the option table checked it */
        int64_t us = 0;
        ea_duration_parse(&us, json_string_value(v));
        if (us < 1000000 || us > 3600LL * 1000000)
            return ea_fail(EA_ECONFIG, "timeout must be from 1s to 1h");
        t->timeout_ms = (long)(us / 1000);
    }
    if ((v = json_object_get(options, "repo"))) {
        if (!json_is_string(v) || !repo_ok(json_string_value(v)))
            return ea_fail(EA_ECONFIG, "repo must be owner/name (GitHub) or a project ID or "
                                       "group/project path (GitLab)");
        if (!(t->repo = ea_strdup(json_string_value(v))))
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    if ((v = json_object_get(options, "platform"))) {
        const char *p = json_string_value(v);
        if (!p || (strcmp(p, "github") != 0 && strcmp(p, "gitlab") != 0)) {
            ea_forge_target_dispose(t);
            return ea_fail(EA_ECONFIG, "platform must be github or gitlab");
        }
        if (!(t->platform = ea_strdup(p))) {
            ea_forge_target_dispose(t);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    return 0;
}

void ea_forge_target_dispose(struct ea_forge_target *t)
{
    ea_free(t->repo);
    ea_free(t->platform);
    memset(t, 0, sizeof(*t));
}

/* The environment, with the repo option standing in for GitLab's CI_PROJECT_ID. */
static const char *env_with_repo(const char *name, void *payload)
{
    const struct ea_forge_target *t = payload;

    if (t->repo && strcmp(name, "CI_PROJECT_ID") == 0) return t->repo;
    return getenv(name);
}

int ea_forge_connect(struct ea_forge *f, struct ea_ci_api *api, const struct ea_ci_run *run,
                     const struct ea_forge_target *t, const char *who, const char *token_note)
{
    static const char *const order[] = {"github", "gitlab"};
    bool ci_forge = strcmp(run->platform, "github") == 0 || strcmp(run->platform, "gitlab") == 0;
    struct ea_ci_run probe = *run;
    const char *repo;
    bool gitlab = false;
    int rc = 0;

    memset(f, 0, sizeof(*f));
    memset(api, 0, sizeof(*api));
    for (size_t i = 0; i < 2 && rc == 0 && !api->base_url; i++) {
        probe.platform = t->platform ? t->platform : ci_forge ? run->platform : order[i];
        gitlab = strcmp(probe.platform, "gitlab") == 0;
        rc = ea_ci_api_lookup(api, &probe, env_with_repo, (void *)t);
        if (t->platform || ci_forge) break;
    }
    if (rc < 0) return rc;
    /* the collector's name prefixes these messages: who says what is read, not who reads */
    if (!api->base_url)
        return ea_fail(EA_ECONFIG,
                       "needs an API token to read %s: GITHUB_TOKEN or GH_TOKEN%s for GitHub, "
                       "GITLAB_TOKEN or CI_JOB_TOKEN with CI_PROJECT_ID (or --repo) for GitLab",
                       who, token_note);
    repo = gitlab                                 ? api->project_id
           : t->repo                              ? t->repo
           : strcmp(run->platform, "github") == 0 ? run->fields[EA_CI_REPOSITORY]
                                                  : getenv("GITHUB_REPOSITORY");
    if (repo && !*repo) repo = NULL;
    if (!repo)
        return ea_fail(EA_ECONFIG,
                       "which repository (to read %s)? give --repo owner/name or set "
                       "GITHUB_REPOSITORY (GitHub Actions sets it)",
                       who);
    if (!gitlab && !t->owner && !strchr(repo, '/')) {
        char shown[81];
        return ea_fail(EA_ECONFIG,
                       "repository '%s' (--repo, else GITHUB_REPOSITORY) must be owner/name",
                       ea_redact_show(shown, sizeof(shown), repo, strlen(repo)));
    }
    if ((rc = ea_forge_open(f, gitlab, api->base_url, api->auth_header, repo)) < 0) return rc;
    ea_http_set_budget(f->http, t->timeout_ms); /* the run's API work starts now */
    return 0;
}

int ea_forge_preflight(const struct ea_forge_target *t, const char *who, const char *token_note)
{
    struct ea_ci_run run;
    struct ea_ci_api api;
    struct ea_forge f;
    int rc = ea_ci_detect(&run, NULL, NULL);

    if (rc < 0) return rc;
    rc = ea_forge_connect(&f, &api, &run, t, who, token_note);
    if (rc == 0) ea_forge_close(&f);
    ea_ci_api_dispose(&api);
    ea_ci_run_dispose(&run);
    return rc;
}

void ea_forge_close(struct ea_forge *f)
{
    ea_free(f->project);
    ea_http_close(f->http);
    memset(f, 0, sizeof(*f));
}

/* Replaces the message of a failed request by one naming what is missing. */
static int explain(const struct ea_forge *f, int rc, long status, const char *what)
{
    char was[512];

    snprintf(was, sizeof(was), "%s", ea_error_message(rc));
    if (status == 401)
        return ea_fail(
            EA_ECONFIG,
            "%s: the token was rejected; %s is missing, expired or "
            "revoked (%s)",
            what, f->gitlab ? "GITLAB_TOKEN or CI_JOB_TOKEN" : "GITHUB_TOKEN or GH_TOKEN", was);
    if (status == 403)
        return f->gitlab ? ea_fail(EA_ECONFIG,
                                   "%s of project %s: the token may not read it; use "
                                   "a token with the read_api scope (%s)",
                                   what, f->repo, was)
                         : ea_fail(EA_ECONFIG,
                                   "%s of %s: the token may not read it; grant "
                                   "\"pull-requests: read\" and \"contents: read\" "
                                   "(in GitHub Actions, under permissions:) (%s)",
                                   what, f->repo, was);
    if (status == 404)
        return f->gitlab ? ea_fail(EA_ENOTFOUND,
                                   "%s not found in project %s, or the token cannot "
                                   "see the project (it needs read_api) (%s)",
                                   what, f->repo, was)
                         : ea_fail(EA_ENOTFOUND,
                                   "%s not found in %s, or the token cannot see "
                                   "the repository (it needs \"contents: read\" and "
                                   "\"pull-requests: read\") (%s)",
                                   what, f->repo, was);
    return rc;
}

int ea_forge_get(struct ea_forge *f, const char *url, json_t **out, char **next, long *status,
                 const char *what)
{
    const char *gh[] = {f->auth, "Accept: application/vnd.github+json",
                        "X-GitHub-Api-Version: 2022-11-28", NULL};
    const char *gl[] = {f->auth, "Accept: application/json", NULL};
    long st = 0;
    int rc = ea_http_get_json(f->http, f->gitlab ? gl : gh, url, out, next, &st);

    if (status) *status = st;
    return rc < 0 && what ? explain(f, rc, st, what) : rc;
}

typedef int (*page_fn)(json_t *acc, const json_t *page);

/* GETs url and its next pages (at most EA_FORGE_PAGES_MAX), feeding each to fn. */
static int get_pages(struct ea_forge *f, char *url, page_fn fn, json_t *acc, const char *what,
                     bool *truncated)
{
    unsigned pages = 0;
    int rc = 0;

    while (url && rc == 0 && pages < EA_FORGE_PAGES_MAX) {
        json_t *body = NULL;
        char *next = NULL;
        rc = ea_forge_get(f, url, &body, &next, NULL, what);
        if (rc == 0) rc = fn(acc, body);
        json_decref(body);
        ea_free(url);
        url = next;
        pages++;
    }
    if (truncated) *truncated = url != NULL;
    ea_free(url);
    return rc;
}

int ea_forge_get_list(struct ea_forge *f, char *url, unsigned max_pages, json_t *items,
                      long *status, bool *truncated, const char *what)
{
    unsigned pages = 0;
    int rc = 0;

    *status = 0;
    *truncated = false;
    if (!url) return ea_fail(EA_ENOMEM, "out of memory");
    while (url && rc == 0 && pages < max_pages) {
        json_t *body = NULL;
        char *next = NULL;
        rc = ea_forge_get(f, url, &body, &next, status, what);
        if (rc == 0 && !json_is_array(body))
            rc = ea_fail(EA_EINPUT, "%s: the answer is not a list", what ? what : "a list");
        if (rc == 0 && json_array_extend(items, body) < 0) rc = ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0) *status = 0;
        json_decref(body);
        ea_free(url);
        url = next;
        pages++;
    }
    *truncated = rc == 0 && url != NULL;
    ea_free(url);
    return rc;
}

static json_t *int_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

static json_t *bool_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_boolean(json_is_true(v)) : json_null();
}

json_t *ea_forge_github_pr(const json_t *pr)
{
    const json_t *user = json_object_get(pr, "user"), *merger = json_object_get(pr, "merged_by");
    const json_t *base = json_object_get(pr, "base"), *head = json_object_get(pr, "head");
    bool merged = json_is_true(json_object_get(pr, "merged")) ||
                  json_is_string(json_object_get(pr, "merged_at"));
    const char *state = ea_json_str(pr, "state");
    json_t *o = json_object();

    if (!o || ea_json_put(o, "number", int_of(pr, "number")) < 0 ||
        ea_json_put(o, "url", ea_json_text(pr, "html_url")) < 0 ||
        ea_json_put(o, "title", ea_json_text(pr, "title")) < 0 ||
        ea_json_put(o, "state",
                    merged                                ? json_string("merged")
                    : state && strcmp(state, "open") == 0 ? json_string("open")
                                                          : json_string("closed")) < 0 ||
        ea_json_put(o, "author", ea_json_text(user, "login")) < 0 ||
        ea_json_put(o, "author_bot",
                    json_boolean(ea_forge_is_bot(user, ea_json_str(user, "login")))) < 0 ||
        ea_json_put(o, "merged", json_boolean(merged)) < 0 ||
        ea_json_put(o, "merged_by", ea_json_text(merger, "login")) < 0 ||
        ea_json_put(o, "merged_at", ea_json_text(pr, "merged_at")) < 0 ||
        ea_json_put(o, "merge_commit_sha",
                    merged ? ea_json_text(pr, "merge_commit_sha") : json_null()) < 0 ||
        ea_json_put(o, "base_ref", ea_json_text(base, "ref")) < 0 ||
        ea_json_put(o, "base_sha", ea_json_text(base, "sha")) < 0 ||
        ea_json_put(o, "head_ref", ea_json_text(head, "ref")) < 0 ||
        ea_json_put(o, "head_sha", ea_json_text(head, "sha")) < 0 ||
        ea_json_put(o, "commits", json_null()) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *review_state(const char *s)
{
    static const char *const known[] = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED", "COMMENTED",
                                        "PENDING"};

    for (size_t i = 0; s && i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(s, known[i]) == 0) return known[i];
    if (s && strcasecmp(s, "REQUESTED_CHANGES") == 0)
        return "CHANGES_REQUESTED"; /* seen in the wild */
    return "COMMENTED";             /* any other state neither approves nor cancels */
}

int ea_forge_github_reviews(json_t *reviews, const json_t *page)
{
    const json_t *r;
    size_t i;

    if (!json_is_array(page)) return ea_fail(EA_EINPUT, "the reviews page is not a list");
    json_array_foreach(page, i, r) {
        const json_t *user = json_object_get(r, "user");
        json_t *o = json_object();
        if (!o || json_array_append_new(reviews, o) < 0 ||
            ea_json_put(o, "reviewer", ea_json_text(user, "login")) < 0 ||
            ea_json_put(o, "bot", json_boolean(ea_forge_is_bot(user, ea_json_str(user, "login")))) <
                0 ||
            ea_json_put(o, "state", json_string(review_state(ea_json_str(r, "state")))) < 0 ||
            ea_json_put(o, "at", ea_json_text(r, "submitted_at")) < 0 ||
            ea_json_put(o, "commit", ea_json_text(r, "commit_id")) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    return 0;
}

static int count_commits(json_t *acc, const json_t *page)
{
    size_t n = json_array_size(page);

    if (!json_is_array(page)) return ea_fail(EA_EINPUT, "the commits page is not a list");
    json_array_set_new(acc, 0,
                       json_integer(json_integer_value(json_array_get(acc, 0)) + (json_int_t)n));
    if (n) json_array_set_new(acc, 1, ea_json_text(json_array_get(page, n - 1), "sha"));
    return 0;
}

json_t *ea_forge_github_protection(const json_t *p)
{
    const json_t *reviews = json_object_get(p, "required_pull_request_reviews");
    const json_t *checks = json_object_get(p, "required_status_checks");
    const json_t *c;
    json_t *contexts = json_is_object(checks) ? json_array() : json_null();
    json_t *o = json_object();
    size_t i;

    json_array_foreach(json_object_get(checks, "contexts"), i, c) {
        if (json_is_string(c) && json_string_length(c) <= EA_JSON_TEXT_MAX)
            json_array_append(contexts, (json_t *)c);
    }
    if (!o || ea_json_put(o, "status", json_string("ok")) < 0 ||
        ea_json_put(o, "required_approving_reviews",
                    json_is_object(reviews) ? json_integer(json_integer_value(json_object_get(
                                                  reviews, "required_approving_review_count")))
                                            : json_integer(0)) < 0 ||
        ea_json_put(o, "dismiss_stale_reviews", bool_of(reviews, "dismiss_stale_reviews")) < 0 ||
        ea_json_put(o, "require_code_owner_reviews",
                    bool_of(reviews, "require_code_owner_reviews")) < 0 ||
        ea_json_put(o, "require_last_push_approval",
                    bool_of(reviews, "require_last_push_approval")) < 0 ||
        ea_json_put(o, "enforce_admins", bool_of(json_object_get(p, "enforce_admins"), "enabled")) <
            0 ||
        ea_json_put(o, "required_status_checks", contexts) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *ea_forge_gitlab_mr(const json_t *mr)
{
    const json_t *author = json_object_get(mr, "author");
    const json_t *merger = json_object_get(mr, "merge_user");
    const json_t *refs = json_object_get(mr, "diff_refs");
    const char *state = ea_json_str(mr, "state");
    bool merged = state && strcmp(state, "merged") == 0;
    json_t *o = json_object();
    json_t *merge_sha = ea_json_text(mr, "merge_commit_sha");

    if (!json_is_object(merger)) merger = json_object_get(mr, "merged_by");
    if (json_is_null(merge_sha)) {
        json_decref(merge_sha);
        merge_sha = ea_json_text(mr, "squash_commit_sha");
    }
    if (!o || ea_json_put(o, "number", int_of(mr, "iid")) < 0 ||
        ea_json_put(o, "url", ea_json_text(mr, "web_url")) < 0 ||
        ea_json_put(o, "title", ea_json_text(mr, "title")) < 0 ||
        ea_json_put(o, "state",
                    json_string(merged                                  ? "merged"
                                : state && strcmp(state, "opened") == 0 ? "open"
                                                                        : "closed")) < 0 ||
        ea_json_put(o, "author", ea_json_text(author, "username")) < 0 ||
        ea_json_put(o, "author_bot",
                    json_boolean(ea_forge_is_bot(author, ea_json_str(author, "username")))) < 0 ||
        ea_json_put(o, "merged", json_boolean(merged)) < 0 ||
        ea_json_put(o, "merged_by", merged ? ea_json_text(merger, "username") : json_null()) < 0 ||
        ea_json_put(o, "merged_at", ea_json_text(mr, "merged_at")) < 0 ||
        ea_json_put(o, "merge_commit_sha", merged ? json_incref(merge_sha) : json_null()) < 0 ||
        ea_json_put(o, "base_ref", ea_json_text(mr, "target_branch")) < 0 ||
        ea_json_put(o, "base_sha", ea_json_text(refs, "base_sha")) < 0 ||
        ea_json_put(o, "head_ref", ea_json_text(mr, "source_branch")) < 0 ||
        ea_json_put(o, "head_sha",
                    ea_json_text(json_is_string(json_object_get(mr, "sha")) ? mr : refs,
                                 json_is_string(json_object_get(mr, "sha")) ? "sha" : "head_sha")) <
            0 ||
        ea_json_put(o, "commits", json_null()) < 0) {
        json_decref(merge_sha);
        json_decref(o);
        return NULL;
    }
    json_decref(merge_sha);
    return o;
}

int ea_forge_gitlab_approvals(json_t *reviews, const json_t *body)
{
    const json_t *a;
    size_t i;

    json_array_foreach(json_object_get(body, "approved_by"), i, a) {
        const json_t *user = json_object_get(a, "user");
        json_t *o = json_object();
        if (!o || json_array_append_new(reviews, o) < 0 ||
            ea_json_put(o, "reviewer", ea_json_text(user, "username")) < 0 ||
            ea_json_put(o, "bot",
                        json_boolean(ea_forge_is_bot(user, ea_json_str(user, "username")))) < 0 ||
            ea_json_put(o, "state", json_string("APPROVED")) < 0 ||
            ea_json_put(o, "at", ea_json_text(a, "approved_at")) < 0 ||
            ea_json_put(o, "commit", json_null()) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    return 0;
}

/* GitLab's approval rules (approval_state), or null when the edition has none. */
static json_t *gitlab_rules(const json_t *state)
{
    const json_t *r;
    json_t *rules = json_array();
    size_t i;

    json_array_foreach(json_object_get(state, "rules"), i, r) {
        json_t *o = json_object();
        if (!o || json_array_append_new(rules, o) < 0 ||
            ea_json_put(o, "name", ea_json_text(r, "name")) < 0 ||
            ea_json_put(o, "approvals_required", int_of(r, "approvals_required")) < 0 ||
            ea_json_put(o, "approved", json_boolean(json_is_true(json_object_get(r, "approved")))) <
                0) {
            json_decref(rules);
            return NULL;
        }
    }
    return rules;
}

/* Which merge request or pull request in list brought sha: merged as sha, else a merged one
 * whose head is sha, else an open one whose head is sha, else the first. */
static long pick(const json_t *list, const char *sha, bool gitlab)
{
    const char *num = gitlab ? "iid" : "number";
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x) {
        const char *m = ea_json_str(x, "merge_commit_sha");
        const char *sq = ea_json_str(x, "squash_commit_sha");
        if ((m && strcasecmp(m, sha) == 0) || (sq && strcasecmp(sq, sha) == 0))
            return (long)json_integer_value(json_object_get(x, num));
    }
    for (int want_merged = 1; want_merged >= 0; want_merged--) {
        json_array_foreach(list, i, x) {
            const char *h =
                gitlab ? ea_json_str(x, "sha") : ea_json_str(json_object_get(x, "head"), "sha");
            const char *state = ea_json_str(x, "state");
            bool merged = gitlab ? state && strcmp(state, "merged") == 0
                                 : json_is_string(json_object_get(x, "merged_at"));
            if (h && strcasecmp(h, sha) == 0 && merged == (bool)want_merged)
                return (long)json_integer_value(json_object_get(x, num));
        }
    }
    return (long)json_integer_value(json_object_get(json_array_get(list, 0), num));
}

int ea_forge_find(struct ea_forge *f, const char *sha, long *number)
{
    char *url = f->gitlab ? ea_asprintf("%s/projects/%s/repository/commits/%s/merge_requests",
                                        f->base_url, f->project, sha)
                          : ea_asprintf("%s/repos/%s/commits/%s/pulls?per_page=100", f->base_url,
                                        f->repo, sha);
    char what[96];
    json_t *list = NULL;
    int rc;

    *number = 0;
    if (!url) return ea_fail(EA_ENOMEM, "out of memory");
    snprintf(what, sizeof(what), "the %s of commit %.12s",
             f->gitlab ? "merge requests" : "pull requests", sha);
    rc = ea_forge_get(f, url, &list, NULL, NULL, what);
    ea_free(url);
    if (rc == 0 && !json_is_array(list))
        rc = ea_fail(EA_EINPUT, "%s: the answer is not a list", what);
    if (rc == 0) *number = pick(list, sha, f->gitlab);
    if (rc == 0 && *number < 0) *number = 0;
    json_decref(list);
    return rc;
}

/* The base branch's classic protection; never a failure: a 403 or 404 is recorded as such. */
static int github_protection(struct ea_forge *f, json_t *data, const char *branch)
{
    struct ea_buf b;
    json_t *body = NULL, *p = NULL;
    char *url;
    long status = 0;
    int rc = 0;

    ea_buf_init(&b, 0);
    for (const char *c = branch; c && *c && rc == 0; c++) /* a branch may hold '/', '#', ... */
        rc = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                     strchr("-._~", *c)
                 ? ea_buf_append(&b, c, 1)
                 : ea_buf_printf(&b, "%%%02X", (unsigned char)*c);
    url = rc == 0 && branch ? ea_asprintf("%s/repos/%s/branches/%s/protection", f->base_url,
                                          f->repo, b.data ? b.data : "")
                            : NULL;
    ea_buf_dispose(&b);
    if (!branch) return ea_json_put(data, "protection", json_null());
    if (!url) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_forge_get(f, url, &body, NULL, &status, NULL);
    ea_free(url);
    if (rc == 0) {
        p = ea_forge_github_protection(body);
    } else if (rc != EA_ENOMEM) {
        /* 404: no classic protection (rulesets may still protect it); 403: the token may
         * not read settings. Neither is a pass: the record says which. */
        const char *why = status == 404 ? "not_found" : status == 403 ? "forbidden" : "error";
        p = json_pack("{s:s, s:s}", "status", why, "error", ea_error_message(rc));
        ea_error_clear();
        rc = 0;
    }
    json_decref(body);
    return rc < 0 ? rc : ea_json_put(data, "protection", p);
}

static int read_github(struct ea_forge *f, long n, json_t *data, json_t *reviews)
{
    char *url = ea_asprintf("%s/repos/%s/pulls/%ld", f->base_url, f->repo, n);
    char what[64];
    json_t *pr = NULL, *cr = NULL, *commits = json_pack("[i, n]", 0);
    bool truncated = false;
    int rc;

    snprintf(what, sizeof(what), "pull request #%ld", n);
    if (!url || !commits) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = ea_forge_get(f, url, &pr, NULL, NULL, what);
    if (rc < 0) goto out;
    if (!(cr = ea_forge_github_pr(pr))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(what, sizeof(what), "the reviews of pull request #%ld", n);
    rc = get_pages(
        f, ea_asprintf("%s/repos/%s/pulls/%ld/reviews?per_page=100", f->base_url, f->repo, n),
        ea_forge_github_reviews, reviews, what, &truncated);
    if (rc == 0 && truncated)
        rc = ea_fail(EA_ETOOBIG, "pull request #%ld has more than %d pages of reviews", n,
                     EA_FORGE_PAGES_MAX);
    if (rc < 0) goto out;
    snprintf(what, sizeof(what), "the commits of pull request #%ld", n);
    rc = get_pages(
        f, ea_asprintf("%s/repos/%s/pulls/%ld/commits?per_page=100", f->base_url, f->repo, n),
        count_commits, commits, what, NULL);
    if (rc < 0) goto out;
    rc = ea_json_put(cr, "commits", json_incref(json_array_get(commits, 0)));
    if (rc == 0 && json_is_null(json_object_get(cr, "head_sha")) &&
        json_is_string(json_array_get(commits, 1)))
        rc = ea_json_put(cr, "head_sha", json_incref(json_array_get(commits, 1)));
    if (rc == 0) rc = github_protection(f, data, ea_json_str(cr, "base_ref"));
    if (rc == 0) rc = ea_json_put(data, "approval_rules", json_null());
    if (rc == 0) {
        rc = ea_json_put(data, "change_request", cr);
        cr = NULL;
    }
out:
    ea_free(url);
    json_decref(pr);
    json_decref(cr);
    json_decref(commits);
    return rc;
}

static int read_gitlab(struct ea_forge *f, long n, json_t *data, json_t *reviews)
{
    char *url = ea_asprintf("%s/projects/%s/merge_requests/%ld", f->base_url, f->project, n);
    char what[64];
    json_t *mr = NULL, *cr = NULL, *ap = NULL, *state = NULL, *rules;
    long status;
    int rc;

    snprintf(what, sizeof(what), "merge request !%ld", n);
    if (!url) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_forge_get(f, url, &mr, NULL, NULL, what);
    ea_free(url);
    if (rc < 0) return rc;
    if (!(cr = ea_forge_gitlab_mr(mr))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(what, sizeof(what), "the approvals of merge request !%ld", n);
    url = ea_asprintf("%s/projects/%s/merge_requests/%ld/approvals", f->base_url, f->project, n);
    rc = url ? ea_forge_get(f, url, &ap, NULL, NULL, what) : ea_fail(EA_ENOMEM, "out of memory");
    ea_free(url);
    if (rc == 0) rc = ea_forge_gitlab_approvals(reviews, ap);
    if (rc < 0) goto out;
    /* approval_state needs GitLab Premium: without it (403/404) the rules are null */
    url =
        ea_asprintf("%s/projects/%s/merge_requests/%ld/approval_state", f->base_url, f->project, n);
    rc = url ? ea_forge_get(f, url, &state, NULL, &status, NULL)
             : ea_fail(EA_ENOMEM, "out of memory");
    ea_free(url);
    if (rc < 0 && rc != EA_ENOMEM) {
        ea_error_clear();
        rc = 0;
    }
    if (rc < 0) goto out;
    rules = state ? gitlab_rules(state) : json_null();
    rc = ea_json_put(data, "approval_rules",
                     rules ? json_pack("{s:o, s:o, s:o}", "approvals_required",
                                       int_of(ap, "approvals_required"), "approvals_left",
                                       int_of(ap, "approvals_left"), "rules", rules)
                           : NULL);
    if (rc == 0) rc = ea_json_put(data, "protection", json_null());
    if (rc == 0) {
        rc = ea_json_put(data, "change_request", cr);
        cr = NULL;
    }
out:
    json_decref(mr);
    json_decref(cr);
    json_decref(ap);
    json_decref(state);
    return rc;
}

int ea_forge_read(struct ea_forge *f, long number, json_t *data, json_t **reviews)
{
    int rc;

    *reviews = json_array();
    if (!*reviews) return ea_fail(EA_ENOMEM, "out of memory");
    rc =
        f->gitlab ? read_gitlab(f, number, data, *reviews) : read_github(f, number, data, *reviews);
    if (rc < 0) {
        json_decref(*reviews);
        *reviews = NULL;
    }
    return rc;
}
