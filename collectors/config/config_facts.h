/* SPDX-License-Identifier: Apache-2.0 */
/* A few high-value facts of recognised configuration kinds (see config_facts.c). */
#ifndef EA_CONFIG_FACTS_H
#define EA_CONFIG_FACTS_H

#include <jansson.h>

/**
 * The kind of a parsed file: "kubernetes", "terraform_plan", "github_actions",
 * "gitlab_ci" or "other". @param docs borrowed array of documents.
 */
const char *ea_config_kind(const char *path, const json_t *docs);
/** The facts of that kind (new reference; null for "other"). */
json_t *ea_config_facts(const char *kind, const json_t *docs);

#endif
