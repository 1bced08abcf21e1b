/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The auditor's report: the Statement of Applicability joined with the store.
 * ea_report_build makes the machine form (schemas/report.schema.json); the
 * renderers turn that one document into Markdown, a self-contained HTML page
 * or an OSCAL assessment-results document, so every format says the same.
 */
#ifndef EA_REPORT_H
#define EA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dsse.h"
#include "soa.h"
#include "store/store.h"

#define EA_REPORT_EVIDENCE_MAX 20 /* most recent records listed per control */

struct ea_report_opts {
    struct ea_store *store;     /* borrowed */
    const char *store_url;      /* borrowed, for the report's header */
    struct ea_key *const *keys; /* borrowed; nkeys 0: signatures not checked */
    size_t nkeys;
    int64_t since_us, until_us; /* the period; freshness is judged at until_us */
    int64_t now_us;             /* generated_at */
};

/**
 * Builds the report. Reads only the applied controls the SoA names, within
 * the period, through the store's control/date layout.
 * @param out      new reference: the report document.
 * @param problems out: records that failed a check (tampered, unreadable).
 * @return 0, or EA_EIO/EA_ENOMEM for failures of the reader itself.
 */
int ea_report_build(json_t **out, unsigned *problems, const struct ea_soa *soa,
                    const struct ea_report_opts *o);
/** Applied controls whose verdict is not "ok" (for --gate). */
size_t ea_report_not_ready(const json_t *report);

int ea_report_write_md(FILE *f, const json_t *report);

/* Text of one Markdown table cell: pipes escaped, newlines folded. Shared by every md writer. */
void ea_report_md_cell(FILE *f, const char *s);
/* Text for HTML element content or a quoted attribute: < > & " escaped. Shared by every html
 * writer. */
void ea_report_html_text(FILE *f, const char *s);
int ea_report_write_html(FILE *f, const json_t *report);
/** OSCAL 1.0.6 assessment-results: one observation per record used, one finding per control. */
int ea_report_write_oscal(FILE *f, const json_t *report);

#endif
