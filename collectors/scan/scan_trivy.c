/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Trivy JSON row of the scanner-report format table (scan_report.c): the
 * paths it reads and the handler that turns their values into findings. Its
 * severity mapping is written out beside the table.
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

/* A license finding (trivy --scanners license): Name is the license, Category its class. */
static int trivy_license(struct ea_scan_report *r, const json_t *v)
{
    char where[600], title[300];

    r->categories |= EA_SCAN_CAT_LICENSE;
    r->licenses++;
    snprintf(title, sizeof(title), "license %.200s (%.60s)",
             scan_str(v, "Name") ? scan_str(v, "Name") : "unknown",
             scan_str(v, "Category") ? scan_str(v, "Category") : "unclassified");
    return ea_scan_finding(
        r, ea_scan_sev_word(scan_str(v, "Severity")), false, scan_str(v, "Name"), title,
        scan_str(v, "PkgName") ? ea_scan_pkg_at(where, sizeof(where), scan_str(v, "PkgName"), NULL)
                               : scan_str(v, "FilePath"),
        NULL);
}

static int trivy_vuln(struct ea_scan_report *r, const json_t *v, bool suppressed)
{
    char where[600];

    r->categories |= EA_SCAN_CAT_SCA;
    return ea_scan_finding(
        r, ea_scan_sev_word(scan_str(v, "Severity")), suppressed, scan_str(v, "VulnerabilityID"),
        scan_str(v, "Title") ? scan_str(v, "Title") : scan_str(v, "VulnerabilityID"),
        ea_scan_pkg_at(where, sizeof(where), scan_str(v, "PkgName"),
                       scan_str(v, "InstalledVersion")),
        scan_str(v, "PkgID"));
}

static int trivy_misconf(struct ea_scan_report *r, const json_t *v)
{
    const char *status = scan_str(v, "Status");
    char where[600];

    r->categories |= EA_SCAN_CAT_IAC;
    if (status && strcmp(status, "PASS") == 0) return 0;
    return ea_scan_finding(
        r, ea_scan_sev_word(scan_str(v, "Severity")), status && strcmp(status, "EXCEPTION") == 0,
        scan_str(v, "AVDID") ? scan_str(v, "AVDID") : scan_str(v, "ID"), scan_str(v, "Title"),
        ea_scan_file_line(where, sizeof(where), scan_str(scan_at(v, "CauseMetadata"), "Resource"),
                          json_integer_value(scan_at(scan_at(v, "CauseMetadata"), "StartLine"))),
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
        ea_scan_set_text(&r->artifact, json_string_value(v));
        if (path == TRIVY_CLUSTER) ea_scan_set_text(&r->artifact_type, "kubernetes");
        return 0;
    case TRIVY_TYPE: ea_scan_set_text(&r->artifact_type, json_string_value(v)); return 0;
    case TRIVY_VERSION: ea_scan_set_text(&r->tool_version, json_string_value(v)); return 0;
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
        r->categories |= EA_SCAN_CAT_SECRETS;
        return ea_scan_finding(r, ea_scan_sev_word(scan_str(v, "Severity")), false,
                               scan_str(v, "RuleID"), scan_str(v, "Title"),
                               ea_scan_file_line(where, sizeof(where), scan_str(v, "Target"),
                                                 json_integer_value(scan_at(v, "StartLine"))),
                               NULL);
    case TRIVY_LICENSE:
    case TRIVY_RES_LICENSE:
    case TRIVY_FIND_LICENSE: return trivy_license(r, v);
    case TRIVY_MODIFIED:
    case TRIVY_MODIFIED2: {
        const json_t *f = scan_at(v, "Finding");
        if (scan_str(f, "VulnerabilityID")) return trivy_vuln(r, f, true);
        return ea_scan_finding(r, ea_scan_sev_word(scan_str(f, "Severity")), true,
                               scan_str(f, "AVDID") ? scan_str(f, "AVDID") : scan_str(f, "RuleID"),
                               scan_str(f, "Title"), NULL, NULL);
    }
    }
    return 0;
}

static const char *const sig_trivy[] = {"SchemaVersion", "ArtifactName", "Results", "ClusterName",
                                        NULL};

const struct ea_scan_format ea_scan_format_trivy = {"trivy", "sca", sig_trivy, trivy_paths,
                                                    trivy_handle};
