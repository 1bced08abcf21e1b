/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config collector: one config_state record per file matched by
 * config=GLOB. For each file: its path relative to its git repository, the
 * SHA-256 of its bytes, and for JSON and YAML a canonical form (keys sorted,
 * formatting and comments gone, secrets masked) with its own SHA-256, so a
 * reformat is not a change; a digest per key path for drift; the facts of a
 * recognised kind (config_facts.c).
 *
 * Drift: against the newest config_state record of the same repository and
 * path in the store (host->latest), and, with the baseline option, against
 * an approved file: result fail on drift from a baseline. Only key paths
 * are reported, never values. Values under secret-looking keys (password,
 * secret, token, apikey, private key, credential) and values the redactor
 * recognises are masked before any hash, so no record can be used to guess
 * them; a change of such a value alone is therefore not seen as drift.
 */
#define _GNU_SOURCE 1 /* strcasestr */
#include <errno.h>
#include "util/git2.h"
#include <glob.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <evidence/collector.h>

#include "util/ci.h"
#include "config_facts.h"
#include "util/error.h"
#include "util/redact.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/utf8.h"
#include "util/yaml.h"
#include "util/git_url.h"

/* Files larger than parse_max (at most FILE_MAX) are hashed, not parsed: a parse takes about
 * 14 bytes of memory per byte of JSON (a 6 MiB Terraform plan peaks at 93 MiB), so a sidecar
 * with a small memory limit lowers parse_max rather than being killed by it. */
#define FILE_MAX (64u << 20)
#define LEAVES_MAX 5000
#define DRIFT_PATHS_MAX 100
#define MASK "[MASKED]"

struct config_state {
    char *pattern;    /* owned */
    char *baseline;   /* owned, or NULL */
    size_t parse_max; /* larger files are hashed, not parsed */
    const struct ea_host *host;
};

static void config_free(void *state)
{
    struct config_state *s = state;

    if (!s) return;
    ea_free(s->pattern);
    ea_free(s->baseline);
    ea_free(s);
}

/*
 * The pattern must match at least one regular file, and nothing that is
 * neither a file nor a folder (folders are skipped): checked at init, so that
 * config=FOLDER or config=/dev/zero is refused before any collector runs.
 */
static int check_matches(const char *pattern)
{
    glob_t g;
    size_t files = 0;
    int gr, rc = 0;

    memset(&g, 0, sizeof(g));
    gr = glob(pattern, 0, NULL, &g);
    if (gr == GLOB_NOMATCH || (gr == 0 && g.gl_pathc == 0))
        rc = ea_fail(EA_EINPUT,
                     "config=%s matched no file (quote the pattern so the shell leaves it to "
                     "the agent)",
                     pattern);
    else if (gr != 0)
        rc = ea_fail(EA_EINPUT, "config=%s: cannot list: %s", pattern, strerror(errno));
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
        rc = ea_fs_check_input(g.gl_pathv[i], 0, "a configuration file");
        files++;
    }
    if (rc == 0 && files == 0)
        rc = ea_fail(EA_EINPUT,
                     "config=%s matched only folders (give files: config='%s/*.yaml', quoted)",
                     pattern, pattern);
    if (g.gl_pathv) globfree(&g);
    return rc;
}

