/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure parsing for the git collector; see git_parse.h. Works on bytes with
 * explicit bounds and never reads past them, whatever the input.
 */
#include "git_parse.h"

#include "util/redact.h"

json_t *ea_git_json_text(const char *s, size_t n, size_t max_bytes)
{
    return ea_redact_utf8_json(s, n, max_bytes);
}
