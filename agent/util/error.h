/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One error idiom: a function returns a negative EA_E* code and sets the
 * message once, where the failure is found, in the same statement:
 *
 *     return ea_fail(EA_EINPUT, "%s: not a git repository (run inside a clone)", path);
 *
 * The message is thread-local. Callers propagate the code unchanged and may
 * add context with ea_fail_prefix(). Only main.c turns a code into an exit
 * status (ea_exit_status()).
 */
#ifndef EA_ERROR_H
#define EA_ERROR_H

#include <evidence/common.h>

/** Sets the message (printf-style) and returns code. */
int ea_fail(int code, const char *fmt, ...) EA_PRINTF(2, 3);
/** Prepends "context: " to the current message. */
void ea_fail_prefix(const char *fmt, ...) EA_PRINTF(1, 2);
/** The current message, or the default message of code when none is set. Borrowed. */
const char *ea_error_message(int code);
/** True when a message is set. */
int ea_error_is_set(void);
/** Clears the message of a handled error. */
void ea_error_clear(void);
/** The default message of code. Borrowed, static. */
const char *ea_strerror(int code);
/** The exit status for code (0 for code >= 0). */
int ea_exit_status(int code);

#endif