static int config_init(void **state, const char *arg, const json_t *options,
                       const struct ea_host *host)
{
    struct config_state *s;
    const json_t *b = json_object_get(options, "baseline");
    const json_t *pm = json_object_get(options, "parse_max");
    int rc;

    *state = NULL;
    if (!arg || !*arg)
        return ea_fail(EA_EUSAGE, "config needs files: config=GLOB (e.g. config='deploy/*.yaml')");
    if (b && !json_is_string(b)) return ea_fail(EA_ECONFIG, "baseline must be a file path");
    if (b && (rc = ea_fs_check_input(json_string_value(b), 0, "the baseline")) < 0) return rc;
    if (pm && (!json_is_integer(pm) || json_integer_value(pm) < 1 ||
               json_integer_value(pm) > (json_int_t)FILE_MAX))
        return ea_fail(EA_ECONFIG, "parse_max must be bytes, from 1 to 64MiB");
    if ((rc = check_matches(arg)) < 0) return rc;
    s = ea_calloc(1, sizeof(*s));
    if (!s || !(s->pattern = ea_strdup(arg)) ||
        (b && !(s->baseline = ea_strdup(json_string_value(b))))) {
        config_free(s);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    s->host = host;
    s->parse_max = pm ? (size_t)json_integer_value(pm) : FILE_MAX;
    *state = s;
    return 0;
}

static bool secret_key(const char *k)
{
    static const char *const words[] = {"password",    "passwd",      "secret",     "token",
                                        "apikey",      "api_key",     "api-key",    "privatekey",
                                        "private_key", "private-key", "credential", NULL};
    for (size_t i = 0; words[i]; i++)
        if (strcasestr(k, words[i])) return true;
    return false;
}

/*
 * Registers every string in v (a masked value) as a literal of lit; counts
 * them in *n. A value the redactor cannot take (shorter than 4 bytes, which
 * as a literal would mask ordinary text everywhere, or past its literal
 * limit) goes to extra instead: the digests mask it themselves (see
 * mask_extra), where masking too much costs nothing.
 */
static void add_literals(struct ea_redactor *lit, const json_t *v, unsigned *n, json_t *extra)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_string(v)) {
        if (ea_redactor_add_literal(lit, json_string_value(v), json_string_length(v)) == 0) {
            (*n)++;
        } else {
            ea_error_clear();
            if (json_string_length(v) > 0) json_array_append(extra, (json_t *)v);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) add_literals(lit, x, n, extra);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) add_literals(lit, x, n, extra);
    }
}

/*
 * A copy of s[0, n) (owned, NUL-terminated; *out_len its length) with every
 * occurrence of every value in extra replaced by MASK: for digests only,
 * never for text shown in a record. *hits counts the replacements.
 */
static char *mask_extra(const char *s, size_t n, const json_t *extra, size_t *out_len,
                        unsigned *hits)
{
    struct ea_buf cur, next;
    const json_t *v;
    size_t i;

    ea_buf_init(&cur, 0);
    if (ea_buf_append(&cur, s, n) < 0) return NULL;
    json_array_foreach(extra, i, v) {
        const char *val = json_string_value(v), *p = cur.data, *hit;
        size_t vl = json_string_length(v);
        int rc = 0;
        ea_buf_init(&next, 0);
        while (rc == 0 && (hit = memmem(p, cur.len - (size_t)(p - cur.data), val, vl))) {
            rc = ea_buf_append(&next, p, (size_t)(hit - p));
            if (rc == 0) rc = ea_buf_puts(&next, MASK);
            p = hit + vl;
            (*hits)++;
        }
        if (rc == 0) rc = ea_buf_append(&next, p, cur.len - (size_t)(p - cur.data));
        ea_buf_dispose(&cur);
        cur = next;
        if (rc < 0) {
            ea_buf_dispose(&cur);
            return NULL;
        }
    }
    *out_len = cur.len;
    return cur.data;
}

/* A copy of v (new reference) whose strings have the values in extra masked (mask_extra). */
static json_t *mask_extra_json(const json_t *v, const json_t *extra)
{
    json_t *c = NULL, *x;
    const char *k;
    size_t i;

    if (json_is_string(v)) {
        size_t len = 0;
        unsigned hits = 0;
        char *m = mask_extra(json_string_value(v), json_string_length(v), extra, &len, &hits);
        c = m ? json_stringn(m, len) : NULL;
        ea_free(m);
    } else if (json_is_array(v)) {
        c = json_array();
        json_array_foreach(v, i, x) {
            if (c && json_array_append_new(c, mask_extra_json(x, extra)) < 0) {
                json_decref(c);
                c = NULL;
            }
        }
    } else if (json_is_object(v)) {
        c = json_object();
        json_object_foreach((json_t *)v, k, x) {
            if (c && json_object_set_new(c, k, mask_extra_json(x, extra)) < 0) {
                json_decref(c);
                c = NULL;
            }
        }
    } else {
        c = json_deep_copy(v);
    }
    return c;
}

/*
 * Whether an object is an entry whose "value" is a secret's: its "name" names
 * one ({"name": "DB_PASSWORD", "value": …}, any case, a path's last part:
 * "/prod/db_password"), or it is an Azure key ({"keyName": …, "value": …}).
 */
