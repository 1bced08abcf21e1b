/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scanner reports; see scan_report.h. Each format is a row of the format
 * table below, defined in its own file (scan_sarif.c, scan_trivy.c, ...):
 * the root keys that identify it, the paths whose values it reads
 * (util/jstream.h), and a handler turning each value into findings. This file
 * holds what they share: the kept findings, detection, the summary.
 *
 * Severity mapping, in one place (tested by tests/cli/test_scan.sh over the
 * reports in tests/collectors/scan/, and fuzzed by tests/fuzz/scan_*_fuzz.c):
 *
 *   SARIF      properties."security-severity" of the result, else of its rule,
 *              as a CVSS score: >= 9.0 critical, >= 7.0 high, >= 4.0 medium,
 *              > 0 low, 0 info. Without it, the level of the result, else the
 *              rule's defaultConfiguration.level, else "warning": error -> high,
 *              warning -> medium, note -> low, none -> info. Only a result
 *              of kind fail (the default) is a finding: per SARIF 2.1.0
 *              (3.27.9) the others (pass, open, review, informational,
 *              notApplicable) carry no problem level and are counted apart
 *              by kind (sarif_kinds).
 *              Suppressed: a suppression whose status is absent or "accepted"
 *              ("underReview" and "rejected" are not). baselineState "absent"
 *              (fixed since the baseline) is counted apart, not as a finding.
 *   Trivy      Severity as written (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN),
 *              for vulnerabilities, secrets and license findings alike
 *              (Results[].Licenses[], category license, counted apart too);
 *              misconfigurations count when Status is FAIL, EXCEPTION is
 *              suppressed, PASS is not a finding; ExperimentalModifiedFindings
 *              and ModifiedFindings are suppressed.
 *   Grype      vulnerability.severity: Critical, High, Medium, Low, Negligible
 *              -> info, Unknown; ignoredMatches are suppressed.
 *   gitleaks   every finding is high (a secret in the code); Secret, Match,
 *              offender and line are never read.
 *   CycloneDX  the highest ratings[].severity (critical, high, medium, low,
 *              info, none -> info, unknown); analysis.state not_affected,
 *              false_positive, resolved or resolved_with_pedigree is suppressed.
 *   ZAP        riskcode 3 high, 2 medium, 1 low, 0 info; confidence 0 (false
 *              positive) is suppressed.
 */
#include "scan_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/jstream.h"
#include "util/json.h"
#include "util/mem.h"
#include "util/redact.h"
#include "util/utf8.h"

static const char *const sev_names[EA_SEV_COUNT] = {"unknown", "info", "low",
                                                    "medium",  "high", "critical"};

const char *ea_sev_name(enum ea_sev s)
{
    return (unsigned)s < EA_SEV_COUNT ? sev_names[s] : "unknown";
}

int ea_sev_parse(const char *s)
{
    for (int i = 0; s && i < EA_SEV_COUNT; i++)
        if (strcasecmp(s, sev_names[i]) == 0) return i;
    return -1;
}

enum ea_sev ea_sev_from_cvss(double score)
{
    if (score >= 9.0) return EA_SEV_CRITICAL;
    if (score >= 7.0) return EA_SEV_HIGH;
    if (score >= 4.0) return EA_SEV_MEDIUM;
    if (score > 0.0) return EA_SEV_LOW;
    return EA_SEV_INFO;
}

/* A severity word of a report, any case; synonyms of the formats included. */
enum ea_sev ea_scan_sev_word(const char *s)
{
    int v = ea_sev_parse(s);

    if (v >= 0) return (enum ea_sev)v;
    if (!s) return EA_SEV_UNKNOWN;
    if (strcasecmp(s, "negligible") == 0 || strcasecmp(s, "none") == 0) return EA_SEV_INFO;
    if (strcasecmp(s, "moderate") == 0) return EA_SEV_MEDIUM;
    return EA_SEV_UNKNOWN;
}

void ea_scan_set_text(json_t **slot, const char *s)
{
    if (*slot || !s || !*s) return; /* the first one the report gives wins */
    *slot = ea_redact_utf8_json(s, strlen(s), 512);
}

/* ---- kept findings: the worst max_findings, suppressed ones last ---- */

static void find_min(struct ea_scan_report *r)
{
    r->min_kept = 0;
    for (size_t i = 1; i < r->nkept; i++) {
        const struct ea_scan_kept *a = &r->kept[i], *m = &r->kept[r->min_kept];
        if (a->prio < m->prio || (a->prio == m->prio && a->seq > m->seq)) r->min_kept = (int)i;
    }
}

