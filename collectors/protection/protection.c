/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The branch-protection collector: one config_state record (data.setting
 * "branch_protection") of what really protects a branch on the forge, judged
 * against a policy.
 *
 *   GitHub  classic protection (GET /repos/{o}/{r}/branches/{b}/protection)
 *           and rulesets (GET /repos/{o}/{r}/rules/branches/{b}, and each
 *           ruleset's bypass actors), merged into one effective answer: the
 *           stricter of the two for every setting. A branch protected only by
 *           rulesets answers 404 on the classic endpoint; that is not
 *           "unprotected" unless no ruleset applies either.
 *   GitLab  GET /projects/:id/protected_branches (exact name or wildcard) and
 *           GET /projects/:id/approvals.
 *
 * A 403 on any of these means the token may not read settings: the answer is
 * unknown, recorded with result error, never a pass.
 *
 *   branch-protection          the default branch
 *   branch-protection=NAME     that branch
 *
 * Options (and collect flags): repo (--repo), platform, require_approvals
 * (--require-approvals, default 1), require_code_owner, require_signed,
 * require_status_checks, require_admin_enforcement (default false), and
 * allow_force_push, allow_deletion (default false: force pushes and
 * deletions must be blocked).
 */
#define _GNU_SOURCE 1
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <evidence/collector.h>

#include "util/forge.h"
#include "protection.h"
#include "util/ci.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/redact.h"

#define RULESETS_MAX 10

struct policy {
    long approvals;
    bool code_owner, signed_commits, status_checks, admin_enforcement, force_push, deletion;
};

struct prot_state {
    char *branch;                  /* owned, or NULL */
    struct ea_forge_target target; /* the repo and platform options */
    struct policy pol;
    const struct ea_host *host;
};

static void prot_free(void *state)
{
    struct prot_state *s = state;

    if (!s) return;
    ea_free(s->branch);
    ea_forge_target_dispose(&s->target);
    ea_free(s);
}

static int prot_init(void **state, const char *arg, const json_t *options,
                     const struct ea_host *host)
{
    struct prot_state *s = ea_calloc(1, sizeof(*s));
    const json_t *v;
    int rc = 0;

    *state = NULL;
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->host = host;
    s->pol.approvals = 1;
    if (arg && *arg) {
        char shown[81];
        if (strlen(arg) > 255 || strstr(arg, "..") || arg[0] == '-' || strpbrk(arg, " ~^:?*[\\"))
            rc = ea_fail(EA_EUSAGE, "branch-protection=%s: not a branch name",
                         ea_redact_show(shown, sizeof(shown), arg, strlen(arg)));
        else if (!(s->branch = ea_strdup(arg)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && (v = json_object_get(options, "require_approvals"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
            rc = ea_fail(EA_ECONFIG, "require_approvals must be an integer from 0 to 100");
        else
            s->pol.approvals = (long)json_integer_value(v);
    }
    if (rc == 0) rc = ea_json_bool_option(options, "require_code_owner", &s->pol.code_owner);
    if (rc == 0) rc = ea_json_bool_option(options, "require_signed", &s->pol.signed_commits);
    if (rc == 0) rc = ea_json_bool_option(options, "require_status_checks", &s->pol.status_checks);
    if (rc == 0)
        rc = ea_json_bool_option(options, "require_admin_enforcement", &s->pol.admin_enforcement);
    if (rc == 0) rc = ea_json_bool_option(options, "allow_force_push", &s->pol.force_push);
    if (rc == 0) rc = ea_json_bool_option(options, "allow_deletion", &s->pol.deletion);
    if (rc == 0) rc = ea_forge_options(&s->target, options);
    if (rc == 0) /* a token and a repository, before any collector runs */
        rc = ea_forge_preflight(&s->target, "branch protection", " (with administration: read)");
    if (rc < 0) {
        prot_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* ---- GitHub: classic protection and rulesets, merged ---- */

static const char *source_status(int rc, long status)
{
    if (rc == 0) return "ok";
    if (status == 404) return "not_found";
    if (status == 403 || status == 401) return "forbidden";
    return "error";
}

static void add_check(json_t *checks, const char *c)
{
    const json_t *x;
    size_t i;

    if (!c) return;
    json_array_foreach(checks, i, x) {
        if (strcmp(json_string_value(x), c) == 0) return;
    }
    json_array_append_new(checks, json_string(c));
}

json_t *ea_protection_github_merge(const json_t *classic, const json_t *rules)
{
    const json_t *pr = json_object_get(classic, "required_pull_request_reviews"), *r, *c;
    json_t *checks = json_array();
    long approvals =
        (long)json_integer_value(json_object_get(pr, "required_approving_review_count"));
    bool stale = json_is_true(json_object_get(pr, "dismiss_stale_reviews"));
    bool owners = json_is_true(json_object_get(pr, "require_code_owner_reviews"));
    bool signed_commits =
        json_is_true(json_object_get(json_object_get(classic, "required_signatures"), "enabled"));
    bool force =
        !classic ||
        json_is_true(json_object_get(json_object_get(classic, "allow_force_pushes"), "enabled"));
    bool del = !classic || json_is_true(json_object_get(json_object_get(classic, "allow_deletions"),
                                                        "enabled"));
    const json_t *admins = json_object_get(json_object_get(classic, "enforce_admins"), "enabled");
    size_t i, k;

    json_array_foreach(
        json_object_get(json_object_get(classic, "required_status_checks"), "contexts"), i, c)
        add_check(checks, json_string_value(c));
    json_array_foreach(
        json_object_get(json_object_get(classic, "required_status_checks"), "checks"), i, c)
        add_check(checks, json_string_value(json_object_get(c, "context")));
    json_array_foreach(rules, i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));
        const json_t *p = json_object_get(r, "parameters");
        if (!type) continue;
        if (strcmp(type, "pull_request") == 0) {
            long n =
                (long)json_integer_value(json_object_get(p, "required_approving_review_count"));
            if (n > approvals) approvals = n;
            stale |= json_is_true(json_object_get(p, "dismiss_stale_reviews_on_push"));
            owners |= json_is_true(json_object_get(p, "require_code_owner_review"));
        } else if (strcmp(type, "required_status_checks") == 0) {
            json_array_foreach(json_object_get(p, "required_status_checks"), k, c)
                add_check(checks, json_string_value(json_object_get(c, "context")));
        } else if (strcmp(type, "required_signatures") == 0) {
            signed_commits = true;
        } else if (strcmp(type, "non_fast_forward") == 0) {
            force = false;
        } else if (strcmp(type, "deletion") == 0) {
            del = false;
        }
    }
    return json_pack("{s:b, s:i, s:b, s:b, s:O?, s:o, s:b, s:b, s:b}", "protected",
                     classic || json_array_size(rules) > 0, "required_approvals", (int)approvals,
                     "dismiss_stale_reviews", stale, "code_owner_review", owners, "enforce_admins",
                     classic ? admins : NULL, "required_status_checks", checks, "signed_commits",
                     signed_commits, "force_pushes_allowed", force, "deletions_allowed", del);
}

/* Keeps the first failure's message (not a 404: that is an answer) for the warning line. */
static void keep_cause(char *why, size_t cap, int rc, long status)
{
    if (rc < 0 && status != 404 && !why[0] && ea_error_is_set())
        snprintf(why, cap, "%s", ea_error_message(rc));
    ea_error_clear();
}

static int github(struct ea_forge *f, const char *branch, json_t *data, char *why, size_t cap)
{
    char *url, enc[768];
    json_t *classic = NULL, *rules = NULL, *eff, *bypass = json_array(), *ids = json_array();
    long st_c = 0, st_r = 0;
    int rc_c, rc_r;
    size_t i, o = 0;
    const json_t *r;

    for (const char *c = branch; *c && o + 4 < sizeof(enc); c++) /* a branch may hold '/' */
        o += (size_t)snprintf(enc + o, sizeof(enc) - o, strchr("/#%? ", *c) ? "%%%02X" : "%c",
                              (unsigned char)*c);
    enc[o] = '\0';
    url = ea_asprintf("%s/repos/%s/branches/%s/protection", f->base_url, f->repo, enc);
    rc_c = url ? ea_forge_get(f, url, &classic, NULL, &st_c, NULL)
               : ea_fail(EA_ENOMEM, "out of memory");
    ea_free(url);
    if (rc_c == EA_ENOMEM) return rc_c;
    keep_cause(why, cap, rc_c, st_c);
    url = ea_asprintf("%s/repos/%s/rules/branches/%s", f->base_url, f->repo, enc);
    rc_r =
        url ? ea_forge_get(f, url, &rules, NULL, &st_r, NULL) : ea_fail(EA_ENOMEM, "out of memory");
    ea_free(url);
    if (rc_r == EA_ENOMEM) return rc_r;
    keep_cause(why, cap, rc_r, st_r);
    if (rc_r == 0 && !json_is_array(rules)) {
        json_decref(rules);
        rules = NULL;
        rc_r = EA_EINPUT;
    }
    json_array_foreach(rules, i, r) { /* who may bypass each ruleset */
        json_t *rs = NULL, *actor;
        long st = 0;
        json_int_t id = json_integer_value(json_object_get(r, "ruleset_id"));
        size_t k;
        bool seen = false;
        json_array_foreach(ids, k, actor) seen |= json_integer_value(actor) == id;
        if (seen || !id || json_array_size(ids) >= RULESETS_MAX) continue;
        json_array_append_new(ids, json_integer(id));
        url = ea_asprintf("%s/repos/%s/rulesets/%lld", f->base_url, f->repo, (long long)id);
        if (url && ea_forge_get(f, url, &rs, NULL, &st, NULL) == 0) {
            json_array_foreach(json_object_get(rs, "bypass_actors"), k, actor)
                json_array_append_new(bypass,
                                      json_pack("{s:o, s:o, s:o}", "actor_type",
                                                ea_json_text(actor, "actor_type"), "actor_id",
                                                ea_json_text(actor, "actor_id"), "mode",
                                                ea_json_text(actor, "bypass_mode")));
        } else {
            json_array_append_new(bypass, json_pack("{s:s, s:n, s:s}", "actor_type",
                                                    "unknown (the ruleset could not be read)",
                                                    "actor_id", "mode", "unknown"));
        }
        ea_error_clear();
        ea_free(url);
        json_decref(rs);
    }
    eff = ea_protection_github_merge(rc_c == 0 ? classic : NULL, rules);
    if (eff && json_is_false(json_object_get(eff, "enforce_admins")))
        json_array_append_new(bypass, json_pack("{s:s, s:n, s:s}", "actor_type",
                                                "repository admins (enforce_admins is off)",
                                                "actor_id", "mode", "always"));
    if (!eff || json_object_set_new(eff, "bypass", bypass) < 0 ||
        json_object_set_new(data, "effective", eff) < 0 ||
        json_object_set_new(data, "sources",
                            json_pack("{s:s, s:s, s:o}", "classic", source_status(rc_c, st_c),
                                      "rulesets",
                                      rc_r == 0 ? (json_array_size(rules) ? "ok" : "none")
                                                : source_status(rc_r, st_r),
                                      "ruleset_ids", ids)) < 0) {
        json_decref(classic);
        json_decref(rules);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    json_decref(classic);
    json_decref(rules);
    /* unknown unless both sources answered (a 404 is an answer: nothing there) */
    if ((rc_c < 0 && st_c != 404) || (rc_r < 0 && st_r != 404))
        return json_object_set_new(
            data, "unknown",
            json_string(st_c == 403 || st_r == 403 || st_c == 401 || st_r == 401
                            ? "the token may not read branch protection or "
                              "rulesets (GitHub needs administration: read)"
                            : "branch protection could not be read"));
    return json_object_set_new(data, "unknown", json_null());
}

/* ---- GitLab ---- */

static int gitlab(struct ea_forge *f, const char *branch, json_t *data, char *why, size_t cap)
{
    char *url =
        ea_asprintf("%s/projects/%s/protected_branches?per_page=100", f->base_url, f->project);
    json_t *list = NULL, *approvals = NULL, *pb = NULL, *bypass = json_array();
    const json_t *x, *lvl;
    long st = 0, st_a = 0;
    int rc, rc_list, rc_a;
    size_t i, k;

    rc = url ? ea_forge_get(f, url, &list, NULL, &st, NULL) : ea_fail(EA_ENOMEM, "out of memory");
    ea_free(url);
    keep_cause(why, cap, rc, st);
    rc_list = rc;
    json_array_foreach(list, i, x) { /* the exact name first, else a wildcard that matches */
        const char *name = json_string_value(json_object_get(x, "name"));
        if (name && strcmp(name, branch) == 0) pb = (json_t *)x;
    }
    json_array_foreach(list, i, x) {
        const char *name = json_string_value(json_object_get(x, "name"));
        if (!pb && name && fnmatch(name, branch, 0) == 0) pb = (json_t *)x;
    }
    url = ea_asprintf("%s/projects/%s/approvals", f->base_url, f->project);
    rc_a = url ? ea_forge_get(f, url, &approvals, NULL, &st_a, NULL) : EA_ENOMEM;
    if (rc_a < 0) keep_cause(why, cap, rc_a, st_a);
    ea_free(url);
    json_array_foreach(json_object_get(pb, "push_access_levels"), k, lvl)
        json_array_append_new(bypass, json_pack("{s:s, s:o, s:s}", "actor_type", "push", "actor_id",
                                                ea_json_text(lvl, "access_level_description"),
                                                "mode", "always"));
    rc = json_object_set_new(
        data, "effective",
        json_pack(
            "{s:b, s:i, s:b, s:b, s:n, s:[], s:n, s:b, s:b, s:o}", "protected", pb != NULL,
            "required_approvals",
            (int)json_integer_value(json_object_get(approvals, "approvals_before_merge")),
            "dismiss_stale_reviews",
            json_is_true(json_object_get(approvals, "reset_approvals_on_push")),
            "code_owner_review", json_is_true(json_object_get(pb, "code_owner_approval_required")),
            "enforce_admins", "required_status_checks", "signed_commits", "force_pushes_allowed",
            !pb || json_is_true(json_object_get(pb, "allow_force_push")), "deletions_allowed",
            pb == NULL, "bypass", bypass));
    if (rc == 0)
        rc =
            json_object_set_new(data, "sources",
                                json_pack("{s:s, s:s, s:[]}", "classic", source_status(rc_list, st),
                                          "rulesets", "none", "ruleset_ids"));
    if (rc == 0)
        rc = json_object_set_new(
            data, "unknown",
            !list
                ? json_string(st == 403 || st == 401 ? "the token may not read protected branches "
                                                       "(GitLab needs read_api and Maintainer)"
                                                     : "protected branches could not be read")
            : rc_a < 0 && (st_a == 403 || st_a == 401)
                ? json_string("the token may not read the approval settings (GitLab needs "
                              "read_api and Maintainer)")
                : json_null());
    json_decref(list);
    json_decref(approvals);
    return rc < 0 ? ea_fail(EA_ENOMEM, "out of memory") : 0;
}

/* ---- policy ---- */

static enum ea_result judge(json_t *data, const struct policy *p)
{
    const json_t *e = json_object_get(data, "effective");
    json_t *reasons = json_array();
    long approvals = (long)json_integer_value(json_object_get(e, "required_approvals"));

#define REASON(...) json_array_append_new(reasons, json_sprintf(__VA_ARGS__))
    if (!json_is_null(json_object_get(data, "unknown"))) {
        REASON("unknown: %s", json_string_value(json_object_get(data, "unknown")));
    } else {
        if (!json_is_true(json_object_get(e, "protected"))) REASON("the branch is not protected");
        if (approvals < p->approvals)
            REASON("%ld approving review%s required, the policy requires %ld", approvals,
                   approvals == 1 ? "" : "s", p->approvals);
        if (!p->force_push && json_is_true(json_object_get(e, "force_pushes_allowed")))
            REASON("force pushes are allowed");
        if (!p->deletion && json_is_true(json_object_get(e, "deletions_allowed")))
            REASON("the branch may be deleted");
        if (p->code_owner && !json_is_true(json_object_get(e, "code_owner_review")))
            REASON("code-owner review is not required");
        if (p->signed_commits && !json_is_true(json_object_get(e, "signed_commits")))
            REASON("signed commits are not required");
        if (p->status_checks && !json_array_size(json_object_get(e, "required_status_checks")))
            REASON("no status check is required");
        if (p->admin_enforcement && !json_is_true(json_object_get(e, "enforce_admins")))
            REASON("administrators are not held to the rules");
    }
#undef REASON
    json_object_set_new(data, "policy",
                        json_pack("{s:i, s:b, s:b, s:b, s:b, s:b, s:b}", "require_approvals",
                                  (int)p->approvals, "require_code_owner", p->code_owner,
                                  "require_signed", p->signed_commits, "require_status_checks",
                                  p->status_checks, "require_admin_enforcement",
                                  p->admin_enforcement, "allow_force_push", p->force_push,
                                  "allow_deletion", p->deletion));
    json_object_set_new(data, "reasons", reasons);
    if (!json_is_null(json_object_get(data, "unknown"))) return EA_RESULT_ERROR;
    return json_array_size(reasons) ? EA_RESULT_FAIL : EA_RESULT_PASS;
}

static int prot_collect(void *state, struct ea_sink *sink)
{
    struct prot_state *s = state;
    struct ea_ci_run run;
    struct ea_ci_api api;
    struct ea_forge forge;
    struct ea_fact fact = EA_FACT_INIT;
    json_t *data = json_object(), *repo_info = NULL;
    char *branch = NULL, *subject = NULL, *summary = NULL;
    char digest[EA_SHA256_HEX_LEN + 1], why[512] = "";
    const char *repo;
    bool gitlab_forge = false;
    int rc;

    memset(&forge, 0, sizeof(forge));
    memset(&api, 0, sizeof(api));
    rc = ea_ci_detect(&run, NULL, NULL);
    if (rc < 0) {
        json_decref(data);
        return rc;
    }
    rc = ea_forge_connect(&forge, &api, &run, &s->target, "branch protection",
                          " (with administration: read)");
    gitlab_forge = forge.gitlab;
    repo = forge.repo;
    if (rc < 0) goto out;
    if (s->branch) {
        branch = ea_strdup(s->branch);
    } else { /* the default branch */
        char *url = gitlab_forge ? ea_asprintf("%s/projects/%s", api.base_url, forge.project)
                                 : ea_asprintf("%s/repos/%s", api.base_url, repo);
        rc = url ? ea_forge_get(&forge, url, &repo_info, NULL, NULL, "the repository")
                 : ea_fail(EA_ENOMEM, "out of memory");
        ea_free(url);
        if (rc == 0 && json_string_value(json_object_get(repo_info, "default_branch")))
            branch = ea_strdup(json_string_value(json_object_get(repo_info, "default_branch")));
        else if (rc == 0)
            rc = ea_fail(EA_EINPUT, "the repository names no default branch; give "
                                    "branch-protection=NAME");
        if (rc < 0) goto out;
    }
    if (!branch) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = ea_json_put(data, "setting", json_string("branch_protection"));
    if (rc == 0)
        rc = ea_json_put(data, "platform", json_string(gitlab_forge ? "gitlab" : "github"));
    if (rc == 0) rc = ea_json_put(data, "repository", json_string(repo));
    if (rc == 0) rc = ea_json_put(data, "branch", json_string(branch));
    if (rc == 0)
        rc = gitlab_forge ? gitlab(&forge, branch, data, why, sizeof(why))
                          : github(&forge, branch, data, why, sizeof(why));
    if (rc < 0) goto out;
    fact.result = judge(data, &s->pol);
    if (fact.result == EA_RESULT_ERROR) /* one line naming the API, the cause and the fix */
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN,
                     "the %s API did not describe the protection of %s: %s%s%s; the record's "
                     "result is error",
                     gitlab_forge ? "GitLab" : "GitHub", branch,
                     json_string_value(json_object_get(data, "unknown")), why[0] ? ": " : "", why);
    subject = ea_asprintf("%s:%s@%s", gitlab_forge ? "gitlab" : "github", repo, branch);
    summary = ea_asprintf("Branch %s of %s: %s%s.", branch, repo,
                          fact.result == EA_RESULT_PASS   ? "protected as the policy requires"
                          : fact.result == EA_RESULT_FAIL ? "protection falls short of the policy"
                                                          : "protection could not be read",
                          "");
    if (!subject || !summary || (rc = ea_sha256_hex(digest, subject, strlen(subject))) < 0) {
        if (rc == 0) rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "config_state";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = digest;
    fact.source_system = gitlab_forge ? "gitlab" : "github";
    fact.summary = summary;
    fact.data = data;
    rc = ea_emit(sink, &fact);
    if (rc == 0) rc = 1;
out:
    ea_forge_close(&forge);
    json_decref(repo_info);
    json_decref(data);
    ea_free(branch);
    ea_free(subject);
    ea_free(summary);
    ea_ci_api_dispose(&api);
    ea_ci_run_dispose(&run);
    return rc;
}

static const char *const kinds[] = {"config_state", NULL};
static const char *const defaults[] = {"A.8.32", "A.8.4", "A.5.15", NULL};

static const struct ea_option options[] = {
    EA_FORGE_OPTIONS,
    {"require_approvals", EA_OPTION_INT, 0, "1",
     "approving reviews the protection must require (0 to 100)"},
    {"require_code_owner", EA_OPTION_BOOL, 0, "false", "code owners' review must be required"},
    {"require_signed", EA_OPTION_BOOL, 0, "false", "signed commits must be required"},
    {"require_status_checks", EA_OPTION_BOOL, 0, "false", "status checks must be required"},
    {"require_admin_enforcement", EA_OPTION_BOOL, 0, "false",
     "the rules must apply to administrators"},
    {"allow_force_push", EA_OPTION_BOOL, 0, "false", "force pushes may be allowed"},
    {"allow_deletion", EA_OPTION_BOOL, 0, "false", "deleting the branch may be allowed"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_shorthand shorthands[] = {
    {"require-approvals", "require_approvals", NULL, "N", "approving reviews required (default 1)"},
    {"repo", "repo", NULL, "OWNER/NAME",
     "repository (GitLab: project ID or path); default from the CI"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ea_collector ea_collector_branch_protection = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "branch-protection",
    .version = "0.1.0",
    .summary = "what protects a branch on GitHub (classic + rulesets) or GitLab, against a policy",
    .usage = "BRANCH (optional: the repository's default branch)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = prot_init,
    .collect = prot_collect,
    .free = prot_free,
    .shorthands = shorthands,
};
