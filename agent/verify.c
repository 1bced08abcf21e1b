/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whole-store check; see verify.h. One walk lists every object of the
 * store without following links; each is then judged by what its key says
 * it is (record, stream head, checkpoint) and anything else is reported.
 * Records come first, since heads and checkpoints are judged against them.
 * Blobs (attest --attach) come last: each must hash to its name, and each
 * one a sound record names must be there.
 */
#include "verify.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "audit.h"
#include "util/error.h"
#include "integrity.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"
#include "timestamp.h"

struct rec {
    char id[65];
    char stream[EA_STREAM_MAX + 1];
    uint64_t sequence;
    char previous[65];    /* "" for null */
    uint64_t expected[2]; /* catalogue indexes of predicate.controls */
    uint64_t filed[2];    /* catalogue indexes of the controls a copy was found under */
    bool bad;             /* failed a check: known only from its unverified payload */
    bool headed;          /* (last of its stream) a head file names this stream */
};

struct entry { /* a record object found by the walk */
    char *key; /* owned */
    char control[16];
    char id[65];
    int64_t time_us;
};

struct list {
    char **v; /* owned keys */
    size_t n, cap;
};

struct claim {          /* what a checkpoint states about one stream */
    const char *stream; /* borrowed from the checkpoint kept in cps */
    uint64_t sequence;
    const char *last_id;
    const char *from; /* the checkpoint's key (or the saved file) */
};

struct ctx {
    const struct ea_verify_opts *o;
    struct ea_verify_result *res;
    struct entry *entries;
    size_t nentries, ecap;
    char (*bad)[65]; /* IDs of record files present but failing a check (sorted once walked) */
    size_t nbad, badcap;
    struct list heads, checkpoints, stamps;
    struct list blobs;               /* blob keys the walk found */
    struct list blob_refs, ref_from; /* blob keys sound records name, and those records' keys */
    struct rec *recs;
    size_t nrecs, rcap;
    struct ea_checkpoint *cps; /* every checkpoint that parsed, for its claims */
    char **cp_from;            /* owned: where each came from */
    size_t ncps, cpcap;
    struct ea_buf latest;
};

static void problem(struct ctx *v, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct ctx *v, const char *where, const char *fmt, ...)
{
    va_list ap;

    fprintf(v->o->out, "FAIL %s/%s: ", v->o->store_url, where);
    va_start(ap, fmt);
    vfprintf(v->o->out, fmt, ap);
    va_end(ap);
    fputc('\n', v->o->out);
    v->res->problems++;
}

static int list_add(struct list *l, const char *key)
{
    if (l->n == l->cap) {
        char **nv = ea_realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 64) * sizeof(*nv));
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        l->v = nv;
    }
    if (!(l->v[l->n] = ea_strdup(key))) return ea_fail(EA_ENOMEM, "out of memory");
    l->n++;
    return 0;
}

static void list_dispose(struct list *l)
{
    for (size_t i = 0; i < l->n; i++) ea_free(l->v[i]);
    ea_free(l->v);
}

/* Notes a record file that is there but failed: its ID (from its name) is not missing. */
static int add_bad(struct ctx *v, const char *id)
{
    if (v->nbad == v->badcap) {
        char(*nv)[65] = ea_realloc(v->bad, (v->badcap = v->badcap ? v->badcap * 2 : 16) * 65);
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        v->bad = nv;
    }
    snprintf(v->bad[v->nbad++], 65, "%s", id);
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* True when a file named for record id is in the store but failed (reported as such). */
static bool is_bad(const struct ctx *v, const char *id)
{
    return id && id[0] && v->nbad && bsearch(id, v->bad, v->nbad, 65, cmp_id) != NULL;
}

/* True when s starts with n digits followed by end. */
static bool digits(const char *s, size_t n, char end)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return s[n] == end;
}

/* controls/<2022 ID>/<YYYY>/<MM>/<DD>/<time>_<id>.json: the entry, or a problem. */
static int classify_record(struct ctx *v, const char *key)
{
    const char *c = key + 9, *slash = strchr(c, '/');
    const struct ea_control *ctl;
    char control[16];
    struct entry *e;
    int64_t t;
    char id[65];

    if (!slash || (size_t)(slash - c) >= sizeof(control)) {
        problem(v, key, "not in a control folder (controls/<2022 control ID>/YYYY/MM/DD/)");
        return 0;
    }
    memcpy(control, c, (size_t)(slash - c));
    control[slash - c] = '\0';
    if (v->o->control && strcmp(control, v->o->control) != 0) return 0;
    ctl = ea_controls_find(control);
    if (!ctl || strcmp(ctl->id, control) != 0) {
        problem(v, key,
                "folder '%s' is not a control ID of the 2022 catalogue: records are "
                "filed only under 2022 IDs",
                control);
        return 0;
    }
    if (!digits(slash + 1, 4, '/') || !digits(slash + 6, 2, '/') || !digits(slash + 9, 2, '/') ||
        strchr(slash + 12, '/')) {
        problem(v, key, "not in a day folder (controls/%s/YYYY/MM/DD/<time>_<id>.json)", control);
        return 0;
    }
    if (ea_store_parse_name(slash + 12, &t, id) < 0) {
        ea_error_clear();
        problem(v, key, "not a record name (<time>_<id>.json): a stray file");
        return 0;
    }
    if (v->nentries == v->ecap) {
        struct entry *nv =
            ea_realloc(v->entries, (v->ecap = v->ecap ? v->ecap * 2 : 256) * sizeof(*nv));
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        v->entries = nv;
    }
    e = &v->entries[v->nentries];
    if (!(e->key = ea_strdup(key))) return ea_fail(EA_ENOMEM, "out of memory");
    snprintf(e->control, sizeof(e->control), "%s", control);
    memcpy(e->id, id, sizeof(e->id));
    e->time_us = t;
    v->nentries++;
    return 0;
}

/* A record the window's listing found (the listing names only records, in the window). */
static int on_entry(const struct ea_store_entry *se, void *payload)
{
    struct ctx *v = payload;
    struct entry *e;

    if (v->nentries == v->ecap) {
        struct entry *nv =
            ea_realloc(v->entries, (v->ecap = v->ecap ? v->ecap * 2 : 256) * sizeof(*nv));
        if (!nv) return ea_fail(EA_ENOMEM, "out of memory");
        v->entries = nv;
    }
    e = &v->entries[v->nentries];
    if (!(e->key = ea_strdup(se->key))) return ea_fail(EA_ENOMEM, "out of memory");
    snprintf(e->control, sizeof(e->control), "%s", se->control);
    snprintf(e->id, sizeof(e->id), "%s", se->id);
    e->time_us = se->time_us;
    v->nentries++;
    return 0;
}

/* True when key names a stored object: controls/<2022 ID>/YYYY/MM/DD/<record name>,
 * streams/<stream>.json or checkpoints/<agent>/<12 digits>.json. */