static bool secret_entry(json_t *o)
{
    const char *k;
    json_t *x;

    json_object_foreach(o, k, x) {
        if (strcasecmp(k, "keyName") == 0) return true;
        if (strcasecmp(k, "name") == 0 && json_is_string(x)) {
            const char *nm = json_string_value(x), *slash = strrchr(nm, '/');
            return secret_key(slash ? slash + 1 : nm);
        }
    }
    return false;
}

/*
 * Masks the values of secret-looking keys (and of entries named as secrets),
 * in place; each value masked is registered in lit (may be NULL), so that
 * the same value elsewhere (a YAML anchor's, a copy) is masked too.
 */
static void mask_secret_keys(json_t *v, struct ea_redactor *lit, unsigned *n, json_t *extra)
{
    const char *k;
    json_t *x;
    size_t i;
    bool entry;

    if (json_is_array(v))
        json_array_foreach(v, i, x) mask_secret_keys(x, lit, n, extra);
    if (!json_is_object(v)) return;
    entry = secret_entry(v);
    json_object_foreach(v, k, x) {
        if ((secret_key(k) || (entry && strcasecmp(k, "value") == 0)) && !json_is_null(x)) {
            if (lit) add_literals(lit, x, n, extra); /* whatever it holds: a list of tokens too */
            json_object_set_new(v, k, json_string(MASK));
        } else {
            mask_secret_keys(x, lit, n, extra);
        }
    }
}

static int sha_of_json(char hex[EA_SHA256_HEX_LEN + 1], const json_t *v)
{
    char *text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;

    if (!text) return ea_fail(EA_ENOMEM, "out of memory");
    rc = ea_sha256_hex(hex, text, strlen(text));
    free(text);
    return rc;
}

/*
 * The short digest of a leaf's value: keyed by the agent (HMAC under a secret
 * of its signing key, see ea_host.keyed_digest), so that the digest of a value
 * no rule masked (a short password under an unusual name) cannot be guessed
 * by hashing candidates; stable for one signing key, so drift still works.
 * Without a key (a host that has none) it is a plain SHA-256 prefix.
 */
static int leaf_digest(char hex[17], const json_t *v, const struct ea_host *host)
{
    char *text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    char full[EA_SHA256_HEX_LEN + 1];
    unsigned char md[32];
    int rc = -1;

    if (!text) return ea_fail(EA_ENOMEM, "out of memory");
    if (host && host->size >= offsetof(struct ea_host, keyed_digest) + sizeof(host->keyed_digest) &&
        host->keyed_digest) {
        rc = host->keyed_digest(host->ctx, text, strlen(text), md);
        if (rc == 0)
            ea_hex_encode(hex, md, 8);
        else
            ea_error_clear(); /* no signing key: the plain digest */
    }
    if (rc != 0) {
        rc = ea_sha256_hex(full, text, strlen(text));
        if (rc == 0) memcpy(hex, full, 16);
    }
    hex[16] = '\0';
    free(text);
    return rc;
}

