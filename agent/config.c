/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Environment-backed settings. The table of variables lives here so that
 * every variable the agent reads is visible in one place (and in README).
 * EVIDENCE_KEY_PEM is a secret: it is copied, used and wiped, never logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/time.h"
#include "log.h"
#include "util/redact.h"
#include "util/mem.h"

const char *ea_config_store_url(const char *flag)
{
    const char *env = getenv("EVIDENCE_STORE");

    if (flag && *flag) return flag;
    if (env && *env) return env;
    return EA_DEFAULT_STORE;
}

int ea_config_agent_id(char *out, size_t cap, const char *flag)
{
    const char *env = getenv("EVIDENCE_AGENT_ID");
    char host[256];
    const char *v = flag && *flag ? flag : env && *env ? env : NULL;
    size_t n = 0;

    if (!v) {
        if (gethostname(host, sizeof(host)) == 0) {
            host[sizeof(host) - 1] = '\0';
            v = host;
        } else {
            v = "agent";
        }
    }
    /* The ID names streams, which are store keys: keep it to a safe alphabet. */
    for (; *v && n + 1 < cap && n < 64; v++) {
        char c = *v;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        out[n++] = ok ? c : '-';
    }
    out[n] = '\0';
    if (n == 0) return ea_fail(EA_EUSAGE, "agent ID is empty (pass --agent-id NAME)");
    return 0;
}

int ea_config_signing_key(struct ea_key **out, const char *flag)
{
    const char *path = flag && *flag ? flag : getenv("EVIDENCE_KEY");
    const char *pem = getenv("EVIDENCE_KEY_PEM");
    char *copy;
    size_t len;
    int rc;

    *out = NULL;
    if (path && *path) return ea_key_load_private_file(out, path);
    if (!pem || !*pem)
        return ea_fail(EA_ECONFIG,
                       "no signing key (make one with 'evidence-agent keygen --private key.pem "
                       "--public key.pub', then pass --key key.pem, or set EVIDENCE_KEY to its "
                       "path or EVIDENCE_KEY_PEM to its contents)");
    len = strlen(pem);
    copy = ea_strndup(pem, len);
    if (!copy) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_key_load_private_pem(out, copy, len, "EVIDENCE_KEY_PEM");
    ea_free_secret(copy, len);
    return rc;
}

int ea_config_public_keys(struct ea_key ***out, const char *const *paths, size_t n)
{
    struct ea_key **keys;
    int rc = 0;

    *out = NULL;
    keys = ea_calloc(n ? n : 1, sizeof(*keys));
    if (!keys) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) rc = ea_key_load_public_file(&keys[i], paths[i]);
    if (rc < 0) {
        ea_config_keys_free(keys, n);
        return rc;
    }
    *out = keys;
    return 0;
}

void ea_config_keys_free(struct ea_key **keys, size_t n)
{
    if (!keys) return;
    for (size_t i = 0; i < n; i++) ea_key_free(keys[i]);
    ea_free(keys);
}

static const char *const own_secrets[] = {
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "EVIDENCE_KEY_PEM",
    "EA_INGEST_TOKEN",
    NULL,
};

static int add_env_value(struct ea_redactor *r, const char *name, bool named_by_user)
{
    const char *v = getenv(name);
    int rc;

    if (!v || !*v) {
        if (named_by_user)
            EA_LOG_WARN(NULL, "--redact-env %s: the variable is not set; nothing to redact", name);
        return 0;
    }
    rc = ea_redactor_add_literal(r, v, strlen(v));
    if (rc == EA_EINPUT) { /* too short to mask safely; say so without the value */
        EA_LOG_WARN(NULL, "%s: value too short to redact (under 4 bytes)", name);
        ea_error_clear();
        return 0;
    }
    return rc;
}

int ea_config_redactor(struct ea_redactor **out, const char *const *names, size_t n)
{
    struct ea_redactor *r = NULL;
    int rc = ea_redactor_new(&r);

    *out = NULL;
    for (size_t i = 0; rc == 0 && own_secrets[i]; i++) rc = add_env_value(r, own_secrets[i], false);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = add_env_value(r, names[i], true);
    if (rc < 0) {
        ea_redactor_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int ea_config_period(int64_t *since_us, int64_t *until_us, const char *since, const char *until,
                     int64_t dflt_until)
{
    int rc;

    *since_us = INT64_MIN;
    *until_us = dflt_until;
    if (since && (rc = ea_time_parse(since_us, since, false)) < 0) {
        ea_fail_prefix("--since");
        return rc;
    }
    if (until && (rc = ea_time_parse(until_us, until, true)) < 0) {
        ea_fail_prefix("--until");
        return rc;
    }
    if (*since_us > *until_us) return ea_fail(EA_EUSAGE, "--since is after --until (swap them)");
    return 0;
}

const char *ea_config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}
