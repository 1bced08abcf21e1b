/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DSSE envelopes. Signing builds the envelope text directly: every field is
 * base64 or hex, so no JSON escaping is needed and the stored bytes are
 * byte-for-byte predictable. Verification parses with jansson, decodes
 * either base64 alphabet, and checks Ed25519 over the PAE bytes; only the
 * payload that verified is handed back for parsing. The keys themselves,
 * and the OpenSSL calls, are keys.c's.
 */
#include "dsse.h"

#include <jansson.h>
#include <string.h>

#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

int ea_dsse_pae(struct ea_buf *out, const char *type, const void *body, size_t len)
{
    int rc = ea_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
    if (rc < 0) return rc;
    return ea_buf_append(out, body, len);
}

int ea_dsse_sign(char **out, size_t *out_len, const char *type, const void *payload, size_t len,
                 const struct ea_key *key)
{
    unsigned char sig[EA_KEY_SIG_LEN];
    struct ea_buf pae;
    struct ea_buf doc;
    char *payload_b64 = NULL;
    char *sig_b64 = NULL;
    int rc;

    *out = NULL;
    if (!ea_key_has_private(key))
        return ea_fail(EA_EUSAGE, "%s: a public key cannot sign", ea_key_origin(key));
    ea_buf_init(&pae, 0);
    ea_buf_init(&doc, 0);
    rc = ea_dsse_pae(&pae, type, payload, len);
    if (rc == 0) rc = ea_key_sign(key, sig, pae.data, pae.len);
    if (rc == 0) rc = ea_base64_encode(&payload_b64, NULL, payload, len);
    if (rc == 0) rc = ea_base64_encode(&sig_b64, NULL, sig, sizeof(sig));
    if (rc == 0)
        rc = ea_buf_printf(&doc,
                           "{\"payloadType\":\"%s\",\"payload\":\"%s\","
                           "\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}",
                           type, payload_b64, ea_key_id(key), sig_b64);
    if (rc == 0) {
        *out = ea_buf_take(&doc, out_len);
        if (!*out) rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    ea_free(sig_b64);
    ea_free(payload_b64);
    ea_buf_dispose(&doc);
    ea_buf_dispose(&pae);
    return rc;
}

int ea_dsse_sign_envelope(struct ea_envelope *env, const struct ea_record_bytes *rec,
                          const struct ea_key *key)
{
    int rc = ea_dsse_sign(&env->json, &env->json_len, EA_PAYLOAD_TYPE, rec->bytes, rec->len, key);

    if (rc == 0) memcpy(env->id, rec->id, sizeof(env->id));
    return rc;
}

void ea_dsse_dispose(struct ea_dsse *d)
{
    ea_free(d->payload_type);
    ea_free(d->payload);
    for (size_t i = 0; i < d->nsigs; i++) {
        ea_free(d->sigs[i].keyid);
        ea_free(d->sigs[i].sig);
    }
    memset(d, 0, sizeof(*d));
}

static int b64_field(unsigned char **out, size_t *out_len, const json_t *v, const char *what)
{
    int rc;

    if (!json_is_string(v))
        return ea_fail(EA_EINPUT, "envelope: %s is missing or not a string", what);
    rc = ea_base64_decode(out, out_len, json_string_value(v), json_string_length(v));
    if (rc < 0) ea_fail_prefix("envelope: %s", what);
    return rc;
}

int ea_dsse_parse(struct ea_dsse *d, const char *text, size_t len)
{
    json_error_t err;
    json_t *doc;
    json_t *sigs;
    json_t *s;
    size_t i;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    if (len > EA_ENVELOPE_MAX_BYTES)
        return ea_fail(EA_ETOOBIG, "envelope of %zu bytes exceeds the limit of %u bytes", len,
                       (unsigned)EA_ENVELOPE_MAX_BYTES);
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!doc)
        return ea_fail(EA_EINPUT, "not a JSON envelope: %s (line %d, column %d)", err.text,
                       err.line, err.column);
    if (!json_is_object(doc)) {
        rc = ea_fail(EA_EINPUT, "envelope: not a JSON object");
        goto out;
    }
    if (!json_is_string(json_object_get(doc, "payloadType"))) {
        rc = ea_fail(EA_EINPUT, "envelope: payloadType is missing or not a string");
        goto out;
    }
    d->payload_type = ea_strdup(json_string_value(json_object_get(doc, "payloadType")));
    if (!d->payload_type) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    rc = b64_field(&d->payload, &d->payload_len, json_object_get(doc, "payload"), "payload");
    if (rc < 0) goto out;
    sigs = json_object_get(doc, "signatures");
    if (!json_is_array(sigs) || json_array_size(sigs) == 0) {
        rc = ea_fail(EA_EINPUT, "envelope: signatures is missing or empty");
        goto out;
    }
    if (json_array_size(sigs) > EA_DSSE_SIGS_MAX) {
        rc = ea_fail(EA_EINPUT, "envelope: more than %d signatures", EA_DSSE_SIGS_MAX);
        goto out;
    }
    json_array_foreach(sigs, i, s) {
        const json_t *kid = json_object_get(s, "keyid");
        if (!json_is_object(s)) {
            rc = ea_fail(EA_EINPUT, "envelope: signatures[%zu] is not an object", i);
            goto out;
        }
        rc = b64_field(&d->sigs[i].sig, &d->sigs[i].sig_len, json_object_get(s, "sig"), "sig");
        d->nsigs = i + 1;
        if (rc < 0) goto out;
        if (json_is_string(kid)) {
            d->sigs[i].keyid = ea_strdup(json_string_value(kid));
            if (!d->sigs[i].keyid) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
out:
    json_decref(doc);
    if (rc < 0) ea_dsse_dispose(d);
    return rc;
}

int ea_dsse_verify(const struct ea_dsse *d, struct ea_key *const *keys, size_t nkeys,
                   const struct ea_key **matched)
{
    struct ea_buf pae;
    int rc;

    if (matched) *matched = NULL;
    ea_buf_init(&pae, 0);
    rc = ea_dsse_pae(&pae, d->payload_type, d->payload, d->payload_len);
    if (rc < 0) return rc;
    rc = ea_fail(EA_EVERIFY, "no signature verifies with the given public key%s",
                 nkeys == 1 ? "" : "s");
    /* Two passes: keys whose ID matches the keyid hint first, then every key. */
    for (int pass = 0; pass < 2 && rc < 0; pass++) {
        for (size_t s = 0; s < d->nsigs && rc < 0; s++) {
            for (size_t k = 0; k < nkeys && rc < 0; k++) {
                bool hinted = d->sigs[s].keyid && strcmp(d->sigs[s].keyid, ea_key_id(keys[k])) == 0;
                if (hinted != (pass == 0)) continue;
                if (ea_key_verify(keys[k], d->sigs[s].sig, d->sigs[s].sig_len, pae.data, pae.len)) {
                    if (matched) *matched = keys[k];
                    ea_error_clear();
                    rc = 0;
                }
            }
        }
    }
    ea_buf_dispose(&pae);
    return rc;
}