/* Every leaf's path (a.b[0].c) and a short digest of its value, at most LEAVES_MAX. */
static int leaves(json_t *out, const json_t *v, struct ea_buf *path, bool *truncated,
                  const struct ea_host *host)
{
    size_t len = path->len, i;
    const char *k;
    json_t *x;
    int rc = 0;

    if (json_is_object(v) && json_object_size(v)) {
        json_object_foreach((json_t *)v, k, x) {
            path->len = len;
            rc = ea_buf_printf(path, "%s%s", len ? "." : "", k);
            if (rc == 0) rc = leaves(out, x, path, truncated, host);
            if (rc < 0) break;
        }
    } else if (json_is_array(v) && json_array_size(v)) {
        json_array_foreach(v, i, x) {
            path->len = len;
            rc = ea_buf_printf(path, "[%zu]", i);
            if (rc == 0) rc = leaves(out, x, path, truncated, host);
            if (rc < 0) break;
        }
    } else if (json_object_size(out) >= LEAVES_MAX) {
        *truncated = true;
    } else {
        char hex[17];
        rc = leaf_digest(hex, v, host);
        if (rc == 0 && ea_buf_puts(path, "") == 0 &&
            json_object_set_new(out, path->data ? path->data : "", json_string(hex)) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    path->len = len;
    if (path->data) path->data[len] = '\0';
    return rc;
}

/* added / removed / modified paths between two leaf maps (either may be NULL). */
static json_t *diff(const json_t *before, const json_t *after)
{
    json_t *added = json_array(), *removed = json_array(), *modified = json_array();
    const char *k;
    json_t *v;
    size_t total = 0;

    json_object_foreach((json_t *)after, k, v) {
        const json_t *old = json_object_get(before, k);
        if (!old)
            total += json_array_size(added) < DRIFT_PATHS_MAX
                         ? !json_array_append_new(added, json_string(k))
                         : 1;
        else if (!json_equal(old, v))
            total += json_array_size(modified) < DRIFT_PATHS_MAX
                         ? !json_array_append_new(modified, json_string(k))
                         : 1;
    }
    json_object_foreach((json_t *)before, k, v) {
        if (!json_object_get(after, k))
            total += json_array_size(removed) < DRIFT_PATHS_MAX
                         ? !json_array_append_new(removed, json_string(k))
                         : 1;
    }
    return json_pack("{s:o, s:o, s:o, s:b}", "added", added, "removed", removed, "modified",
                     modified, "paths_truncated",
                     total > json_array_size(added) + json_array_size(removed) +
                                 json_array_size(modified));
}

struct snapshot {
    char sha[EA_SHA256_HEX_LEN + 1], canonical[EA_SHA256_HEX_LEN + 1];
    bool sha_redacted; /* sha is of the redacted text: the redactor masked something */
    uint64_t bytes;
    const char *format; /* json, yaml, text, binary, too_large */
    json_t *docs;       /* owned: parsed documents, masked; NULL when not parsed */
    json_t *leaves;     /* owned */
    bool leaves_truncated;
    char *error; /* owned: why a JSON/YAML file could not be parsed */
};

static void snapshot_dispose(struct snapshot *sn)
{
    json_decref(sn->docs);
    json_decref(sn->leaves);
    ea_free(sn->error);
    memset(sn, 0, sizeof(*sn));
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/*
 * The file's digest is the SHA-256 of its text as the redactor leaves it: the
 * file's own SHA-256 (what sha256sum prints) when nothing in it is a secret,
 * else the SHA-256 of the redacted text, so that a low-entropy secret cannot
 * be confirmed by hashing guesses of the file (README "Secrets"). The text is
 * redacted in whole lines (a secret is never split between two calls); a
 * line longer than HASH_PIECE_MAX is redacted in pieces of that size.
 */
#define HASH_PIECE_MAX (1u << 20)

struct redacted_hash {
    EVP_MD_CTX *sha;
    struct ea_redact_stream st;
    struct ea_buf pending, out;
    unsigned masked;
};

static int redacted_hash_flush(const struct ea_redactor *red, struct redacted_hash *h, size_t upto)
{
    int rc;

    ea_buf_reset(&h->out);
    rc = ea_redact_text(red, &h->st, &h->out, h->pending.data, upto, &h->masked);
    if (rc == 0 && h->out.len && EVP_DigestUpdate(h->sha, h->out.data, h->out.len) != 1)
        rc = ea_fail(EA_ERROR, "SHA-256 failed");
    if (rc == 0 && upto) {
        memmove(h->pending.data, h->pending.data + upto, h->pending.len - upto);
        h->pending.len -= upto;
        h->pending.data[h->pending.len] = '\0';
    }
    return rc;
}

/* Feeds n bytes (n 0: the end of the file). */
static int redacted_hash_feed(const struct ea_redactor *red, struct redacted_hash *h, const char *p,
                              size_t n)
{
    const char *nl;
    int rc = n ? ea_buf_append(&h->pending, p, n) : 0;

    if (rc < 0 || !h->pending.len) return rc;
    if (!n || h->pending.len > HASH_PIECE_MAX) return redacted_hash_flush(red, h, h->pending.len);
    nl = memrchr(h->pending.data, '\n', h->pending.len);
    return nl ? redacted_hash_flush(red, h, (size_t)(nl - h->pending.data) + 1) : 0;
}

/*
 * The digest of text[0, len) redacted by red (the whole file, already read),
 * with the values in extra masked first.
 */
static int rehash(struct snapshot *sn, const struct ea_redactor *red, const json_t *extra,
                  const char *text, size_t len)
{
    struct redacted_hash h = {EVP_MD_CTX_new(), {0}, {0}, {0}, 0};
    unsigned char md[EA_SHA256_LEN];
    char *masked = NULL;
    int rc = 0;

    if (json_array_size(extra)) {
        if (!(masked = mask_extra(text, len, extra, &len, &h.masked))) {
            EVP_MD_CTX_free(h.sha);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        text = masked;
    }
    ea_buf_init(&h.pending, 0);
    ea_buf_init(&h.out, 0);
    if (!h.sha || EVP_DigestInit_ex(h.sha, EVP_sha256(), NULL) != 1)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0 && len) rc = redacted_hash_feed(red, &h, text, len);
    if (rc == 0) rc = redacted_hash_feed(red, &h, NULL, 0);
    if (rc == 0 && EVP_DigestFinal_ex(h.sha, md, NULL) != 1)
        rc = ea_fail(EA_ERROR, "SHA-256 failed");
    if (rc == 0) {
        ea_hex_encode(sn->sha, md, sizeof(md));
        sn->sha_redacted = h.masked > 0;
    }
    EVP_MD_CTX_free(h.sha);
    ea_buf_dispose(&h.pending);
    ea_buf_dispose(&h.out);
    ea_free(masked);
    return rc;
}

/* Reads and parses one file. Only I/O failures are errors; a bad JSON/YAML is recorded. */
static int snapshot(struct snapshot *sn, const char *path, size_t parse_max,
                    const struct ea_redactor *red, const struct ea_host *host)
{
    struct ea_buf b;
    char chunk[65536];
    ssize_t n;
    int fd;
    int rc;

    memset(sn, 0, sizeof(*sn));
    /* a regular file only: /dev/zero or a named pipe is refused, not read forever */
    if ((rc = ea_fs_open_read(&fd, NULL, path, 0)) < 0) {
        char why[512];
        snprintf(why, sizeof(why), "%s", ea_error_message(rc));
        ea_error_clear();
        return ea_fail(EA_EINPUT, "%s", why);
    }
    ea_buf_init(&b, 0);
    {
        struct redacted_hash h = {EVP_MD_CTX_new(), {0}, {0}, {0}, 0};
        unsigned char md[EA_SHA256_LEN];
        ea_buf_init(&h.pending, 0);
        ea_buf_init(&h.out, 0);
        if (!h.sha || EVP_DigestInit_ex(h.sha, EVP_sha256(), NULL) != 1)
            rc = ea_fail(EA_ENOMEM, "out of memory");
        while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                rc = ea_fail(EA_EIO, "%s: read failed: %s", path, strerror(errno));
                break;
            }
            sn->bytes += (size_t)n;
            rc = redacted_hash_feed(red, &h, chunk, (size_t)n);
            if (rc == 0 && sn->bytes <= parse_max) rc = ea_buf_append(&b, chunk, (size_t)n);
        }
        if (rc == 0) rc = redacted_hash_feed(red, &h, NULL, 0);
        if (rc == 0 && EVP_DigestFinal_ex(h.sha, md, NULL) != 1)
            rc = ea_fail(EA_ERROR, "SHA-256 failed");
        if (rc == 0) ea_hex_encode(sn->sha, md, sizeof(md));
        sn->sha_redacted = h.masked > 0;
        EVP_MD_CTX_free(h.sha);
        ea_buf_dispose(&h.pending);
        ea_buf_dispose(&h.out);
    }
    close(fd);
    if (rc < 0) goto out;
    if (sn->bytes > parse_max) {
        sn->format = "too_large";
        goto out;
    }
    if (memchr(b.data ? b.data : "", '\0', b.len) || !ea_utf8_valid(b.data ? b.data : "", b.len)) {
        sn->format = "binary";
        goto out;
    }
    {
        const char *p = b.data ? b.data : "";
        size_t skip = strspn(p, " \t\r\n");
        bool json_like =
            ends_with(path, ".json") || ((p[skip] == '{' || p[skip] == '[') &&
                                         !ends_with(path, ".yaml") && !ends_with(path, ".yml"));
        if (json_like) {
            json_error_t err;
            json_t *doc = json_loadb(p, b.len, JSON_DECODE_ANY, &err);
            sn->format = "json";
            if (doc)
                sn->docs = json_pack("[o]", doc);
            else if (ends_with(path, ".json")) {
                /* jansson quotes the text at the error ("near 'VALUE'"): it may be a secret */
                char *near = strstr(err.text, " near '");
                if (near) *near = '\0';
                sn->error = ea_asprintf("%s:%d:%d: %s", path, err.line, err.column, err.text);
            } else
                sn->format = "text";
        } else if (ends_with(path, ".yaml") || ends_with(path, ".yml")) {
            sn->format = "yaml";
            if (ea_yaml_parse_stream(path, p, b.len, &sn->docs) < 0) {
                sn->error = ea_strdup(ea_error_message(EA_EINPUT));
                ea_error_clear();
            }
        } else {
            sn->format = "text";
        }
    }
    if (sn->docs) {
        struct ea_buf path_buf;
        unsigned masked = 0;
        json_t *canon = json_array_size(sn->docs) == 1 ? json_array_get(sn->docs, 0) : sn->docs;
        json_t *extra = json_array(), *hashed = NULL;
        struct ea_redactor *lit = NULL;
        unsigned nlit = 0;
        rc = extra ? ea_redactor_new(&lit) : ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0) mask_secret_keys(sn->docs, lit, &nlit, extra);
        /*
         * A value masked in the documents is a secret wherever the text shows
         * it (an anchor's value, a key no text rule knows): the file's digest
         * and the documents are redacted again with it as a literal, so that
         * neither confirms a guess.
         */
        if (rc == 0 && (nlit || json_array_size(extra)))
            rc = rehash(sn, lit, extra, b.data ? b.data : "", b.len);
        if (rc == 0) rc = ea_redact_json(nlit ? lit : red, sn->docs, &masked);
        ea_redactor_free(lit);
        /* values too short for a literal: masked in a copy that is only hashed */
        if (rc == 0 && json_array_size(extra) && !(canon = hashed = mask_extra_json(canon, extra)))
            rc = ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0) rc = sha_of_json(sn->canonical, canon);
        sn->leaves = json_object();
        ea_buf_init(&path_buf, 0);
        if (rc == 0 && !sn->leaves) rc = ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0) rc = leaves(sn->leaves, canon, &path_buf, &sn->leaves_truncated, host);
        ea_buf_dispose(&path_buf);
        json_decref(hashed);
        json_decref(extra);
    }
