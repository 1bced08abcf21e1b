/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access facts, diff and policy; see access_parse.h. Logins are compared
 * without regard to case, as GitHub and GitLab treat them. Roles keep the
 * forge's words (GitHub: read, triage, write, maintain, admin or a custom
 * role's name; GitLab: the access level's name), and "admin" says whether a
 * grant may change the settings and the access of the repository (GitHub
 * admin; GitLab Maintainer and above) or is an organisation or group owner.
 */
#include "access_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/forge.h"
#include "util/json.h"

#define ROLE_MAX 64 /* a custom role name longer than this is not kept */

static const json_t *list_of(const json_t *raw, const char *key)
{
    const json_t *v = json_object_get(raw, key);
    return json_is_array(v) ? v : NULL;
}

static const json_t *object_of(const json_t *raw, const char *key)
{
    const json_t *v = json_object_get(raw, key);
    return json_is_object(v) ? v : NULL;
}

static json_t *bool_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_boolean(json_is_true(v)) : json_null();
}

static json_t *int_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

/* Whether list (of objects) holds one whose field is name. */
static bool listed(const json_t *list, const char *field, const char *name)
{
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x) {
        const char *n = ea_json_str(x, field);
        if (n && name && strcasecmp(n, name) == 0) return true;
    }
    return false;
}

const char *ea_access_gitlab_role(long level)
{
    static const struct {
        long level;
        const char *role;
    } roles[] = {{0, "no_access"},   {5, "minimal_access"}, {10, "guest"},
                 {15, "planner"},    {20, "reporter"},      {30, "developer"},
                 {40, "maintainer"}, {50, "owner"},         {60, "admin"}};

    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].level == level) return roles[i].role;
    return NULL;
}

/* GitHub's permission words: the API says pull and push where the UI says read and write. */
static const char *gh_role_word(const char *p)
{
    if (!p || strlen(p) > ROLE_MAX) return NULL;
    if (strcmp(p, "pull") == 0) return "read";
    if (strcmp(p, "push") == 0) return "write";
    return p;
}

/* A collaborator's role: role_name, else the highest of its permissions. */
static const char *gh_collaborator_role(const json_t *c)
{
    static const char *const order[][2] = {{"admin", "admin"},
                                           {"maintain", "maintain"},
                                           {"push", "write"},
                                           {"triage", "triage"},
                                           {"pull", "read"}};
    const json_t *perms = json_object_get(c, "permissions");
    const char *r = gh_role_word(ea_json_str(c, "role_name"));

    if (r) return r;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (json_is_true(json_object_get(perms, order[i][0]))) return order[i][1];
    return NULL;
}

