/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SARIF 2.1.0 row of the scanner-report format table (scan_report.c): the
 * paths it reads and the handler that turns their values into findings. Its
 * severity mapping is written out beside the table.
 */
#define _GNU_SOURCE 1 /* strcasestr */
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
    const char *id = scan_str(rule, "id");
    json_t *small = json_pack("{s:o, s:O?, s:O?}", "id", ea_scan_bounded(id, 256), "ss",
                              scan_at(scan_at(rule, "properties"), "security-severity"), "level",
                              scan_at(scan_at(rule, "defaultConfiguration"), "level"));

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
const char *const ea_scan_sarif_kind_names[5] = {"pass", "open", "review", "informational",
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
    if (rule_id) rule = scan_at(r->rules_by_id, rule_id);
    if (!rule && f.rule_index >= 0) {
        rule = json_array_get(r->rules_by_index, (size_t)f.rule_index);
        if (!rule_id) rule_id = scan_str(rule, "id");
    }
    if (f.kind && strcmp(f.kind, "fail") != 0) { /* not a problem: counted apart by kind */
        for (size_t k = 0;
             k < sizeof(ea_scan_sarif_kind_names) / sizeof(ea_scan_sarif_kind_names[0]); k++) {
            if (strcmp(f.kind, ea_scan_sarif_kind_names[k]) == 0) {
                r->sarif_kinds[k]++;
                return 0;
            }
        }
    } /* an unknown kind is read as fail: a finding is never lost to a misspelling */
    score = score_text(f.score);
    if (score < 0) score = score_of(scan_at(rule, "ss"));
    level = f.level ? f.level : scan_str(rule, "level");
    if (score >= 0)
        sev = ea_sev_from_cvss(score);
    else
        sev = sarif_level(level);
    return ea_scan_finding(
        r, sev, f.suppressed, rule_id, f.text,
        ea_scan_file_line(where, sizeof(where), f.uri, f.line ? strtoll(f.line, NULL, 10) : 0),
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
            ea_scan_set_text(&r->tool_name, json_string_value(v));
            r->category = sarif_category(json_string_value(v));
        }
        return 0;
    case SARIF_TOOL_VERSION:
    case SARIF_SEMVER:
        if (run == 0) ea_scan_set_text(&r->tool_version, json_string_value(v));
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
            ea_scan_set_text(&r->repository, scan_str(v, "repositoryUri"));
            ea_scan_set_text(&r->commit, scan_str(v, "revisionId"));
        }
        return 0;
    }
    return 0;
}

static const char *const sig_sarif[] = {"runs", NULL};

const struct ea_scan_format ea_scan_format_sarif = {"sarif", "sast", sig_sarif, sarif_paths,
                                                    sarif_handle};
