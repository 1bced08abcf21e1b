/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Remote URLs stripped of credentials; see git_url.h. Works on bytes with
 * explicit bounds and never reads past them, whatever the input.
 */
#include "git_url.h"

#include <string.h>

#include "util/error.h"
#include "util/mem.h"

int ea_git_url_strip(char **out, const char *url)
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
