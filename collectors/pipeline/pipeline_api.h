/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API enrichment of a pipeline run: GitHub's workflow run and its jobs, or
 * GitLab's pipeline and its jobs, normalised. An API failure is not a
 * failure of the collector: the result says what went wrong, so the step's
 * evidence is never lost to an API.
 */
#ifndef EA_PIPELINE_API_H
#define EA_PIPELINE_API_H

#include <jansson.h>

#include "util/ci.h"

#define EA_PIPELINE_PAGES_MAX 10

/**
 * @param out new reference: {"status": "ok", "run": {...}, "jobs": [...],
 *            "jobs_truncated": bool} or {"status": "error", "error": "..."}.
 * @param budget_ms every request and retry ends within this (0 = the client's own bounds).
 * @return 0, or EA_ENOMEM (the only failure that stops the collector).
 */
int ea_pipeline_api_fetch(json_t **out, const struct ea_ci_run *run, const struct ea_ci_api *api,
                          long budget_ms);

/** Normalises GitHub's GET .../actions/runs/{id} body (borrowed). @return new reference. */
json_t *ea_pipeline_github_run(const json_t *body);
/** Appends the jobs of one GitHub jobs page to jobs. @return 0 or EA_EINPUT/EA_ENOMEM. */
int ea_pipeline_github_jobs(json_t *jobs, const json_t *page);
/** Normalises GitLab's GET /projects/:id/pipelines/:id body. @return new reference. */
json_t *ea_pipeline_gitlab_run(const json_t *body);
/** Appends the jobs of one GitLab jobs page. */
int ea_pipeline_gitlab_jobs(json_t *jobs, const json_t *page);

#endif
