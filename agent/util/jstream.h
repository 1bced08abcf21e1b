/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming JSON with selected subtrees, for inputs too large to load whole
 * (scanner reports of hundreds of megabytes). yajl parses the bytes as they
 * come; only the values at the paths asked for are built as jansson values,
 * handed to a callback one at a time and freed, so memory is bounded by the
 * largest single selected value, not by the document.
 *
 * A path is dot-separated segments from the root: a key, or "*" for any
 * array element or any key, e.g. "runs.*.results.*" or "ArtifactName". A
 * path starting with "#" only counts: the callback gets NULL instead of a
 * built array or object (e.g. "#components.*"), and a scalar as it is (so a
 * caller can tell that a list it expected is a number). A path starting
 * with "~" selects values to be seen flat, without building them: the
 * callback gets NULL and reads ea_jstream_flat() (no allocation per value:
 * the fastest way through millions of small records). Keys containing '.'
 * cannot be named.
 */
#ifndef EA_UTIL_JSTREAM_H
#define EA_UTIL_JSTREAM_H

#include <stddef.h>

#include <jansson.h>

#define EA_JSTREAM_DEPTH_MAX 256         /* deeper nesting is an input error */
#define EA_JSTREAM_VALUE_MAX (16u << 20) /* bytes of strings in one selected value */
#define EA_JSTREAM_PATHS_MAX 32
#define EA_JSTREAM_WILD_MAX 8 /* "*" segments reported per path */

struct ea_jstream;

/** One node of a value seen flat: its path relative to the value ("" for the value,
 * "message.text", "locations.0.physicalLocation.region.startLine"). */
struct ea_jflat_node {
    const char *path;
    int type;         /* a json_type: JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_INTEGER, ... */
    const char *text; /* strings (NUL-terminated, may hold NUL), numbers as written, else "" */
    size_t len;
};

struct ea_jflat {
    const struct ea_jflat_node *nodes; /* in document order */
    size_t n;
};

/**
 * Called for each selected value, in document order.
 * @param path   index of the matching path in the list given to ea_jstream_new.
 * @param value  borrowed, valid during the call; NULL for a counting path.
 * @param wild   for each "*" segment of the path, the array index or 0 for a key
 *               (nwild entries), so "runs.*.results.*" says which run.
 * @return 0 to go on, > 0 to stop the parse early (ea_jstream_feed returns it),
 *         or a negative EA_E* code (message set) to fail.
 */
typedef int (*ea_jstream_cb)(void *ctx, int path, json_t *value, const size_t *wild, size_t nwild);
/** Called for each key of the root object (and of the root array's first element). */
typedef void (*ea_jstream_key_cb)(void *ctx, int depth, const char *key, size_t len);

/**
 * @param paths NULL-terminated, borrowed for the life of the stream.
 * @param keys  may be NULL.
 * @return 0, EA_ECONFIG for a bad path list, EA_ENOMEM.
 */
int ea_jstream_new(struct ea_jstream **out, const char *const *paths, ea_jstream_cb cb,
                   ea_jstream_key_cb keys, void *ctx);
/**
 * Parses the next bytes. @return 0, > 0 when the callback stopped the parse,
 * or EA_EINPUT "byte N: what is wrong" (nesting, size, syntax, invalid UTF-8),
 * or the callback's error.
 */
int ea_jstream_feed(struct ea_jstream *js, const char *data, size_t len);
/** Ends the document: a truncated one is EA_EINPUT naming the byte offset. */
int ea_jstream_finish(struct ea_jstream *js);
/** During a callback for a "~" path: the value, flat. Valid until the callback returns. */
const struct ea_jflat *ea_jstream_flat(const struct ea_jstream *js);
/** The node at path in f, or NULL. */
const struct ea_jflat_node *ea_jflat_get(const struct ea_jflat *f, const char *path);

/** Bytes consumed so far. */
size_t ea_jstream_offset(const struct ea_jstream *js);
void ea_jstream_free(struct ea_jstream *js);

#endif
