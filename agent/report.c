/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building the report; see report.h. Verdicts, for an applied control:
 *   missing  no evidence of the asked kinds in the period;
 *   failing  its latest record's result is fail or error, or a record failed
 *            a check (signature, ID, schema: tampered or unreadable);
 *   stale    its latest record is older than max_age at the end of the period,
 *            or is an attestation whose expires_at has passed by then;
 *   ok       fresh, passing, and (with keys) verified.
 * evidence.kinds asks for any one of its kinds, evidence.require for each of
 * its kinds (all of): each is judged as above on its own latest record, and
 * the control takes the worst verdict (failing, missing, stale, ok); each
 * required kind's verdict is listed in the control's "requirements".
 * Planned and excluded controls are "n/a" and their evidence is not read.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "audit.h"
#include "report_framework.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/time.h"

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *time_json(int64_t us)
{
    char t[EA_TIME_TEXT_MAX];

    ea_time_format_rfc3339(t, us);
    return json_string(t);
}

/* True when a record of kind (and attestation kind sub, or NULL) is of the kind asked:
 * "kind", or "kind:sub". */
static bool kind_is(const char *want, const char *kind, const char *sub)
{
    const char *colon = strchr(want, ':');
    size_t n = colon ? (size_t)(colon - want) : strlen(want);

    if (!kind || strlen(kind) != n || strncmp(want, kind, n) != 0) return false;
    return !colon || (sub && strcmp(colon + 1, sub) == 0);
}

static bool kind_in(const json_t *kinds, const char *kind, const char *sub)
{
    const json_t *k;
    size_t i;

    json_array_foreach(kinds, i, k) {
        if (kind_is(json_string_value(k), kind, sub)) return true;
    }
    return false;
}

/*
 * What a control needs: one group per evidence.require entry (each must
 * hold), and one for evidence.kinds (any of them) when given or when there
 * is no require (any kind at all). Each group is judged on its own latest
 * record; the control takes the worst verdict.
 */
struct group {
    json_t *kinds;  /* owned: the kinds that satisfy it (NULL: any) */
    json_t *latest; /* owned: its newest record's row */
    int64_t latest_us;
    bool expired; /* that record is an attestation past its expires_at */
};

static int groups_make(struct group **out, size_t *n, const struct ea_soa_control *sc)
{
    size_t nreq = json_array_size(sc->require), k = 0;
    struct group *g;

    *n = nreq + (sc->kinds || !sc->require ? 1 : 0);
    *out = g = ea_calloc(*n, sizeof(*g));
    if (!g) return ea_fail(EA_ENOMEM, "out of memory");
    for (; k < nreq; k++)
        if (!(g[k].kinds = json_pack("[O]", json_array_get(sc->require, k))))
            return ea_fail(EA_ENOMEM, "out of memory");
    if (k < *n && sc->kinds && !(g[k].kinds = json_deep_copy(sc->kinds)))
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

static void groups_free(struct group *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++) {
        json_decref(g[i].kinds);
        json_decref(g[i].latest);
    }
    ea_free(g);
}

static const char *group_freshness(const struct group *g, const struct ea_soa_control *sc,
                                   const struct ea_report_opts *o)
{
    if (!g->latest) return "missing";
    return g->expired || o->until_us - g->latest_us > sc->max_age_us ? "stale" : "fresh";
}

static const char *group_verdict(const struct group *g, const char *freshness)
{
    const char *lr = json_string_value(json_object_get(g->latest, "result"));

    if (!g->latest) return "missing";
    if (lr && (strcmp(lr, "fail") == 0 || strcmp(lr, "error") == 0)) return "failing";
    return strcmp(freshness, "stale") == 0 ? "stale" : "ok";
}

/* Rank of a verdict or a freshness, worst highest. */
static int rank(const char *v)
{
    static const char *const order[] = {"ok", "fresh", "stale", "missing", "failing"};
    for (int i = 0; i < 5; i++)
        if (strcmp(order[i], v) == 0) return i < 2 ? 0 : i - 1;
    return 0;
}

