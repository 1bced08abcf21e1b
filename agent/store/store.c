/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheme table and the key layout shared by every backend. Backends
 * never build keys themselves, so the layout is defined once, here.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "../error.h"
#include "../util/hash.h"
#include "../util/time.h"

static const struct ea_store_ops *const schemes[] = {
    &ea_store_file_ops,
    &ea_store_s3_ops,
};

int ea_store_open(struct ea_store **out, const char *url, unsigned flags)
{
    const char *colon = strchr(url, ':');
    const char *slash = strchr(url, '/');

    *out = NULL;
    if (!*url) return ea_fail(EA_EUSAGE, "empty store URL (give a folder or --store URL)");
    /* "scheme:" only counts before the first slash, so "./a:b" is a path. */
    if (colon && (!slash || colon < slash)) {
        size_t n = (size_t)(colon - url);
        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
            if (strlen(schemes[i]->scheme) == n && strncmp(url, schemes[i]->scheme, n) == 0) {
                const char *loc = colon + 1;
                if (strncmp(loc, "//", 2) == 0) loc += 2;
                return schemes[i]->open(out, loc, flags);
            }
        }
        return ea_fail(EA_EUSAGE, "%s: unknown store scheme '%.*s' (use a folder path, file:// or s3://)",
                       url, (int)n, url);
    }
    return ea_store_file_ops.open(out, url, flags);
}

void ea_store_close(struct ea_store *st)
{
    if (st) st->ops->close(st);
}

int ea_store_put(struct ea_store *st, const struct ea_envelope *env)
{
    return st->ops->put(st, env);
}

int ea_store_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb, void *payload)
{
    return st->ops->list(st, q, cb, payload);
}

int ea_store_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    return st->ops->get(st, key, out);
}

int ea_store_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    if (!ea_store_stream_name_ok(head->stream))
        return ea_fail(EA_EINPUT, "stream name '%s' is not safe for a store key", head->stream);
    return st->ops->put_stream(st, head);
}

int ea_store_sync(struct ea_store *st)
{
    return st->ops->sync(st);
}

int ea_store_list_streams(struct ea_store *st, ea_store_stream_cb cb, void *payload)
{
    return st->ops->list_streams(st, cb, payload);
}

int ea_store_key(char *out, const struct ea_envelope *env, const char *control)
{
    char stamp[EA_TIME_TEXT_MAX];
    int y, m, d, n;

    ea_time_civil(env->time_us, &y, &m, &d);
    ea_time_format_key(stamp, env->time_us);
    n = snprintf(out, EA_STORE_KEY_MAX, "controls/%s/%04d/%02d/%02d/%s_%s.json", control, y, m, d,
                 stamp, env->id);
    if (n < 0 || n >= EA_STORE_KEY_MAX) return ea_fail(EA_EINPUT, "store key too long");
    return 0;
}

int ea_store_parse_name(const char *name, int64_t *time_us, char id[65])
{
    const char *us = strchr(name, '_');
    char stamp[EA_TIME_TEXT_MAX];
    size_t n;

    if (!us || (size_t)(us - name) >= sizeof(stamp) || strlen(us + 1) != 64 + 5 ||
        strcmp(us + 1 + 64, ".json") != 0)
        return ea_fail(EA_EINPUT, "'%s': not a record name (<time>_<id>.json)", name);
    n = (size_t)(us - name);
    memcpy(stamp, name, n);
    stamp[n] = '\0';
    memcpy(id, us + 1, 64);
    id[64] = '\0';
    if (!ea_is_hex(id, 64)) return ea_fail(EA_EINPUT, "'%s': record ID is not hex", name);
    return ea_time_parse_key(time_us, stamp);
}

bool ea_store_stream_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > EA_STREAM_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}