/* Appends one grant; name and the three tri-states are stolen. */
static int add_grant(json_t *access, const char *type, json_t *name, const char *role,
                     json_t *level, bool admin, json_t *direct, json_t *outside, bool bot)
{
    json_t *o = json_object();

    if (!o || json_array_append_new(access, o) < 0) {
        json_decref(name);
        json_decref(level);
        json_decref(direct);
        json_decref(outside);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    if (ea_json_put(o, "type", json_string(type)) < 0 || ea_json_put(o, "name", name) < 0 ||
        ea_json_put(o, "role", role ? json_string(role) : json_null()) < 0 ||
        ea_json_put(o, "access_level", level) < 0 ||
        ea_json_put(o, "admin", json_boolean(admin)) < 0 || ea_json_put(o, "direct", direct) < 0 ||
        ea_json_put(o, "outside", outside) < 0 || ea_json_put(o, "bot", json_boolean(bot)) < 0)
        return EA_ENOMEM;
    return 0;
}

static json_t *tri(const json_t *list, const char *field, const char *name)
{
    return list ? json_boolean(listed(list, field, name)) : json_null();
}

/* ---- GitHub ---- */

static int gh_access(json_t *data, const char *scope, const json_t *raw, json_t **out)
{
    const json_t *x;
    json_t *access = json_array();
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!access) return ea_fail(EA_ENOMEM, "out of memory");
    if (strcmp(scope, "org") == 0) {
        const json_t *members = list_of(raw, "org_members"), *admins = list_of(raw, "org_admins");
        const json_t *outside = list_of(raw, "org_outside");
        if (!members) goto none;
        json_array_foreach(members, i, x) {
            const char *login = ea_json_str(x, "login");
            bool owner = listed(admins, "login", login);
            if (!login || !json_is_object(x)) continue;
            rc = add_grant(access, "user", ea_json_text(x, "login"),
                           admins ? (owner ? "owner" : "member") : NULL, json_null(), owner,
                           json_null(), json_false(), ea_forge_is_bot(x, login));
            if (rc < 0) goto out;
        }
        json_array_foreach(outside, i, x) {
            const char *login = ea_json_str(x, "login");
            if (!login || listed(members, "login", login)) continue;
            rc = add_grant(access, "user", ea_json_text(x, "login"), "outside_collaborator",
                           json_null(), false, json_null(), json_true(), ea_forge_is_bot(x, login));
            if (rc < 0) goto out;
        }
    } else {
        const json_t *collab = list_of(raw, "collaborators"), *direct = list_of(raw, "direct");
        const json_t *outside = list_of(raw, "outside");
        if (!collab) goto none;
        json_array_foreach(collab, i, x) {
            const char *login = ea_json_str(x, "login"), *role = gh_collaborator_role(x);
            bool admin = (role && strcmp(role, "admin") == 0) ||
                         json_is_true(json_object_get(json_object_get(x, "permissions"), "admin"));
            if (!login) continue;
            rc = add_grant(access, "user", ea_json_text(x, "login"), role, json_null(), admin,
                           tri(direct, "login", login), tri(outside, "login", login),
                           ea_forge_is_bot(x, login));
            if (rc < 0) goto out;
        }
        json_array_foreach(list_of(raw, "teams"), i, x) {
            const char *role = gh_role_word(ea_json_str(x, "permission"));
            if (!ea_json_str(x, "slug")) continue;
            rc = add_grant(access, "team", ea_json_text(x, "slug"), role, json_null(),
                           role && strcmp(role, "admin") == 0, json_true(), json_false(), false);
            if (rc < 0) goto out;
        }
    }
    (void)data;
    *out = access;
    return 0;
none:
    json_decref(access);
    *out = json_null();
    return 0;
out:
    json_decref(access);
    return rc;
}

