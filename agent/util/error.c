/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The thread-local error message and the tables generated from EA_ERRORS.
 * A message is bounded (longer ones are cut, never overflowed) and always
 * passes through the caller's own wording: this module never adds secrets.
 */
#include "error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MESSAGE_MAX 1024

static _Thread_local char message[MESSAGE_MAX];

/*
 * A message cut at its limit loses its last word: the word may be the start
 * of a secret quoted from the input, which the redactor that later sees the
 * message (log, record) could no longer recognise in a fragment.
 */
static void drop_cut_word(void)
{
    size_t n = strlen(message);

    while (n > 0 && !strchr(" \t\r\n\"'", message[n - 1])) n--;
    if (n + 3 < sizeof(message)) {
        memcpy(message + n, "...", 3);
        n += 3;
    }
    message[n] = '\0';
}

int ea_fail(int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(message)) drop_cut_word();
    return code;
}

void ea_fail_prefix(const char *fmt, ...)
{
    char prefix[MESSAGE_MAX];
    char old[MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, message, sizeof(old));
    /* Bounded concatenation: a long message is cut, never overflowed. */
    size_t used = 0;
    bool cut = false;
    for (const char *parts[3] = {prefix, ": ", old}, **p = parts; p < parts + 3; p++) {
        size_t n = strlen(*p);
        if (n > sizeof(message) - 1 - used) {
            n = sizeof(message) - 1 - used;
            cut = true;
        }
        memcpy(message + used, *p, n);
        used += n;
    }
    message[used] = '\0';
    if (cut) drop_cut_word();
}

const char *ea_strerror(int code)
{
    switch (code) {
#define EA_ERROR_MSG_(c, value, exit_status, msg)                                                  \
    case value: return msg;
        EA_ERRORS(EA_ERROR_MSG_)
#undef EA_ERROR_MSG_
    }
    return code >= 0 ? "ok" : "failed";
}

int ea_exit_status(int code)
{
    switch (code) {
#define EA_ERROR_EXIT_(c, value, exit_status, msg)                                                 \
    case value: return exit_status;
        EA_ERRORS(EA_ERROR_EXIT_)
#undef EA_ERROR_EXIT_
    }
    return code >= 0 ? 0 : 1;
}

const char *ea_error_message(int code)
{
    return message[0] ? message : ea_strerror(code);
}

int ea_error_is_set(void)
{
    return message[0] != '\0';
}

void ea_error_clear(void)
{
    message[0] = '\0';
}