/* Reads the evidence of one applied control into c. */
static int read_evidence(json_t *c, const struct ea_soa_control *sc, const struct ea_report_opts *o,
                         unsigned *problems)
{
    struct ea_query q = {sc->control->id, o->since_us, o->until_us};
    struct ea_store_items l = {0};
    json_t *evidence = json_array(), *results = json_pack("{s:i, s:i, s:i, s:i}", "pass", 0, "fail",
                                                          0, "error", 0, "info", 0);
    json_t *latest = NULL, *reqs = NULL;
    struct group *groups = NULL;
    size_t ngroups = 0;
    size_t count = 0, bad = 0, verified = 0;
    const char *verdict = "ok", *freshness = "fresh";
    int rc;

    if (!evidence || !results) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = groups_make(&groups, &ngroups, sc)) < 0) goto out;
    rc = ea_store_list_newest(o->store, &q, &l);
    if (rc < 0) goto out;
    for (size_t i = 0; i < l.n; i++) {
        struct ea_store_entry se = {l.v[i].key, sc->control->id, l.v[i].id, l.v[i].time_us};
        struct ea_audit_record ar;
        const json_t *pred;
        const char *kind, *result, *sub;
        bool wanted = false, expired;
        json_t *row;

        rc = ea_audit_check(&ar, o->store, &se, o->keys, o->nkeys);
        if (rc == EA_EIO || rc == EA_ENOMEM) {
            ea_audit_record_dispose(&ar);
            goto out;
        }
        if (rc < 0) { /* tampered or unreadable: it proves nothing, and says so */
            bad++;
            (*problems)++;
            row = json_pack("{s:s, s:o, s:s, s:s, s:b}", "id", l.v[i].id, "time",
                            time_json(l.v[i].time_us), "key", l.v[i].key, "problem",
                            ea_error_message(rc), "verified", 0);
            ea_error_clear();
            ea_audit_record_dispose(&ar);
            rc = 0;
            if (!row || json_array_append_new(evidence, row) < 0) {
                rc = ea_fail(EA_ENOMEM, "out of memory");
                goto out;
            }
            continue;
        }
        pred = json_object_get(ar.statement, "predicate");
        kind = json_string_value(json_object_get(pred, "kind"));
        result = json_string_value(json_object_get(pred, "result"));
        sub = ea_attest_kind_of(ar.statement);
        for (size_t k = 0; k < ngroups; k++)
            wanted |= !groups[k].kinds || kind_in(groups[k].kinds, kind, sub);
        if (!wanted) {
            ea_audit_record_dispose(&ar);
            continue;
        }
        count++;
        verified += ar.signature_checked;
        expired = ea_attest_expired(ar.statement, o->until_us);
        if (result && json_object_get(results, result))
            json_object_set_new(
                results, result,
                json_integer(json_integer_value(json_object_get(results, result)) + 1));
        row = json_pack(
            "{s:s, s:o, s:s?, s:s?, s:O?, s:O?, s:s, s:o}", "id", l.v[i].id, "time",
            time_json(l.v[i].time_us), "kind", kind, "result", result, "summary",
            json_object_get(pred, "summary"), "subject",
            json_object_get(json_array_get(json_object_get(ar.statement, "subject"), 0), "name"),
            "key", l.v[i].key, "verified",
            o->nkeys ? json_boolean(ar.signature_checked) : json_null());
        if (row && sub &&
            (json_object_set_new(row, "attestation", json_string(sub)) < 0 ||
             json_object_set(row, "expires_at",
                             json_object_get(json_object_get(pred, "data"), "expires_at")) < 0 ||
             json_object_set_new(row, "expired", json_boolean(expired)) < 0)) {
            json_decref(row);
            row = NULL;
        }
        if (!row) {
            ea_audit_record_dispose(&ar);
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
        if (!latest) latest = json_incref(row);
        for (size_t k = 0; k < ngroups; k++) { /* newest first: the first match is the latest */
            if (groups[k].latest || (groups[k].kinds && !kind_in(groups[k].kinds, kind, sub)))
                continue;
            groups[k].latest = json_incref(row);
            groups[k].latest_us = l.v[i].time_us;
            groups[k].expired = expired;
        }
        ea_audit_record_dispose(&ar); /* kind and sub are borrowed from it */
        if (json_array_size(evidence) < EA_REPORT_EVIDENCE_MAX) json_array_append(evidence, row);
        json_decref(row);
    }
    if (sc->require && !(reqs = json_array())) {
        rc = ea_fail(EA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < ngroups; k++) {
        const char *f = group_freshness(&groups[k], sc, o), *v = group_verdict(&groups[k], f);
        if (rank(f) > rank(freshness)) freshness = f;
        if (rank(v) > rank(verdict)) verdict = v;
        if (reqs &&
            json_array_append_new(reqs, json_pack("{s:O, s:s, s:s, s:O?}", "kinds", groups[k].kinds,
                                                  "verdict", v, "freshness", f, "latest",
                                                  groups[k].latest)) < 0) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (bad) verdict = "failing"; /* a record that fails a check proves nothing, and says so */
    if (!count && !bad) verdict = freshness = "missing";
    if (json_object_set_new(c, "count", json_integer((json_int_t)count)) < 0 ||
        json_object_set(c, "results", results) < 0 ||
        json_object_set_new(c, "latest", latest ? json_incref(latest) : json_null()) < 0 ||
        json_object_set_new(c, "freshness", json_string(freshness)) < 0 ||
        json_object_set_new(c, "verdict", json_string(verdict)) < 0 ||
        json_object_set_new(c, "problems", json_integer((json_int_t)bad)) < 0 ||
        json_object_set_new(c, "verified",
                            o->nkeys ? json_boolean(bad == 0 && verified == count) : json_null()) <
            0 ||
        json_object_set(c, "evidence", evidence) < 0 ||
        json_object_set_new(c, "evidence_truncated",
                            json_boolean(count + bad > json_array_size(evidence))) < 0 ||
        (reqs && json_object_set(c, "requirements", reqs) < 0))
        rc = ea_fail(EA_ENOMEM, "out of memory");
out:
    groups_free(groups, ngroups);
    ea_store_items_dispose(&l);
    json_decref(latest);
    json_decref(reqs);
    json_decref(evidence);
    json_decref(results);
    return rc;
}

static int not_read(json_t *c)
{
    if (json_object_set_new(c, "count", json_integer(0)) < 0 ||
        json_object_set_new(
            c, "results",
            json_pack("{s:i, s:i, s:i, s:i}", "pass", 0, "fail", 0, "error", 0, "info", 0)) < 0 ||
        json_object_set_new(c, "latest", json_null()) < 0 ||
        json_object_set_new(c, "freshness", json_string("n/a")) < 0 ||
        json_object_set_new(c, "verdict", json_string("n/a")) < 0 ||
        json_object_set_new(c, "problems", json_integer(0)) < 0 ||
        json_object_set_new(c, "verified", json_null()) < 0 ||
        json_object_set_new(c, "evidence", json_array()) < 0 ||
        json_object_set_new(c, "evidence_truncated", json_false()) < 0)
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

int ea_report_build(json_t **out, unsigned *problems, const struct ea_soa *soa,
                    const struct ea_report_opts *o)
{
    json_t *doc, *controls = json_array(), *uncovered = json_array();
    size_t ncat, counts[4] = {0}; /* ok, stale, missing, failing */
    size_t by_status[3] = {0};
    const struct ea_control *all = ea_controls_all(&ncat);
    char max_age[32];
    int rc = 0;

    *out = NULL;
    *problems = 0;
    for (size_t i = 0; rc == 0 && i < soa->n; i++) {
        const struct ea_soa_control *sc = &soa->controls[i];
        json_t *c;
        const char *v;

        ea_duration_format(max_age, sc->max_age_us);
        c = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:O, s:O?, s:s, s:I}", "id", sc->control->id,
                      "title", sc->control->title, "theme", sc->control->theme, "status",
                      ea_soa_status_name(sc->status), "justification",
                      text_or_null(sc->justification), "owner", text_or_null(sc->owner),
                      "implementation", sc->implementation, "evidence_kinds", sc->kinds, "max_age",
                      max_age, "soa_line", (json_int_t)sc->line);
        if (!c || !controls || json_array_append_new(controls, c) < 0 ||
            (sc->require && json_object_set(c, "evidence_require", sc->require) < 0)) {
            rc = ea_fail(EA_ENOMEM, "out of memory");
            break;
        }
        by_status[sc->status]++;
        rc = sc->status == EA_SOA_APPLIED ? read_evidence(c, sc, o, problems) : not_read(c);
        v = json_string_value(json_object_get(c, "verdict"));
        if (rc == 0 && sc->status == EA_SOA_APPLIED) {
            if (strcmp(v, "ok") == 0)
                counts[0]++;
            else if (strcmp(v, "stale") == 0)
                counts[1]++;
            else if (strcmp(v, "missing") == 0)
                counts[2]++;
            else
                counts[3]++;
        }
    }
    for (size_t k = 0; rc == 0 && k < ncat; k++) {
        bool named = false;
        for (size_t i = 0; i < soa->n && !named; i++) named = soa->controls[i].control == &all[k];
        if (!named && json_array_append_new(uncovered, json_string(all[k].id)) < 0)
            rc = ea_fail(EA_ENOMEM, "out of memory");
    }
    if (rc < 0) {
        json_decref(controls);
        json_decref(uncovered);
        return rc;
    }
    doc = json_pack(
        "{s:i, s:o, s:{s:s, s:o, s:o}, s:s, s:{s:o, s:o}, s:b, "
        "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
        "report_version", 1, "generated_at", time_json(o->now_us), "soa", "file", soa->path,
        "organisation", text_or_null(soa->organisation), "scope", text_or_null(soa->scope), "store",
        o->store_url ? o->store_url : "", "period", "since",
        o->since_us > INT64_MIN ? time_json(o->since_us) : json_null(), "until",
        time_json(o->until_us), "signatures_checked", o->nkeys > 0, "summary", "controls_in_soa",
        (json_int_t)soa->n, "applied", (json_int_t)by_status[EA_SOA_APPLIED], "planned",
        (json_int_t)by_status[EA_SOA_PLANNED], "excluded", (json_int_t)by_status[EA_SOA_EXCLUDED],
        "ok", (json_int_t)counts[0], "stale", (json_int_t)counts[1], "missing",
        (json_int_t)counts[2], "failing", (json_int_t)counts[3], "not_covered",
        (json_int_t)json_array_size(uncovered), "records_failing_checks", (json_int_t)*problems,
        "controls", controls, "not_covered", uncovered);
    if (!doc) return ea_fail(EA_ENOMEM, "out of memory");
    if (soa->nframeworks) { /* the per-framework summaries, from the report just made */
        json_t *list = json_array();
        rc = list && json_object_set_new(doc, "frameworks", list) == 0
                 ? 0
                 : ea_fail(EA_ENOMEM, "out of memory");
        for (size_t k = 0; rc == 0 && k < soa->nframeworks; k++) {
            json_t *fr = NULL;
            rc = ea_report_framework_build(&fr, doc, soa->frameworks[k]);
            if (rc == 0 && json_array_append_new(list, ea_report_framework_summary(fr)) < 0)
                rc = ea_fail(EA_ENOMEM, "out of memory");
            json_decref(fr);
        }
        if (rc < 0) {
            json_decref(doc);
            return rc;
        }
    }
    *out = doc;
    return 0;
}

size_t ea_report_not_ready(const json_t *report)
{
    const json_t *s = json_object_get(report, "summary");

    return (size_t)(json_integer_value(json_object_get(s, "stale")) +
                    json_integer_value(json_object_get(s, "missing")) +
                    json_integer_value(json_object_get(s, "failing")));
}
