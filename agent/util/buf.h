/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer with a hard bound set at creation. Anything fed by
 * outside input goes through one, so an oversized input is EA_ETOOBIG, never
 * an unbounded allocation. The data is always NUL-terminated (not counted in
 * len) so text can be used as a C string.
 */
#ifndef EA_UTIL_BUF_H
#define EA_UTIL_BUF_H

#include <stddef.h>

struct ea_buf {
    char *data;       /* owned; NULL until the first append */
    size_t len;       /* bytes used, excluding the NUL */
    size_t cap;       /* bytes allocated */
    size_t max_bytes; /* bound on len; 0 means SIZE_MAX */
};

/** Initialises b in the caller's storage with a bound (0 = none). */
void ea_buf_init(struct ea_buf *b, size_t max_bytes);
/** Frees the data; b may be reused after ea_buf_init. */
void ea_buf_dispose(struct ea_buf *b);
/** Makes room for extra more bytes (within the bound). @return 0, EA_ETOOBIG or EA_ENOMEM. */
int ea_buf_reserve(struct ea_buf *b, size_t extra);
/** Appends n bytes. @return 0, EA_ETOOBIG (message names the bound) or EA_ENOMEM. */
int ea_buf_append(struct ea_buf *b, const void *p, size_t n);
/** Appends a C string. */
int ea_buf_puts(struct ea_buf *b, const char *s);
/** Appends printf-style text. */
int ea_buf_printf(struct ea_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Empties the buffer, keeping its memory. */
void ea_buf_reset(struct ea_buf *b);
/** Takes the data out (caller owns it, free with ea_free); b is left empty. */
char *ea_buf_take(struct ea_buf *b, size_t *len);

#endif
