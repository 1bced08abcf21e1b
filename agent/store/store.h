/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store interface: put (idempotent, content-addressed), list by control
 * and time range, get, and the per-stream heads. A backend embeds
 * struct ea_store as its first member and is chosen by the URL's scheme
 * (a bare path is the file backend). Key layout, the same for every backend:
 *
 *   controls/<control-id>/<YYYY>/<MM>/<DD>/<time>_<record-id>.json
 *   streams/<stream>.json                  a signed head (integrity.h)
 *   checkpoints/<agent-id>/<seq>.json      a signed checkpoint (integrity.h)
 *   blobs/sha256/<hex>                     a file a record names by its SHA-256
 *                                          (attest --attach), stored as it is
 *
 * Lexical order of keys is time order; the record ID is recoverable from the
 * key; putting the same record twice leaves one object per control.
 */
#ifndef EA_STORE_H
#define EA_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../record.h"
#include "../util/buf.h"

struct ea_store_ops;

struct ea_store {
    const struct ea_store_ops *ops;
};

/** One listed object. All strings borrowed for the duration of the callback. */
struct ea_store_entry {
    const char *key;     /* "controls/A.8.32/2026/11/22/20261122T..._<id>.json" */
    const char *control; /* "A.8.32" */
    const char *id;      /* 64 hex, from the key */
    int64_t time_us;     /* from the key */
};

/** What to list: one control or all (control NULL), in [since_us, until_us]. */
struct ea_query {
    const char *control;
    int64_t since_us;
    int64_t until_us;
};

/** A stream's head: its last sequence number and record ID, and the signed head stored. */
struct ea_stream_head {
    const char *stream;
    uint64_t sequence;
    const char *last_id;
    const char *envelope; /* the signed head (ea_head_sign), stored as is */
    size_t envelope_len;
};

/**
 * What a walk finds: a regular file, a symbolic link (never followed),
 * anything else, or a folder the walk did not go through (one it cannot
 * read, one nested too deep, an empty one; why says which).
 */
enum ea_store_kind { EA_STORE_FILE, EA_STORE_LINK, EA_STORE_SPECIAL, EA_STORE_FOLDER };

/** One object of a walk. key and why borrowed for the duration of the callback. */
struct ea_store_object {
    const char *key;
    enum ea_store_kind kind;
    const char *why; /* EA_STORE_FOLDER: what is wrong with it; else NULL */
};

/** A listed object kept after its callback: see ea_store_list_newest. */
struct ea_store_item {
    int64_t time_us;
    char id[65];
    char *key; /* owned */
};

struct ea_store_items {
    struct ea_store_item *v; /* owned */
    size_t n, cap;
};

/** List callback: return 0 to go on, or a negative code to stop with it. */
typedef int (*ea_store_list_cb)(const struct ea_store_entry *entry, void *payload);
typedef int (*ea_store_object_cb)(const struct ea_store_object *o, void *payload);

/** The backends (store_<scheme>.c). */
extern const struct ea_store_ops ea_store_file_ops;
extern const struct ea_store_ops ea_store_s3_ops;
extern const struct ea_store_ops ea_store_http_ops; /* write-only: another agent's ingest */
extern const struct ea_store_ops ea_store_https_ops;

/** Flags of ea_store_open. */
#define EA_STORE_CREATE 1u /* create the store when it does not exist (writers) */
/*
 * The caller owns the retries (the daemon's shipper): one attempt per request,
 * a failure that may pass is EA_ERETRY, and ea_store_retry_after_ms gives the
 * wait the store asked for. Without it a network store retries inside its
 * HTTP client (bounded), for one-shot commands that have no one else to.
 */
#define EA_STORE_NO_RETRY 2u

struct ea_store_ops {
    const char *scheme;
    /** The URL query parameters it reads, NULL-terminated; NULL: a '?' is part of the location. */
    const char *const *params;
    int (*open)(struct ea_store **out, const char *location, unsigned flags);
    /** Stages an object; it is durable and visible once sync returns 0. Idempotent. */
    int (*put)(struct ea_store *st, const struct ea_envelope *env);
    int (*list)(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb, void *payload);
    int (*get)(struct ea_store *st, const char *key, struct ea_buf *out);
    /** Stages a stream head, like put. */
    int (*put_stream)(struct ea_store *st, const struct ea_stream_head *head);
    /**
     * Group commit: makes everything staged since the last sync durable, then
     * visible, in that order. A crash before it returns loses only what was
     * staged, and never leaves a half-written object under its final name.
     */
    int (*sync)(struct ea_store *st);
    /** Every object of the store, whatever its name, in key order; links are not followed. */
    int (*walk)(struct ea_store *st, ea_store_object_cb cb, void *payload);
    /** Stages an object under key (checkpoints/...), like put. */
    int (*put_object)(struct ea_store *st, const char *key, const char *data, size_t len);
    /**
     * A read-only request proving the store answers and can be used, writing
     * nothing (daemon --check-config). NULL: opening it was the check (a folder).
     */
    int (*probe)(struct ea_store *st);
    /** The wait the store's last answer asked for, in ms, or -1. NULL: it never asks. */
    long (*retry_after_ms)(struct ea_store *st);
    void (*close)(struct ea_store *st);
};

