/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure parsing for the git collector; see git_parse.h. Works on bytes with
 * explicit bounds and never reads past them, whatever the input.
 */
#include "git_parse.h"

#include <string.h>

#include "error.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/utf8.h"

int ea_git_strip_url(char **out, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host, *end, *at;
    size_t n = strlen(url);

    *out = NULL;
    if (n > EA_GIT_URL_MAX)
        return ea_fail(EA_EINPUT, "remote URL longer than %d bytes", EA_GIT_URL_MAX);
    if (!scheme || strcspn(url, "/") < (size_t)(scheme - url)) {
        *out = ea_strdup(url); /* scp-like or a path: no secret syntax to strip */
        return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
    }
    host = scheme + 3;
    end = host + strcspn(host, "/?#");
    at = NULL;
    for (const char *p = host; p < end; p++) {
        if (*p == '@') at = p; /* the last '@' ends the userinfo */
    }
    if (at) host = at + 1;
    *out = ea_asprintf("%.*s%.*s%.*s", (int)(scheme + 3 - url), url, (int)(end - host), host,
                       (int)strcspn(end, "?#"), end);
    return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t valid_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;

    if (len == 0 || len > n) return 0;
    return ea_utf8_valid((const char *)s, len) ? len : 0;
}

json_t *ea_git_json_text(const char *s, size_t n, size_t max_bytes)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    struct ea_buf b;
    json_t *j;
    size_t i = 0;

    ea_buf_init(&b, 0);
    while (i < n) {
        size_t len = valid_seq((const unsigned char *)s + i, n - i);
        const char *piece = len ? s + i : replacement;
        size_t plen = len ? len : 3;
        if (s[i] == '\0') { /* JSON can hold NUL, but C consumers of records cannot */
            piece = replacement;
            plen = 3;
        }
        if (b.len + plen > max_bytes) break;
        if (ea_buf_append(&b, piece, plen) < 0) {
            ea_buf_dispose(&b);
            ea_error_clear();
            return NULL;
        }
        i += len ? len : 1;
    }
    j = json_stringn_nocheck(b.data ? b.data : "", b.len);
    ea_buf_dispose(&b);
    return j;
}
