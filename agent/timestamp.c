/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3161 companions: parse, build, Merkle batches and the verdict on a
 * token (see timestamp.h for the layout). OpenSSL's TS API parses the DER;
 * the checks that matter for an audit (imprint, nonce, the certificate's
 * validity at genTime) are made here first, one by one, so each failure
 * names its cause; OpenSSL then checks the CMS signature, the ESS signing
 * certificate and the chain, with the store's time set to genTime so a token
 * still verifies after its TSA certificate expired. Nothing here reads a file
 * but ea_timestamp_trust_load, and nothing talks to the network.
 */
#include "timestamp.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/time.h"

void ea_timestamp_key(char out[EA_TIMESTAMP_KEY_LEN + 1], const char *id)
{
    snprintf(out, EA_TIMESTAMP_KEY_LEN + 1, "timestamps/%.2s/%.64s.json", id, id);
}

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

bool ea_timestamp_key_ok(const char *key)
{
    return strlen(key) == EA_TIMESTAMP_KEY_LEN && strncmp(key, "timestamps/", 11) == 0 &&
           key[13] == '/' && lower_hex(key + 14, 64) && strncmp(key + 11, key + 14, 2) == 0 &&
           strcmp(key + 78, ".json") == 0;
}

/* Decodes exactly want bytes of lower-case hex (want 0: up to cap, even length). */
static int hex_field(unsigned char *out, size_t cap, size_t *out_len, const json_t *o,
                     const char *name, size_t want)
{
    const char *s = json_string_value(json_object_get(o, name));
    size_t n = s ? strlen(s) : 0;

    if (!s) return ea_fail(EA_EINPUT, "timestamp: \"%s\" is missing or not a string", name);
    if ((want && n != want * 2) || n == 0 || n % 2 || n / 2 > cap || !lower_hex(s, n))
        return ea_fail(EA_EINPUT, "timestamp: \"%s\" is not %s lower-case hex", name,
                       want == EA_SHA256_LEN ? "64 digits of" : "bounded, even-length");
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (unsigned char)v;
    }
    if (out_len) *out_len = n / 2;
    return 0;
}