static bool object_key(const char *k, size_t n)
{
    char buf[EA_STORE_KEY_MAX], id[65];
    const char *name, *slash;
    const struct ea_control *ctl;
    int64_t t;

    if (n >= sizeof(buf)) return false;
    memcpy(buf, k, n);
    buf[n] = '\0';
    name = strrchr(buf, '/');
    if (!name) return false;
    name++;
    if (strncmp(buf, "controls/", 9) == 0) {
        slash = strchr(buf + 9, '/');
        if (!slash || (size_t)(slash - (buf + 9)) >= 16) return false;
        buf[slash - buf] = '\0';
        ctl = ea_controls_find(buf + 9);
        if (!ctl || strcmp(ctl->id, buf + 9) != 0) return false;
        if (!digits(slash + 1, 4, '/') || !digits(slash + 6, 2, '/') ||
            !digits(slash + 9, 2, '/') || slash + 12 != name)
            return false;
        if (ea_store_parse_name(name, &t, id) < 0) {
            ea_error_clear();
            return false;
        }
        return true;
    }
    if (strncmp(buf, "streams/", 8) == 0) {
        size_t len = strlen(name);
        if (name != buf + 8 || len <= 5 || strcmp(name + len - 5, ".json") != 0) return false;
        buf[n - 5] = '\0';
        return ea_store_stream_name_ok(name);
    }
    if (strncmp(buf, "timestamps/", 11) == 0) return ea_timestamp_key_ok(buf);
    if (strncmp(buf, "blobs/", 6) == 0) return ea_store_is_blob_key(buf, NULL);
    if (strncmp(buf, "checkpoints/", 12) == 0) {
        slash = strchr(buf + 12, '/');
        if (slash + 1 != name || strlen(name) != 17 || !digits(name, 12, '.') ||
            strcmp(name + 12, ".json") != 0)
            return false;
        buf[slash - buf] = '\0';
        return ea_store_stream_name_ok(buf + 12);
    }
    return false;
}

