/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spool: see spool.h. Layout under the spool folder:
 *
 *   pending/<batch>     committed, waiting for the stores
 *   seen/<tag>          a shipped batch of the drop folder (its source's digest)
 *   rejected/<batch>    a batch that cannot be read, kept with <batch>.reason
 *
 * The counters (batches, records, bytes) are kept in memory under the lock
 * and rebuilt from the names and sizes of pending/ on open.
 */
#include "spool.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../audit.h"
#include "../util/error.h"
#include "../integrity.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/mem.h"
#include "../timestamp.h"
#include "../util/time.h"

#define BATCH_READ_MAX ((size_t)1 << 30)

struct ea_spool {
    char *dir, *pending, *seen, *rejected; /* owned paths */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t wakeups; /* bumped by every commit and ea_spool_wake */
    struct ea_spool_stats stats;
};

struct writer {
    struct ea_store base; /* first: the ops cast back to writer */
    struct ea_spool *sp;
    struct ea_buf staged;
    unsigned records;
    char tag[65];
};

const char *ea_spool_dir(const struct ea_spool *s)
{
    return s->dir;
}

/* "<time>-<random>-<records>[-<tag>].batch": records and tag, or false when not a batch. */
static bool parse_name(const char *name, unsigned *records, char tag[65])
{
    size_t len = strlen(name);
    const char *p = name;
    char *end;
    unsigned long n;

    if (len < 6 || strcmp(name + len - 6, ".batch") != 0 || name[0] == '.') return false;
    if (!(p = strchr(name, '-')) || !(p = strchr(p + 1, '-'))) return false;
    errno = 0;
    n = strtoul(p + 1, &end, 10);
    if (errno || end == p + 1 || n > UINT32_MAX) return false;
    *records = (unsigned)n;
    tag[0] = '\0';
    if (*end == '-') {
        if ((size_t)(name + len - 6 - (end + 1)) != 64 || strspn(end + 1, "0123456789abcdef") != 64)
            return false;
        memcpy(tag, end + 1, 64);
        tag[64] = '\0';
    } else if (strcmp(end, ".batch") != 0) {
        return false;
    }
    return true;
}

static bool is_batch(const char *name)
{
    unsigned records;
    char tag[65];

    return parse_name(name, &records, tag);
}

static bool is_ingest_leftover(const char *name)
{
    return strncmp(name, "ingest-", 7) == 0;
}

/* Unlinks dir/name for every name keep() accepts (best effort: start-up cleaning). */
static void unlink_all(const char *dir, bool (*keep)(const char *name))
{
    char **names;
    size_t n;

    if (ea_fs_list_dir(&names, &n, dir, keep) < 0) {
        ea_error_clear();
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *path = ea_asprintf("%s/%s", dir, names[i]);
        if (path) unlink(path);
        ea_free(path);
    }
    ea_fs_names_free(names, n);
}

static bool is_uncommitted(const char *name)
{
    return strstr(name, ".tmp.") != NULL; /* a batch never committed: its writer saw the failure */
}

static int count_pending(struct ea_spool *s)
{
    char **names;
    size_t n;
    int rc;

    unlink_all(s->pending, is_uncommitted);
    if ((rc = ea_fs_list_dir(&names, &n, s->pending, is_batch)) < 0) return rc;
    for (size_t i = 0; i < n; i++) {
        char tag[65], *path = ea_asprintf("%s/%s", s->pending, names[i]);
        unsigned records;
        struct stat st;

        if (!path) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        if (parse_name(names[i], &records, tag) && stat(path, &st) == 0) {
            s->stats.batches++;
            s->stats.records += records;
            s->stats.bytes += (uint64_t)st.st_size;
        }
        ea_free(path);
    }
    ea_fs_names_free(names, n);
    return rc;
}

int ea_spool_open(struct ea_spool **out, const char *dir, uint64_t max_bytes)
{
    struct ea_spool *s = ea_calloc(1, sizeof(*s));
    int rc = 0;

    *out = NULL;
    if (!s) return ea_fail(EA_ENOMEM, "out of memory");
    s->dir = ea_strdup(dir);
    s->pending = ea_asprintf("%s/pending", dir);
    s->seen = ea_asprintf("%s/seen", dir);
    s->rejected = ea_asprintf("%s/rejected", dir);
    s->stats.max_bytes = max_bytes;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!s->dir || !s->pending || !s->seen || !s->rejected)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0) rc = ea_fs_mkdirs(s->pending);
    if (rc == 0) rc = ea_fs_mkdirs(s->seen);
    if (rc == 0) rc = ea_fs_mkdirs(s->rejected);
    if (rc == 0) rc = count_pending(s);
    /* raw reports a crash left behind mid-ingest (SPOOL/ingest-XXXXXX): never spooled, unredacted
     */
    if (rc == 0) unlink_all(dir, is_ingest_leftover);
    if (rc < 0) {
        ea_fail_prefix("spool %s", dir);
        ea_spool_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void ea_spool_close(struct ea_spool *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    ea_free(s->dir);
    ea_free(s->pending);
    ea_free(s->seen);
    ea_free(s->rejected);
    ea_free(s);
}

void ea_spool_set_max(struct ea_spool *s, uint64_t max_bytes)
{
    pthread_mutex_lock(&s->lock);
    s->stats.max_bytes = max_bytes;
    pthread_mutex_unlock(&s->lock);
}

bool ea_spool_full(struct ea_spool *s)
{
    struct ea_spool_stats st;

    ea_spool_stats(s, &st);
    return st.full;
}

void ea_spool_stats(struct ea_spool *s, struct ea_spool_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
    out->full = out->max_bytes && out->bytes >= out->max_bytes;
}

void ea_spool_wake(struct ea_spool *s)
{
    pthread_mutex_lock(&s->lock);
    s->wakeups++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

uint64_t ea_spool_wakeups(struct ea_spool *s)
{
    uint64_t n;

    pthread_mutex_lock(&s->lock);
    n = s->wakeups;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void ea_spool_wait(struct ea_spool *s, uint64_t seen, long timeout_ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (s->wakeups == seen)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&s->lock);
}

/* ---- writers ---- */

static int w_put_line(struct writer *w, char type, const char *json, size_t len)
{
    char prefix[2] = {type, ' '};

    if (memchr(json, '\n', len)) return ea_fail(EA_EINPUT, "a spooled line holds a newline");
    if (ea_buf_append(&w->staged, prefix, 2) < 0 || ea_buf_append(&w->staged, json, len) < 0 ||
        ea_buf_append(&w->staged, "\n", 1) < 0)
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static int w_put(struct ea_store *st, const struct ea_envelope *env)
{
    struct writer *w = (struct writer *)st;
    int rc = w_put_line(w, 'E', env->json, env->json_len);

    if (rc == 0) w->records++;
    return rc;
}

int ea_spool_writer_put_raw(struct ea_store *st, const char *json, size_t len)
{
    struct writer *w = (struct writer *)st;
    int rc = w_put_line(w, 'E', json, len);

    if (rc == 0) w->records++;
    return rc;
}

static int w_put_stream(struct ea_store *st, const struct ea_stream_head *head)
{
    struct writer *w = (struct writer *)st;
    char *text = ea_stream_head_text(head);
    int rc = text ? w_put_line(w, 'H', text, strlen(text) - 1) /* the line is ours to end */
                  : ea_fail(EA_ENOMEM, "out of memory");

    ea_free(text);
    return rc;
}

static int w_sync(struct ea_store *st)
{
    struct writer *w = (struct writer *)st;
    struct ea_spool *s = w->sp;
    unsigned char rnd[4];
    char hex[9], *path;
    int rc;

    if (w->staged.len == 0) return 0;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) return ea_fail(EA_ERROR, "no randomness from OpenSSL");
    ea_hex_encode(hex, rnd, sizeof(rnd));
    path = ea_asprintf("%s/%017" PRId64 "-%s-%u%s%s.batch", s->pending, ea_time_now_us(), hex,
                       w->records, w->tag[0] ? "-" : "", w->tag);
    if (!path) return ea_fail(EA_ENOMEM, "out of memory");
    /* Counted before the rename makes it visible, so the shipper never removes it uncounted. */
    pthread_mutex_lock(&s->lock);
    s->stats.batches++;
    s->stats.records += w->records;
    s->stats.bytes += w->staged.len;
    pthread_mutex_unlock(&s->lock);
    rc = ea_fs_write_atomic(path, w->staged.data, w->staged.len, true);
    ea_free(path);
    pthread_mutex_lock(&s->lock);
    if (rc < 0) { /* never visible: take it back */
        s->stats.batches--;
        s->stats.records -= w->records;
        s->stats.bytes -= w->staged.len;
    }
    s->wakeups++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (rc < 0) {
        ea_fail_prefix("spool");
        return rc; /* staged lines stay: the caller may retry, or drop the writer */
    }
    ea_buf_reset(&w->staged);
    w->records = 0;
    w->tag[0] = '\0';
    return 0;
}

static int w_unsupported(void)
{
    return ea_fail(EA_EUSAGE, "the spool is write-only: read from a store");
}

static int w_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb, void *p)
{
    (void)st, (void)q, (void)cb, (void)p;
    return w_unsupported();
}

static int w_get(struct ea_store *st, const char *key, struct ea_buf *out)
{
    (void)st, (void)key;
    ea_buf_init(out, 0);
    return w_unsupported();
}

static int w_walk(struct ea_store *st, ea_store_object_cb cb, void *p)
{
    (void)st, (void)cb, (void)p;
    return w_unsupported();
}

/*
 * A blob (ea_store_put_blob checked its digest): "B <base64>", shipped like a record;
 * a record's token (the only other object the pipeline stages): "T <key> <companion>".
 */
static int w_put_object(struct ea_store *st, const char *key, const char *data, size_t len)
{
    struct writer *w = (struct writer *)st;
    struct ea_buf line;
    int rc;

    if (ea_store_is_blob_key(key, NULL)) {
        char *b64 = NULL;
        size_t n = 0;
        if ((rc = ea_base64_encode(&b64, &n, data, len)) < 0) return rc;
        rc = w_put_line(w, 'B', b64, n);
        ea_free(b64);
        return rc;
    }
    if (!ea_timestamp_key_ok(key))
        return ea_fail(EA_EINPUT, "'%s': the spool takes only timestamp and blob objects", key);
    while (len && data[len - 1] == '\n') len--;
    ea_buf_init(&line, 0);
    if (ea_buf_puts(&line, key) < 0 || ea_buf_append(&line, " ", 1) < 0 ||
        ea_buf_append(&line, data, len) < 0)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    else
        rc = w_put_line(w, 'T', line.data, line.len);
    ea_buf_dispose(&line);
    return rc;
}

static void w_close(struct ea_store *st)
{
    struct writer *w = (struct writer *)st;

    if (!w) return;
    ea_buf_dispose(&w->staged);
    ea_free(w);
}

static const struct ea_store_ops writer_ops = {
    .scheme = "spool",
    .open = NULL,
    .put = w_put,
    .list = w_list,
    .get = w_get,
    .put_stream = w_put_stream,
    .sync = w_sync,
    .walk = w_walk,
    .put_object = w_put_object,
    .close = w_close,
};

int ea_spool_writer(struct ea_spool *s, struct ea_store **out)
{
    struct writer *w = ea_calloc(1, sizeof(*w));

    *out = NULL;
    if (!w) return ea_fail(EA_ENOMEM, "out of memory");
    w->base.ops = &writer_ops;
    w->sp = s;
    ea_buf_init(&w->staged, 0);
    *out = &w->base;
    return 0;
}

void ea_spool_writer_tag(struct ea_store *st, const char *tag)
{
    struct writer *w = (struct writer *)st;

    snprintf(w->tag, sizeof(w->tag), "%s", tag && strlen(tag) == 64 ? tag : "");
}

/* ---- the shipper's side ---- */

int ea_spool_list(struct ea_spool *s, char ***out, size_t *n)
{
    return ea_fs_list_dir(out, n, s->pending, is_batch);
}

void ea_spool_batch_dispose(struct ea_spool_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].is_blob) {
            ea_free(b->items[i].blob);
        } else if (b->items[i].is_object) {
            ea_free(b->items[i].key);
            ea_free(b->items[i].data);
        } else if (b->items[i].is_head) {
            ea_free((char *)b->items[i].head.stream);
            ea_free((char *)b->items[i].head.last_id);
            ea_free((char *)b->items[i].head.envelope);
        } else {
            ea_envelope_dispose(&b->items[i].env);
        }
    }
    ea_free(b->items);
    ea_free(b->name);
    memset(b, 0, sizeof(*b));
}

