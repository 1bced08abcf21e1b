/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 keys through OpenSSL: generation, PEM load and store, sign and
 * verify of raw bytes. Nothing here knows DSSE or JSON (dsse.c builds on
 * these calls); private key text is wiped once loaded.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "log.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"

#define KEY_FILE_MAX (64 * 1024)

struct ea_key {
    EVP_PKEY *pkey;
    EVP_MD_CTX *sign_proto; /* initialised once; copied per signature (see md_for) */
    EVP_MD_CTX *verify_proto;
    bool has_private;
    char id[EA_SHA256_HEX_LEN + 1];
    char *origin;
};

static void openssl_clear(void)
{
    ERR_clear_error();
}

/*
 * OpenSSL 3 looks the algorithm up in its providers on every DigestSignInit
 * or DigestVerifyInit, which costs as much as an Ed25519 operation. So each
 * key initialises a context once, at load, and every operation works on a
 * copy of it. The prototypes are never used directly, so a key can be shared
 * by threads.
 */
static EVP_MD_CTX *proto_new(EVP_PKEY *pkey, bool for_signing)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (!md) return NULL;
    if ((for_signing ? EVP_DigestSignInit(md, NULL, NULL, NULL, pkey)
                     : EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey)) <= 0) {
        EVP_MD_CTX_free(md);
        openssl_clear();
        return NULL;
    }
    return md;
}

static EVP_MD_CTX *md_for(const EVP_MD_CTX *proto)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (md && EVP_MD_CTX_copy_ex(md, proto) != 1) {
        EVP_MD_CTX_free(md);
        openssl_clear();
        return NULL;
    }
    return md;
}

static int key_finish(struct ea_key **out, EVP_PKEY *pkey, bool has_private, const char *origin)
{
    struct ea_key *k = NULL;
    unsigned char *der = NULL;
    int der_len;
    int rc;

    *out = NULL;
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return ea_fail(EA_EINPUT, "%s: not an Ed25519 key (make one with 'evidence-agent keygen')",
                       origin);
    }
    der_len = i2d_PUBKEY(pkey, &der);
    if (der_len <= 0) {
        EVP_PKEY_free(pkey);
        openssl_clear();
        return ea_fail(EA_EINPUT, "%s: cannot encode the public key", origin);
    }
    k = ea_calloc(1, sizeof(*k));
    if (k) k->origin = ea_strdup(origin);
    if (!k || !k->origin) {
        OPENSSL_free(der);
        EVP_PKEY_free(pkey);
        if (k) ea_free(k);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = ea_sha256_hex(k->id, der, (size_t)der_len);
    OPENSSL_free(der);
    k->pkey = pkey;
    k->has_private = has_private;
    if (rc == 0) {
        k->verify_proto = proto_new(pkey, false);
        k->sign_proto = has_private ? proto_new(pkey, true) : NULL;
        if (!k->verify_proto || (has_private && !k->sign_proto))
            rc = ea_fail(EA_ENOMEM, "%s: cannot prepare the key in OpenSSL", origin);
    }
    if (rc < 0) {
        ea_key_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int ea_key_generate(struct ea_key **out)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

    *out = NULL;
    if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        openssl_clear();
        return ea_fail(EA_ERROR, "Ed25519 key generation failed in OpenSSL");
    }
    EVP_PKEY_CTX_free(ctx);
    return key_finish(out, pkey, true, "new key");
}

/* True when the text holds a PEM block ("-----BEGIN"). */
static bool has_pem_block(const char *p, size_t len)
{
    static const char tag[] = "-----BEGIN ";

    for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
        if (memcmp(p + i, tag, sizeof(tag) - 1) == 0) return true;
    return false;
}

/* Whether the len bytes at p hold the text t. */
static bool has_text(const char *p, size_t len, const char *t)
{
    size_t n = strlen(t);

    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, t, n) == 0) return true;
    return false;
}

/*
 * CI systems often hold a key base64-encoded (a secret variable that cannot keep line
 * breaks): text without a PEM block that decodes to one is that PEM. Sets *pem (owned,
 * wipe with ea_free_secret(*pem, *len)) or leaves it NULL when the text is not that.
 */
static int unwrap_base64_pem(char **pem, size_t *len, const char *text, size_t text_len)
{
    char *compact = ea_malloc(text_len + 1);
    unsigned char *bin = NULL;
    size_t n = 0, bin_len = 0;

    *pem = NULL;
    *len = 0;
    if (!compact) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < text_len; i++)
        if (!strchr(" \t\r\n", text[i])) compact[n++] = text[i];
    if (n > 0 && ea_base64_decode(&bin, &bin_len, compact, n) == 0 &&
        has_pem_block((const char *)bin, bin_len)) {
        *pem = (char *)bin;
        *len = bin_len;
    } else if (bin) {
        ea_free_secret(bin, bin_len);
    }
    ea_free_secret(compact, text_len + 1);
    ea_error_clear();
    return 0;
}

