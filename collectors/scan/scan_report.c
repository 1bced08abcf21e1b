/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scanner reports; see scan_report.h. Each format is a row of the format
 * table at the end: the root keys that identify it, the paths whose values it
 * reads (util/jstream.h), and a handler turning each value into findings.
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
#define _GNU_SOURCE 1 /* strcasestr */
#include "scan_report.h"

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

struct ea_scan_kept {
    json_t *obj; /* owned */
    int prio;    /* 0 suppressed, else severity + 1 */
    uint64_t seq;
};

typedef int (*scan_handler)(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                            size_t nwild);

struct ea_scan_format {
    const char *name;
    const char *category;         /* default category */
    const char *const *signature; /* root keys, any of which identifies the format */
    const char *const *paths;
    scan_handler handle;
};

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
static enum ea_sev sev_word(const char *s)
{
    int v = ea_sev_parse(s);

    if (v >= 0) return (enum ea_sev)v;
    if (!s) return EA_SEV_UNKNOWN;
    if (strcasecmp(s, "negligible") == 0 || strcasecmp(s, "none") == 0) return EA_SEV_INFO;
    if (strcasecmp(s, "moderate") == 0) return EA_SEV_MEDIUM;
    return EA_SEV_UNKNOWN;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const json_t *at(const json_t *o, const char *key)
{
    return json_object_get(o, key);
}

static void set_text(json_t **slot, const char *s)
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
static json_t *bounded(const char *s, size_t max)
{
    return s && *s ? ea_redact_utf8_json(s, strlen(s), max) : json_null();
}

static int finding(struct ea_scan_report *r, enum ea_sev sev, bool suppressed, const char *rule,
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
    o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:b}", "rule", bounded(rule, 256), "severity",
                  ea_sev_name(sev), "title", bounded(title, 300), "location",
                  bounded(location, 512), "fingerprint", bounded(fingerprint, 256), "suppressed",
                  suppressed);
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
static const char *file_line(char *buf, size_t cap, const char *file, long long line)
{
    if (!file || !*file) return NULL;
    if (line > 0)
        snprintf(buf, cap, "%s:%lld", file, line);
    else
        snprintf(buf, cap, "%s", file);
    return buf;
}

static const char *pkg_at(char *buf, size_t cap, const char *name, const char *version)
{
    if (!name || !*name) return NULL;
    if (version && *version)
        snprintf(buf, cap, "%s@%s", name, version);
    else
        snprintf(buf, cap, "%s", name);
    return buf;
}

/* ---- SARIF 2.1.0 ---- */

enum {
    SARIF_VERSION,
    SARIF_NAME,
    SARIF_TOOL_VERSION,
    SARIF_SEMVER,
    SARIF_RULE,
    SARIF_EXT_RULE,
    SARIF_RESULTS,
    SARIF_RESULT,
    SARIF_VCS,
    SARIF_RUN
};
static const char *const sarif_paths[] = {"version",
                                          "runs.*.tool.driver.name",
                                          "runs.*.tool.driver.version",
                                          "runs.*.tool.driver.semanticVersion",
                                          "runs.*.tool.driver.rules.*",
                                          "runs.*.tool.extensions.*.rules.*",
                                          "#runs.*.results",
                                          "~runs.*.results.*",
                                          "runs.*.versionControlProvenance.*",
                                          "#runs.*",
                                          NULL};

/* A CVSS score from its text (as the flat view gives it), or -1 unless 0 to 10. */
static double score_text(const char *s)
{
    char *end;
    double d;

    if (!s) return -1;
    d = strtod(s, &end);
    return end != s && *end == '\0' && d >= 0 && d <= 10 ? d : -1;
}

/* The same from a rule's JSON value, a number or a numeric string. */
static double score_of(const json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v) >= 0 && json_number_value(v) <= 10 ? json_number_value(v) : -1;
    return score_text(json_string_value(v));
}

static enum ea_sev sarif_level(const char *level)
{
    if (!level) return EA_SEV_MEDIUM; /* SARIF's default level is warning */
    if (strcmp(level, "error") == 0) return EA_SEV_HIGH;
    if (strcmp(level, "warning") == 0) return EA_SEV_MEDIUM;
    if (strcmp(level, "note") == 0) return EA_SEV_LOW;
    if (strcmp(level, "none") == 0) return EA_SEV_INFO;
    return EA_SEV_UNKNOWN;
}

