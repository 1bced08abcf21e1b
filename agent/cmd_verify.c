/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify: proves a store authentic and complete. Every stored object (every
 * copy, under every control) must carry a signature that verifies with one
 * of the given public keys, an ID equal to the SHA-256 of its payload and to
 * its name, a Statement valid against the schemas, and be filed where its
 * own fields say. Then each stream must be continuous: sequences 1..N with
 * no gap, each record's `previous` the ID of the one before, and the stream
 * head file agreeing with the last record, so a deleted record is found.
 * Continuity needs every record, so it is checked only for the whole store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "error.h"
#include "util/mem.h"

static const struct ea_cli_opt opts[] = {
    {"store", EA_CLI_VALUE, "URL", "store to verify (default $EVIDENCE_STORE, else ./evidence-store)"},
    {"pubkey", EA_CLI_LIST, "FILE", "trusted public key (repeat for several); required"},
    {"control", EA_CLI_VALUE, "ID", "only the records of this control (skips stream continuity)"},
    {NULL, 0, NULL, NULL},
};

static const struct ea_cli_cmd cmd = {
    .name = "verify",
    .usage = "--pubkey FILE [--store URL] [--control ID]",
    .summary = "Checks signatures, record IDs, schemas and stream continuity of a store.",
    .opts = opts,
    .details = "Prints each problem as '<path>: <what>' and a summary on stderr.\n"
               "Exit status: 0 no problem, 3 any problem, 1 runtime failure, 2 usage error.\n",
    .min_args = 0,
    .max_args = 0,
};

struct rec {
    char id[65];
    char stream[EA_STREAM_MAX + 1];
    uint64_t sequence;
    char previous[65]; /* "" for null */
    uint64_t expected[2]; /* catalogue indexes of predicate.controls */
    uint64_t filed[2];    /* catalogue indexes of the controls a copy was found under */
};

static void mark(uint64_t bits[2], const char *control)
{
    size_t n;
    const struct ea_control *all = ea_controls_all(&n);
    const struct ea_control *c = ea_controls_find(control);

    if (c) {
        size_t i = (size_t)(c - all);
        bits[i / 64] |= 1ULL << (i % 64);
    }
}

struct verify_ctx {
    struct ea_store *store;
    const char *store_url;
    struct ea_key **keys;
    size_t nkeys;
    struct rec *recs;
    size_t nrecs, cap;
    size_t objects;
    unsigned problems;
};

static void problem(struct verify_ctx *v, const char *where, const char *what)
{
    fprintf(stdout, "FAIL %s/%s: %s\n", v->store_url, where, what);
    v->problems++;
}

static int on_entry(const struct ea_store_entry *e, void *payload)
{
    struct verify_ctx *v = payload;
    struct ea_audit_record r;
    const json_t *agent;
    const char *prev;
    struct rec *x;
    int rc;

    v->objects++;
    rc = ea_audit_check(&r, v->store, e, v->keys, v->nkeys);
    if (rc == EA_EVERIFY) {
        problem(v, e->key, ea_error_message(rc));
        ea_error_clear();
        ea_audit_record_dispose(&r);
        return 0;
    }
    if (rc < 0) {
        ea_audit_record_dispose(&r);
        return rc;
    }
    if (v->nrecs == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 256;
        struct rec *nr = ea_realloc(v->recs, ncap * sizeof(*nr));
        if (!nr) {
            ea_audit_record_dispose(&r);
            return ea_fail(EA_ENOMEM, "out of memory");
        }
        v->recs = nr;
        v->cap = ncap;
    }
    agent = json_object_get(json_object_get(r.statement, "predicate"), "agent");
    x = &v->recs[v->nrecs++];
    memcpy(x->id, r.id, sizeof(x->id));
    snprintf(x->stream, sizeof(x->stream), "%s", json_string_value(json_object_get(agent, "stream")));
    x->sequence = (uint64_t)json_integer_value(json_object_get(agent, "sequence"));
    prev = json_string_value(json_object_get(agent, "previous"));
    snprintf(x->previous, sizeof(x->previous), "%s", prev ? prev : "");
    memset(x->expected, 0, sizeof(x->expected));
    memset(x->filed, 0, sizeof(x->filed));
    {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(json_object_get(r.statement, "predicate"), "controls"),
                           i, c) mark(x->expected, json_string_value(c));
    }
    mark(x->filed, e->control);
    ea_audit_record_dispose(&r);
    return 0;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int c = strcmp(x->stream, y->stream);
    if (c) return c;
    if (x->sequence != y->sequence) return x->sequence < y->sequence ? -1 : 1;
    return strcmp(x->id, y->id);
}

