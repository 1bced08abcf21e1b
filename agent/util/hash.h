/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256, hex and base64 through OpenSSL. Base64 decoding accepts the
 * standard and the URL-safe alphabets, with or without padding, as the DSSE
 * specification requires of verifiers.
 */
#ifndef EA_UTIL_HASH_H
#define EA_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EA_SHA256_LEN 32
#define EA_SHA256_HEX_LEN 64

/** Writes the lower-case hex SHA-256 of p[0..n) into out (65 bytes with NUL). */
int ea_sha256_hex(char out[EA_SHA256_HEX_LEN + 1], const void *p, size_t n);
/** Raw SHA-256. */
int ea_sha256(unsigned char out[EA_SHA256_LEN], const void *p, size_t n);
/** Lower-case hex of n bytes into out (2n+1 bytes). */
void ea_hex_encode(char *out, const unsigned char *p, size_t n);
/** True when s is exactly n lower-case hex digits. */
bool ea_is_hex(const char *s, size_t n);

/** Standard base64 with padding. @param out owned, NUL-terminated. */
int ea_base64_encode(char **out, size_t *out_len, const void *p, size_t n);
/**
 * Decodes standard or URL-safe base64, padding optional.
 * @param out owned on success (NUL-terminated for convenience, not counted).
 * @return 0 or EA_EINPUT (message names what) or EA_ENOMEM.
 */
int ea_base64_decode(unsigned char **out, size_t *out_len, const char *s, size_t n);

/**
 * A random 32-bit value for jitter and backoff (OpenSSL's RAND, the clock
 * when that fails). Never for keys, tokens or anything an attacker must not
 * guess.
 */
uint32_t ea_random32(void);

#endif