/*
 * The rules of run `run` become current. Normally they are read as they come
 * (tool before results, as most producers write); when a report gives them
 * after its results, a first pass reads only the rules of every run
 * (rules_only) and the second starts with them (run_rules).
 */
static void sarif_new_run(struct ea_scan_report *r, size_t run)
{
    json_t *pre = json_array_get(r->run_rules, run);

    if (run == r->run && r->rules_by_id) return;
    r->run = run;
    r->results_in_run = false;
    json_decref(r->rules_by_id);
    json_decref(r->rules_by_index);
    if (r->rules_preloaded && pre) {
        r->rules_by_id = json_incref(json_array_get(pre, 0));
        r->rules_by_index = json_incref(json_array_get(pre, 1));
        return;
    }
    r->rules_by_id = json_object();
    r->rules_by_index = json_array();
    if (r->rules_only && r->run_rules) { /* keep them for the second pass */
        while (json_array_size(r->run_rules) <= run)
            json_array_append_new(r->run_rules, json_null());
        json_array_set_new(r->run_rules, run,
                           json_pack("[O, O]", r->rules_by_id, r->rules_by_index));
    }
}

static int sarif_rule(struct ea_scan_report *r, json_t *rule, bool indexed)
{
    const char *id = str(rule, "id");
    json_t *small = json_pack("{s:o, s:O?, s:O?}", "id", bounded(id, 256), "ss",
                              at(at(rule, "properties"), "security-severity"), "level",
                              at(at(rule, "defaultConfiguration"), "level"));

    if (!small) return ea_fail(EA_ENOMEM, "out of memory");
    if (id && strlen(id) < 512 && json_object_size(r->rules_by_id) < 100000)
        json_object_set(r->rules_by_id, id, small);
    if (indexed && json_array_size(r->rules_by_index) < 100000)
        json_array_append(r->rules_by_index, small);
    json_decref(small);
    return 0;
}

/* A result's fields, read in one pass over the flat result (see util/jstream.h). */
struct sarif_fields {
    const char *rule_id, *rule_ref_id, *kind, *level, *baseline, *score, *text, *uri, *line;
    const char *fingerprint, *partial_fingerprint;
    long rule_index;
    bool suppressed;
};

/* "suppressions.N" and "suppressions.N.status": suppressed unless every one is rejected or
 * under review. */
static void sarif_suppression(struct sarif_fields *f, const struct ea_jflat *flat, size_t i)
{
    const struct ea_jflat_node *nd = &flat->nodes[i];
    const char *p = nd->path + 13; /* after "suppressions." */
    size_t digits = strspn(p, "0123456789"), plen = strlen(nd->path);
    const char *status = NULL;

    if (nd->type != JSON_OBJECT || digits == 0 || p[digits] != '\0') return;
    /* its members follow it in document order: look only there, not at the whole result */
    for (size_t j = i + 1; j < flat->n; j++) {
        const char *q = flat->nodes[j].path;
        if (strncmp(q, nd->path, plen) != 0 || q[plen] != '.') break;
        if (strcmp(q + plen + 1, "status") == 0) status = flat->nodes[j].text;
    }
    if (!status || strcmp(status, "accepted") == 0) f->suppressed = true;
}

