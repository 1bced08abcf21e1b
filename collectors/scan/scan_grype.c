/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Grype JSON row of the scanner-report format table (scan_report.c): the
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

enum { GRYPE_MATCH, GRYPE_IGNORED, GRYPE_SOURCE_TYPE, GRYPE_TARGET, GRYPE_NAME, GRYPE_VERSION };
static const char *const grype_paths[] = {
    "matches.*",       "ignoredMatches.*",   "source.type", "source.target",
    "descriptor.name", "descriptor.version", NULL};

static int grype_handle(struct ea_scan_report *r, int path, json_t *v, const size_t *wild,
                        size_t nwild)
{
    const json_t *vuln = scan_at(v, "vulnerability"), *art = scan_at(v, "artifact");
    char where[600];

    (void)wild;
    (void)nwild;
    switch (path) {
    case GRYPE_MATCH:
    case GRYPE_IGNORED:
        return ea_scan_finding(
            r, ea_scan_sev_word(scan_str(vuln, "severity")), path == GRYPE_IGNORED,
            scan_str(vuln, "id"),
            scan_str(vuln, "description") ? scan_str(vuln, "description") : scan_str(vuln, "id"),
            ea_scan_pkg_at(where, sizeof(where), scan_str(art, "name"), scan_str(art, "version")),
            NULL);
    case GRYPE_SOURCE_TYPE: ea_scan_set_text(&r->artifact_type, json_string_value(v)); return 0;
    case GRYPE_TARGET: /* a path for directories, an object for images */
        ea_scan_set_text(&r->artifact,
                         json_is_string(v) ? json_string_value(v) : scan_str(v, "userInput"));
        return 0;
    case GRYPE_NAME: ea_scan_set_text(&r->tool_name, json_string_value(v)); return 0;
    case GRYPE_VERSION: ea_scan_set_text(&r->tool_version, json_string_value(v)); return 0;
    }
    return 0;
}

static const char *const sig_grype[] = {"matches", NULL};

const struct ea_scan_format ea_scan_format_grype = {"grype", "sca", sig_grype, grype_paths,
                                                    grype_handle};
