/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export: an audit pack for some controls and a period, as one .tar.gz
 * (libarchive) that an auditor checks with standard tools alone:
 *
 *   README.md        how to check the pack: ./check.sh
 *   check.sh, check.py  the check (sha256sum, openssl, python3 alone), from schemas/pack/
 *   SHA256SUMS       the SHA-256 of every other file (sha256sum -c SHA256SUMS)
 *   manifest.json    what was exported: controls, period, store, records, the keys and
 *                    their fingerprints, the SoA as applied and its SHA-256, every stream
 *                    head and checkpoint packed, and every other file with its SHA-256
 *   manifest.dsse.json  with --key: manifest.json signed (DSSE), so check.sh knows the
 *                    pack as a whole is the one exported; without, check.sh fails unless
 *                    told --unsigned
 *   report.json, report.md   the report for those controls (report.h)
 *   keys/N.pub       the public keys given with --pubkey
 *   soa.yaml         the SoA given with --soa, as it was read
 *   records/<key>    every envelope exactly as stored, under its store key, and, for
 *                    each stream they belong to, its other records of the period and
 *                    the one just before and just after it (manifest: "context": true),
 *                    so a record removed from a stream shows
 *   streams/<s>.json the head of every stream a packed record belongs to, as stored
 *   checkpoints/...  every checkpoint of the store, as stored
 *   timestamps/xx/<id>.json  the RFC 3161 token of each packed record the store holds one for
 *   trust/tsa-ca.pem with --tsa-ca: the TSA's CA certificates; check.sh then requires every
 *                    record's token and judges it offline (openssl ts -verify at its genTime)
 *   trust/keys.json  with --keys: the key history (each key by fingerprint, its PEM in keys/),
 *                    which check.sh applies at each record's time
 *   blobs/sha256/<hex>  every file a packed attestation attached (attest --attach), as
 *                    stored; one that is missing or does not hash to its name fails
 *                    the export like a record that fails a check
 *
 * Every record is checked first (ID, schemas, signature with --pubkey); a
 * record that fails is named and nothing is written (exit 3). The pack is
 * written to a temporary file and renamed into place.
 */
#include <archive.h>
#include <stdbool.h>
#include <stddef.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest.h"
#include "audit.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "util/error.h"
#include "integrity.h"
#include "log.h"
#include "report.h"
#include "schemas.h"
#include "soa.h"
#include "util/buf.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"
#include "dsse.h"
#include "timestamp.h"
#include "verify.h"
#include "util/time.h"
#include "util/yaml.h"

