/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded growable buffer; see buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "mem.h"

void ea_buf_init(struct ea_buf *b, size_t max_bytes)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_bytes = max_bytes ? max_bytes : SIZE_MAX - 1;
}

void ea_buf_dispose(struct ea_buf *b)
{
    ea_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int ea_buf_reserve(struct ea_buf *b, size_t extra)
{
    size_t need;
    size_t cap;
    char *p;

    if (extra > b->max_bytes - b->len)
        return ea_fail(EA_ETOOBIG, "input exceeds its limit of %zu bytes", b->max_bytes);
    need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = ea_realloc(b->data, cap);
    if (!p) return ea_fail(EA_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int ea_buf_append(struct ea_buf *b, const void *p, size_t n)
{
    int rc = ea_buf_reserve(b, n);

    if (rc < 0) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ea_buf_puts(struct ea_buf *b, const char *s)
{
    return ea_buf_append(b, s, strlen(s));
}

int ea_buf_printf(struct ea_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return ea_fail(EA_ERROR, "formatting failed");
    rc = ea_buf_reserve(b, (size_t)n);
    if (rc < 0) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void ea_buf_reset(struct ea_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

char *ea_buf_take(struct ea_buf *b, size_t *len)
{
    char *d = b->data;

    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
