/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export: an audit pack for some controls and a period, as one .tar.gz
 * (libarchive) that an auditor checks with standard tools alone:
 *
 *   README.md        how to check the pack with sha256sum, openssl and python3
 *   SHA256SUMS       the SHA-256 of every other file (sha256sum -c SHA256SUMS)
 *   manifest.json    what was exported: controls, period, store, records, keys
 *   report.json, report.md   the report for those controls (report.h)
 *   keys/N.pub       the public keys given with --pubkey
 *   records/<key>    every envelope exactly as stored, under its store key
 *
 * Every record is checked first (ID, schemas, signature with --pubkey); a
 * record that fails is named and nothing is written (exit 3). The pack is
 * written to a temporary file and renamed into place.
 */
#include <archive.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "report.h"
#include "soa.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "store to read (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"control", EA_CLI_LIST, "ID", "a control to export (2013 IDs are mapped); repeat for more"},
    {"since", EA_CLI_VALUE, "TIME", "period start (RFC 3339 or YYYY-MM-DD; default: all)"},
    {"until", EA_CLI_VALUE, "TIME", "period end (default: now)"},
    {"pubkey", EA_CLI_LIST, "FILE", "check signatures with these keys and put them in the pack"},
    {"out", EA_CLI_VALUE, "FILE", "the pack to write (.tar.gz)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "export",
    .usage = "--control ID... [--store URL] [--since T] [--until T] [--pubkey FILE]... --out "
             "PACK.tar.gz",
    .summary = "Writes an audit pack: the records of some controls, keys, report and manifest.",
    .opts = opts,
    .details = "The pack holds README.md (how to check it with sha256sum, openssl and python3),\n"
               "SHA256SUMS, manifest.json, report.json, report.md, keys/ and records/.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 a record failed a check\n"
               "(nothing is written then).\n",
    .min_args = 0,
    .max_args = 0,
};

static const char readme[] =
    "# Evidence audit pack\n"
    "\n"
    "Written by `evidence-agent export`. Every record is a DSSE envelope (JSON) whose\n"
    "payload is an in-toto Statement; its ID is the SHA-256 of the payload bytes and is\n"
    "the end of its file name. `manifest.json` says which controls and period were\n"
    "exported. Checking the pack needs only standard tools:\n"
    "\n"
    "1. Nothing was changed or removed since export (GNU coreutils):\n"
    "\n"
    "       sha256sum -c SHA256SUMS\n"
    "\n"
    "2. Each record is signed by one of the keys in `keys/` (OpenSSL 3 and Python 3,\n"
    "   standard library only; the signature is Ed25519 over DSSE's PAE):\n"
    "\n"
    "       for r in $(find records -name '*.json'); do\n"
    "         python3 - \"$r\" <<'EOF'\n"
    "       import base64, hashlib, json, os, sys\n"
    "       e = json.load(open(sys.argv[1])); p = base64.b64decode(e[\"payload\"])\n"
    "       t = e[\"payloadType\"].encode()\n"
    "       assert os.path.basename(sys.argv[1]).endswith(hashlib.sha256(p).hexdigest() + "
    "\".json\")\n"
    "       open(\"pae\", \"wb\").write(b\"DSSEv1 %d %s %d %s\" % (len(t), t, len(p), p))\n"
    "       open(\"sig\", \"wb\").write(base64.b64decode(e[\"signatures\"][0][\"sig\"]))\n"
    "       EOF\n"
    "         ok=no\n"
    "         for k in keys/*.pub; do\n"
    "           openssl pkeyutl -verify -pubin -inkey \"$k\" -rawin -in pae -sigfile sig \\\n"
    "             >/dev/null 2>&1 && ok=yes\n"
    "         done\n"
    "         echo \"$ok $r\"\n"
    "       done\n"
    "\n"
    "   With python3-cryptography instead of openssl:\n"
    "\n"
    "       from cryptography.hazmat.primitives.serialization import load_pem_public_key\n"
    "       load_pem_public_key(open(\"keys/1.pub\", \"rb\").read()).verify(sig_bytes, pae_bytes)\n"
    "\n"
    "   (`verify` raises InvalidSignature when a record was altered.)\n"
    "\n"
    "3. `report.md` / `report.json` summarise, per control, the records of the period:\n"
    "   count, results, latest record, freshness and verdict.\n";

