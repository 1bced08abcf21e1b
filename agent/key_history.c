/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The keys file and the judgement of one key at one time (key_history.h).
 * The file is read with the YAML reader (which reads JSON too); an unknown
 * field is refused, so a misspelt revoked_at cannot silently revoke nothing.
 */
#include "key_history.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/yaml.h"

static const char *const fields[] = {"public_key", "not_before", "not_after",
                                     "revoked_at", "reason",     NULL};

static int time_field(int64_t *out, const json_t *e, const char *name, int64_t absent,
                      const char *path, size_t i)
{
    const json_t *v = json_object_get(e, name);
    int rc;

    *out = absent;
    if (!v) return 0;
    if (!json_is_string(v))
        return ea_fail(EA_EINPUT, "%s: keys[%zu].%s: not an RFC 3339 time", path, i, name);
    rc = ea_time_parse(out, json_string_value(v), false);
    if (rc < 0) {
        ea_error_clear();
        return ea_fail(EA_EINPUT, "%s: keys[%zu].%s: '%s' is not an RFC 3339 time", path, i, name,
                       json_string_value(v));
    }
    return 0;
}

/* public_key: PEM text, or a path relative to the keys file's folder. */
static int load_key(struct ea_key **out, const char *text, const char *path, size_t i)
{
    char origin[64];
    const char *slash;
    char *full;
    int rc;

    snprintf(origin, sizeof(origin), "keys[%zu].public_key", i);
    if (strstr(text, "-----BEGIN")) {
        rc = ea_key_load_public_pem(out, text, strlen(text), origin);
        if (rc < 0) ea_fail_prefix("%s", path);
        return rc;
    }
    slash = strrchr(path, '/');
    full = text[0] == '/' || !slash ? ea_strdup(text)
                                    : ea_asprintf("%.*s/%s", (int)(slash - path), path, text);
    if (!full) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_key_load_public_file(out, full);
    if (rc < 0) ea_fail_prefix("%s: %s", path, origin);
    ea_free(full);
    return rc;
}

int ea_key_history_load(struct ea_key_history **out, const char *path)
{
    struct ea_key_history *h = NULL;
    json_t *doc = NULL, *lines = NULL, *keys, *e;
    size_t i;
    int rc;

    *out = NULL;
    rc = ea_yaml_load(path, &doc, &lines);
    if (rc < 0) goto out;
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys) || json_array_size(keys) == 0 ||
        json_array_size(keys) > EA_KEY_HISTORY_MAX) {
        rc = ea_fail(EA_ECONFIG,
                     "%s: needs 'keys:', a list of 1 to %d entries ({public_key, "
                     "not_before, not_after, revoked_at, reason})",
                     path, EA_KEY_HISTORY_MAX);
        goto out;
    }
    if (!(h = ea_calloc(1, sizeof(*h))) || !(h->path = ea_strdup(path)) ||
        !(h->v = ea_calloc(json_array_size(keys), sizeof(*h->v)))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    json_array_foreach(keys, i, e) {
        struct ea_key_period *k = &h->v[i];
        const char *pk = json_string_value(json_object_get(e, "public_key"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        const char *name;
        json_t *val;

        h->n = i + 1;
        if (!json_is_object(e) || !pk) {
            rc = ea_fail(EA_ECONFIG, "%s: keys[%zu]: public_key (a path or PEM text) is required",
                         path, i);
            goto out;
        }
        json_object_foreach(e, name, val) {
            size_t f = 0;
            while (fields[f] && strcmp(fields[f], name) != 0) f++;
            if (!fields[f]) {
                rc = ea_fail(EA_ECONFIG,
                             "%s: keys[%zu].%s: unknown field (public_key, "
                             "not_before, not_after, revoked_at, reason)",
                             path, i, name);
                goto out;
            }
        }
        if ((rc = time_field(&k->not_before_us, e, "not_before", INT64_MIN, path, i)) < 0 ||
            (rc = time_field(&k->not_after_us, e, "not_after", INT64_MAX, path, i)) < 0 ||
            (rc = time_field(&k->revoked_at_us, e, "revoked_at", INT64_MAX, path, i)) < 0)
            goto out;
        if (k->not_after_us <= k->not_before_us) {
            rc = ea_fail(EA_ECONFIG, "%s: keys[%zu]: not_after is not after not_before", path, i);
            goto out;
        }
        if (reason && !(k->reason = ea_strdup(reason))) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = load_key(&k->key, pk, path, i)) < 0) goto out;
    }
    *out = h;
    h = NULL;
out:
    ea_key_history_free(h);
    json_decref(doc);
    json_decref(lines);
    return rc;
}

void ea_key_history_free(struct ea_key_history *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) {
        ea_key_free(h->v[i].key);
        ea_free(h->v[i].reason);
    }
    ea_free(h->v);
    ea_free(h->path);
    ea_free(h);
}

int ea_key_history_check(const struct ea_key_history *h, const char *key_id, int64_t t_us,
                         const char *which)
{
    const struct ea_key_period *revoked = NULL, *outside = NULL;
    bool inside = false;
    char when[EA_TIME_TEXT_MAX], limit[EA_TIME_TEXT_MAX];

    for (size_t i = 0; i < h->n; i++) {
        const struct ea_key_period *k = &h->v[i];
        if (!k->key || strcmp(ea_key_id(k->key), key_id) != 0) continue;
        if (t_us >= k->revoked_at_us && (!revoked || k->revoked_at_us < revoked->revoked_at_us))
            revoked = k;
        if (t_us >= k->not_before_us && t_us < k->not_after_us)
            inside = true;
        else
            outside = k;
    }
    ea_time_format_rfc3339(when, t_us);
    if (revoked) {
        ea_time_format_rfc3339(limit, revoked->revoked_at_us);
        return ea_fail(
            EA_EVERIFY, "key %.12s was revoked at %s%s%s%s, before the record's time %s (%s)",
            key_id, limit, revoked->reason ? " (" : "", revoked->reason ? revoked->reason : "",
            revoked->reason ? ")" : "", when, which);
    }
    if (inside) return 0;
    if (outside) {
        const bool early = t_us < outside->not_before_us;
        ea_time_format_rfc3339(limit, early ? outside->not_before_us : outside->not_after_us);
        return ea_fail(EA_EVERIFY, "key %.12s was not valid at the record's time %s (%s): %s %s",
                       key_id, when, which, early ? "its not_before is" : "its not_after is",
                       limit);
    }
    return ea_fail(EA_EVERIFY, "key %.12s is not in the key history %s", key_id, h->path);
}