static void sarif_fields(struct sarif_fields *f, const struct ea_jflat *flat)
{
    memset(f, 0, sizeof(*f));
    f->rule_index = -1;
    for (size_t i = 0; i < flat->n; i++) {
        const struct ea_jflat_node *nd = &flat->nodes[i];
        const char *p = nd->path, *t = nd->type == JSON_STRING ? nd->text : NULL;
        bool num = nd->type == JSON_INTEGER || nd->type == JSON_REAL;
        switch (p[0]) {
        case 'r':
            if (strcmp(p, "ruleId") == 0)
                f->rule_id = t;
            else if (strcmp(p, "ruleIndex") == 0 && nd->type == JSON_INTEGER)
                f->rule_index = strtol(nd->text, NULL, 10);
            else if (strcmp(p, "rule.id") == 0)
                f->rule_ref_id = t;
            else if (strcmp(p, "rule.index") == 0 && nd->type == JSON_INTEGER && f->rule_index < 0)
                f->rule_index = strtol(nd->text, NULL, 10);
            break;
        case 'k':
            if (strcmp(p, "kind") == 0) f->kind = t;
            break;
        case 'l':
            if (strcmp(p, "level") == 0)
                f->level = t;
            else if (strcmp(p, "locations.0.physicalLocation.artifactLocation.uri") == 0)
                f->uri = t;
            else if (strcmp(p, "locations.0.physicalLocation.region.startLine") == 0 && num)
                f->line = nd->text;
            break;
        case 'b':
            if (strcmp(p, "baselineState") == 0) f->baseline = t;
            break;
        case 'p':
            if (strcmp(p, "properties.security-severity") == 0 && (t || num))
                f->score = nd->text;
            else if (!f->partial_fingerprint && t && strncmp(p, "partialFingerprints.", 20) == 0 &&
                     !strchr(p + 20, '.'))
                f->partial_fingerprint = t;
            break;
        case 'f':
            if (!f->fingerprint && t && strncmp(p, "fingerprints.", 13) == 0 &&
                !strchr(p + 13, '.'))
                f->fingerprint = t;
            break;
        case 'm':
            if (strcmp(p, "message.text") == 0) f->text = t;
            break;
        case 's':
            if (strncmp(p, "suppressions.", 13) == 0) sarif_suppression(f, flat, i);
            break;
        }
    }
}


/* SARIF 2.1.0 result kinds other than fail, in the order of ea_scan_report.sarif_kinds. */
static const char *const sarif_kind_names[] = {"pass", "open", "review", "informational",
                                               "notApplicable"};

static int sarif_result(struct ea_scan_report *r, const struct ea_jflat *flat)
{
    struct sarif_fields f;
    const json_t *rule = NULL;
    const char *rule_id, *level;
    double score;
    enum ea_sev sev;
    char where[600];

    sarif_fields(&f, flat);
    if (f.baseline && strcmp(f.baseline, "absent") == 0) {
        r->absent++;
        return 0;
    }
    rule_id = f.rule_id ? f.rule_id : f.rule_ref_id;
    if (rule_id) rule = at(r->rules_by_id, rule_id);
    if (!rule && f.rule_index >= 0) {
        rule = json_array_get(r->rules_by_index, (size_t)f.rule_index);
        if (!rule_id) rule_id = str(rule, "id");
    }
    if (f.kind && strcmp(f.kind, "fail") != 0) { /* not a problem: counted apart by kind */
        for (size_t k = 0; k < sizeof(sarif_kind_names) / sizeof(sarif_kind_names[0]); k++) {
            if (strcmp(f.kind, sarif_kind_names[k]) == 0) {
                r->sarif_kinds[k]++;
                return 0;
            }
        }
    } /* an unknown kind is read as fail: a finding is never lost to a misspelling */
    score = score_text(f.score);
    if (score < 0) score = score_of(at(rule, "ss"));
    level = f.level ? f.level : str(rule, "level");
    if (score >= 0)
        sev = ea_sev_from_cvss(score);
    else
        sev = sarif_level(level);
    return finding(r, sev, f.suppressed, rule_id, f.text,
                   file_line(where, sizeof(where), f.uri, f.line ? strtoll(f.line, NULL, 10) : 0),
                   f.partial_fingerprint ? f.partial_fingerprint : f.fingerprint);
}

/* A SARIF run's tool says what it is best filed as. */
static const char *sarif_category(const char *tool)
{
    static const struct {
        const char *needle, *category;
    } by_tool[] = {
        {"gitleaks", "secrets"}, {"trufflehog", "secrets"}, {"detect-secrets", "secrets"},
        {"grype", "sca"},        {"trivy", "sca"},          {"snyk", "sca"},
        {"dependency", "sca"},   {"zap", "dast"},           {"checkov", "iac"},
        {"tfsec", "iac"},        {"kics", "iac"},           {"dockle", "iac"},
        {"hadolint", "iac"},     {"terrascan", "iac"},
    };
    for (size_t i = 0; tool && i < sizeof(by_tool) / sizeof(by_tool[0]); i++)
        if (strcasestr(tool, by_tool[i].needle)) return by_tool[i].category;
    return "sast";
}