static json_t *logins(const json_t *list, const char *field)
{
    json_t *out;
    const json_t *x;
    size_t i;

    if (!list) return json_null();
    out = json_array();
    json_array_foreach(list, i, x) {
        if (ea_json_str(x, field) && json_array_append_new(out, ea_json_text(x, field)) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *gh_organisation(const char *name, const json_t *raw)
{
    const json_t *org = object_of(raw, "org");

    return json_pack("{s:s?, s:o, s:n, s:o, s:o, s:o, s:o, s:o, s:o}", "name", name,
                     "two_factor_required", bool_of(org, "two_factor_requirement_enabled"),
                     "two_factor_grace_period", "members_without_2fa",
                     logins(list_of(raw, "org_2fa_disabled"), "login"), "base_permission",
                     ea_json_text(org, "default_repository_permission"),
                     "members_can_create_public_repositories",
                     bool_of(org, "members_can_create_public_repositories"), "visibility",
                     json_null(), "owners", logins(list_of(raw, "org_admins"), "login"), "members",
                     json_is_array(json_object_get(raw, "org_members"))
                         ? json_integer((json_int_t)json_array_size(list_of(raw, "org_members")))
                         : json_null());
}

static json_t *gh_ci(const json_t *raw)
{
    const json_t *a = object_of(raw, "actions"), *w = object_of(raw, "workflow");
    const char *repos = ea_json_str(a, "enabled_repositories");
    json_t *enabled = json_is_boolean(json_object_get(a, "enabled")) ? bool_of(a, "enabled")
                      : repos ? json_boolean(strcmp(repos, "none") != 0)
                              : json_null();

    return json_pack("{s:o, s:o, s:o, s:o}", "actions_enabled", enabled, "allowed_actions",
                     ea_json_text(a, "allowed_actions"), "default_token_permissions",
                     ea_json_text(w, "default_workflow_permissions"),
                     "actions_can_approve_pull_requests",
                     bool_of(w, "can_approve_pull_request_reviews"));
}

static json_t *gh_environments(const json_t *raw)
{
    const json_t *envs = json_object_get(object_of(raw, "environments"), "environments");
    const json_t *e, *r, *rv;
    json_t *out;
    size_t i, k, m;

    if (!object_of(raw, "environments")) return json_null();
    out = json_array();
    json_array_foreach(envs, i, e) {
        const json_t *bp = json_object_get(e, "deployment_branch_policy");
        json_t *reviewers = json_array(), *self = json_null(), *wait = json_null(), *o;
        if (!ea_json_str(e, "name") || !reviewers) {
            json_decref(reviewers);
            continue;
        }
        json_array_foreach(json_object_get(e, "protection_rules"), k, r) {
            const char *type = ea_json_str(r, "type");
            if (!type) continue;
            if (strcmp(type, "required_reviewers") == 0) {
                json_decref(self);
                self = bool_of(r, "prevent_self_review");
                json_array_foreach(json_object_get(r, "reviewers"), m, rv) {
                    const json_t *who = json_object_get(rv, "reviewer");
                    const char *t = ea_json_str(rv, "type");
                    const char *n = ea_json_str(who, "login")  ? ea_json_str(who, "login")
                                    : ea_json_str(who, "slug") ? ea_json_str(who, "slug")
                                                               : ea_json_str(who, "name");
                    if (n && strlen(n) <= EA_JSON_TEXT_MAX)
                        json_array_append_new(
                            reviewers,
                            json_sprintf("%s:%s", t && strcmp(t, "Team") == 0 ? "team" : "user",
                                         n));
                }
            } else if (strcmp(type, "wait_timer") == 0) {
                json_decref(wait);
                wait = int_of(r, "wait_timer");
            }
        }
        o = json_pack("{s:o, s:o, s:I, s:o, s:o, s:s, s:n}", "name", ea_json_text(e, "name"),
                      "required_reviewers", reviewers, "required_approvals",
                      (json_int_t)(json_array_size(reviewers) ? 1 : 0), "prevent_self_review", self,
                      "wait_timer", wait, "branch_policy",
                      !json_is_object(bp) ? "all"
                      : json_is_true(json_object_get(bp, "protected_branches"))
                          ? "protected_branches"
                          : "custom",
                      "deployers");
        if (!o || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* ---- GitLab ---- */

static const char *gl_role(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? ea_access_gitlab_role((long)json_integer_value(v)) : NULL;
}

static bool gl_admin(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key)) >= 40;
}

static int gl_access(const char *scope, const json_t *raw, json_t **out)
{
    bool group_scope = strcmp(scope, "group") == 0;
    const json_t *all = list_of(raw, group_scope ? "group_members" : "members_all");
    const json_t *direct = list_of(raw, group_scope ? "group_members_direct" : "members_direct");
    const json_t *group_members = list_of(raw, "group_members");
    const json_t *owner = object_of(raw, group_scope ? "group" : "project"), *x;
    const char *ns_kind =
        ea_json_str(json_object_get(object_of(raw, "project"), "namespace"), "kind");
    json_t *access;
    size_t i;
    int rc;

    *out = NULL;
    if (!all) {
        *out = json_null();
        return 0;
    }
    if (!(access = json_array())) return ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(all, i, x) {
        const char *name = ea_json_str(x, "username");
        json_t *outside;
        bool is_direct = listed(direct, "username", name);
        if (!name) continue;
        /* outside: a project's own member who is not in the group it belongs to */
        if (group_scope || (ns_kind && strcmp(ns_kind, "user") == 0))
            outside = json_false();
        else if (!direct || !group_members)
            outside = json_null();
        else
            outside = json_boolean(is_direct && !listed(group_members, "username", name));
        rc = add_grant(access, "user", ea_json_text(x, "username"), gl_role(x, "access_level"),
                       int_of(x, "access_level"), gl_admin(x, "access_level"),
                       direct ? json_boolean(is_direct) : json_null(), outside,
                       ea_forge_is_bot(x, name));
        if (rc < 0) goto fail;
    }
    json_array_foreach(json_object_get(owner, "shared_with_groups"), i, x) {
        if (!ea_json_str(x, "group_full_path")) continue;
        rc = add_grant(access, "group", ea_json_text(x, "group_full_path"),
                       gl_role(x, "group_access_level"), int_of(x, "group_access_level"),
                       gl_admin(x, "group_access_level"), json_true(), json_false(), false);
        if (rc < 0) goto fail;
    }
    *out = access;
    return 0;
fail:
    json_decref(access);
    return rc;
}

static json_t *gl_organisation(const json_t *raw)
{
    const json_t *g = object_of(raw, "group"), *members = list_of(raw, "group_members"), *x;
    json_t *owners = members ? json_array() : json_null();
    size_t i;

    json_array_foreach(members, i, x) {
        if (json_integer_value(json_object_get(x, "access_level")) >= 50 &&
            ea_json_str(x, "username"))
            json_array_append_new(owners, ea_json_text(x, "username"));
    }
    return json_pack("{s:o, s:o, s:o, s:n, s:n, s:n, s:o, s:o, s:o}", "name",
                     ea_json_text(g, "full_path"), "two_factor_required",
                     bool_of(g, "require_two_factor_authentication"), "two_factor_grace_period",
                     int_of(g, "two_factor_grace_period"), "members_without_2fa", "base_permission",
                     "members_can_create_public_repositories", "visibility",
                     ea_json_text(g, "visibility"), "owners", owners, "members",
                     members ? json_integer((json_int_t)json_array_size(members)) : json_null());
}

static json_t *gl_environments(const json_t *raw)
{
    const json_t *envs = list_of(raw, "protected_environments"), *e, *r;
    json_t *out;
    size_t i, k;

    if (!envs) return json_null();
    out = json_array();
    json_array_foreach(envs, i, e) {
        json_t *reviewers = json_array(), *deployers = json_array(), *o;
        json_int_t required = json_integer_value(json_object_get(e, "required_approval_count"));
        json_int_t by_rules = 0;
        if (!ea_json_str(e, "name") || !reviewers || !deployers) {
            json_decref(reviewers);
            json_decref(deployers);
            continue;
        }
        json_array_foreach(json_object_get(e, "approval_rules"), k, r) {
            const char *d = ea_json_str(r, "access_level_description");
            json_int_t n = json_integer_value(json_object_get(r, "required_approvals"));
            by_rules += n > 0 ? n : 0;
            if (d && strlen(d) <= EA_JSON_TEXT_MAX)
                json_array_append_new(reviewers, json_string(d));
            else if (json_is_integer(json_object_get(r, "user_id")))
                json_array_append_new(
                    reviewers, json_sprintf("user:%lld", (long long)json_integer_value(
                                                             json_object_get(r, "user_id"))));
            else if (json_is_integer(json_object_get(r, "group_id")))
                json_array_append_new(
                    reviewers, json_sprintf("group:%lld", (long long)json_integer_value(
                                                              json_object_get(r, "group_id"))));
        }
        json_array_foreach(json_object_get(e, "deploy_access_levels"), k, r) {
            const char *d = ea_json_str(r, "access_level_description");
            if (d && strlen(d) <= EA_JSON_TEXT_MAX)
                json_array_append_new(deployers, json_string(d));
        }
        o = json_pack("{s:o, s:o, s:I, s:n, s:n, s:n, s:o}", "name", ea_json_text(e, "name"),
                      "required_reviewers", reviewers, "required_approvals",
                      required > 0 ? required : by_rules, "prevent_self_review", "wait_timer",
                      "branch_policy", "deployers", deployers);
        if (!o || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* ---- both ---- */

static json_t *deploy_keys(const json_t *raw, bool gitlab)
{
    const json_t *keys = list_of(raw, "keys"), *k;
    json_t *out;
    size_t i;

    if (!keys) return json_null();
    out = json_array();
    json_array_foreach(keys, i, k) {
        const json_t *ro = json_object_get(k, gitlab ? "can_push" : "read_only");
        json_t *o;
        if (!json_is_object(k)) continue;
        o = json_pack("{s:o, s:o, s:o, s:o}", "id", ea_json_text(k, "id"), "title",
                      ea_json_text(k, "title"), "read_only",
                      json_is_boolean(ro)
                          ? json_boolean(gitlab ? json_is_false(ro) : json_is_true(ro))
                          : json_null(),
                      "created_at", ea_json_text(k, "created_at"));
        if (!o || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *invitations(const json_t *raw, bool gitlab)
{
    const json_t *list = list_of(raw, "invitations"), *x;
    json_t *out;
    size_t i;

    if (!list) return json_null();
    out = json_array();
    json_array_foreach(list, i, x) {
        const json_t *invitee = json_object_get(x, "invitee");
        const char *role = gitlab ? gl_role(x, "access_level")
                           : ea_json_str(x, "permissions")
                               ? gh_role_word(ea_json_str(x, "permissions"))
                               : gh_role_word(ea_json_str(x, "role"));
        json_t *who = ea_json_str(invitee, "login")    ? ea_json_text(invitee, "login")
                      : ea_json_str(x, "login")        ? ea_json_text(x, "login")
                      : ea_json_str(x, "invite_email") ? ea_json_text(x, "invite_email")
                                                       : ea_json_text(x, "email");
        json_t *o = json_pack("{s:o, s:s?, s:o, s:o}", "invitee", who, "role", role, "created_at",
                              ea_json_text(x, "created_at"), "expired", bool_of(x, "expired"));
        if (!o || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *counts(const json_t *access, const json_t *keys, const json_t *inv)
{
    json_int_t people = 0, admins = 0, outside = 0, outside_admins = 0, groups = 0, wkeys = 0;
    const json_t *x;
    size_t i;

    json_array_foreach(access, i, x) {
        bool user = strcmp(ea_json_str(x, "type"), "user") == 0;
        bool admin = json_is_true(json_object_get(x, "admin"));
        bool out = json_is_true(json_object_get(x, "outside"));
        people += user;
        groups += !user;
        admins += user && admin;
        outside += out;
        outside_admins += out && admin;
    }
    json_array_foreach(keys, i, x) wkeys += json_is_false(json_object_get(x, "read_only"));
#define N(v, cond) ((cond) ? json_integer(v) : json_null())
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "people",
                     N(people, json_is_array(access)), "admins", N(admins, json_is_array(access)),
                     "outside", N(outside, json_is_array(access)), "outside_admins",
                     N(outside_admins, json_is_array(access)), "teams",
                     N(groups, json_is_array(access)), "deploy_keys",
                     N((json_int_t)json_array_size(keys), json_is_array(keys)), "write_deploy_keys",
                     N(wkeys, json_is_array(keys)), "invitations",
                     N((json_int_t)json_array_size(inv), json_is_array(inv)));
#undef N
}

int ea_access_build(json_t *data, bool gitlab, const char *scope_type, const json_t *raw)
{
    bool whole = strcmp(scope_type, "org") == 0 || strcmp(scope_type, "group") == 0;
    const json_t *repo = object_of(raw, gitlab ? "project" : "repo");
    const char *scope_name = ea_json_str(json_object_get(data, "scope"), "name");
    const char *owner_type = NULL;
    json_t *access = NULL, *keys, *inv, *org = NULL;
    int rc;

    if (gitlab) {
        const char *kind = ea_json_str(json_object_get(repo, "namespace"), "kind");
        owner_type = whole || (kind && strcmp(kind, "group") == 0) ? "organisation"
                     : kind && strcmp(kind, "user") == 0           ? "user"
                                                                   : NULL;
        rc = gl_access(scope_type, raw, &access);
    } else {
        const char *t = ea_json_str(json_object_get(repo, "owner"), "type");
        owner_type = whole || (t && strcmp(t, "Organization") == 0) ? "organisation"
                     : t && strcmp(t, "User") == 0                  ? "user"
                     : object_of(raw, "org")                        ? "organisation"
                                                                    : NULL;
        rc = gh_access(data, scope_type, raw, &access);
    }
    if (rc < 0) return rc;
    keys = whole ? json_null() : deploy_keys(raw, gitlab);
    inv = invitations(raw, gitlab);
    if (owner_type && strcmp(owner_type, "user") == 0) {
        org = json_null();
    } else if (gitlab) {
        org = gl_organisation(raw);
    } else {
        char name[256] = "";
        const char *login = ea_json_str(json_object_get(repo, "owner"), "login");
        if (whole && scope_name)
            snprintf(name, sizeof(name), "%s", scope_name);
        else if (login)
            snprintf(name, sizeof(name), "%s", login);
        else if (scope_name)
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(scope_name, "/"), scope_name);
        org = gh_organisation(name[0] ? name : NULL, raw);
    }
    if (ea_json_put(
            data, "visibility",
            whole ? (gitlab ? ea_json_text(object_of(raw, "group"), "visibility") : json_null())
            : ea_json_str(repo, "visibility") ? ea_json_text(repo, "visibility")
            : json_is_boolean(json_object_get(repo, "private"))
                ? json_string(json_is_true(json_object_get(repo, "private")) ? "private" : "public")
                : json_null()) < 0 ||
        ea_json_put(data, "owner_type", owner_type ? json_string(owner_type) : json_null()) < 0 ||
        ea_json_put(data, "access", access) < 0 || ea_json_put(data, "deploy_keys", keys) < 0 ||
        ea_json_put(data, "invitations", inv) < 0 || ea_json_put(data, "organisation", org) < 0 ||
        ea_json_put(data, "ci", gitlab ? json_null() : gh_ci(raw)) < 0 ||
        ea_json_put(data, "environments",
                    whole    ? json_null()
                    : gitlab ? gl_environments(raw)
                             : gh_environments(raw)) < 0 ||
        ea_json_put(data, "counts",
                    counts(json_object_get(data, "access"), json_object_get(data, "deploy_keys"),
                           json_object_get(data, "invitations"))) < 0)
        return EA_ENOMEM;
    return 0;
}

/* ---- diff ---- */

/* who → role over the grants, deploy keys and invitations of data; NULL without an access list. */
static json_t *grants(const json_t *data)
{
    const json_t *access = json_object_get(data, "access"), *x;
    json_t *m;
    size_t i;

    if (!json_is_array(access)) return NULL;
    m = json_object();
    json_array_foreach(access, i, x) {
        char who[1200];
        const char *role = ea_json_str(x, "role");
        if (!ea_json_str(x, "type") || !ea_json_str(x, "name")) continue;
        snprintf(who, sizeof(who), "%s:%s", ea_json_str(x, "type"), ea_json_str(x, "name"));
        json_object_set_new(m, who, json_string(role ? role : "unknown"));
    }
    json_array_foreach(json_object_get(data, "deploy_keys"), i, x) {
        char who[1200];
        const json_t *ro = json_object_get(x, "read_only");
        if (!ea_json_str(x, "id")) continue;
        snprintf(who, sizeof(who), "deploy_key:%s", ea_json_str(x, "id"));
        json_object_set_new(m, who,
                            json_string(json_is_true(ro)    ? "read"
                                        : json_is_false(ro) ? "write"
                                                            : "unknown"));
    }
    json_array_foreach(json_object_get(data, "invitations"), i, x) {
        char who[1200];
        const char *role = ea_json_str(x, "role");
        if (!ea_json_str(x, "invitee")) continue;
        snprintf(who, sizeof(who), "invitation:%s", ea_json_str(x, "invitee"));
        json_object_set_new(m, who, json_string(role ? role : "unknown"));
    }
    return m;
}

int ea_access_diff(json_t *data, const json_t *prev, const char *prev_id, const char *unknown)
{
    json_t *now = grants(data), *before = prev ? grants(prev) : NULL;
    json_t *added = json_array(), *removed = json_array(), *changed = json_array(), *drift;
    const char *k;
    json_t *v;

    if (!unknown && !now) unknown = "the access list could not be read this time";
    if (!unknown && prev && !before) unknown = "the previous record has no access list";
    if (unknown || !prev) {
        drift = json_pack("{s:s?, s:o, s:o, s:o, s:s?}", "previous_id", unknown ? NULL : prev_id,
                          "added", unknown ? json_null() : json_array(), "removed",
                          unknown ? json_null() : json_array(), "changed",
                          unknown ? json_null() : json_array(), "unknown", unknown);
        goto put;
    }
    json_object_foreach(now, k, v) {
        const json_t *was = json_object_get(before, k);
        if (!was)
            json_array_append_new(added, json_pack("{s:s, s:O}", "who", k, "role", v));
        else if (!json_equal(was, v))
            json_array_append_new(changed,
                                  json_pack("{s:s, s:O, s:O}", "who", k, "from", was, "to", v));
    }
    json_object_foreach(before, k, v) {
        if (!json_object_get(now, k))
            json_array_append_new(removed, json_pack("{s:s, s:O}", "who", k, "role", v));
    }
    drift = json_pack("{s:s?, s:O, s:O, s:O, s:n}", "previous_id", prev_id, "added", added,
                      "removed", removed, "changed", changed, "unknown");
put:
    json_decref(now);
    json_decref(before);
    json_decref(added);
    json_decref(removed);
    json_decref(changed);
    return ea_json_put(data, "drift", drift);
}

/* ---- policy ---- */

static int reason(json_t *reasons, const char *fmt, ...) EA_PRINTF(2, 3);
static int reason(json_t *reasons, const char *fmt, ...)
{
    va_list ap;
    char text[1024];

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return json_array_append_new(reasons, json_string(text));
}

/* "a, b, c" from names (at most 10, then "and N more"), into out. */
static const char *names(char *out, size_t cap, const json_t *list)
{
    const json_t *x;
    size_t i, o = 0;

    out[0] = '\0';
    json_array_foreach(list, i, x) {
        const char *n = json_is_string(x) ? json_string_value(x) : ea_json_str(x, "name");
        if (i == 10) {
            snprintf(out + o, cap - o, " and %zu more", json_array_size(list) - 10);
            break;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s%.64s", i ? ", " : "", n ? n : "?");
        if (o >= cap) {
            o = cap - 1;
            break;
        }
    }
    return out;
}

static const json_t *find_env(const json_t *envs, const char *name)
{
    const json_t *e;
    size_t i;

    json_array_foreach(envs, i, e) {
        const char *n = ea_json_str(e, "name");
        if (n && strcmp(n, name) == 0) return e;
    }
    return NULL;
}

int ea_access_judge(json_t *data, bool gitlab, const struct ea_access_policy *pol,
                    enum ea_result *result)
{
    const json_t *access = json_object_get(data, "access");
    const json_t *org = json_object_get(data, "organisation");
    const json_t *envs = json_object_get(data, "environments");
    const json_t *ci = json_object_get(data, "ci");
    const char *owner_type = ea_json_str(data, "owner_type");
    const char *scope = ea_json_str(json_object_get(data, "scope"), "type");
    bool whole = scope && (strcmp(scope, "org") == 0 || strcmp(scope, "group") == 0);
    json_t *broken = json_array(), *unknown = json_array(), *list = json_array(), *envlist;
    char buf[900];
    const json_t *x;
    size_t i;
    bool some_unread = json_array_size(json_object_get(data, "unreadable")) > 0;
    int rc = 0;

    *result = EA_RESULT_ERROR;
    if (!broken || !unknown || !list) goto oom;
    if (pol->max_admins >= 0) {
        json_array_clear(list);
        json_array_foreach(access, i, x) {
            if (strcmp(ea_json_str(x, "type"), "user") == 0 &&
                json_is_true(json_object_get(x, "admin")))
                json_array_append(list, json_object_get(x, "name"));
        }
        if (!json_is_array(access))
            rc = reason(unknown, "max_admins: the access list could not be read");
        else if ((long)json_array_size(list) > pol->max_admins)
            rc = reason(broken, "%zu people with %s, the policy allows at most %ld: %s",
                        json_array_size(list), whole ? "owner or admin rights" : "admin rights",
                        pol->max_admins, names(buf, sizeof(buf), list));
        if (rc < 0) goto oom;
    }
    if (pol->require_2fa) {
        const json_t *req = json_object_get(org, "two_factor_required");
        const json_t *without = json_object_get(org, "members_without_2fa");
        if (owner_type && strcmp(owner_type, "user") == 0)
            rc = reason(broken,
                        "require_2fa: the %s belongs to a personal account, so no %s "
                        "requires two-factor authentication",
                        gitlab ? "project" : "repository", gitlab ? "group" : "organisation");
        else if (!json_is_boolean(req))
            rc = reason(unknown,
                        "require_2fa: whether the %s requires two-factor authentication "
                        "could not be read (%s)",
                        gitlab ? "group" : "organisation",
                        gitlab ? "the token needs read_api on the group"
                               : "GitHub shows it to organisation owners only: a token with "
                                 "admin:org or read:org of an owner");
        else if (json_is_false(req))
            rc = reason(broken, "the %s does not require two-factor authentication",
                        gitlab ? "group" : "organisation");
        if (rc == 0 && json_array_size(without))
            rc = reason(broken, "%zu member%s without two-factor authentication: %s",
                        json_array_size(without), json_array_size(without) == 1 ? "" : "s",
                        names(buf, sizeof(buf), without));
        if (rc < 0) goto oom;
    }
    if (!pol->allow_outside_admins) {
        bool unsure = !json_is_array(access);
        json_array_clear(list);
        json_array_foreach(access, i, x) {
            const json_t *out = json_object_get(x, "outside");
            bool admin = json_is_true(json_object_get(x, "admin"));
            if (json_is_true(out) && admin) json_array_append(list, json_object_get(x, "name"));
            if (json_is_null(out) && admin) unsure = true;
        }
        if (json_array_size(list))
            rc = reason(broken, "%zu outside collaborator%s with admin rights: %s",
                        json_array_size(list), json_array_size(list) == 1 ? "" : "s",
                        names(buf, sizeof(buf), list));
        else if (unsure)
            rc = reason(unknown, "allow_outside_admins: whether the admins are outside "
                                 "collaborators could not be read");
        if (rc < 0) goto oom;
    }
    for (i = 0; pol->envs[i]; i++) {
        const json_t *e = find_env(envs, pol->envs[i]);
        if (whole)
            rc = reason(unknown,
                        "require_environment_reviewers: environments belong to a "
                        "repository or project, not to the %s scope",
                        scope);
        else if (!json_is_array(envs))
            rc = reason(unknown,
                        "require_environment_reviewers: the environments could not be read");
        else if (!e)
            rc = reason(broken, "environment %s does not exist%s", pol->envs[i],
                        gitlab ? " as a protected environment" : "");
        else if (json_integer_value(json_object_get(e, "required_approvals")) < 1 ||
                 json_array_size(json_object_get(e, "required_reviewers")) == 0)
            rc = reason(broken, "environment %s requires no reviewer before a deployment",
                        pol->envs[i]);
        if (rc < 0) goto oom;
    }
    if (pol->token_read && !gitlab) {
        const char *perm = ea_json_str(ci, "default_token_permissions");
        const json_t *approve = json_object_get(ci, "actions_can_approve_pull_requests");
        if (!perm)
            rc = reason(unknown, "token_permissions: the default GITHUB_TOKEN permissions could "
                                 "not be read (the token needs administration: read)");
        else if (strcmp(perm, "read") != 0)
            rc = reason(broken,
                        "the default GITHUB_TOKEN permissions are %.32s, the policy "
                        "requires read",
                        perm);
        if (rc == 0 && json_is_true(approve))
            rc = reason(broken, "GitHub Actions may approve pull requests");
        else if (rc == 0 && !json_is_boolean(approve) && perm)
            rc = reason(unknown, "token_permissions: whether GitHub Actions may approve pull "
                                 "requests could not be read");
        if (rc < 0) goto oom;
    }
    json_array_foreach(json_object_get(data, "unreadable"), i, x) {
        if (reason(unknown, "not read: %.200s",
                   ea_json_str(x, "what") ? ea_json_str(x, "what") : "?") < 0)
            goto oom;
    }
    *result = json_array_size(broken)                   ? EA_RESULT_FAIL
              : json_array_size(unknown) || some_unread ? EA_RESULT_ERROR
                                                        : EA_RESULT_PASS;
    json_array_foreach(unknown, i, x) {
        char text[1100];
        snprintf(text, sizeof(text), "unknown: %s", json_string_value(x));
        if (json_array_append_new(broken, json_string(text)) < 0) goto oom;
    }
    envlist = json_array();
    for (i = 0; envlist && pol->envs[i]; i++)
        json_array_append_new(envlist, json_string(pol->envs[i]));
    if (ea_json_put(data, "policy",
                    json_pack("{s:o, s:b, s:b, s:o, s:o}", "max_admins",
                              pol->max_admins >= 0 ? json_integer(pol->max_admins) : json_null(),
                              "require_2fa", pol->require_2fa, "allow_outside_admins",
                              pol->allow_outside_admins, "require_environment_reviewers", envlist,
                              "token_permissions",
                              pol->token_read ? json_string("read") : json_null())) < 0)
        goto oom;
    rc = ea_json_put(data, "reasons", broken);
    broken = NULL;
    if (rc < 0) goto oom;
    json_decref(unknown);
    json_decref(list);
    return 0;
oom:
    json_decref(broken);
    json_decref(unknown);
    json_decref(list);
    return ea_fail(EA_ENOMEM, "out of memory");
}
