/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RFC 3161 client (see tsa.h). A request is a DER TimeStampReq POSTed as
 * application/timestamp-query through the one HTTP client (util/http.h);
 * the answer is judged by timestamp.c before anything is kept: a response
 * whose token is over another imprint, for another nonce, refused or
 * malformed counts as that TSA failing, and the next one is asked. The chain
 * of the TSA's certificate is not judged here (verify --tsa-ca does it, with
 * the auditor's trust): the client only refuses answers that cannot be for
 * its request.
 */
#include "tsa.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <stdbool.h>
#include <string.h>

#include "dsse.h"
#include "log.h"
#include "timestamp.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/http.h"
#include "util/mem.h"

#define NONCE_LEN 8

struct ea_tsa {
    char *urls[EA_TSA_URLS_MAX]; /* owned */
    size_t n;
    char *policy; /* owned, or NULL */
    struct ea_http *http;
};

int ea_tsa_open(struct ea_tsa **out, const char *const *urls, size_t n, const char *policy)
{
    struct ea_http_opts ho = {0};
    struct ea_tsa *t;
    int rc;

    *out = NULL;
    if (n == 0 || n > EA_TSA_URLS_MAX)
        return ea_fail(EA_EUSAGE, "--tsa: give 1 to %d TSA URLs (%zu given)", EA_TSA_URLS_MAX, n);
    for (size_t i = 0; i < n; i++)
        if (strncmp(urls[i], "http://", 7) != 0 && strncmp(urls[i], "https://", 8) != 0)
            return ea_fail(EA_EUSAGE, "--tsa %s: not an http:// or https:// URL of an RFC 3161 TSA",
                           urls[i]);
    if (policy) {
        ASN1_OBJECT *o = OBJ_txt2obj(policy, 1);
        ERR_clear_error();
        if (!o) return ea_fail(EA_EUSAGE, "--tsa-policy %s: not a dotted OID", policy);
        ASN1_OBJECT_free(o);
    }
    if (!(t = ea_calloc(1, sizeof(*t)))) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(t->urls[i] = ea_strdup(urls[i]))) {
            t->n = i;
            ea_tsa_close(t);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
    }
    t->n = n;
    if (policy && !(t->policy = ea_strdup(policy))) {
        ea_tsa_close(t);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    ho.timeout_ms = 10000;
    ho.connect_timeout_ms = 3000;
    ho.body_max_bytes = EA_TIMESTAMP_MAX_BYTES;
    ho.retries_max = 1; /* then the next TSA: failing over beats waiting on one */
    ho.backoff_base_ms = 200;
    ho.retry_wait_max_ms = 2000;
    if ((rc = ea_http_open(&t->http, &ho)) < 0) {
        ea_tsa_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

void ea_tsa_close(struct ea_tsa *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) ea_free(t->urls[i]);
    ea_free(t->policy);
    ea_http_close(t->http);
    ea_free(t);
}

/* DER TimeStampReq: version 1, SHA-256 imprint, nonce, certReq, optional reqPolicy. */
static int make_request(unsigned char **der, size_t *der_len, const unsigned char *imprint,
                        const unsigned char *nonce, const char *policy)
{
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    BIGNUM *bn = BN_bin2bn(nonce, NONCE_LEN, NULL);
    ASN1_INTEGER *n = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    ASN1_OBJECT *pol = policy ? OBJ_txt2obj(policy, 1) : NULL;
    unsigned char *p = NULL;
    int len = -1;

    *der = NULL;
    if (req && mi && alg && n && (!policy || pol) && TS_REQ_set_version(req, 1) &&
        X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
        TS_MSG_IMPRINT_set_algo(mi, alg) &&
        TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)imprint, EA_SHA256_LEN) &&
        TS_REQ_set_msg_imprint(req, mi) && TS_REQ_set_nonce(req, n) &&
        TS_REQ_set_cert_req(req, 1) && (!pol || TS_REQ_set_policy_id(req, pol)))
        len = i2d_TS_REQ(req, &p);
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    BN_free(bn);
    ASN1_INTEGER_free(n);
    ASN1_OBJECT_free(pol);
    ERR_clear_error();
    if (len <= 0) return ea_fail(EA_ENOMEM, "out of memory (TimeStampReq)");
    *der = p;
    *der_len = (size_t)len;
    return 0;
}