int ea_timestamp_parse(struct ea_timestamp *out, const char *json, size_t len)
{
    json_error_t jerr;
    json_t *doc = NULL, *merkle, *path, *e;
    const char *type, *record, *tsa, *resp;
    unsigned char sig[EA_SHA256_LEN];
    size_t i;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len > EA_TIMESTAMP_MAX_BYTES)
        return ea_fail(EA_ETOOBIG, "timestamp: %zu bytes, over the limit of %u", len,
                       EA_TIMESTAMP_MAX_BYTES);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        rc = ea_fail(EA_EINPUT, "timestamp: not a JSON object (line %d: %s)", jerr.line,
                     doc ? "not an object" : jerr.text);
        goto out;
    }
    type = json_string_value(json_object_get(doc, "type"));
    if (!type || strcmp(type, EA_TIMESTAMP_TYPE) != 0) {
        rc = ea_fail(EA_EINPUT, "timestamp: \"type\" is not %s", EA_TIMESTAMP_TYPE);
        goto out;
    }
    record = json_string_value(json_object_get(doc, "record"));
    if (!record || strlen(record) != EA_SHA256_HEX_LEN || !lower_hex(record, EA_SHA256_HEX_LEN)) {
        rc = ea_fail(EA_EINPUT, "timestamp: \"record\" is not a record ID (64 lower-case hex)");
        goto out;
    }
    memcpy(out->record, record, sizeof(out->record));
    if ((rc = hex_field(sig, sizeof(sig), NULL, doc, "signature_sha256", EA_SHA256_LEN)) < 0 ||
        (rc = hex_field(out->nonce, sizeof(out->nonce), &out->nonce_len, doc, "nonce", 0)) < 0)
        goto out;
    tsa = json_string_value(json_object_get(doc, "tsa"));
    if (!tsa || strlen(tsa) > 2048) {
        rc = ea_fail(EA_EINPUT, "timestamp: \"tsa\" is missing or too long");
        goto out;
    }
    if (!(out->tsa = ea_strdup(tsa))) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    merkle = json_object_get(doc, "merkle");
    if (merkle) {
        json_t *ji = json_object_get(merkle, "index"), *js = json_object_get(merkle, "size");
        path = json_object_get(merkle, "path");
        if (!json_is_integer(ji) || !json_is_integer(js) || !json_is_array(path) ||
            json_integer_value(ji) < 0 || json_integer_value(js) < 2 ||
            json_integer_value(ji) >= json_integer_value(js) ||
            json_array_size(path) > EA_TIMESTAMP_PATH_MAX) {
            rc = ea_fail(EA_EINPUT,
                         "timestamp: \"merkle\" needs index < size (size >= 2) and "
                         "a path of at most %d hashes",
                         EA_TIMESTAMP_PATH_MAX);
            goto out;
        }
        out->batched = true;
        out->index = (uint64_t)json_integer_value(ji);
        out->size = (uint64_t)json_integer_value(js);
        json_array_foreach(path, i, e) {
            json_t *holder = json_pack("{s:O}", "path", e);
            if (!holder) {
                rc = ea_fail(EA_EINPUT, "timestamp: merkle.path[%zu] is not a hash", i);
                goto out;
            }
            rc = hex_field(out->path[i], EA_SHA256_LEN, NULL, holder, "path", EA_SHA256_LEN);
            json_decref(holder);
            if (rc < 0) goto out;
        }
        out->npath = json_array_size(path);
    }
    resp = json_string_value(json_object_get(doc, "response"));
    if (!resp || !*resp) {
        rc = ea_fail(EA_EINPUT, "timestamp: \"response\" is missing (base64 TimeStampResp)");
        goto out;
    }
    rc = ea_base64_decode(&out->response, &out->response_len, resp, strlen(resp));
    if (rc < 0) {
        ea_error_clear();
        rc = ea_fail(EA_EINPUT, "timestamp: \"response\" is not base64");
    }
out:
    json_decref(doc);
    return rc;
}

void ea_timestamp_dispose(struct ea_timestamp *ts)
{
    if (!ts) return;
    ea_free(ts->tsa);
    ea_free(ts->response);
    ts->tsa = NULL;
    ts->response = NULL;
}

