/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestations; see attest.h. Everything a person typed is checked here
 * (kind, expiry, names, subjects, UTF-8, lengths), so that a mistake is a
 * usage error naming the flag before anything is signed or stored. Every
 * key of the data is always present (null when not given), in the order
 * json_pack inserts them, so the schema is exact.
 */
#include "attest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <evidence/version.h>

#include "store/store.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"
#include "util/utf8.h"

static const char *const kinds[] = {"access_review", "risk_acceptance",   "restore_test",
                                    "policy_review", "management_review", "other"};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const record_kinds[] = {EA_ATTEST_RECORD_KIND, NULL};

const struct ea_collector ea_attest_source = {
    .abi = EA_COLLECTOR_ABI,
    .size = sizeof(struct ea_collector),
    .name = "attest",
    .version = EA_VERSION,
    .summary = "a person's signed attestation (evidence-agent attest)",
    .kinds = record_kinds,
};

const char *ea_attest_kinds_text(void)
{
    return "access_review, risk_acceptance, restore_test, policy_review, management_review, "
           "other";
}

int ea_attest_kind_check(const char *kind)
{
    const char *best = NULL;
    size_t best_d = EA_TEXT_FAR;
    char shown[65];

    for (size_t i = 0; i < NKINDS; i++) {
        size_t d;
        if (strcmp(kinds[i], kind) == 0) return 0;
        d = ea_text_distance(kind, kinds[i]);
        if (d < best_d) {
            best_d = d;
            best = kinds[i];
        }
    }
    snprintf(shown, sizeof(shown), "%.64s", kind);
    if (best && best_d <= 3)
        return ea_fail(EA_EUSAGE, "'%s' is not an attestation kind (did you mean '%s'? kinds: %s)",
                       shown, best, ea_attest_kinds_text());
    return ea_fail(EA_EUSAGE, "'%s' is not an attestation kind (kinds: %s)", shown,
                   ea_attest_kinds_text());
}

int ea_attest_expiry(int64_t *out_us, const char *text, int64_t now_us)
{
    int64_t d, t;
    char shown[65];

    *out_us = 0;
    snprintf(shown, sizeof(shown), "%.64s", text);
    if (text[0] >= '0' && text[0] <= '9' && strchr(text, '-') == NULL) {
        if (ea_duration_parse(&d, text) < 0) {
            ea_error_clear();
            return ea_fail(EA_EUSAGE,
                           "--expires %s: not a duration (a whole number and s, m, h, d or w, "
                           "such as 90d or 12w) nor a date (YYYY-MM-DD)",
                           shown);
        }
        if (d > INT64_MAX - now_us)
            return ea_fail(EA_EUSAGE, "--expires %s: too far in the future", shown);
        *out_us = now_us + d;
        return 0;
    }
    if (ea_time_parse(&t, text, true) < 0) {
        ea_error_clear();
        return ea_fail(EA_EUSAGE,
                       "--expires %s: not a date (YYYY-MM-DD, or RFC 3339 such as "
                       "2027-03-31T12:00:00Z) nor a duration (90d, 12w)",
                       shown);
    }
    if (t <= now_us)
        return ea_fail(EA_EUSAGE,
                       "--expires %s: already past (an attestation must hold for some time: "
                       "give a later date or a duration such as 90d)",
                       shown);
    *out_us = t;
    return 0;
}

void ea_attest_file_dispose(struct ea_attest_file *f)
{
    ea_free(f->name);
    ea_buf_dispose(&f->buf);
    memset(f, 0, sizeof(*f));
}

/* Hashes an open file in chunks: no memory proportional to its size. */
static int hash_fd(struct ea_attest_file *out, int fd, const char *path)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char chunk[65536], digest[EA_SHA256_LEN];
    unsigned int dlen = 0;
    int rc = 0;

    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n == 0) break;
        if (n < 0) {
            rc = ea_fail(EA_EIO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (EVP_DigestUpdate(md, chunk, (size_t)n) != 1) {
            rc = ea_fail(EA_ERROR, "%s: SHA-256 failed (OpenSSL)", path);
            break;
        }
        out->bytes += (uint64_t)n;
    }
    if (rc == 0 && EVP_DigestFinal_ex(md, digest, &dlen) != 1)
        rc = ea_fail(EA_ERROR, "%s: SHA-256 failed (OpenSSL)", path);
    if (rc == 0) ea_hex_encode(out->sha256, digest, sizeof(digest));
    EVP_MD_CTX_free(md);
    return rc;
}

