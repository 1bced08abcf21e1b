/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The access collector's pure part: from the forge's answers (a "raw" bundle,
 * one key per endpoint read, see ea_access_build) to the record's data, the
 * diff against the previous record of the same scope, and the policy verdict.
 * No I/O, so every fact and every rule is tested and fuzzed directly.
 *
 * A key missing from the bundle is a list or object the token could not read:
 * its facts become null (never an empty list, which would read as "nobody"),
 * and the collector lists it in data.unreadable, which is never a pass.
 */
#ifndef EA_ACCESS_PARSE_H
#define EA_ACCESS_PARSE_H

#include <stdbool.h>

#include <evidence/record.h>
#include <jansson.h>

#define EA_ACCESS_ENVS_MAX 32 /* names in require_environment_reviewers */

struct ea_access_policy {
    long max_admins;           /* -1: no limit (the default: checked only when set) */
    bool require_2fa;          /* default true */
    bool allow_outside_admins; /* default false */
    bool token_read;           /* token_permissions=read: default token and no PR approval */
    const char *envs[EA_ACCESS_ENVS_MAX + 1]; /* borrowed, NULL-terminated */
};

#define EA_ACCESS_POLICY_DEFAULT                                                                   \
    {                                                                                              \
        -1, true, false, false,                                                                    \
        {                                                                                          \
            NULL                                                                                   \
        }                                                                                          \
    }

/**
 * Builds the facts of data from raw, a bundle of the forge's answers:
 *   GitHub  "repo" (GET /repos/{o}/{r}), "collaborators" (affiliation=all),
 *           "direct" (affiliation=direct), "outside" (affiliation=outside),
 *           "teams", "keys", "invitations", "actions" (actions/permissions),
 *           "workflow" (actions/permissions/workflow), "environments", "org",
 *           "org_members", "org_admins" (role=admin), "org_2fa_disabled",
 *           "org_outside" (outside_collaborators)
 *   GitLab  "project", "members_all", "members_direct", "keys", "invitations",
 *           "protected_environments", "group", "group_members" (members/all),
 *           "group_members_direct"
 * Only named scalar fields are copied (bounded); lists are arrays, the rest
 * objects; a value of the wrong type counts as not read.
 * Adds "visibility", "access", "deploy_keys", "invitations", "organisation",
 * "ci", "environments" and "counts".
 * @param scope_type "repo", "org", "project" or "group".
 * @return 0 or EA_ENOMEM.
 */
int ea_access_build(json_t *data, bool gitlab, const char *scope_type, const json_t *raw);

/**
 * Adds "drift": who was added, removed or changed role since prev (the data of
 * the previous access record of the same scope, borrowed, or NULL for none)
 * across people, teams and groups, deploy keys and invitations.
 * @param prev_id the previous record's ID, or NULL.
 * @param unknown why the previous record could not be read, or NULL.
 * @return 0 or EA_ENOMEM.
 */
int ea_access_diff(json_t *data, const json_t *prev, const char *prev_id, const char *unknown);

/**
 * Judges data (built by ea_access_build, with "unreadable" set) against pol,
 * adding "policy" and "reasons" (every broken rule, then every rule left
 * unknown). *result: fail when a rule is broken, else error when a rule is
 * unknown or anything was unreadable, else pass.
 * @return 0 or EA_ENOMEM.
 */
int ea_access_judge(json_t *data, bool gitlab, const struct ea_access_policy *pol,
                    enum ea_result *result);

/** The role of a GitLab access level ("developer"), or NULL for an unknown one. */
const char *ea_access_gitlab_role(long level);

#endif
