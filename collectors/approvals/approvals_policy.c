/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Review policy; see approvals_policy.h. Logins are compared without regard
 * to case, as GitHub and GitLab treat them.
 */
#include "approvals_policy.h"

#include <string.h>
#include <strings.h>

#include "util/error.h"

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool same_login(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* Each reviewer's latest deciding review, in order of first appearance. New reference. */
static json_t *latest_states(const json_t *reviews)
{
    json_t *latest = json_array();
    const json_t *r;
    size_t i;

    json_array_foreach(reviews, i, r) {
        const char *who = str(r, "reviewer"), *state = str(r, "state");
        bool deciding;
        size_t k;
        json_t *seen;

        if (!latest) return NULL;
        if (!who || !state || strcmp(state, "PENDING") == 0) continue;
        deciding = strcmp(state, "COMMENTED") != 0;
        json_array_foreach(latest, k, seen) {
            if (same_login(str(seen, "reviewer"), who)) break;
        }
        if (k < json_array_size(latest)) {
            if (deciding && json_array_set(latest, k, (json_t *)r) < 0) goto oom;
        } else if (json_array_append(latest, (json_t *)r) < 0) {
            goto oom;
        }
    }
    return latest;
oom:
    json_decref(latest);
    return NULL;
}

const char *ea_approvals_stale_setting_name(enum ea_stale_setting setting)
{
    return setting == EA_STALE_YES ? "true" : setting == EA_STALE_NO ? "false" : "protection";
}

void ea_approvals_settle_stale(struct ea_approval_policy *pol, const json_t *protection,
                               bool gitlab)
{
    const json_t *dismiss = json_object_get(protection, "dismiss_stale_reviews");
    const char *status = str(protection, "status");

    if (pol->stale_setting == EA_STALE_YES) {
        pol->allow_stale = true;
        pol->stale_because = "allow_stale: true: approvals on an older commit count";
    } else if (pol->stale_setting == EA_STALE_NO) {
        pol->allow_stale = false;
        pol->stale_because = "allow_stale: false: approvals on an older commit do not count";
    } else if (gitlab) {
        /* GitLab reports the approvals in force, after its own reset-on-push setting */
        pol->allow_stale = false;
        pol->stale_because = "allow_stale: protection: GitLab reports only the approvals in "
                             "force (its merge request setting resets them on push or not)";
    } else if (status && strcmp(status, "ok") == 0 && json_is_boolean(dismiss)) {
        pol->allow_stale = json_is_false(dismiss);
        pol->stale_because = pol->allow_stale
                                 ? "allow_stale: protection: the base branch's protection has "
                                   "dismiss_stale_reviews false, so approvals on an older commit "
                                   "count (as GitHub counts them)"
                                 : "allow_stale: protection: the base branch's protection has "
                                   "dismiss_stale_reviews true, so approvals on an older commit do "
                                   "not count";
    } else {
        pol->allow_stale = false;
        pol->stale_because = status && strcmp(status, "ok") == 0
                                 ? "allow_stale: protection: the base branch's protection does "
                                   "not require reviews, so it says nothing about stale ones: "
                                   "approvals on an older commit do not count (the safe side)"
                                 : "allow_stale: protection: the base branch's protection could "
                                   "not be read (see protection.status): approvals on an older "
                                   "commit do not count (the safe side)";
    }
}

json_t *ea_approvals_policy_json(const struct ea_approval_policy *pol)
{
    return json_pack("{s:I, s:b, s:b, s:s, s:s?}", "min_approvals", (json_int_t)pol->min_approvals,
                     "require_independent", pol->require_independent, "allow_stale",
                     pol->allow_stale, "allow_stale_setting",
                     ea_approvals_stale_setting_name(pol->stale_setting), "allow_stale_rule",
                     pol->stale_because);
}

static int reason(json_t *reasons, const char *fmt, ...) EA_PRINTF(2, 3);
static int reason(json_t *reasons, const char *fmt, ...)
{
    va_list ap;
    char text[512];

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return json_array_append_new(reasons, json_string(text));
}

int ea_approvals_judge(json_t *data, const json_t *cr, const json_t *reviews,
                       const struct ea_approval_policy *pol, enum ea_result *result)
{
    const char *author = str(cr, "author"), *head = str(cr, "head_sha");
    const char *merged_by = str(cr, "merged_by");
    bool merged = json_is_true(json_object_get(cr, "merged"));
    json_t *latest = latest_states(reviews), *approvals = json_array(), *reasons = json_array();
    long effective = 0, stale = 0, bots = 0, self = 0;
    const json_t *r;
    size_t i;
    int rc = 0;

    *result = EA_RESULT_FAIL;
    if (!latest || !approvals || !reasons) goto oom;
    json_array_foreach(latest, i, r) {
        const char *who = str(r, "reviewer"), *commit = str(r, "commit");
        bool bot = json_is_true(json_object_get(r, "bot"));
        bool by_author = same_login(who, author);
        /* GitLab names no commit per approval: it reports the approvals in force */
        bool on_head = !commit || (head && strcasecmp(commit, head) == 0);
        bool counts;

        if (strcmp(str(r, "state"), "APPROVED") != 0) continue;
        counts = !bot && !(pol->require_independent && by_author) && (on_head || pol->allow_stale);
        effective += counts;
        stale += !bot && !on_head;
        bots += bot;
        self += by_author;
        if (json_array_append_new(approvals,
                                  json_pack("{s:O?, s:O?, s:O?, s:b, s:b, s:b, s:b}", "reviewer",
                                            json_object_get(r, "reviewer"), "at",
                                            json_object_get(r, "at"), "commit",
                                            json_object_get(r, "commit"), "bot", bot, "by_author",
                                            by_author, "on_head", on_head, "counts", counts)) < 0)
            goto oom;
    }
    if (!cr) {
        rc = reason(reasons, "no pull or merge request was found for the commit: it reached the "
                             "branch by a direct push");
    } else if (!merged && str(cr, "state") && strcmp(str(cr, "state"), "closed") == 0) {
        /* its approvals approved nothing that was merged: the commit got in another way */
        rc = reason(reasons, "the change request was closed without being merged");
    } else if (effective < pol->min_approvals) {
        rc = reason(reasons, "%ld effective approval%s, the policy requires %ld", effective,
                    effective == 1 ? "" : "s", pol->min_approvals);
        if (rc == 0 && self && pol->require_independent)
            rc = reason(reasons, "the author's own approval does not count as independent review");
        if (rc == 0 && stale && !pol->allow_stale)
            rc = reason(reasons, "%ld approval%s %s given on an older commit than the head %.12s",
                        stale, stale == 1 ? "" : "s", stale == 1 ? "was" : "were",
                        head ? head : "?");
        if (rc == 0 && bots)
            rc = reason(reasons, "%ld approval%s by bots %s not count", bots, bots == 1 ? "" : "s",
                        bots == 1 ? "does" : "do");
    }
    if (rc < 0) goto oom;
    if (json_array_size(reasons) == 0) *result = EA_RESULT_PASS;
    if (json_object_set_new(data, "reviews", latest) < 0) {
        latest = NULL;
        goto oom;
    }
    latest = NULL;
    if (json_object_set(data, "approvals", approvals) < 0 ||
        json_object_set_new(data, "effective_approvals", json_integer(effective)) < 0 ||
        json_object_set_new(data, "flags",
                            json_pack("{s:b, s:b, s:b, s:b, s:I, s:I}", "no_change_request",
                                      cr == NULL, "self_approval", self > 0, "self_merge",
                                      merged && same_login(merged_by, author),
                                      "merged_without_approval", merged && effective == 0,
                                      "stale_approvals", (json_int_t)stale, "bot_approvals",
                                      (json_int_t)bots)) < 0 ||
        json_object_set_new(data, "policy", ea_approvals_policy_json(pol)) < 0 ||
        json_object_set(data, "reasons", reasons) < 0)
        goto oom;
    json_decref(approvals);
    json_decref(reasons);
    return 0;
oom:
    json_decref(latest);
    json_decref(approvals);
    json_decref(reasons);
    return ea_fail(EA_ENOMEM, "out of memory");
}
