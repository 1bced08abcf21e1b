/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The approvals collector: one pr_approval record answering "was this change
 * reviewed and approved by someone other than its author before it reached
 * the branch?" for a GitHub pull request or a GitLab merge request, judged
 * against a review policy (approvals_policy.h).
 *
 *   approvals               the change of the current pipeline: the PR or MR
 *                           the CI names (GITHUB_REF refs/pull/N/..., the
 *                           event payload, CI_MERGE_REQUEST_IID), else the
 *                           one that brought the CI's commit or the local
 *                           repository's HEAD
 *   approvals=pr:N          pull or merge request N (mr:N is the same)
 *   approvals=commit:SHA    the change request that brought SHA
 *
 * Options: repo (owner/name, or a GitLab project ID or path), platform
 * (github or gitlab), min_approvals, require_independent, allow_stale (false,
 * true or protection: the default, as the base branch protection says).
 * A failing API does not lose the record: it is made with result "error" and
 * the reason, and a gate treats it as not passing.
 */
#include "util/git2.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evidence/collector.h>

#include "util/forge.h"
#include "approvals_policy.h"
#include "util/ci.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/utf8.h"
#include "util/redact.h"

#define EVENT_MAX (8 * 1024 * 1024)

struct approvals_state {
    long number;                   /* from pr:N, else 0 */
    char *commit;                  /* owned: from commit:SHA, else NULL */
    struct ea_forge_target target; /* the repo and platform options */
    struct ea_approval_policy policy;
    const struct ea_host *host;
};

static void approvals_free(void *state)
{
    struct approvals_state *s = state;

    if (!s) return;
    ea_free(s->commit);
    ea_forge_target_dispose(&s->target);
    ea_free(s);
}

static bool is_sha(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 7 && n <= 64 && ea_is_hex(s, n);
}

static int parse_arg(struct approvals_state *s, const char *arg)
{
    if (!arg || !*arg) return 0;
    if (strncmp(arg, "pr:", 3) == 0 || strncmp(arg, "mr:", 3) == 0) {
        char *end;
        long n = strtol(arg + 3, &end, 10);
        if (arg[3] >= '0' && arg[3] <= '9' && *end == '\0' && n > 0 && n < 1000000000) {
            s->number = n;
            return 0;
        }
    } else if (strncmp(arg, "commit:", 7) == 0 && is_sha(arg + 7)) {
        s->commit = ea_strdup(arg + 7);
        return s->commit ? 0 : ea_fail(EA_ENOMEM, "out of memory");
    }
    char shown[81];
    return ea_fail(EA_EUSAGE,
                   "approvals=%s: use approvals (the current change), "
                   "approvals=pr:NUMBER or approvals=commit:SHA",
                   ea_redact_show(shown, sizeof(shown), arg, strlen(arg)));
}