int ea_attest_file_read(struct ea_attest_file *out, const char *path, bool attach)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int fd = -1;
    int rc;

    memset(out, 0, sizeof(*out));
    ea_buf_init(&out->buf, 0);
    if (!*base || !ea_utf8_valid(base, strlen(base)) || strlen(base) > EA_ATTEST_NAME_MAX)
        return ea_fail(EA_EINPUT,
                       "--file %s: the file's name must be 1 to %d bytes of UTF-8 (rename it)",
                       path, EA_ATTEST_NAME_MAX);
    if (!(out->name = ea_strdup(base))) return ea_fail(EA_ENOMEM, "out of memory");
    /* the same rules as every input: a folder, a device or a pipe is refused, never read */
    if ((rc = ea_fs_check_input(path, 0, "the attested file")) < 0) return rc;
    if ((rc = ea_fs_open_read(&fd, NULL, path, 0)) < 0) {
        if (rc == EA_ENOTFOUND) {
            ea_error_clear();
            rc = ea_fail(EA_EINPUT, "%s: no such file (the attested file)", path);
        }
        return rc;
    }
    if (attach) {
        rc = ea_fs_read_fd(&out->buf, fd, path, EA_BLOB_MAX_BYTES);
        if (rc == EA_ETOOBIG) {
            ea_error_clear();
            rc = ea_fail(EA_ETOOBIG,
                         "--attach %s: over the %zu-byte limit of an attached file (leave out "
                         "--attach: the record then holds its hash only, and the file is kept "
                         "elsewhere)",
                         path, EA_BLOB_MAX_BYTES);
        }
        if (rc == 0) {
            out->bytes = out->buf.len;
            rc = ea_sha256_hex(out->sha256, out->buf.data ? out->buf.data : "", out->buf.len);
        }
    } else {
        rc = hash_fd(out, fd, path);
    }
    close(fd);
    return rc;
}

