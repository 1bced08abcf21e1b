/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validity. Every string in a record must be valid UTF-8 (JSON
 * requires it); telling invalid input apart from out-of-memory needs a check
 * that does not allocate.
 */
#ifndef EA_UTIL_UTF8_H
#define EA_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/** True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool ea_utf8_valid(const char *s, size_t n);

/**
 * A JSON string of at most max_bytes from s[0..n): invalid sequences and NUL
 * become U+FFFD, and a multibyte character is never cut.
 * @return new reference, or NULL when out of memory.
 */
json_t *ea_utf8_json(const char *s, size_t n, size_t max_bytes);

#endif