static int sarif_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                        size_t nwild)
{
    size_t run = nwild ? wild[0] : 0;

    switch (path) {
    case SARIF_VERSION:
        if (!json_is_string(v) || strcmp(json_string_value(v), "2.1.0") != 0)
            return ea_fail(EA_EINPUT, "SARIF version %s is not supported: only 2.1.0 is read",
                           json_is_string(v) ? json_string_value(v) : "(not a string)");
        return 0;
    case SARIF_RUN: r->runs++; return 0;
    case SARIF_NAME:
        if (run == 0) {
            set_text(&r->tool_name, json_string_value(v));
            r->category = sarif_category(json_string_value(v));
        }
        return 0;
    case SARIF_TOOL_VERSION:
    case SARIF_SEMVER:
        if (run == 0) set_text(&r->tool_version, json_string_value(v));
        return 0;
    case SARIF_RULE:
    case SARIF_EXT_RULE:
        if (r->rules_preloaded) return 0; /* read by the first pass */
        sarif_new_run(r, run);
        if (r->results_in_run) { /* too late for the results read: a second pass is needed */
            r->rules_late = true;
            return ea_fail(EA_EINPUT, "runs[%zu]: the tool's rules come after results", run);
        }
        return sarif_rule(r, v, path == SARIF_RULE);
    case SARIF_RESULTS:
        if (v && !json_is_null(v))
            return ea_fail(EA_EINPUT, "runs[%zu].results is not a list", run);
        return 0;
    case SARIF_RESULT:
        if (r->rules_only) return 0;
        sarif_new_run(r, run);
        if (!r->rules_by_id) return ea_fail(EA_ENOMEM, "out of memory");
        r->results_in_run = true;
        return sarif_result(r, ea_jstream_flat(r->js));
    case SARIF_VCS:
        if (run == 0) {
            set_text(&r->repository, str(v, "repositoryUri"));
            set_text(&r->commit, str(v, "revisionId"));
        }
        return 0;
    }
    return 0;
}

/* ---- Trivy ---- */

enum {
    TRIVY_NAME,
    TRIVY_TYPE,
    TRIVY_VERSION,
    TRIVY_VULN,
    TRIVY_MISCONF,
    TRIVY_SECRET,
    TRIVY_MODIFIED,
    TRIVY_MODIFIED2,
    TRIVY_LEGACY_VULN,
    TRIVY_K8S_VULN,
    TRIVY_K8S_MISCONF,
    TRIVY_RESULT_TARGET,
    TRIVY_CLUSTER,
    TRIVY_RES_VULN, /* trivy k8s: Resources[].Results[] (and the consolidated Findings[]) */
    TRIVY_RES_MISCONF,
    TRIVY_RES_SECRET,
    TRIVY_FIND_VULN,
    TRIVY_FIND_MISCONF,
    TRIVY_FIND_SECRET,
    TRIVY_LICENSE,
    TRIVY_RES_LICENSE,
    TRIVY_FIND_LICENSE
};
static const char *const trivy_paths[] = {"ArtifactName",
                                          "ArtifactType",
                                          "Trivy.Version",
                                          "Results.*.Vulnerabilities.*",
                                          "Results.*.Misconfigurations.*",
                                          "Results.*.Secrets.*",
                                          "Results.*.ExperimentalModifiedFindings.*",
                                          "Results.*.ModifiedFindings.*",
                                          "*.Vulnerabilities.*",
                                          "Vulnerabilities.*.Results.*.Vulnerabilities.*",
                                          "Misconfigurations.*.Results.*.Misconfigurations.*",
                                          "Results.*.Target",
                                          "ClusterName",
                                          "Resources.*.Results.*.Vulnerabilities.*",
                                          "Resources.*.Results.*.Misconfigurations.*",
                                          "Resources.*.Results.*.Secrets.*",
                                          "Findings.*.Results.*.Vulnerabilities.*",
                                          "Findings.*.Results.*.Misconfigurations.*",
                                          "Findings.*.Results.*.Secrets.*",
                                          "Results.*.Licenses.*",
                                          "Resources.*.Results.*.Licenses.*",
                                          "Findings.*.Results.*.Licenses.*",
                                          NULL};

#define CAT_SCA 1u
#define CAT_IAC 2u
#define CAT_SECRETS 4u
#define CAT_LICENSE 8u

/* A license finding (trivy --scanners license): Name is the license, Category its class. */
static int trivy_license(struct ea_scan_report *r, const json_t *v)
{
    char where[600], title[300];

    r->categories |= CAT_LICENSE;
    r->licenses++;
    snprintf(title, sizeof(title), "license %.200s (%.60s)",
             str(v, "Name") ? str(v, "Name") : "unknown",
             str(v, "Category") ? str(v, "Category") : "unclassified");
    return finding(r, sev_word(str(v, "Severity")), false, str(v, "Name"), title,
                   str(v, "PkgName") ? pkg_at(where, sizeof(where), str(v, "PkgName"), NULL)
                                     : str(v, "FilePath"),
                   NULL);
}

