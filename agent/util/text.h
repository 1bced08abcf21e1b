/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small text helpers shared by the "did you mean" suggestions of the command
 * line and of the control catalogue.
 */
#ifndef EA_UTIL_TEXT_H
#define EA_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/** Longest text ea_text_distance compares; longer texts are "far" (EA_TEXT_FAR). */
#define EA_TEXT_DISTANCE_MAX 63
#define EA_TEXT_FAR 99

/** Levenshtein distance between a and b, ASCII case-insensitive. */
size_t ea_text_distance(const char *a, const char *b);
/**
 * The value of name in a URL query string "a=1&b=2" (q may be NULL), as an
 * owned copy (ea_free), or NULL when absent. Values are taken as written.
 */
char *ea_query_param(const char *q, const char *name);

/** Parses a size: "512", "64KiB", "16MiB", "1GiB" (K, M, G alike). @return 0 or EA_EINPUT. */
int ea_size_parse(uint64_t *out, const char *text);

#endif
