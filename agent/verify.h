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

#include "dsse.h"
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
};

struct ea_verify_result {
    size_t objects, records, streams, checkpoints;
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

#endif
