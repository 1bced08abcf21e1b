/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse): the
 * pre-authentication encoding, signing a payload into envelope text,
 * parsing an envelope and verifying its signatures against keys (keys.h).
 * An envelope is parsed before it is verified; only verified payload bytes
 * should be trusted by a caller.
 */
#ifndef EA_DSSE_H
#define EA_DSSE_H

#include <stdbool.h>
#include <stddef.h>

#include "keys.h"
#include "record.h"
#include "util/buf.h"

/** Appends the DSSE pre-authentication encoding of (type, body) to out. */
int ea_dsse_pae(struct ea_buf *out, const char *type, const void *body, size_t len);

/**
 * Signs payload as a DSSE envelope of the given payloadType (compact JSON, one
 * signature by key). @param out owned text (ea_free); out_len may be NULL.
 */
int ea_dsse_sign(char **out, size_t *out_len, const char *type, const void *payload, size_t len,
                 const struct ea_key *key);

/**
 * Signs serialised Statement bytes and builds the stored envelope.
 * @param env  caller's storage; on success env->json is owned by env.
 * @param rec  borrowed; its id becomes env->id.
 */
int ea_dsse_sign_envelope(struct ea_envelope *env, const struct ea_record_bytes *rec,
                          const struct ea_key *key);

/** Most signatures an envelope may carry. */
#define EA_DSSE_SIGS_MAX 16

/** A parsed (not yet verified) DSSE envelope. Caller's storage. */
struct ea_dsse {
    char *payload_type;     /* owned */
    unsigned char *payload; /* owned: decoded payload bytes */
    size_t payload_len;
    size_t nsigs;
    struct {
        char *keyid;        /* owned; may be NULL (keyid is only a hint) */
        unsigned char *sig; /* owned: decoded signature */
        size_t sig_len;
    } sigs[EA_DSSE_SIGS_MAX];
};

/**
 * Parses an envelope. Base64 may be standard or URL-safe, padding optional.
 * @return 0, EA_EINPUT naming what is wrong, EA_ETOOBIG or EA_ENOMEM.
 */
int ea_dsse_parse(struct ea_dsse *out, const char *json, size_t len);
void ea_dsse_dispose(struct ea_dsse *d);
/**
 * Verifies that at least one signature of d is a valid Ed25519 signature over
 * PAE(payloadType, payload) by one of keys. keyid only orders the attempts.
 * @param matched out (may be NULL): the key that verified (borrowed from keys).
 * @return 0 or EA_EVERIFY.
 */
int ea_dsse_verify(const struct ea_dsse *d, struct ea_key *const *keys, size_t nkeys,
                   const struct ea_key **matched);

#endif