out:
    ea_buf_dispose(&b);
    if (rc < 0) snapshot_dispose(sn);
    return rc;
}

/* The repository a file belongs to (its remote, without credentials) and its path in it. */
static void locate(const char *file, char **repo, char **rel)
{
    git_repository *r = NULL;
    char abs[4096];

    *repo = NULL;
    *rel = NULL;
    if (!realpath(file, abs)) snprintf(abs, sizeof(abs), "%s", file);
    if (git_libgit2_init() < 0) return;
    if (git_repository_open_ext(&r, abs, 0, NULL) == 0 && git_repository_workdir(r)) {
        const char *wd = git_repository_workdir(r);
        size_t n = strlen(wd);
        if (strncmp(abs, wd, n) == 0) *rel = ea_strdup(abs + n);
        git_config *cfg = NULL;
        git_config_entry *origin = NULL;
        /* the configuration, not git_remote_lookup: its URL rewriting leaks in libgit2 1.5
         * with PCRE2 (as the git collector found) */
        if (git_repository_config_snapshot(&cfg, r) == 0 &&
            git_config_get_entry(&origin, cfg, "remote.origin.url") == 0)
            ea_git_url_strip(repo, origin->value);
        git_config_entry_free(origin);
        git_config_free(cfg);
        if (!*repo) {
            char copy[4096];
            snprintf(copy, sizeof(copy), "%.*s", (int)(n > 1 ? n - 1 : n), wd);
            *repo = ea_strdup(strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy);
        }
    }
    git_repository_free(r);
    git_libgit2_shutdown();
    if (!*rel) *rel = ea_strdup(file);
    if (!*repo) *repo = ea_strdup("local");
}

