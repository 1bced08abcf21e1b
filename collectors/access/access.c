/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The access collector: one `access` record of who can change the code and
 * the pipeline of a repository, project, organisation or group — every person
 * and team with access and their role, outside collaborators, deploy keys,
 * pending invitations, the organisation's 2FA requirement and the members
 * without 2FA, base permissions, the CI settings that grant power and the
 * deployment environments with their protection — the diff against the
 * previous record of the same scope, and a policy verdict.
 *
 *   access                   the CI run's repository (GitHub) or project (GitLab)
 *   access=repo:OWNER/NAME   a GitHub repository (and its organisation)
 *   access=org:NAME          a GitHub organisation
 *   access=project:PATH      a GitLab project (and its group), by path or ID
 *   access=group:PATH        a GitLab group
 *
 * Each endpoint is read on its own: one the token may not read (a 403 or 404
 * on an organisation endpoint for a repository-scoped token, a list longer
 * than the page limit) leaves its facts null and is listed in data.unreadable
 * with the permission it needs; that is never a pass. The forge client
 * (util/forge.h) brings the token, API base, pagination, retry and rate-limit
 * rules of the other forge collectors. What the answers mean is decided in
 * access_parse.c, without I/O.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evidence/collector.h>

#include "access_parse.h"
#include "util/ci.h"
#include "util/error.h"
#include "util/forge.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/redact.h"

#define ACCESS_PAGES_MAX 50    /* of 100: 5,000 members, then the list is unreadable */
#define DRIFT_CONTROL "A.5.15" /* where access records are always filed */

enum scope { SCOPE_DEFAULT, SCOPE_REPO, SCOPE_ORG, SCOPE_PROJECT, SCOPE_GROUP };

struct access_state {
    enum scope scope;
    struct ea_forge_target target; /* repo holds the scope's name when one was given */
    struct ea_access_policy policy;
    char *envs[EA_ACCESS_ENVS_MAX]; /* owned: the policy's environment names */
    const struct ea_host *host;
};

static void access_free(void *state)
{
    struct access_state *s = state;

    if (!s) return;
    for (size_t i = 0; i < EA_ACCESS_ENVS_MAX; i++) ea_free(s->envs[i]);
    ea_forge_target_dispose(&s->target);
    ea_free(s);
}

/* owner/name, a group/subgroup/project path or a numeric ID: the forge's name characters. */
static bool name_ok(const char *r, bool slashes)
{
    size_t n = strlen(r);

    if (n == 0 || n > 255 || r[0] == '/' || r[n - 1] == '/' || strstr(r, "..") || strstr(r, "//"))
        return false;
    if (!slashes && strchr(r, '/')) return false;
    return strspn(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") == n;
}

static int parse_scope(struct access_state *s, const char *arg)
{
    static const struct {
        const char *prefix;
        enum scope scope;
        const char *platform;
        bool slashes;
    } scopes[] = {{"repo:", SCOPE_REPO, "github", true},
                  {"org:", SCOPE_ORG, "github", false},
                  {"project:", SCOPE_PROJECT, "gitlab", true},
                  {"group:", SCOPE_GROUP, "gitlab", true}};
    char shown[81];

    if (!arg || !*arg) return 0;
    for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
        size_t n = strlen(scopes[i].prefix);
        const char *v = arg + n;
        if (strncmp(arg, scopes[i].prefix, n) != 0) continue;
        if (!name_ok(v, scopes[i].slashes) ||
            (scopes[i].scope == SCOPE_REPO && strchr(v, '/') != strrchr(v, '/')) ||
            (scopes[i].scope == SCOPE_REPO && !strchr(v, '/')))
            break;
        if (s->target.platform && strcmp(s->target.platform, scopes[i].platform) != 0)
            return ea_fail(EA_ECONFIG, "access=%s is a %s scope, but platform is %s", arg,
                           scopes[i].platform, s->target.platform);
        ea_free(s->target.repo);
        ea_free(s->target.platform);
        s->target.repo = ea_strdup(v);
        s->target.platform = ea_strdup(scopes[i].platform);
        s->target.owner = scopes[i].scope == SCOPE_ORG || scopes[i].scope == SCOPE_GROUP;
        s->scope = scopes[i].scope;
        return s->target.repo && s->target.platform ? 0 : ea_fail(EA_ENOMEM, "out of memory");
    }
    return ea_fail(EA_EUSAGE,
                   "access=%s: use access (the CI run's repository or project), "
                   "access=repo:OWNER/NAME, access=org:NAME, access=project:PATH or "
                   "access=group:PATH",
                   ea_redact_show(shown, sizeof(shown), arg, strlen(arg)));
}