/* "<key> <companion>": a well-formed companion filed under the key of the record it names. */
static int parse_object(struct ea_spool_item *it, const char *text, size_t len)
{
    const char *sp = memchr(text, ' ', len);
    struct ea_timestamp ts;
    char want[EA_TIMESTAMP_KEY_LEN + 1];
    int rc;

    it->is_object = true;
    if (!sp || (size_t)(sp - text) != EA_TIMESTAMP_KEY_LEN)
        return ea_fail(EA_EINPUT, "a timestamp line has no key");
    rc = ea_timestamp_parse(&ts, sp + 1, len - (size_t)(sp + 1 - text));
    if (rc == 0) {
        ea_timestamp_key(want, ts.record);
        if (strncmp(want, text, EA_TIMESTAMP_KEY_LEN) != 0)
            rc = ea_fail(EA_EINPUT, "a timestamp line's key is not its record's");
    }
    ea_timestamp_dispose(&ts);
    if (rc < 0) return rc;
    it->data_len = len - (size_t)(sp + 1 - text) + 1;
    if (!(it->key = ea_strndup(text, EA_TIMESTAMP_KEY_LEN)) ||
        !(it->data = ea_malloc(it->data_len)))
        return ea_fail(EA_ENOMEM, "out of memory");
    memcpy(it->data, sp + 1, it->data_len - 1);
    it->data[it->data_len - 1] = '\n';
    return 0;
}