static int one_file(struct config_state *s, const char *file, const struct snapshot *base,
                    const struct ea_redactor *red, struct ea_sink *sink)
{
    struct snapshot sn;
    struct ea_fact fact = EA_FACT_INIT;
    char *repo = NULL, *rel = NULL, *subject = NULL, *summary = NULL;
    json_t *data = NULL, *prev = NULL, *drift = NULL, *bdrift = NULL, *facts = NULL;
    const char *kind = "other";
    static const char *const controls[] = {NULL};
    bool changed = false, unknown;
    int rc = snapshot(&sn, file, s->parse_max, red, s->host);

    if (rc < 0) return rc;
    locate(file, &repo, &rel);
    subject = ea_asprintf("config:%s:%s", repo, rel);
    if (!subject) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if (sn.docs) {
        kind = ea_config_kind(rel, sn.docs);
        facts = ea_config_facts(kind, sn.docs);
    }
    if (s->host->size >= offsetof(struct ea_host, latest) + sizeof(s->host->latest) &&
        s->host->latest &&
        (rc = s->host->latest(s->host->ctx, "A.8.9", "config_state", subject, &prev)) < 0) {
        /* the store is down: the snapshot is still evidence, drift is unknown (and why) */
        char why[600];
        if (rc == EA_ENOMEM) goto out;
        snprintf(why, sizeof(why), "the previous record could not be read: %.500s",
                 ea_error_message(rc));
        ea_error_clear();
        s->host->log(s->host->ctx, EA_LOG_LEVEL_WARN, "%s: drift unknown, %s", rel, why);
        drift =
            json_pack("{s:n, s:n, s:n, s:s}", "changed", "previous_id", "paths", "unknown", why);
        rc = 0;
    } else if (prev) {
        const json_t *pd = json_object_get(prev, "data");
        const char *pc = json_string_value(json_object_get(pd, "canonical_sha256"));
        changed = pc && *sn.canonical
                      ? strcmp(pc, sn.canonical) != 0
                      : !json_string_value(json_object_get(pd, "sha256")) ||
                            strcmp(json_string_value(json_object_get(pd, "sha256")), sn.sha) != 0;
        drift = json_pack("{s:b, s:O, s:o}", "changed", changed, "previous_id",
                          json_object_get(prev, "id"), "paths",
                          changed && sn.leaves && !sn.leaves_truncated &&
                                  json_is_object(json_object_get(pd, "leaves")) &&
                                  !json_is_true(json_object_get(pd, "leaves_truncated"))
                              ? diff(json_object_get(pd, "leaves"), sn.leaves)
                              : json_null());
    } else if (!drift) {
        drift = json_pack("{s:b, s:n, s:n}", "changed", 0, "previous_id", "paths");
    }
    if (base) {
        bool differs = *base->canonical && *sn.canonical
                           ? strcmp(base->canonical, sn.canonical) != 0
                           : strcmp(base->sha, sn.sha) != 0;
        bdrift = json_pack("{s:s, s:s, s:b, s:o}", "file", s->baseline, "sha256", base->sha,
                           "drift", differs, "paths",
                           differs && base->leaves && sn.leaves ? diff(base->leaves, sn.leaves)
                                                                : json_null());
        fact.result = differs ? EA_RESULT_FAIL : EA_RESULT_PASS;
    } else {
        fact.result = sn.error ? EA_RESULT_ERROR : EA_RESULT_INFO;
    }
    data = json_pack(
        "{s:o, s:o, s:s, s:s, s:I, s:s, s:o, s:s, s:I, s:o, s:O?, s:b, s:o, s:o, s:o}",
        "repository", ea_redact_utf8_json(repo, strlen(repo), 1024), "path",
        ea_redact_utf8_json(rel, strlen(rel), 2048), "sha256", sn.sha, "sha256_of",
        sn.sha_redacted ? "redacted" : "file", "bytes", (json_int_t)sn.bytes, "format", sn.format,
        "canonical_sha256", *sn.canonical ? json_string(sn.canonical) : json_null(), "kind", kind,
        "documents", (json_int_t)json_array_size(sn.docs), "facts", facts ? facts : json_null(),
        "leaves", sn.leaves, "leaves_truncated", sn.leaves_truncated, "drift",
        drift ? drift : json_null(), "baseline", bdrift ? bdrift : json_null(), "error",
        sn.error ? ea_redact_utf8_json(sn.error, strlen(sn.error), 1024) : json_null());
    facts = drift = bdrift = NULL;
    if (data && !json_object_get(data, "leaves")) json_object_set_new(data, "leaves", json_null());
    unknown = !prev && json_is_null(json_object_get(json_object_get(data, "drift"), "changed"));
    summary = ea_asprintf("%s %s (%s, %s): %s%s.", kind, rel, sn.format, repo,
                          base      ? (fact.result == EA_RESULT_FAIL ? "drifted from the baseline"
                                                                     : "matches the baseline")
                          : prev    ? (changed ? "changed since the last record" : "unchanged")
                          : unknown ? "drift unknown (the previous record could not be read)"
                                    : "first snapshot",
                          sn.error ? "; could not be parsed" : "");
    if (!data || !summary) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    fact.kind = "config_state";
    fact.subject_name = subject;
    fact.subject_digest_alg = "sha256";
    fact.subject_digest = sn.sha;
    fact.source_system = "file";
    fact.raw_sha256 = sn.sha;
    fact.summary = summary;
    fact.data = data;
    fact.controls = controls;
    rc = ea_emit(sink, &fact);
out:
    json_decref(facts);
    json_decref(drift);
    json_decref(bdrift);
    json_decref(prev);
    json_decref(data);
    ea_free(summary);
    ea_free(subject);
    ea_free(repo);
    ea_free(rel);
    snapshot_dispose(&sn);
    return rc;
}