static int trivy_vuln(struct ea_scan_report *r, const json_t *v, bool suppressed)
{
    char where[600];

    r->categories |= CAT_SCA;
    return finding(r, sev_word(str(v, "Severity")), suppressed, str(v, "VulnerabilityID"),
                   str(v, "Title") ? str(v, "Title") : str(v, "VulnerabilityID"),
                   pkg_at(where, sizeof(where), str(v, "PkgName"), str(v, "InstalledVersion")),
                   str(v, "PkgID"));
}

static int trivy_misconf(struct ea_scan_report *r, const json_t *v)
{
    const char *status = str(v, "Status");
    char where[600];

    r->categories |= CAT_IAC;
    if (status && strcmp(status, "PASS") == 0) return 0;
    return finding(r, sev_word(str(v, "Severity")), status && strcmp(status, "EXCEPTION") == 0,
                   str(v, "AVDID") ? str(v, "AVDID") : str(v, "ID"), str(v, "Title"),
                   file_line(where, sizeof(where), str(at(v, "CauseMetadata"), "Resource"),
                             json_integer_value(at(at(v, "CauseMetadata"), "StartLine"))),
                   NULL);
}

static int trivy_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                        size_t nwild)
{
    char where[600];

    (void)wild;
    (void)nwild;
    switch (path) {
    case TRIVY_NAME:
    case TRIVY_CLUSTER:
        set_text(&r->artifact, json_string_value(v));
        if (path == TRIVY_CLUSTER) set_text(&r->artifact_type, "kubernetes");
        return 0;
    case TRIVY_TYPE: set_text(&r->artifact_type, json_string_value(v)); return 0;
    case TRIVY_VERSION: set_text(&r->tool_version, json_string_value(v)); return 0;
    case TRIVY_RESULT_TARGET: return 0;
    case TRIVY_VULN:
    case TRIVY_LEGACY_VULN:
    case TRIVY_RES_VULN:
    case TRIVY_FIND_VULN:
    case TRIVY_K8S_VULN: return trivy_vuln(r, v, false);
    case TRIVY_MISCONF:
    case TRIVY_RES_MISCONF:
    case TRIVY_FIND_MISCONF:
    case TRIVY_K8S_MISCONF: return trivy_misconf(r, v);
    case TRIVY_SECRET: /* Match and Code hold the secret: never read */
    case TRIVY_RES_SECRET:
    case TRIVY_FIND_SECRET:
        r->categories |= CAT_SECRETS;
        return finding(r, sev_word(str(v, "Severity")), false, str(v, "RuleID"), str(v, "Title"),
                       file_line(where, sizeof(where), str(v, "Target"),
                                 json_integer_value(at(v, "StartLine"))),
                       NULL);
    case TRIVY_LICENSE:
    case TRIVY_RES_LICENSE:
    case TRIVY_FIND_LICENSE: return trivy_license(r, v);
    case TRIVY_MODIFIED:
    case TRIVY_MODIFIED2: {
        const json_t *f = at(v, "Finding");
        if (str(f, "VulnerabilityID")) return trivy_vuln(r, f, true);
        return finding(r, sev_word(str(f, "Severity")), true,
                       str(f, "AVDID") ? str(f, "AVDID") : str(f, "RuleID"), str(f, "Title"), NULL,
                       NULL);
    }
    }
    return 0;
}

/* ---- Grype ---- */

enum { GRYPE_MATCH, GRYPE_IGNORED, GRYPE_SOURCE_TYPE, GRYPE_TARGET, GRYPE_NAME, GRYPE_VERSION };
static const char *const grype_paths[] = {
    "matches.*",       "ignoredMatches.*",   "source.type", "source.target",
    "descriptor.name", "descriptor.version", NULL};

