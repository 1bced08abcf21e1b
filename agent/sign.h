/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 keys and DSSE envelopes, through OpenSSL. A key's ID is the hex
 * SHA-256 of its public key's DER SubjectPublicKeyInfo. Private keys are
 * PKCS#8 PEM, public keys SPKI PEM: both readable by `openssl pkey`.
 * Private key text never leaves this module: loaded buffers are wiped.
 */
#ifndef EA_SIGN_H
#define EA_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "util/buf.h"

/** An Ed25519 key pair or public key. Opaque. */
struct ea_key;

/** Generates a new key pair. @param out owned; free with ea_key_free. */
int ea_key_generate(struct ea_key **out);
/**
 * Loads a PKCS#8 PEM private key from text, or from that text base64-encoded; origin names
 * it in errors (never the text).
 */
int ea_key_load_private_pem(struct ea_key **out, const char *pem, size_t len, const char *origin);
/** Loads a PKCS#8 PEM private key from a file; refused when every user may read the file. */
int ea_key_load_private_file(struct ea_key **out, const char *path);
/** Loads an SPKI PEM public key from a file; a private key is refused (EA_ECONFIG, with a hint). */
int ea_key_load_public_file(struct ea_key **out, const char *path);
/** Writes the private key, PKCS#8 PEM, mode 0600; refuses to replace a file unless force. */
int ea_key_write_private(const struct ea_key *key, const char *path, bool force);
/** Writes the public key, SPKI PEM, mode 0644; refuses to replace a file unless force. */
int ea_key_write_public(const struct ea_key *key, const char *path, bool force);
/** The key ID (64 hex). Borrowed; lives as long as key. */
const char *ea_key_id(const struct ea_key *key);
/** Where the key came from (path or "EVIDENCE_KEY_PEM"). Borrowed. */
const char *ea_key_origin(const struct ea_key *key);
/** Frees key; accepts NULL. */
void ea_key_free(struct ea_key *key);

/** Ed25519-signs msg into sig (64 bytes). @return 0 or EA_EUSAGE for a public-only key. */
int ea_key_sign(const struct ea_key *key, unsigned char sig[64], const void *msg, size_t len);
/** True when sig is a valid Ed25519 signature of msg by key. */
bool ea_key_verify(const struct ea_key *key, const unsigned char *sig, size_t sig_len,
                   const void *msg, size_t len);

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
int ea_sign_envelope(struct ea_envelope *env, const struct ea_record_bytes *rec,
                     const struct ea_key *key);

/** Most signatures an envelope may carry. */
#define EA_DSSE_SIGS_MAX 16

/** A parsed (not yet verified) DSSE envelope. Caller's storage. */
struct ea_dsse {
    char *payload_type;      /* owned */
    unsigned char *payload;  /* owned: decoded payload bytes */
    size_t payload_len;
    size_t nsigs;
    struct {
        char *keyid;         /* owned; may be NULL (keyid is only a hint) */
        unsigned char *sig;  /* owned: decoded signature */
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