int ea_timestamp_build(char **out, size_t *out_len, const char *id,
                       const unsigned char sig_sha256[EA_SHA256_LEN], const char *tsa_url,
                       const unsigned char *nonce, size_t nonce_len, uint64_t index, uint64_t size,
                       const unsigned char (*path)[EA_SHA256_LEN], size_t npath,
                       const unsigned char *response, size_t response_len)
{
    char sig_hex[EA_SHA256_HEX_LEN + 1], nonce_hex[2 * 32 + 1], h[EA_SHA256_HEX_LEN + 1];
    char *b64 = NULL, *text = NULL;
    json_t *doc = NULL, *arr;
    size_t b64_len;
    int rc;

    *out = NULL;
    if (nonce_len > 32) return ea_fail(EA_EINPUT, "timestamp: nonce over 32 bytes");
    ea_hex_encode(sig_hex, sig_sha256, EA_SHA256_LEN);
    ea_hex_encode(nonce_hex, nonce, nonce_len);
    if ((rc = ea_base64_encode(&b64, &b64_len, response, response_len)) < 0) return rc;
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", EA_TIMESTAMP_TYPE, "record", id,
                    "signature_sha256", sig_hex, "tsa", tsa_url, "nonce", nonce_hex);
    if (doc && size > 1) {
        arr = json_array();
        for (size_t i = 0; arr && i < npath; i++) {
            ea_hex_encode(h, path[i], EA_SHA256_LEN);
            if (json_array_append_new(arr, json_string(h)) < 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        if (!arr || json_object_set_new(doc, "merkle",
                                        json_pack("{s:I, s:I, s:o}", "index", (json_int_t)index,
                                                  "size", (json_int_t)size, "path", arr)) < 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    if (doc && json_object_set_new(doc, "response", json_string(b64)) < 0) {
        json_decref(doc);
        doc = NULL;
    }
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!text) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    *out = ea_asprintf("%s\n", text);
    if (!*out) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (out_len) *out_len = strlen(*out);
out:
    free(text); /* jansson's allocator is ea_malloc's (json_set_alloc_funcs) or libc's */
    json_decref(doc);
    ea_free(b64);
    return rc;
}

static void node(unsigned char out[EA_SHA256_LEN], const unsigned char *l, const unsigned char *r)
{
    unsigned char buf[1 + 2 * EA_SHA256_LEN];

    buf[0] = 0x01;
    memcpy(buf + 1, l, EA_SHA256_LEN);
    memcpy(buf + 1 + EA_SHA256_LEN, r, EA_SHA256_LEN);
    ea_sha256(out, buf, sizeof(buf));
}

void ea_timestamp_leaf(unsigned char out[EA_SHA256_LEN],
                       const unsigned char sig_sha256[EA_SHA256_LEN])
{
    unsigned char buf[1 + EA_SHA256_LEN];

    buf[0] = 0x00;
    memcpy(buf + 1, sig_sha256, EA_SHA256_LEN);
    ea_sha256(out, buf, sizeof(buf));
}

/* RFC 9162 2.1.1: MTH(D[lo:hi]); appends each sibling subtree to the paths of the other side. */
static void tree(unsigned char out[EA_SHA256_LEN], const unsigned char (*leaves)[EA_SHA256_LEN],
                 size_t lo, size_t hi, unsigned char (*paths)[EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN],
                 size_t *npaths)
{
    unsigned char l[EA_SHA256_LEN], r[EA_SHA256_LEN];
    size_t k = 1;

    if (hi - lo == 1) {
        memcpy(out, leaves[lo], EA_SHA256_LEN);
        return;
    }
    while (k * 2 < hi - lo) k *= 2;
    tree(l, leaves, lo, lo + k, paths, npaths);
    tree(r, leaves, lo + k, hi, paths, npaths);
    for (size_t m = lo; m < hi; m++)
        memcpy(paths[m][npaths[m]++], m < lo + k ? r : l, EA_SHA256_LEN);
    node(out, l, r);
}

int ea_timestamp_tree(unsigned char root[EA_SHA256_LEN],
                      const unsigned char (*leaves)[EA_SHA256_LEN], size_t n,
                      unsigned char (*paths)[EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN], size_t *npaths)
{
    if (n == 0 || n > ((size_t)1 << 20))
        return ea_fail(EA_EINPUT, "timestamp: a batch of %zu records (1 to 2^20)", n);
    memset(npaths, 0, n * sizeof(*npaths));
    tree(root, leaves, 0, n, paths, npaths);
    return 0;
}

int ea_timestamp_expected_imprint(unsigned char out[EA_SHA256_LEN], const struct ea_timestamp *ts,
                                  const unsigned char sig_sha256[EA_SHA256_LEN])
{
    uint64_t fn, sn;

    if (!ts->batched) {
        memcpy(out, sig_sha256, EA_SHA256_LEN);
        return 0;
    }
    /* RFC 9162 2.1.3.2 */
    fn = ts->index;
    sn = ts->size - 1;
    ea_timestamp_leaf(out, sig_sha256);
    for (size_t i = 0; i < ts->npath; i++) {
        if (sn == 0) goto bad;
        if ((fn & 1) || fn == sn) {
            node(out, ts->path[i], out);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            node(out, out, ts->path[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn == 0) return 0;
bad:
    return ea_fail(EA_EVERIFY,
                   "timestamp: the Merkle path (leaf %llu of %llu) is not a path of "
                   "that tree",
                   (unsigned long long)ts->index, (unsigned long long)ts->size);
}

/* The last OpenSSL error as text, and the queue cleared. */
static const char *ossl_reason(char *buf, size_t cap)
{
    unsigned long e;
    const char *data = NULL;
    int flags = 0;

    e = ERR_peek_last_error_all(NULL, NULL, NULL, &data, &flags);
    if (!e) {
        snprintf(buf, cap, "no reason given");
    } else {
        snprintf(buf, cap, "%s%s%s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?",
                 data && (flags & ERR_TXT_STRING) ? ": " : "",
                 data && (flags & ERR_TXT_STRING) ? data : "");
    }
    ERR_clear_error();
    return buf;
}

static int64_t asn1_time_us(const ASN1_GENERALIZEDTIME *t)
{
    struct tm tm;
    int64_t us;
    const unsigned char *d = ASN1_STRING_get0_data(t);
    int n = ASN1_STRING_length(t);
    const unsigned char *dot;

    char text[40];

    if (!ASN1_TIME_to_tm(t, &tm)) return INT64_MIN;
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (ea_time_parse(&us, text, false) < 0) {
        ea_error_clear();
        return INT64_MIN;
    }
    /* YYYYMMDDHHMMSS[.fff]Z: keep the fraction to the microsecond */
    dot = n > 14 ? memchr(d, '.', (size_t)n) : NULL;
    if (dot) {
        int64_t f = 0, scale = 100000;
        for (const unsigned char *p = dot + 1; p < d + n && *p >= '0' && *p <= '9'; p++) {
            f += (*p - '0') * scale;
            scale /= 10;
            if (!scale) break;
        }
        us += f;
    }
    return us;
}

static void cert_name(char *out, size_t cap, X509 *c)
{
    char *s = X509_NAME_oneline(X509_get_subject_name(c), NULL, 0);
    snprintf(out, cap, "%s", s ? s : "?");
    OPENSSL_free(s);
}

/* Checks the token's signing certificate was valid at genTime (messages name it). */
static int cert_at(PKCS7 *token, time_t gen, char *name, size_t cap)
{
    STACK_OF(X509) * signers;
    X509 *c;
    char nb[40], na[40];
    int rc = 0;

    ERR_set_mark();
    signers = PKCS7_get0_signers(token, NULL, 0);
    ERR_pop_to_mark();
    if (!signers || sk_X509_num(signers) != 1) {
        sk_X509_free(signers);
        return ea_fail(EA_EVERIFY, "timestamp: the token does not carry its signing certificate "
                                   "(the request asks for it: certReq)");
    }
    c = sk_X509_value(signers, 0);
    cert_name(name, cap, c);
    if (X509_cmp_time(X509_get0_notBefore(c), &gen) > 0 ||
        X509_cmp_time(X509_get0_notAfter(c), &gen) < 0) {
        BIO *b = BIO_new(BIO_s_mem());
        int n1 = 0, n2 = 0;
        if (b && ASN1_TIME_print(b, X509_get0_notBefore(c))) n1 = BIO_read(b, nb, sizeof(nb) - 1);
        if (b && ASN1_TIME_print(b, X509_get0_notAfter(c))) n2 = BIO_read(b, na, sizeof(na) - 1);
        nb[n1 > 0 ? n1 : 0] = '\0';
        na[n2 > 0 ? n2 : 0] = '\0';
        BIO_free(b);
        rc = ea_fail(EA_EVERIFY,
                     "timestamp: TSA certificate %s was %s at the token's genTime (valid from %s "
                     "to %s)",
                     name,
                     X509_cmp_time(X509_get0_notBefore(c), &gen) > 0 ? "not yet valid" : "expired",
                     nb, na);
    }
    sk_X509_free(signers);
    return rc;
}

static int chain(TS_RESP *resp, const unsigned char imprint[EA_SHA256_LEN],
                 const unsigned char *nonce, size_t nonce_len, X509_STORE *trust,
                 const char *policy, time_t gen)
{
    TS_VERIFY_CTX *ctx = NULL;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *n = NULL;
    ASN1_OBJECT *pol = NULL;
    BIGNUM *bn = BN_bin2bn(nonce, (int)nonce_len, NULL);
    char why[512];
    int rc = 0;

    if (bn) n = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    if (policy && !(pol = OBJ_txt2obj(policy, 1))) {
        rc = ea_fail(EA_EUSAGE, "--tsa-policy %s: not a dotted OID", policy);
        goto out;
    }
    /*
     * OpenSSL 3.0 has no setter for a verify context's nonce or policy: a
     * request carries them in (the one the client sent, rebuilt).
     */
    if (!req || !mi || !alg || !n || !TS_REQ_set_version(req, 1) ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
        !TS_MSG_IMPRINT_set_algo(mi, alg) ||
        !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)imprint, EA_SHA256_LEN) ||
        !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, n) ||
        (pol && !TS_REQ_set_policy_id(req, pol)) || !(ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) ||
        !X509_STORE_up_ref(trust)) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), gen); /* the chain as of genTime */
    TS_VERIFY_CTX_set_store(ctx, trust);                           /* takes the reference */
    TS_VERIFY_CTX_add_flags(ctx, TS_VFY_SIGNATURE);
    if (TS_RESP_verify_response(ctx, resp) != 1)
        rc = ea_fail(EA_EVERIFY, "timestamp: the token does not verify against --tsa-ca: %s",
                     ossl_reason(why, sizeof(why)));
out:
    ERR_clear_error();
    ASN1_INTEGER_free(n);
    ASN1_OBJECT_free(pol);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    TS_REQ_free(req);
    TS_VERIFY_CTX_free(ctx);
    return rc;
}