static int config_collect(void *state, struct ea_sink *sink)
{
    struct config_state *s = state;
    struct ea_redactor *red = NULL;
    struct snapshot base;
    glob_t g;
    int rc, n = 0, gr;

    memset(&base, 0, sizeof(base));
    memset(&g, 0, sizeof(g));
    rc = ea_redactor_new(&red);
    if (rc == 0 && s->baseline) rc = snapshot(&base, s->baseline, s->parse_max, red, s->host);
    if (rc < 0) goto out;
    gr = glob(s->pattern, 0, NULL, &g);
    if (gr == GLOB_NOMATCH || (gr == 0 && g.gl_pathc == 0)) {
        rc = ea_fail(EA_EINPUT,
                     "config=%s matched no file (quote the pattern so the shell leaves it "
                     "to the agent)",
                     s->pattern);
        goto out;
    }
    if (gr != 0) {
        rc = ea_fail(EA_EINPUT, "config=%s: cannot list: %s", s->pattern, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        int frc;
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
        frc = one_file(s, g.gl_pathv[i], s->baseline ? &base : NULL, red, sink);
        if (frc == EA_EINPUT) { /* unreadable: say so, go on with the others */
            s->host->log(s->host->ctx, EA_LOG_LEVEL_ERROR, "%s", ea_error_message(frc));
            rc = frc;
            continue;
        }
        if (frc < 0) {
            rc = frc;
            break;
        }
        n++;
    }
    if (rc == EA_EINPUT)
        rc = ea_fail(EA_EINPUT,
                     "config=%s: a file could not be read (named above); the others "
                     "were recorded",
                     s->pattern);
    if (rc == 0) rc = n;
out:
    if (g.gl_pathv) globfree(&g);
    snapshot_dispose(&base);
    ea_redactor_free(red);
    return rc;
}

static const char *const kinds[] = {"config_state", NULL};
static const char *const defaults[] = {"A.8.9", NULL};

static const struct ea_option options[] = {
    {"baseline", EA_OPTION_PATH, EA_OPTION_RELATIVE, NULL,
     "the approved file; drift from it is a fail"},
    {"parse_max", EA_OPTION_SIZE, 0, "64MiB",
     "larger files are hashed, not parsed (1 to 64MiB; a parse needs ~14x the file in memory)"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct ea_shorthand shorthands[] = {
    {"baseline", "baseline", NULL, "FILE", "the approved file; drift from it is a fail"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ea_collector ea_collector_config = {
    .abi = EA_COLLECTOR_ABI,
    .size = (uint32_t)sizeof(struct ea_collector),
    .name = "config",
    .version = "0.1.0",
    .summary =
        "configuration files: snapshot, canonical hash, drift, Kubernetes/Terraform/CI facts",
    .usage = "GLOB (files to snapshot, e.g. 'deploy/*.yaml'; quote it)",
    .kinds = kinds,
    .default_controls = defaults,
    .options = options,
    .init = config_init,
    .collect = config_collect,
    .free = config_free,
    .arg_flags = EA_ARG_PATH,
    .shorthands = shorthands,
};
