/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's configuration file (YAML, or JSON): parsed and checked in
 * full before anything runs, so a bad file never half-applies. Every error
 * names the file, the line and column of the key at fault, and the fix.
 * Paths are absolute or relative to the folder of the file. See the README
 * ("Daemon configuration") for every key.
 */
#ifndef EA_DAEMON_DCONFIG_H
#define EA_DAEMON_DCONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <evidence/common.h>

#include "../controls.h"
#include "../util/text.h" /* ea_size_parse, for the daemon's sizes */

/** One scheduled collector. */
struct ea_dcollector {
    char *id;   /* label in logs and metrics; unique; default the name */
    char *name; /* a collector, or "watch" for the drop folder */
    char *arg;  /* resolved against the config's folder; NULL when none */
    int64_t interval_us, jitter_us;
    bool record_unchanged;          /* record facts equal to the last record too (default false) */
    struct ea_control_set controls; /* added to every record it makes */
    json_t *framework_refs;         /* owned; NULL or the FRAMEWORK:IDs among controls:, said in
                                       every record it makes (frameworks.h) */
    json_t *options;                /* owned object: passed to the collector */
    long line, column;              /* where the entry is in the file (0 when unknown) */
};

#define EA_DSTORE_UNREADY_AFTER_DEFAULT_US (15LL * 60 * 1000000)

/** One store records are shipped to. */
struct ea_dstore {
    char *url;                /* owned; the open URL with the entry's options as query parameters */
    char *label;              /* owned; for logs and metrics: no credentials, no query */
    long line, column;        /* where the entry is in the file (0 when unknown) */
    int64_t unready_after_us; /* failing longer than this makes /readyz 503; default 15m */
};

struct ea_dconfig {
    char *path; /* the file, as given */
    char *agent_id;
    char *spool;
    uint64_t spool_max;
    char *listen;           /* "HOST:PORT", or NULL for no HTTP server */
    char *ingest_token_env; /* NULL: ingest off */
    uint64_t ingest_max;
    char **trusted_keys;
    size_t ntrusted;
    long trusted_line; /* the line of agent.trusted_keys (0 when unknown) */
    enum ea_log_level log_level;
    int64_t drain_timeout_us;
    int64_t checkpoint_interval_us; /* 0: no scheduled checkpoints */
    char **plugins;
    size_t nplugins;
    char **redact_env;
    size_t nredact;
    char *key_path; /* signing.key, or NULL */
    char *key_env;  /* signing.key_env, or NULL */
    char **tsa;     /* signing.tsa: RFC 3161 TSA URLs, tried in order (none: no timestamps) */
    size_t ntsa;
    char *tsa_policy; /* signing.tsa_policy, or NULL */
    struct ea_dstore *stores;
    size_t nstores;
    struct ea_dcollector *collectors;
    size_t ncollectors;
};

/**
 * Loads and checks path: keys, types, durations, sizes, control IDs,
 * collector names (after loading the plug-ins it names).
 * @param out owned; ea_dconfig_free.
 * @return 0 or EA_ECONFIG "FILE:LINE:COLUMN: what: problem (fix)".
 */
int ea_dconfig_load(struct ea_dconfig **out, const char *path);
/** The same from memory; path names the file in messages and anchors relative paths. */
int ea_dconfig_parse(struct ea_dconfig **out, const char *path, const char *data, size_t len);
void ea_dconfig_free(struct ea_dconfig *c);

#endif