static int parse_policy(struct access_state *s, const json_t *options)
{
    const json_t *v, *x;
    size_t i;
    int rc;

    if ((v = json_object_get(options, "max_admins"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000)
            return ea_fail(EA_ECONFIG, "max_admins must be an integer from 0 to 100000");
        s->policy.max_admins = (long)json_integer_value(v);
    }
    if ((rc = ea_json_bool_option(options, "require_2fa", &s->policy.require_2fa)) < 0) return rc;
    if ((rc = ea_json_bool_option(options, "allow_outside_admins",
                                  &s->policy.allow_outside_admins)) < 0)
        return rc;
    if ((v = json_object_get(options, "token_permissions"))) {
        const char *t = json_string_value(v);
        if (!t || (strcmp(t, "read") != 0 && strcmp(t, "any") != 0))
            return ea_fail(EA_ECONFIG, "token_permissions must be read (the default GITHUB_TOKEN "
                                       "may only read, and Actions may not approve pull "
                                       "requests) or any (not checked: the default)");
        s->policy.token_read = strcmp(t, "read") == 0;
    }
    v = json_object_get(options, "require_environment_reviewers");
    if (v && !json_is_array(v))
        return ea_fail(EA_ECONFIG, "require_environment_reviewers must be a list of environment "
                                   "names");
    if (json_array_size(v) > EA_ACCESS_ENVS_MAX)
        return ea_fail(EA_ECONFIG, "require_environment_reviewers: at most %d environments",
                       EA_ACCESS_ENVS_MAX);
    json_array_foreach(v, i, x) {
        const char *n = json_string_value(x);
        if (!n || !*n || strlen(n) > 255)
            return ea_fail(EA_ECONFIG, "require_environment_reviewers: each item must be an "
                                       "environment's name (1 to 255 characters)");
        if (!(s->envs[i] = ea_strdup(n))) return ea_fail(EA_ENOMEM, "out of memory");
        s->policy.envs[i] = s->envs[i];
    }
    if (json_array_size(v) && (s->scope == SCOPE_ORG || s->scope == SCOPE_GROUP))
        return ea_fail(EA_ECONFIG, "require_environment_reviewers: environments belong to a "
                                   "repository or project; use access=repo:… or access=project:…");
    return 0;
}

static int access_init(void **state, const char *arg, const json_t *options,
                       const struct ea_host *host)
{
    struct access_state *s;
    int rc;

    *state = NULL;
    s = ea_calloc(1, sizeof(*s));
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->policy = (struct ea_access_policy)EA_ACCESS_POLICY_DEFAULT;
    s->host = host;
    rc = ea_forge_options(&s->target, options);
    if (rc == 0) rc = parse_scope(s, arg);
    if (rc == 0) rc = parse_policy(s, options);
    if (rc == 0)
        rc = ea_forge_preflight(&s->target, "access rights", " (with administration: read)");
    if (rc < 0) {
        access_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* One run: the forge, the answers read, and what could not be read. */
struct run {
    struct ea_forge *f;
    json_t *raw;        /* key → the answer */
    json_t *unreadable; /* [{"what", "status", "needs"}] */
    char first_cause[512];
};

static int not_read(struct run *r, const char *what, long status, const char *needs)
{
    json_t *o = json_pack("{s:s, s:o, s:s}", "what", what, "status",
                          status ? json_integer(status) : json_null(), "needs", needs);

    if (!o || json_array_append_new(r->unreadable, o) < 0)
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

/* GETs base + path into raw[key] (a list across pages, or an object); a failure is noted. */
static int fetch(struct run *r, const char *key, bool list, const char *what, const char *needs,
                 const char *fmt, ...) EA_PRINTF(6, 7);
static int fetch(struct run *r, const char *key, bool list, const char *what, const char *needs,
                 const char *fmt, ...)
{
    va_list ap;
    char path[1024];
    char *url;
    json_t *body = list ? json_array() : NULL;
    long status = 0;
    bool truncated = false;
    int rc;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    url = ea_asprintf("%s%s", r->f->base_url, path);
    if (!url || (list && !body)) {
        ea_free(url);
        json_decref(body);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    if (list) {
        rc = ea_forge_get_list(r->f, url, ACCESS_PAGES_MAX, body, &status, &truncated, NULL);
    } else {
        rc = ea_forge_get(r->f, url, &body, NULL, &status, NULL);
        ea_free(url);
        if (rc == 0 && !json_is_object(body)) rc = ea_fail(EA_EINPUT, "%s: not an object", what);
    }
    if (rc == EA_ENOMEM) {
        json_decref(body);
        return rc;
    }
    if (rc < 0 || truncated) {
        char w[300];
        if (rc < 0 && !r->first_cause[0])
            snprintf(r->first_cause, sizeof(r->first_cause), "%s: %s", what, ea_error_message(rc));
        ea_error_clear();
        json_decref(body);
        if (truncated) {
            snprintf(w, sizeof(w), "%s (more than %d pages of 100)", what, ACCESS_PAGES_MAX);
            return not_read(r, w, 0, "a smaller scope");
        }
        return not_read(r, what, status, needs);
    }
    return ea_json_put(r->raw, key, body);
}

#define GH_ADMIN "administration: read (repository), or a classic token with repo"
#define GH_ORG "members: read (organisation), or a classic token with read:org"
#define GH_OWNER "an organisation owner's token with admin:org (or read:org)"
#define GL_READ "a token with read_api"
#define GL_MAINTAINER "a token with read_api of a Maintainer (or Owner)"

static int read_github(struct run *r, enum scope scope)
{
    const char *name = r->f->repo;
    char org[256];
    int rc = 0;

    snprintf(org, sizeof(org), "%.*s", (int)strcspn(name, "/"), name);
    if (scope != SCOPE_ORG) {
        const char *t;
        rc = fetch(r, "repo", false, "the repository", "metadata: read", "/repos/%s", name);
        if (rc == 0)
            rc = fetch(r, "collaborators", true, "the repository's collaborators",
                       "push access to the repository and metadata: read",
                       "/repos/%s/collaborators?affiliation=all&per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "direct", true, "the repository's direct collaborators",
                       "push access to the repository and metadata: read",
                       "/repos/%s/collaborators?affiliation=direct&per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "outside", true, "the repository's outside collaborators",
                       "push access to the repository and metadata: read",
                       "/repos/%s/collaborators?affiliation=outside&per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "teams", true, "the repository's teams", GH_ADMIN,
                       "/repos/%s/teams?per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "keys", true, "the repository's deploy keys", GH_ADMIN,
                       "/repos/%s/keys?per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "invitations", true, "the repository's pending invitations", GH_ADMIN,
                       "/repos/%s/invitations?per_page=100", name);
        if (rc == 0)
            rc = fetch(r, "actions", false, "the repository's Actions permissions", GH_ADMIN,
                       "/repos/%s/actions/permissions", name);
        if (rc == 0)
            rc = fetch(r, "workflow", false, "the default GITHUB_TOKEN permissions", GH_ADMIN,
                       "/repos/%s/actions/permissions/workflow", name);
        if (rc == 0)
            rc = fetch(r, "environments", false, "the deployment environments",
                       "actions: read (repository)", "/repos/%s/environments?per_page=100", name);
        if (rc < 0) return rc;
        t = ea_json_str(json_object_get(json_object_get(r->raw, "repo"), "owner"), "type");
        if (t && strcmp(t, "Organization") != 0) return 0; /* a personal account's repository */
    } else {
        rc = fetch(r, "org_members", true, "the organisation's members", GH_ORG,
                   "/orgs/%s/members?per_page=100", org);
        if (rc == 0)
            rc = fetch(r, "org_outside", true, "the organisation's outside collaborators", GH_ORG,
                       "/orgs/%s/outside_collaborators?per_page=100", org);
        if (rc == 0)
            rc = fetch(r, "invitations", true, "the organisation's pending invitations", GH_OWNER,
                       "/orgs/%s/invitations?per_page=100", org);
        if (rc == 0)
            rc = fetch(r, "actions", false, "the organisation's Actions permissions",
                       "administration: read (organisation)", "/orgs/%s/actions/permissions", org);
        if (rc == 0)
            rc = fetch(r, "workflow", false, "the default GITHUB_TOKEN permissions",
                       "administration: read (organisation)",
                       "/orgs/%s/actions/permissions/workflow", org);
        if (rc < 0) return rc;
    }
    rc = fetch(r, "org", false, "the organisation", GH_ORG, "/orgs/%s", org);
    if (rc == 0)
        rc = fetch(r, "org_admins", true, "the organisation's owners", GH_ORG,
                   "/orgs/%s/members?role=admin&per_page=100", org);
    if (rc == 0)
        rc = fetch(r, "org_2fa_disabled", true, "the organisation's members without 2FA", GH_OWNER,
                   "/orgs/%s/members?filter=2fa_disabled&per_page=100", org);
    if (rc == 0 && json_object_get(r->raw, "org") &&
        !json_is_boolean(
            json_object_get(json_object_get(r->raw, "org"), "two_factor_requirement_enabled")))
        rc = not_read(r,
                      "the organisation's 2FA requirement and base permission (GitHub shows "
                      "them to its owners only)",
                      200, GH_OWNER);
    return rc;
}

static int read_gitlab(struct run *r, enum scope scope)
{
    const char *p = r->f->project; /* the path, %2F-encoded, or the ID */
    const json_t *ns;
    char group[512] = "";
    int rc;

    if (scope == SCOPE_GROUP) {
        snprintf(group, sizeof(group), "%s", p);
        rc = fetch(r, "group_members_direct", true, "the group's direct members", GL_READ,
                   "/groups/%s/members?per_page=100", group);
        if (rc == 0)
            rc = fetch(r, "invitations", true, "the group's pending invitations", GL_MAINTAINER,
                       "/groups/%s/invitations?per_page=100", group);
    } else {
        rc = fetch(r, "project", false, "the project", GL_READ, "/projects/%s", p);
        if (rc == 0)
            rc = fetch(r, "members_all", true, "the project's members (direct and inherited)",
                       GL_READ, "/projects/%s/members/all?per_page=100", p);
        if (rc == 0)
            rc = fetch(r, "members_direct", true, "the project's direct members", GL_READ,
                       "/projects/%s/members?per_page=100", p);
        if (rc == 0)
            rc = fetch(r, "keys", true, "the project's deploy keys", GL_MAINTAINER,
                       "/projects/%s/deploy_keys?per_page=100", p);
        if (rc == 0)
            rc = fetch(r, "invitations", true, "the project's pending invitations", GL_MAINTAINER,
                       "/projects/%s/invitations?per_page=100", p);
        if (rc == 0)
            rc = fetch(r, "protected_environments", true, "the project's protected environments",
                       GL_MAINTAINER, "/projects/%s/protected_environments?per_page=100", p);
        if (rc < 0) return rc;
        ns = json_object_get(json_object_get(r->raw, "project"), "namespace");
        if (ea_json_str(ns, "kind") && strcmp(ea_json_str(ns, "kind"), "group") != 0)
            return 0; /* a personal namespace: no group */
        if (json_is_integer(json_object_get(ns, "id")))
            snprintf(group, sizeof(group), "%lld",
                     (long long)json_integer_value(json_object_get(ns, "id")));
        else
            return not_read(r, "the project's group (the project could not be read)", 0, GL_READ);
    }
    if (rc == 0) rc = fetch(r, "group", false, "the group", GL_READ, "/groups/%s", group);
    if (rc == 0)
        rc = fetch(r, "group_members", true, "the group's members (direct and inherited)", GL_READ,
                   "/groups/%s/members/all?per_page=100", group);
    return rc;
}

static const char *scope_word(enum scope scope, bool gitlab)
{
    switch (scope) {
    case SCOPE_ORG: return "org";
    case SCOPE_GROUP: return "group";
    case SCOPE_PROJECT: return "project";
    case SCOPE_REPO: return "repo";
    default: return gitlab ? "project" : "repo";
    }
}

/*
 * The scope's name as the forge spells it (GitHub's full_name, GitLab's
 * path_with_namespace or full_path), so that the record of "access" in CI
 * (GitLab: the numeric CI_PROJECT_ID) and of access=project:PATH have one
 * subject, and one diff trail; given is kept when the answer names none.
 */
static const char *canonical_name(const json_t *raw, bool gitlab, const char *scope,
                                  const char *given)
{
    const char *n;

    if (strcmp(scope, "org") == 0)
        n = ea_json_str(json_object_get(raw, "org"), "login");
    else if (strcmp(scope, "group") == 0)
        n = ea_json_str(json_object_get(raw, "group"), "full_path");
    else
        n = gitlab ? ea_json_str(json_object_get(raw, "project"), "path_with_namespace")
                   : ea_json_str(json_object_get(raw, "repo"), "full_name");
    return n && name_ok(n, strcmp(scope, "org") != 0) ? n : given;
}

static char *summarise(const json_t *data, const char *scope, const char *name, bool gitlab,
                       enum ea_result result)
{
    const json_t *c = json_object_get(data, "counts"), *d = json_object_get(data, "drift");
    char who[256] = "the access list could not be read", since[160] = "";
    size_t nreasons = json_array_size(json_object_get(data, "reasons"));

    if (json_is_integer(json_object_get(c, "people")))
        snprintf(who, sizeof(who), "%lld people (%lld admins, %lld outside), %lld %s",
                 (long long)json_integer_value(json_object_get(c, "people")),
                 (long long)json_integer_value(json_object_get(c, "admins")),
                 (long long)json_integer_value(json_object_get(c, "outside")),
                 (long long)json_integer_value(json_object_get(c, "teams")),
                 gitlab ? "groups" : "teams");
    if (json_is_string(json_object_get(d, "previous_id")))
        snprintf(since, sizeof(since),
                 "; since the last record %zu added, %zu removed, %zu changed",
                 json_array_size(json_object_get(d, "added")),
                 json_array_size(json_object_get(d, "removed")),
                 json_array_size(json_object_get(d, "changed")));
    return ea_asprintf("Access to %s %s on %s: %s%s: %s%s.",
                       strcmp(scope, "org") == 0       ? "organisation"
                       : strcmp(scope, "group") == 0   ? "group"
                       : strcmp(scope, "project") == 0 ? "project"
                                                       : "repository",
                       name, gitlab ? "GitLab" : "GitHub", who, since, ea_result_name(result),
                       result == EA_RESULT_PASS ? ""
                       : nreasons == 1          ? " (1 reason)"
                       : nreasons               ? " (see the reasons)"
                                                : "");
}

static int access_collect(void *state, struct ea_sink *sink)
{
    struct access_state *s = state;
    struct ea_ci_run ci;
    struct ea_ci_api api;
    struct ea_forge forge;
    struct ea_fact fact = EA_FACT_INIT;
    struct run r;
    json_t *data = NULL, *prev = NULL;
    char *subject = NULL, *summary = NULL, *raw = NULL, *why = NULL;
    char digest[EA_SHA256_HEX_LEN + 1];
    const char *scope, *name;
    bool gitlab;
    int rc;

    memset(&forge, 0, sizeof(forge));
    memset(&api, 0, sizeof(api));
    memset(&r, 0, sizeof(r));
    rc = ea_ci_detect(&ci, NULL, NULL);
    if (rc < 0) return rc;
    rc = ea_forge_connect(&forge, &api, &ci, &s->target, "access rights",
                          " (with administration: read)");
    if (rc < 0) goto out;
    gitlab = forge.gitlab;
    scope = scope_word(s->scope, gitlab);
    r.f = &forge;
    r.raw = json_object();
    r.unreadable = json_array();
    if (!r.raw || !r.unreadable) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = gitlab ? read_gitlab(&r, s->scope == SCOPE_GROUP ? SCOPE_GROUP : SCOPE_PROJECT)
                : read_github(&r, s->scope == SCOPE_ORG ? SCOPE_ORG : SCOPE_REPO);
    if (rc < 0) goto out;
    name = canonical_name(r.raw, gitlab, scope, forge.repo);
    data = json_pack("{s:s, s:{s:s, s:s}}", "platform", gitlab ? "gitlab" : "github", "scope",
                     "type", scope, "name", name);
    if (!data) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = ea_access_build(data, gitlab, scope, r.raw);
    if (rc == 0) rc = ea_json_put(data, "unreadable", json_incref(r.unreadable));
    if (rc < 0) goto out;

    subject = strcmp(scope, "org") == 0 || strcmp(scope, "group") == 0
                  ? ea_asprintf("%s:%s:%s", gitlab ? "gitlab" : "github", scope, name)
                  : ea_asprintf("%s:%s", gitlab ? "gitlab" : "github", name);
    if (!subject) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (s->host->size >= offsetof(struct ea_host, latest) + sizeof(s->host->latest) &&
        s->host->latest &&
        (rc = s->host->latest(s->host->ctx, DRIFT_CONTROL, "access", subject, &prev)) < 0) {
        /* the store is down: the access list is still evidence, the diff is unknown */
        if (rc == EA_ENOMEM) goto out;
        why = ea_asprintf("the previous record could not be read: %.400s", ea_error_message(rc));
        ea_error_clear();
        if (!why) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN, "%s: diff unknown, %s", subject, why);
    }
    rc = ea_access_diff(data, json_object_get(prev, "data"),
                        json_string_value(json_object_get(prev, "id")), why);
    if (rc == 0) rc = ea_access_judge(data, gitlab, &s->policy, &fact.result);
    if (rc < 0) goto out;
    if (json_array_size(r.unreadable))
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN,
                     "%zu part%s of the access of %s could not be read (see data.unreadable)%s%s",
                     json_array_size(r.unreadable), json_array_size(r.unreadable) == 1 ? "" : "s",
                     subject, r.first_cause[0] ? ": " : "", r.first_cause);
    raw = json_dumps(r.raw, JSON_COMPACT | JSON_SORT_KEYS);
    summary = summarise(data, scope, name, gitlab, fact.result);
    if (!raw || !summary || (rc = ea_sha256_hex(digest, subject, strlen(subject))) < 0) {
        if (rc == 0) rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "access";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = digest;
    fact.source_system = gitlab ? "gitlab" : "github";
    fact.raw = raw;
    fact.raw_len = strlen(raw);
    fact.summary = summary;
    fact.data = data;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    ea_forge_close(&forge);
    json_decref(r.raw);
    json_decref(r.unreadable);
    json_decref(data);
    json_decref(prev);
    ea_free(subject);
    ea_free(summary);
    ea_free(why);
    free(raw);
    ea_ci_api_dispose(&api);
    ea_ci_run_dispose(&ci);
    return rc;
}

static const char *const kinds[] = {"access", NULL};
static const char *const defaults[] = {"A.5.15", "A.5.18", "A.8.2", "A.5.17", "A.8.5",
                                       "A.8.31", "A.8.30", "A.8.3", NULL};

static const struct ea_option options[] = {
    EA_FORGE_OPTIONS,
    {"max_admins", EA_OPTION_INT, 0, NULL,
     "at most this many people with admin rights (owners for org/group); checked only when set"},
    {"require_2fa", EA_OPTION_BOOL, 0, "true",
     "the organisation or group must require 2FA, and no member may be without it"},
    {"allow_outside_admins", EA_OPTION_BOOL, 0, "false",
     "an outside collaborator may have admin rights"},
    {"require_environment_reviewers", EA_OPTION_LIST, 0, NULL,
     "environments that must exist and require a reviewer before a deployment"},
    {"token_permissions", EA_OPTION_STRING, 0, "any",
     "read: the default GITHUB_TOKEN may only read and Actions may not approve pull requests"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_shorthand shorthands[] = {
    {"repo", "repo", NULL, "OWNER/NAME",
     "repository (GitLab: project ID or path); default from the CI"},
    {"max-admins", "max_admins", NULL, "N", "access: at most N people with admin rights"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ea_collector ea_collector_access = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "access",
    .version = "0.1.0",
    .summary = "who can change the code and the pipeline (GitHub, GitLab): roles, 2FA, deploy "
               "keys, CI token, environments, and the diff since the last record",
    .usage = "repo:OWNER/NAME | org:NAME | project:PATH | group:PATH (optional: the CI run's "
             "repository or project by default)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = access_init,
    .collect = access_collect,
    .free = access_free,
    .shorthands = shorthands,
};