/* manifest.dsse.json's payloadType: no record, head or checkpoint can pass as a manifest */
#define EA_PACK_MANIFEST_PAYLOAD_TYPE "application/vnd.evidence-agent.pack-manifest+json"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "store to read (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"control", EA_CLI_LIST, "ID", "a control to export (2013 IDs are mapped); repeat for more"},
    {"since", EA_CLI_VALUE, "TIME", "period start (RFC 3339 or YYYY-MM-DD; default: all)"},
    {"until", EA_CLI_VALUE, "TIME", "period end (default: now)"},
    {"pubkey", EA_CLI_LIST, "FILE", "check signatures with these keys and put them in the pack"},
    {"key", EA_CLI_VALUE, "FILE",
     "sign the pack's manifest with this private key (its public key must be a --pubkey)"},
    {"soa", EA_CLI_VALUE, "FILE",
     "judge the controls by this SoA (status, evidence kinds, max_age), as report does"},
    {"out", EA_CLI_VALUE, "FILE", "the pack to write (.tar.gz)"},
    {"tsa-ca", EA_CLI_VALUE, "FILE",
     "with --pubkey or --keys: every record's RFC 3161 token must verify against these TSA CA "
     "certificates; they and the tokens go into the pack for check.sh"},
    {"max-skew", EA_CLI_VALUE, "DURATION",
     "with --tsa-ca: largest gap between collected_at and genTime (default 5m)"},
    {"keys", EA_CLI_VALUE, "FILE",
     "key history (YAML or JSON): each record's key must have been valid at its time; it goes "
     "into the pack for check.sh"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "export",
    .usage = "--control ID... [--store URL] [--since T] [--until T] [--pubkey FILE]... "
             "[--keys FILE] [--tsa-ca FILE [--max-skew D]] "
             "[--key FILE] [--soa FILE] --out PACK.tar.gz",
    .summary = "Writes an audit pack: the records of some controls, keys, report and manifest.",
    .opts = opts,
    .details = "The pack holds README.md, check.sh (run it from the unpacked folder: it checks\n"
               "everything with sha256sum, openssl and python3), SHA256SUMS, manifest.json,\n"
               "report.json, report.md, keys/, records/ and streams/. With --key the manifest,\n"
               "which names every file with its SHA-256, is signed (manifest.dsse.json); an\n"
               "unsigned pack fails check.sh unless it is run as ./check.sh --unsigned.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 a record failed a check\n"
               "(nothing is written then).\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_export_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

struct member {
    char *path; /* owned: path inside the pack */
    struct ea_buf data;
    int mode;
};

struct pack {
    struct member *m;
    size_t n, cap;
};

static int add(struct pack *p, const char *path, const void *data, size_t len)
{
    struct member *m;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct member *nm = ea_realloc(p->m, cap * sizeof(*nm));
        if (!nm) return ea_fail(EA_ENOMEM, "out of memory");
        p->m = nm;
        p->cap = cap;
    }
    m = &p->m[p->n];
    m->mode = 0644;
    ea_buf_init(&m->data, 0);
    if (!(m->path = ea_strdup(path)) || ea_buf_append(&m->data, data, len) < 0) {
        ea_free(m->path);
        ea_buf_dispose(&m->data);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    p->n++;
    return 0;
}

static void pack_dispose(struct pack *p)
{
    for (size_t i = 0; i < p->n; i++) {
        ea_free(p->m[i].path);
        ea_buf_dispose(&p->m[i].data);
    }
    ea_free(p->m);
}

struct collect_ctx {
    struct ea_store *store;
    struct ea_key *const *keys;
    size_t nkeys;
    struct pack *pack;
    json_t *records; /* manifest entries */
    unsigned problems;
    /* {stream: {"seqs": {"<sequence>": id}, "prev": {"<sequence>": previous id},
     *  "head": its head's sequence, "next": the sequence still wanted after the period}} */
    json_t *streams;
    json_t *packed;      /* {key: true}: every path packed so far */
    json_t *want_id;     /* {id: true}: records wanted before the period, by ID */
    json_t *checkpoints; /* [key]: every checkpoint packed */
    enum { CTX_NONE, CTX_PERIOD, CTX_AFTER, CTX_BEFORE } context;
};

/* The stream, sequence and previous record a record states (predicate.agent). */
static bool stream_of(const json_t *statement, const char **stream, json_int_t *seq,
                      const char **previous)
{
    const json_t *agent = json_object_get(json_object_get(statement, "predicate"), "agent");

    *stream = json_string_value(json_object_get(agent, "stream"));
    *seq = json_integer_value(json_object_get(agent, "sequence"));
    *previous = json_string_value(json_object_get(agent, "previous"));
    return *stream && *seq > 0;
}

/*
 * The blob a packed attestation names, into the pack once: read from the store
 * and hashed, so a missing or altered blob is a problem named like a record's.
 */
static int pack_blob(struct collect_ctx *c, const struct ea_store_entry *e, const json_t *statement)
{
    const json_t *file =
        json_object_get(json_object_get(json_object_get(statement, "predicate"), "data"), "file");
    const char *blob = json_string_value(json_object_get(file, "blob"));
    const char *sha = json_string_value(json_object_get(file, "sha256"));
    char hex[EA_SHA256_HEX_LEN + 1], got[EA_SHA256_HEX_LEN + 1];
    struct ea_buf b;
    int rc;

    if (!ea_attest_kind_of(statement) || !blob || json_object_get(c->packed, blob)) return 0;
    if (!ea_store_is_blob_key(blob, hex) || strcmp(hex, sha ? sha : "") != 0) {
        ea_log(EA_LOG_LEVEL_ERROR, NULL,
               "FAIL %s: names the blob %s, which is not the blob of "
               "its file's SHA-256",
               e->key, blob);
        c->problems++;
        return 0;
    }
    rc = ea_store_get(c->store, blob, &b);
    if (rc == 0 && (rc = ea_sha256_hex(got, b.data ? b.data : "", b.len)) == 0 &&
        strcmp(got, hex) != 0) {
        ea_log(EA_LOG_LEVEL_ERROR, NULL,
               "FAIL %s: the blob's bytes hash to %.12s, not to its "
               "name (altered)",
               blob, got);
        c->problems++;
    } else if (rc == 0) {
        rc = add(c->pack, blob, b.data ? b.data : "", b.len);
        if (rc == 0 && json_object_set_new(c->packed, blob, json_true()) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    } else if (rc == EA_ENOTFOUND || rc == EA_ETOOBIG || rc == EA_EINPUT) {
        if (rc == EA_ENOTFOUND)
            ea_log(EA_LOG_LEVEL_ERROR, NULL,
                   "FAIL %s: names the attached file %s, which is not "
                   "in the store",
                   e->key, blob);
        else
            ea_log(EA_LOG_LEVEL_ERROR, NULL, "FAIL %s: %s", blob, ea_error_message(rc));
        ea_error_clear();
        c->problems++;
        rc = 0;
    }
    ea_buf_dispose(&b);
    return rc;
}

/* Adds a checked record to the pack and to its stream's bookkeeping. */
static int pack_record(struct collect_ctx *c, const struct ea_store_entry *e,
                       const struct ea_audit_record *ar)
{
    char path[600], seqtext[32];
    const char *stream, *previous;
    json_int_t seq;
    json_t *st, *entry;
    int rc;

    snprintf(path, sizeof(path), "records/%s", e->key);
    if (json_object_get(c->packed, path)) return 0;
    rc = add(c->pack, path, ar->raw ? ar->raw : "", ar->raw_len); /* the bytes checked */
    entry = json_pack("{s:s, s:s, s:s}", "id", e->id, "control", e->control, "path", path);
    if (entry && c->context != CTX_NONE) json_object_set_new(entry, "context", json_true());
    if (rc == 0 && (!entry || json_array_append_new(c->records, entry) < 0 ||
                    json_object_set_new(c->packed, path, json_true()) < 0))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    if (rc == 0) rc = pack_blob(c, e, ar->statement);
    if (rc < 0 || !stream_of(ar->statement, &stream, &seq, &previous)) return rc;
    if (!(st = json_object_get(c->streams, stream))) {
        st = json_pack("{s:{}, s:{}, s:I, s:I}", "seqs", "prev", "head", (json_int_t)-1, "next",
                       (json_int_t)-1);
        if (!st || json_object_set_new(c->streams, stream, st) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    snprintf(seqtext, sizeof(seqtext), "%lld", (long long)seq);
    if (json_object_set_new(json_object_get(st, "seqs"), seqtext, json_string(e->id)) < 0 ||
        json_object_set_new(json_object_get(st, "prev"), seqtext,
                            previous ? json_string(previous) : json_null()) < 0)
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

/* In a context pass: whether the record is one a packed stream still needs. */
static bool wanted(const struct collect_ctx *c, const json_t *statement)
{
    const char *stream, *previous;
    json_int_t seq;
    char seqtext[32];
    const json_t *st;

    if (!stream_of(statement, &stream, &seq, &previous)) return false;
    if (!(st = json_object_get(c->streams, stream))) return false;
    snprintf(seqtext, sizeof(seqtext), "%lld", (long long)seq);
    if (json_object_get(json_object_get(st, "seqs"), seqtext)) return false;
    if (c->context == CTX_AFTER) return seq == json_integer_value(json_object_get(st, "next"));
    return true; /* CTX_PERIOD: every record of the stream in the period; CTX_BEFORE: by ID */
}

static int on_entry(const struct ea_store_entry *e, void *payload)
{
    struct collect_ctx *c = payload;
    struct ea_audit_record ar;
    int rc;

    if (c->context == CTX_BEFORE && !json_object_get(c->want_id, e->id)) return 0; /* unread */
    if (c->context != CTX_NONE) { /* packed already under this key: not read again */
        char path[600];
        snprintf(path, sizeof(path), "records/%s", e->key);
        if (json_object_get(c->packed, path)) return 0;
    }
    rc = ea_audit_check_raw(&ar, c->store, e, c->keys, c->nkeys);
    if (rc == EA_EIO || rc == EA_ENOMEM) {
        ea_audit_record_dispose(&ar);
        return rc;
    }
    if (rc < 0) {
        ea_log(EA_LOG_LEVEL_ERROR, NULL, "FAIL %s: %s", e->key, ea_error_message(rc));
        ea_error_clear();
        c->problems++;
        ea_audit_record_dispose(&ar);
        return 0;
    }
    rc = c->context == CTX_NONE || wanted(c, ar.statement) ? pack_record(c, e, &ar) : 0;
    ea_audit_record_dispose(&ar);
    return rc;
}

/* The lowest and highest packed sequence of a stream. */
static void seq_range(const json_t *st, json_int_t *lo, json_int_t *hi)
{
    const char *k;
    json_t *v;

    *lo = INT64_MAX;
    *hi = 0;
    json_object_foreach((json_t *)json_object_get(st, "seqs"), k, v) {
        json_int_t n = (json_int_t)strtoll(k, NULL, 10);
        if (n < *lo) *lo = n;
        if (n > *hi) *hi = n;
    }
}

/*
 * Makes every packed stream checkable without packing it whole: its head, every record
 * of it in the period (whatever its control), and one witness on each side: the record
 * just before the period and the one just after (or the head). check.sh then requires
 * each stream's records to run unbroken from a witness (or record 1) to a witness (or
 * the head), so a record removed anywhere in the period shows.
 */
static int add_streams(struct collect_ctx *c, int64_t since_us, int64_t until_us)
{
    const char *stream;
    json_t *st;
    int rc = 0;
    bool after = false;

    { /* every record of those streams in the period */
        struct ea_query q = {NULL, since_us, until_us};
        c->context = CTX_PERIOD;
        rc = ea_store_list(c->store, &q, on_entry, c);
        c->context = CTX_NONE;
        if (rc < 0) return rc;
    }
    json_object_foreach(c->streams, stream, st) {
        char key[EA_STREAM_MAX + 16], seqtext[32];
        struct ea_buf b;
        json_int_t head, lo, hi;
        const char *prev;
        snprintf(key, sizeof(key), "streams/%s.json", stream);
        if ((rc = ea_store_get(c->store, key, &b)) < 0) {
            if (rc == EA_EIO || rc == EA_ENOMEM) return rc;
            ea_log(EA_LOG_LEVEL_ERROR, NULL, "FAIL %s: %s", key, ea_error_message(rc));
            ea_error_clear();
            c->problems++;
            rc = 0;
            continue;
        }
        { /* signature aside (ea_verify_gate checked it, and check.sh does): its sequence */
            struct ea_head h;
            head = ea_head_parse(&h, b.data, b.len, NULL, 0) == 0 ? (json_int_t)h.sequence : -1;
            ea_error_clear();
        }
        rc = add(c->pack, key, b.data, b.len);
        ea_buf_dispose(&b);
        if (rc < 0) return rc;
        seq_range(st, &lo, &hi);
        json_object_set_new(st, "head", json_integer(head));
        if (hi < head) { /* the first record after the period */
            json_object_set_new(st, "next", json_integer(hi + 1));
            after = true;
        }
        snprintf(seqtext, sizeof(seqtext), "%lld", (long long)lo);
        prev = json_string_value(json_object_get(json_object_get(st, "prev"), seqtext));
        if (lo > 1 && prev && json_object_set_new(c->want_id, prev, json_true()) < 0)
            return ea_fail(EA_ENOMEM, "out of memory");
    }
    if (after && until_us < INT64_MAX) { /* read until found: streams are in time order */
        struct ea_query q = {NULL, until_us + 1, INT64_MAX};
        c->context = CTX_AFTER;
        rc = ea_store_list(c->store, &q, on_entry, c);
        c->context = CTX_NONE;
        if (rc < 0) return rc;
    }
    if (json_object_size(c->want_id) && since_us > INT64_MIN) { /* by name: only these read */
        struct ea_query q = {NULL, INT64_MIN, since_us - 1};
        c->context = CTX_BEFORE;
        rc = ea_store_list(c->store, &q, on_entry, c);
        c->context = CTX_NONE;
    }
    return rc;
}

/* Every checkpoint of the store, as stored, under its key: check.sh re-checks each chain. */
static int on_object(const struct ea_store_object *o, void *payload)
{
    struct collect_ctx *c = payload;
    struct ea_buf b;
    int rc;

    if (strncmp(o->key, "checkpoints/", 12) != 0 || o->kind != EA_STORE_FILE) return 0;
    if ((rc = ea_store_get(c->store, o->key, &b)) < 0) return rc;
    rc = add(c->pack, o->key, b.data, b.len);
    ea_buf_dispose(&b);
    if (rc == 0 && json_array_append_new(c->checkpoints, json_string(o->key)) < 0)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    return rc;
}

/*
 * Trusted time and key history for check.sh: the token of every packed record
 * (as stored), the TSA's CA certificates, and the key history as JSON (each
 * key by fingerprint; a key the history names that is not a --pubkey joins
 * keys/ so check.sh can verify with it). Returns the manifest's entries.
 */
static int add_trust(struct pack *p, struct collect_ctx *c, const struct ea_verify_extra *x,
                     json_t *keylist, json_t **tsa_out, json_t **hist_out)
{
    json_t *ids = json_object(), *e, *hist = NULL;
    size_t i;
    int rc = ids ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    *tsa_out = *hist_out = NULL;
    json_array_foreach(c->records, i, e) { /* once per record, not per copy */
        const char *id = json_string_value(json_object_get(e, "id"));
        char key[EA_TIMESTAMP_KEY_LEN + 1];
        struct ea_buf b;
        if (rc < 0 || !id || json_object_get(ids, id)) continue;
        if (json_object_set_new(ids, id, json_true()) < 0) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            continue;
        }
        ea_timestamp_key(key, id);
        ea_buf_init(&b, 0);
        rc = ea_store_get(c->store, key, &b);
        if (rc == 0) {
            rc = add(p, key, b.data ? b.data : "", b.len);
        } else if (rc == EA_ENOTFOUND && !x->tsa_trust) {
            ea_error_clear(); /* verified without --tsa-ca: a record may have none */
            rc = 0;
        }
        ea_buf_dispose(&b);
    }
    json_decref(ids);
    if (rc == 0 && x->tsa_ca) {
        struct ea_buf b;
        if ((rc = ea_fs_read(&b, x->tsa_ca, 1 << 20, 0)) == 0)
            rc = add(p, "trust/tsa-ca.pem", b.data ? b.data : "", b.len);
        ea_buf_dispose(&b);
        if (rc == 0 &&
            !(*tsa_out = json_pack("{s:s, s:I}", "ca", "trust/tsa-ca.pem", "max_skew_seconds",
                                   (json_int_t)(x->max_skew_us / 1000000))))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && x->history) {
        json_t *list = json_array();
        char *text = NULL;
        hist = json_pack("{s:o}", "keys", list);
        if (!hist) rc = ea_fail(EA_ENOMEM, "out of memory");
        for (i = 0; rc == 0 && i < x->history->n; i++) {
            const struct ea_key_period *k = &x->history->v[i];
            const char *id = ea_key_id(k->key);
            char t[3][EA_TIME_TEXT_MAX];
            bool listed = false;
            size_t j;
            json_t *kl;
            json_array_foreach(keylist, j, kl)
                listed |= strcmp(json_string_value(json_object_get(kl, "sha256")), id) == 0;
            if (!listed) { /* in keys/, as every key check.sh trusts */
                char name[32], *pem = NULL;
                snprintf(name, sizeof(name), "keys/%zu.pub", json_array_size(keylist) + 1);
                rc = ea_key_public_pem(&pem, k->key);
                if (rc == 0) rc = add(p, name, pem, strlen(pem));
                ea_free(pem);
                if (rc == 0 && json_array_append_new(keylist, json_pack("{s:s, s:s}", "path", name,
                                                                        "sha256", id)) < 0)
                    rc = ea_fail(EA_ENOMEM, "out of memory");
            }
            ea_time_format_rfc3339(t[0], k->not_before_us);
            ea_time_format_rfc3339(t[1], k->not_after_us);
            ea_time_format_rfc3339(t[2], k->revoked_at_us);
            if (rc == 0 &&
                json_array_append_new(
                    list, json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "sha256", id, "not_before",
                                    k->not_before_us == INT64_MIN ? NULL : t[0], "not_after",
                                    k->not_after_us == INT64_MAX ? NULL : t[1], "revoked_at",
                                    k->revoked_at_us == INT64_MAX ? NULL : t[2], "reason",
                                    k->reason)) < 0)
                rc = ea_fail(EA_ENOMEM, "out of memory");
        }
        text = rc == 0 ? json_dumps(hist, JSON_INDENT(1)) : NULL;
        if (rc == 0 && !text) rc = ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0) rc = add(p, "trust/keys.json", text, strlen(text));
        free(text);
        json_decref(hist);
        if (rc == 0 && !(*hist_out = json_string("trust/keys.json")))
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    return rc;
}

/* README.md, check.sh and check.py, as built into this agent (schemas/pack/). */
static int add_check(struct pack *p)
{
    static const char *const files[] = {"README.md", "check.sh", "check.py"};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
        char name[32];
        const struct ea_schema_file *f;
        snprintf(name, sizeof(name), "pack/%s", files[i]);
        if (!(f = ea_schema_file_get(name)))
            return ea_fail(EA_ERROR, "%s is not built into this agent", name);
        rc = add(p, files[i], f->data, f->len);
        if (rc == 0 && strcmp(files[i], "check.sh") == 0) p->m[p->n - 1].mode = 0755;
    }
    return rc;
}

/* Renders the report with fn into memory. */
static int render(struct ea_buf *out, int (*fn)(FILE *, const json_t *), const json_t *report)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc;

    if (!f) return ea_fail(EA_ENOMEM, "out of memory");
    rc = fn(f, report);
    if (fclose(f) != 0 && rc == 0) rc = ea_fail(EA_ENOMEM, "out of memory");
    ea_buf_init(out, 0);
    if (rc == 0) rc = ea_buf_append(out, text, len);
    free(text);
    return rc;
}

static int report_json(FILE *f, const json_t *r)
{
    return json_dumpf(r, f, JSON_INDENT(1)) == 0 && fputc('\n', f) != EOF
               ? 0
               : ea_fail(EA_EIO, "cannot write the report");
}

/*
 * The exported controls of the SoA at soa_path, or, without one, an SoA applying each of
 * them with the defaults. A control exported but not in the SoA is an error: its verdict
 * would be made up.
 */
static int pack_soa(struct ea_soa *soa, const char *soa_path, const struct ea_control_set *set)
{
    json_t *doc, *lines;
    size_t kept = 0;
    int rc;

    if (soa_path) {
        if ((rc = ea_soa_load(soa, soa_path)) < 0) return rc;
        for (size_t k = 0; k < set->n; k++) {
            bool found = false;
            for (size_t i = 0; i < soa->n && !found; i++)
                found = strcmp(soa->controls[i].control->id, set->ids[k]) == 0;
            if (!found)
                return ea_fail(EA_EUSAGE,
                               "--control %s: not in the SoA %s (add it there, or "
                               "export without it)",
                               set->ids[k], soa_path);
        }
        for (size_t i = 0; i < soa->n; i++) { /* the exported ones, in the SoA's order */
            bool wanted = false;
            for (size_t k = 0; k < set->n && !wanted; k++)
                wanted = strcmp(soa->controls[i].control->id, set->ids[k]) == 0;
            if (wanted) soa->controls[kept++] = soa->controls[i];
        }
        soa->n = kept;
        return 0;
    }
    doc = json_pack("{s:s, s:s, s:{}}", "organisation", "(audit pack)", "scope",
                    "the exported controls", "controls");
    lines = json_object();
    for (size_t i = 0; doc && i < set->n; i++)
        json_object_set_new(json_object_get(doc, "controls"), set->ids[i],
                            json_pack("{s:s, s:s}", "status", "applied", "justification",
                                      "exported in this audit pack"));
    if (!doc || !lines) {
        json_decref(doc);
        json_decref(lines);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    return ea_soa_from(soa, "manifest.json", doc, lines);
}

/* The report for the exported controls, judged by the SoA exactly as `report` judges. */
static int add_report(struct pack *p, const struct ea_soa *soa, struct ea_report_opts *o)
{
    json_t *report = NULL;
    struct ea_buf b;
    unsigned problems;
    int rc;

    rc = ea_report_build(&report, &problems, soa, o);
    if (rc == 0 && (rc = render(&b, report_json, report)) == 0) {
        rc = add(p, "report.json", b.data, b.len);
        ea_buf_dispose(&b);
    }
    if (rc == 0 && (rc = render(&b, ea_report_write_md, report)) == 0) {
        rc = add(p, "report.md", b.data, b.len);
        ea_buf_dispose(&b);
    }
    json_decref(report);
    return rc;
}

/*
 * What manifest.json states besides the records: the SoA as applied to each exported
 * control (what report.json must repeat) and the SHA-256 of soa.yaml when packed; each
 * packed stream's head sequence; every other file with its SHA-256. check.sh requires
 * every file it names and no other, so nothing can be left out or slipped in unseen
 * once the manifest is signed.
 */
static int manifest_fill(json_t *manifest, const struct pack *p, const struct ea_soa *soa,
                         const json_t *streams, const json_t *checkpoints)
{
    json_t *controls = json_object(), *heads = json_object(), *files = json_object();
    json_t *soaj = json_object();
    const char *name;
    json_t *st;
    char hex[EA_SHA256_HEX_LEN + 1], max_age[32];
    int rc = controls && heads && files && soaj ? 0 : ea_fail(EA_ENOMEM, "out of memory");

    for (size_t i = 0; rc == 0 && i < soa->n; i++) {
        const struct ea_soa_control *sc = &soa->controls[i];
        ea_duration_format(max_age, sc->max_age_us);
        json_t *one = json_pack("{s:s, s:O?, s:s}", "status", ea_soa_status_name(sc->status),
                                "evidence_kinds", sc->kinds, "max_age", max_age);
        if (one && sc->require && json_object_set(one, "evidence_require", sc->require) < 0) {
            json_decref(one);
            one = NULL;
        }
        if (!one || json_object_set_new(controls, sc->control->id, one) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    json_object_foreach((json_t *)streams, name, st) {
        if (rc == 0 && json_object_set(heads, name, json_object_get(st, "head")) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        rc = ea_sha256_hex(hex, p->m[i].data.data ? p->m[i].data.data : "", p->m[i].data.len);
        if (rc == 0 && json_object_set_new(files, p->m[i].path, json_string(hex)) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
        if (rc == 0 && strcmp(p->m[i].path, "soa.yaml") == 0 &&
            json_object_set_new(soaj, "sha256", json_string(hex)) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc == 0 && !json_object_get(soaj, "sha256"))
        rc = json_object_set_new(soaj, "sha256", json_null());
    if (rc == 0 && (json_object_set(soaj, "controls", controls) < 0 ||
                    json_object_set(manifest, "soa", soaj) < 0 ||
                    json_object_set(manifest, "streams", heads) < 0 ||
                    json_object_set(manifest, "checkpoints", (json_t *)checkpoints) < 0 ||
                    json_object_set(manifest, "files", files) < 0))
        rc = ea_fail(EA_ENOMEM, "out of memory");
    json_decref(controls);
    json_decref(heads);
    json_decref(files);
    json_decref(soaj);
    return rc;
}

/* manifest.json, and with a key manifest.dsse.json: the manifest's bytes signed (DSSE). */
static int add_manifest(struct pack *p, const json_t *manifest, const struct ea_key *key)
{
    char *text = json_dumps(manifest, JSON_INDENT(1)), *env = NULL;
    size_t len = 0;
    int rc;

    if (!text) return ea_fail(EA_ENOMEM, "out of memory");
    rc = add(p, "manifest.json", text, strlen(text));
    if (rc == 0 && key &&
        (rc = ea_dsse_sign(&env, &len, EA_PACK_MANIFEST_PAYLOAD_TYPE, text, strlen(text), key)) ==
            0)
        rc = add(p, "manifest.dsse.json", env, len);
    ea_free(env);
    free(text);
    return rc;
}

/* SHA256SUMS of every member so far, in sha256sum's format. */
static int add_sums(struct pack *p)
{
    struct ea_buf b;
    char hex[EA_SHA256_HEX_LEN + 1];
    int rc = 0;

    ea_buf_init(&b, 0);
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        rc = ea_sha256_hex(hex, p->m[i].data.data ? p->m[i].data.data : "", p->m[i].data.len);
        if (rc == 0) rc = ea_buf_printf(&b, "%s  %s\n", hex, p->m[i].path);
    }
    if (rc == 0) rc = add(p, "SHA256SUMS", b.data ? b.data : "", b.len);
    ea_buf_dispose(&b);
    return rc;
}

/*
 * libarchive is loaded here, when a pack is written, and nowhere else: linked
 * into the binary it (with libxml2, ICU and libstdc++ behind it) cost every
 * command, and the idle daemon, about 2 MiB of resident memory.
 */
/* one entry point per line, as clang-format leaves it */
/* clang-format off */
#define ARCHIVE_FNS(X)                                                                             \
    X(archive_write_new)                                                                           \
    X(archive_entry_new)                                                                           \
    X(archive_write_add_filter_gzip)                                                               \
    X(archive_write_set_format_pax_restricted)                                                     \
    X(archive_write_open_filename)                                                                 \
    X(archive_error_string)                                                                        \
    X(archive_entry_clear)                                                                         \
    X(archive_entry_set_pathname)                                                                  \
    X(archive_entry_set_size)                                                                      \
    X(archive_entry_set_filetype)                                                                  \
    X(archive_entry_set_perm)                                                                      \
    X(archive_entry_set_mtime)                                                                     \
    X(archive_write_header)                                                                        \
    X(archive_write_data)                                                                          \
    X(archive_write_close)                                                                         \
    X(archive_write_free)                                                                          \
    X(archive_entry_free)
/* clang-format on */

struct archive_fns {
#define ARCHIVE_FIELD(f) __typeof__(&f) f;
    ARCHIVE_FNS(ARCHIVE_FIELD)
#undef ARCHIVE_FIELD
};
static struct archive_fns ar;
static const struct ea_dl_sym archive_syms[] = {
#define ARCHIVE_SYM(f) EA_DL_SYM(struct archive_fns, f),
    ARCHIVE_FNS(ARCHIVE_SYM)
#undef ARCHIVE_SYM
};
static struct ea_dl archive_dl = EA_DL_INIT(EA_SONAME_LIBARCHIVE, EA_PACKAGE_LIBARCHIVE,
                                            "to write an audit pack", archive_syms, ar);

static int write_pack(const char *out, const struct pack *p, int64_t mtime_us)
{
    char tmp[4200];
    struct archive *a;
    struct archive_entry *e;
    int rc = ea_dl_load(&archive_dl);

    if (rc < 0) return rc;
    a = ar.archive_write_new();
    e = ar.archive_entry_new();

    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out, (long)getpid());
    if (!a || !e || ar.archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        ar.archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        ar.archive_write_open_filename(a, tmp) != ARCHIVE_OK)
        rc = ea_fail(EA_EIO, "%s: cannot write the pack: %s", out,
                     a ? ar.archive_error_string(a) : "out of memory");
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        char name[700];
        snprintf(name, sizeof(name), "audit-pack/%s", p->m[i].path);
        ar.archive_entry_clear(e);
        ar.archive_entry_set_pathname(e, name);
        ar.archive_entry_set_size(e, (la_int64_t)p->m[i].data.len);
        ar.archive_entry_set_filetype(e, AE_IFREG);
        ar.archive_entry_set_perm(e, p->m[i].mode);
        ar.archive_entry_set_mtime(e, (time_t)(mtime_us / 1000000), 0);
        if (ar.archive_write_header(a, e) != ARCHIVE_OK ||
            (p->m[i].data.len && ar.archive_write_data(a, p->m[i].data.data, p->m[i].data.len) !=
                                     (la_ssize_t)p->m[i].data.len))
            rc = ea_fail(EA_EIO, "%s: cannot write the pack: %s", out, ar.archive_error_string(a));
    }
    if (a && ar.archive_write_close(a) != ARCHIVE_OK && rc == 0)
        rc = ea_fail(EA_EIO, "%s: cannot write the pack: %s", out, ar.archive_error_string(a));
    if (a) ar.archive_write_free(a);
    if (e) ar.archive_entry_free(e);
    if (rc == 0 && rename(tmp, out) != 0)
        rc = ea_fail(EA_EIO, "%s: cannot write the pack: %s", out, strerror(errno));
    if (rc < 0) unlink(tmp);
    return rc;
}

int ea_cmd_export(int argc, char **argv)
{
    struct ea_cli_args a;
    struct ea_control_set set;
    struct ea_report_opts o = {.since_us = INT64_MIN};
    struct ea_key **keys = NULL, *signer = NULL;
    struct ea_store *store = NULL;
    struct pack pack = {0};
    struct collect_ctx c = {0};
    struct ea_soa soa;
    const char *soa_path = NULL, *key_path;
    size_t exported = 0;
    json_t *manifest = NULL, *ids = NULL, *keylist = NULL, *tsa = NULL, *hist = NULL;
    struct ea_verify_extra x;
    const char *out;
    const char *const *controls, *const *pubs = NULL;
    size_t ncontrol, nkeys = 0;
    char t1[EA_TIME_TEXT_MAX], t2[EA_TIME_TEXT_MAX];
    int rc;

    memset(&set, 0, sizeof(set));
    memset(&soa, 0, sizeof(soa));
    memset(&x, 0, sizeof(x));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    controls = ea_cli_list(&a, &cmd, "control", &ncontrol);
    if (ncontrol == 0) {
        rc = ea_fail(EA_EUSAGE, "--control ID is required (repeat it for several controls)");
        goto out;
    }
    for (size_t i = 0; i < ncontrol; i++) {
        if ((rc = ea_controls_add(&set, controls[i])) < 0) {
            ea_fail_prefix("--control");
            goto out;
        }
    }
    if (!(out = ea_cli_value(&a, &cmd, "out"))) {
        rc = ea_fail(EA_EUSAGE, "--out PACK.tar.gz is required");
        goto out;
    }
    o.now_us = ea_time_now_us();
    rc = ea_config_period(&o.since_us, &o.until_us, ea_cli_value(&a, &cmd, "since"),
                          ea_cli_value(&a, &cmd, "until"), o.now_us);
    if (rc < 0) goto out;
    if (o.until_us > o.now_us) {
        /*
         * A pack speaks for what was stored when it was made: a period ending later would let
         * a pack made early pass for one made at the period's end, with what came since unseen.
         */
        EA_LOG_WARN(NULL, "--until is in the future: the pack's period ends now");
        o.until_us = o.now_us;
    }
    pubs = ea_cli_list(&a, &cmd, "pubkey", &nkeys);
    if ((rc = ea_config_public_keys(&keys, pubs, nkeys)) < 0) {
        nkeys = 0;
        goto out;
    }
    if ((key_path = ea_cli_value(&a, &cmd, "key"))) {
        bool listed = false;
        if ((rc = ea_config_signing_key(&signer, key_path)) < 0) goto out;
        for (size_t i = 0; i < nkeys && !listed; i++)
            listed = strcmp(ea_key_id(keys[i]), ea_key_id(signer)) == 0;
        if (!listed) {
            rc = ea_fail(EA_EUSAGE,
                         "--key %s: its public key is not among --pubkey (give its public half "
                         "with --pubkey: the pack's keys must verify the pack's signature)",
                         key_path);
            goto out;
        }
    }
    rc = ea_verify_extra_setup(&x, ea_cli_value(&a, &cmd, "tsa-ca"),
                               ea_cli_value(&a, &cmd, "max-skew"), ea_cli_value(&a, &cmd, "keys"),
                               keys, nkeys);
    if (rc < 0) goto out;
    o.keys = x.keys;
    o.nkeys = x.nkeys;
    o.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    if ((rc = ea_store_open(&store, o.store_url, 0)) < 0) goto out;
    o.store = store;
    if ((soa_path = ea_cli_value(&a, &cmd, "soa"))) {
        struct ea_buf sb;
        if ((rc = ea_fs_read(&sb, soa_path, EA_YAML_FILE_MAX, 0)) < 0) goto out;
        rc = add(&pack, "soa.yaml", sb.data, sb.len); /* what the auditor reads */
        ea_buf_dispose(&sb);
        if (rc < 0) goto out;
    }
    if ((rc = pack_soa(&soa, soa_path, &set)) < 0) goto out;
    c = (struct collect_ctx){.store = store,
                             .keys = x.keys,
                             .nkeys = x.nkeys,
                             .pack = &pack,
                             .records = json_array(),
                             .streams = json_object(),
                             .packed = json_object(),
                             .want_id = json_object(),
                             .checkpoints = json_array()};
    ids = json_array();
    keylist = json_array();
    if (!c.records || !c.streams || !c.packed || !c.want_id || !c.checkpoints || !ids || !keylist) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = add_check(&pack)) < 0) goto out;
    for (size_t i = 0; i < set.n; i++) {
        struct ea_query q = {set.ids[i], o.since_us, o.until_us};
        json_array_append_new(ids, json_string(set.ids[i]));
        if ((rc = ea_store_list(store, &q, on_entry, &c)) < 0) goto out;
    }
    exported = json_array_size(c.records);
    if (c.problems == 0 && (rc = add_streams(&c, o.since_us, o.until_us)) < 0) goto out;
    if (c.problems) {
        rc = ea_fail(EA_EVERIFY, "%u record%s failed a check (named above); no pack written",
                     c.problems, c.problems == 1 ? "" : "s");
        goto out;
    }
    /* the records are sound: now the store as a whole (heads, streams, checkpoints) */
    if ((rc = ea_verify_gate_ex(store, o.store_url, x.keys, x.nkeys, &x)) < 0) {
        ea_fail_prefix("no pack written");
        goto out;
    }
    if ((rc = ea_store_walk(store, on_object, &c)) < 0) goto out;
    for (size_t i = 0; i < nkeys; i++) {
        struct ea_buf kb;
        char name[32];
        if ((rc = ea_fs_read(&kb, pubs[i], 1 << 20, 0)) < 0) goto out;
        snprintf(name, sizeof(name), "keys/%zu.pub", i + 1);
        if (rc == 0) rc = add(&pack, name, kb.data ? kb.data : "", kb.len);
        ea_buf_dispose(&kb);
        if (rc < 0) goto out;
        json_array_append_new(keylist,
                              json_pack("{s:s, s:s}", "path", name, "sha256", ea_key_id(keys[i])));
    }
    if ((rc = add_trust(&pack, &c, &x, keylist, &tsa, &hist)) < 0) goto out;
    if ((rc = add_report(&pack, &soa, &o)) < 0) goto out;
    ea_time_format_rfc3339(t1, o.now_us);
    ea_time_format_rfc3339(t2, o.until_us);
    manifest = json_pack("{s:i, s:s, s:s, s:O, s:{s:o, s:s}, s:b, s:b, s:O, s:O}", "pack_version",
                         2, "created_at", t1, "store", o.store_url, "controls", ids, "period",
                         "since", o.since_us > INT64_MIN ? json_string("") : json_null(), "until",
                         t2, "signatures_checked", x.nkeys > 0, "signed", signer != NULL, "keys",
                         keylist, "records", c.records);
    if (manifest && o.since_us > INT64_MIN) {
        ea_time_format_rfc3339(t1, o.since_us);
        json_object_set_new(json_object_get(manifest, "period"), "since", json_string(t1));
    }
    if (!manifest || (tsa && json_object_set(manifest, "tsa", tsa) < 0) ||
        (hist && json_object_set(manifest, "key_history", hist) < 0)) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = manifest_fill(manifest, &pack, &soa, c.streams, c.checkpoints)) < 0 ||
        (rc = add_manifest(&pack, manifest, signer)) < 0)
        goto out;
    if ((rc = add_sums(&pack)) < 0) goto out;
    if ((rc = write_pack(out, &pack, o.now_us)) < 0) goto out;
    ea_log(EA_LOG_LEVEL_INFO, NULL, "%zu record%s of %zu control%s written to %s%s", exported,
           exported == 1 ? "" : "s", set.n, set.n == 1 ? "" : "s", out,
           x.nkeys ? "" : " (signatures not checked: no --pubkey)");
    if (!signer)
        ea_log(EA_LOG_LEVEL_WARN, NULL,
               "%s is not signed (no --key): its check.sh fails unless run with --unsigned", out);
out:
    json_decref(manifest);
    json_decref(ids);
    json_decref(keylist);
    json_decref(tsa);
    json_decref(hist);
    ea_verify_extra_dispose(&x);
    json_decref(c.records);
    json_decref(c.streams);
    json_decref(c.packed);
    json_decref(c.want_id);
    json_decref(c.checkpoints);
    ea_key_free(signer);
    ea_soa_dispose(&soa);
    pack_dispose(&pack);
    ea_store_close(store);
    ea_config_keys_free(keys, nkeys);
    ea_cli_args_dispose(&a);
    return rc;
}