int ea_timestamp_check_response(struct ea_timestamp_info *out, const unsigned char *der,
                                size_t der_len, const unsigned char imprint[EA_SHA256_LEN],
                                const unsigned char *nonce, size_t nonce_len, X509_STORE *trust,
                                const char *policy)
{
    const unsigned char *p = der;
    TS_RESP *resp = NULL;
    TS_TST_INFO *tst;
    TS_MSG_IMPRINT *mi;
    const ASN1_OBJECT *alg_obj = NULL;
    const ASN1_OCTET_STRING *digest;
    const ASN1_INTEGER *tok_nonce;
    BIGNUM *want = NULL, *got = NULL;
    long status;
    char have_hex[EA_SHA256_HEX_LEN + 1], want_hex[EA_SHA256_HEX_LEN + 1];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (der_len > EA_TIMESTAMP_MAX_BYTES || der_len > (size_t)INT32_MAX ||
        !(resp = d2i_TS_RESP(NULL, &p, (long)der_len)) || p != der + der_len) {
        ERR_clear_error();
        rc = ea_fail(EA_EVERIFY, "timestamp: the response is not a DER TimeStampResp (RFC 3161)");
        goto out;
    }
    status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
    if (status != 0 && status != 1) {
        rc = ea_fail(EA_EVERIFY, "timestamp: the TSA refused the request (PKIStatus %ld)", status);
        goto out;
    }
    tst = TS_RESP_get_tst_info(resp);
    if (!tst || !TS_RESP_get_token(resp)) {
        rc = ea_fail(EA_EVERIFY, "timestamp: the response holds no token");
        goto out;
    }
    mi = TS_TST_INFO_get_msg_imprint(tst);
    X509_ALGOR_get0(&alg_obj, NULL, NULL, TS_MSG_IMPRINT_get_algo(mi));
    digest = TS_MSG_IMPRINT_get_msg(mi);
    if (OBJ_obj2nid(alg_obj) != NID_sha256 || ASN1_STRING_length(digest) != EA_SHA256_LEN) {
        rc = ea_fail(EA_EVERIFY, "timestamp: the token's message imprint is not SHA-256");
        goto out;
    }
    if (memcmp(ASN1_STRING_get0_data(digest), imprint, EA_SHA256_LEN) != 0) {
        ea_hex_encode(have_hex, ASN1_STRING_get0_data(digest), EA_SHA256_LEN);
        ea_hex_encode(want_hex, imprint, EA_SHA256_LEN);
        rc = ea_fail(EA_EVERIFY,
                     "timestamp: wrong imprint: the token is over other bytes (imprint %.16s…, "
                     "the record's signature gives %.16s…)",
                     have_hex, want_hex);
        goto out;
    }
    tok_nonce = TS_TST_INFO_get_nonce(tst);
    want = BN_bin2bn(nonce, (int)nonce_len, NULL);
    got = tok_nonce ? ASN1_INTEGER_to_BN(tok_nonce, NULL) : NULL;
    if (!want) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (!got || BN_cmp(want, got) != 0) {
        rc = ea_fail(EA_EVERIFY, "timestamp: the token answers another request: %s",
                     got ? "its nonce is not the nonce that was sent" : "it has no nonce");
        goto out;
    }
    out->gen_us = asn1_time_us(TS_TST_INFO_get_time(tst));
    if (out->gen_us == INT64_MIN || ea_time_format_rfc3339(out->gen_text, out->gen_us) < 0) {
        ea_error_clear();
        rc = ea_fail(EA_EVERIFY, "timestamp: the token's genTime is not a time");
        goto out;
    }
    OBJ_obj2txt(out->policy, sizeof(out->policy), TS_TST_INFO_get_policy_id(tst), 1);
    if (policy && strcmp(policy, out->policy) != 0) {
        rc = ea_fail(EA_EVERIFY, "timestamp: issued under policy %s, not %s (--tsa-policy)",
                     out->policy, policy);
        goto out;
    }
    if (trust) {
        time_t gen = (time_t)(out->gen_us / 1000000);
        rc = cert_at(TS_RESP_get_token(resp), gen, out->tsa_name, sizeof(out->tsa_name));
        if (rc == 0) rc = chain(resp, imprint, nonce, nonce_len, trust, policy, gen);
        out->chain_checked = rc == 0;
    }
out:
    BN_free(want);
    BN_free(got);
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}

