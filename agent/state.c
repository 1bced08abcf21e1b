/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local state; see state.h. A file is named by the SHA-256 of "kind\nsubject", so
 * no subject text becomes a path, and replaced atomically.
 */
#include "state.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"

static char *state_path(const char *dir, const char *kind, const char *subject)
{
    char hex[EA_SHA256_HEX_LEN + 1];
    char *key = ea_asprintf("%s\n%s", kind, subject);
    char *path = NULL;

    if (key && ea_sha256_hex(hex, key, strlen(key)) == 0)
        path = ea_asprintf("%s/%s.json", dir, hex);
    ea_free(key);
    return path;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

void ea_state_read(json_t **out, const char *dir, const char *kind, const char *subject)
{
    char *path = state_path(dir, kind, subject);
    struct ea_buf b;
    json_t *doc = NULL;

    *out = NULL;
    if (path && ea_fs_read(&b, path, EA_STATE_FILE_MAX, EA_FS_NOFOLLOW) == 0) {
        doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
        ea_buf_dispose(&b);
    }
    ea_error_clear();
    ea_free(path);
    if (doc && str(doc, "kind") && strcmp(str(doc, "kind"), kind) == 0 &&
        str(json_object_get(doc, "subject"), "name") &&
        strcmp(str(json_object_get(doc, "subject"), "name"), subject) == 0 && str(doc, "id") &&
        json_is_object(json_object_get(doc, "data")))
        *out = doc;
    else
        json_decref(doc);
}

int ea_state_write(const char *dir, const json_t *statement, const char *id)
{
    const json_t *pred = json_object_get(statement, "predicate");
    const json_t *subject = json_array_get(json_object_get(statement, "subject"), 0);
    char *path, *text = NULL;
    json_t *doc;
    int rc;

    if (!str(pred, "kind") || !str(subject, "name")) return 0; /* nothing to key it by */
    if ((rc = ea_fs_mkdirs(dir)) < 0) return rc;
    path = state_path(dir, str(pred, "kind"), str(subject, "name"));
    doc = json_pack("{s:s, s:s, s:O, s:O?, s:O?, s:O?}", "id", id, "kind", str(pred, "kind"),
                    "subject", subject, "result", json_object_get(pred, "result"), "controls",
                    json_object_get(pred, "controls"), "data", json_object_get(pred, "data"));
    if (doc) text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    rc = path && text ? ea_fs_write_atomic(path, text, strlen(text), false)
                      : ea_fail(EA_ENOMEM, "out of memory");
    free(text);
    json_decref(doc);
    ea_free(path);
    return rc;
}

/* Equal data, "drift" aside. */
static bool same_data(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    bool same;

    json_object_del(x, "drift");
    json_object_del(y, "drift");
    same = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

bool ea_state_same(const json_t *state, const json_t *statement)
{
    const json_t *pred = json_object_get(statement, "predicate");

    return state &&
           json_equal(json_object_get(state, "subject"),
                      json_array_get(json_object_get(statement, "subject"), 0)) &&
           json_equal(json_object_get(state, "result"), json_object_get(pred, "result")) &&
           json_equal(json_object_get(state, "controls"), json_object_get(pred, "controls")) &&
           same_data(json_object_get(state, "data"), json_object_get(pred, "data"));
}
