/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's configuration: see dconfig.h. YAML scalars arrive as strings
 * (util/yaml.c); this module decides what each key means. Unknown keys are
 * errors, not silently ignored: a misspelt "intervall" would otherwise run
 * a collector on the default schedule and nobody would notice.
 */
#include "dconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "../util/error.h"
#include "../frameworks.h"
#include "../log.h"
#include "../options.h"
#include "../registry.h"
#include "../store/store.h"
#include "../util/fs.h"
#include "../util/http.h"
#include "../util/json.h"
#include "../util/mem.h"
#include "../util/text.h"
#include "../util/time.h"
#include "../util/yaml.h"
#include "../tsa.h"

#define DEFAULT_SPOOL_MAX ((uint64_t)256 << 20)
#define DEFAULT_INGEST_MAX ((uint64_t)16 << 20)
#define DEFAULT_DRAIN_US (10 * 1000000LL)
#define DEFAULT_CHECKPOINT_US (3600 * 1000000LL)
#define COLLECTORS_MAX 256
#define STORES_MAX 16
#define INTERVAL_MIN_US 1000000LL

struct ctx {
    const char *file;
    char *dir; /* the file's folder, for relative paths */
    json_t *lines;
    unsigned problems; /* found so far: the parse goes on to name them all */
    int first_rc;      /* the first one's code and message */
    char first[1024];
};

/*
 * Takes rc (a failure found in one entry) as one problem and goes on, so that
 * every problem of the file is named at once: the first is kept, and logged
 * once a second one is found; ea_dconfig_parse ends with one or the count.
 * 0 for rc 0 or a problem taken; EA_ENOMEM stops.
 */
static int problem(struct ctx *x, int rc)
{
    if (rc == 0 || rc == EA_ENOMEM) return rc;
    if (x->problems == 0) {
        x->first_rc = rc;
        snprintf(x->first, sizeof(x->first), "%s", ea_error_message(rc));
    } else {
        if (x->problems == 1) ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", x->first);
        ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s", ea_error_message(rc));
    }
    ea_error_clear();
    x->problems++;
    return 0;
}

/* The [line, column] of a key path: the key itself, else the first key under it. */
static void locate(const struct ctx *x, const char *path, long *line, long *col)
{
    json_t *at = json_object_get(x->lines, path);
    size_t n = strlen(path);
    const char *k;
    json_t *v;

    *line = *col = 0;
    if (!at) {
        json_object_foreach(x->lines, k, v) {
            long l = (long)json_integer_value(json_array_get(v, 0));
            if (strncmp(k, path, n) == 0 && k[n] == '/' && (*line == 0 || l < *line)) {
                *line = l;
                *col = (long)json_integer_value(json_array_get(v, 1));
            }
        }
        return;
    }
    *line = (long)json_integer_value(json_array_get(at, 0));
    *col = (long)json_integer_value(json_array_get(at, 1));
}

static int fail_at(const struct ctx *x, const char *path, const char *fmt, ...) EA_PRINTF(3, 4);

static int fail_at(const struct ctx *x, const char *path, const char *fmt, ...)
{
    char msg[768], shown[256];
    long line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(shown, sizeof(shown), "%s", path);
    for (char *p = shown; *p; p++)
        if (*p == '/') *p = '.';
    locate(x, path, &line, &col);
    if (line) return ea_fail(EA_ECONFIG, "%s:%ld:%ld: %s: %s", x->file, line, col, shown, msg);
    return ea_fail(EA_ECONFIG, "%s: %s: %s", x->file, shown, msg);
}

/* Checks that o (at path) has only the allowed keys. */
static int only_keys(const struct ctx *x, const char *path, const json_t *o,
                     const char *const *allowed)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o)) return fail_at(x, path, "must be a mapping of keys");
    json_object_foreach((json_t *)o, k, v) {
        bool ok = false;
        char at[256], list[512] = "";
        size_t used = 0;

        for (size_t i = 0; allowed[i] && !ok; i++) ok = strcmp(k, allowed[i]) == 0;
        if (ok) continue;
        for (size_t i = 0; allowed[i]; i++) {
            int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", allowed[i]);
            if (n > 0 && (size_t)n < sizeof(list) - used) used += (size_t)n;
        }
        snprintf(at, sizeof(at), "%s%s%s", path, *path ? "/" : "", k);
        return fail_at(x, at, "unknown key (known here: %s)", list);
    }
    return 0;
}

