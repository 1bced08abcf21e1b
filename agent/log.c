/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log writer. Its level and format are process-wide settings made once
 * by main before any thread starts. A line is formatted into a bounded
 * buffer and written with one write(2) so concurrent lines do not interleave.
 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/redact.h"
#include "util/buf.h"
#include "util/time.h"

#define LINE_MAX_BYTES 2048

static enum ea_log_level log_level = EA_LOG_LEVEL_INFO;
static bool log_json;
static const struct ea_redactor *log_redactor;

void ea_log_set_redactor(const struct ea_redactor *r)
{
    log_redactor = r;
}

void ea_log_set_level(enum ea_log_level level)
{
    log_level = level;
}

enum ea_log_level ea_log_get_level(void)
{
    return log_level;
}

void ea_log_set_json(bool json)
{
    log_json = json;
}

static const char *level_name(enum ea_log_level level)
{
    switch (level) {
    case EA_LOG_LEVEL_ERROR: return "error";
    case EA_LOG_LEVEL_WARN: return "warning";
    case EA_LOG_LEVEL_INFO: return "info";
    case EA_LOG_LEVEL_DEBUG: return "debug";
    }
    return "info";
}

void ea_log(enum ea_log_level level, const char *component, const char *fmt, ...)
{
    char raw[LINE_MAX_BYTES * 4];
    char msg[LINE_MAX_BYTES];
    char line[LINE_MAX_BYTES + 256];
    va_list ap;
    int n;

    if (level > log_level) return;
    va_start(ap, fmt);
    n = vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    {
        /*
         * Redact, then cut to the line's limit (a word the cut splits is
         * masked); on failure write a placeholder, never the line.
         */
        struct ea_buf b;
        bool cut = n < 0 || (size_t)n >= sizeof(raw);
        ea_buf_init(&b, 0);
        msg[0] = '\0';
        if (ea_redact_clip(log_redactor, NULL, &b, raw, strlen(raw), cut, sizeof(msg) - 1, NULL) ==
                0 &&
            b.data)
            snprintf(msg, sizeof(msg), "%s", b.data);
        else if (b.data == NULL && raw[0])
            snprintf(msg, sizeof(msg), "(a log line could not be redacted and was dropped)");
        ea_buf_dispose(&b);
    }
    if (log_json) {
        char ts[EA_TIME_TEXT_MAX];
        json_t *o;
        char *text;

        ea_time_format_rfc3339(ts, ea_time_now_us());
        o = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_name(level), "component",
                      component ? component : "agent", "msg", msg);
        text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        n = snprintf(line, sizeof(line), "%s\n", text ? text : "{\"msg\":\"log line lost\"}");
        free(text);
        json_decref(o);
    } else if (component && *component) {
        n = snprintf(line, sizeof(line), "evidence-agent: %s: %s: %s\n", level_name(level),
                     component, msg);
    } else {
        n = snprintf(line, sizeof(line), "evidence-agent: %s: %s\n", level_name(level), msg);
    }
    if (n < 0) return;
    if ((size_t)n >= sizeof(line)) n = (int)sizeof(line) - 1;
    if (write(STDERR_FILENO, line, (size_t)n) < 0) return;
}
