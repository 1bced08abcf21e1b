/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The signed statements that make deletion visible: stream heads and store
 * checkpoints. Both are DSSE envelopes signed like records (Ed25519, PAE),
 * each with its own payloadType, so no head or checkpoint can pass as a
 * record or the other way round.
 *
 *   head        streams/<stream>.json
 *               {"_type":EA_HEAD_TYPE,"stream":..,"sequence":N,"last_id":..,"time":..}
 *   checkpoint  checkpoints/<agent-id>/<sequence, 12 digits>.json
 *               {"_type":EA_CHECKPOINT_TYPE,"agent":..,"sequence":N,
 *                "previous":<SHA-256 hex of the previous checkpoint's stored bytes>|null,
 *                "time":..,"streams":{"<stream>":{"sequence":N,"last_id":..},..}}
 *
 * Every agent keeps its own checkpoint chain (1, 2, ... linked by digest), so
 * several agents writing one store never race for a name; each checkpoint
 * states every stream of the store as its writer saw it. Both are stored as
 * the envelope and a newline, so a digest is over the file exactly as stored.
 */
#ifndef EA_INTEGRITY_H
#define EA_INTEGRITY_H

#include <stdint.h>

#include "record.h"
#include "dsse.h"
#include "store/store.h"

#define EA_HEAD_PAYLOAD_TYPE "application/vnd.evidence-agent.stream-head+json"
#define EA_HEAD_TYPE "https://evidence-agent.dev/stream-head/v1"
#define EA_CHECKPOINT_PAYLOAD_TYPE "application/vnd.evidence-agent.checkpoint+json"
#define EA_CHECKPOINT_TYPE "https://evidence-agent.dev/checkpoint/v1"
/** Largest head or checkpoint object a reader accepts. */
#define EA_HEAD_MAX_BYTES 4096
/* A checkpoint is read like any store object: at most EA_STORE_OBJECT_MAX (some 18,000
 * streams). */
#define EA_CHECKPOINT_MAX_BYTES EA_STORE_OBJECT_MAX

/** A parsed head. Caller's storage, nothing to dispose. */
struct ea_head {
    char stream[EA_STREAM_MAX + 1];
    uint64_t sequence;
    char last_id[EA_SHA256_HEX_LEN + 1];
    int64_t time_us;
};

/**
 * Signs a head for (stream, sequence, last_id) at time_us.
 * @param out owned text of the envelope, without newline (ea_free).
 */
int ea_head_sign(char **out, size_t *out_len, const char *stream, uint64_t sequence,
                 const char *last_id, int64_t time_us, const struct ea_key *key);
/**
 * Parses a head envelope and, when nkeys > 0, checks its signature.
 * @return 0; EA_EVERIFY with a message (unsigned head of an older version,
 *         not an envelope, wrong payloadType, bad signature, bad payload).
 */
int ea_head_parse(struct ea_head *out, const char *json, size_t len, struct ea_key *const *keys,
                  size_t nkeys);

/**
 * Accepts a head that arrives from outside (ingest, the drop folder): it must
 * be signed by one of keys (nkeys 0 refuses every head), then it is staged in w.
 * @return 0, EA_EVERIFY or EA_EINPUT (the message says why), or w's error.
 */
int ea_head_accept(struct ea_store *w, const char *json, size_t len, struct ea_key *const *keys,
                   size_t nkeys);
/** True when doc is a JSON object whose payloadType is the head's. */
bool ea_head_is(const json_t *doc);

/** One stream as a checkpoint states it. */
struct ea_checkpoint_stream {
    char *stream; /* owned */
    uint64_t sequence;
    char last_id[EA_SHA256_HEX_LEN + 1];
};

/** A parsed checkpoint. Caller's storage; ea_checkpoint_dispose. */
struct ea_checkpoint {
    char agent[EA_STREAM_MAX + 1];
    uint64_t sequence;
    char previous[EA_SHA256_HEX_LEN + 1]; /* "" for the first of a chain */
    int64_t time_us;
    struct ea_checkpoint_stream *streams; /* owned, sorted by name */
    size_t nstreams;
};

void ea_checkpoint_dispose(struct ea_checkpoint *cp);
/**
 * Parses a checkpoint envelope and, when nkeys > 0, checks its signature.
 * @param out caller's storage; dispose also on error.
 * @return 0, EA_EVERIFY with a message, or EA_ENOMEM.
 */
int ea_checkpoint_parse(struct ea_checkpoint *out, const char *json, size_t len,
                        struct ea_key *const *keys, size_t nkeys);
/** The key of a checkpoint: checkpoints/<agent>/<sequence:012>.json (EA_STORE_KEY_MAX). */
int ea_checkpoint_key(char *out, const char *agent, uint64_t sequence);
/**
 * Writes the next checkpoint of agent's chain to st: every stream head of
 * the store as found now, linked to the agent's latest checkpoint there.
 * A head is stated only when it verifies with key (its public half) or one
 * of trusted, is named for its stream, is not behind the previous
 * checkpoint, and (when it moved on since) names a record of the store that
 * verifies and is that stream's record at that sequence. A head that fails
 * is logged (a warning) and counted in *skipped; a stream the previous
 * checkpoint stated and this one cannot keeps its previous state.
 * @param written out (may be NULL): the new checkpoint's key.
 * @param skipped out (may be NULL): how many heads were not taken.
 * @return 0, or an error naming what is wrong (EA_EVERIFY when the agent's
 *         latest checkpoint in the store is not signed by key).
 */
int ea_checkpoint_write(struct ea_store *st, const struct ea_key *key,
                        struct ea_key *const *trusted, size_t ntrusted, const char *agent,
                        int64_t time_us, char written[EA_STORE_KEY_MAX], unsigned *skipped);

#endif