/* A string value at path (NULL when absent); wrong types fail. */
static int get_str(const struct ctx *x, const json_t *o, const char *path, const char *key,
                   const char **out)
{
    json_t *v = json_object_get(o, key);
    char at[256];

    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    snprintf(at, sizeof(at), "%s/%s", path, key);
    if (!json_is_string(v) || !*json_string_value(v))
        return fail_at(x, at, "must be a non-empty text value");
    *out = json_string_value(v);
    return 0;
}

/* A path made absolute against the config's folder (owned). */
/* p relative to the config's folder; a leading "./" of p is not doubled ("././spool"). */
static char *resolve(const struct ctx *x, const char *p)
{
    if (p[0] == '/') return ea_strdup(p);
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/') p++;
    }
    return ea_asprintf("%s/%s", x->dir, *p ? p : ".");
}

static int get_path(const struct ctx *x, const json_t *o, const char *path, const char *key,
                    char **out)
{
    const char *s;
    int rc = get_str(x, o, path, key, &s);

    *out = NULL;
    if (rc < 0 || !s) return rc;
    if (!(*out = resolve(x, s))) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

/* A list of strings (one string is a list of one); paths resolved when as_paths. */
static int get_list(const struct ctx *x, const json_t *o, const char *path, const char *key,
                    bool as_paths, char ***out, size_t *n)
{
    json_t *v = json_object_get(o, key), *item;
    char at[256];
    size_t i;

    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    snprintf(at, sizeof(at), "%s/%s", path, key);
    if (json_is_string(v)) { /* one value is a list of one */
        if (!(*out = ea_calloc(2, sizeof(char *))) ||
            !((*out)[0] =
                  as_paths ? resolve(x, json_string_value(v)) : ea_strdup(json_string_value(v))))
            return ea_fail(EA_ENOMEM, "out of memory");
        *n = 1;
        return 0;
    }
    if (!json_is_array(v)) return fail_at(x, at, "must be a list");
    if (!(*out = ea_calloc(json_array_size(v) + 1, sizeof(char *))))
        return ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(v, i, item) {
        if (!json_is_string(item) || !*json_string_value(item))
            return fail_at(x, at, "item %zu must be a non-empty text value", i + 1);
        (*out)[i] =
            as_paths ? resolve(x, json_string_value(item)) : ea_strdup(json_string_value(item));
        if (!(*out)[i]) return ea_fail(EA_ENOMEM, "out of memory");
        (*n)++;
    }
    return 0;
}

/* A duration; zero_ok also takes "0" and "0s" (which ea_duration_parse refuses, rightly for
 * timeouts and ages) where nothing is a meaningful value: no jitter, no drain. */
static int get_duration(const struct ctx *x, const json_t *o, const char *path, const char *key,
                        bool zero_ok, int64_t *out)
{
    const char *s;
    char at[256];
    int rc = get_str(x, o, path, key, &s);

    if (rc < 0 || !s) return rc;
    snprintf(at, sizeof(at), "%s/%s", path, key);
    if (zero_ok && strspn(s, "0") &&
        (s[strspn(s, "0")] == '\0' || strcmp(s + strspn(s, "0"), "s") == 0)) {
        *out = 0;
        return 0;
    }
    if (ea_duration_parse(out, s) < 0) {
        ea_error_clear();
        return fail_at(x, at, "'%s' is not a duration (use 30s, 5m, 1h or 7d)", s);
    }
    return 0;
}

static int get_size(const struct ctx *x, const json_t *o, const char *path, const char *key,
                    uint64_t *out)
{
    const char *s;
    char at[256];
    int rc = get_str(x, o, path, key, &s);

    if (rc < 0 || !s) return rc;
    snprintf(at, sizeof(at), "%s/%s", path, key);
    if (ea_size_parse(out, s) < 0 || *out == 0)
        return fail_at(x, at, "'%s' is not a size (use 512KiB, 16MiB or 1GiB)", s);
    return 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) ea_free(v[i]);
    ea_free(v);
}

