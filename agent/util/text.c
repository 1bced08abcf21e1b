/* SPDX-License-Identifier: Apache-2.0 */
/* Edit distance for suggestions; see text.h. One row of the table, on the stack. */
#include "text.h"

#include "mem.h"

#include <evidence/common.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t ea_text_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[EA_TEXT_DISTANCE_MAX + 1];

    if (la > EA_TEXT_DISTANCE_MAX || lb > EA_TEXT_DISTANCE_MAX) return EA_TEXT_FAR;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best =
                diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

char *ea_query_param(const char *q, const char *name)
{
    size_t n = strlen(name);

    while (q && *q) {
        size_t len = strcspn(q, "&");
        if (len > n && strncmp(q, name, n) == 0 && q[n] == '=')
            return ea_strndup(q + n + 1, len - n - 1);
        q += len + (q[len] == '&');
    }
    return NULL;
}

int ea_size_parse(uint64_t *out, const char *text)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0},   {"B", 0},    {"K", 10},  {"KiB", 10}, {"M", 20}, {"MiB", 20},
                 {"G", 30}, {"GiB", 30}, {"KB", 10}, {"MB", 20},  {"GB", 30}};
    char *end;
    unsigned long long v;

    if (!text || !isdigit((unsigned char)*text)) return EA_EINPUT;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno) return EA_EINPUT;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) != 0) continue;
        if (v > (UINT64_MAX >> units[i].shift)) return EA_EINPUT;
        *out = (uint64_t)v << units[i].shift;
        return 0;
    }
    return EA_EINPUT;
}