/* A signed head as spooled (checked against the trusted keys before it was spooled). */
static int parse_head(struct ea_spool_item *it, const char *text, size_t len)
{
    struct ea_head h;
    int rc = ea_head_parse(&h, text, len, NULL, 0);

    it->is_head = true;
    if (rc == EA_EVERIFY && strstr(ea_error_message(rc), "unsigned")) {
        /* Spooled by a version that did not sign heads: the batch's records still ship,
         * this head does not (envelope NULL); verify then names the stream's head. */
        ea_error_clear();
        return 0;
    }
    if (rc == 0 &&
        (!(it->head.stream = ea_strdup(h.stream)) || !(it->head.last_id = ea_strdup(h.last_id)) ||
         !(it->head.envelope = ea_strndup(text, len))))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    it->head.sequence = rc == 0 ? h.sequence : 0;
    it->head.envelope_len = rc == 0 ? len : 0;
    return rc;
}

/* A blob as spooled: its bytes, and their SHA-256, which names it in every store. */
static int parse_blob(struct ea_spool_item *it, const char *text, size_t len)
{
    int rc;

    it->is_blob = true;
    rc = ea_base64_decode(&it->blob, &it->blob_len, text, len);
    if (rc == 0 && it->blob_len > EA_BLOB_MAX_BYTES)
        rc = ea_fail(EA_ETOOBIG, "a blob of %zu bytes, over the limit of a blob", it->blob_len);
    if (rc == 0)
        rc =
            ea_sha256_hex(it->blob_sha256, it->blob ? it->blob : (unsigned char *)"", it->blob_len);
    return rc;
}