/* One TSA: a sound response for imprint and nonce into resp, or the failure. */
static int ask(struct ea_tsa *t, const char *url, struct ea_buf *resp, const unsigned char *imprint,
               const unsigned char *nonce, const unsigned char *der, size_t der_len)
{
    static const char *const headers[] = {"Content-Type: application/timestamp-query",
                                          "Accept: application/timestamp-reply", NULL};
    struct ea_http_req req = {"POST", url, headers, der, der_len, NULL, NULL};
    struct ea_http_response r = {0};
    struct ea_timestamp_info info;
    int rc = ea_http_request(t->http, &r, &req);

    if (rc == 0)
        rc = ea_timestamp_check_response(&info, (const unsigned char *)r.body.data, r.body.len,
                                         imprint, nonce, NONCE_LEN, NULL, t->policy);
    if (rc == 0) {
        *resp = r.body; /* taken */
        ea_buf_init(&r.body, 0);
    }
    ea_http_response_dispose(&r);
    return rc;
}

int ea_tsa_stamp(struct ea_tsa *t, char **texts, size_t *lens, const struct ea_tsa_leaf *leaves,
                 size_t n)
{
    unsigned char root[EA_SHA256_LEN], nonce[NONCE_LEN];
    unsigned char(*hashes)[EA_SHA256_LEN] = NULL;
    unsigned char(*paths)[EA_TIMESTAMP_PATH_MAX][EA_SHA256_LEN] = NULL;
    size_t *npaths = NULL, der_len = 0;
    unsigned char *der = NULL;
    struct ea_buf resp, why;
    char shown[512];
    const char *used = NULL;
    int rc = 0;

    memset(texts, 0, n * sizeof(*texts));
    ea_buf_init(&resp, 0);
    ea_buf_init(&why, 4096);
    if (n == 0) return 0;
    if (n == 1) {
        memcpy(root, leaves[0].sig_sha256, EA_SHA256_LEN);
    } else {
        hashes = ea_calloc(n, sizeof(*hashes));
        paths = ea_calloc(n, sizeof(*paths));
        npaths = ea_calloc(n, sizeof(*npaths));
        if (!hashes || !paths || !npaths) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++) ea_timestamp_leaf(hashes[i], leaves[i].sig_sha256);
        if ((rc = ea_timestamp_tree(root, (const unsigned char(*)[EA_SHA256_LEN])hashes, n, paths,
                                    npaths)) < 0)
            goto out;
    }
    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        rc = ea_fail(EA_ERROR, "no randomness from OpenSSL for the TSA nonce");
        goto out;
    }
    nonce[0] &= 0x7f; /* a positive INTEGER of the same length, whatever the draw */
    nonce[0] |= 0x01;
    if ((rc = make_request(&der, &der_len, root, nonce, t->policy)) < 0) goto out;
    for (size_t i = 0; i < t->n && !used; i++) {
        ea_http_url_display(shown, sizeof(shown), t->urls[i]);
        rc = ask(t, t->urls[i], &resp, root, nonce, der, der_len);
        if (rc == EA_ENOMEM) goto out;
        if (rc < 0) {
            const char *msg = ea_error_message(rc);
            bool named = strstr(msg, shown) != NULL; /* the HTTP client's messages name it */
            EA_LOG_WARN("tsa", "%s%s%s", named ? "" : shown, named ? "" : ": ", msg);
            ea_buf_printf(&why, "%s%s%s%s", why.len ? "; " : "", named ? "" : shown,
                          named ? "" : ": ", msg);
            ea_error_clear();
            continue;
        }
        used = shown;
    }
    if (!used) {
        rc = ea_fail(EA_ERETRY, "no TSA gave a timestamp (%s)", why.data ? why.data : "");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = ea_timestamp_build(&texts[i], &lens[i], leaves[i].id, leaves[i].sig_sha256, used,
                                nonce, sizeof(nonce), i, n,
                                n > 1 ? (const unsigned char(*)[EA_SHA256_LEN])paths[i] : NULL,
                                n > 1 ? npaths[i] : 0, (const unsigned char *)resp.data, resp.len);
        if (rc < 0) goto out;
    }
out:
    if (rc < 0)
        for (size_t i = 0; i < n; i++) {
            ea_free(texts[i]);
            texts[i] = NULL;
        }
    OPENSSL_free(der);
    ea_buf_dispose(&resp);
    ea_buf_dispose(&why);
    ea_free(hashes);
    ea_free(paths);
    ea_free(npaths);
    return rc;
}

int ea_tsa_envelope_sig(unsigned char out[EA_SHA256_LEN], const char *json, size_t len)
{
    struct ea_dsse d;
    int rc = ea_dsse_parse(&d, json, len);

    if (rc == 0 && d.nsigs == 0) rc = ea_fail(EA_EINPUT, "envelope: no signature to timestamp");
    if (rc == 0) rc = ea_sha256(out, d.sigs[0].sig, d.sigs[0].sig_len);
    ea_dsse_dispose(&d);
    return rc;
}
