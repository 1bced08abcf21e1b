/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a change request from the forge: GitHub pull requests (the PR, all
 * its reviews, its commits, the base branch's protection) and GitLab merge
 * requests (the MR, /approvals, /approval_state), normalised to one shape:
 *
 *   change request: {"number", "url", "title", "state" (open|closed|merged),
 *                    "author", "author_bot", "merged", "merged_by", "merged_at",
 *                    "merge_commit_sha", "base_ref", "base_sha", "head_ref",
 *                    "head_sha", "commits"}
 *   review:         {"reviewer", "bot", "state" (APPROVED, CHANGES_REQUESTED,
 *                    DISMISSED, COMMENTED, PENDING), "at", "commit"}
 *
 * Only named scalar fields are copied out of responses (util/json.h). The
 * token is sent only to the configured API base (the HTTP client refuses a
 * next-page link to another host) and never appears in a message.
 *
 * Shared by the collectors that read the forge (approvals, branch-protection),
 * so it lives here and not in either collector's folder.
 */
#ifndef EA_FORGE_H
#define EA_FORGE_H

#include <stdbool.h>

#include <jansson.h>

#include <evidence/collector.h>

#include "util/ci.h"

struct ea_http;

#define EA_FORGE_PAGES_MAX 10 /* of 100 reviews or commits */

struct ea_forge {
    bool gitlab;          /* else GitHub */
    const char *base_url; /* borrowed: the API base, without a trailing slash */
    const char *auth;     /* borrowed, secret: the authentication header line */
    const char *repo;     /* borrowed: "owner/name" (GitHub), project ID or path (GitLab) */
    char *project;        /* owned: repo as a URL path segment (GitLab paths %2F-encoded) */
    struct ea_http *http; /* owned */
};

/** The repo and platform options of a forge collector (owned strings, or NULL). */
struct ea_forge_target {
    char *repo;      /* owner/name, a GitLab project ID or group/project path */
    char *platform;  /* "github" or "gitlab" */
    long timeout_ms; /* every API request of the run, retries included */
    bool owner;      /* repo names an organisation (GitHub) or a group (GitLab), not a
                        repository: set by the collector after ea_forge_options */
};

#define EA_FORGE_TIMEOUT_DEFAULT_MS 60000L

/* The option-table rows of the options ea_forge_options reads, for a collector that uses it. */
#define EA_FORGE_OPTIONS                                                                           \
    {"repo", EA_OPTION_STRING, 0, NULL,                                                            \
     "owner/name (GitHub), project ID or path (GitLab); default from the CI"},                     \
        {"platform", EA_OPTION_STRING, 0, NULL,                                                    \
         "github or gitlab; default from the CI, else the token found"},                           \
    {                                                                                              \
        "timeout", EA_OPTION_DURATION, 0, "60s",                                                   \
            "every API request of the run, retries included (1s to 1h); then result error"         \
    }

/**
 * Reads and checks the "repo", "platform" and "timeout" options.
 * @return 0, EA_ECONFIG or EA_ENOMEM.
 */
int ea_forge_options(struct ea_forge_target *t, const json_t *options);
void ea_forge_target_dispose(struct ea_forge_target *t);

/**
 * Finds the forge and opens f on it: the platform option, else the CI's, else
 * whichever has a token (GitHub first); the repository from the repo option,
 * else GITHUB_REPOSITORY in GitHub Actions, or GitLab's CI_PROJECT_ID (for
 * which the repo option stands in).
 * @param api        caller's storage; dispose it with ea_ci_api_dispose in any case.
 * @param who        what is read, for messages ("pull request reviews").
 * @param token_note what a GitHub token needs besides reading ("" or " (with ...)").
 * @return 0 (f open: close it), or EA_ECONFIG naming the variables or the option to give.
 */
int ea_forge_connect(struct ea_forge *f, struct ea_ci_api *api, const struct ea_ci_run *run,
                     const struct ea_forge_target *t, const char *who, const char *token_note);

/**
 * What ea_forge_connect checks (a token, the repository), without a request:
 * for a collector's init, so that a missing token is found before any
 * collector runs (and by daemon --check-config).
 * @return 0 or ea_forge_connect's EA_ECONFIG.
 */
int ea_forge_preflight(const struct ea_forge_target *t, const char *who, const char *token_note);

/** @return 0, or EA_ENOMEM. Dispose with ea_forge_close. */
int ea_forge_open(struct ea_forge *f, bool gitlab, const char *base_url, const char *auth,
                  const char *repo);
void ea_forge_close(struct ea_forge *f);

/**
 * The change request that brought sha: GitHub GET /repos/{repo}/commits/{sha}/pulls,
 * GitLab GET /projects/:id/repository/commits/:sha/merge_requests. Prefers the
 * one merged as sha, then the one whose head is sha, then the first.
 * @param number out: its number, or 0 when there is none (a direct push).
 * @return 0 or an EA_E* code with a message naming the missing permission.
 */
int ea_forge_find(struct ea_forge *f, const char *sha, long *number);

/**
 * Reads change request number into data: "change_request", and
 * "protection" (GitHub) or "approval_rules" (GitLab); *reviews gets every
 * review in order (new reference).
 */
int ea_forge_read(struct ea_forge *f, long number, json_t *data, json_t **reviews);

/**
 * GET url from the forge's API with its token and Accept headers, as JSON.
 * @param what when not NULL, a 401/403/404 message is replaced by one naming
 *             what could not be read and the permission it needs.
 * @param status when not NULL, gets the HTTP status (0 without a response).
 */
int ea_forge_get(struct ea_forge *f, const char *url, json_t **out, char **next, long *status,
                 const char *what);

/**
 * GETs url and its next pages (at most max_pages), appending the items of each
 * page (a JSON array) to items, so that a list is read whole or not at all.
 * @param url       taken.
 * @param items     array to fill (borrowed); left partly filled on failure.
 * @param status    out: the HTTP status of the page that failed (0 without a response, or
 *                  when none failed).
 * @param truncated out: true when there were more than max_pages pages.
 * @param what      as ea_forge_get's (NULL keeps the HTTP client's message).
 * @return 0, EA_EINPUT when a page is not a list, or ea_forge_get's code.
 */
int ea_forge_get_list(struct ea_forge *f, char *url, unsigned max_pages, json_t *items,
                      long *status, bool *truncated, const char *what);

/** Whether a user is a bot: account type "Bot", GitLab's "bot": true, or a "[bot]" login. */
bool ea_forge_is_bot(const json_t *user, const char *login);

/* Normalisers of one response body (borrowed), exposed for tests. New references. */
json_t *ea_forge_github_pr(const json_t *pr);
int ea_forge_github_reviews(json_t *reviews, const json_t *page);
json_t *ea_forge_github_protection(const json_t *p);
json_t *ea_forge_gitlab_mr(const json_t *mr);
int ea_forge_gitlab_approvals(json_t *reviews, const json_t *body);

#endif