/* A file backend's temp file: <object key>.tmp.<pid>.<n>, nothing else. */
static bool is_temp(const char *k)
{
    const char *t = strstr(k, ".json.tmp.");
    const char *p;

    if (!t && strncmp(k, "blobs/", 6) == 0 && strlen(k) > EA_BLOB_KEY_LEN &&
        strncmp(k + EA_BLOB_KEY_LEN, ".tmp.", 5) == 0)
        t = k + EA_BLOB_KEY_LEN - 5; /* a blob's name has no .json */
    if (!t) return false;
    p = t + 10;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    if (*p++ != '.' || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    return *p == '\0' && object_key(k, (size_t)(t + 5 - k));
}

static int on_object(const struct ea_store_object *ob, void *payload)
{
    struct ctx *v = payload;
    const char *k = ob->key;

    if (v->o->control && strncmp(k, "controls/", 9) != 0) return 0;
    /* A writer's temp file next to the object it will become: in flight, or left by a crash. */
    if (ob->kind == EA_STORE_FILE && is_temp(k)) return 0;
    v->res->objects++;
    if (ob->kind == EA_STORE_FOLDER) {
        problem(v, k, "%s", ob->why ? ob->why : "a folder that was not read");
        return 0;
    }
    if (ob->kind == EA_STORE_LINK || ob->kind == EA_STORE_SPECIAL) {
        const char *name = strrchr(k, '/');
        int64_t t;
        char id[65];
        if (ob->kind == EA_STORE_LINK)
            problem(v, k, "a symbolic link (not followed): a store holds regular files only");
        else
            problem(v, k, "not a regular file (a FIFO, socket or device; not read)");
        if (strncmp(k, "controls/", 9) == 0 && name && ea_store_parse_name(name + 1, &t, id) == 0)
            return add_bad(v, id); /* the record is there, if not as it should be */
        ea_error_clear();
        return 0;
    }
    if (strncmp(k, "controls/", 9) == 0) return classify_record(v, k);
    if (strncmp(k, "streams/", 8) == 0) {
        size_t n = strlen(k + 8);
        char name[EA_STREAM_MAX + 1];
        if (n > 5 && n - 5 <= EA_STREAM_MAX && strcmp(k + 8 + n - 5, ".json") == 0) {
            memcpy(name, k + 8, n - 5);
            name[n - 5] = '\0';
            if (ea_store_stream_name_ok(name)) return list_add(&v->heads, k);
        }
        problem(v, k, "not a stream head name (streams/<stream>.json): a stray file");
        return 0;
    }
    if (strncmp(k, "checkpoints/", 12) == 0) {
        const char *slash = strchr(k + 12, '/');
        if (slash && (size_t)(slash - (k + 12)) <= EA_STREAM_MAX && strlen(slash + 1) == 17 &&
            digits(slash + 1, 12, '.') && strcmp(slash + 13, ".json") == 0) {
            char agent[EA_STREAM_MAX + 1];
            memcpy(agent, k + 12, (size_t)(slash - (k + 12)));
            agent[slash - (k + 12)] = '\0';
            if (ea_store_stream_name_ok(agent)) return list_add(&v->checkpoints, k);
        }
        problem(v, k, "not a checkpoint name (checkpoints/<agent>/<12 digits>.json): a stray file");
        return 0;
    }
    if (strncmp(k, "timestamps/", 11) == 0) {
        if (ea_timestamp_key_ok(k)) return list_add(&v->stamps, k);
        problem(v, k, "not a timestamp name (timestamps/<2 hex>/<record ID>.json): a stray file");
        return 0;
    }
    if (strncmp(k, "blobs/", 6) == 0) {
        if (ea_store_is_blob_key(k, NULL)) return list_add(&v->blobs, k);
        problem(v, k, "not a blob name (blobs/sha256/<64 lower-case hex digits>): a stray file");
        return 0;
    }
    problem(v, k,
            "not part of an evidence store (controls/, streams/, checkpoints/, timestamps/, "
            "blobs/): a stray file");
    return 0;
}

static void mark(uint64_t bits[2], const char *control)
{
    size_t n;
    const struct ea_control *all = ea_controls_all(&n);
    const struct ea_control *c = ea_controls_find(control);

    if (c) {
        size_t i = (size_t)(c - all);
        bits[i / 64] |= 1ULL << (i % 64);
    }
}

static struct rec *new_rec(struct ctx *v)
{
    struct rec *x;

    if (v->nrecs == v->rcap) {
        struct rec *nv = ea_realloc(v->recs, (v->rcap = v->rcap ? v->rcap * 2 : 256) * sizeof(*nv));
        if (!nv) return NULL;
        v->recs = nv;
    }
    x = &v->recs[v->nrecs++];
    memset(x, 0, sizeof(*x));
    return x;
}

static void fill_rec(struct rec *x, const json_t *statement)
{
    const json_t *pred = json_object_get(statement, "predicate");
    const json_t *agent = json_object_get(pred, "agent");
    const char *prev = json_string_value(json_object_get(agent, "previous"));
    const char *stream = json_string_value(json_object_get(agent, "stream"));
    json_t *c;
    size_t i;

    snprintf(x->stream, sizeof(x->stream), "%s", stream ? stream : "");
    x->sequence = (uint64_t)json_integer_value(json_object_get(agent, "sequence"));
    snprintf(x->previous, sizeof(x->previous), "%s", prev ? prev : "");
    json_array_foreach(json_object_get(pred, "controls"), i, c)
        mark(x->expected, json_string_value(c));
}

/*
 * A record that failed a check still holds its place in its stream when its
 * (unverified) payload says which, so altered is reported once, not also as
 * missing. It is never counted as sound.
 */
static void place_bad(struct ctx *v, const struct entry *e)
{
    struct ea_buf b;
    struct ea_dsse d;
    json_t *st = NULL;
    struct rec *x;

    if (ea_store_get(v->o->store, e->key, &b) == 0 && ea_dsse_parse(&d, b.data, b.len) == 0) {
        st = json_loadb((const char *)d.payload, d.payload_len, 0, NULL);
        ea_dsse_dispose(&d);
    }
    ea_buf_dispose(&b);
    ea_error_clear();
    if (json_is_object(st) &&
        json_string_value(json_object_get(
            json_object_get(json_object_get(st, "predicate"), "agent"), "stream")) &&
        (x = new_rec(v))) {
        fill_rec(x, st);
        memcpy(x->id, e->id, sizeof(x->id));
        x->bad = true;
        mark(x->filed, e->control);
        memset(x->expected, 0, sizeof(x->expected)); /* its controls are not to be trusted */
    }
    json_decref(st);
}

/* In a window: true when the (verified) record is of the asked stream and agent. */
static bool wanted(const struct ctx *v, const json_t *statement)
{
    const json_t *agent = json_object_get(json_object_get(statement, "predicate"), "agent");
    const char *stream = json_string_value(json_object_get(agent, "stream"));
    const char *id = json_string_value(json_object_get(agent, "id"));

    if (v->o->stream && (!stream || strcmp(stream, v->o->stream) != 0)) return false;
    if (v->o->agent_id && (!id || strcmp(id, v->o->agent_id) != 0)) return false;
    return true;
}

static int note_blob(struct ctx *v, const json_t *statement, const char *record_key);

static int check_records(struct ctx *v)
{
    for (size_t i = 0; i < v->nentries; i++) {
        const struct entry *e = &v->entries[i];
        struct ea_store_entry se = {e->key, e->control, e->id, e->time_us};
        struct ea_audit_record r;
        struct rec *x;
        int rc = ea_audit_check(&r, v->o->store, &se, v->o->keys, v->o->nkeys);

        if (rc == EA_EVERIFY || rc == EA_EINPUT || rc == EA_ETOOBIG) {
            v->res->objects += v->o->window; /* its stream cannot be trusted: always judged */
            problem(v, e->key, "%s", ea_error_message(rc));
            ea_error_clear();
            ea_audit_record_dispose(&r);
            place_bad(v, e);
            if ((rc = add_bad(v, e->id)) < 0) return rc;
            continue;
        }
        if (rc < 0) {
            ea_audit_record_dispose(&r);
            ea_fail_prefix("%s", e->key);
            return rc;
        }
        if (!wanted(v, r.statement)) {
            ea_audit_record_dispose(&r);
            continue;
        }
        v->res->objects += v->o->window;
        if (!(x = new_rec(v))) {
            ea_audit_record_dispose(&r);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        fill_rec(x, r.statement);
        memcpy(x->id, r.id, sizeof(x->id));
        mark(x->filed, e->control);
        rc = note_blob(v, r.statement, e->key);
        ea_audit_record_dispose(&r);
        if (rc < 0) return rc;
    }
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A sound attestation that names a blob: the blob must be the one its
 * data.file.sha256 says, and is checked once the records are read.
 */
static int note_blob(struct ctx *v, const json_t *statement, const char *record_key)
{
    const json_t *file;
    const char *blob, *sha;
    char want[EA_BLOB_KEY_LEN + 1];
    int rc;

    if (!ea_attest_kind_of(statement)) return 0;
    file =
        json_object_get(json_object_get(json_object_get(statement, "predicate"), "data"), "file");
    blob = json_string_value(json_object_get(file, "blob"));
    sha = json_string_value(json_object_get(file, "sha256"));
    if (!blob) return 0;
    ea_store_blob_key(want, sha ? sha : "");
    if (!sha || strcmp(blob, want) != 0) {
        problem(v, record_key, "names the blob %s, which is not the blob of its file's SHA-256",
                blob);
        return 0;
    }
    if ((rc = list_add(&v->blob_refs, blob)) < 0) return rc;
    return list_add(&v->ref_from, record_key);
}

/* Reads one blob and compares its SHA-256 with its name; *missing when it is not there. */
static int check_blob(struct ctx *v, const char *key, bool *missing)
{
    struct ea_buf b;
    char hex[65], got[EA_SHA256_HEX_LEN + 1];
    int rc;

    *missing = false;
    ea_store_is_blob_key(key, hex);
    rc = ea_store_get(v->o->store, key, &b);
    if (rc == EA_ENOTFOUND) {
        ea_error_clear();
        *missing = true;
        rc = 0;
    } else if (rc == EA_ETOOBIG || rc == EA_EINPUT) {
        problem(v, key, "%s", ea_error_message(rc));
        ea_error_clear();
        rc = 0;
    } else if (rc == 0) {
        rc = ea_sha256_hex(got, b.data ? b.data : "", b.len);
        if (rc == 0 && strcmp(got, hex) != 0)
            problem(v, key, "the blob's bytes hash to %.12s, not to its name (altered)", got);
    }
    ea_buf_dispose(&b);
    return rc;
}

/*
 * Every blob found hashes to its name; every blob a sound record names is
 * there. Without a walk (a window, one control) the named blobs are read one
 * by one.
 */
static int check_blobs(struct ctx *v, bool walked)
{
    bool missing;
    int rc = 0;

    if (v->blobs.n) qsort(v->blobs.v, v->blobs.n, sizeof(char *), cmp_key);
    for (size_t i = 0; i < v->blobs.n && rc == 0; i++) {
        rc = check_blob(v, v->blobs.v[i], &missing);
        if (rc == 0 && missing) /* gone since the walk */
            problem(v, v->blobs.v[i], "listed, then gone: the blob cannot be read");
    }
    for (size_t i = 0; i < v->blob_refs.n && rc == 0; i++) {
        const char *key = v->blob_refs.v[i];
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) seen = strcmp(v->blob_refs.v[k], key) == 0;
        if (seen) continue; /* judged once */
        if (walked) {
            missing =
                !v->blobs.n || !bsearch(&key, v->blobs.v, v->blobs.n, sizeof(char *), cmp_key);
        } else {
            rc = check_blob(v, key, &missing);
            if (rc < 0) break;
        }
        for (size_t k = i; missing && k < v->blob_refs.n; k++) {
            if (strcmp(v->blob_refs.v[k], key) == 0)
                problem(v, v->ref_from.v[k],
                        "names the attached file %s, which is not in the store (deleted, or "
                        "never shipped)",
                        key);
        }
    }
    return rc;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int c = strcmp(x->stream, y->stream);
    if (c) return c;
    if (x->sequence != y->sequence) return x->sequence < y->sequence ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Index of the first record of stream in the sorted list, or nrecs. */
static size_t first_of(const struct ctx *v, const char *stream)
{
    size_t lo = 0, hi = v->nrecs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v->recs[mid].stream, stream) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->nrecs && strcmp(v->recs[lo].stream, stream) == 0 ? lo : v->nrecs;
}

/* The record of stream at sequence (the first such), or NULL; *last gets the stream's last. */
static const struct rec *find_at(const struct ctx *v, const char *stream, uint64_t sequence,
                                 const struct rec **last)
{
    size_t lo = first_of(v, stream), hi = lo, end;

    *last = NULL;
    if (lo == v->nrecs) return NULL;
    end = lo;
    { /* the stream's end: exponential then binary search */
        size_t step = 1;
        while (end + step < v->nrecs && strcmp(v->recs[end + step].stream, stream) == 0) {
            end += step;
            step *= 2;
        }
        size_t a = end, b = end + step < v->nrecs ? end + step : v->nrecs;
        while (a + 1 < b) {
            size_t mid = a + (b - a) / 2;
            if (strcmp(v->recs[mid].stream, stream) == 0)
                a = mid;
            else
                b = mid;
        }
        end = a;
    }
    *last = &v->recs[end];
    hi = end + 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->recs[mid].sequence < sequence)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo <= end && v->recs[lo].sequence == sequence ? &v->recs[lo] : NULL;
}

static void check_streams(struct ctx *v)
{
    size_t out = 0;
    char where[EA_STREAM_MAX + 16];

    if (v->nrecs) qsort(v->recs, v->nrecs, sizeof(*v->recs), cmp_rec);
    for (size_t i = 0; i < v->nrecs; i++) { /* one entry per record, not per copy */
        if (out && strcmp(v->recs[out - 1].id, v->recs[i].id) == 0) {
            v->recs[out - 1].filed[0] |= v->recs[i].filed[0];
            v->recs[out - 1].filed[1] |= v->recs[i].filed[1];
            v->recs[out - 1].bad |= v->recs[i].bad;
            continue;
        }
        v->recs[out++] = v->recs[i];
    }
    v->nrecs = out;
    for (size_t i = 0; i < v->nrecs; i++) { /* every control a record names holds a copy */
        const struct rec *r = &v->recs[i];
        size_t n;
        const struct ea_control *all = ea_controls_all(&n);
        for (size_t k = 0; k < n; k++) {
            uint64_t bit = 1ULL << (k % 64);
            if ((r->expected[k / 64] & bit) && !(r->filed[k / 64] & bit) && !is_bad(v, r->id)) {
                snprintf(where, sizeof(where), "controls/%s", all[k].id);
                problem(v, where, "record %.12s names %s but its copy there is missing", r->id,
                        all[k].id);
            }
        }
    }
    for (size_t i = 0; i < v->nrecs; i++) {
        const struct rec *r = &v->recs[i];
        bool first = i == 0 || strcmp(v->recs[i - 1].stream, r->stream) != 0;
        uint64_t want = first ? 1 : v->recs[i - 1].sequence + 1;

        snprintf(where, sizeof(where), "streams/%s", r->stream);
        if (first && v->o->window && r->sequence != 1)
            continue; /* the window starts inside the stream: what is before is not read */
        if (!first && v->recs[i - 1].sequence == r->sequence) {
            problem(v, where, "two records with sequence %llu (%.12s, %.12s)",
                    (unsigned long long)r->sequence, v->recs[i - 1].id, r->id);
        } else if (r->sequence != want) {
            if (r->sequence == want + 1 && is_bad(v, r->previous))
                continue; /* the one between is there, reported as failing */
            problem(v, where, "sequence %llu to %llu missing (record before %.12s)",
                    (unsigned long long)want, (unsigned long long)r->sequence - 1, r->id);
        } else if (first ? r->previous[0] != '\0' : strcmp(r->previous, v->recs[i - 1].id) != 0) {
            problem(v, where, "record %.12s does not chain to the record before it", r->id);
        }
    }
}

/* True when every record of the stream verified and the stream is continuous. */
static bool stream_sound(const struct ctx *v, const char *stream)
{
    size_t i = first_of(v, stream);
    uint64_t want = 1;
    const char *prev = "";

    if (i == v->nrecs) return false;
    for (; i < v->nrecs && strcmp(v->recs[i].stream, stream) == 0; i++, want++) {
        const struct rec *r = &v->recs[i];
        if (r->bad || r->sequence != want || strcmp(r->previous, prev) != 0) return false;
        prev = r->id;
    }
    return true;
}

/* --sign-heads: replaces an unsigned head of a sound stream with a signed one. */
static int sign_head(struct ctx *v, const char *key, const char *name, const struct ea_buf *b)
{
    json_t *doc = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
    const char *s = json_string_value(json_object_get(doc, "stream"));
    const char *last = json_string_value(json_object_get(doc, "last_id"));
    json_t *seq = json_object_get(doc, "sequence");
    const struct rec *end = NULL;
    struct ea_stream_head h;
    char *env = NULL;
    int rc = 0;

    find_at(v, name, 1, &end);
    if (!s || strcmp(s, name) != 0 || !last || !json_is_integer(seq) || !end ||
        strcmp(end->id, last) != 0 || (json_int_t)end->sequence != json_integer_value(seq)) {
        problem(v, key,
                "unsigned stream head that does not match its stream's last record: not "
                "signed");
    } else if (!stream_sound(v, name)) {
        problem(v, key,
                "unsigned stream head; not signed, since records of the stream failed "
                "(named above)");
    } else {
        size_t env_len = 0;
        rc = ea_head_sign(&env, &env_len, name, end->sequence, end->id, ea_time_now_us(),
                          v->o->sign_key);
        h = (struct ea_stream_head){name, end->sequence, end->id, env, env_len};
        if (rc == 0) rc = ea_store_put_stream(v->o->store, &h);
        if (rc == 0) rc = ea_store_sync(v->o->store);
        if (rc == 0) {
            fprintf(v->o->out, "SIGNED %s/%s: sequence %llu (%.12s)\n", v->o->store_url, key,
                    (unsigned long long)end->sequence, end->id);
            v->res->heads_signed++;
        }
        ea_free(env);
    }
    json_decref(doc);
    return rc;
}

/* An unsigned head (old format) of key: signed by --sign-heads, or one FAIL. */
static int unsigned_head(struct ctx *v, const char *key, const char *name, bool migrating)
{
    struct ea_buf b;
    int rc;

    if (v->o->sign_key && migrating) {
        if ((rc = ea_store_get(v->o->store, key, &b)) == 0) rc = sign_head(v, key, name, &b);
        ea_buf_dispose(&b);
        return rc;
    }
    if (migrating) {
        problem(v, key,
                "unsigned stream head (written before heads were signed: run "
                "'evidence-agent verify --sign-heads --key FILE' once)");
    } else {
        problem(v, key,
                "unsigned stream head in a store that already has signed heads or "
                "checkpoints: the head was rewritten (records of the stream may have been "
                "deleted)%s",
                v->o->sign_key ? "; not signed: --sign-heads migrates only a store "
                                 "written before heads were signed, once"
                               : "");
    }
    return 0;
}

static int check_heads(struct ctx *v)
{
    size_t *old = NULL, nold = 0;
    bool any_signed = v->checkpoints.n > 0; /* migrated already: no more migration */
    int rc = 0;

    if (v->heads.n && !(old = ea_calloc(v->heads.n, sizeof(*old))))
        return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < v->heads.n; i++) {
        const char *key = v->heads.v[i];
        char name[EA_STREAM_MAX + 1];
        size_t n = strlen(key + 8) - 5;
        const struct rec *at, *last;
        struct ea_head h;
        struct ea_buf b;

        memcpy(name, key + 8, n);
        name[n] = '\0';
        v->res->streams++;
        rc = ea_store_get(v->o->store, key, &b);
        if (rc == 0) rc = ea_head_parse(&h, b.data ? b.data : "", b.len, v->o->keys, v->o->nkeys);
        if (rc == EA_ENOMEM || rc == EA_EIO) {
            ea_buf_dispose(&b);
            ea_free(old);
            return rc;
        }
        at = find_at(v, name, 1, &last);
        if (last) ((struct rec *)last)->headed = true; /* the file is there; judged below */
        if (rc < 0) {
            if (strstr(ea_error_message(rc), "unsigned") != NULL) {
                old[nold++] = i; /* judged once every head was read */
            } else {
                json_t *doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
                if (ea_head_is(doc)) any_signed = true; /* a signed head, if not a good one */
                json_decref(doc);
                problem(v, key, "%s", ea_error_message(rc));
            }
            ea_error_clear();
            ea_buf_dispose(&b);
            continue;
        }
        any_signed = true;
        ea_buf_dispose(&b);
        if (strcmp(h.stream, name) != 0) {
            problem(v, key,
                    "the head names stream %s, not the stream its file is named for "
                    "(a head copied from another stream)",
                    h.stream);
            continue;
        }
        at = find_at(v, name, h.sequence, &last);
        if (v->o->window && last && h.sequence > last->sequence && v->o->until_given) {
            continue; /* the stream went on after the window */
        } else if (v->o->window && last && !at && h.sequence < last->sequence) {
            problem(v, key,
                    "the head says sequence %llu but the stream goes on to %llu "
                    "(%.12s): records after the head",
                    (unsigned long long)h.sequence, (unsigned long long)last->sequence, last->id);
            continue;
        }
        if ((!at || strcmp(at->id, h.last_id) != 0) && is_bad(v, h.last_id)) {
            continue; /* the record it names is there, reported as failing */
        } else if (!last) {
            problem(v, key,
                    "the head points at record %.12s (sequence %llu) but none of the "
                    "stream's records exist",
                    h.last_id, (unsigned long long)h.sequence);
        } else if (!at || strcmp(at->id, h.last_id) != 0) {
            problem(v, key,
                    "the head points at record %.12s (sequence %llu), which the store "
                    "lacks%s",
                    h.last_id, (unsigned long long)h.sequence,
                    at ? " (another record holds that sequence)" : ": records are missing");
        } else if (last->sequence != h.sequence) {
            problem(v, key,
                    "the head says sequence %llu but the stream goes on to %llu "
                    "(%.12s): records after the head",
                    (unsigned long long)h.sequence, (unsigned long long)last->sequence, last->id);
        }
    }
    rc = 0;
    for (size_t i = 0; i < nold && rc == 0; i++) {
        const char *key = v->heads.v[old[i]];
        char name[EA_STREAM_MAX + 1];
        size_t n = strlen(key + 8) - 5;
        memcpy(name, key + 8, n);
        name[n] = '\0';
        rc = unsigned_head(v, key, name, !any_signed);
    }
    ea_free(old);
    if (rc < 0) return rc;
    for (size_t i = 0; i < v->nrecs; i++) { /* a stream with records but no head file */
        char where[EA_STREAM_MAX + 16];
        if (i + 1 < v->nrecs && strcmp(v->recs[i].stream, v->recs[i + 1].stream) == 0) continue;
        if (v->recs[i].headed) continue;
        snprintf(where, sizeof(where), "streams/%s.json", v->recs[i].stream);
        problem(v, where, "stream head file is missing (the stream has %llu record%s)",
                (unsigned long long)v->recs[i].sequence, v->recs[i].sequence == 1 ? "" : "s");
    }
    return 0;
}

