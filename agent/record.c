/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record: the Statement is serialised exactly once, compactly, and the
 * record ID is the SHA-256 of those bytes. Parsing goes the other way for
 * bytes that were verified (or are shown as unverified): bounded, checked
 * against the schemas and the catalogue, and the store metadata derived
 * from the parsed fields.
 */
#include "record.h"

#include <string.h>

#include "util/error.h"
#include "schema.h"
#include "util/mem.h"
#include "util/time.h"

int ea_record_serialise(struct ea_record_bytes *out, const json_t *statement)
{
    char *bytes;
    int rc;

    memset(out, 0, sizeof(*out));
    bytes = json_dumps(statement, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!bytes) return ea_fail(EA_ENOMEM, "out of memory serialising a record");
    out->len = strlen(bytes);
    if (out->len > EA_STATEMENT_MAX_BYTES) {
        ea_free(bytes);
        return ea_fail(EA_ETOOBIG, "record of %zu bytes exceeds the limit of %u bytes", out->len,
                       EA_STATEMENT_MAX_BYTES);
    }
    rc = ea_sha256_hex(out->id, bytes, out->len);
    if (rc < 0) {
        ea_free(bytes);
        return rc;
    }
    out->bytes = bytes;
    return 0;
}

void ea_record_bytes_dispose(struct ea_record_bytes *rb)
{
    ea_free(rb->bytes);
    rb->bytes = NULL;
    rb->len = 0;
}

int ea_record_parse(json_t **out, const void *bytes, size_t len)
{
    json_error_t err;
    json_t *st;
    int rc;

    *out = NULL;
    if (len > EA_STATEMENT_MAX_BYTES)
        return ea_fail(EA_ETOOBIG, "statement of %zu bytes exceeds the limit of %u bytes", len,
                       EA_STATEMENT_MAX_BYTES);
    st = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &err);
    if (!st)
        return ea_fail(EA_EINPUT, "statement is not JSON: %s (line %d, column %d)", err.text,
                       err.line, err.column);
    rc = ea_schema_validate_statement(st);
    if (rc < 0) {
        ea_fail_prefix("statement");
        json_decref(st);
        return rc;
    }
    *out = st;
    return 0;
}

int ea_record_meta_from_statement(struct ea_envelope *env, const json_t *st)
{
    const json_t *pred = json_object_get(st, "predicate");
    const json_t *agent = json_object_get(pred, "agent");
    const char *when = json_string_value(json_object_get(pred, "collected_at"));
    const char *stream = json_string_value(json_object_get(agent, "stream"));
    json_t *c;
    size_t i;
    int rc;

    rc = ea_time_parse(&env->time_us, when ? when : "", false);
    if (rc < 0) return rc;
    memset(&env->controls, 0, sizeof(env->controls));
    json_array_foreach(json_object_get(pred, "controls"), i, c) {
        const struct ea_control *ctl = ea_controls_find(json_string_value(c));
        if (!ctl)
            return ea_fail(EA_EINPUT,
                           "predicate.controls[%zu]: '%s' is not an Annex A 2022 control", i,
                           json_string_value(c) ? json_string_value(c) : "?");
        ea_control_set_put(&env->controls, ctl->id);
    }
    if (!stream || strlen(stream) > EA_STREAM_MAX)
        return ea_fail(EA_EINPUT, "predicate.agent.stream: missing or too long");
    memcpy(env->stream, stream, strlen(stream) + 1);
    env->sequence = (uint64_t)json_integer_value(json_object_get(agent, "sequence"));
    return 0;
}

void ea_envelope_dispose(struct ea_envelope *env)
{
    ea_free(env->json);
    env->json = NULL;
    env->json_len = 0;
}
