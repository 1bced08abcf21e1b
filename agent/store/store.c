/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scheme table and the key layout shared by every backend. Backends
 * never build keys themselves, so the layout is defined once, here.
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "../integrity.h"
#include "../util/hash.h"
#include "../util/http.h"
#include "../util/mem.h"
#include "../util/text.h"
#include "../timestamp.h"
#include "../util/time.h"

static const struct ea_store_ops *const schemes[] = {
    &ea_store_file_ops,
    &ea_store_s3_ops,
    &ea_store_http_ops,
    &ea_store_https_ops,
};

/*
 * Refuses a query parameter the backend does not read: a misspelt
 * object_lock_mode would otherwise store records without their lock.
 */
static int check_params(const struct ea_store_ops *ops, const char *url, const char *loc)
{
    const char *q = strchr(loc, '?');
    char shown[512];

    if (q && !ops->params) /* a file URL query would name a folder (a password in it) */
        return ea_fail(EA_EUSAGE,
                       "%.*s?…: a %s:// URL takes no query (a folder whose name holds '?': give "
                       "it as a plain path)",
                       (int)(q - url < 400 ? q - url : 400), url, ops->scheme);
    if (!q || !ops->params) return 0;
    ea_http_url_display(shown, sizeof(shown), url);
    for (q++; *q; q += strcspn(q, "&") + (q[strcspn(q, "&")] == '&')) {
        size_t n = strcspn(q, "=&");
        const char *best = NULL;
        size_t best_d = EA_TEXT_FAR;
        char name[64], names[256] = "";
        size_t used = 0;
        bool known = false;
        if (n == 0) continue;
        snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), q);
        for (const char *const *p = ops->params; *p; p++) {
            size_t d = ea_text_distance(name, *p);
            int w = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", *p);
            if (w > 0 && (size_t)w < sizeof(names) - used) used += (size_t)w;
            known |= n == strlen(*p) && strncmp(q, *p, n) == 0;
            if (d < best_d) {
                best_d = d;
                best = *p;
            }
        }
        if (!known)
            return ea_fail(EA_EUSAGE,
                           "%s: unknown %s:// URL parameter '%s' (did you mean '%s'? it reads: %s)",
                           shown, ops->scheme, name, best ? best : "", names);
    }
    return 0;
}

/* The backend of url (NULL for a folder path) and where its location starts. */
static int find_scheme(const char *url, const struct ea_store_ops **ops, const char **loc)
{
    const char *colon = strchr(url, ':');
    const char *slash = strchr(url, '/');

    *ops = NULL;
    *loc = url;
    if (!*url) return ea_fail(EA_EUSAGE, "empty store URL (give a folder or --store URL)");
    /* "scheme:" only counts before the first slash, so "./a:b" is a path. */
    if (colon && (!slash || colon < slash)) {
        size_t n = (size_t)(colon - url);
        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
            if (strlen(schemes[i]->scheme) == n && strncmp(url, schemes[i]->scheme, n) == 0) {
                *ops = schemes[i];
                *loc = colon + 1;
                if (strncmp(*loc, "//", 2) == 0) *loc += 2;
                return check_params(*ops, url, *loc);
            }
        }
        return ea_fail(EA_EUSAGE,
                       "%s: unknown store scheme '%.*s' (use a folder path, file://, s3://, "
                       "http:// or https://)",
                       url, (int)n, url);
    }
    return 0;
}

int ea_store_check_url(const char *url)
{
    const struct ea_store_ops *ops;
    const char *loc;

    return find_scheme(url, &ops, &loc);
}

int ea_store_open(struct ea_store **out, const char *url, unsigned flags)
{
    const struct ea_store_ops *ops;
    const char *loc;
    int rc;

    *out = NULL;
    if ((rc = find_scheme(url, &ops, &loc)) < 0) return rc;
    return ops ? ops->open(out, loc, flags) : ea_store_file_ops.open(out, url, flags);
}

void ea_store_close(struct ea_store *st)
{
    if (st) st->ops->close(st);
}

int ea_store_put(struct ea_store *st, const struct ea_envelope *env)
{
    return st->ops->put(st, env);
}

long ea_store_retry_after_ms(struct ea_store *st)
{
    return st->ops->retry_after_ms ? st->ops->retry_after_ms(st) : -1;
}

int ea_store_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb, void *payload)
{
    return st->ops->list(st, q, cb, payload);
}

int ea_store_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    return st->ops->get(st, key, out);
}

static int keep_item(const struct ea_store_entry *e, void *payload)
{
    struct ea_store_items *l = payload;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct ea_store_item *nv = ea_realloc(l->v, cap * sizeof(*nv));
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n].time_us = e->time_us;
    memcpy(l->v[l->n].id, e->id, sizeof(l->v[l->n].id));
    if (!(l->v[l->n].key = ea_strdup(e->key))) return ea_fail(EA_ENOMEM, "out of memory");
    l->n++;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const struct ea_store_item *x = a, *y = b;
    if (x->time_us != y->time_us) return x->time_us > y->time_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

int ea_store_list_newest(struct ea_store *st, const struct ea_query *q, struct ea_store_items *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = ea_store_list(st, q, keep_item, out);
    if (rc == 0 && out->n) qsort(out->v, out->n, sizeof(*out->v), newest_first);
    return rc;
}

