/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whole-store check behind `verify`, and behind query, report and export
 * when they are given --pubkey: every object the store holds is judged, each
 * problem is one "FAIL <store>/<key>: <what>" line, and the run goes on to
 * the end. See cmd_verify.c for the list of checks.
 */
#ifndef EA_VERIFY_H
#define EA_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "dsse.h"
#include "key_history.h"
#include "store/store.h"

struct ea_verify_opts {
    struct ea_store *store;     /* borrowed */
    const char *store_url;      /* prefixes every FAIL path */
    struct ea_key *const *keys; /* borrowed; at least one */
    size_t nkeys;
    const char *control;           /* NULL: the whole store; else only this control's records */
    FILE *out;                     /* where FAIL lines go */
    const char *checkpoint_file;   /* NULL, or a saved checkpoint the store must still hold */
    const struct ea_key *sign_key; /* non-NULL: sign unsigned heads of sound streams (migration) */
    /*
     * A window (what one job wrote): only the records listed in [since_us,
     * until_us] (the listing skips the day folders outside it), of stream and
     * of agent_id when given, their streams' continuity inside the window and
     * those streams' heads. Checkpoint chains and objects outside the window
     * are not read.
     */
    bool window;
    int64_t since_us, until_us; /* the window (INT64_MIN/INT64_MAX when open) */
    bool until_given;           /* false: the window runs to now, so heads must end in it */
    const char *stream;         /* NULL, or only records of this stream */
    const char *agent_id;       /* NULL, or only records of this agent */
    /*
     * Trusted time (timestamp.h): with tsa_trust every record must have a
     * companion token that verifies against it, and its collected_at must be
     * within max_skew_us of the token's genTime.
     */
    X509_STORE *tsa_trust;                /* borrowed; NULL: timestamps not judged */
    const char *tsa_policy;               /* NULL, or the policy OID every token must carry */
    int64_t max_skew_us;                  /* with tsa_trust */
    const struct ea_key_history *history; /* borrowed; NULL: any given key at any time */
    bool report_times;                    /* one TIMESTAMP line per timestamped record */
};

struct ea_verify_result {
    size_t objects, records, streams, checkpoints;
    size_t timestamped; /* records whose token verified (with tsa_trust) */
    unsigned problems;
    unsigned heads_signed;
    char *latest; /* owned (ea_free): each chain's latest checkpoint as stored, when all verified */
    size_t latest_len;
};

/**
 * Verifies the store. @param res caller's storage; dispose with ea_verify_result_dispose.
 * @return 0 when the run went through (res->problems says what it found), or
 *         EA_EIO/EA_ENOMEM/EA_ECONFIG when the store or the checkpoint file cannot be read.
 */
int ea_verify_store(const struct ea_verify_opts *o, struct ea_verify_result *res);
void ea_verify_result_dispose(struct ea_verify_result *res);
/**
 * The gate of query, report and export with --pubkey: verifies the whole
 * store (FAIL lines on stderr) before they read it. nkeys 0 checks nothing.
 * @return 0, EA_EVERIFY when anything failed, or the error of the run.
 */
int ea_verify_gate(struct ea_store *st, const char *url, struct ea_key *const *keys, size_t nkeys);

/** What verify, query, report and export may add: trusted time and key history. */
struct ea_verify_extra {
    X509_STORE *tsa_trust;  /* owned (ea_verify_extra_dispose); NULL: none */
    const char *tsa_policy; /* borrowed */
    const char *tsa_ca;     /* borrowed: the file it came from */
    int64_t max_skew_us;
    struct ea_key_history *history; /* owned; NULL: none */
    struct ea_key **keys;           /* owned array of borrowed keys: the caller's, then the
                                       history's (ea_verify_extra_keys) */
    size_t nkeys;
};

/**
 * Loads what --tsa-ca, --tsa-policy, --max-skew and --keys ask for (each NULL when not
 * given; --tsa-policy and --max-skew need --tsa-ca).
 * @param x caller's storage; ea_verify_extra_dispose, also on error.
 * @return 0, EA_EUSAGE, EA_ECONFIG or EA_EINPUT naming the option and file, EA_ENOMEM.
 */
int ea_verify_extra_load(struct ea_verify_extra *x, const char *tsa_ca, const char *tsa_policy,
                         const char *max_skew, const char *keys_file);
/**
 * The keys a run trusts: keys (borrowed), then the key history's, into x->keys.
 * @return 0 or EA_ENOMEM.
 */
int ea_verify_extra_keys(struct ea_verify_extra *x, struct ea_key *const *keys, size_t nkeys);
/**
 * What query, report and export take: ea_verify_extra_load (no --tsa-policy), then
 * ea_verify_extra_keys, and a usage error when --tsa-ca leaves no key to judge with.
 * @return as ea_verify_extra_load; EA_EUSAGE for --tsa-ca without a key.
 */
int ea_verify_extra_setup(struct ea_verify_extra *x, const char *tsa_ca, const char *max_skew,
                          const char *keys_file, struct ea_key *const *keys, size_t nkeys);
void ea_verify_extra_dispose(struct ea_verify_extra *x);

/** ea_verify_gate with trusted time and key history (extra may be NULL). */
int ea_verify_gate_ex(struct ea_store *st, const char *url, struct ea_key *const *keys,
                      size_t nkeys, const struct ea_verify_extra *extra);

#endif