static int approvals_init(void **state, const char *arg, const json_t *options,
                          const struct ea_host *host)
{
    struct approvals_state *s;
    const json_t *v;
    int rc;

    *state = NULL;
    s = ea_calloc(1, sizeof(*s));
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->policy = (struct ea_approval_policy)EA_APPROVAL_POLICY_DEFAULT;
    s->host = host;
    rc = parse_arg(s, arg);
    if (rc == 0 && (v = json_object_get(options, "min_approvals"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
            rc = ea_fail(EA_ECONFIG, "min_approvals must be an integer from 0 to 100");
        else
            s->policy.min_approvals = (long)json_integer_value(v);
    }
    if (rc == 0)
        rc = ea_json_bool_option(options, "require_independent", &s->policy.require_independent);
    if (rc == 0 && (v = json_object_get(options, "allow_stale"))) {
        const char *t = json_string_value(v);
        if (json_is_true(v) || (t && strcmp(t, "true") == 0))
            s->policy.stale_setting = EA_STALE_YES;
        else if (json_is_false(v) || (t && strcmp(t, "false") == 0))
            s->policy.stale_setting = EA_STALE_NO;
        else if (t && strcmp(t, "protection") == 0)
            s->policy.stale_setting = EA_STALE_PROTECTION;
        else
            rc = ea_fail(EA_ECONFIG, "allow_stale must be false, true or protection (the base "
                                     "branch's dismiss_stale_reviews decides; the default)");
    }
    if (rc == 0) rc = ea_forge_options(&s->target, options);
    if (rc == 0)
        rc = ea_forge_preflight(&s->target, "pull request reviews", ""); /* a token, a repository */
    if (rc < 0) {
        approvals_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* The pull request number of a GitHub event payload (pull_request, pull_request_review, ...). */
static long event_number(const struct approvals_state *s, const char *path)
{
    json_error_t err;
    json_t *ev = json_load_file(path, 0, &err);
    const json_t *pr = json_object_get(ev, "pull_request");
    long n = 0;

    if (!ev)
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN, "%s: the event payload is unreadable (%s)",
                     path, err.text);
    else if (json_is_integer(json_object_get(pr, "number")))
        n = (long)json_integer_value(json_object_get(pr, "number"));
    json_decref(ev);
    return n > 0 ? n : 0;
}

/* HEAD of the repository around the working directory. */
static char *git_head(void)
{
    git_repository *repo = NULL;
    git_oid oid;
    char hex[GIT_OID_HEXSZ + 1];
    char *out = NULL;

    if (git_libgit2_init() < 0) return NULL;
    if (git_repository_open_ext(&repo, ".", 0, NULL) == 0 &&
        git_reference_name_to_id(&oid, repo, "HEAD") == 0)
        out = ea_strdup(git_oid_tostr(hex, sizeof(hex), &oid));
    git_repository_free(repo);
    git_libgit2_shutdown();
    return out;
}

/* The record's data when the API could not be read: what is known, and why. */
static int error_data(json_t *data, const struct ea_approval_policy *pol, const char *why)
{
    char shown[901];
    json_t *reasons = json_array();

    if (!reasons ||
        json_array_append_new(
            reasons, json_sprintf("the forge's API could not be "
                                  "read: %s",
                                  ea_redact_show(shown, sizeof(shown), why, strlen(why)))) < 0 ||
        ea_json_put(data, "change_request", json_null()) < 0 ||
        ea_json_put(data, "reviews", json_array()) < 0 ||
        ea_json_put(data, "approvals", json_array()) < 0 ||
        ea_json_put(data, "effective_approvals", json_integer(0)) < 0 ||
        ea_json_put(data, "flags", json_null()) < 0 ||
        ea_json_put(data, "policy", ea_approvals_policy_json(pol)) < 0 ||
        ea_json_put(data, "protection", json_null()) < 0 ||
        ea_json_put(data, "approval_rules", json_null()) < 0 ||
        ea_json_put(data, "error", ea_redact_utf8_json(why, strlen(why), 1024)) < 0) {
        json_decref(reasons);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    return ea_json_put(data, "reasons", reasons);
}

struct target {
    long number;
    char *commit; /* owned */
    const char *found_by;
};

static int resolve_target(struct approvals_state *s, const struct ea_ci_run *run, bool gitlab,
                          struct target *t)
{
    bool ci_matches = strcmp(run->platform, gitlab ? "gitlab" : "github") == 0;
    const char *cr = run->fields[EA_CI_CHANGE_REQUEST];

    memset(t, 0, sizeof(*t));
    if (s->number) { /* the subject is then the request's head commit */
        t->number = s->number;
        t->found_by = "argument";
        return 0;
    } else if (s->commit) {
        t->commit = ea_strdup(s->commit);
        t->found_by = "commit";
        if (!t->commit) return ea_fail(EA_ENOMEM, "out of memory");
        return 0;
    } else if (ci_matches && cr) {
        t->number = strtol(cr, NULL, 10);
        t->found_by = "ci";
    } else if (ci_matches && run->event_path && (t->number = event_number(s, run->event_path))) {
        t->found_by = "event";
    }
    if (ci_matches && is_sha(run->fields[EA_CI_SHA]))
        t->commit = ea_strdup(run->fields[EA_CI_SHA]);
    else if (!t->number && !(t->commit = git_head()))
        return ea_fail(EA_EINPUT, "approvals: no commit to look up: not in a CI run nor in a git "
                                  "repository; give approvals=pr:NUMBER or approvals=commit:SHA");
    if (!t->found_by) t->found_by = "commit";
    return 0;
}

static int approvals_collect(void *state, struct ea_sink *sink)
{
    struct approvals_state *s = state;
    struct ea_ci_run run;
    struct ea_ci_api api;
    struct ea_forge forge;
    struct target t = {0};
    struct ea_fact fact = EA_FACT_INIT;
    json_t *data = json_object(), *reviews = NULL;
    const json_t *cr;
    const char *repo, *subject_sha;
    char digest[EA_SHA256_HEX_LEN + 1];
    char *subject = NULL, *summary = NULL;
    bool gitlab = false;
    int rc;

    memset(&forge, 0, sizeof(forge));
    memset(&api, 0, sizeof(api));
    rc = ea_ci_detect(&run, NULL, NULL);
    if (rc < 0) {
        json_decref(data);
        return rc;
    }
    if (!data) rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0) rc = ea_forge_connect(&forge, &api, &run, &s->target, "pull request reviews", "");
    gitlab = forge.gitlab;
    repo = forge.repo;
    if (rc == 0) rc = resolve_target(s, &run, gitlab, &t);
    if (rc == 0 &&
        (ea_json_put(data, "platform", json_string(gitlab ? "gitlab" : "github")) < 0 ||
         ea_json_put(data, "repository", ea_redact_utf8_json(repo, strlen(repo), 256)) < 0 ||
         ea_json_put(data, "found_by", json_string(t.found_by)) < 0))
        rc = EA_ENOMEM;
    if (rc < 0) goto out;

    /* From here on, an API failure is recorded, not returned. */
    if (!t.number && t.commit) rc = ea_forge_find(&forge, t.commit, &t.number);
    if (rc == 0 && t.number) rc = ea_forge_read(&forge, t.number, data, &reviews);
    if (rc == 0 && !t.number &&
        (ea_json_put(data, "change_request", json_null()) < 0 ||
         ea_json_put(data, "protection", json_null()) < 0 ||
         ea_json_put(data, "approval_rules", json_null()) < 0))
        rc = EA_ENOMEM;
    if (rc == 0) {
        cr = json_object_get(data, "change_request");
        ea_approvals_settle_stale(&s->policy, json_object_get(data, "protection"), gitlab);
        rc = ea_approvals_judge(data, json_is_object(cr) ? cr : NULL, reviews, &s->policy,
                                &fact.result);
        if (rc == 0) rc = ea_json_put(data, "error", json_null());
    } else if (rc != EA_ENOMEM) {
        char why[1024];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN,
                     "the %s API did not describe the change: %s; the record's result is error",
                     gitlab ? "GitLab" : "GitHub", why);
        json_object_clear(data);
        rc = ea_json_put(data, "platform", json_string(gitlab ? "gitlab" : "github"));
        if (rc == 0)
            rc = ea_json_put(data, "repository", ea_redact_utf8_json(repo, strlen(repo), 256));
        if (rc == 0) rc = ea_json_put(data, "found_by", json_string(t.found_by));
        ea_approvals_settle_stale(&s->policy, NULL, gitlab);
        if (rc == 0) rc = error_data(data, &s->policy, why);
        fact.result = EA_RESULT_ERROR;
    }
    if (rc < 0) goto out;
    cr = json_object_get(data, "change_request");
    subject_sha = t.commit ? t.commit : ea_json_str(cr, "head_sha");
    if (ea_json_put(data, "commit", subject_sha ? json_string(subject_sha) : json_null()) < 0) {
        rc = EA_ENOMEM;
        goto out;
    }
    subject = t.number ? ea_asprintf("%s:%s%c%ld", gitlab ? "gitlab" : "github", repo,
                                     gitlab ? '!' : '#', t.number)
                       : ea_asprintf("%s:%s@%s", gitlab ? "gitlab" : "github", repo,
                                     subject_sha ? subject_sha : "-");
    if (!subject) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (subject_sha && (strlen(subject_sha) == 40 || strlen(subject_sha) == 64) &&
        ea_is_hex(subject_sha, strlen(subject_sha))) {
        snprintf(digest, sizeof(digest), "%s", subject_sha);
        fact.subject_digest_alg = "gitCommit";
        for (char *p = digest; *p; p++) *p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
    } else {
        fact.subject_digest_alg = "sha256";
        if ((rc = ea_sha256_hex(digest, subject, strlen(subject))) < 0) goto out;
    }
    if (fact.result == EA_RESULT_ERROR)
        summary =
            ea_asprintf("The %s of %s could not be read from %s.",
                        t.number ? (gitlab ? "merge request" : "pull request") : "change request",
                        subject, gitlab ? "GitLab" : "GitHub");
    else if (!json_is_object(cr))
        summary = ea_asprintf("No %s found for commit %.12s in %s: a direct push.",
                              gitlab ? "merge request" : "pull request",
                              subject_sha ? subject_sha : "-", repo);
    else
        summary = ea_asprintf(
            "%s %c%ld in %s: %lld effective approval%s (policy: %ld): %s.",
            gitlab ? "Merge request" : "Pull request", gitlab ? '!' : '#', t.number, repo,
            (long long)json_integer_value(json_object_get(data, "effective_approvals")),
            json_integer_value(json_object_get(data, "effective_approvals")) == 1 ? "" : "s",
            s->policy.min_approvals, ea_result_name(fact.result));
    if (!summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "pr_approval";
    fact.subject_name = subject;
    fact.subject_digest = digest;
    fact.source_system = gitlab ? "gitlab" : "github";
    fact.source_uri = ea_json_str(cr, "url");
    fact.summary = summary;
    fact.data = data;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    ea_forge_close(&forge);
    ea_free(t.commit);
    ea_free(subject);
    ea_free(summary);
    json_decref(reviews);
    json_decref(data);
    ea_ci_api_dispose(&api);
    ea_ci_run_dispose(&run);
    return rc;
}

static const char *const kinds[] = {"pr_approval", NULL};
static const char *const defaults[] = {"A.8.32", "A.5.3", "A.8.4", NULL};

static const struct ea_option options[] = {
    EA_FORGE_OPTIONS,
    {"min_approvals", EA_OPTION_INT, 0, "1", "independent approvals needed (0 to 100)"},
    {"require_independent", EA_OPTION_BOOL, 0, "true", "the author's own approval does not count"},
    {"allow_stale", EA_OPTION_STRING, 0, "protection",
     "count approvals given on an older commit: false, true or protection (as the base branch's "
     "dismiss_stale_reviews says)"},
    {NULL, 0, 0, NULL, NULL},
};

/* collect's flags for these options (collect --help lists them; --repo is branch-protection's too)
 */
static const struct ea_shorthand shorthands[] = {
    {"repo", "repo", NULL, "OWNER/NAME",
     "repository (GitLab: project ID or path); default from the CI"},
    {"min-approvals", "min_approvals", NULL, "N", "independent approvals needed (default 1)"},
    {"allow-stale", "allow_stale", "true", NULL, "count approvals given on an older commit"},
    {"allow-self-approval", "require_independent", "false", NULL,
     "count the author's own approval (require_independent=false)"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ea_collector ea_collector_approvals = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "approvals",
    .version = "0.1.0",
    .summary = "review and approval of the change (GitHub pull request, GitLab merge request)",
    .usage = "pr:NUMBER | mr:NUMBER | commit:SHA (optional: the current pipeline's change by "
             "default)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = approvals_init,
    .collect = approvals_collect,
    .free = approvals_free,
    .shorthands = shorthands,
};