struct heads {
    struct verify_ctx *v;
    size_t nstreams;
};

/* Binary search for the first record of stream in the sorted, de-duplicated list. */
static const struct rec *find_last_of(const struct verify_ctx *v, const char *stream)
{
    size_t lo = 0, hi = v->nrecs;
    const struct rec *last = NULL;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(v->recs[mid].stream, stream) <= 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo > 0 && strcmp(v->recs[lo - 1].stream, stream) == 0) last = &v->recs[lo - 1];
    return last;
}

static int on_head(const struct ea_stream_head *h, void *payload)
{
    struct heads *hs = payload;
    struct verify_ctx *v = hs->v;
    const struct rec *last = find_last_of(v, h->stream);
    char where[EA_STREAM_MAX + 16];
    char what[256];

    hs->nstreams++;
    snprintf(where, sizeof(where), "streams/%s.json", h->stream);
    if (!last) {
        snprintf(what, sizeof(what), "stream head at sequence %llu but none of its records exist",
                 (unsigned long long)h->sequence);
        problem(v, where, what);
    } else if (last->sequence != h->sequence || strcmp(last->id, h->last_id) != 0) {
        snprintf(what, sizeof(what),
                 "stream head says sequence %llu (%.12s) but the last record found is %llu "
                 "(%.12s): records are missing",
                 (unsigned long long)h->sequence, h->last_id, (unsigned long long)last->sequence,
                 last->id);
        problem(v, where, what);
    }
    return 0;
}

/* Checks each stream's sequence and chain; returns the number of streams seen. */
static void check_streams(struct verify_ctx *v)
{
    size_t out = 0;
    char where[EA_STREAM_MAX + 16];
    char what[256];

    if (v->nrecs) qsort(v->recs, v->nrecs, sizeof(*v->recs), cmp_rec);
    for (size_t i = 0; i < v->nrecs; i++) { /* one entry per record, not per copy */
        if (out && strcmp(v->recs[out - 1].id, v->recs[i].id) == 0) {
            v->recs[out - 1].filed[0] |= v->recs[i].filed[0];
            v->recs[out - 1].filed[1] |= v->recs[i].filed[1];
            continue;
        }
        v->recs[out++] = v->recs[i];
    }
    v->nrecs = out;
    for (size_t i = 0; i < v->nrecs; i++) { /* every control a record names holds a copy */
        const struct rec *r = &v->recs[i];
        size_t n;
        const struct ea_control *all = ea_controls_all(&n);
        for (size_t k = 0; k < n; k++) {
            uint64_t bit = 1ULL << (k % 64);
            if ((r->expected[k / 64] & bit) && !(r->filed[k / 64] & bit)) {
                snprintf(where, sizeof(where), "controls/%s", all[k].id);
                snprintf(what, sizeof(what), "record %.12s names %s but its copy there is missing",
                         r->id, all[k].id);
                problem(v, where, what);
            }
        }
    }
    for (size_t i = 0; i < v->nrecs; i++) {
        const struct rec *r = &v->recs[i];
        bool first = i == 0 || strcmp(v->recs[i - 1].stream, r->stream) != 0;
        uint64_t want = first ? 1 : v->recs[i - 1].sequence + 1;

        snprintf(where, sizeof(where), "streams/%s", r->stream);
        if (!first && v->recs[i - 1].sequence == r->sequence) {
            snprintf(what, sizeof(what), "two records with sequence %llu (%.12s, %.12s)",
                     (unsigned long long)r->sequence, v->recs[i - 1].id, r->id);
            problem(v, where, what);
        } else if (r->sequence != want) {
            snprintf(what, sizeof(what), "sequence %llu to %llu missing (record before %.12s)",
                     (unsigned long long)want, (unsigned long long)r->sequence - 1, r->id);
            problem(v, where, what);
        } else if (first ? r->previous[0] != '\0' : strcmp(r->previous, v->recs[i - 1].id) != 0) {
            snprintf(what, sizeof(what), "record %.12s does not chain to the record before it",
                     r->id);
            problem(v, where, what);
        }
    }
}

