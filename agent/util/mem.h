/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one allocator. Everything the agent allocates goes through these, and
 * jansson is pointed at them too, so a test can make the Nth allocation fail
 * (ea_mem_fail_after()) and prove that out-of-memory is an ordinary error.
 * Failures return NULL; callers turn that into EA_ENOMEM.
 */
#ifndef EA_UTIL_MEM_H
#define EA_UTIL_MEM_H

#include <stddef.h>

void *ea_malloc(size_t n);
void *ea_calloc(size_t count, size_t n);
void *ea_realloc(void *p, size_t n);
/** Owned copy of s, or NULL (also for s == NULL). */
char *ea_strdup(const char *s);
/** Owned copy of the first n bytes of s, NUL-terminated. */
char *ea_strndup(const char *s, size_t n);
/** Owned printf-style string, or NULL. */
char *ea_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ea_free(void *p);
/** Zeroes n bytes of p in a way the compiler keeps, then frees it. */
void ea_free_secret(void *p, size_t n);

/** Test hook: allocation number n from now on (1-based) and all after fail; 0 disables. */
void ea_mem_fail_after(long n);
/** Routes jansson's allocations through ea_malloc/ea_free. Call once at start. */
void ea_mem_init(void);

#endif
