/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OWASP ZAP JSON (the traditional report) row of the scanner-report format
 * table (scan_report.c): the paths it reads and the handler that turns their
 * values into findings. Its severity mapping is written out beside the table.
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
    case ZAP_VERSION: ea_scan_set_text(&r->tool_version, json_string_value(v)); return 0;
    case ZAP_SITE:
        ea_scan_set_text(&r->artifact, json_string_value(v));
        ea_scan_set_text(&r->artifact_type, "site");
        return 0;
    case ZAP_ALERT:
        code = scan_str(v, "riskcode");
        conf = scan_str(v, "confidence");
        title = scan_str(v, "name") ? scan_str(v, "name") : scan_str(v, "alert");
        return ea_scan_finding(
            r,
            code && code[0] >= '0' && code[0] <= '3' && !code[1] ? risk[code[0] - '0']
                                                                 : EA_SEV_UNKNOWN,
            conf && strcmp(conf, "0") == 0, scan_str(v, "pluginid"), title,
            scan_str(json_array_get(scan_at(v, "instances"), 0), "uri"), scan_str(v, "alertRef"));
    }
    return 0;
}

static const char *const sig_zap[] = {"site", NULL};

const struct ea_scan_format ea_scan_format_zap = {"zap", "dast", sig_zap, zap_paths, zap_handle};
