/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a forge API response (a pull request, a review page,
 * branch protection, a merge request, GitLab approvals), through every
 * approvals normaliser and the review policy.
 */
#include <stdbool.h>

#include "util/error.h"
#include "fuzz.h"
#include "util/forge.h"
#include "../../collectors/approvals/approvals_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ea_approval_policy pol = EA_APPROVAL_POLICY_DEFAULT;
    json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    json_t *reviews = json_array(), *out = json_object();
    json_t *pr = ea_forge_github_pr(body), *mr = ea_forge_gitlab_mr(body);
    json_t *prot = ea_forge_github_protection(body);
    enum ea_result result;

    (void)ea_forge_github_reviews(reviews, body);
    (void)ea_forge_gitlab_approvals(reviews, body);
    ea_approvals_settle_stale(&pol, prot, false); /* the protection of the same answer */
    (void)ea_approvals_judge(out, pr, reviews, &pol, &result);
    json_object_clear(out);
    pol.allow_stale = true;
    pol.require_independent = false;
    (void)ea_approvals_judge(out, mr, reviews, &pol, &result);
    json_decref(out);
    json_decref(pr);
    json_decref(mr);
    json_decref(prot);
    json_decref(reviews);
    json_decref(body);
    ea_error_clear();
    return 0;
}
