/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gitleaks JSON (v8, and the v7 field names) row of the scanner-report
 * format table (scan_report.c): the paths it reads and the handler that turns
 * their values into findings. Its severity mapping is written out beside the
 * table.
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

static const char *const gitleaks_paths[] = {"*", NULL};

static int gitleaks_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                           size_t nwild)
{
    const char *rule = scan_str(v, "RuleID"), *file = scan_str(v, "File");
    long long line = json_integer_value(scan_at(v, "StartLine"));
    char where[600];

    (void)path;
    (void)wild;
    (void)nwild;
    if (!json_is_object(v)) return ea_fail(EA_EINPUT, "a gitleaks finding is not an object");
    if (!rule) rule = scan_str(v, "rule"); /* v7 */
    if (!file) file = scan_str(v, "file");
    if (!line) line = json_integer_value(scan_at(v, "lineNumber"));
    return ea_scan_finding(
        r, EA_SEV_HIGH, false, rule, scan_str(v, "Description") ? scan_str(v, "Description") : rule,
        ea_scan_file_line(where, sizeof(where), file, line), scan_str(v, "Fingerprint"));
}

static const char *const sig_gitleaks[] = {NULL}; /* a root array */

const struct ea_scan_format ea_scan_format_gitleaks = {"gitleaks", "secrets", sig_gitleaks,
                                                       gitleaks_paths, gitleaks_handle};
