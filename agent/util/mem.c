/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrappers with a failure-injection hook for tests. The hook is
 * the only mutable global here; it is not thread-safe and is meant for
 * single-threaded unit tests only.
 */
#include "mem.h"

#include <openssl/crypto.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_countdown;

static int should_fail(void)
{
    if (fail_countdown <= 0) return 0;
    if (fail_countdown == 1) return 1;
    fail_countdown--;
    return 0;
}

void ea_mem_fail_after(long n)
{
    fail_countdown = n;
}

void *ea_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *ea_calloc(size_t count, size_t n)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, n ? n : 1);
}

void *ea_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

char *ea_strndup(const char *s, size_t n)
{
    char *d;

    if (!s) return NULL;
    d = ea_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *ea_strdup(const char *s)
{
    return s ? ea_strndup(s, strlen(s)) : NULL;
}

char *ea_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    s = ea_malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void ea_free(void *p)
{
    free(p);
}

void ea_free_secret(void *p, size_t n)
{
    if (!p) return;
    OPENSSL_cleanse(p, n);
    free(p);
}

static void *json_malloc(size_t n)
{
    return ea_malloc(n);
}

static void json_free(void *p)
{
    free(p);
}

void ea_mem_init(void)
{
    json_set_alloc_funcs(json_malloc, json_free);
}
