/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Built-in collectors: one line each in the table below, in the order
 * `collect --help` lists them (a change's story: commit, run, review, scans,
 * configuration, protection, access, then exec). No generated code and no
 * constructor tricks: what is compiled in is what is listed here.
 */
#include "registry.h"

#include <stdarg.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "attest.h"
#include "audit.h"
#include "util/error.h"
#include "state.h"
#include "store/store.h"
#include "util/mem.h"
#include "log.h"
#include "util/text.h"
#include "util/time.h"
#include "util/redact.h"
#include "keys.h"

extern const struct ea_collector ea_collector_git;
extern const struct ea_collector ea_collector_pipeline;
extern const struct ea_collector ea_collector_approvals;
extern const struct ea_collector ea_collector_scan;
extern const struct ea_collector ea_collector_config;
extern const struct ea_collector ea_collector_branch_protection;
extern const struct ea_collector ea_collector_access;
extern const struct ea_collector ea_collector_exec;

static const struct ea_collector *const builtins[] = {
    &ea_collector_git,               /* the commit */
    &ea_collector_pipeline,          /* the CI run and its log */
    &ea_collector_approvals,         /* review of the change */
    &ea_collector_scan,              /* scanner reports */
    &ea_collector_config,            /* configuration files */
    &ea_collector_branch_protection, /* the forge's protection of a branch */
    &ea_collector_access,            /* who may change the code and the pipeline */
    &ea_collector_exec,              /* any program that prints JSON */
    NULL,
};

const struct ea_collector *const *ea_registry_builtins(void)
{
    return builtins;
}

#define PLUGINS_MAX 32

/* Collectors loaded from shared objects, kept loaded for the life of the process. */
static const struct ea_collector *plugins[PLUGINS_MAX];
static size_t nplugins;

const struct ea_collector *const *ea_registry_plugins(size_t *n)
{
    *n = nplugins;
    return plugins;
}

static bool name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    return len > 0 && len <= 64 && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

int ea_registry_load_plugin(const char *path, const struct ea_collector **out)
{
    ea_collector_entry_cb entry;
    const struct ea_collector *c;
    void *h;

    if (out) *out = NULL;
    if (nplugins == PLUGINS_MAX) return ea_fail(EA_ECONFIG, "more than %d plug-ins", PLUGINS_MAX);
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return ea_fail(EA_ECONFIG, "%s: cannot load the plug-in: %s", path, dlerror());
    *(void **)&entry = dlsym(h, "ea_collector_entry");
    if (!entry) {
        dlclose(h);
        return ea_fail(EA_ECONFIG, "%s: not an evidence-agent plug-in (no ea_collector_entry)",
                       path);
    }
    c = entry();
    /* every message is made before dlclose: c lives in the library */
    if (!c || c->abi != EA_COLLECTOR_ABI) {
        int rc = ea_fail(EA_ECONFIG,
                         "%s: built for collector ABI %u, this agent speaks ABI %u: "
                         "rebuild it against this version's include/",
                         path, c ? c->abi : 0, (unsigned)EA_COLLECTOR_ABI);
        dlclose(h);
        return rc;
    }
    if (c->size < offsetof(struct ea_collector, free) + sizeof(c->free) || !name_ok(c->name) ||
        !c->init || !c->collect || !c->free || !c->kinds || !c->kinds[0]) {
        dlclose(h);
        return ea_fail(EA_ECONFIG,
                       "%s: its collector descriptor is incomplete (size, name "
                       "[a-z0-9-], kinds, init, collect, free)",
                       path);
    }
    for (const struct ea_option *o = c->options; o && o->name; o++) {
        size_t n = strlen(o->name);
        if (n == 0 || n > 64 || strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n ||
            o->type < EA_OPTION_STRING || o->type > EA_OPTION_LIST) {
            int rc = ea_fail(EA_ECONFIG,
                             "%s: its option '%.64s' needs a name of [a-z0-9_] and a type "
                             "EA_OPTION_*",
                             path, o->name);
            dlclose(h);
            return rc;
        }
    }
    for (size_t i = 0; builtins[i]; i++) {
        if (strcmp(builtins[i]->name, c->name) == 0) {
            int rc = ea_fail(EA_ECONFIG, "%s: its collector '%s' has the name of a built-in one",
                             path, c->name);
            dlclose(h);
            return rc;
        }
    }
    for (size_t i = 0; i < nplugins; i++) {
        if (plugins[i] == c) { /* the same library, loaded already */
            if (out) *out = plugins[i];
            dlclose(h); /* drops the reference this dlopen added */
            return 0;
        }
        if (strcmp(plugins[i]->name, c->name) == 0) {
            int rc =
                ea_fail(EA_ECONFIG, "%s: a plug-in named '%s' is loaded already", path, c->name);
            dlclose(h);
            return rc;
        }
    }
    plugins[nplugins++] = c; /* the handle stays open: the descriptor lives in it */
    if (out) *out = c;
    return 0;
}

