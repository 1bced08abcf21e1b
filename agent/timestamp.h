/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3161 timestamp tokens of records, as stored: one companion object per
 * record, beside it in every store, which never changes the signed bytes.
 *
 *   timestamps/<first two hex of the ID>/<record ID>.json
 *   {"type": EA_TIMESTAMP_TYPE, "record": "<ID>", "signature_sha256": "<hex>",
 *    "tsa": "<URL, no userinfo or query>", "nonce": "<hex of the request's nonce>",
 *    "merkle": {"index": i, "size": n, "path": ["<hex>", ...]},      (batches only)
 *    "response": "<base64 of the DER TimeStampResp, as the TSA sent it>"}
 *
 * What is timestamped is the record's DSSE signature (the raw bytes the
 * envelope's first signature decodes to). Alone, the token's SHA-256 message
 * imprint is SHA-256(signature): what a Sigstore bundle's
 * rfc3161Timestamps[].signedTimestamp expects, so the response can be copied
 * there as it is. In a batch (one token for many records, "merkle" present)
 * the imprint is the root of an RFC 9162 Merkle tree whose leaf i is
 * SHA-256(0x00 || SHA-256(signature_i)) and whose nodes are
 * SHA-256(0x01 || left || right); path is the inclusion path of the leaf,
 * from the leaf up.
 *
 * This module parses and judges companions (pure: bytes in, verdict out, so
 * it is fuzzed); tsa.h is the client that makes them. It never trusts a
 * field of the companion that the token or the record can check instead.
 */
#ifndef EA_TIMESTAMP_H
#define EA_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/hash.h"

#define EA_TIMESTAMP_TYPE "application/vnd.evidence-agent.timestamp.v1+json"
/** Largest companion object accepted (a response with its certificates, base64). */
#define EA_TIMESTAMP_MAX_BYTES (256u * 1024)
/** Deepest Merkle path accepted (2^32 records in one batch). */
#define EA_TIMESTAMP_PATH_MAX 32
/** The store key of the companion of record id: "timestamps/ab/<id>.json". */
#define EA_TIMESTAMP_KEY_LEN (11 + 3 + 64 + 5)

/** A parsed (not yet verified) companion. Caller's storage. */
struct ea_timestamp {
    char record[EA_SHA256_HEX_LEN + 1];
    char *tsa;               /* owned */
    unsigned char nonce[32]; /* big-endian, as requested */
    size_t nonce_len;
    bool batched;
    uint64_t index, size; /* batched only */
    unsigned char path[EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN];
    size_t npath;
    unsigned char *response; /* owned: DER TimeStampResp */
    size_t response_len;
};

/** What a verified token says. */
struct ea_timestamp_info {
    int64_t gen_us;     /* genTime (whole seconds and the fraction the TSA gave) */
    char gen_text[40];  /* RFC 3339 */
    char policy[128];   /* the TSA's policy OID */
    char tsa_name[256]; /* the signing certificate's subject (one line), when present */
    bool chain_checked; /* signature and chain verified against trust */
};

/** Writes the store key of record id's companion into out (EA_TIMESTAMP_KEY_LEN + 1). */
void ea_timestamp_key(char out[EA_TIMESTAMP_KEY_LEN + 1], const char *id);
/** True when key has the form of a companion's key (timestamps/xx/<64 hex>.json). */
bool ea_timestamp_key_ok(const char *key);

/**
 * Parses a companion object.
 * @param out caller's storage; dispose with ea_timestamp_dispose (also on error).
 * @return 0, EA_EINPUT naming the field, EA_ETOOBIG or EA_ENOMEM.
 */
int ea_timestamp_parse(struct ea_timestamp *out, const char *json, size_t len);
void ea_timestamp_dispose(struct ea_timestamp *ts);

/**
 * Builds a companion's text.
 * @param out owned text (ea_free), ending in a newline.
 * @param path batched only: npath hashes (borrowed); size 1 means not batched.
 */
int ea_timestamp_build(char **out, size_t *out_len, const char *id,
                       const unsigned char sig_sha256[EA_SHA256_LEN], const char *tsa_url,
                       const unsigned char *nonce, size_t nonce_len, uint64_t index, uint64_t size,
                       const unsigned char (*path)[EA_SHA256_LEN], size_t npath,
                       const unsigned char *response, size_t response_len);

/** Leaf hash of a signature: SHA-256(0x00 || SHA-256(signature)). */
void ea_timestamp_leaf(unsigned char out[EA_SHA256_LEN],
                       const unsigned char sig_sha256[EA_SHA256_LEN]);
/**
 * The Merkle root over n leaves and the inclusion path of every leaf.
 * @param paths   caller's storage: n * EA_TIMESTAMP_PATH_MAX hashes (row i is leaf i's path).
 * @param npaths  caller's storage: n lengths.
 */
int ea_timestamp_tree(unsigned char root[EA_SHA256_LEN],
                      const unsigned char (*leaves)[EA_SHA256_LEN], size_t n,
                      unsigned char (*paths)[EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN], size_t *npaths);

/**
 * The message imprint a companion's token must carry for a record whose
 * signature hashes to sig_sha256: the hash itself alone, else the root its
 * Merkle path leads to.
 * @return 0 or EA_EVERIFY (a path that proves nothing).
 */
int ea_timestamp_expected_imprint(unsigned char out[EA_SHA256_LEN], const struct ea_timestamp *ts,
                                  const unsigned char sig_sha256[EA_SHA256_LEN]);

/**
 * Judges a companion against its record: the companion names record_id; the
 * response is a granted TimeStampResp; its token's SHA-256 imprint is the one
 * the record's signature (and Merkle path) gives; its nonce is the stored
 * one; with trust, its signing certificate was valid at genTime, chains to
 * trust at genTime with the timeStamping purpose, and signed the token; with
 * policy, the token was issued under that policy OID.
 * @param trust  borrowed; NULL checks everything but signature and chain.
 * @param policy NULL or a dotted OID.
 * @return 0, or EA_EVERIFY with a message naming the cause (EA_ENOMEM).
 */
int ea_timestamp_verify(struct ea_timestamp_info *out, const struct ea_timestamp *ts,
                        const char *record_id, const unsigned char sig_sha256[EA_SHA256_LEN],
                        X509_STORE *trust, const char *policy);

/**
 * Judges a raw TimeStampResp against an imprint and nonce (the client's check
 * of an answer, before anything is stored). Same checks and codes as above.
 */
int ea_timestamp_check_response(struct ea_timestamp_info *out, const unsigned char *der,
                                size_t der_len, const unsigned char imprint[EA_SHA256_LEN],
                                const unsigned char *nonce, size_t nonce_len, X509_STORE *trust,
                                const char *policy);

/**
 * Loads the PEM certificates of file (TSA roots, and intermediates) into a new store.
 * @param out owned; X509_STORE_free.
 * @return 0, EA_ECONFIG naming the file (unreadable, no certificate), EA_ENOMEM.
 */
int ea_timestamp_trust_load(X509_STORE **out, const char *file);

#endif
