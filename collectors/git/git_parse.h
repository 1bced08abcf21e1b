/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure helpers of the git collector, kept apart so they are unit-tested and
 * fuzzed without a repository: credential stripping of remote URLs and
 * turning arbitrary bytes (commit messages, names) into valid UTF-8 JSON.
 */
#ifndef EA_GIT_PARSE_H
#define EA_GIT_PARSE_H

#include <stddef.h>

#include <jansson.h>

/** Longest remote URL accepted; longer ones are an input error. */
#define EA_GIT_URL_MAX 2048

/**
 * Removes credentials from a remote URL: any userinfo of a scheme://
 * URL, and its query and fragment. scp-like "user@host:path" keeps its user
 * (it names an SSH account, not a secret); a local path is kept as is.
 * @param out owned on success (ea_free).
 * @return 0, EA_EINPUT (too long) or EA_ENOMEM.
 */
int ea_git_strip_url(char **out, const char *url);

/**
 * A JSON string of at most max_bytes from s[0..n): invalid UTF-8 sequences
 * become U+FFFD and a multibyte character is never cut.
 * @return new reference, or NULL when out of memory.
 */
json_t *ea_git_json_text(const char *s, size_t n, size_t max_bytes);

#endif