int ea_timestamp_verify(struct ea_timestamp_info *out, const struct ea_timestamp *ts,
                        const char *record_id, const unsigned char sig_sha256[EA_SHA256_LEN],
                        X509_STORE *trust, const char *policy)
{
    unsigned char imprint[EA_SHA256_LEN];
    int rc;

    memset(out, 0, sizeof(*out));
    if (strcmp(ts->record, record_id) != 0)
        return ea_fail(EA_EVERIFY,
                       "timestamp: the companion is of record %.12s, not of this "
                       "record (swapped between records)",
                       ts->record);
    if ((rc = ea_timestamp_expected_imprint(imprint, ts, sig_sha256)) < 0) return rc;
    return ea_timestamp_check_response(out, ts->response, ts->response_len, imprint, ts->nonce,
                                       ts->nonce_len, trust, policy);
}

int ea_timestamp_trust_load(X509_STORE **out, const char *file)
{
    X509_STORE *st = X509_STORE_new();
    BIO *b = NULL;
    X509 *c;
    int n = 0;

    *out = NULL;
    if (!st) return ea_fail(EA_ENOMEM, "out of memory");
    if (!(b = BIO_new_file(file, "r"))) {
        ERR_clear_error();
        X509_STORE_free(st);
        return ea_fail(EA_ECONFIG,
                       "--tsa-ca %s: cannot be read (a PEM file of the TSA's CA "
                       "certificates)",
                       file);
    }
    while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        if (X509_STORE_add_cert(st, c) == 1) n++;
        X509_free(c);
    }
    ERR_clear_error();
    BIO_free(b);
    if (n == 0) {
        X509_STORE_free(st);
        return ea_fail(EA_ECONFIG, "--tsa-ca %s: no PEM certificate in it", file);
    }
    *out = st;
    return 0;
}