/* A bounded text of a finding, or null. */
json_t *ea_scan_bounded(const char *s, size_t max)
{
    return s && *s ? ea_redact_utf8_json(s, strlen(s), max) : json_null();
}

int ea_scan_finding(struct ea_scan_report *r, enum ea_sev sev, bool suppressed, const char *rule,
                    const char *title, const char *location, const char *fingerprint)
{
    int prio = suppressed ? 0 : (int)sev + 1;
    struct ea_scan_kept *slot;
    json_t *o;

    r->total++;
    if (suppressed)
        r->suppressed++;
    else
        r->counts[sev]++;
    r->seq++;
    if (r->max_findings == 0) {
        r->truncated = true;
        return 0;
    }
    if (r->nkept == r->max_findings) {
        r->truncated = true;
        if (prio <= r->kept[r->min_kept].prio) return 0;
        slot = &r->kept[r->min_kept];
        json_decref(slot->obj);
    } else {
        slot = &r->kept[r->nkept++];
    }
    o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:b}", "rule", ea_scan_bounded(rule, 256), "severity",
                  ea_sev_name(sev), "title", ea_scan_bounded(title, 300), "location",
                  ea_scan_bounded(location, 512), "fingerprint", ea_scan_bounded(fingerprint, 256),
                  "suppressed", suppressed);
    *slot = (struct ea_scan_kept){o, prio, r->seq};
    if (!o) return ea_fail(EA_ENOMEM, "out of memory");
    if (r->nkept == r->max_findings) find_min(r);
    return 0;
}

