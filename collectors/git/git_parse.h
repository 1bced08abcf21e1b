/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure helpers of the git collector, kept apart so they are unit-tested and
 * fuzzed without a repository: turning arbitrary bytes (commit messages,
 * names) into valid UTF-8 JSON. Remote URLs are stripped by util/git_url.h,
 * which the config collector uses too.
 */
#ifndef EA_GIT_PARSE_H
#define EA_GIT_PARSE_H

#include <stddef.h>

#include <jansson.h>

/**
 * A JSON string of at most max_bytes from s[0..n): invalid UTF-8 sequences
 * become U+FFFD and a multibyte character is never cut.
 * @return new reference, or NULL when out of memory.
 */
json_t *ea_git_json_text(const char *s, size_t n, size_t max_bytes);

#endif