int ea_spool_read(struct ea_spool *s, const char *name, struct ea_spool_batch *out)
{
    struct ea_buf b;
    char *path = ea_asprintf("%s/%s", s->pending, name);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!path) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_fs_read(&b, path, BATCH_READ_MAX, EA_FS_NOFOLLOW);
    ea_free(path);
    if (rc < 0) return rc;
    rc = ea_spool_parse(out, name, b.data ? b.data : "", b.len);
    ea_buf_dispose(&b);
    return rc;
}

int ea_spool_parse(struct ea_spool_batch *out, const char *name, const char *data, size_t len)
{
    unsigned records;
    size_t cap = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!(out->name = ea_strdup(name))) return ea_fail(EA_ENOMEM, "out of memory");
    if (!parse_name(name, &records, out->tag))
        return ea_fail(EA_EINPUT, "%s: not a batch name", name);
    out->bytes = len;
    for (size_t at = 0; rc == 0 && at < len;) {
        const char *line = data + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        struct ea_spool_item *it;

        at += n + 1;
        if (!nl) {
            rc = ea_fail(EA_EINPUT, "%s: the last line is cut short", name);
            break;
        }
        if (out->n == cap) {
            struct ea_spool_item *nv =
                ea_realloc(out->items, (cap = cap ? cap * 2 : 16) * sizeof(*nv));
            if (!nv) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                break;
            }
            out->items = nv;
        }
        it = &out->items[out->n++];
        memset(it, 0, sizeof(*it));
        if (n > 2 && line[0] == 'E' && line[1] == ' ')
            rc = ea_audit_envelope(&it->env, line + 2, n - 2, NULL, 0);
        else if (n > 2 && line[0] == 'H' && line[1] == ' ')
            rc = parse_head(it, line + 2, n - 2);
        else if (n > 2 && line[0] == 'T' && line[1] == ' ')
            rc = parse_object(it, line + 2, n - 2);
        else if (n > 1 && line[0] == 'B' && line[1] == ' ')
            rc = parse_blob(it, line + 2, n - 2);
        else
            rc = ea_fail(EA_EINPUT,
                         "a line is neither a record, a stream head, a timestamp nor a blob");
        if (rc < 0) ea_fail_prefix("%s: line %zu", name, out->n);
    }
    return rc;
}