static int grype_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                        size_t nwild)
{
    const json_t *vuln = at(v, "vulnerability"), *art = at(v, "artifact");
    char where[600];

    (void)wild;
    (void)nwild;
    switch (path) {
    case GRYPE_MATCH:
    case GRYPE_IGNORED:
        return finding(r, sev_word(str(vuln, "severity")), path == GRYPE_IGNORED, str(vuln, "id"),
                       str(vuln, "description") ? str(vuln, "description") : str(vuln, "id"),
                       pkg_at(where, sizeof(where), str(art, "name"), str(art, "version")), NULL);
    case GRYPE_SOURCE_TYPE: set_text(&r->artifact_type, json_string_value(v)); return 0;
    case GRYPE_TARGET: /* a path for directories, an object for images */
        set_text(&r->artifact, json_is_string(v) ? json_string_value(v) : str(v, "userInput"));
        return 0;
    case GRYPE_NAME: set_text(&r->tool_name, json_string_value(v)); return 0;
    case GRYPE_VERSION: set_text(&r->tool_version, json_string_value(v)); return 0;
    }
    return 0;
}

/* ---- gitleaks (v8, and the v7 field names) ---- */

static const char *const gitleaks_paths[] = {"*", NULL};

static int gitleaks_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                           size_t nwild)
{
    const char *rule = str(v, "RuleID"), *file = str(v, "File");
    long long line = json_integer_value(at(v, "StartLine"));
    char where[600];

    (void)path;
    (void)wild;
    (void)nwild;
    if (!json_is_object(v)) return ea_fail(EA_EINPUT, "a gitleaks finding is not an object");
    if (!rule) rule = str(v, "rule"); /* v7 */
    if (!file) file = str(v, "file");
    if (!line) line = json_integer_value(at(v, "lineNumber"));
    return finding(r, EA_SEV_HIGH, false, rule,
                   str(v, "Description") ? str(v, "Description") : rule,
                   file_line(where, sizeof(where), file, line), str(v, "Fingerprint"));
}

/* ---- CycloneDX 1.4-1.6 ---- */

enum { CDX_FORMAT, CDX_COMPONENT, CDX_VULN, CDX_META_COMPONENT, CDX_TOOLS, CDX_SPEC };
static const char *const cdx_paths[] = {"bomFormat",
                                        "#components.*",
                                        "vulnerabilities.*",
                                        "metadata.component",
                                        "metadata.tools",
                                        "specVersion",
                                        NULL};

static int cdx_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                      size_t nwild)
{
    (void)wild;
    (void)nwild;
    switch (path) {
    case CDX_FORMAT:
        if (!json_is_string(v) || strcmp(json_string_value(v), "CycloneDX") != 0)
            return ea_fail(EA_EINPUT, "bomFormat is not \"CycloneDX\"");
        r->cdx_marker = true;
        return 0;
    case CDX_SPEC: {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "1.4") != 0 && strcmp(s, "1.5") != 0 && strcmp(s, "1.6") != 0 &&
                   strcmp(s, "1.7") != 0)) /* 1.7 keeps the fields read here */
            return ea_fail(EA_EINPUT, "CycloneDX specVersion %s is not supported (1.4 to 1.7)",
                           s ? s : "(not a string)");
        return 0;
    }
    case CDX_COMPONENT: r->components++; return 0;
    case CDX_META_COMPONENT:
        set_text(&r->artifact, str(v, "name"));
        set_text(&r->artifact_type, str(v, "type"));
        return 0;
    case CDX_TOOLS: { /* 1.4: a list of tools; 1.5+: {"components": [...]} */
        const json_t *t =
            json_is_array(v) ? json_array_get(v, 0) : json_array_get(at(v, "components"), 0);
        set_text(&r->tool_name, str(t, "name"));
        set_text(&r->tool_version, str(t, "version"));
        return 0;
    }
    case CDX_VULN: {
        const json_t *rating;
        const char *state = str(at(v, "analysis"), "state");
        enum ea_sev sev = EA_SEV_UNKNOWN;
        size_t i;
        json_array_foreach(at(v, "ratings"), i, rating) {
            enum ea_sev s = sev_word(str(rating, "severity"));
            if (s > sev) sev = s;
        }
        return finding(r, sev,
                       state && (strcmp(state, "not_affected") == 0 ||
                                 strcmp(state, "false_positive") == 0 ||
                                 strcmp(state, "resolved") == 0 ||
                                 strcmp(state, "resolved_with_pedigree") == 0),
                       str(v, "id"), str(v, "description") ? str(v, "description") : str(v, "id"),
                       str(json_array_get(at(v, "affects"), 0), "ref"), str(v, "bom-ref"));
    }
    }
    return 0;
}

