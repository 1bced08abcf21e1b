/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The review policy of a change request, as a pure function: from the
 * normalised change request and its reviews (the same shape for GitHub and
 * GitLab, see approvals_forge.h) to the latest state of each reviewer, the
 * approvals, the effective approvals, the flags an auditor asks about, and
 * pass or fail with the reasons. No I/O, so every rule is tested directly.
 */
#ifndef EA_APPROVALS_POLICY_H
#define EA_APPROVALS_POLICY_H

#include <stdbool.h>

#include <evidence/record.h>
#include <jansson.h>

struct ea_approval_policy {
    long min_approvals;       /* effective approvals needed; default 1 */
    bool require_independent; /* the author's own approval does not count; default true */
    bool allow_stale;         /* approvals given on an older commit count; default false */
};

#define EA_APPROVAL_POLICY_DEFAULT                                                                 \
    {                                                                                              \
        1, true, false                                                                             \
    }

/** Whether a user is a bot: account type "Bot", GitLab's "bot": true, or a "[bot]" login. */
bool ea_approvals_is_bot(const json_t *user, const char *login);

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