static void forget_bytes(struct ea_spool *s, const struct ea_spool_batch *b, const char *name)
{
    unsigned records = 0;
    char tag[65];

    parse_name(name, &records, tag);
    pthread_mutex_lock(&s->lock);
    s->stats.batches -= s->stats.batches ? 1 : 0;
    s->stats.records -= s->stats.records >= records ? records : s->stats.records;
    s->stats.bytes -= s->stats.bytes >= b->bytes ? b->bytes : s->stats.bytes;
    s->wakeups++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

int ea_spool_remove(struct ea_spool *s, const struct ea_spool_batch *b)
{
    char *path = ea_asprintf("%s/%s", s->pending, b->name);
    int rc = path ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    if (rc == 0 && b->tag[0]) {
        char *mark = ea_asprintf("%s/%s", s->seen, b->tag);
        rc = mark ? ea_fs_write_atomic(mark, "", 0, true) : ea_fail(EA_ENOMEM, "out of memory");
        ea_free(mark);
    }
    if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
        rc = ea_fail(EA_EIO, "%s: cannot remove: %s", path, strerror(errno));
    if (rc == 0) rc = ea_fs_sync_dir(s->pending);
    if (rc == 0) forget_bytes(s, b, b->name);
    ea_free(path);
    return rc;
}

int ea_spool_reject(struct ea_spool *s, const char *name, const char *reason)
{
    char *from = ea_asprintf("%s/%s", s->pending, name);
    char *to = ea_asprintf("%s/%s", s->rejected, name);
    char *why = ea_asprintf("%s/%s.reason", s->rejected, name);
    struct ea_spool_batch b = {0};
    struct stat st;
    int rc = from && to && why ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    if (rc == 0 && stat(from, &st) == 0) b.bytes = (uint64_t)st.st_size;
    if (rc == 0) rc = ea_fs_write_atomic(why, reason, strlen(reason), false);
    if (rc == 0 && rename(from, to) < 0)
        rc = ea_fail(EA_EIO, "%s: cannot move to %s: %s", from, s->rejected, strerror(errno));
    if (rc == 0) rc = ea_fs_sync_dir(s->rejected);
    if (rc == 0) rc = ea_fs_sync_dir(s->pending);
    if (rc == 0) forget_bytes(s, &b, name);
    ea_free(from);
    ea_free(to);
    ea_free(why);
    return rc;
}

bool ea_spool_tag_seen(struct ea_spool *s, const char *tag)
{
    char *mark;
    char **names = NULL;
    size_t n = 0;
    bool seen = false;

    /* pending first, then the marker: the shipper writes the marker before it removes the
     * batch, so looking in this order cannot miss a batch shipped in between */
    if (ea_spool_list(s, &names, &n) == 0) {
        for (size_t i = 0; i < n && !seen; i++) {
            unsigned records;
            char t[65];
            seen = parse_name(names[i], &records, t) && strcmp(t, tag) == 0;
        }
        ea_fs_names_free(names, n);
    } else {
        ea_error_clear();
    }
    if (!seen && (mark = ea_asprintf("%s/%s", s->seen, tag))) {
        seen = ea_fs_exists(mark);
        ea_free(mark);
    }
    return seen;
}

void ea_spool_tags_prune(struct ea_spool *s, int64_t max_age_us)
{
    time_t now = time(NULL);
    char **names;
    size_t n;

    if (ea_fs_list_dir(&names, &n, s->seen, NULL) < 0) {
        ea_error_clear();
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *path = ea_asprintf("%s/%s", s->seen, names[i]);

        if (path && stat(path, &st) == 0 && (int64_t)(now - st.st_mtime) * 1000000 > max_age_us)
            unlink(path);
        ea_free(path);
    }
    ea_fs_names_free(names, n);
}