struct member {
    char *path; /* owned: path inside the pack */
    struct ea_buf data;
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
};

static int on_entry(const struct ea_store_entry *e, void *payload)
{
    struct collect_ctx *c = payload;
    struct ea_audit_record ar;
    char path[600];
    int rc = ea_audit_check_raw(&ar, c->store, e, c->keys, c->nkeys);

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
    snprintf(path, sizeof(path), "records/%s", e->key);
    rc = add(c->pack, path, ar.raw ? ar.raw : "", ar.raw_len); /* the bytes that were checked */
    if (rc == 0 &&
        json_array_append_new(c->records, json_pack("{s:s, s:s, s:s}", "id", e->id, "control",
                                                    e->control, "path", path)) < 0)
        rc = ea_fail(EA_ENOMEM, "out of memory");
    ea_audit_record_dispose(&ar);
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

/* The report for the exported controls: an SoA applying each of them. */
static int add_report(struct pack *p, const struct ea_control_set *set, struct ea_report_opts *o)
{
    json_t *doc = json_pack("{s:s, s:s, s:{}}", "organisation", "(audit pack)", "scope",
                            "the exported controls", "controls");
    json_t *lines = json_object(), *report = NULL;
    struct ea_soa soa;
    struct ea_buf b;
    unsigned problems;
    int rc = 0;

    for (size_t i = 0; doc && i < set->n; i++)
        json_object_set_new(json_object_get(doc, "controls"), set->ids[i],
                            json_pack("{s:s, s:s}", "status", "applied", "justification",
                                      "exported in this audit pack"));
    if (!doc || !lines) {
        json_decref(doc);
        json_decref(lines);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    rc = ea_soa_from(&soa, "manifest.json", doc, lines);
    if (rc == 0) rc = ea_report_build(&report, &problems, &soa, o);
    if (rc == 0 && (rc = render(&b, report_json, report)) == 0) {
        rc = add(p, "report.json", b.data, b.len);
        ea_buf_dispose(&b);
    }
    if (rc == 0 && (rc = render(&b, ea_report_write_md, report)) == 0) {
        rc = add(p, "report.md", b.data, b.len);
        ea_buf_dispose(&b);
    }
    json_decref(report);
    ea_soa_dispose(&soa);
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
#define ARCHIVE_FNS(X)                                                                             \
    X(archive_write_new)                                                                           \
    X(archive_entry_new) X(archive_write_add_filter_gzip)                                          \
        X(archive_write_set_format_pax_restricted) X(archive_write_open_filename)                  \
            X(archive_error_string) X(archive_entry_clear) X(archive_entry_set_pathname)           \
                X(archive_entry_set_size) X(archive_entry_set_filetype) X(archive_entry_set_perm)  \
                    X(archive_entry_set_mtime) X(archive_write_header) X(archive_write_data)       \
                        X(archive_write_close) X(archive_write_free) X(archive_entry_free)

static struct {
#define ARCHIVE_FIELD(f) __typeof__(&f) f;
    ARCHIVE_FNS(ARCHIVE_FIELD)
#undef ARCHIVE_FIELD
} ar;

static int load_libarchive(void)
{
    static void *lib;
    bool all = true;

    if (lib) return 0;
    if (!(lib = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL)))
        return ea_fail(EA_ERROR, "cannot load libarchive.so.13 (install libarchive13): %s",
                       dlerror());
#define ARCHIVE_LOAD(f) all = (*(void **)&ar.f = dlsym(lib, #f)) != NULL && all;
    ARCHIVE_FNS(ARCHIVE_LOAD)
#undef ARCHIVE_LOAD
    if (!all) {
        dlclose(lib);
        lib = NULL;
        return ea_fail(EA_ERROR, "libarchive.so.13 lacks a function the agent needs");
    }
    return 0;
}

static int write_pack(const char *out, const struct pack *p, int64_t mtime_us)
{
    char tmp[4200];
    struct archive *a;
    struct archive_entry *e;
    int rc = load_libarchive();

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
        ar.archive_entry_set_perm(e, 0644);
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
    struct ea_key **keys = NULL;
    struct ea_store *store = NULL;
    struct pack pack = {0};
    struct collect_ctx c = {0};
    json_t *manifest = NULL, *ids = NULL, *keylist = NULL;
    const char *out;
    size_t ci, pk = 0, nkeys = 0;
    char *text = NULL;
    char t1[EA_TIME_TEXT_MAX], t2[EA_TIME_TEXT_MAX];
    int rc;

    memset(&set, 0, sizeof(set));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || a.help) {
        if (a.help) ea_cli_help(stdout, &cmd);
        goto out;
    }
    ci = ea_cli_index(&cmd, "control");
    if (a.nlist[ci] == 0) {
        rc = ea_fail(EA_EUSAGE, "--control ID is required (repeat it for several controls)");
        goto out;
    }
    for (size_t i = 0; i < a.nlist[ci]; i++) {
        if ((rc = ea_controls_add(&set, a.list[ci][i])) < 0) {
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
    pk = ea_cli_index(&cmd, "pubkey");
    if ((rc = ea_config_public_keys(&keys, a.list[pk], a.nlist[pk])) < 0) goto out;
    nkeys = a.nlist[pk];
    o.keys = keys;
    o.nkeys = nkeys;
    o.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    if ((rc = ea_store_open(&store, o.store_url, 0)) < 0) goto out;
    o.store = store;
    c = (struct collect_ctx){store, keys, nkeys, &pack, json_array(), 0};
    ids = json_array();
    keylist = json_array();
    if (!c.records || !ids || !keylist) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = add(&pack, "README.md", readme, sizeof(readme) - 1)) < 0) goto out;
    for (size_t i = 0; i < set.n; i++) {
        struct ea_query q = {set.ids[i], o.since_us, o.until_us};
        json_array_append_new(ids, json_string(set.ids[i]));
        if ((rc = ea_store_list(store, &q, on_entry, &c)) < 0) goto out;
    }
    if (c.problems) {
        rc = ea_fail(EA_EVERIFY, "%u record%s failed a check (named above); no pack written",
                     c.problems, c.problems == 1 ? "" : "s");
        goto out;
    }
    for (size_t i = 0; i < nkeys; i++) {
        struct ea_buf kb;
        char name[32];
        if ((rc = ea_fs_read(&kb, a.list[pk][i], 1 << 20, 0)) < 0) goto out;
        snprintf(name, sizeof(name), "keys/%zu.pub", i + 1);
        if (rc == 0) rc = add(&pack, name, kb.data ? kb.data : "", kb.len);
        ea_buf_dispose(&kb);
        if (rc < 0) goto out;
        json_array_append_new(keylist, json_string(name));
    }
    if ((rc = add_report(&pack, &set, &o)) < 0) goto out;
    ea_time_format_rfc3339(t1, o.now_us);
    ea_time_format_rfc3339(t2, o.until_us);
    manifest = json_pack("{s:i, s:s, s:s, s:O, s:{s:o, s:s}, s:b, s:O, s:O}", "pack_version", 1,
                         "created_at", t1, "store", o.store_url, "controls", ids, "period", "since",
                         o.since_us > INT64_MIN ? json_string("") : json_null(), "until", t2,
                         "signatures_checked", nkeys > 0, "keys", keylist, "records", c.records);
    if (manifest && o.since_us > INT64_MIN) {
        ea_time_format_rfc3339(t1, o.since_us);
        json_object_set_new(json_object_get(manifest, "period"), "since", json_string(t1));
    }
    text = manifest ? json_dumps(manifest, JSON_INDENT(1)) : NULL;
    if (!text) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = add(&pack, "manifest.json", text, strlen(text))) < 0) goto out;
    if ((rc = add_sums(&pack)) < 0) goto out;
    if ((rc = write_pack(out, &pack, o.now_us)) < 0) goto out;
    ea_log(EA_LOG_LEVEL_INFO, NULL, "%zu record%s of %zu control%s written to %s%s",
           json_array_size(c.records), json_array_size(c.records) == 1 ? "" : "s", set.n,
           set.n == 1 ? "" : "s", out, nkeys ? "" : " (signatures not checked: no --pubkey)");
out:
    free(text);
    json_decref(manifest);
    json_decref(ids);
    json_decref(keylist);
    json_decref(c.records);
    pack_dispose(&pack);
    ea_store_close(store);
    ea_config_keys_free(keys, nkeys);
    ea_cli_args_dispose(&a);
    return rc;
}
