/* SPDX-License-Identifier: Apache-2.0 */
/* Edit distance for suggestions; see text.h. One row of the table, on the stack. */
#include "text.h"

#include "mem.h"

#include <ctype.h>
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
