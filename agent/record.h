/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record of one fact, through its life: the Statement (a json_t built by
 * normalise.h), its bytes serialised exactly once (record.c; the record ID is
 * the SHA-256 of those bytes), and the signed DSSE envelope that is stored
 * (dsse.c). The Statement is never re-serialised after ea_record_serialise:
 * signatures, IDs and storage all use those exact bytes.
 */
#ifndef EA_RECORD_H
#define EA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "controls.h"
#include "util/hash.h"

#define EA_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define EA_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
/** Largest Statement we write or accept (an envelope is at most 4/3 of it plus a little). */
#define EA_STATEMENT_MAX_BYTES (4u * 1024 * 1024)
#define EA_ENVELOPE_MAX_BYTES (EA_STATEMENT_MAX_BYTES / 3 * 4 + 64 * 1024)
#define EA_STREAM_MAX 128

/** A signed record ready for the store. Caller's storage; ea_envelope_dispose frees. */
struct ea_envelope {
    char id[EA_SHA256_HEX_LEN + 1]; /* SHA-256 hex of the Statement bytes */
    char *json;                     /* owned: the DSSE envelope exactly as stored */
    size_t json_len;
    int64_t time_us;                /* predicate.collected_at */
    struct ea_control_set controls; /* predicate.controls */
    char stream[EA_STREAM_MAX + 1];
    uint64_t sequence;
};

/** Serialised Statement: the bytes that are signed, and their ID. */
struct ea_record_bytes {
    char id[EA_SHA256_HEX_LEN + 1];
    char *bytes; /* owned, NUL-terminated; free with ea_free */
    size_t len;
};

/** Serialises statement once (compact, keys in insertion order) and computes the ID. */
int ea_record_serialise(struct ea_record_bytes *out, const json_t *statement);
void ea_record_bytes_dispose(struct ea_record_bytes *rb);

/**
 * Parses Statement bytes (already verified, or shown unverified) and checks
 * them against the schemas and the control catalogue.
 * @param out new reference on success.
 */
int ea_record_parse(json_t **out, const void *bytes, size_t len);
/**
 * Fills the store metadata of env (time, controls, stream, sequence) from a
 * parsed Statement. The ID must already be set.
 */
int ea_record_meta_from_statement(struct ea_envelope *env, const json_t *statement);

void ea_envelope_dispose(struct ea_envelope *env);

#endif
