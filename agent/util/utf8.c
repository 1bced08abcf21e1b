/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 validation per RFC 3629 (Table 3-7 of the Unicode standard). */
#include "utf8.h"

#include "error.h"
#include "buf.h"

bool ea_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        else
            return false;
        if (n - i < len) return false;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (size_t k = 2; k < len; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
        }
        i += len;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t valid_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                                : 0;

    if (len == 0 || len > n) return 0;
    return ea_utf8_valid((const char *)s, len) ? len : 0;
}

json_t *ea_utf8_json(const char *s, size_t n, size_t max_bytes)
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
