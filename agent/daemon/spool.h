/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's durable spool: signed envelopes wait here until every
 * configured store has confirmed them. A batch is one file of lines,
 *
 *   E <envelope JSON>                               a record
 *   H {"stream":..,"sequence":..,"last_id":..}       a stream head
 *   T <key> <companion JSON>                          a record's RFC 3161 token (timestamp.h)
 *   B <base64 of a blob's bytes>                    a blob (attest --attach through ingest)
 *
 * written under a temporary name, fsynced and renamed into pending/, so a
 * batch is either wholly spooled or not at all. Batch names sort in the
 * order they were committed: "<time_us>-<random>-<records>[-<tag>].batch".
 * The shipper reads them oldest first and removes one only after every
 * store confirmed it (stores' puts are idempotent, so a crash in between
 * ships it again to the same keys: no store ever holds a record twice).
 *
 * Writers are ea_store objects (one per thread): the pipeline puts and syncs
 * into them as into any store, and each sync commits one batch.
 * All functions are thread-safe.
 */
#ifndef EA_DAEMON_SPOOL_H
#define EA_DAEMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"

struct ea_spool;

/** Counters of the pending batches. */
struct ea_spool_stats {
    uint64_t batches, records, bytes;
    uint64_t max_bytes;
    bool full; /* bytes reached max_bytes (a limit of 0 is none) */
};

/**
 * Opens (creating) the spool at dir and counts what is already pending.
 * Leftover temporary files of a crash are removed.
 * @param out owned; ea_spool_close.
 */
int ea_spool_open(struct ea_spool **out, const char *dir, uint64_t max_bytes);
void ea_spool_close(struct ea_spool *s);
/** Changes the size limit (a reload). */
void ea_spool_set_max(struct ea_spool *s, uint64_t max_bytes);
const char *ea_spool_dir(const struct ea_spool *s);

/** A writer for one thread. @param out owned; ea_store_close. */
int ea_spool_writer(struct ea_spool *s, struct ea_store **out);
/**
 * Tags the next batch committed by this writer (a 64-hex source digest of
 * the drop folder), or clears the tag with NULL.
 */
void ea_spool_writer_tag(struct ea_store *w, const char *tag);
/** Puts raw envelope bytes (already verified) into w's batch. */
int ea_spool_writer_put_raw(struct ea_store *w, const char *json, size_t len);

/** True when the pending bytes reached the limit (collection pauses). */
bool ea_spool_full(struct ea_spool *s);
void ea_spool_stats(struct ea_spool *s, struct ea_spool_stats *out);

/** The pending batch names, oldest first. @param out free with ea_fs_names_free. */
int ea_spool_list(struct ea_spool *s, char ***out, size_t *n);

/** One line of a batch: an envelope (env filled), a stream head or a blob. */
struct ea_spool_item {
    bool is_head;
    bool is_object;   /* a T line: put under key (ea_store_put_object) */
    char *key, *data; /* when is_object; owned; data ends in a newline */
    size_t data_len;
    bool is_blob;        /* blob, blob_len and blob_sha256 filled; env and head empty */
    unsigned char *blob; /* owned by the batch */
    size_t blob_len;
    char blob_sha256[65];
    struct ea_envelope env;     /* when !is_head; owned by the batch */
    struct ea_stream_head head; /* when is_head; strings owned by the batch; envelope NULL for
                                   an unsigned head spooled by an older version (not shipped) */
};

struct ea_spool_batch {
    char *name; /* owned */
    char tag[65];
    struct ea_spool_item *items; /* owned */
    size_t n;
    uint64_t bytes;
};

/** Reads and parses a pending batch. @param out caller's storage; dispose it (also on error). */
int ea_spool_read(struct ea_spool *s, const char *name, struct ea_spool_batch *out);
/** Parses a batch's bytes (name: the batch's file name). Dispose out also on error. */
int ea_spool_parse(struct ea_spool_batch *out, const char *name, const char *data, size_t len);
void ea_spool_batch_dispose(struct ea_spool_batch *b);
/**
 * Removes a shipped batch. A tagged batch leaves a marker (see
 * ea_spool_tag_seen) first, so the drop folder knows its source was spooled
 * even after the batch is gone.
 */
int ea_spool_remove(struct ea_spool *s, const struct ea_spool_batch *b);
/** Moves a batch that can never ship (unreadable) aside to rejected/, with the reason. */
int ea_spool_reject(struct ea_spool *s, const char *name, const char *reason);
/** True when a batch with this tag is pending or was shipped (its marker exists). */
bool ea_spool_tag_seen(struct ea_spool *s, const char *tag);
/**
 * Removes markers older than max_age_us. The drop folder calls it after a
 * pass, when every source a crash may have left behind has been seen again.
 */
void ea_spool_tags_prune(struct ea_spool *s, int64_t max_age_us);

/** A counter bumped by every commit, removal and ea_spool_wake: read it before looking. */
uint64_t ea_spool_wakeups(struct ea_spool *s);
/**
 * Waits until the counter differs from seen (a batch was committed, or
 * ea_spool_wake was called since it was read) or timeout_ms passes. Reading
 * the counter before the work that decides to wait means no wake-up is lost.
 */
void ea_spool_wait(struct ea_spool *s, uint64_t seen, long timeout_ms);
void ea_spool_wake(struct ea_spool *s);

#endif