void ea_dconfig_free(struct ea_dconfig *c)
{
    if (!c) return;
    ea_free(c->path);
    ea_free(c->agent_id);
    ea_free(c->spool);
    ea_free(c->listen);
    ea_free(c->ingest_token_env);
    free_list(c->trusted_keys, c->ntrusted);
    free_list(c->plugins, c->nplugins);
    free_list(c->redact_env, c->nredact);
    ea_free(c->key_path);
    ea_free(c->key_env);
    free_list(c->tsa, c->ntsa);
    ea_free(c->tsa_policy);
    for (size_t i = 0; i < c->nstores; i++) {
        ea_free(c->stores[i].url);
        ea_free(c->stores[i].label);
    }
    ea_free(c->stores);
    for (size_t i = 0; i < c->ncollectors; i++) {
        ea_free(c->collectors[i].id);
        ea_free(c->collectors[i].name);
        ea_free(c->collectors[i].arg);
        json_decref(c->collectors[i].options);
        json_decref(c->collectors[i].framework_refs);
    }
    ea_free(c->collectors);
    ea_free(c);
}

static int parse_agent(struct ctx *x, struct ea_dconfig *c, const json_t *a)
{
    static const char *const keys[] = {"id",
                                       "spool",
                                       "spool_max",
                                       "listen",
                                       "ingest_token_env",
                                       "ingest_max",
                                       "trusted_keys",
                                       "log_level",
                                       "drain_timeout",
                                       "plugins",
                                       "redact_env",
                                       "checkpoint_interval",
                                       NULL};
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    long col;
    const char *s;
    int rc;

    if ((rc = only_keys(x, "agent", a, keys)) < 0) return rc;
    if ((rc = get_str(x, a, "agent", "id", &s)) < 0) return rc;
    {
        char id[72];
        if ((rc = ea_config_agent_id(id, sizeof(id), s)) < 0) return rc;
        if (!(c->agent_id = ea_strdup(id))) return ea_fail(EA_ENOMEM, "out of memory");
    }
    if ((rc = get_path(x, a, "agent", "spool", &c->spool)) < 0) return rc;
    if (!c->spool)
        return fail_at(x, "agent",
                       "spool is required: a folder for records not yet shipped "
                       "(e.g. spool: /var/lib/evidence-agent/spool)");
    c->spool_max = DEFAULT_SPOOL_MAX;
    if ((rc = get_size(x, a, "agent", "spool_max", &c->spool_max)) < 0) return rc;
    if ((rc = get_str(x, a, "agent", "listen", &s)) < 0) return rc;
    if (s) {
        const char *colon = strrchr(s, ':');
        char *end;
        unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
        if (!colon || colon == s || colon[1] == '\0' || *end || port > 65535)
            return fail_at(x, "agent/listen", "'%s' is not HOST:PORT (e.g. 127.0.0.1:9464)", s);
        if (!(c->listen = ea_strdup(s))) return ea_fail(EA_ENOMEM, "out of memory");
    }
    if ((rc = get_str(x, a, "agent", "ingest_token_env", &s)) < 0) return rc;
    if (s && !(c->ingest_token_env = ea_strdup(s))) return ea_fail(EA_ENOMEM, "out of memory");
    c->ingest_max = DEFAULT_INGEST_MAX;
    if ((rc = get_size(x, a, "agent", "ingest_max", &c->ingest_max)) < 0) return rc;
    locate(x, "agent/trusted_keys", &c->trusted_line, &col);
    if ((rc = get_list(x, a, "agent", "trusted_keys", true, &c->trusted_keys, &c->ntrusted)) < 0)
        return rc;
    if ((rc = get_list(x, a, "agent", "plugins", true, &c->plugins, &c->nplugins)) < 0) return rc;
    if ((rc = get_list(x, a, "agent", "redact_env", false, &c->redact_env, &c->nredact)) < 0)
        return rc;
    c->log_level = EA_LOG_LEVEL_INFO;
    if ((rc = get_str(x, a, "agent", "log_level", &s)) < 0) return rc;
    if (s) {
        size_t i = 0;
        while (i < 4 && strcmp(s, levels[i]) != 0) i++;
        if (i == 4)
            return fail_at(x, "agent/log_level", "'%s' is not a level (error, warn, info, debug)",
                           s);
        c->log_level = (enum ea_log_level)i;
    }
    c->checkpoint_interval_us = DEFAULT_CHECKPOINT_US;
    if ((rc = get_duration(x, a, "agent", "checkpoint_interval", true,
                           &c->checkpoint_interval_us)) < 0)
        return rc;
    if (c->checkpoint_interval_us && c->checkpoint_interval_us < INTERVAL_MIN_US)
        return fail_at(x, "agent/checkpoint_interval", "must be at least 1s (or 0: none)");
    c->drain_timeout_us = DEFAULT_DRAIN_US;
    return get_duration(x, a, "agent", "drain_timeout", true, &c->drain_timeout_us);
}

