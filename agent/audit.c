/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-object checks of query and verify; see audit.h. Order matters:
 * the signature is checked over the raw payload bytes before anything in
 * them is trusted, and the Statement is parsed from exactly those bytes.
 */
#include "audit.h"

#include <string.h>

#include "util/error.h"
#include "record.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/redact.h"

void ea_audit_record_dispose(struct ea_audit_record *r)
{
    json_decref(r->statement);
    ea_free(r->raw);
    memset(r, 0, sizeof(*r));
}

static int check(struct ea_audit_record *out, struct ea_store *st, const struct ea_store_entry *e,
                 struct ea_key *const *keys, size_t nkeys, bool keep_raw);

int ea_audit_check(struct ea_audit_record *out, struct ea_store *st, const struct ea_store_entry *e,
                   struct ea_key *const *keys, size_t nkeys)
{
    return check(out, st, e, keys, nkeys, false);
}

int ea_audit_check_raw(struct ea_audit_record *out, struct ea_store *st,
                       const struct ea_store_entry *e, struct ea_key *const *keys, size_t nkeys)
{
    return check(out, st, e, keys, nkeys, true);
}

static int check(struct ea_audit_record *out, struct ea_store *st, const struct ea_store_entry *e,
                 struct ea_key *const *keys, size_t nkeys, bool keep_raw)
{
    struct ea_envelope meta;
    struct ea_dsse d;
    struct ea_buf b;
    char shown[65];
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&d, 0, sizeof(d));
    memset(&meta, 0, sizeof(meta));
    rc = ea_store_get(st, e->key, &b);
    if (rc < 0) return rc == EA_ETOOBIG ? EA_EVERIFY : rc;
    rc = ea_dsse_parse(&d, b.data, b.len);
    if (keep_raw) { /* the very bytes judged, for callers that pass them on (export) */
        out->raw_len = b.len;
        out->raw = ea_buf_take(&b, NULL);
        if (!out->raw && rc == 0) rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    ea_buf_dispose(&b);
    if (rc < 0) {
        if (rc == EA_EINPUT || rc == EA_ETOOBIG) rc = EA_EVERIFY;
        goto out;
    }
    if (nkeys) {
        rc = ea_dsse_verify(&d, keys, nkeys, NULL);
        if (rc < 0) goto out;
        out->signature_checked = true;
    }
    if (strcmp(d.payload_type, EA_PAYLOAD_TYPE) != 0) {
        rc = ea_fail(EA_EVERIFY, "payloadType is '%s', not " EA_PAYLOAD_TYPE,
                     ea_redact_show(shown, sizeof(shown), d.payload_type, strlen(d.payload_type)));
        goto out;
    }
    rc = ea_sha256_hex(out->id, d.payload, d.payload_len);
    if (rc < 0) goto out;
    if (strcmp(out->id, e->id) != 0) {
        rc = ea_fail(EA_EVERIFY, "record ID in the name is not the SHA-256 of the payload (%.12s)",
                     out->id);
        goto out;
    }
    rc = ea_record_parse(&out->statement, d.payload, d.payload_len);
    if (rc < 0) {
        rc = EA_EVERIFY;
        goto out;
    }
    memcpy(meta.id, out->id, sizeof(meta.id));
    rc = ea_record_meta_from_statement(&meta, out->statement);
    if (rc < 0) {
        rc = EA_EVERIFY;
        goto out;
    }
    if (meta.time_us != e->time_us) {
        rc = ea_fail(EA_EVERIFY, "filed under a time that is not its collected_at");
        goto out;
    }
    if (!ea_control_set_has(&meta.controls, e->control)) {
        rc = ea_fail(EA_EVERIFY, "filed under %s, which is not among its controls", e->control);
        goto out;
    }
    {
        char key[EA_STORE_KEY_MAX];
        rc = ea_store_key(key, &meta, e->control);
        if (rc == 0 && strcmp(key, e->key) != 0)
            rc = ea_fail(EA_EVERIFY, "filed under the wrong day folder (expected %s)", key);
    }
out:
    ea_dsse_dispose(&d);
    return rc;
}

int ea_audit_envelope(struct ea_envelope *out, const char *json, size_t len,
                      struct ea_key *const *keys, size_t nkeys)
{
    struct ea_dsse d;
    json_t *statement = NULL;
    char shown[65];
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&d, 0, sizeof(d));
    rc = ea_dsse_parse(&d, json, len);
    if (rc < 0) {
        if (rc == EA_EINPUT || rc == EA_ETOOBIG) rc = EA_EVERIFY; /* the bytes, not us */
        goto out;
    }
    if (nkeys && (rc = ea_dsse_verify(&d, keys, nkeys, NULL)) < 0) goto out;
    if (strcmp(d.payload_type, EA_PAYLOAD_TYPE) != 0) {
        rc = ea_fail(EA_EVERIFY, "payloadType is '%s', not " EA_PAYLOAD_TYPE,
                     ea_redact_show(shown, sizeof(shown), d.payload_type, strlen(d.payload_type)));
        goto out;
    }
    if ((rc = ea_sha256_hex(out->id, d.payload, d.payload_len)) < 0) goto out;
    if ((rc = ea_record_parse(&statement, d.payload, d.payload_len)) < 0 ||
        (rc = ea_record_meta_from_statement(out, statement)) < 0) {
        if (rc == EA_EINPUT || rc == EA_ETOOBIG) rc = EA_EVERIFY; /* out of memory stays so */
        goto out;
    }
    if (!(out->json = ea_malloc(len + 1))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(out->json, json, len);
    out->json[len] = '\0';
    out->json_len = len;
out:
    json_decref(statement);
    ea_dsse_dispose(&d);
    return rc;
}