/* NAME.so in each folder of EVIDENCE_PLUGIN_PATH (colon-separated); *rc < 0 when one was
 * found but refused. */
static const struct ea_collector *from_plugin_path(const char *name, int *rc)
{
    const char *path = getenv("EVIDENCE_PLUGIN_PATH");
    const struct ea_collector *c = NULL;
    char file[4096];

    *rc = 0;
    while (path && *path && !c && *rc == 0) {
        size_t n = strcspn(path, ":");
        snprintf(file, sizeof(file), "%.*s/%s.so", (int)n, path, name);
        if (n && name_ok(name) && access(file, R_OK) == 0) {
            *rc = ea_registry_load_plugin(file, &c);
            if (*rc == 0 && c && strcmp(c->name, name) != 0) {
                *rc = ea_fail(EA_ECONFIG, "%s: its collector is named '%s', not '%s'", file,
                              c->name, name);
                c = NULL;
            }
        }
        path += n + (path[n] == ':');
    }
    return c;
}

int ea_registry_find(const struct ea_collector **out, const char *name)
{
    char names[512] = "";
    size_t used = 0;
    int rc;

    *out = NULL;
    for (size_t i = 0; builtins[i]; i++) {
        if (strcmp(builtins[i]->name, name) == 0) {
            *out = builtins[i];
            return 0;
        }
    }
    for (size_t i = 0; i < nplugins; i++) {
        if (strcmp(plugins[i]->name, name) == 0) {
            *out = plugins[i];
            return 0;
        }
    }
    if ((*out = from_plugin_path(name, &rc))) return 0;
    if (rc < 0) return rc; /* a plug-in was found but refused: that message says why */
    for (size_t i = 0; builtins[i]; i++) {
        int n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                         builtins[i]->name);
        if (n > 0 && (size_t)n < sizeof(names) - used) used += (size_t)n;
    }
    {
        const char *best = NULL;
        size_t best_d = EA_TEXT_FAR;
        char mean[96] = "";
        for (size_t i = 0; builtins[i]; i++) {
            size_t d = ea_text_distance(name, builtins[i]->name);
            if (d < best_d) {
                best_d = d;
                best = builtins[i]->name;
            }
        }
        for (size_t i = 0; i < nplugins; i++) {
            size_t d = ea_text_distance(name, plugins[i]->name);
            if (d < best_d) {
                best_d = d;
                best = plugins[i]->name;
            }
        }
        if (best && best_d <= 2) snprintf(mean, sizeof(mean), "did you mean '%s'? ", best);
        return ea_fail(EA_EUSAGE,
                       "'%s': unknown collector (%sbuilt in: %s; plug-ins: --plugin FILE.so or "
                       "EVIDENCE_PLUGIN_PATH; see 'evidence-agent collect --help')",
                       name, mean, names);
    }
}

int ea_registry_kind_check(const char *kind)
{
    const struct ea_collector *all[sizeof(builtins) / sizeof(builtins[0]) + PLUGINS_MAX + 1];
    const char *best = NULL;
    size_t n = 0, best_d = EA_TEXT_FAR, used = 0;
    char shown[65];
    char names[512] = "";

    for (size_t i = 0; builtins[i]; i++) all[n++] = builtins[i];
    for (size_t i = 0; i < nplugins; i++) all[n++] = plugins[i];
    all[n++] = &ea_attest_source; /* the agent's own kind: attest makes it, no collector */
    for (size_t i = 0; i < n; i++) {
        for (const char *const *k = all[i]->kinds; k && *k; k++) {
            size_t d;
            if (strcmp(*k, kind) == 0) return 0;
            if (strstr(names, *k)) continue; /* two collectors may emit one kind */
            d = ea_text_distance(kind, *k);
            int w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", *k);
            if (w > 0 && (size_t)w < sizeof(names) - used) used += (size_t)w;
            if (d < best_d) {
                best_d = d;
                best = *k;
            }
        }
    }
    return ea_fail(EA_EUSAGE, "'%s' is not a record kind (did you mean '%s'? kinds: %s)",
                   ea_redact_show(shown, sizeof(shown), kind, strlen(kind)), best ? best : "",
                   names);
}