static int parse_signing(struct ctx *x, struct ea_dconfig *c, const json_t *sg)
{
    static const char *const keys[] = {"key", "key_env", "tsa", "tsa_policy", NULL};
    const char *s;
    int rc;

    if (!sg) return 0; /* then $EVIDENCE_KEY or $EVIDENCE_KEY_PEM, as for collect */
    if ((rc = only_keys(x, "signing", sg, keys)) < 0) return rc;
    if ((rc = get_path(x, sg, "signing", "key", &c->key_path)) < 0) return rc;
    if ((rc = get_str(x, sg, "signing", "key_env", &s)) < 0) return rc;
    if (s && !(c->key_env = ea_strdup(s))) return ea_fail(EA_ENOMEM, "out of memory");
    if (c->key_path && c->key_env) return fail_at(x, "signing", "give key or key_env, not both");
    if ((rc = get_list(x, sg, "signing", "tsa", false, &c->tsa, &c->ntsa)) < 0) return rc;
    if ((rc = get_str(x, sg, "signing", "tsa_policy", &s)) < 0) return rc;
    if (s && !c->ntsa) return fail_at(x, "signing/tsa_policy", "needs signing.tsa");
    if (s && !(c->tsa_policy = ea_strdup(s))) return ea_fail(EA_ENOMEM, "out of memory");
    if (c->ntsa) { /* the URLs and the OID, checked now as collect --tsa checks them */
        struct ea_tsa *t = NULL;
        rc = ea_tsa_open(&t, (const char *const *)c->tsa, c->ntsa, c->tsa_policy);
        ea_tsa_close(t);
        if (rc < 0) {
            char why[256];
            snprintf(why, sizeof(why), "%s", ea_error_message(rc));
            ea_error_clear();
            return fail_at(x, "signing/tsa", "%s", why);
        }
    }
    return 0;
}

/* Appends "&name=value" (or "?name=value") to *url. */
static int add_param(char **url, const char *name, const char *value)
{
    char *n = ea_asprintf("%s%s%s=%s", *url, strchr(*url, '?') ? "&" : "?", name, value);

    if (!n) return ea_fail(EA_ENOMEM, "out of memory");
    ea_free(*url);
    *url = n;
    return 0;
}

/* One entry of stores (at path). */
static int parse_store(struct ctx *x, struct ea_dconfig *c, const json_t *item, const char *path)
{
    static const char *const keys[] = {"url",       "object_lock_mode", "object_lock_retain",
                                       "token_env", "insecure",         "unready_after",
                                       NULL};
    static const char *const params[] = {"object_lock_mode", "object_lock_retain", "token_env",
                                         "insecure"};
    struct ea_dstore *st = &c->stores[c->nstores++];
    const char *url, *v;
    int rc;

    locate(x, path, &st->line, &st->column);
    st->unready_after_us = EA_DSTORE_UNREADY_AFTER_DEFAULT_US;
    if (json_is_object(item) &&
        (rc = get_duration(x, item, path, "unready_after", false, &st->unready_after_us)) < 0)
        return rc;
    if (json_is_string(item)) { /* "- URL" is short for "- url: URL" */
        url = json_string_value(item);
    } else {
        if ((rc = only_keys(x, path, item, keys)) < 0) return rc;
        if ((rc = get_str(x, item, path, "url", &url)) < 0) return rc;
        if (!url) return fail_at(x, path, "url is required");
    }
    /* a folder store's relative path is relative to the config, as every path */
    if (!strstr(url, "://") && strncmp(url, "file:", 5) != 0)
        st->url = resolve(x, url);
    else
        st->url = ea_strdup(url);
    if (!st->url) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t p = 0; json_is_object(item) && p < sizeof(params) / sizeof(params[0]); p++) {
        if ((rc = get_str(x, item, path, params[p], &v)) < 0) return rc;
        if (v && (rc = add_param(&st->url, params[p], v)) < 0) return rc;
    }
    if ((rc = ea_store_check_url(st->url)) < 0) {
        char why[768], at[96];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        snprintf(at, sizeof(at), "%s%s", path, json_is_object(item) ? "/url" : "");
        return fail_at(x, at, "%s", why);
    }
    if (!(st->label = ea_malloc(strlen(st->url) + 1))) return ea_fail(EA_ENOMEM, "out of memory");
    if (strstr(st->url, "://"))
        ea_http_url_display(st->label, strlen(st->url) + 1, st->url);
    else
        memcpy(st->label, st->url, strlen(st->url) + 1);
    for (size_t j = 0; j + 1 < c->nstores; j++)
        if (c->stores[j].label && strcmp(c->stores[j].label, st->label) == 0)
            return fail_at(x, path,
                           "a second store at %s: each store must be a different place "
                           "(they are told apart by it in logs and metrics)",
                           st->label);
    return 0;
}

