/* SPDX-License-Identifier: Apache-2.0 */
/* Branch protection on the forge; see protection.c. */
#ifndef EA_PROTECTION_H
#define EA_PROTECTION_H

#include <jansson.h>

/**
 * GitHub's classic protection (a GET .../protection body, or NULL when there
 * is none) and the rules that apply to the branch (GET .../rules/branches/{b},
 * an array) merged into one effective answer: the stricter of the two for
 * every setting. @return new reference, without "bypass".
 */
json_t *ea_protection_github_merge(const json_t *classic, const json_t *rules);

#endif
