/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr: "evidence-agent: warning: component: message" for the
 * CLI, one JSON object per line for the daemon. Levels are checked before
 * formatting. stdout is never touched: it belongs to the command's output.
 */
#ifndef EA_LOG_H
#define EA_LOG_H

#include <stdbool.h>

#include <evidence/common.h>

void ea_log_set_level(enum ea_log_level level);
enum ea_log_level ea_log_get_level(void);
void ea_log_set_json(bool json);
struct ea_redactor;
/** Every line passes through this redactor before it is written (borrowed; NULL = patterns only).
 */
void ea_log_set_redactor(const struct ea_redactor *r);
void ea_log(enum ea_log_level level, const char *component, const char *fmt, ...) EA_PRINTF(3, 4);

#define EA_LOG_(lvl, comp, ...)                                                                    \
    do {                                                                                           \
        if ((lvl) <= ea_log_get_level()) ea_log(lvl, comp, __VA_ARGS__);                           \
    } while (0)
#define EA_LOG_ERROR(comp, ...) EA_LOG_(EA_LOG_LEVEL_ERROR, comp, __VA_ARGS__)
#define EA_LOG_WARN(comp, ...) EA_LOG_(EA_LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define EA_LOG_INFO(comp, ...) EA_LOG_(EA_LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define EA_LOG_DEBUG(comp, ...) EA_LOG_(EA_LOG_LEVEL_DEBUG, comp, __VA_ARGS__)

#endif
