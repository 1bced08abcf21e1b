/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 keys, through OpenSSL. A key's ID is the hex SHA-256 of its public
 * key's DER SubjectPublicKeyInfo. Private keys are PKCS#8 PEM, public keys
 * SPKI PEM: both readable by `openssl pkey`. Private key text never leaves
 * this module: loaded buffers are wiped. DSSE envelopes are dsse.h's.
 */
#ifndef EA_KEYS_H
#define EA_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/** Length of an Ed25519 signature in bytes. */
#define EA_KEY_SIG_LEN 64

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
/** Loads an SPKI PEM public key from text (NUL-terminated); origin names it in errors. */
int ea_key_load_public_pem(struct ea_key **out, const char *pem, size_t len, const char *origin);
/** Writes the private key, PKCS#8 PEM, mode 0600; refuses to replace a file unless force. */
int ea_key_write_private(const struct ea_key *key, const char *path, bool force);
/** Writes the public key, SPKI PEM, mode 0644; refuses to replace a file unless force. */
int ea_key_write_public(const struct ea_key *key, const char *path, bool force);
/** The public key as SPKI PEM text. @param out owned (ea_free). */
int ea_key_public_pem(char **out, const struct ea_key *key);
/** The key ID (64 hex). Borrowed; lives as long as key. */
const char *ea_key_id(const struct ea_key *key);
/** True when key holds a private part (can sign). */
bool ea_key_has_private(const struct ea_key *key);
/** Where the key came from (path or "EVIDENCE_KEY_PEM"). Borrowed. */
const char *ea_key_origin(const struct ea_key *key);
/** Frees key; accepts NULL. */
void ea_key_free(struct ea_key *key);

/** Ed25519-signs msg into sig. @return 0 or EA_EUSAGE for a public-only key. */
int ea_key_sign(const struct ea_key *key, unsigned char sig[EA_KEY_SIG_LEN], const void *msg,
                size_t len);
/** True when sig is a valid Ed25519 signature of msg by key. */
bool ea_key_verify(const struct ea_key *key, const unsigned char *sig, size_t sig_len,
                   const void *msg, size_t len);

#endif
