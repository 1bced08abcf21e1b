/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query: lists the evidence of a control (or all controls) in a period,
 * optionally of one kind, as an aligned table, a JSON array or JSON lines.
 * A record appears once even when it is filed under several controls. With
 * --pubkey, signatures are checked too; any record that fails a check is
 * reported on stderr and the exit status is 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "util/error.h"
#include "log.h"
#include "registry.h"
#include "util/mem.h"
#include "verify.h"
#include "util/time.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL",
     "store to read (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"control", EA_CLI_VALUE, "ID", "only this Annex A control (2013 IDs are mapped)"},
    {"since", EA_CLI_VALUE, "TIME", "from this time (RFC 3339 or YYYY-MM-DD, inclusive)"},
    {"until", EA_CLI_VALUE, "TIME", "up to this time (a bare date includes the whole day)"},
    {"kind", EA_CLI_VALUE, "KIND", "only this record kind (git_commit, scan_result, ...)"},
    {"format", EA_CLI_VALUE, "FMT", "table (default), json (one array) or ndjson"},
    {"pubkey", EA_CLI_LIST, "FILE", "also verify signatures with these public keys"},
    {"tsa-ca", EA_CLI_VALUE, "FILE",
     "with --pubkey or --keys: every record's RFC 3161 token must verify against these TSA "
     "CA certificates (as verify --tsa-ca)"},
    {"max-skew", EA_CLI_VALUE, "DURATION",
     "with --tsa-ca: largest gap between collected_at and genTime (default 5m)"},
    {"keys", EA_CLI_VALUE, "FILE",
     "key history (YAML or JSON): a record's key must have been valid at its time"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "query",
    .usage = "[--store URL] [--control ID] [--since T] [--until T] [--kind K] [--format F] "
             "[--pubkey FILE]... [--keys FILE] [--tsa-ca FILE [--max-skew D]]",
    .summary = "Finds evidence records by control, period and kind.",
    .opts = opts,
    .details =
        "JSON output: each element is {\"id\", \"key\", \"controls\", \"statement\"}, plus\n"
        "\"verified\" with --pubkey.\nExit status: 0 ok, 1 runtime failure, 2 usage error, 3 a "
        "record failed a check.\n",
    .min_args = 0,
    .max_args = 0,
};

int ea_cmd_query_doc(ea_cli_cmd_cb cb, void *payload)
{
    return cb(&cmd, payload);
}

enum format { FORMAT_TABLE, FORMAT_JSON, FORMAT_NDJSON };

struct hit {
    int64_t time_us;
    char id[65];
    char *key;           /* owned */
    const char *control; /* borrowed catalogue string */
    json_t *statement;   /* owned reference */
    bool verified;
};

struct query_ctx {
    struct ea_store *store;
    struct ea_key **keys;
    size_t nkeys;
    const char *kind;
    struct hit *hits;
    size_t nhits, cap;
    unsigned problems;
    const char *store_url;
};

/* Listing only records where each object is; checks come after de-duplication. */
static int on_entry(const struct ea_store_entry *e, void *payload)
{
    struct query_ctx *q = payload;
    struct hit *h;

    if (q->nhits == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 64;
        struct hit *nh = ea_realloc(q->hits, ncap * sizeof(*nh));
        if (!nh) return ea_fail(EA_ENOMEM, "out of memory");
        q->hits = nh;
        q->cap = ncap;
    }
    h = &q->hits[q->nhits];
    memset(h, 0, sizeof(*h));
    h->key = ea_strdup(e->key);
    if (!h->key) return ea_fail(EA_ENOMEM, "out of memory");
    h->control = ea_controls_find(e->control)->id;
    h->time_us = e->time_us;
    memcpy(h->id, e->id, sizeof(h->id));
    q->nhits++;
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->time_us != y->time_us) return x->time_us < y->time_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Sorts by time and keeps one object per record (a record is filed once per control). */
static void dedupe(struct query_ctx *q)
{
    size_t out = 0;

    if (q->nhits) qsort(q->hits, q->nhits, sizeof(*q->hits), cmp_hit);
    for (size_t i = 0; i < q->nhits; i++) {
        if (out && strcmp(q->hits[out - 1].id, q->hits[i].id) == 0) {
            ea_free(q->hits[i].key);
            continue;
        }
        q->hits[out++] = q->hits[i];
    }
    q->nhits = out;
}