/* "NAME=SHA256" → {"name", "sha256"} appended to list. */
static int add_subject(json_t *list, const char *text)
{
    const char *eq = strrchr(text, '=');
    char hex[EA_SHA256_HEX_LEN + 1];
    size_t nlen = eq ? (size_t)(eq - text) : 0;
    json_t *name, *one;

    if (!eq || nlen == 0 || strlen(eq + 1) != EA_SHA256_HEX_LEN)
        return ea_fail(EA_EUSAGE,
                       "--subject %.80s: use NAME=SHA256 (64 hex digits, e.g. the output of "
                       "sha256sum)",
                       text);
    for (size_t i = 0; i < EA_SHA256_HEX_LEN; i++) {
        char c = eq[1 + i];
        hex[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    hex[EA_SHA256_HEX_LEN] = '\0';
    if (!ea_is_hex(hex, EA_SHA256_HEX_LEN))
        return ea_fail(EA_EUSAGE, "--subject %.80s: the digest must be 64 hex digits", text);
    if (nlen > EA_ATTEST_NAME_MAX || !ea_utf8_valid(text, nlen))
        return ea_fail(EA_EUSAGE, "--subject: a name must be 1 to %d bytes of UTF-8",
                       EA_ATTEST_NAME_MAX);
    name = json_stringn_nocheck(text, nlen);
    one = name ? json_pack("{s:o, s:s}", "name", name, "sha256", hex) : NULL;
    if (!one || json_array_append_new(list, one) < 0) return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static int check_text(const char *flag, const char *v, size_t max)
{
    size_t n = strlen(v);
    bool blank = true;

    for (size_t i = 0; i < n && blank; i++) blank = v[i] == ' ' || v[i] == '\t' || v[i] == '\n';
    if (blank) return ea_fail(EA_EUSAGE, "--%s is empty: say it in words", flag);
    if (n > max) return ea_fail(EA_EUSAGE, "--%s: %zu bytes, over the limit of %zu", flag, n, max);
    if (!ea_utf8_valid(v, n)) return ea_fail(EA_EUSAGE, "--%s: not valid UTF-8", flag);
    return 0;
}

int ea_attest_build(json_t **out, char **summary, char **subject_name,
                    char subject_sha256[EA_SHA256_HEX_LEN + 1], const struct ea_attest_input *in)
{
    char at[EA_TIME_TEXT_MAX], until[EA_TIME_TEXT_MAX];
    json_t *subjects = NULL, *file = NULL, *data = NULL;
    int rc;

    *out = NULL;
    *summary = NULL;
    *subject_name = NULL;
    if ((rc = ea_attest_kind_check(in->kind)) < 0) return rc;
    if ((rc = check_text("by", in->by, EA_ATTEST_NAME_MAX)) < 0) return rc;
    if (in->statement && (rc = check_text("statement", in->statement, EA_ATTEST_STATEMENT_MAX)) < 0)
        return rc;
    if (!in->statement && !in->file)
        return ea_fail(EA_EUSAGE,
                       "say what is attested: --statement TEXT or --file FILE (or both)");
    if (in->nsubjects > EA_ATTEST_SUBJECTS_MAX)
        return ea_fail(EA_EUSAGE, "%zu --subject flags: at most %d", in->nsubjects,
                       EA_ATTEST_SUBJECTS_MAX);
    if (!(subjects = json_array())) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->nsubjects; i++) {
        if ((rc = add_subject(subjects, in->subjects[i])) < 0) goto fail;
    }
    if (in->file) {
        file = json_pack("{s:s, s:s, s:I, s:s?}", "name", in->file->name, "sha256",
                         in->file->sha256, "bytes", (json_int_t)in->file->bytes, "blob",
                         in->blob_key); /* s? is null when NULL */
        if (!file) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto fail;
        }
    }
    ea_time_format_rfc3339(at, in->now_us);
    ea_time_format_rfc3339(until, in->expires_us);
    data = json_pack("{s:s, s:s?, s:o?, s:s, s:s, s:s, s:O}", "kind", in->kind, "statement",
                     in->statement, "file", file, "by", in->by, "attested_at", at, "expires_at",
                     until, "subjects", subjects);
    file = NULL; /* stolen by the pack, whether it succeeded or not */
    if (!data) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto fail;
    }
    if (in->file) {
        *subject_name = ea_asprintf("attestation:%s:%s", in->kind, in->file->name);
        memcpy(subject_sha256, in->file->sha256, EA_SHA256_HEX_LEN + 1);
    } else {
        *subject_name = ea_asprintf("attestation:%s", in->kind);
        rc = ea_sha256_hex(subject_sha256, in->statement, strlen(in->statement));
        if (rc < 0) goto fail;
    }
    *summary =
        ea_asprintf("%.200s attests %s (%zu subject%s), valid until %s", in->by, in->kind,
                    json_array_size(subjects), json_array_size(subjects) == 1 ? "" : "s", until);
    if (!*subject_name || !*summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto fail;
    }
    json_decref(subjects);
    *out = data;
    return 0;
fail:
    json_decref(subjects);
    json_decref(file);
    json_decref(data);
    ea_free(*summary);
    ea_free(*subject_name);
    *summary = NULL;
    *subject_name = NULL;
    return rc;
}

const char *ea_attest_kind_of(const json_t *statement)
{
    const json_t *pred = json_object_get(statement, "predicate");
    const char *kind = json_string_value(json_object_get(pred, "kind"));

    if (!kind || strcmp(kind, EA_ATTEST_RECORD_KIND) != 0) return NULL;
    return json_string_value(json_object_get(json_object_get(pred, "data"), "kind"));
}

bool ea_attest_expired(const json_t *statement, int64_t at_us)
{
    const json_t *pred = json_object_get(statement, "predicate");
    const char *until;
    int64_t t;

    if (!ea_attest_kind_of(statement)) return false;
    until = json_string_value(json_object_get(json_object_get(pred, "data"), "expires_at"));
    if (!until || ea_time_parse(&t, until, false) < 0) {
        ea_error_clear();
        return false;
    }
    return t <= at_us;
}