static void host_log(void *ctx, enum ea_log_level level, const char *fmt, ...) EA_PRINTF(3, 4);

/* The whole message, formatted (ea_free it), or NULL: the log redacts it before any cut. */
static char *format_all(const char *fmt, va_list ap) EA_PRINTF(1, 0);
static char *format_all(const char *fmt, va_list ap)
{
    va_list again;
    char *msg;
    int n;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0 || !(msg = ea_malloc((size_t)n + 1))) return NULL;
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    return msg;
}

static void host_log(void *ctx, enum ea_log_level level, const char *fmt, ...)
{
    struct ea_host_ctx *hc = ctx;
    char *msg;
    va_list ap;

    if (level > ea_log_get_level()) return;
    va_start(ap, fmt);
    msg = format_all(fmt, ap);
    va_end(ap);
    ea_log(level, hc->collector_name, "%s", msg ? msg : "(a log line was lost: out of memory)");
    ea_free(msg);
}

static int host_fail(void *ctx, int code, const char *fmt, ...) EA_PRINTF(3, 4);

static int host_fail(void *ctx, int code, const char *fmt, ...)
{
    char *msg;
    va_list ap;

    (void)ctx;
    va_start(ap, fmt);
    msg = format_all(fmt, ap);
    va_end(ap);
    code = ea_fail(code < 0 ? code : EA_ERROR, "%s", msg ? msg : "out of memory");
    ea_free(msg);
    return code;
}

static int64_t host_now(void *ctx)
{
    (void)ctx;
    return ea_time_now_us() / 1000000;
}

/* Walks control's records newest first, reading each until one matches. */
static int host_latest(void *ctx, const char *control, const char *kind, const char *subject,
                       json_t **out)
{
    struct ea_host_ctx *hc = ctx;
    struct ea_query q = {control, INT64_MIN, INT64_MAX};
    struct ea_store_items l = {0};
    int rc;

    *out = NULL;
    if (hc->state_dir) { /* what this agent recorded last: there even when no store answers */
        json_t *st = NULL;
        ea_state_read(&st, hc->state_dir, kind, subject);
        if (st) {
            *out = json_pack("{s:O, s:O}", "id", json_object_get(st, "id"), "data",
                             json_object_get(st, "data"));
            json_decref(st);
            return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    if (!hc->store) return 0;
    rc = ea_store_list_newest(hc->store, &q, &l);
    for (size_t i = 0; rc == 0 && !*out && i < l.n; i++) {
        struct ea_store_entry se = {l.v[i].key, control, l.v[i].id, l.v[i].time_us};
        struct ea_audit_record ar;
        const json_t *pred;
        int arc = ea_audit_check(&ar, hc->store, &se, NULL, 0);
        if (arc == EA_EIO || arc == EA_ENOMEM || arc == EA_ERETRY) { /* the store, not the record */
            ea_audit_record_dispose(&ar);
            rc = arc;
            break;
        }
        if (arc == 0) {
            pred = json_object_get(ar.statement, "predicate");
            if (strcmp(json_string_value(json_object_get(pred, "kind")), kind) == 0 &&
                strcmp(json_string_value(json_object_get(
                           json_array_get(json_object_get(ar.statement, "subject"), 0), "name")),
                       subject) == 0)
                *out =
                    json_pack("{s:s, s:O}", "id", l.v[i].id, "data", json_object_get(pred, "data"));
        } else {
            ea_error_clear(); /* an unsound record is verify's to report, not a previous state */
        }
        ea_audit_record_dispose(&ar);
    }
    ea_store_items_dispose(&l);
    return rc;
}

/*
 * HMAC-SHA-256 under the Ed25519 signature of a fixed label: deterministic,
 * so the same for every run with one key, and only the key's holder can make it.
 */
static int host_keyed_digest(void *ctx, const void *data, size_t len, unsigned char out[32])
{
    static const char label[] = "evidence-agent keyed digest v1";
    struct ea_host_ctx *hc = ctx;
    unsigned int n = 32;
    int rc;

    if (!hc->key) return ea_fail(EA_ECONFIG, "no signing key for a keyed digest");
    if (!hc->digest_key_set) {
        if ((rc = ea_key_sign(hc->key, hc->digest_key, label, sizeof(label) - 1)) < 0) return rc;
        hc->digest_key_set = true;
    }
    if (!HMAC(EVP_sha256(), hc->digest_key, sizeof(hc->digest_key), data, len, out, &n))
        return ea_fail(EA_ERROR, "HMAC-SHA-256 failed");
    return 0;
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
    host->keyed_digest = host_keyed_digest;
}