/* ---- OWASP ZAP (traditional JSON report) ---- */

enum { ZAP_VERSION, ZAP_SITE, ZAP_ALERT };
static const char *const zap_paths[] = {"@version", "site.*.@name", "site.*.alerts.*", NULL};

static int zap_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                      size_t nwild)
{
    static const enum ea_sev risk[] = {EA_SEV_INFO, EA_SEV_LOW, EA_SEV_MEDIUM, EA_SEV_HIGH};
    const char *code, *conf, *title;

    (void)wild;
    (void)nwild;
    switch (path) {
    case ZAP_VERSION: set_text(&r->tool_version, json_string_value(v)); return 0;
    case ZAP_SITE:
        set_text(&r->artifact, json_string_value(v));
        set_text(&r->artifact_type, "site");
        return 0;
    case ZAP_ALERT:
        code = str(v, "riskcode");
        conf = str(v, "confidence");
        title = str(v, "name") ? str(v, "name") : str(v, "alert");
        return finding(r,
                       code && code[0] >= '0' && code[0] <= '3' && !code[1] ? risk[code[0] - '0']
                                                                            : EA_SEV_UNKNOWN,
                       conf && strcmp(conf, "0") == 0, str(v, "pluginid"), title,
                       str(json_array_get(at(v, "instances"), 0), "uri"), str(v, "alertRef"));
    }
    return 0;
}

/* ---- the format table ---- */

static const char *const sig_sarif[] = {"runs", NULL};
static const char *const sig_trivy[] = {"SchemaVersion", "ArtifactName", "Results", "ClusterName",
                                        NULL};
static const char *const sig_grype[] = {"matches", NULL};
static const char *const sig_gitleaks[] = {NULL}; /* a root array */
static const char *const sig_cdx[] = {"bomFormat", NULL};
static const char *const sig_zap[] = {"site", NULL};

static const struct ea_scan_format formats[] = {
    {"sarif", "sast", sig_sarif, sarif_paths, sarif_handle},
    {"trivy", "sca", sig_trivy, trivy_paths, trivy_handle},
    {"grype", "sca", sig_grype, grype_paths, grype_handle},
    {"gitleaks", "secrets", sig_gitleaks, gitleaks_paths, gitleaks_handle},
    {"cyclonedx", "sbom", sig_cdx, cdx_paths, cdx_handle},
    {"zap", "dast", sig_zap, zap_paths, zap_handle},
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct ea_scan_format *ea_scan_format_find(const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (strcmp(formats[i].name, name) == 0) return &formats[i];
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
        for (size_t k = 0; formats[f].signature[k]; k++)
            if (strlen(formats[f].signature[k]) == len &&
                memcmp(formats[f].signature[k], key, len) == 0)
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
            if (s.keys[f] && strcmp(formats[f].name, "cyclonedx") != 0) *out = &formats[f];
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
    if (r->categories & CAT_SCA) return "sca";
    if (r->categories & CAT_IAC) return "iac";
    if (r->categories & CAT_SECRETS) return "secrets";
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
                set_text(&r->tool_name, implied[i].tool);
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
        for (size_t k = 0; kinds && k < sizeof(sarif_kind_names) / sizeof(sarif_kind_names[0]); k++)
            if (json_object_set_new(kinds, sarif_kind_names[k],
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
    *out = json_pack("{s:s, s:{s:O?, s:O?}, s:s, s:{s:O?, s:O?, s:O?, s:O?}, s:o, s:I, s:I, s:I, "
                     "s:o, s:o, s:o, s:b, s:o*, s:o*}",
                     "format", r->fmt->name, "tool", "name", r->tool_name, "version",
                     r->tool_version, "category", category_of(r), "scanned", "artifact",
                     r->artifact, "artifact_type", r->artifact_type, "repository", r->repository,
                     "commit", r->commit, "counts", counts, "suppressed", (json_int_t)r->suppressed,
                     "absent", (json_int_t)r->absent, "total", (json_int_t)r->total, "components",
                     r->components >= 0 ? json_integer(r->components) : json_null(), "runs",
                     strcmp(r->fmt->name, "sarif") == 0 ? json_integer((json_int_t)r->runs)
                                                        : json_null(),
                     "findings", findings, "findings_truncated", r->truncated, "licenses",
                     strcmp(r->fmt->name, "trivy") == 0 ? json_integer((json_int_t)r->licenses)
                                                        : NULL,
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