int ea_cmd_verify(int argc, char **argv)
{
    struct ea_cli_args a;
    struct verify_ctx v;
    struct ea_control_set one;
    struct ea_query sel = {NULL, INT64_MIN, INT64_MAX};
    struct heads hs;
    const char *c;
    size_t pk;
    int rc;

    memset(&v, 0, sizeof(v));
    memset(&one, 0, sizeof(one));
    rc = ea_cli_parse(&a, &cmd, argc, argv);
    if (rc < 0 || a.help) {
        if (a.help) ea_cli_help(stdout, &cmd);
        goto out;
    }
    pk = ea_cli_index(&cmd, "pubkey");
    if (a.nlist[pk] == 0) {
        rc = ea_fail(EA_EUSAGE, "verify: --pubkey FILE is required (the .pub file from keygen)");
        goto out;
    }
    if ((c = ea_cli_value(&a, &cmd, "control"))) {
        rc = ea_controls_add(&one, c);
        if (rc < 0) goto out;
        if (one.n > 1) {
            rc = ea_fail(EA_EUSAGE, "--control %s maps to several 2022 controls; verify each", c);
            goto out;
        }
        sel.control = one.ids[0];
    }
    rc = ea_config_public_keys(&v.keys, a.list[pk], a.nlist[pk]);
    if (rc < 0) goto out;
    v.nkeys = a.nlist[pk];
    v.store_url = ea_config_store_url(ea_cli_value(&a, &cmd, "store"));
    rc = ea_store_open(&v.store, v.store_url, 0);
    if (rc < 0) goto out;
    rc = ea_store_list(v.store, &sel, on_entry, &v);
    if (rc < 0) goto out;
    hs = (struct heads){&v, 0};
    if (!sel.control) {
        check_streams(&v);
        rc = ea_store_list_streams(v.store, on_head, &hs);
        if (rc < 0) goto out;
        /* A stream with records but no head file lost its head: report it. */
        for (size_t i = 0; i < v.nrecs; i++) {
            if (i + 1 < v.nrecs && strcmp(v.recs[i].stream, v.recs[i + 1].stream) == 0) continue;
            char path[EA_STREAM_MAX + 64];
            struct ea_buf b;
            snprintf(path, sizeof(path), "streams/%s.json", v.recs[i].stream);
            if (ea_store_get(v.store, path, &b) == EA_ENOTFOUND) {
                ea_error_clear();
                problem(&v, path, "stream head file is missing");
            }
            ea_buf_dispose(&b);
        }
    }
    fprintf(stdout, "%s %zu object%s, %zu record%s, %zu stream%s%s: %u problem%s\n",
            v.problems ? "FAILED" : "OK", v.objects, v.objects == 1 ? "" : "s", v.nrecs,
            v.nrecs == 1 ? "" : "s", hs.nstreams, hs.nstreams == 1 ? "" : "s",
            sel.control ? " (continuity not checked for one control)" : "", v.problems,
            v.problems == 1 ? "" : "s");
    if (v.objects == 0)
        fprintf(stderr, "evidence-agent: warning: the store holds no records%s%s\n",
                sel.control ? " for " : "", sel.control ? sel.control : "");
    if (v.problems)
        rc = ea_fail(EA_EVERIFY, "%u problem%s found in %s", v.problems,
                     v.problems == 1 ? "" : "s", v.store_url);
out:
    ea_free(v.recs);
    ea_store_close(v.store);
    ea_config_keys_free(v.keys, v.nkeys);
    ea_cli_args_dispose(&a);
    return rc;
}