static int by_priority(const void *a, const void *b)
{
    const struct ea_scan_kept *x = a, *y = b;
    if (x->prio != y->prio) return y->prio - x->prio;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "file:line", "file", or NULL; written into buf. */
const char *ea_scan_file_line(char *buf, size_t cap, const char *file, long long line)
{
    if (!file || !*file) return NULL;
    if (line > 0)
        snprintf(buf, cap, "%s:%lld", file, line);
    else
        snprintf(buf, cap, "%s", file);
    return buf;
}

const char *ea_scan_pkg_at(char *buf, size_t cap, const char *name, const char *version)
{
    if (!name || !*name) return NULL;
    if (version && *version)
        snprintf(buf, cap, "%s@%s", name, version);
    else
        snprintf(buf, cap, "%s", name);
    return buf;
}

/* ---- the format table: one file per format (scan_<name>.c), in detection order ---- */

static const struct ea_scan_format *const formats[] = {
    &ea_scan_format_sarif,    &ea_scan_format_trivy,     &ea_scan_format_grype,
    &ea_scan_format_gitleaks, &ea_scan_format_cyclonedx, &ea_scan_format_zap,
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct ea_scan_format *ea_scan_format_find(const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (strcmp(formats[i]->name, name) == 0) return formats[i];
    return NULL;
}

const char *ea_scan_format_name(const struct ea_scan_format *f)
{
    return f->name;
}

const char *ea_scan_format_list(void)
{
    return "sarif, trivy, grype, gitleaks, cyclonedx, zap";
}

/* ---- detection ---- */

struct sniff {
    unsigned keys[NFORMATS]; /* signature keys seen per format */
    char first_key[64];
    bool trivy_legacy, gitleaks_like, cdx;
};

static void sniff_key(void *ctx, int depth, const char *key, size_t len)
{
    struct sniff *s = ctx;

    if (depth == 2) { /* keys of the root array's first element */
        if ((len == 6 && memcmp(key, "Target", 6) == 0)) s->trivy_legacy = true;
        if ((len == 6 && memcmp(key, "RuleID", 6) == 0) ||
            (len == 4 && memcmp(key, "rule", 4) == 0))
            s->gitleaks_like = true;
        return;
    }
    if (!s->first_key[0]) snprintf(s->first_key, sizeof(s->first_key), "%.*s", (int)len, key);
    for (size_t f = 0; f < NFORMATS; f++)
        for (size_t k = 0; formats[f]->signature[k]; k++)
            if (strlen(formats[f]->signature[k]) == len &&
                memcmp(formats[f]->signature[k], key, len) == 0)
                s->keys[f] |= 1u << k;
}

static int sniff_value(void *ctx, int path, json_t *v, const size_t *wild, size_t nwild)
{
    struct sniff *s = ctx;

    (void)path;
    (void)wild;
    (void)nwild;
    if (json_is_string(v) && strcmp(json_string_value(v), "CycloneDX") == 0) s->cdx = true;
    return 0;
}

static const char *skip_bom_ws(const char *p, const char *end)
{
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

int ea_scan_detect(const char *head, size_t len, const struct ea_scan_format **out)
{
    static const char *const paths[] = {"bomFormat", NULL};
    const char *p = skip_bom_ws(head, head + len);
    struct ea_jstream *js = NULL;
    struct sniff s;
    int rc;

    *out = NULL;
    memset(&s, 0, sizeof(s));
    if (p == head + len) return ea_fail(EA_EINPUT, "empty: no JSON at all");
    rc = ea_jstream_new(&js, paths, sniff_value, sniff_key, &s);
    if (rc < 0) return rc;
    rc = ea_jstream_feed(js, p, (size_t)(head + len - p));
    if (rc == 0 && len < 65536) rc = ea_jstream_finish(js); /* all of it: must be whole */
    ea_jstream_free(js);
    if (rc < 0) return rc;
    if (*p == '[') {
        *out = s.trivy_legacy ? ea_scan_format_find("trivy") : ea_scan_format_find("gitleaks");
        const char *q = skip_bom_ws(p + 1, head + len);
        if (!s.trivy_legacy && !s.gitleaks_like && !(q < head + len && *q == ']')) *out = NULL;
    } else if (s.cdx) {
        *out = ea_scan_format_find("cyclonedx");
    } else {
        for (size_t f = 0; f < NFORMATS && !*out; f++)
            if (s.keys[f] && strcmp(formats[f]->name, "cyclonedx") != 0) *out = formats[f];
    }
    if (!*out)
        return ea_fail(EA_EINPUT,
                       "not a report of a known format (%s)%s%s%s; force one with "
                       "scan=PATH,format=NAME",
                       ea_scan_format_list(), *p == '{' ? ": its first key is \"" : "",
                       *p == '{' ? s.first_key : "", *p == '{' ? "\"" : "");
    return 0;
}

/* ---- the report ---- */

static int on_value(void *ctx, int path, json_t *v, const size_t *wild, size_t nwild)
{
    struct ea_scan_report *r = ctx;
    return r->fmt->handle(r, path, v, wild, nwild);
}

static void on_key(void *ctx, int depth, const char *key, size_t len)
{
    struct ea_scan_report *r = ctx;

    if (depth != 1) return;
    r->root_object = true;
    for (size_t k = 0; r->fmt->signature[k]; k++)
        if (strlen(r->fmt->signature[k]) == len && memcmp(r->fmt->signature[k], key, len) == 0)
            r->root_keys |= 1u << k;
}

int ea_scan_init(struct ea_scan_report *r, const struct ea_scan_format *fmt, size_t max_findings)
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->fmt = fmt;
    r->category = fmt->category;
    r->components = -1;
    r->max_findings = max_findings > EA_SCAN_FINDINGS_MAX ? EA_SCAN_FINDINGS_MAX : max_findings;
    if (r->max_findings && !(r->kept = ea_calloc(r->max_findings, sizeof(*r->kept))))
        return ea_fail(EA_ENOMEM, "out of memory");
    if (strcmp(fmt->name, "cyclonedx") == 0) r->components = 0;
    rc = ea_jstream_new(&r->js, fmt->paths, on_value, on_key, r);
    if (rc < 0) ea_scan_dispose(r);
    return rc;
}

int ea_scan_feed(struct ea_scan_report *r, const char *data, size_t len)
{
    if (ea_jstream_offset(r->js) == 0) { /* a UTF-8 byte-order mark is allowed, and skipped */
        const char *p = data;
        if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
            (unsigned char)p[2] == 0xBF) {
            data += 3;
            len -= 3;
        }
    }
    return len ? ea_jstream_feed(r->js, data, len) : 0;
}

static const char *category_of(const struct ea_scan_report *r)
{
    if (strcmp(r->fmt->name, "trivy") != 0 || !r->categories) return r->category;
    if (r->categories & EA_SCAN_CAT_SCA) return "sca";
    if (r->categories & EA_SCAN_CAT_IAC) return "iac";
    if (r->categories & EA_SCAN_CAT_SECRETS) return "secrets";
    return "license";
}

int ea_scan_finish(struct ea_scan_report *r, json_t **out)
{
    json_t *counts, *findings, *kinds = NULL;
    int rc;

    *out = NULL;
    rc = ea_jstream_finish(r->js);
    if (rc < 0) return rc;
    /* a forced format must be the report's: its keys at the root, or for gitleaks and
     * Trivy's legacy form a root list (or null: no findings) */
    if (strcmp(r->fmt->name, "gitleaks") == 0
            ? r->root_object
            : r->root_object && r->fmt->signature[0] && !r->root_keys)
        return ea_fail(EA_EINPUT, "not a %s report: %s", r->fmt->name,
                       r->fmt->signature[0] ? "none of its keys at the root"
                                            : "its root is an object, not a list");
    if (!r->root_object && strcmp(r->fmt->name, "gitleaks") != 0 &&
        strcmp(r->fmt->name, "trivy") != 0)
        return ea_fail(EA_EINPUT, "not a %s report: its root is not an object", r->fmt->name);
    if (strcmp(r->fmt->name, "cyclonedx") == 0 && !r->cdx_marker)
        return ea_fail(EA_EINPUT, "not a CycloneDX document: no bomFormat");
    if (!r->tool_name) {
        static const struct {
            const char *format, *tool;
        } implied[] = {
            {"trivy", "Trivy"}, {"grype", "grype"}, {"gitleaks", "gitleaks"}, {"zap", "OWASP ZAP"}};
        for (size_t i = 0; i < sizeof(implied) / sizeof(implied[0]); i++)
            if (strcmp(implied[i].format, r->fmt->name) == 0)
                ea_scan_set_text(&r->tool_name, implied[i].tool);
    }
    counts = json_object();
    for (int s = EA_SEV_CRITICAL; counts && s >= EA_SEV_UNKNOWN; s--)
        if (json_object_set_new(counts, sev_names[s], json_integer((json_int_t)r->counts[s])) < 0) {
            json_decref(counts);
            counts = NULL;
        }
    qsort(r->kept, r->nkept, sizeof(*r->kept), by_priority);
    findings = json_array();
    for (size_t i = 0; findings && i < r->nkept; i++) {
        if (json_array_append(findings, r->kept[i].obj) < 0) {
            json_decref(findings);
            findings = NULL;
        }
    }
    if (strcmp(r->fmt->name, "sarif") == 0) {
        kinds = json_object();
        for (size_t k = 0;
             kinds && k < sizeof(ea_scan_sarif_kind_names) / sizeof(ea_scan_sarif_kind_names[0]);
             k++)
            if (json_object_set_new(kinds, ea_scan_sarif_kind_names[k],
                                    json_integer((json_int_t)r->sarif_kinds[k])) < 0) {
                json_decref(kinds);
                kinds = NULL;
            }
    }
    if (!counts || !findings || (!kinds && strcmp(r->fmt->name, "sarif") == 0)) {
        json_decref(counts);
        json_decref(findings);
        json_decref(kinds);
        return ea_fail(EA_ENOMEM, "out of memory");
    }
    *out = json_pack(
        "{s:s, s:{s:O?, s:O?}, s:s, s:{s:O?, s:O?, s:O?, s:O?}, s:o, s:I, s:I, s:I, "
        "s:o, s:o, s:o, s:b, s:o*, s:o*}",
        "format", r->fmt->name, "tool", "name", r->tool_name, "version", r->tool_version,
        "category", category_of(r), "scanned", "artifact", r->artifact, "artifact_type",
        r->artifact_type, "repository", r->repository, "commit", r->commit, "counts", counts,
        "suppressed", (json_int_t)r->suppressed, "absent", (json_int_t)r->absent, "total",
        (json_int_t)r->total, "components",
        r->components >= 0 ? json_integer(r->components) : json_null(), "runs",
        strcmp(r->fmt->name, "sarif") == 0 ? json_integer((json_int_t)r->runs) : json_null(),
        "findings", findings, "findings_truncated", r->truncated, "licenses",
        strcmp(r->fmt->name, "trivy") == 0 ? json_integer((json_int_t)r->licenses) : NULL,
        "sarif_kinds", kinds);
    return *out ? 0 : ea_fail(EA_ENOMEM, "out of memory");
}

int ea_scan_rules_pass(struct ea_scan_report *r, bool on)
{
    r->rules_only = on;
    if (on && !r->run_rules && !(r->run_rules = json_array()))
        return ea_fail(EA_ENOMEM, "out of memory");
    return 0;
}

int ea_scan_preload_rules(struct ea_scan_report *to, struct ea_scan_report *from)
{
    json_decref(to->run_rules);
    to->run_rules = json_incref(from->run_rules);
    to->rules_preloaded = to->run_rules != NULL;
    return 0;
}

void ea_scan_dispose(struct ea_scan_report *r)
{
    json_decref(r->run_rules);
    ea_jstream_free(r->js);
    for (size_t i = 0; i < r->nkept; i++) json_decref(r->kept[i].obj);
    ea_free(r->kept);
    json_decref(r->tool_name);
    json_decref(r->tool_version);
    json_decref(r->artifact);
    json_decref(r->artifact_type);
    json_decref(r->repository);
    json_decref(r->commit);
    json_decref(r->rules_by_id);
    json_decref(r->rules_by_index);
    memset(r, 0, sizeof(*r));
}
