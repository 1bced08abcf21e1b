/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256, hex and base64 over OpenSSL's EVP layer; see hash.h. */
#include "hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "mem.h"

int ea_sha256(unsigned char out[EA_SHA256_LEN], const void *p, size_t n)
{
    unsigned int len = 0;

    if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) || len != EA_SHA256_LEN)
        return ea_fail(EA_ERROR, "SHA-256 failed in OpenSSL");
    return 0;
}

void ea_hex_encode(char *out, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int ea_sha256_hex(char out[EA_SHA256_HEX_LEN + 1], const void *p, size_t n)
{
    unsigned char md[EA_SHA256_LEN];
    int rc = ea_sha256(md, p, n);

    if (rc < 0) return rc;
    ea_hex_encode(out, md, sizeof(md));
    return 0;
}

bool ea_is_hex(const char *s, size_t n)
{
    size_t i;

    if (!s || strlen(s) != n) return false;
    for (i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    }
    return true;
}

int ea_base64_encode(char **out, size_t *out_len, const void *p, size_t n)
{
    size_t cap = 4 * ((n + 2) / 3) + 1;
    char *s;
    int len;

    *out = NULL;
    if (n > (size_t)0x7fffffff / 2)
        return ea_fail(EA_ETOOBIG, "base64 input of %zu bytes is too large", n);
    s = ea_malloc(cap);
    if (!s) return ea_fail(EA_ENOMEM, "out of memory encoding base64");
    len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    if (len < 0) {
        ea_free(s);
        return ea_fail(EA_ERROR, "base64 encoding failed");
    }
    *out = s;
    if (out_len) *out_len = (size_t)len;
    return 0;
}

int ea_base64_decode(unsigned char **out, size_t *out_len, const char *s, size_t n)
{
    char *norm = NULL;
    unsigned char *bin = NULL;
    size_t i, m, pad = 0;
    int len;
    int rc = 0;

    *out = NULL;
    *out_len = 0;
    if (n > (size_t)0x7fffffff / 2)
        return ea_fail(EA_ETOOBIG, "base64 text of %zu bytes is too large", n);
    /* Map URL-safe to standard and restore padding; reject anything else. */
    norm = ea_malloc(n + 4);
    if (!norm) return ea_fail(EA_ENOMEM, "out of memory decoding base64");
    for (i = 0, m = 0; i < n; i++) {
        char c = s[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/')) {
            rc = ea_fail(EA_EINPUT, "not valid base64 (bad character at offset %zu)", i);
            goto out;
        }
        norm[m++] = c;
    }
    if (m % 4 == 1 || pad > 2 || (pad && (m + pad) % 4 != 0)) {
        rc = ea_fail(EA_EINPUT, "not valid base64 (length %zu)", n);
        goto out;
    }
    pad = (4 - m % 4) % 4;
    for (i = 0; i < pad; i++) norm[m++] = '=';
    bin = ea_malloc(m / 4 * 3 + 1);
    if (!bin) {
        rc = ea_fail(EA_ENOMEM, "out of memory decoding base64");
        goto out;
    }
    len = EVP_DecodeBlock(bin, (const unsigned char *)norm, (int)m);
    if (len < 0) {
        rc = ea_fail(EA_EINPUT, "not valid base64");
        goto out;
    }
    len -= (int)pad; /* EVP_DecodeBlock counts padding as zero bytes */
    bin[len] = '\0';
    *out = bin;
    *out_len = (size_t)len;
    bin = NULL;
out:
    ea_free(bin);
    ea_free_secret(norm, n + 4); /* it may be a key's text (a base64 EVIDENCE_KEY_PEM) */
    return rc;
}

uint32_t ea_random32(void)
{
    uint32_t r = 0;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) r = (uint32_t)time(NULL);
    return r;
}
