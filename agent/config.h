/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings that come from the environment, resolved in one place with one
 * precedence: flag > environment > default. The other readers of the
 * environment each read what only they use (CI detection, the forge's
 * tokens, the plug-in path); ci/lint.sh lists them and refuses any other.
 */
#ifndef EA_CONFIG_H
#define EA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/** The default store when neither --store nor EVIDENCE_STORE is given. */
#define EA_DEFAULT_STORE "./evidence-store"

/** The store URL: flag, else $EVIDENCE_STORE, else ./evidence-store. Borrowed. */
const char *ea_config_store_url(const char *flag);
/** The agent ID: flag, else $EVIDENCE_AGENT_ID, else the host name, else "agent". */
int ea_config_agent_id(char *out, size_t cap, const char *flag);
/**
 * Loads the signing key: --key FILE, else $EVIDENCE_KEY (a path), else
 * $EVIDENCE_KEY_PEM (the PEM text itself, as CI secrets are given).
 * @param out owned on success.
 * @return 0, EA_ECONFIG when no key is configured (the message says how to
 *         make one) or the key's load error.
 */
int ea_config_signing_key(struct ea_key **out, const char *flag);
/**
 * Loads every --pubkey file. @param out owned array of owned keys; free with
 * ea_config_keys_free.
 */
int ea_config_public_keys(struct ea_key ***out, const char *const *paths, size_t n);
void ea_config_keys_free(struct ea_key **keys, size_t n);
/** The environment variable name, or NULL when unset or empty (borrowed). */
const char *ea_config_env(const char *name);
/**
 * The period of --since and --until (either may be NULL): since defaults to
 * INT64_MIN (everything), until to dflt_until; a bare --until date includes the
 * whole day. @return 0, or EA_EINPUT/EA_EUSAGE naming the flag.
 */
int ea_config_period(int64_t *since_us, int64_t *until_us, const char *since, const char *until,
                     int64_t dflt_until);

struct ea_redactor;
/**
 * The redactor of a run: built-in patterns, plus the values of the agent's own
 * credential variables (GITHUB_TOKEN, GH_TOKEN, GITLAB_TOKEN, CI_JOB_TOKEN,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, EVIDENCE_KEY_PEM) and of every
 * variable named in names (--redact-env). @param out owned.
 */
int ea_config_redactor(struct ea_redactor **out, const char *const *names, size_t n);

#endif