static int keep_cp(struct ctx *v, struct ea_checkpoint *cp, const char *from)
{
    if (v->ncps == v->cpcap) {
        size_t cap = v->cpcap ? v->cpcap * 2 : 16;
        struct ea_checkpoint *nv = ea_realloc(v->cps, cap * sizeof(*nv));
        char **nf = nv ? ea_realloc(v->cp_from, cap * sizeof(*nf)) : NULL;
        if (nv) v->cps = nv;
        if (!nf) return ea_fail(EA_ENOMEM, "out of memory");
        v->cp_from = nf;
        v->cpcap = cap;
    }
    if (!(v->cp_from[v->ncps] = ea_strdup(from))) return ea_fail(EA_ENOMEM, "out of memory");
    v->cps[v->ncps++] = *cp;
    memset(cp, 0, sizeof(*cp));
    return 0;
}

static uint64_t seq_of_key(const char *key)
{
    const char *d = strrchr(key, '/') + 1;
    return strtoull(d, NULL, 10);
}

/* Each agent's chain: signatures, names, sequence 1..N without gap, links by digest. */
static int check_chains(struct ctx *v)
{
    char prev_digest[EA_SHA256_HEX_LEN + 1] = "";
    uint64_t prev_seq = 0;
    bool chain_ok = true;

    for (size_t i = 0; i < v->checkpoints.n; i++) {
        const char *key = v->checkpoints.v[i];
        const char *agent = key + 12;
        size_t alen = (size_t)(strchr(agent, '/') - agent);
        bool first = i == 0 || strncmp(v->checkpoints.v[i - 1] + 12, agent, alen + 1) != 0;
        uint64_t seq = seq_of_key(key);
        struct ea_checkpoint cp;
        struct ea_buf b;
        char digest[EA_SHA256_HEX_LEN + 1];
        int rc;

        if (first) {
            if (i && chain_ok) { /* the previous chain's latest, for --save-checkpoint */
                struct ea_buf lb;
                if (ea_store_get(v->o->store, v->checkpoints.v[i - 1], &lb) == 0)
                    ea_buf_append(&v->latest, lb.data, lb.len);
                ea_buf_dispose(&lb);
            }
            prev_seq = 0;
            prev_digest[0] = '\0';
            chain_ok = true;
        }
        v->res->checkpoints++;
        if (seq != prev_seq + 1) {
            problem(v, key, "checkpoint%s %llu to %llu of agent %.*s missing (the chain is cut)",
                    seq - prev_seq > 2 ? "s" : "", (unsigned long long)prev_seq + 1,
                    (unsigned long long)seq - 1, (int)alen, agent);
            chain_ok = false;
            prev_digest[0] = '\0';
        }
        prev_seq = seq;
        rc = ea_store_get(v->o->store, key, &b);
        if (rc == 0) rc = ea_sha256_hex(digest, b.data ? b.data : "", b.len);
        if (rc == 0)
            rc = ea_checkpoint_parse(&cp, b.data ? b.data : "", b.len, v->o->keys, v->o->nkeys);
        ea_buf_dispose(&b);
        if (rc == EA_ENOMEM || rc == EA_EIO) return rc;
        if (rc < 0) {
            problem(v, key, "%s", ea_error_message(rc));
            ea_error_clear();
            chain_ok = false;
            prev_digest[0] = '\0';
            continue;
        }
        if (cp.sequence != seq || strlen(cp.agent) != alen || strncmp(cp.agent, agent, alen) != 0) {
            problem(v, key, "the checkpoint says agent %s, sequence %llu: not what its name says",
                    cp.agent, (unsigned long long)cp.sequence);
            chain_ok = false;
        } else if (prev_digest[0] && strcmp(cp.previous, prev_digest) != 0) {
            problem(v, key,
                    "does not link to the checkpoint before it (previous %.12s, its "
                    "digest is %.12s): the chain was altered",
                    cp.previous, prev_digest);
            chain_ok = false;
        }
        memcpy(prev_digest, digest, sizeof(digest));
        if ((rc = keep_cp(v, &cp, key)) < 0) {
            ea_checkpoint_dispose(&cp);
            return rc;
        }
    }
    if (v->checkpoints.n && chain_ok) {
        struct ea_buf lb;
        if (ea_store_get(v->o->store, v->checkpoints.v[v->checkpoints.n - 1], &lb) == 0)
            ea_buf_append(&v->latest, lb.data, lb.len);
        ea_buf_dispose(&lb);
    }
    ea_error_clear();
    return 0;
}