/* Checks every listed record; drops (and reports) the unsound and the other kinds. */
static int check_all(struct query_ctx *q)
{
    size_t out = 0;
    int rc = 0;

    for (size_t i = 0; i < q->nhits; i++) {
        struct hit *h = &q->hits[i];
        struct ea_store_entry e = {h->key, h->control, h->id, h->time_us};
        struct ea_audit_record r;
        const char *kind;

        if (rc == 0)
            rc = ea_audit_check(&r, q->store, &e, q->keys, q->nkeys);
        else
            memset(&r, 0, sizeof(r));
        if (rc == EA_EVERIFY) {
            ea_log(EA_LOG_LEVEL_ERROR, NULL, "%s/%s: %s", q->store_url, h->key,
                   ea_error_message(rc));
            ea_error_clear();
            q->problems++;
            rc = 0;
        } else if (rc == 0) {
            kind = json_string_value(
                json_object_get(json_object_get(r.statement, "predicate"), "kind"));
            if (!q->kind || (kind && strcmp(kind, q->kind) == 0)) {
                h->statement = r.statement;
                h->verified = r.signature_checked;
                r.statement = NULL;
                q->hits[out++] = *h;
                ea_audit_record_dispose(&r);
                continue;
            }
        }
        ea_audit_record_dispose(&r);
        ea_free(h->key);
    }
    q->nhits = out;
    return rc;
}

static json_t *hit_json(const struct hit *h, bool with_verified)
{
    json_t *pred = json_object_get(h->statement, "predicate");
    json_t *o = json_pack("{s:s, s:s, s:O}", "id", h->id, "key", h->key, "controls",
                          json_object_get(pred, "controls"));

    if (!o) return NULL;
    if (with_verified) json_object_set_new(o, "verified", json_boolean(h->verified));
    json_object_set(o, "statement", h->statement);
    return o;
}

static void print_table(const struct query_ctx *q)
{
    printf("%-27s %-12s %-12s %-6s %-18s %s\n", "COLLECTED_AT", "ID", "KIND", "RESULT", "CONTROLS",
           "SUMMARY");
    for (size_t i = 0; i < q->nhits; i++) {
        const struct hit *h = &q->hits[i];
        json_t *pred = json_object_get(h->statement, "predicate");
        char controls[256] = "";
        size_t used = 0, j;
        json_t *c;

        json_array_foreach(json_object_get(pred, "controls"), j, c) {
            int n = snprintf(controls + used, sizeof(controls) - used, "%s%s", j ? "," : "",
                             json_string_value(c));
            if (n < 0 || (size_t)n >= sizeof(controls) - used) break;
            used += (size_t)n;
        }
        printf("%-27s %-12.12s %-12s %-6s %-18s %.80s\n",
               json_string_value(json_object_get(pred, "collected_at")), h->id,
               json_string_value(json_object_get(pred, "kind")),
               json_string_value(json_object_get(pred, "result")), controls,
               json_string_value(json_object_get(pred, "summary")));
    }
}

