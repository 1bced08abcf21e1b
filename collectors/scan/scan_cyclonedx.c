/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CycloneDX 1.4-1.6 JSON row of the scanner-report format table
 * (scan_report.c): the paths it reads and the handler that turns their values
 * into findings. Its severity mapping is written out beside the table.
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
        ea_scan_set_text(&r->artifact, scan_str(v, "name"));
        ea_scan_set_text(&r->artifact_type, scan_str(v, "type"));
        return 0;
    case CDX_TOOLS: { /* 1.4: a list of tools; 1.5+: {"components": [...]} */
        const json_t *t =
            json_is_array(v) ? json_array_get(v, 0) : json_array_get(scan_at(v, "components"), 0);
        ea_scan_set_text(&r->tool_name, scan_str(t, "name"));
        ea_scan_set_text(&r->tool_version, scan_str(t, "version"));
        return 0;
    }
    case CDX_VULN: {
        const json_t *rating;
        const char *state = scan_str(scan_at(v, "analysis"), "state");
        enum ea_sev sev = EA_SEV_UNKNOWN;
        size_t i;
        json_array_foreach(scan_at(v, "ratings"), i, rating) {
            enum ea_sev s = ea_scan_sev_word(scan_str(rating, "severity"));
            if (s > sev) sev = s;
        }
        return ea_scan_finding(
            r, sev,
            state &&
                (strcmp(state, "not_affected") == 0 || strcmp(state, "false_positive") == 0 ||
                 strcmp(state, "resolved") == 0 || strcmp(state, "resolved_with_pedigree") == 0),
            scan_str(v, "id"),
            scan_str(v, "description") ? scan_str(v, "description") : scan_str(v, "id"),
            scan_str(json_array_get(scan_at(v, "affects"), 0), "ref"), scan_str(v, "bom-ref"));
    }
    }
    return 0;
}

static const char *const sig_cdx[] = {"bomFormat", NULL};

const struct ea_scan_format ea_scan_format_cyclonedx = {"cyclonedx", "sbom", sig_cdx, cdx_paths,
                                                        cdx_handle};
