/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline of one record: a collector's fact is normalised into a
 * Statement, given its controls, serialised once, signed, and either stored
 * (then the stream head advances) or printed (dry run). One pipeline is one
 * stream: records it makes are numbered 1, 2, ... and chained by `previous`.
 */
#ifndef EA_PIPELINE_H
#define EA_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <evidence/collector.h>

#include "controls.h"
#include "record.h"
#include "registry.h"
#include "dsse.h"
#include "store/store.h"
#include "tsa.h"

struct ea_pipeline_opts {
    const struct ea_key *key;           /* borrowed; signs every record */
    struct ea_store *store;             /* borrowed; NULL with a dry run */
    FILE *dry_run_out;                  /* borrowed; envelopes as JSON lines when store is NULL */
    const char *agent_id;               /* borrowed */
    const char *stream;                 /* borrowed; [A-Za-z0-9._-]{1,128} */
    const struct ea_control_set *extra; /* borrowed; added to every record's controls */
    const json_t *framework_refs;       /* borrowed; NULL or the framework IDs that asked for
                                           some of extra (frameworks.h), said in every record */
    int64_t (*clock_us)(void);          /* NULL = wall clock (tests freeze it) */
    unsigned batch_max;                 /* records per group commit; 0 = 256 */
    const struct ea_redactor *redactor; /* borrowed; NULL = built-in patterns only */
    struct ea_store *read_store;        /* borrowed; where host->latest looks (NULL = store) */
    bool no_history;                    /* host->latest finds nothing (no readable store) */
    bool one_commit;                    /* the store commits records and head in one sync (spool) */
    const char *state_dir; /* borrowed; NULL = none: the daemon's local state (state.h),
                              where host->latest looks first, updated on each commit */
    bool skip_unchanged;   /* with state_dir: a fact equal to the last record of its
                              kind and subject makes no record (counted in unchanged) */
    json_t *made;          /* borrowed; NULL or an array: each record made is appended
                              as {id, kind, controls, result, collector, sequence} */
    struct ea_tsa *tsa;    /* borrowed; NULL = no timestamps. Each commit asks for
                              one token over its records (tsa.h) and stores their
                              companions with them */
    bool tsa_required;     /* with tsa: no token, nothing committed (EA_ERETRY);
                              else the records are committed and counted unstamped */
    /* with tsa, not required: told of the records committed without a token (the daemon
       keeps them to timestamp later); NULL: only counted */
    void (*tsa_unstamped)(void *payload, const struct ea_tsa_leaf *leaves, size_t n);
    void *tsa_payload;
};

struct ea_pipeline {
    struct ea_pipeline_opts o;
    uint64_t sequence;                    /* of the last record made */
    char previous[EA_SHA256_HEX_LEN + 1]; /* its ID, "" before the first */
    unsigned records;                     /* made by this pipeline */
    unsigned staged;                      /* put since the last flush */
    unsigned unheaded;                    /* made since the last head (dry run prints heads) */
    unsigned failed_results;              /* records whose result is fail */
    unsigned error_results;               /* records whose result is error */
    unsigned unchanged;                   /* facts not recorded again (skip_unchanged) */
    json_t *state_pending;      /* owned: [[statement, id]] written to state_dir on commit */
    struct ea_tsa_leaf *leaves; /* owned: the staged records to timestamp */
    size_t nleaves, leaves_cap;
    unsigned stamped;   /* records committed with a token */
    unsigned unstamped; /* records committed without one (TSA down) */
};

/**
 * A new stream's name: "<agent-id>[.<label>].<UTC second>Z.<random>", unique
 * without coordination. @param label NULL or [A-Za-z0-9._-] (cut at 32).
 */
int ea_pipeline_stream_name(char *out, size_t cap, const char *agent_id, const char *label);

/** Initialises p (caller's storage); ea_pipeline_dispose after the last use. */
void ea_pipeline_init(struct ea_pipeline *p, const struct ea_pipeline_opts *opts);
/** Where the error record of a collector without default controls is filed (monitoring). */
#define EA_PIPELINE_ERROR_CONTROL "A.8.16"

/** One collector instance between init and collect. Caller's storage; it must not move. */
struct ea_instance {
    const struct ea_collector *c;
    void *state;
    bool open;
    struct ea_host host;
    struct ea_host_ctx hctx;
};

/**
 * Checks options against c's table and runs init: no record is made, so every
 * input of a run can be checked before any collector runs.
 * @return 0 (close it with ea_instance_close or collect it) or the init's code,
 *         the message prefixed with the collector's name.
 */
int ea_instance_open(struct ea_instance *in, const struct ea_collector *c, const char *arg,
                     const json_t *options);
/** Frees an instance that was opened and not collected; safe twice. */
void ea_instance_close(struct ea_instance *in);
/**
 * Runs collect on an open instance and frees it; what was emitted is committed
 * either way.
 * @param record_failed when not NULL, true when the failure was in making or
 *        storing a record (the pipeline's), not in the collector.
 * @return the number of records made (>= 0) or a negative EA_E* code.
 */
int ea_pipeline_collect(struct ea_pipeline *p, struct ea_instance *in, bool *record_failed);
/**
 * Records that c failed on arg: one `custom` record with result error, filed
 * under c's default controls (else EA_PIPELINE_ERROR_CONTROL) and the extra ones.
 * @param why the failure, said in the summary and data.error (already redacted by the pipeline).
 */
int ea_pipeline_error_record(struct ea_pipeline *p, const struct ea_collector *c, const char *arg,
                             const char *why);
/** Frees what p holds (pending local state); p may be initialised again. */
void ea_pipeline_dispose(struct ea_pipeline *p);
/**
 * Runs one collector instance: init with arg and options, collect, free.
 * Every emitted fact goes through ea_pipeline_fact with the collector's
 * defaults plus the pipeline's extra controls.
 * @return the number of records made (>= 0) or a negative EA_E* code.
 */
int ea_pipeline_run(struct ea_pipeline *p, const struct ea_collector *c, const char *arg,
                    const json_t *options);
/**
 * Commits staged records: the store syncs them, then the signed stream head
 * advances to the last one and is synced too. With a dry run, prints the
 * signed head after the records made since the last one. Called by ea_pipeline_run and
 * whenever batch_max records are staged; call it after ea_pipeline_fact.
 */
int ea_pipeline_flush(struct ea_pipeline *p);
/**
 * Makes one record from a fact.
 * @param defaults NULL-terminated default control IDs of the collector.
 */
int ea_pipeline_fact(struct ea_pipeline *p, const struct ea_collector *c,
                     const char *const *defaults, const struct ea_fact *fact);

#endif
