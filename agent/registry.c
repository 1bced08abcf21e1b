/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Built-in collectors: one line each in the table below, sorted by name. No
 * generated code and no constructor tricks: what is compiled in is what is
 * listed here.
 */
#include "registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "util/time.h"

extern const struct ea_collector ea_collector_git;
extern const struct ea_collector ea_collector_pipeline;
extern const struct ea_collector ea_collector_approvals;
extern const struct ea_collector ea_collector_scan;

static const struct ea_collector *const builtins[] = {
    &ea_collector_git,
    &ea_collector_pipeline,
    &ea_collector_approvals,
    &ea_collector_scan,
    NULL,
};

const struct ea_collector *const *ea_registry_builtins(void)
{
    return builtins;
}

int ea_registry_find(const struct ea_collector **out, const char *name)
{
    char names[256] = "";
    size_t used = 0;

    *out = NULL;
    for (size_t i = 0; builtins[i]; i++) {
        if (strcmp(builtins[i]->name, name) == 0) {
            *out = builtins[i];
            return 0;
        }
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                         builtins[i]->name);
        if (n > 0 && (size_t)n < sizeof(names) - used) used += (size_t)n;
    }
    return ea_fail(EA_EUSAGE, "'%s': unknown collector (available: %s; see 'evidence-agent collect --help')",
                   name, names);
}

static void host_log(void *ctx, enum ea_log_level level, const char *fmt, ...) EA_PRINTF(3, 4);

static void host_log(void *ctx, enum ea_log_level level, const char *fmt, ...)
{
    struct ea_host_ctx *hc = ctx;
    char msg[1024];
    va_list ap;

    if (level > ea_log_get_level()) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ea_log(level, hc->collector_name, "%s", msg);
}

static int host_fail(void *ctx, int code, const char *fmt, ...) EA_PRINTF(3, 4);

static int host_fail(void *ctx, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    (void)ctx;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ea_fail(code < 0 ? code : EA_ERROR, "%s", msg);
}

static int64_t host_now(void *ctx)
{
    (void)ctx;
    return ea_time_now_us() / 1000000;
}

void ea_registry_host_init(struct ea_host *host, struct ea_host_ctx *ctx)
{
    host->abi = EA_COLLECTOR_ABI;
    host->size = (uint32_t)sizeof(*host);
    host->ctx = ctx;
    host->log = host_log;
    host->fail = host_fail;
    host->now = host_now;
}