int ea_key_load_private_pem(struct ea_key **out, const char *pem, size_t len, const char *origin)
{
    BIO *bio;
    EVP_PKEY *pkey;

    *out = NULL;
    if (len > KEY_FILE_MAX) return ea_fail(EA_EINPUT, "%s: too large to be a key", origin);
    if (!has_pem_block(pem, len)) {
        char *decoded;
        size_t dlen;
        int rc = unwrap_base64_pem(&decoded, &dlen, pem, len);
        if (rc < 0) return rc;
        if (!decoded)
            return ea_fail(EA_EINPUT,
                           "%s: not a PEM private key: it must hold the whole text of the "
                           "key.pem written by 'evidence-agent keygen', from its BEGIN PRIVATE "
                           "KEY line to its END line (that text base64-encoded is accepted too)",
                           origin);
        rc = ea_key_load_private_pem(out, decoded, dlen, origin);
        ea_free_secret(decoded, dlen);
        return rc;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) return ea_fail(EA_ENOMEM, "out of memory");
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
    BIO_free(bio);
    openssl_clear();
    if (!pkey && has_text(pem, len, "PUBLIC KEY-----"))
        return ea_fail(EA_EINPUT,
                       "%s: this is a public key; signing needs the private key (the key.pem "
                       "written by 'evidence-agent keygen', not its .pub)",
                       origin);
    if (!pkey && has_text(pem, len, "\\n"))
        return ea_fail(EA_EINPUT,
                       "%s: not a PEM private key: it holds literal \\n sequences where line "
                       "breaks belong (the secret was stored with its line breaks escaped: store "
                       "the key.pem text as it is, or base64-encoded)",
                       origin);
    if (!pkey)
        return ea_fail(EA_EINPUT,
                       "%s: not a PEM private key, or corrupt (make one with 'evidence-agent "
                       "keygen --private key.pem --public key.pub')",
                       origin);
    return key_finish(out, pkey, true, origin);
}

/*
 * A private key file readable by every user is refused; one readable by a group other
 * than the agent's own is loaded with a warning (a group such as the service's, as in
 * ci/deploy, is the way to share it with the agent alone).
 */
static int check_key_mode(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0) return 0; /* it was just read: a race, not a leak */
    if (st.st_mode & S_IROTH)
        return ea_fail(EA_ECONFIG,
                       "%s: the private key is readable by every user (mode %04o); make it "
                       "private with 'chmod 600 %s' (and make a new key pair if others may "
                       "have read it)",
                       path, (unsigned)(st.st_mode & 07777), path);
    if ((st.st_mode & S_IRGRP) && st.st_gid != getegid())
        EA_LOG_WARN("key",
                    "%s: the private key is readable by group %u (mode %04o); 'chmod 600 %s' "
                    "unless that group may sign evidence",
                    path, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777), path);
    return 0;
}

int ea_key_load_private_file(struct ea_key **out, const char *path)
{
    struct ea_buf b;
    int rc;

    *out = NULL;
    rc = ea_fs_read(&b, path, KEY_FILE_MAX, 0);
    if (rc < 0) {
        if (rc == EA_ENOTFOUND)
            return ea_fail(EA_ECONFIG,
                           "%s: no such key file (make one with 'evidence-agent keygen --private "
                           "%s --public key.pub')",
                           path, path);
        if (rc == EA_ETOOBIG) return ea_fail(EA_EINPUT, "%s: too large to be a key", path);
        if (rc == EA_EINPUT) return rc; /* not a regular file: the message names it */
        return EA_ECONFIG;              /* the message set by ea_fs_read names path and cause */
    }
    rc = ea_key_load_private_pem(out, b.data, b.len, path);
    ea_free_secret(b.data, b.cap);
    if (rc == 0 && (rc = check_key_mode(path)) < 0) {
        ea_key_free(*out);
        *out = NULL;
    }
    return rc;
}

int ea_key_load_public_file(struct ea_key **out, const char *path)
{
    struct ea_buf b;
    EVP_PKEY *pkey;
    BIO *bio;
    int rc;

    *out = NULL;
    rc = ea_fs_read(&b, path, KEY_FILE_MAX, 0);
    if (rc < 0) {
        if (rc == EA_ENOTFOUND)
            return ea_fail(EA_ECONFIG, "%s: no such public key file (check --pubkey)", path);
        if (rc == EA_ETOOBIG) return ea_fail(EA_EINPUT, "%s: too large to be a key", path);
        if (rc == EA_EINPUT) return rc; /* not a regular file: the message names it */
        return EA_ECONFIG;              /* the message set by ea_fs_read names path and cause */
    }
    bio = BIO_new_mem_buf(b.data, (int)b.len);
    pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    openssl_clear();
    if (!pkey && has_pem_block(b.data, b.len) && strstr(b.data, "PRIVATE KEY-----")) {
        ea_free_secret(b.data, b.cap);
        /* A verifier never needs the private key: refusing it keeps it where it belongs. */
        return ea_fail(EA_ECONFIG,
                       "%s: this is a private key; a public key is needed here (the .pub file "
                       "written by 'evidence-agent keygen', or 'openssl pkey -in %s -pubout'), "
                       "and the private key should stay with the signer alone",
                       path, path);
    }
    ea_free_secret(b.data, b.cap);
    if (!pkey)
        return ea_fail(EA_EINPUT,
                       "%s: not a PEM public key, or corrupt (use the .pub file "
                       "written by 'evidence-agent keygen')",
                       path);
    return key_finish(out, pkey, false, path);
}