void ea_store_items_dispose(struct ea_store_items *items)
{
    for (size_t i = 0; i < items->n; i++) ea_free(items->v[i].key);
    ea_free(items->v);
    memset(items, 0, sizeof(*items));
}

/*
 * A head never moves back: one behind the stored head of its stream (a lower
 * sequence, or the same sequence naming another record) is refused. The
 * stored head is read without its signature checked (verify judges it); a
 * store that cannot be read (http(s): write-only) or holds no readable head
 * sets no bound.
 */
static int head_moves_on(struct ea_store *st, const struct ea_stream_head *head)
{
    char key[EA_STORE_KEY_MAX];
    struct ea_buf b;
    struct ea_head old;
    int rc;

    snprintf(key, sizeof(key), "streams/%s.json", head->stream);
    ea_buf_init(&b, 0);
    rc = st->ops->get(st, key, &b);
    if (rc == 0) rc = ea_head_parse(&old, b.data ? b.data : "", b.len, NULL, 0);
    ea_buf_dispose(&b);
    if (rc < 0) {
        ea_error_clear();
        return 0;
    }
    if (old.sequence < head->sequence || (old.sequence == head->sequence && head->last_id &&
                                          strcmp(old.last_id, head->last_id) == 0))
        return 0;
    return ea_fail(EA_EINPUT,
                   "stream %s: a head at sequence %llu (%.12s) would replace the stored head at "
                   "sequence %llu (%.12s): a head never moves back (an older head replayed?)",
                   head->stream, (unsigned long long)head->sequence,
                   head->last_id ? head->last_id : "", (unsigned long long)old.sequence,
                   old.last_id);
}

int ea_store_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    int rc;

    if (!ea_store_stream_name_ok(head->stream))
        return ea_fail(EA_EINPUT, "stream name '%s' is not safe for a store key", head->stream);
    if (!head->envelope || !head->envelope_len)
        return ea_fail(EA_EINPUT, "stream %s: a head must be signed to be stored", head->stream);
    if ((rc = head_moves_on(st, head)) < 0) return rc;
    return st->ops->put_stream(st, head);
}

int ea_store_put_object(struct ea_store *st, const char *key, const char *data, size_t len)
{
    if ((strncmp(key, "checkpoints/", 12) != 0 && !ea_timestamp_key_ok(key)) || strstr(key, "..") ||
        strstr(key, "//"))
        return ea_fail(EA_EINPUT, "'%s': not a checkpoint or timestamp key", key);
    return st->ops->put_object(st, key, data, len);
}

void ea_store_blob_key(char out[EA_BLOB_KEY_LEN + 1], const char *hex)
{
    snprintf(out, EA_BLOB_KEY_LEN + 1, "blobs/sha256/%.64s", hex);
}

bool ea_store_is_blob_key(const char *key, char *hex)
{
    if (strncmp(key, "blobs/sha256/", 13) != 0 || strlen(key) != EA_BLOB_KEY_LEN ||
        !ea_is_hex(key + 13, 64)) /* lower case only: one name per blob */
        return false;
    if (hex) snprintf(hex, 65, "%s", key + 13);
    return true;
}

int ea_store_put_blob(struct ea_store *st, const char *hex, const void *data, size_t len)
{
    char key[EA_BLOB_KEY_LEN + 1];
    char got[EA_SHA256_HEX_LEN + 1];
    int rc;

    if (len > EA_BLOB_MAX_BYTES)
        return ea_fail(EA_ETOOBIG, "blob %.12s: %zu bytes, over the %zu-byte limit of a blob", hex,
                       len, EA_BLOB_MAX_BYTES);
    ea_store_blob_key(key, hex);
    if (!ea_store_is_blob_key(key, NULL))
        return ea_fail(EA_EINPUT, "'%s': a blob is named by 64 lower-case hex digits", hex);
    if ((rc = ea_sha256_hex(got, data, len)) < 0) return rc;
    if (strcmp(got, hex) != 0)
        return ea_fail(EA_EINPUT, "blob %.12s: its bytes hash to %.12s, not to its name", hex, got);
    return st->ops->put_object(st, key, (const char *)data, len);
}

size_t ea_store_object_max(const char *key)
{
    return strncmp(key, "blobs/", 6) == 0 ? EA_BLOB_MAX_BYTES : EA_STORE_OBJECT_MAX;
}

int ea_store_probe(struct ea_store *st)
{
    return st->ops->probe ? st->ops->probe(st) : 0;
}

int ea_store_sync(struct ea_store *st)
{
    return st->ops->sync(st);
}

int ea_store_walk(struct ea_store *st, ea_store_object_cb cb, void *payload)
{
    return st->ops->walk(st, cb, payload);
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

char *ea_stream_head_text(const struct ea_stream_head *head)
{
    char *text = head->envelope ? ea_malloc(head->envelope_len + 2) : NULL;

    if (text) {
        memcpy(text, head->envelope, head->envelope_len);
        text[head->envelope_len] = '\n';
        text[head->envelope_len + 1] = '\0';
    }
    return text;
}
