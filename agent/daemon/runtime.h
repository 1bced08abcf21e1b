/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's runtime: everything one configuration needs at run time,
 * prepared in full before it is used, so that a reload swaps in a sound
 * runtime or keeps the running one. The workers (scheduler.h, shipper.h,
 * watch.h, http_server.h) borrow a runtime; daemon.c owns it and decides
 * when one replaces another.
 */
#ifndef EA_DAEMON_RUNTIME_H
#define EA_DAEMON_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../dsse.h"
#include "../store/store.h"
#include "../util/redact.h"
#include "dconfig.h"
#include "metrics.h"
#include "spool.h"

/** Everything a configuration needs at run time, prepared before it is used. */
struct ea_runtime {
    struct ea_dconfig *cfg;  /* owned */
    struct ea_key *key;      /* owned: signs records */
    struct ea_key **trusted; /* owned: what ingested envelopes must verify against */
    size_t ntrusted;
    struct ea_redactor *redactor; /* owned */
    struct ea_spool *spool;       /* owned */
    struct ea_store **stores;     /* owned: the shipper's, one per cfg->stores */
    struct ea_store *history;     /* owned: the scheduler's reader of stores[0], or NULL */
    char *ingest_token;           /* owned secret, or NULL when ingest is off */
    unsigned problems;            /* --check-config: stores that could not open (logged) */
};

/** What ea_runtime_prepare is for. */
enum ea_runtime_mode {
    EA_RUNTIME_CHECK,  /* --check-config: create nothing, open no spool */
    EA_RUNTIME_START,  /* the first start: everything, the spool included */
    EA_RUNTIME_RELOAD, /* SIGHUP: everything but the spool, which the running workers still use */
};

/**
 * Loads the configuration at path and prepares everything it names (see
 * enum ea_runtime_mode).
 * @param out owned on success; free with ea_runtime_free.
 * @return 0, EA_ECONFIG (the message names the file, line and key), EA_EIO or EA_ENOMEM.
 */
int ea_runtime_prepare(struct ea_runtime **out, const char *path, enum ea_runtime_mode mode);

/** Frees rt and everything it owns; accepts NULL. */
void ea_runtime_free(struct ea_runtime *rt);

/**
 * Gives fresh its spool once the old workers stopped: the same folder keeps
 * its spool object (its counters are right, and nothing is recounted under a
 * writer); another folder is opened now. Call it under the write lock that
 * switches the running runtime, since HTTP handlers (which also log through
 * the runtime's redactor) use it under the read lock.
 * @return 0, or the error of opening the other folder (old keeps its spool).
 */
int ea_runtime_hand_over_spool(struct ea_runtime *fresh, struct ea_runtime *old);

/** Undoes ea_runtime_hand_over_spool when fresh did not start: old takes its spool back. */
void ea_runtime_hand_back_spool(struct ea_runtime *old, struct ea_runtime *fresh);

/**
 * One run of a collector entry into rt's spool (a scheduled run, the drop
 * folder's file, an ingested report).
 * @param path      overrides dc->arg when not NULL.
 * @param collector the collector to run (the entry's name, or "scan" for a report).
 * @param options   borrowed; overrides dc->options when not NULL.
 * @param tag       when not NULL, tags the run's one batch (the drop folder's exactly once).
 * @param unchanged not NULL for a scheduled run: it keeps the local state, and gets the
 *                  count of facts equal to their last record (not recorded again).
 * @return records made, or a negative code (the message says why).
 */
int ea_runtime_collect(struct ea_runtime *rt, const struct ea_dcollector *dc, const char *path,
                       const char *collector, const json_t *options, const char *tag,
                       unsigned *unchanged);

/**
 * Ready: rt's spool has room, and no store has been failing (per metrics)
 * for longer than its unready_after. why gets the reason, naming every
 * failing store either way.
 */
bool ea_runtime_ready(struct ea_runtime *rt, struct ea_metrics *metrics, char *why, size_t cap);

/** Gives the heap's free pages back: a run's peak is not kept through the idle hours. */
void ea_runtime_trim(void);

#endif