/* verify --checkpoint FILE: each saved checkpoint must still be in the store, unchanged. */
static int check_saved(struct ctx *v)
{
    const char *path = v->o->checkpoint_file;
    struct ea_buf f;
    size_t line_no = 0, held = 0;
    int rc = ea_fs_read(&f, path, EA_CHECKPOINT_MAX_BYTES, 0);

    if (rc < 0) {
        ea_buf_dispose(&f);
        ea_fail_prefix("--checkpoint");
        return rc == EA_ENOMEM ? rc : EA_ECONFIG;
    }
    for (size_t at = 0; at < f.len;) {
        const char *line = f.data + at;
        const char *nl = memchr(line, '\n', f.len - at);
        size_t len = nl ? (size_t)(nl - line) : f.len - at;
        struct ea_checkpoint cp;
        char key[EA_STORE_KEY_MAX], want[EA_SHA256_HEX_LEN + 1], got[EA_SHA256_HEX_LEN + 1];
        char from[64];
        struct ea_buf b;

        at += len + 1;
        line_no++;
        if (len == 0) continue;
        held++;
        rc = ea_checkpoint_parse(&cp, line, len, v->o->keys, v->o->nkeys);
        if (rc == EA_ENOMEM) break;
        if (rc < 0) {
            fprintf(v->o->out, "FAIL %s: line %zu: %s\n", path, line_no, ea_error_message(rc));
            v->res->problems++;
            ea_error_clear();
            rc = 0;
            continue;
        }
        ea_checkpoint_key(key, cp.agent, cp.sequence);
        {
            char *copy = ea_asprintf("%.*s\n", (int)len, line); /* stored with its newline */
            rc = copy ? ea_sha256_hex(want, copy, len + 1) : ea_fail(EA_ENOMEM, "out of memory");
            ea_free(copy);
        }
        if (rc < 0) {
            ea_checkpoint_dispose(&cp);
            break;
        }
        rc = ea_store_get(v->o->store, key, &b);
        if (rc == EA_ENOTFOUND) {
            problem(v, key,
                    "gone from the store, but the saved checkpoint %s holds it (the store "
                    "was rolled back or pruned since)",
                    path);
        } else if (rc == 0) {
            ea_sha256_hex(got, b.data ? b.data : "", b.len);
            if (strcmp(got, want) != 0)
                problem(v, key, "differs from the saved checkpoint %s (the chain was rewritten)",
                        path);
        }
        ea_buf_dispose(&b);
        if (rc == EA_ENOMEM || rc == EA_EIO) {
            ea_checkpoint_dispose(&cp);
            break;
        }
        ea_error_clear();
        snprintf(from, sizeof(from), "saved checkpoint, line %zu", line_no);
        rc = keep_cp(v, &cp, from);
        ea_checkpoint_dispose(&cp);
        if (rc < 0) break;
    }
    ea_buf_dispose(&f);
    if (rc == 0 && held == 0) /* an empty file would silently check nothing */
        rc = ea_fail(EA_ECONFIG,
                     "--checkpoint %s: holds no checkpoint (give the file "
                     "'verify --save-checkpoint' wrote at the last audit)",
                     path);
    return rc;
}

