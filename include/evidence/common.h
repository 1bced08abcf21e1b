/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Common definitions of the public ABI: symbol visibility and the one error
 * table. Every function of the agent and of a plug-in returns 0 (or a count)
 * on success and a negative EA_E* code on failure; the table below is the
 * single source of truth for codes, exit statuses and default messages.
 * Nothing here allocates or depends on the agent's internals.
 */
#ifndef EVIDENCE_COMMON_H
#define EVIDENCE_COMMON_H

#if defined(__GNUC__)
#define EA_EXPORT __attribute__((visibility("default")))
#define EA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define EA_EXPORT
#define EA_PRINTF(fmt, args)
#endif

/*  code           value exit message */
#define EA_ERRORS(X)                                                                               \
    X(EA_ERROR, -1, 1, "failed")                                                                   \
    X(EA_EUSAGE, -2, 2, "usage error")                                                             \
    X(EA_ECONFIG, -3, 2, "configuration error")                                                    \
    X(EA_EINPUT, -4, 2, "invalid input")                                                           \
    X(EA_ETOOBIG, -5, 2, "input over its size limit")                                              \
    X(EA_ENOTFOUND, -6, 1, "not found")                                                            \
    X(EA_ENOMEM, -7, 1, "out of memory")                                                           \
    X(EA_EIO, -8, 1, "I/O error")                                                                  \
    X(EA_ERETRY, -9, 1, "temporary failure, retry later")                                          \
    X(EA_EVERIFY, -10, 3, "verification failed")                                                   \
    X(EA_EPOLICY, -11, 4, "policy gate failed")

/** The error codes. 0 is success; every code is negative. */
enum ea_error {
    EA_OK = 0,
#define EA_ERROR_ENUM_(code, value, exit_status, message) code = value,
    EA_ERRORS(EA_ERROR_ENUM_)
#undef EA_ERROR_ENUM_
};

/** Result of a fact, as recorded in predicate.result. */
enum ea_result {
    EA_RESULT_PASS = 0,
    EA_RESULT_FAIL,
    EA_RESULT_INFO,
    EA_RESULT_ERROR,
};

/** Log levels, most severe first. */
enum ea_log_level {
    EA_LOG_LEVEL_ERROR = 0,
    EA_LOG_LEVEL_WARN,
    EA_LOG_LEVEL_INFO,
    EA_LOG_LEVEL_DEBUG,
};

#endif
