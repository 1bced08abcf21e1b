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

#include "audit.h"
#include "error.h"
#include "store/store.h"
#include "util/mem.h"
#include "log.h"
#include "util/time.h"

extern const struct ea_collector ea_collector_git;
extern const struct ea_collector ea_collector_pipeline;
extern const struct ea_collector ea_collector_approvals;
extern const struct ea_collector ea_collector_scan;
extern const struct ea_collector ea_collector_config;
extern const struct ea_collector ea_collector_branch_protection;

static const struct ea_collector *const builtins[] = {
    &ea_collector_git,               /* the commit */
    &ea_collector_pipeline,          /* the CI run and its log */
    &ea_collector_approvals,         /* review of the change */
    &ea_collector_scan,              /* scanner reports */
    &ea_collector_config,            /* configuration files */
    &ea_collector_branch_protection, /* the forge's protection of a branch */
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
    return ea_fail(EA_EUSAGE,
                   "'%s': unknown collector (available: %s; see 'evidence-agent collect --help')",
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

struct latest_item {
    int64_t t;
    char id[65];
    char *key; /* owned */
};

struct latest_ctx {
    struct latest_item *e;
    size_t n, cap;
};

static int latest_entry(const struct ea_store_entry *se, void *payload)
{
    struct latest_ctx *l = payload;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *ne = ea_realloc(l->e, cap * sizeof(*l->e));
        if (!ne) return ea_fail(EA_ENOMEM, "out of memory");
        l->e = ne;
        l->cap = cap;
    }
    l->e[l->n].t = se->time_us;
    memcpy(l->e[l->n].id, se->id, 65);
    if (!(l->e[l->n].key = ea_strdup(se->key))) return ea_fail(EA_ENOMEM, "out of memory");
    l->n++;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const struct latest_item *x = a, *y = b;
    return x->t != y->t ? (x->t > y->t ? -1 : 1) : strcmp(x->id, y->id);
}

/* Walks control's records newest first, reading each until one matches. */
static int host_latest(void *ctx, const char *control, const char *kind, const char *subject,
                       json_t **out)
{
    struct ea_host_ctx *hc = ctx;
    struct ea_query q = {control, INT64_MIN, INT64_MAX};
    struct latest_ctx l = {0};
    int rc;

    *out = NULL;
    if (!hc->store) return 0;
    rc = ea_store_list(hc->store, &q, latest_entry, &l);
    if (rc == 0 && l.n) qsort(l.e, l.n, sizeof(*l.e), newest_first);
    for (size_t i = 0; rc == 0 && !*out && i < l.n; i++) {
        struct ea_store_entry se = {l.e[i].key, control, l.e[i].id, l.e[i].t};
        struct ea_audit_record ar;
        const json_t *pred;
        if (ea_audit_check(&ar, hc->store, &se, NULL, 0) == 0) {
            pred = json_object_get(ar.statement, "predicate");
            if (strcmp(json_string_value(json_object_get(pred, "kind")), kind) == 0 &&
                strcmp(json_string_value(json_object_get(
                           json_array_get(json_object_get(ar.statement, "subject"), 0), "name")),
                       subject) == 0)
                *out =
                    json_pack("{s:s, s:O}", "id", l.e[i].id, "data", json_object_get(pred, "data"));
        } else {
            ea_error_clear(); /* an unsound record is verify's to report, not a previous state */
        }
        ea_audit_record_dispose(&ar);
    }
    for (size_t i = 0; i < l.n; i++) ea_free(l.e[i].key);
    ea_free(l.e);
    return rc;
}

void ea_registry_host_init(struct ea_host *host, struct ea_host_ctx *ctx)
{
    host->abi = EA_COLLECTOR_ABI;
    host->size = (uint32_t)sizeof(*host);
    host->ctx = ctx;
    host->latest = host_latest;
    host->log = host_log;
    host->fail = host_fail;
    host->now = host_now;
}