static int parse_stores(struct ctx *x, struct ea_dconfig *c, const json_t *list)
{
    json_t *item;
    size_t i;
    int rc;

    if (!list) return fail_at(x, "stores", "at least one store is needed (stores: [{url: ...}])");
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > STORES_MAX)
        return fail_at(x, "stores", "must be a list of 1 to %d stores", STORES_MAX);
    if (!(c->stores = ea_calloc(json_array_size(list), sizeof(*c->stores))))
        return ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(list, i, item) {
        char path[64];

        snprintf(path, sizeof(path), "stores/%zu", i);
        if ((rc = problem(x, parse_store(x, c, item, path))) < 0) return rc;
    }
    return 0;
}

/*
 * A collector's options, checked against its option table (a watch folder's
 * go to the scan collector) and typed by it; a relative path of an option
 * marked EA_OPTION_RELATIVE is taken from the config's folder, as every path.
 */
static int check_options(struct ctx *x, struct ea_dcollector *dc, const json_t *o, const char *path)
{
    const struct ea_collector *c;
    char at[160], bad[64];
    const char *k;
    json_t *v;
    int rc;

    snprintf(at, sizeof(at), "%s/options", path);
    if (o && !json_is_null(o) && !json_is_object(o))
        return fail_at(x, at, "must be a mapping of collector options");
    if (ea_registry_find(&c, strcmp(dc->name, "watch") == 0 ? "scan" : dc->name) < 0)
        return EA_ECONFIG; /* parse_collector found it already */
    rc = ea_options_check(&dc->options, c, json_is_object(o) ? o : NULL, bad, sizeof(bad));
    if (rc == EA_ENOMEM) return rc;
    if (rc < 0) {
        char why[768];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        if (bad[0]) snprintf(at, sizeof(at), "%s/options/%s", path, bad);
        return fail_at(x, at, "%s", why);
    }
    json_object_foreach(dc->options, k, v) {
        const struct ea_option *opt = ea_option_find(c, k);
        char *abs;
        if (!(opt->flags & EA_OPTION_RELATIVE) || !json_is_string(v)) continue;
        if (!(abs = resolve(x, json_string_value(v))) ||
            json_object_set_new(dc->options, k, json_string(abs)) < 0) {
            ea_free(abs);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        ea_free(abs);
    }
    return 0;
}

static int parse_collector(struct ctx *x, struct ea_dcollector *dc, const json_t *item,
                           const char *path)
{
    static const char *const keys[] = {
        "name", "id", "arg", "interval", "jitter", "controls", "options", "record_unchanged", NULL};
    const struct ea_collector *found = NULL;
    const char *name, *id, *arg;
    char at[96];
    json_t *ctl;
    int rc;

    locate(x, path, &dc->line, &dc->column);
    if (!json_is_object(item)) return only_keys(x, path, item, keys);
    if ((rc = problem(x, only_keys(x, path, item, keys))) < 0) return rc; /* named, goes on */
    if ((rc = get_str(x, item, path, "name", &name)) < 0) return rc;
    if (!name) return fail_at(x, path, "name is required (a collector, or watch)");
    snprintf(at, sizeof(at), "%s/name", path);
    if (strcmp(name, "watch") != 0 && ea_registry_find(&found, name) < 0) {
        char why[512];
        snprintf(why, sizeof(why), "%s", ea_error_message(EA_EUSAGE));
        ea_error_clear();
        return fail_at(x, at, "%s", why);
    }
    if ((rc = get_str(x, item, path, "id", &id)) < 0) return rc;
    if (id && !ea_store_stream_name_ok(id))
        return fail_at(x, path, "id '%s' may hold only letters, digits, '.', '_' and '-'", id);
    if ((rc = get_str(x, item, path, "arg", &arg)) < 0) return rc;
    dc->name = ea_strdup(name);
    dc->id = ea_strdup(id ? id : name);
    if (!dc->name || !dc->id) return ea_fail(EA_ENOMEM, "out of memory");
    if (arg) {
        /* a path is resolved against the config's folder: the drop folder, or an ARG
         * its collector's descriptor marks EA_ARG_PATH */
        bool is_path = strcmp(name, "watch") == 0 || (found && EA_COLLECTOR_HAS(found, arg_flags) &&
                                                      (found->arg_flags & EA_ARG_PATH));
        dc->arg = is_path && strcmp(arg, "-") != 0 ? resolve(x, arg) : ea_strdup(arg);
        if (!dc->arg) return ea_fail(EA_ENOMEM, "out of memory");
    } else if (strcmp(name, "watch") == 0 || strcmp(name, "exec") == 0) {
        return fail_at(x, path, "%s needs arg: %s", name,
                       strcmp(name, "watch") == 0 ? "the drop folder" : "the program's path");
    }
    if ((rc = get_duration(x, item, path, "interval", false, &dc->interval_us)) < 0) return rc;
    if (!dc->interval_us)
        return fail_at(x, path, "interval is required (how often it runs: 30s, 5m, 1h)");
    if (dc->interval_us < INTERVAL_MIN_US) return fail_at(x, path, "interval must be at least 1s");
    dc->jitter_us = dc->interval_us / 10;
    if ((rc = get_duration(x, item, path, "jitter", true, &dc->jitter_us)) < 0) return rc;
    if (dc->jitter_us > dc->interval_us) {
        snprintf(at, sizeof(at), "%s/jitter", path);
        return fail_at(x, at, "must not exceed the interval");
    }
    {
        const json_t *ru = json_object_get(item, "record_unchanged");
        const char *t = json_string_value(ru);
        if (ru && !json_is_boolean(ru) && !(t && (!strcmp(t, "true") || !strcmp(t, "false")))) {
            snprintf(at, sizeof(at), "%s/record_unchanged", path);
            return fail_at(x, at, "must be true or false");
        }
        dc->record_unchanged = json_is_true(ru) || (t && strcmp(t, "true") == 0);
    }
    ctl = json_object_get(item, "controls");
    if (json_is_string(ctl) || json_is_array(ctl)) {
        json_t *one = json_is_string(ctl) ? json_pack("[O]", ctl) : json_incref(ctl), *c;
        size_t i;
        snprintf(at, sizeof(at), "%s/controls", path);
        if (!dc->framework_refs && !(dc->framework_refs = json_array())) {
            json_decref(one);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        json_array_foreach(one, i, c) {
            if (!json_is_string(c) || ea_framework_controls_add(&dc->controls, dc->framework_refs,
                                                                json_string_value(c)) < 0) {
                char why[512];
                snprintf(why, sizeof(why), "%s",
                         ea_error_is_set() ? ea_error_message(EA_EINPUT) : "not a control ID");
                ea_error_clear();
                json_decref(one);
                return fail_at(x, at, "%s", why);
            }
        }
        json_decref(one);
    } else if (ctl && !json_is_null(ctl)) {
        snprintf(at, sizeof(at), "%s/controls", path);
        return fail_at(x, at, "must be a list of Annex A control IDs, e.g. [A.8.32]");
    }
    return check_options(x, dc, json_object_get(item, "options"), path);
}

static int parse_collectors(struct ctx *x, struct ea_dconfig *c, const json_t *list)
{
    json_t *item;
    size_t i;
    int rc;

    if (!list || json_is_null(list)) return 0; /* an ingest-only agent */
    if (!json_is_array(list) || json_array_size(list) > COLLECTORS_MAX)
        return fail_at(x, "collectors", "must be a list of at most %d collectors", COLLECTORS_MAX);
    if (!(c->collectors = ea_calloc(json_array_size(list) + 1, sizeof(*c->collectors))))
        return ea_fail(EA_ENOMEM, "out of memory");
    json_array_foreach(list, i, item) {
        char path[64];
        snprintf(path, sizeof(path), "collectors/%zu", i);
        c->ncollectors++;
        if ((rc = parse_collector(x, &c->collectors[i], item, path)) < 0) {
            if ((rc = problem(x, rc)) < 0) return rc;
            continue; /* the next entry may have a problem of its own */
        }
        for (size_t j = 0; j < i; j++)
            if (c->collectors[j].id && c->collectors[i].id &&
                strcmp(c->collectors[j].id, c->collectors[i].id) == 0 &&
                (rc = problem(x, fail_at(x, path,
                                         "a second collector with id '%s': give each an id of "
                                         "its own",
                                         c->collectors[i].id))) < 0)
                return rc;
    }
    return 0;
}

int ea_dconfig_load(struct ea_dconfig **out, const char *path)
{
    struct ea_buf b;
    int rc = ea_fs_read(&b, path, EA_YAML_FILE_MAX, 0);

    *out = NULL;
    if (rc < 0) {
        if (rc == EA_ENOTFOUND || rc == EA_EIO || rc == EA_ETOOBIG) rc = EA_ECONFIG;
        return rc;
    }
    rc = ea_dconfig_parse(out, path, b.data ? b.data : "", b.len);
    ea_buf_dispose(&b);
    return rc;
}

int ea_dconfig_parse(struct ea_dconfig **out, const char *path, const char *data, size_t len)
{
    static const char *const top[] = {"agent", "signing", "stores", "collectors", NULL};
    struct ctx x = {.file = path};
    struct ea_dconfig *c = ea_calloc(1, sizeof(*c));
    json_t *doc = NULL;
    const char *slash = strrchr(path, '/');
    int rc;

    *out = NULL;
    if (!c) return ea_fail(EA_ENOMEM, "out of memory");
    if (!(c->path = ea_strdup(path))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    x.dir = slash ? ea_strndup(path, (size_t)(slash - path)) : ea_strdup(".");
    if (slash == path) { /* "/agent.yaml" */
        ea_free(x.dir);
        x.dir = ea_strdup("");
    }
    if (!x.dir) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = ea_yaml_parse(path, data, len, &doc, &x.lines);
    if (rc < 0) {
        if (rc != EA_ENOMEM) rc = EA_ECONFIG;
        goto out;
    }
    if ((rc = only_keys(&x, "", doc, top)) < 0) goto out;
    if (!json_object_get(doc, "agent")) {
        rc = ea_fail(EA_ECONFIG, "%s: an agent section is needed (agent: {spool: FOLDER})", path);
        goto out;
    }
    if ((rc = problem(&x, parse_agent(&x, c, json_object_get(doc, "agent")))) < 0) goto out;
    if ((rc = problem(&x, parse_signing(&x, c, json_object_get(doc, "signing")))) < 0) goto out;
    for (size_t i = 0; i < c->nplugins; i++) {
        if ((rc = ea_registry_load_plugin(c->plugins[i], NULL)) < 0) {
            char why[768];
            snprintf(why, sizeof(why), "%s", ea_error_message(rc));
            ea_error_clear();
            if ((rc = problem(&x, fail_at(&x, "agent/plugins", "%s", why))) < 0) goto out;
        }
    }
    if ((rc = problem(&x, parse_stores(&x, c, json_object_get(doc, "stores")))) < 0) goto out;
    if ((rc = problem(&x, parse_collectors(&x, c, json_object_get(doc, "collectors")))) < 0)
        goto out;
    if (x.problems == 1)
        rc = ea_fail(x.first_rc, "%s", x.first);
    else if (x.problems)
        rc = ea_fail(EA_ECONFIG, "%s: %u problems (named above)", path, x.problems);
out:
    json_decref(doc);
    json_decref(x.lines);
    ea_free(x.dir);
    if (rc < 0) {
        ea_dconfig_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
