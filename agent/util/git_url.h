/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Remote URLs of git repositories, made safe to record: credentials, query
 * and fragment removed. Shared by the collectors that name a repository's
 * remote (git, config), so it lives here and not in either collector's folder.
 * Pure: bytes in, bytes out; tested in tests/collectors/test_git.c.
 */
#ifndef EA_GIT_URL_H
#define EA_GIT_URL_H

/** Longest remote URL accepted; longer ones are an input error. */
#define EA_GIT_URL_MAX 2048

/**
 * Removes credentials from a remote URL: any userinfo of a scheme://
 * URL, and its query and fragment. scp-like "user@host:path" keeps its user
 * (it names an SSH account, not a secret); a local path is kept as is.
 * @param out owned on success (ea_free).
 * @return 0, EA_EINPUT (too long) or EA_ENOMEM.
 */
int ea_git_url_strip(char **out, const char *url);

#endif
