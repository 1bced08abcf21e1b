/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CI platform detection from the environment each CI sets. One table in
 * ci.c lists, per platform, the variable that reveals it and the variables
 * (or templates of variables) that give each field. It reads the
 * environment through a callback so tests can give any environment; the
 * files allowed to call getenv at all are listed in ci/lint.sh.
 */
#ifndef EA_CI_H
#define EA_CI_H

#include <jansson.h>

enum ea_ci_field {
    EA_CI_SERVER_URL,
    EA_CI_REPOSITORY,
    EA_CI_RUN_ID,
    EA_CI_RUN_ATTEMPT,
    EA_CI_RUN_URL,
    EA_CI_WORKFLOW,
    EA_CI_JOB,
    EA_CI_EVENT,
    EA_CI_REF,
    EA_CI_SHA,
    EA_CI_ACTOR,
    EA_CI_RUNNER_OS,
    EA_CI_RUNNER_NAME,
    EA_CI_CHANGE_REQUEST, /* the pull/merge request number of a PR pipeline */
    EA_CI_FIELDS
};

/** Reads one environment variable; NULL when unset. */
typedef const char *(*ea_ci_env_cb)(const char *name, void *payload);

/** A detected run. Caller's storage; ea_ci_run_dispose frees the fields. */
struct ea_ci_run {
    const char *platform;       /* static: "github", "gitlab", ..., or "local" */
    char *fields[EA_CI_FIELDS]; /* owned; NULL when the CI did not say */
    char *event_path;           /* owned: GitHub's GITHUB_EVENT_PATH (not recorded); or NULL */
};

/** The JSON names of the fields ("server_url", "repository", ...). Static. */
const char *ea_ci_field_name(enum ea_ci_field f);
/**
 * Detects the platform and fills its fields. env NULL reads the process
 * environment. @return 0 or EA_ENOMEM.
 */
int ea_ci_detect(struct ea_ci_run *out, ea_ci_env_cb env, void *payload);
void ea_ci_run_dispose(struct ea_ci_run *r);
/** {"platform": ..., "<field>": value or null, ...}. @return new reference or NULL. */
json_t *ea_ci_run_json(const struct ea_ci_run *r);

/** How to reach the run's CI API, when a token is available. Caller's storage. */
struct ea_ci_api {
    char *base_url;    /* owned: GITHUB_API_URL or CI_API_V4_URL (or their defaults) */
    char *auth_header; /* owned, secret: "Authorization: Bearer ...", "PRIVATE-TOKEN: ..." */
    char *project_id;  /* owned: GitLab's CI_PROJECT_ID; NULL elsewhere */
};

/**
 * Finds the API of run's platform (GitHub: GITHUB_TOKEN or GH_TOKEN, base
 * GITHUB_API_URL; GitLab: GITLAB_TOKEN or CI_JOB_TOKEN, base CI_API_V4_URL).
 * out->base_url is NULL when there is no token or the platform has no API
 * support. @return 0 or EA_ENOMEM.
 */
int ea_ci_api_lookup(struct ea_ci_api *out, const struct ea_ci_run *run, ea_ci_env_cb env,
                     void *payload);
/** Wipes the token and frees; accepts a zeroed struct. */
void ea_ci_api_dispose(struct ea_ci_api *a);

#endif
