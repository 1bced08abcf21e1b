/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The review policy of a change request, as a pure function: from the
 * normalised change request and its reviews (the same shape for GitHub and
 * GitLab, see util/forge.h) to the latest state of each reviewer, the
 * approvals, the effective approvals, the flags an auditor asks about, and
 * pass or fail with the reasons. No I/O, so every rule is tested directly.
 */
#ifndef EA_APPROVALS_POLICY_H
#define EA_APPROVALS_POLICY_H

#include <stdbool.h>

#include <evidence/record.h>
#include <jansson.h>

/* The allow_stale option: whether approvals given on an older commit count. */
enum ea_stale_setting {
    EA_STALE_PROTECTION, /* as the base branch's protection says (dismiss_stale_reviews) */
    EA_STALE_NO,         /* never */
    EA_STALE_YES,        /* always */
};

struct ea_approval_policy {
    long min_approvals;       /* effective approvals needed; default 1 */
    bool require_independent; /* the author's own approval does not count; default true */
    bool allow_stale;         /* approvals given on an older commit count (the rule applied) */
    enum ea_stale_setting stale_setting; /* what was configured; default protection */
    const char *stale_because;           /* borrowed: why allow_stale is what it is, or NULL */
};

#define EA_APPROVAL_POLICY_DEFAULT                                                                 \
    {                                                                                              \
        1, true, false, EA_STALE_PROTECTION, NULL                                                  \
    }

/** "protection", "false" or "true". */
const char *ea_approvals_stale_setting_name(enum ea_stale_setting setting);

/**
 * Settles pol->allow_stale and pol->stale_because from pol->stale_setting and the
 * record's "protection" (GitHub's classic branch protection, or null): with
 * protection, stale approvals count only where the protection was read and says
 * dismiss_stale_reviews: false (GitHub counts them there); when it cannot be read or
 * says nothing, they do not (the safe side), and the reason says so.
 */
void ea_approvals_settle_stale(struct ea_approval_policy *pol, const json_t *protection,
                               bool gitlab);

/** The "policy" object of a record (new reference, NULL when out of memory). */
json_t *ea_approvals_policy_json(const struct ea_approval_policy *pol);

/**
 * Judges a change request and adds to data "reviews" (each reviewer's latest
 * state), "approvals", "effective_approvals", "flags", "policy" and
 * "reasons".
 * @param data    object to fill (borrowed).
 * @param cr      the normalised change request, or NULL when none was found
 *                (a direct push).
 * @param reviews every review in the order given (chronological), borrowed:
 *                [{"reviewer", "bot", "state", "at", "commit"}]. A later
 *                CHANGES_REQUESTED or DISMISSED cancels an earlier
 *                APPROVED; COMMENTED and PENDING change nothing.
 * @param result  out: EA_RESULT_PASS or EA_RESULT_FAIL.
 * @return 0 or EA_ENOMEM.
 */
int ea_approvals_judge(json_t *data, const json_t *cr, const json_t *reviews,
                       const struct ea_approval_policy *policy, enum ea_result *result);

#endif
