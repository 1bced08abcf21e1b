/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RFC 3161 client: asks a Time-Stamping Authority for a token over a
 * SHA-256 imprint (with a fresh 64-bit nonce and certReq), trying each
 * configured TSA in order until one answers with a token that carries that
 * imprint and that nonce, and turns a batch of signed records into their
 * companion objects (timestamp.h): one record alone gets a token over its own
 * signature; several get one token over the Merkle root of their signatures,
 * each with its inclusion path. The client never changes a record.
 */
#ifndef EA_TSA_H
#define EA_TSA_H

#include <stddef.h>

#include "util/hash.h"

/** Most TSAs one client tries. */
#define EA_TSA_URLS_MAX 8

struct ea_tsa;

/** One record to timestamp. Strings borrowed. */
struct ea_tsa_leaf {
    char id[EA_SHA256_HEX_LEN + 1];
    unsigned char sig_sha256[EA_SHA256_LEN]; /* SHA-256 of the record's raw signature */
};

/**
 * Opens a client over urls (tried in order; http or https).
 * @param urls   borrowed, copied; 1 to EA_TSA_URLS_MAX.
 * @param policy NULL, or a dotted OID asked for as reqPolicy.
 * @param out    owned; ea_tsa_close.
 * @return 0 or EA_EUSAGE naming the URL.
 */
int ea_tsa_open(struct ea_tsa **out, const char *const *urls, size_t n, const char *policy);
void ea_tsa_close(struct ea_tsa *t);

/**
 * Timestamps n records with one token and makes their companions.
 * @param texts caller's storage for n owned texts (ea_free each), NULL on failure.
 * @param lens  caller's storage for n lengths.
 * @return 0, or EA_ERETRY when no TSA gave a sound token (the message names
 *         each TSA and why), EA_ENOMEM.
 */
int ea_tsa_stamp(struct ea_tsa *t, char **texts, size_t *lens, const struct ea_tsa_leaf *leaves,
                 size_t n);

/**
 * Extracts the SHA-256 of the first signature of an envelope (DSSE JSON as stored).
 * @return 0 or EA_EINPUT.
 */
int ea_tsa_envelope_sig(unsigned char out[EA_SHA256_LEN], const char *json, size_t len);

#endif