static int print_json(const struct query_ctx *q, enum format f)
{
    json_t *all = f == FORMAT_JSON ? json_array() : NULL;
    int rc = 0;

    if (f == FORMAT_JSON && !all) return ea_fail(EA_ENOMEM, "out of memory");
    for (size_t i = 0; i < q->nhits && rc == 0; i++) {
        json_t *o = hit_json(&q->hits[i], q->nkeys > 0);
        if (!o) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        if (all) {
            json_array_append_new(all, o);
        } else {
            if (json_dumpf(o, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF)
                rc = ea_fail(EA_EIO, "cannot write to standard output");
            json_decref(o);
        }
    }
    if (all && rc == 0) {
        if (json_dumpf(all, stdout, JSON_INDENT(2)) < 0 || fputc('\n', stdout) == EOF)
            rc = ea_fail(EA_EIO, "cannot write to standard output");
    }
    json_decref(all);
    return rc;
}

int ea_cmd_query(int argc, char **argv)
{
    struct ea_cli_args a;
    struct query_ctx q;
    struct ea_control_set one;
    struct ea_query sel = {NULL, INT64_MIN, INT64_MAX};
    const char *v;
    enum format f = FORMAT_TABLE;
    const char *const *pubs;
    struct ea_key **owned = NULL;
    struct ea_verify_extra x;
    size_t npub = 0;
    int rc;

    memset(&q, 0, sizeof(q));
    memset(&x, 0, sizeof(x));
    memset(&one, 0, sizeof(one));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || ea_cli_answer(stdout, &a, &cmd)) {
        goto out;
    }
    v = ea_cli_value(&a, &cmd, "format");
    if (v && strcmp(v, "json") == 0)
        f = FORMAT_JSON;
    else if (v && strcmp(v, "ndjson") == 0)
        f = FORMAT_NDJSON;
    else if (v && strcmp(v, "table") != 0) {
        rc = ea_fail(EA_EUSAGE, "--format '%s': use table, json or ndjson", v);
        goto out;
    }
    if ((v = ea_cli_value(&a, &cmd, "control"))) {
        rc = ea_controls_add(&one, v);
        if (rc < 0) goto out;
        if (one.n > 1) {
            rc = ea_fail(EA_EUSAGE, "--control %s maps to several 2022 controls; query each", v);
            goto out;
        }
        sel.control = one.ids[0];
    }
    rc = ea_config_period(&sel.since_us, &sel.until_us, ea_cli_value(&a, &cmd, "since"),
                          ea_cli_value(&a, &cmd, "until"), INT64_MAX);
    if (rc < 0) goto out;
    q.kind = ea_cli_value(&a, &cmd, "kind");
    if (q.kind && (rc = ea_registry_kind_check(q.kind)) < 0) { /* else: an empty table, exit 0 */
        ea_fail_prefix("--kind");
        goto out;
    }
    pubs = ea_cli_list(&a, &cmd, "pubkey", &npub);
    rc = ea_config_public_keys(&owned, pubs, npub);
    if (rc < 0) {
        npub = 0;
        goto out;
    }
    rc = ea_verify_extra_setup(&x, ea_cli_value(&a, &cmd, "tsa-ca"),
                               ea_cli_value(&a, &cmd, "max-skew"), ea_cli_value(&a, &cmd, "keys"),
                               owned, npub);
    if (rc < 0) goto out;
    q.keys = x.keys;
    q.nkeys = x.nkeys;
    q.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&q.store, q.store_url, 0);
    if (rc < 0) goto out;
    /* a tampered store answers nothing */
    rc = ea_verify_gate_ex(q.store, q.store_url, q.keys, q.nkeys, &x);
    if (rc < 0) goto out;
    rc = ea_store_list(q.store, &sel, on_entry, &q);
    if (rc < 0) goto out;
    dedupe(&q);
    rc = check_all(&q);
    if (rc < 0) goto out;
    if (f == FORMAT_TABLE)
        print_table(&q);
    else
        rc = print_json(&q, f);
    if (rc == 0 && q.problems)
        rc = ea_fail(EA_EVERIFY, "%u record%s failed a check (run 'evidence-agent verify')",
                     q.problems, q.problems == 1 ? "" : "s");
out:
    for (size_t i = 0; i < q.nhits; i++) {
        ea_free(q.hits[i].key);
        json_decref(q.hits[i].statement);
    }
    ea_free(q.hits);
    ea_store_close(q.store);
    ea_config_keys_free(owned, npub);
    ea_verify_extra_dispose(&x);
    ea_cli_args_dispose(&a);
    return rc;
}
