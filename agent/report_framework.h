/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A framework's requirements answered from the SoA report (report.h): per
 * requirement, the Annex A controls mapped to it with each row's
 * relationship and confidence, their SoA status and evidence verdict, and a
 * requirement verdict:
 *   covered    every mapped applied control is ok;
 *   partial    some mapped applied controls are ok, not all;
 *   uncovered  none is (or the mapped controls are only planned);
 *   n/a        every mapped control is excluded, or none is named by the SoA
 *              (the note says which);
 *   unmapped   no Annex A control is mapped to it in the reference data: the
 *              store cannot answer it, and it is not judged.
 * Only covered, partial and uncovered requirements are in scope of a gate.
 * The machine form is schemas/framework-report.schema.json; Markdown and HTML
 * render that one document.
 */
#ifndef EA_REPORT_FRAMEWORK_H
#define EA_REPORT_FRAMEWORK_H

#include <stdio.h>

#include <jansson.h>

#include "frameworks.h"

/**
 * Builds the framework report from an SoA report (ea_report_build).
 * @param out    new reference.
 * @param report borrowed: the SoA report; its header (SoA, store, period) is copied.
 * @return 0 or EA_ENOMEM.
 */
int ea_report_framework_build(json_t **out, const json_t *report, const struct ea_framework *fw);
/**
 * The per-framework summary of a framework report, for the SoA report's "frameworks"
 * list: name, title, the verdict counts and the IDs not covered. New reference, or NULL.
 */
json_t *ea_report_framework_summary(const json_t *fw_report);
/** Requirements in scope (covered, partial or uncovered) that are not covered. */
size_t ea_report_framework_not_covered(const json_t *fw_report);
/** The same summed over the "frameworks" summaries of an SoA report (SoA frameworks:). */
size_t ea_report_frameworks_not_covered(const json_t *report);
/** Markdown and HTML sections of those summaries (nothing when the SoA declares none). */
void ea_report_frameworks_write_md(FILE *f, const json_t *report);
void ea_report_frameworks_write_html(FILE *f, const json_t *report);

int ea_report_framework_write_md(FILE *f, const json_t *fw_report);
int ea_report_framework_write_html(FILE *f, const json_t *fw_report);

#endif