static int cmp_claim(const void *a, const void *b)
{
    const struct claim *x = a, *y = b;
    int c = strcmp(x->stream, y->stream);
    if (c) return c;
    if (x->sequence != y->sequence) return x->sequence < y->sequence ? -1 : 1;
    return strcmp(x->last_id, y->last_id);
}

/* No stream a checkpoint states has vanished or shrunk, and its records are the ones stated. */
static int check_claims(struct ctx *v)
{
    struct claim *c = NULL;
    size_t n = 0, cap = 0;

    for (size_t i = 0; i < v->ncps; i++) cap += v->cps[i].nstreams;
    if (cap && !(c = ea_calloc(cap, sizeof(*c)))) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < v->ncps; i++)
        for (size_t k = 0; k < v->cps[i].nstreams; k++)
            c[n++] = (struct claim){v->cps[i].streams[k].stream, v->cps[i].streams[k].sequence,
                                    v->cps[i].streams[k].last_id, v->cp_from[i]};
    if (n) qsort(c, n, sizeof(*c), cmp_claim);
    for (size_t i = 0; i < n; i++) {
        bool last_of_stream = i + 1 == n || strcmp(c[i + 1].stream, c[i].stream) != 0;
        char where[EA_STREAM_MAX + 16];
        const struct rec *at, *last;

        bool again = i && cmp_claim(&c[i - 1], &c[i]) == 0; /* stated by several */

        snprintf(where, sizeof(where), "streams/%s", c[i].stream);
        at = find_at(v, c[i].stream, c[i].sequence, &last);
        if ((!at || strcmp(at->id, c[i].last_id) != 0) && is_bad(v, c[i].last_id)) {
            /* the record it states is there, reported as failing */
            continue;
        } else if (!last || !at) { /* judged once per stream, at its highest stated sequence */
            if (!last_of_stream) continue;
            if (!last)
                problem(v, where,
                        "the stream vanished: %s states it at sequence %llu (%.12s) "
                        "but none of its records exist",
                        c[i].from, (unsigned long long)c[i].sequence, c[i].last_id);
            else
                problem(v, where,
                        "the stream shrank to sequence %llu: %s states sequence %llu "
                        "(%.12s)",
                        (unsigned long long)last->sequence, c[i].from,
                        (unsigned long long)c[i].sequence, c[i].last_id);
        } else if (!again && strcmp(at->id, c[i].last_id) != 0) {
            problem(v, where, "record %llu is %.12s but %s states %.12s",
                    (unsigned long long)c[i].sequence, at->id, c[i].from, c[i].last_id);
        }
    }
    ea_free(c);
    return 0;
}