int ea_key_load_public_pem(struct ea_key **out, const char *pem, size_t len, const char *origin)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio;

    *out = NULL;
    if (len > KEY_FILE_MAX) return ea_fail(EA_EINPUT, "%s: too large to be a key", origin);
    if (has_pem_block(pem, len) && strstr(pem, "PRIVATE KEY-----"))
        return ea_fail(EA_ECONFIG, "%s: this is a private key; a public key is needed here",
                       origin);
    bio = BIO_new_mem_buf(pem, (int)len);
    pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    openssl_clear();
    if (!pkey) return ea_fail(EA_EINPUT, "%s: not a PEM public key, or corrupt", origin);
    return key_finish(out, pkey, false, origin);
}

int ea_key_public_pem(char **out, const struct ea_key *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    *out = NULL;
    if (!bio || !PEM_write_bio_PUBKEY(bio, key->pkey)) {
        BIO_free(bio);
        openssl_clear();
        return ea_fail(EA_ENOMEM, "out of memory (encoding a public key)");
    }
    len = BIO_get_mem_data(bio, &data);
    *out = len > 0 ? ea_strndup(data, (size_t)len) : NULL;
    BIO_free(bio);
    return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

static int write_pem(const struct ea_key *key, const char *path, bool force, bool private_part)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = 0;
    int fd = -1;
    int rc = 0;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);

    if (!bio) return ea_fail(EA_ENOMEM, "out of memory");
    if (private_part ? !PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)
                     : !PEM_write_bio_PUBKEY(bio, key->pkey)) {
        rc = ea_fail(EA_ERROR, "%s: cannot encode the key", path);
        goto out;
    }
    len = BIO_get_mem_data(bio, &data);
    fd = open(path, flags, private_part ? 0600 : 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            rc = ea_fail(EA_EUSAGE, "%s: already exists (keep it, or pass --force to replace it)",
                         path);
        else
            rc = ea_fail(EA_EIO, "%s: cannot create: %s", path, strerror(errno));
        goto out;
    }
    if (private_part && fchmod(fd, 0600) < 0) {
        rc = ea_fail(EA_EIO, "%s: cannot restrict permissions: %s", path, strerror(errno));
        goto out;
    }
    if (write(fd, data, (size_t)len) != (ssize_t)len || fsync(fd) < 0) {
        rc = ea_fail(EA_EIO, "%s: write failed: %s", path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0 && close(fd) < 0 && rc == 0)
        rc = ea_fail(EA_EIO, "%s: close failed: %s", path, strerror(errno));
    if (data && len > 0) OPENSSL_cleanse(data, (size_t)len);
    BIO_free(bio);
    openssl_clear();
    return rc;
}

int ea_key_write_private(const struct ea_key *key, const char *path, bool force)
{
    if (!key->has_private) return ea_fail(EA_EUSAGE, "%s: no private key to write", path);
    return write_pem(key, path, force, true);
}

int ea_key_write_public(const struct ea_key *key, const char *path, bool force)
{
    return write_pem(key, path, force, false);
}

const char *ea_key_id(const struct ea_key *key)
{
    return key->id;
}

bool ea_key_has_private(const struct ea_key *key)
{
    return key->has_private;
}

const char *ea_key_origin(const struct ea_key *key)
{
    return key->origin;
}

void ea_key_free(struct ea_key *key)
{
    if (!key) return;
    EVP_MD_CTX_free(key->sign_proto);
    EVP_MD_CTX_free(key->verify_proto);
    EVP_PKEY_free(key->pkey);
    ea_free(key->origin);
    ea_free(key);
}

int ea_key_sign(const struct ea_key *key, unsigned char sig[EA_KEY_SIG_LEN], const void *msg,
                size_t len)
{
    size_t sig_len = EA_KEY_SIG_LEN;
    EVP_MD_CTX *md;
    int ok;

    if (!key->has_private) return ea_fail(EA_EUSAGE, "%s: a public key cannot sign", key->origin);
    md = md_for(key->sign_proto);
    if (!md) return ea_fail(EA_ENOMEM, "out of memory");
    ok = EVP_DigestSign(md, sig, &sig_len, msg, len) > 0 && sig_len == EA_KEY_SIG_LEN;
    EVP_MD_CTX_free(md);
    if (!ok) {
        openssl_clear();
        return ea_fail(EA_ERROR, "Ed25519 signing failed in OpenSSL (key %s)", key->origin);
    }
    return 0;
}

bool ea_key_verify(const struct ea_key *key, const unsigned char *sig, size_t sig_len,
                   const void *msg, size_t len)
{
    EVP_MD_CTX *md;
    bool ok;

    if (sig_len != EA_KEY_SIG_LEN) return false;
    md = md_for(key->verify_proto);
    if (!md) return false;
    ok = EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    openssl_clear();
    return ok;
}