/**
 * Checks url without opening anything: a known scheme, and only the query
 * parameters its backend reads.
 * @return 0 or EA_EUSAGE naming the scheme or the parameter and the nearest known one.
 */
int ea_store_check_url(const char *url);
/**
 * Opens the store named by url: "file:///path", "file:path" or a bare path.
 * @param out owned; close with ea_store_close.
 * @return 0, EA_EUSAGE (unknown scheme), EA_ENOTFOUND (no store there) or EA_EIO.
 */
int ea_store_open(struct ea_store **out, const char *url, unsigned flags);
void ea_store_close(struct ea_store *st);
/**
 * Contacts the store read-only (see struct ea_store_ops.probe).
 * @return 0, or the failure naming the store and the fix (EA_ENOTFOUND for a
 *         missing bucket, EA_ECONFIG for refused credentials, EA_ERETRY for no answer).
 */
int ea_store_probe(struct ea_store *st);
int ea_store_put(struct ea_store *st, const struct ea_envelope *env);
/**
 * The wait the store's last answer asked for before another try (an HTTP
 * Retry-After), for a caller opened with EA_STORE_NO_RETRY.
 * @return milliseconds, or -1 when it asked for none.
 */
long ea_store_retry_after_ms(struct ea_store *st);
int ea_store_list(struct ea_store *st, const struct ea_query *q, ea_store_list_cb cb,
                  void *payload);
/** @param out initialised by the backend; the caller disposes it. */
int ea_store_get(struct ea_store *st, const char *key, struct ea_buf *out);
/**
 * Lists q (one control, a period) into out, newest first (names only: nothing is read).
 * @param out caller's storage; dispose with ea_store_items_dispose, also on error.
 */
int ea_store_list_newest(struct ea_store *st, const struct ea_query *q, struct ea_store_items *out);
void ea_store_items_dispose(struct ea_store_items *items);
int ea_store_put_stream(struct ea_store *st, const struct ea_stream_head *head);
int ea_store_sync(struct ea_store *st);
int ea_store_walk(struct ea_store *st, ea_store_object_cb cb, void *payload);
/** Stages a checkpoint object (key under checkpoints/). */
int ea_store_put_object(struct ea_store *st, const char *key, const char *data, size_t len);

/** Largest file stored as a blob (attest --attach); a bigger one is hashed, not stored. */
#define EA_BLOB_MAX_BYTES ((size_t)16 * 1024 * 1024)
/** Length of "blobs/sha256/<64 hex>" without its NUL. */
#define EA_BLOB_KEY_LEN (13 + 64)
/** The key of the blob whose SHA-256 is hex (64 lower-case hex digits), into out. */
void ea_store_blob_key(char out[EA_BLOB_KEY_LEN + 1], const char *hex);
/** True when key is "blobs/sha256/<64 lower-case hex>"; with hex, the digest is copied there. */
bool ea_store_is_blob_key(const char *key, char *hex);
/**
 * Stages a blob under blobs/sha256/<hex>, like put: content-addressed, so
 * putting it twice leaves one object. The bytes are hashed first: a blob is
 * never stored under a digest that is not its own.
 * @param hex the SHA-256 of data, 64 lower-case hex digits.
 * @return 0, EA_EINPUT (hex is not data's digest), EA_ETOOBIG (over
 *         EA_BLOB_MAX_BYTES) or the backend's code.
 */
int ea_store_put_blob(struct ea_store *st, const char *hex, const void *data, size_t len);
/** The largest object a reader accepts under key: EA_BLOB_MAX_BYTES for a blob. */
size_t ea_store_object_max(const char *key);

/** Builds the key of env under control (into out, at least EA_STORE_KEY_MAX bytes). */
#define EA_STORE_KEY_MAX 160
int ea_store_key(char *out, const struct ea_envelope *env, const char *control);
/** Parses "<time>_<id>.json" (a key's last segment). @return 0 or EA_EINPUT. */
int ea_store_parse_name(const char *name, int64_t *time_us, char id[65]);
/**
 * A stream head as stored: its signed envelope and a newline.
 * @return owned text (ea_free), or NULL when out of memory.
 */
char *ea_stream_head_text(const struct ea_stream_head *head);
/** True when s is a safe stream name: [A-Za-z0-9._-]{1,128}, not "." or "..". */
bool ea_store_stream_name_ok(const char *s);

/** Largest object a reader accepts from a store. */
#define EA_STORE_OBJECT_MAX ((size_t)EA_ENVELOPE_MAX_BYTES)

#endif