/* In a window: the heads of the streams it holds records of (one get each). */
static int window_heads(struct ctx *v)
{
    char key[EA_STREAM_MAX + 16];
    int rc = 0;

    for (size_t i = 0; i < v->nrecs && rc == 0; i++) {
        if (i + 1 < v->nrecs && strcmp(v->recs[i].stream, v->recs[i + 1].stream) == 0) continue;
        if (!ea_store_stream_name_ok(v->recs[i].stream)) continue; /* the schema refuses it */
        snprintf(key, sizeof(key), "streams/%s.json", v->recs[i].stream);
        rc = list_add(&v->heads, key);
    }
    return rc;
}

void ea_verify_result_dispose(struct ea_verify_result *res)
{
    ea_free(res->latest);
    memset(res, 0, sizeof(*res));
}

static int cmp_entry_id(const void *a, const void *b)
{
    const struct entry *const *x = a, *const *y = b;
    int c = strcmp((*x)->id, (*y)->id);
    return c ? c : (*x < *y ? -1 : *x > *y);
}

/* The token of one sound record: verified, its genTime within max_skew of collected_at. */
static int judge_token(struct ctx *v, const struct entry *e, const unsigned char *sig_sha,
                       int64_t collected_us, int64_t *gen_us)
{
    char key[EA_TIMESTAMP_KEY_LEN + 1], skew[32], col[EA_TIME_TEXT_MAX];
    struct ea_timestamp ts;
    struct ea_timestamp_info info;
    struct ea_buf b;
    int64_t d;
    int rc;

    ea_timestamp_key(key, e->id);
    rc = ea_store_get(v->o->store, key, &b);
    if (rc == EA_ENOTFOUND) {
        ea_error_clear();
        ea_buf_dispose(&b);
        problem(v, e->key,
                "no timestamp token (%s is missing): the record's time is only the agent's own "
                "clock (collect --tsa URL makes one)",
                key);
        return 0;
    }
    if (rc < 0) {
        ea_buf_dispose(&b);
        if (rc == EA_ENOMEM || rc == EA_EIO) return rc;
        problem(v, key, "%s", ea_error_message(rc));
        ea_error_clear();
        return 0;
    }
    rc = ea_timestamp_parse(&ts, b.data ? b.data : "", b.len);
    if (rc == 0)
        rc = ea_timestamp_verify(&info, &ts, e->id, sig_sha, v->o->tsa_trust, v->o->tsa_policy);
    ea_timestamp_dispose(&ts);
    ea_buf_dispose(&b);
    if (rc == EA_ENOMEM) return rc;
    if (rc < 0) {
        problem(v, key, "%s", ea_error_message(rc));
        ea_error_clear();
        return 0;
    }
    d = collected_us - info.gen_us;
    ea_duration_format(skew, d < 0 ? -d : d);
    ea_time_format_rfc3339(col, collected_us);
    if (d > v->o->max_skew_us || -d > v->o->max_skew_us) {
        char max[32];
        ea_duration_format(max, v->o->max_skew_us);
        problem(v, e->key,
                "collected_at %s is %s %s the TSA's genTime %s (more than --max-skew %s): "
                "the record was %s",
                col, skew, d < 0 ? "before" : "after", info.gen_text, max,
                d < 0 ? "back-dated, or timestamped late" : "dated after its own timestamp");
        return 0;
    }
    *gen_us = info.gen_us;
    v->res->timestamped++;
    if (v->o->report_times)
        fprintf(v->o->out, "TIMESTAMP %s/%s: genTime %s by %s (policy %s), collected_at %s%s%s\n",
                v->o->store_url, e->key, info.gen_text, info.tsa_name, info.policy, col,
                d ? ", skew " : "", d ? skew : "");
    return 0;
}

/*
 * Trusted time and key history, once per record (not per copy), for the
 * records that passed every other check: which key signed it, when (the
 * TSA's genTime when its token verified, else collected_at), and whether
 * the key was valid then.
 */
static int check_times(struct ctx *v)
{
    const struct entry **idx = NULL;
    int rc = 0;

    if (!v->o->tsa_trust && !v->o->history) return 0;
    if (v->nentries && !(idx = ea_calloc(v->nentries, sizeof(*idx))))
        return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < v->nentries; i++) idx[i] = &v->entries[i];
    if (v->nentries) qsort(idx, v->nentries, sizeof(*idx), cmp_entry_id);
    for (size_t n = 0; n < v->nentries && rc == 0; n++) {
        const struct entry *e = idx[n];
        struct ea_store_entry se = {e->key, e->control, e->id, e->time_us};
        struct ea_audit_record r;
        struct ea_dsse d;
        const struct ea_key *matched = NULL;
        unsigned char sig_sha[EA_SHA256_LEN];
        int64_t collected_us = 0, gen_us = INT64_MIN;
        const char *at;

        if (n && strcmp(idx[n - 1]->id, e->id) == 0) continue; /* another copy */
        if (is_bad(v, e->id)) continue;                        /* reported already */
        memset(&d, 0, sizeof(d));
        rc = ea_audit_check_raw(&r, v->o->store, &se, v->o->keys, v->o->nkeys);
        if (rc == 0 && (!v->o->window || wanted(v, r.statement))) {
            at = json_string_value(
                json_object_get(json_object_get(r.statement, "predicate"), "collected_at"));
            rc = ea_dsse_parse(&d, r.raw, r.raw_len);
            if (rc == 0) rc = ea_dsse_verify(&d, v->o->keys, v->o->nkeys, &matched);
            /* A token is over one signature and the key history judges one key: with more
             * signatures, a signature that verifies could borrow another record's token (and
             * its older genTime) from the one it does not. The agent writes exactly one. */
            if (rc == 0 && d.nsigs != 1) {
                problem(v, e->key,
                        "%zu signatures: with --tsa-ca or --keys a record must carry exactly one "
                        "(the agent writes one), so that its token and its key judge the "
                        "signature that verified",
                        (size_t)d.nsigs);
                ea_dsse_dispose(&d);
                ea_audit_record_dispose(&r);
                continue;
            }
            if (rc == 0) rc = ea_sha256(sig_sha, d.sigs[0].sig, d.sigs[0].sig_len);
            if (rc == 0) rc = at ? ea_time_parse(&collected_us, at, false) : EA_EINPUT;
            if (rc == 0 && v->o->tsa_trust) rc = judge_token(v, e, sig_sha, collected_us, &gen_us);
            if (rc == 0 && v->o->history && matched) {
                int hrc = ea_key_history_check(
                    v->o->history, ea_key_id(matched), gen_us != INT64_MIN ? gen_us : collected_us,
                    gen_us != INT64_MIN ? "its TSA genTime"
                    : v->o->tsa_trust   ? "its collected_at: its token did not verify"
                                        : "its collected_at: no trusted timestamp (give --tsa-ca)");
                if (hrc < 0) {
                    problem(v, e->key, "%s", ea_error_message(hrc));
                    ea_error_clear();
                }
            }
        }
        ea_dsse_dispose(&d);
        ea_audit_record_dispose(&r);
        if (rc == EA_ENOMEM || rc == EA_EIO) break;
        if (rc < 0) { /* judged by check_records already */
            ea_error_clear();
            rc = 0;
        }
    }
    ea_free(idx);
    return rc;
}

/* Every stored token belongs to a record the store holds (whole-store runs only). */
static int check_orphan_stamps(struct ctx *v)
{
    char(*ids)[65] = NULL;

    if (!v->stamps.n) return 0;
    if (v->nrecs && !(ids = ea_calloc(v->nrecs, 65))) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t j = 0; j < v->nrecs; j++) memcpy(ids[j], v->recs[j].id, 65);
    if (v->nrecs) qsort(ids, v->nrecs, 65, cmp_id);
    for (size_t i = 0; i < v->stamps.n; i++) {
        const char *k = v->stamps.v[i];
        char id[65];

        memcpy(id, k + 14, 64);
        id[64] = '\0';
        if (is_bad(v, id) || (v->nrecs && bsearch(id, ids, v->nrecs, 65, cmp_id))) continue;
        problem(v, k,
                "a timestamp of record %.12s, which the store does not hold (was the "
                "record deleted?)",
                id);
    }
    ea_free(ids);
    return 0;
}

int ea_verify_store(const struct ea_verify_opts *o, struct ea_verify_result *res)
{
    struct ctx v;
    int rc;

    memset(&v, 0, sizeof(v));
    memset(res, 0, sizeof(*res));
    v.o = o;
    v.res = res;
    ea_buf_init(&v.latest, 0);
    if (o->window) {
        struct ea_query q = {o->control, o->since_us, o->until_us};
        rc = ea_store_list(o->store, &q, on_entry, &v);
    } else {
        rc = ea_store_walk(o->store, on_object, &v);
    }
    if (rc == 0) rc = check_records(&v);
    if (rc == 0) rc = check_blobs(&v, !o->window && !o->control);
    if (v.nbad) qsort(v.bad, v.nbad, 65, cmp_id);
    if (rc == 0) rc = check_times(&v);
    res->records = v.nentries;
    if (rc == 0 && !o->control && o->window) {
        check_streams(&v);
        res->records = v.nrecs;
        rc = window_heads(&v);
        if (rc == 0) rc = check_heads(&v);
    } else if (rc == 0 && !o->control) {
        check_streams(&v);
        res->records = v.nrecs;
        rc = check_heads(&v);
        if (rc == 0) rc = check_chains(&v);
        if (rc == 0 && o->checkpoint_file) rc = check_saved(&v);
        if (rc == 0) rc = check_claims(&v);
        if (rc == 0) rc = check_orphan_stamps(&v);
    }
    if (rc == 0 && res->problems == 0 && v.latest.len)
        res->latest = ea_buf_take(&v.latest, &res->latest_len);
    ea_buf_dispose(&v.latest);
    for (size_t i = 0; i < v.nentries; i++) ea_free(v.entries[i].key);
    ea_free(v.entries);
    for (size_t i = 0; i < v.ncps; i++) {
        ea_checkpoint_dispose(&v.cps[i]);
        ea_free(v.cp_from[i]);
    }
    ea_free(v.cps);
    ea_free(v.cp_from);
    list_dispose(&v.heads);
    list_dispose(&v.checkpoints);
    list_dispose(&v.stamps);
    list_dispose(&v.blobs);
    list_dispose(&v.blob_refs);
    list_dispose(&v.ref_from);
    ea_free(v.recs);
    ea_free(v.bad);
    return rc;
}

int ea_verify_gate(struct ea_store *st, const char *url, struct ea_key *const *keys, size_t nkeys)
{
    return ea_verify_gate_ex(st, url, keys, nkeys, NULL);
}

int ea_verify_gate_ex(struct ea_store *st, const char *url, struct ea_key *const *keys,
                      size_t nkeys, const struct ea_verify_extra *extra)
{
    struct ea_verify_opts o = {
        .store = st, .store_url = url, .keys = keys, .nkeys = nkeys, .out = stderr};
    struct ea_verify_result res;
    int rc;

    if (nkeys == 0) return 0;
    if (extra) {
        o.tsa_trust = extra->tsa_trust;
        o.tsa_policy = extra->tsa_policy;
        o.max_skew_us = extra->max_skew_us;
        o.history = extra->history;
    }
    rc = ea_verify_store(&o, &res);
    if (rc == 0 && res.problems)
        rc = ea_fail(EA_EVERIFY,
                     "the store failed verification: %u problem%s (named above; run "
                     "'evidence-agent verify --store %s')",
                     res.problems, res.problems == 1 ? "" : "s", url);
    ea_verify_result_dispose(&res);
    return rc;
}

int ea_verify_extra_load(struct ea_verify_extra *x, const char *tsa_ca, const char *tsa_policy,
                         const char *max_skew, const char *keys_file)
{
    int rc;

    memset(x, 0, sizeof(*x));
    x->max_skew_us = 5 * 60 * INT64_C(1000000);
    if ((max_skew || tsa_policy) && !tsa_ca)
        return ea_fail(EA_EUSAGE, "--max-skew and --tsa-policy need --tsa-ca FILE");
    if (max_skew && (rc = ea_duration_parse(&x->max_skew_us, max_skew)) < 0) {
        ea_error_clear();
        return ea_fail(EA_EUSAGE, "--max-skew %s: not a duration (30s, 5m, 2h, 1d)", max_skew);
    }
    if (tsa_ca && (rc = ea_timestamp_trust_load(&x->tsa_trust, tsa_ca)) < 0) return rc;
    x->tsa_ca = tsa_ca;
    x->tsa_policy = tsa_policy;
    if (keys_file && (rc = ea_key_history_load(&x->history, keys_file)) < 0) return rc;
    return 0;
}

int ea_verify_extra_keys(struct ea_verify_extra *x, struct ea_key *const *keys, size_t nkeys)
{
    size_t n = nkeys + (x->history ? x->history->n : 0);

    ea_free(x->keys);
    x->nkeys = 0;
    if (!(x->keys = ea_calloc(n ? n : 1, sizeof(*x->keys))))
        return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < nkeys; i++) x->keys[x->nkeys++] = keys[i];
    for (size_t i = 0; x->history && i < x->history->n; i++)
        x->keys[x->nkeys++] = x->history->v[i].key;
    return 0;
}

int ea_verify_extra_setup(struct ea_verify_extra *x, const char *tsa_ca, const char *max_skew,
                          const char *keys_file, struct ea_key *const *keys, size_t nkeys)
{
    int rc = ea_verify_extra_load(x, tsa_ca, NULL, max_skew, keys_file);

    if (rc == 0) rc = ea_verify_extra_keys(x, keys, nkeys);
    if (rc == 0 && x->tsa_trust && x->nkeys == 0)
        rc = ea_fail(EA_EUSAGE, "--tsa-ca needs --pubkey FILE or --keys FILE");
    return rc;
}

void ea_verify_extra_dispose(struct ea_verify_extra *x)
{
    X509_STORE_free(x->tsa_trust);
    ea_key_history_free(x->history);
    ea_free(x->keys);
    memset(x, 0, sizeof(*x));
}
